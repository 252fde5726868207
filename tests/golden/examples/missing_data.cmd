check examples/missing_data.lvm --data examples/missing_data.data.json
