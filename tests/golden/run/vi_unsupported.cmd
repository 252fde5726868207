run examples/mvn_wishart.lvm vi --data examples/mvn_wishart.data.json
