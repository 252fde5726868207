run examples/gmm.lvm
