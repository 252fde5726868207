explain examples/gmm.lvm
