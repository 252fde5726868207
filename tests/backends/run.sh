#!/bin/sh
# Backend equivalence: every example with data and every statistical test
# model is built with the LLVM backend and with the C backend and run with
# `lvmc run`; `sample` (fixed seed), `vi` (fixed seed, two restarts) and
# `simulate` must give the same bytes from all three (CSV files apart from
# the elapsed-time comment lines, the vi JSON and its --trace CSV, the
# simulated JSON, stderr and the exit status).  Every model with data must
# sample; `vi` must either write its JSON and trace or fail with an error
# message (a model without CAVI), and at least $min_vi models must run vi.
# The SBC models (no data file: their sizes have defaults) are compared on
# `simulate` alone.  Every model must compile.
#
#   run.sh LVMC SRCROOT WORKDIR
set -u
lvmc=$1 root=$2 work=$3
case $lvmc in /*) ;; *) lvmc=$PWD/$lvmc ;; esac
case $work in /*) ;; *) work=$PWD/$work ;; esac
cd "$root" || exit 2
rm -rf "$work" && mkdir -p "$work" || exit 2
pass=0 fail=0 vi_ok=0
# the number of models vi supports today when built without --data (a
# build with --data knows more variables observed: beta_binomial, gamma_poisson)
min_vi=20  # 18, + blr and mvn_known_prec (MvNormal factors)
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
    # shellcheck disable=SC2086
    $exe vi $dataopt --seed 13 --restarts 2 --max-iter 150 --out "$work/vi.json" \
      --trace "$work/trace.csv" --quiet >"$d/vi.out" 2>&1
    echo "vi exit: $?" >>"$d/vi.out"
    for f in vi.json trace.csv; do
      [ -e "$work/$f" ] && mv "$work/$f" "$d/$f"
    done
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
  if grep -q 'build exit: [^0]' "$work/$name.llvm/build.out" 2>/dev/null; then
    ok=0
    echo "does not compile" >>"$work/$name.diff"
    cat "$work/$name.llvm/build.out" >>"$work/$name.diff"
  elif [ -n "$data" ] && [ ! -s "$work/$name.llvm/draws_1.csv" ]; then
    ok=0
    echo "no draws" >>"$work/$name.diff"
  elif [ ! -s "$work/$name.llvm/sim.json" ]; then
    ok=0
    echo "nothing simulated" >>"$work/$name.diff"
  elif [ -n "$data" ]; then
    if grep -q 'vi exit: 0' "$work/$name.llvm/vi.out"; then
      if [ -s "$work/$name.llvm/vi.json" ] && [ -s "$work/$name.llvm/trace.csv" ]; then
        vi_ok=$((vi_ok + 1))
      else
        ok=0
        echo "vi succeeded without its JSON and trace" >>"$work/$name.diff"
      fi
    elif ! grep -q "vi: error: " "$work/$name.llvm/vi.out"; then
      ok=0
      echo "vi failed without an error message" >>"$work/$name.diff"
    fi
  fi
  if [ $ok = 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $model"
    head -n 30 "$work/$name.diff"
  fi
done <"$work/cases"
echo "backends: $pass passed, $fail failed; vi compared on $vi_ok models"
if [ "$vi_ok" -lt "$min_vi" ]; then
  echo "FAIL: vi ran on $vi_ok models, fewer than the $min_vi it supports"
  fail=$((fail + 1))
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
