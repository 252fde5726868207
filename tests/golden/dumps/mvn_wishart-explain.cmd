explain examples/mvn_wishart.lvm --data examples/mvn_wishart.data.json
