explain examples/depnet.lvm --data examples/depnet.data.json
