check examples/gmm.lvm --data tests/golden/data/simplex_sum.json
