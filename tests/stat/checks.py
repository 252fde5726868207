"""The tally shared by the statistical test scripts: check() counts a
result (printing FAIL lines), finish() prints "N passed, N failed" and exits
non-zero if anything failed."""
import sys

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def finish():
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
