check examples/linreg.lvm --data tests/golden/data/deterministic_given.json
