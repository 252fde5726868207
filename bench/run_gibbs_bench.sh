#!/usr/bin/env bash
# run_gibbs_bench.sh — JAGS and the hand-written C reference, side by side on
# the same data; writes bench/results/gibbs-YYYY-MM-DD.md (and the raw JSON
# lines next to it, gibbs-YYYY-MM-DD.raw).  See bench/README.md.
#
#   bench/run_gibbs_bench.sh            # the full run (~3 minutes on 2 cores)
#   bench/run_gibbs_bench.sh --quick    # smoke run: small sizes, few sweeps
#
# Environment (defaults in brackets): CHAINS [2], SEED [1],
# JAGS_WARMUP / JAGS_ITER [1000 / 1000] for gmm and the T = 1000 hmm,
# SMALL_WARMUP / SMALL_ITER [10000 / 10000] for pumps, eight schools and the
# small hmm (they take milliseconds per 1000 sweeps), REF_WARMUP / REF_ITER
# [1000 / 1000] for the C reference, BUILD [build-bench], OUT [the .md above].
# Installs its dependencies first (bench/deps, apt-get; needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

CHAINS=${CHAINS:-2}
SEED=${SEED:-1}
JAGS_WARMUP=${JAGS_WARMUP:-1000}
JAGS_ITER=${JAGS_ITER:-1000}
SMALL_WARMUP=${SMALL_WARMUP:-10000}
SMALL_ITER=${SMALL_ITER:-10000}
REF_WARMUP=${REF_WARMUP:-1000}
REF_ITER=${REF_ITER:-1000}
BUILD=${BUILD:-build-bench}
if [ "$quick" = 1 ]; then
  JAGS_WARMUP=200 JAGS_ITER=200 SMALL_WARMUP=1000 SMALL_ITER=1000
  REF_WARMUP=200 REF_ITER=200
fi
date=$(date +%F)
OUT=${OUT:-bench/results/gibbs-$date.md}
RAW=${OUT%.md}.raw
mkdir -p "$(dirname "$OUT")"

log() { echo "run_gibbs_bench: $*" >&2; }

# ---- dependencies, build, data --------------------------------------------
bench/deps
if [ ! -f "$BUILD/build.ninja" ]; then
  log "configuring $BUILD (release)"
  meson setup "$BUILD" -Dbuildtype=release -Dtests=disabled >/dev/null
fi
ninja -C "$BUILD" bench/ref/gmm_gibbs >/dev/null
ref="$BUILD/bench/ref/gmm_gibbs"
python3 bench/data/gen_gmm.py >/dev/null
D=bench/data
draws=$(mktemp -d)
trap 'rm -rf "$draws"' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$RAW"

# run LABEL CMD...: run a case, append "LABEL<TAB>STATUS<TAB>CMD<TAB>JSON" to
# $RAW (JSON: the last line the command printed on stdout).
run() {
  local label=$1; shift
  log "$label: $*"
  local out st
  out=$("$@") && st=0 || st=$?
  [ "$st" = 0 ] || log "$label: exit status $st"
  out=$(printf '%s\n' "$out" | tail -n 1)
  [ -n "$out" ] || out='{"failed": true}'
  printf '%s\t%s\t%s\t%s\n' "$label" "$st" "$*" "$out" >> "$RAW"
}

if [ "$quick" = 1 ]; then
  gmm_ref_sizes="1000 8000"; gmm_jags_sizes="1000"
else
  gmm_ref_sizes="1000 8000 100000"; gmm_jags_sizes="1000 8000"
fi

# ---- the C reference (gmm) -------------------------------------------------
for N in $gmm_ref_sizes; do
  run "ref gmm N=$N" "$ref" --data "$D/gmm_N$N.json" --chains "$CHAINS" \
    --warmup "$REF_WARMUP" --iter "$REF_ITER" --seed "$SEED" \
    --out "$draws/ref_gmm_N$N.csv" --expect-mu -2,0,3 --tol 0.05
done
# the same sweep calling lvm_categorical_logit_draw for z (what a call costs)
N=${gmm_ref_sizes##* }
run "ref gmm N=$N zdraw=runtime" "$ref" --data "$D/gmm_N$N.json" --chains "$CHAINS" \
  --warmup "$REF_WARMUP" --iter "$REF_ITER" --seed "$SEED" --zdraw runtime

# ---- JAGS ----------------------------------------------------------------
R=(Rscript bench/jags/run_jags.R)
for N in $gmm_jags_sizes; do
  run "jags gmm N=$N" "${R[@]}" gmm "$D/gmm_N$N.json" "$JAGS_ITER" "$JAGS_WARMUP" "$CHAINS" "$SEED"
done
run "jags pumps" "${R[@]}" pumps "$D/pumps.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "jags eight_schools" "${R[@]}" eight_schools "$D/eight_schools.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "jags hmm T=100" "${R[@]}" hmm "$D/hmm_small.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "jags hmm T=1000" "${R[@]}" hmm "$D/hmm_T1000.json" "$JAGS_ITER" "$JAGS_WARMUP" "$CHAINS" "$SEED"

# ---- lvmc -------------------------------------------------------------------
ninja -C "$BUILD" compiler/lvmc runtime/liblvmrt.a >/dev/null
L=(python3 bench/lvmc/run_lvmc.py "$BUILD/compiler/lvmc")
for N in $gmm_ref_sizes; do
  run "lvmc gmm N=$N" "${L[@]}" examples/gmm.lvm "$D/gmm_N$N.json" "$JAGS_ITER" "$JAGS_WARMUP" "$CHAINS" "$SEED"
done
run "lvmc pumps" "${L[@]}" examples/pumps.lvm "$D/pumps.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "lvmc eight_schools" "${L[@]}" examples/eight_schools.lvm "$D/eight_schools.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "lvmc hmm T=100" "${L[@]}" examples/hmm.lvm "$D/hmm_small.json" "$SMALL_ITER" "$SMALL_WARMUP" "$CHAINS" "$SEED"
run "lvmc hmm T=1000" "${L[@]}" examples/hmm.lvm "$D/hmm_T1000.json" "$JAGS_ITER" "$JAGS_WARMUP" "$CHAINS" "$SEED"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report -------------------------------------------------------------
python3 bench/render_gibbs.py "$RAW" \
  --load-before "$load_before" --load-after "$load_after" \
  --build "$BUILD" --command "bench/run_gibbs_bench.sh${*:+ $*}" \
  --env "CHAINS=$CHAINS SEED=$SEED JAGS_WARMUP=$JAGS_WARMUP JAGS_ITER=$JAGS_ITER SMALL_WARMUP=$SMALL_WARMUP SMALL_ITER=$SMALL_ITER REF_WARMUP=$REF_WARMUP REF_ITER=$REF_ITER" \
  > "$OUT"
log "wrote $OUT (raw results: $RAW)"
