explain examples/logistic.lvm --data examples/logistic.data.json
