check examples/hmm_gaussian.lvm --data examples/hmm_gaussian.data.json
