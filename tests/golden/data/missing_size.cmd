check examples/gmm.lvm --data tests/golden/data/missing_size.json
