check examples/gmm.lvm --data tests/golden/data/wrong_shape.json
