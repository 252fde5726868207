summary tests/golden/summary/draws_1.csv tests/golden/summary/draws_2.csv
