check examples/beta_binomial.lvm --data examples/beta_binomial.data.json
