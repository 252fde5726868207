#!/bin/sh
# Backend equivalence: every example with data and every statistical test
# model is built with the LLVM backend and with the C backend and run with
# `lvmc run`; `sample` (fixed seed) and `simulate` must give the same bytes
# from all three (CSV files apart from the elapsed-time comment lines, the
# simulated JSON, stderr and the exit status).  The SBC models (no data
# file: their sizes have defaults) are compared on `simulate` alone.  A
# model that lvmc cannot compile must fail the same way in all three.
#
#   run.sh LVMC SRCROOT WORKDIR
set -u
lvmc=$1 root=$2 work=$3
case $lvmc in /*) ;; *) lvmc=$PWD/$lvmc ;; esac
case $work in /*) ;; *) work=$PWD/$work ;; esac
cd "$root" || exit 2
rm -rf "$work" && mkdir -p "$work" || exit 2
pass=0 fail=0
# the output of one way of running a model, in $work/$name.$way/
run_way() {  # way model data
  way=$1 model=$2 data=$3
  name=$(basename "$model" .lvm)
  d=$work/$name.$way
  mkdir -p "$d"
  case $way in
    run) exe="$lvmc run $model" ;;
    *)
      "$lvmc" --color=never build "$model" --backend="$way" -o "$work/$name" >"$d/build.out" 2>&1
      echo "build exit: $?" >>"$d/build.out"
      # the build's message names the backend's tool; the rest must agree
      sed -i 's/(this is a bug.*//' "$d/build.out"
      [ -x "$work/$name" ] || return 0
      # named as the model, as lvmc run names it in messages
      mname=$(sed -n 's/^model *\([A-Za-z0-9_]*\).*/\1/p' "$model" | head -n 1)
      mkdir -p "$work/exe-$way"
      mv "$work/$name" "$work/exe-$way/$mname"
      exe="$work/exe-$way/$mname" ;;
  esac
  dataopt="--data $data"
  [ -n "$data" ] || dataopt=""
  if [ -n "$data" ]; then
    # shellcheck disable=SC2086
    $exe sample $dataopt --chains 2 --warmup 30 --iter 30 --seed 11 \
      --out "$work/draws.csv" --quiet >"$d/sample.out" 2>&1
    echo "sample exit: $?" >>"$d/sample.out"
  fi
  for f in "$work"/draws_*.csv; do
    [ -e "$f" ] || continue
    grep -v -e 'Elapsed Time' -e 'seconds (' "$f" >"$d/$(basename "$f")"
    rm -f "$f"
  done
  # shellcheck disable=SC2086
  $exe simulate $dataopt --seed 5 --out "$work/sim.json" >"$d/simulate.out" 2>&1
  echo "simulate exit: $?" >>"$d/simulate.out"
  [ -e "$work/sim.json" ] && mv "$work/sim.json" "$d/sim.json"
  sed -i "s|$work/||g" "$d"/*.out
}
# model, data ("" for none) per line: the examples and test models with
# their data, the SBC models without, and runtime failures (a variable lvmc
# cannot sample yet left unobserved: the kernel's fail statement)
cases() {
  for model in examples/*.lvm tests/stat/models/*.lvm; do
    [ -f "${model%.lvm}.data.json" ] && echo "$model ${model%.lvm}.data.json"
  done
  for model in tests/stat/sbc/*.lvm; do echo "$model"; done
  echo "examples/beta_binomial.lvm tests/backends/beta_binomial_y_missing.data.json"
}
cases >"$work/cases"
while read -r model data; do
  name=$(basename "$model" .lvm)
  rm -rf "$work/$name".*
  run_way llvm "$model" "$data"
  run_way c "$model" "$data"
  run_way run "$model" "$data"
  # the build outputs of the two backends; lvmc run gives no build.out
  ok=1
  if ! diff -r "$work/$name.llvm" "$work/$name.c" >"$work/$name.diff" 2>&1; then ok=0; fi
  for f in "$work/$name.llvm"/*; do
    b=$(basename "$f")
    [ "$b" = build.out ] && continue
    if ! cmp -s "$f" "$work/$name.run/$b"; then
      ok=0
      echo "lvmc run differs in $b" >>"$work/$name.diff"
      diff "$f" "$work/$name.run/$b" | head -n 5 >>"$work/$name.diff"
    fi
  done
  # a model that does not compile: lvmc run fails with the build's message
  if grep -q 'build exit: [^0]' "$work/$name.llvm/build.out" 2>/dev/null; then
    grep -v 'exit:' "$work/$name.llvm/build.out" >"$work/$name.expected-err"
    if ! grep -q 'simulate exit: 1' "$work/$name.run/simulate.out" ||
       ! grep -qF "$(head -n 1 "$work/$name.expected-err")" "$work/$name.run/simulate.out"; then
      ok=0
      echo "lvmc run does not fail as the build does" >>"$work/$name.diff"
    fi
  elif [ -n "$data" ] && [ ! -s "$work/$name.llvm/draws_1.csv" ]; then
    ok=0
    echo "no draws" >>"$work/$name.diff"
  elif [ ! -s "$work/$name.llvm/sim.json" ]; then
    ok=0
    echo "nothing simulated" >>"$work/$name.diff"
  fi
  if [ $ok = 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $model"
    head -n 30 "$work/$name.diff"
  fi
done <"$work/cases"
echo "backends: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
