check examples/dirichlet_categorical.lvm --data examples/dirichlet_categorical.data.json
