explain examples/poisson_regression.lvm --data examples/poisson_regression.data.json
