check examples/gmm.lvm --data tests/golden/data/category_out_of_range.json
