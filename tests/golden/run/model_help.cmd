run examples/gmm.lvm sample --help
