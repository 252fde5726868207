build tests/stat/models/gamma_poisson.lvm --emit-llvm -
