check examples/gmm.lvm --data tests/golden/data/string_element.json
