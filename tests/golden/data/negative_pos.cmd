check examples/gmm.lvm --data tests/golden/data/negative_pos.json
