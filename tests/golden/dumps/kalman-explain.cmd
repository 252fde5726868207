explain examples/kalman.lvm --data examples/kalman.data.json
