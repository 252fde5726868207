check examples/gmm.lvm --data tests/golden/data/unknown_name.json
