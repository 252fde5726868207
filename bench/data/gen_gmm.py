#!/usr/bin/env python3
"""Generate the benchmark data sets (CmdStan JSON) into bench/data/ (or OUTDIR).

    python3 bench/data/gen_gmm.py [OUTDIR]

Python 3 standard library only; every data set has its own fixed seed, so a
rerun reproduces the files byte for byte.  The files are not committed
(bench/data/.gitignore); bench/run_gibbs_bench.sh regenerates them.

Written:
  gmm_N1000.json, gmm_N8000.json, gmm_N100000.json
      examples/gmm.lvm's data names: N and x (K = 3 and alpha = 1 are the
      model's defaults, so they are not in the file; the JAGS driver adds
      them).  Truth: weights .5 .3 .2, means -2 0 3, sds .5 .8 1.0
      (precisions 4, 1.5625, 1).
  pumps.json          examples/pumps.data.json as is (BUGS "Pumps", N = 10).
  eight_schools.json  examples/eight_schools.data.json as is (J = 8).
  hmm_T1000.json      examples/hmm.lvm's names T, K, M, y: T = 1000
      observations of a K = 3 state, M = 5 symbol HMM (truth below).
  hmm_small.json      examples/hmm.data.json as is (T = 100, K = 2, M = 3).
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, os.pardir, os.pardir, "examples")

GMM_WEIGHTS = [0.5, 0.3, 0.2]
GMM_MEANS = [-2.0, 0.0, 3.0]
GMM_SDS = [0.5, 0.8, 1.0]
GMM_SIZES = [1000, 8000, 100000]

HMM_A = [[0.90, 0.05, 0.05],
         [0.10, 0.80, 0.10],
         [0.05, 0.15, 0.80]]
HMM_B = [[0.60, 0.20, 0.10, 0.05, 0.05],
         [0.05, 0.10, 0.70, 0.10, 0.05],
         [0.05, 0.05, 0.10, 0.20, 0.60]]


def r4(v):
    v = round(float(v), 4)
    return 0.0 if v == 0 else v


def categorical(rng, p):
    """1-based draw from probabilities p."""
    u, c = rng.random(), 0.0
    for k, pk in enumerate(p):
        c += pk
        if u < c:
            return k + 1
    return len(p)


def dump(obj):
    """CmdStan JSON, one variable a line; integers without a decimal point."""
    items = ['  "%s": %s' % (k, json.dumps(v, separators=(", ", ": ")))
             for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n}\n"


def write(outdir, name, obj):
    path = os.path.join(outdir, name)
    with open(path, "w") as f:
        f.write(dump(obj))
    print("wrote", path)


def gmm(outdir):
    for i, n in enumerate(GMM_SIZES):
        rng = random.Random(20240 + i)
        x = []
        for _ in range(n):
            k = categorical(rng, GMM_WEIGHTS) - 1
            x.append(r4(rng.gauss(GMM_MEANS[k], GMM_SDS[k])))
        write(outdir, "gmm_N%d.json" % n, {"N": n, "x": x})


def copy_example(outdir, src, dst):
    with open(os.path.join(EXAMPLES, src)) as f:
        text = f.read()
    json.loads(text)  # must parse
    with open(os.path.join(outdir, dst), "w") as f:
        f.write(text)
    print("wrote", os.path.join(outdir, dst))


def hmm(outdir, T=1000):
    rng = random.Random(31337)
    K, M = len(HMM_A), len(HMM_B[0])
    z = categorical(rng, [1.0 / K] * K)
    y = []
    for t in range(T):
        if t > 0:
            z = categorical(rng, HMM_A[z - 1])
        y.append(categorical(rng, HMM_B[z - 1]))
    write(outdir, "hmm_T%d.json" % T, {"T": T, "K": K, "M": M, "y": y})


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(outdir, exist_ok=True)
    gmm(outdir)
    copy_example(outdir, "pumps.data.json", "pumps.json")
    copy_example(outdir, "eight_schools.data.json", "eight_schools.json")
    hmm(outdir)
    copy_example(outdir, "hmm.data.json", "hmm_small.json")


if __name__ == "__main__":
    main()
