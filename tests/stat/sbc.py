#!/usr/bin/env python3
"""Simulation-based calibration (Talts et al. 2018) of compiled samplers,
one model per update kind (standard library only).

For replicate s = 1..S: `EXE simulate --seed s` draws every variable from
the prior; the true value of the checked parameter is kept and the latent
variables are removed from the data; `EXE sample` (1 chain, thinned to L
nearly independent draws) gives the posterior draws; the rank of the true
value among them is uniform on 0..L if the sampler is right.  The ranks of
S replicates are binned (B bins) and tested with a chi-square test at
level 1e-3 (fixed seeds: a pass is reproducible, and a failure is not a
tolerance to widen).

usage: sbc.py LVMC SBC_DIR WORK_DIR [S]
"""
import json
import math
import os
import subprocess
import sys

lvmc, sbc_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]
S = int(sys.argv[4]) if len(sys.argv) > 4 else 200
L, THIN, WARMUP, B = 99, 4, 200, 10
os.makedirs(work, exist_ok=True)

# model -> (parameter column, data variable name of it, latent variables to drop)
CASES = {
    "normal_gamma": [("mu", ["mu", "tau"]), ("tau", ["mu", "tau"])],
    "beta_bernoulli": [("p", ["p"])],
    "dirichlet": [("p.1", ["p"])],
    "mixture": [("w", ["w", "z"])],
    "slice_shape": [("alpha", ["alpha"])],
    "invgamma": [("v", ["v"])],
    "chain": [("x.2", ["x"]), ("x.4", ["x"])],
    "mvn_wishart": [("m.1", ["m", "Lambda"]), ("Lambda.1.2", ["m", "Lambda"]),
                    ("Lambda.2.2", ["m", "Lambda"])],
    "logistic_vec": [("beta.1", ["beta"]), ("beta.2", ["beta"])],
}


def chi2_sf(x, k):
    """Upper tail of the chi-square distribution with k (even or odd) dof."""
    # regularised upper incomplete gamma Q(k/2, x/2) by series/continued fraction
    a, z = k / 2.0, x / 2.0
    if z < a + 1:
        term = s = 1.0 / a
        n = 1
        while abs(term) > 1e-15 * abs(s):
            term *= z / (a + n)
            s += term
            n += 1
        return 1.0 - s * math.exp(-z + a * math.log(z) - math.lgamma(a))
    b, c, d = z + 1 - a, 1e300, 1.0 / (z + 1 - a)
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(-z + a * math.log(z) - math.lgamma(a)) * h


def flat_value(data, col):
    name, *idx = col.split(".")
    v = data[name]
    for i in idx:
        v = v[int(i) - 1]
    return v


passed = failed = 0
for model, checks in CASES.items():
    exe = os.path.join(work, model)
    r = subprocess.run([lvmc, "build", os.path.join(sbc_dir, model + ".lvm"), "-o", exe],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL {model}: build\n{r.stderr}")
        failed += len(checks)
        continue
    ranks = {col: [] for col, _ in checks}
    ok = True
    for s in range(1, S + 1):
        sim = os.path.join(work, f"{model}_sim.json")
        r = subprocess.run([exe, "simulate", "--seed", str(s), "--out", sim, "--quiet"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {model}: simulate {s}\n{r.stderr}")
            ok = False
            break
        with open(sim) as f:
            data = json.load(f)
        truth = {col: flat_value(data, col) for col, _ in checks}
        for _, drop in checks:
            for name in drop:
                data.pop(name, None)
        dfile = os.path.join(work, f"{model}_data.json")
        with open(dfile, "w") as f:
            json.dump(data, f)
        out = os.path.join(work, f"{model}_draws.csv")
        r = subprocess.run([exe, "sample", "--data", dfile, "--chains", "1", "--warmup", str(WARMUP),
                            "--iter", str(L * THIN), "--thin", str(THIN), "--seed", str(1000 + s),
                            "--out", out, "--quiet"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {model}: sample {s}\n{r.stderr}")
            ok = False
            break
        with open(out) as f:
            lines = [l.rstrip("\n").split(",") for l in f if not l.startswith("#")]
        head, rows = lines[0], lines[1:]
        for col in ranks:
            j = head.index(col)
            ranks[col].append(sum(1 for row in rows if float(row[j]) < truth[col]))
    for col, rk in ranks.items():
        if not ok:
            failed += 1
            continue
        counts = [0] * B
        for x in rk:
            counts[min(B - 1, x * B // (L + 1))] += 1
        e = len(rk) / B
        chi2 = sum((c - e) ** 2 / e for c in counts)
        p = chi2_sf(chi2, B - 1)
        good = p > 1e-3
        print(f"{'ok  ' if good else 'FAIL'} {model} {col}: {len(rk)} replicates, rank histogram "
              f"{counts}, chi2 = {chi2:.1f}, p = {p:.3g}")
        passed += good
        failed += not good

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
