check examples/hmm.lvm --data examples/hmm.data.json
