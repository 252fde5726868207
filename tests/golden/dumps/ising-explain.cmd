explain examples/ising.lvm --data examples/ising.data.json
