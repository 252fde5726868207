run examples/pumps.lvm vi --data examples/pumps.data.json
