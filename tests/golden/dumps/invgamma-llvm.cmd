build tests/stat/models/invgamma.lvm --emit-llvm -
