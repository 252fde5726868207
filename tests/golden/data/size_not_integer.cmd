check examples/gmm.lvm --data tests/golden/data/size_not_integer.json
