run tests/golden/errors/annotated_never_used.lvm sample
