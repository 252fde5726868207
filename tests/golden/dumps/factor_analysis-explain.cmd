explain examples/factor_analysis.lvm --data examples/factor_analysis.data.json
