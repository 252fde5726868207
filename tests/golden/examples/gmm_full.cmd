check examples/gmm_full.lvm --data examples/gmm_full.data.json
