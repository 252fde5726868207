check examples/linreg.lvm --data examples/linreg.data.json
