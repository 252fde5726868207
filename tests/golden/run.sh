#!/bin/sh
# Golden tests: run lvmc and compare its output (stdout, stderr, exit
# status) with the expected file beside each case.
#
#   run.sh LVMC SRCROOT DIR [--accept]
#
# DIR/*.lvm      -> `lvmc check FILE`; expected in FILE.expected
#                   (a first line "# args: ..." replaces "check")
# DIR/*.cmd      -> `lvmc $(cat FILE)` run from SRCROOT; expected in FILE.expected
# --accept rewrites the expected files (review the diff before committing).
set -u
lvmc=$1 root=$2 dir=$3 accept=${4:-}
case $lvmc in /*) ;; *) lvmc=$PWD/$lvmc ;; esac
cd "$root" || exit 2
pass=0 fail=0
for f in "$dir"/*.lvm "$dir"/*.cmd; do
  [ -e "$f" ] || continue
  case "$f" in
    *.lvm)
      args=$(sed -n '1s/^# args: //p' "$f")
      [ -n "$args" ] || args="check"
      cmd="$args $f" ;;
    *.cmd) cmd=$(grep -v '^#' "$f" | head -n 1) ;;
  esac
  # shellcheck disable=SC2086
  out=$("$lvmc" --color=never $cmd 2>&1; echo "exit: $?")
  exp="$f.expected"
  if [ "$accept" = "--accept" ]; then
    printf '%s\n' "$out" > "$exp"
    continue
  fi
  if [ ! -f "$exp" ]; then
    echo "FAIL $f: no expected output ($exp); run with --accept after review"
    fail=$((fail + 1))
  elif [ "$(cat "$exp")" = "$out" ]; then
    pass=$((pass + 1))
  else
    echo "FAIL $f"
    printf '%s\n' "$out" | diff -u "$exp" - | head -n 40
    fail=$((fail + 1))
  fi
done
echo "$dir: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
