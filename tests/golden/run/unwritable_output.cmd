build examples/gmm.lvm -o /nonexistent/dir/gmm
