build tests/stat/models/dirichlet_cat.lvm --emit-llvm -
