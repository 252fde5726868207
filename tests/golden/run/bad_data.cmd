run examples/gmm.lvm -- sample --data tests/golden/data/malformed.json
