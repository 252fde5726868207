build examples/beta_binomial.lvm --emit-llvm -
