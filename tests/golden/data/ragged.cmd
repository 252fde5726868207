check examples/gmm.lvm --data tests/golden/data/ragged.json
