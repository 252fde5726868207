build tests/stat/models/slice_lognormal.lvm --emit-llvm -
