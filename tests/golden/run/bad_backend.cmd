build examples/gmm.lvm -o /nonexistent/x --backend=fortran
