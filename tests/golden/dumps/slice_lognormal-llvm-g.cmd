build -g tests/stat/models/slice_lognormal.lvm --emit-llvm -
