explain examples/gmm.lvm --data examples/gmm.data.json
