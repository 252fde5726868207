build tests/stat/models/kalman_small.lvm --emit-llvm -
