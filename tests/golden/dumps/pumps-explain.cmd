explain examples/pumps.lvm --data examples/pumps.data.json
