check examples/gmm.lvm --data tests/golden/data/malformed.json
