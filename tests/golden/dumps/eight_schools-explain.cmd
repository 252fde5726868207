explain examples/eight_schools.lvm --data examples/eight_schools.data.json
