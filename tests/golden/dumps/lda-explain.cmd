explain examples/lda.lvm --data examples/lda.data.json
