build examples/ising.lvm --emit-llvm -
