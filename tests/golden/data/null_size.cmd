check examples/gmm.lvm --data tests/golden/data/null_size.json
