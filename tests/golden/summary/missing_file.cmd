summary tests/golden/summary/missing.csv
