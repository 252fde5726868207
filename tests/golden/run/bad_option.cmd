run -x examples/gmm.lvm
