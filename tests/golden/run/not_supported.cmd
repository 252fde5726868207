run examples/logistic.lvm sample --data examples/logistic.data.json
