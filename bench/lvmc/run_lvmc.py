#!/usr/bin/env python3
"""Run an lvmc-compiled model for the Gibbs benchmark and print one JSON line
in the schema of bench/jags/run_jags.R and bench/ref/gmm_gibbs.

usage: run_lvmc.py LVMC MODEL.lvm DATA.json ITER WARMUP CHAINS SEED [N]

compile_s: wall time of `lvmc build` (parse, analyse, generate C, cc -O2).
sec_per_1000_sweeps: warmup time per chain (the CSV comment "Elapsed Time
... (Warm-up)") per 1000 sweeps: sweeps with no output, as JAGS's update().
ESS: `lvmc summary` (ESS_bulk, the posterior package's definition) on the
draws of all chains; gmm draws are relabelled by the order of mu first, as
for JAGS and the C reference.  ESS/s divides by the total sampling time.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

lvmc, model_path, data, iters, warmup, chains, seed = sys.argv[1:8]
iters, warmup, chains = int(iters), int(warmup), int(chains)
model = os.path.basename(model_path)[:-4]
work = tempfile.mkdtemp(prefix="lvmc-bench-")
exe = os.path.join(work, model)
t0 = time.time()
subprocess.run([lvmc, "build", model_path, "-o", exe], check=True)
compile_s = time.time() - t0
out = os.path.join(work, "draws.csv")
# like JAGS's monitors and the C reference, write the parameters, not the
# per-data-point indicators
exclude = ["--exclude", "z"] if model in ("gmm", "hmm", "hmm_gaussian") else []
subprocess.run([exe, "sample", "--data", data, "--chains", str(chains), "--warmup", str(warmup),
                "--iter", str(iters), "--seed", str(seed), "--threads", "1", "--out", out, "--quiet"]
               + exclude, check=True)
files = [out.replace(".csv", f"_{c}.csv") for c in range(1, chains + 1)] if chains > 1 else [out]
warm_s = samp_s = 0.0
relabelled = []
for f in files:
    with open(f) as fh:
        lines = fh.read().splitlines()
    for l in lines:
        m = re.search(r"Elapsed Time:\s*([0-9.eE+-]+) seconds \(Warm-up\)", l)
        if m:
            warm_s += float(m.group(1))
        m = re.search(r"([0-9.eE+-]+) seconds \(Sampling\)", l)
        if m:
            samp_s += float(m.group(1))
    body = [l for l in lines if not l.startswith("#")]
    head = body[0].split(",")
    if model == "gmm":
        ix = {h: i for i, h in enumerate(head)}
        K = sum(1 for h in head if h.startswith("mu."))
        rows = []
        for l in body[1:]:
            v = l.split(",")
            order = sorted(range(K), key=lambda k: float(v[ix[f"mu.{k + 1}"]]))
            w = list(v)
            for name in ("mu", "tau", "pi"):
                for j, k in enumerate(order):
                    w[ix[f"{name}.{j + 1}"]] = v[ix[f"{name}.{k + 1}"]]
            rows.append(",".join(w))
        keep = [i for i, h in enumerate(head) if not h.startswith("z.")]
        body = [",".join(head[i] for i in keep)] + \
               [",".join(r.split(",")[i] for i in keep) for r in rows]
    elif model == "hmm":
        # states relabelled by their mean emitted symbol, as for JAGS
        ix = {h: i for i, h in enumerate(head)}
        K = sum(1 for h in head if h.startswith("A.") and h.endswith(".1"))
        M = sum(1 for h in head if h.startswith("B.1."))
        rows = []
        for l in body[1:]:
            v = l.split(",")
            key = [sum((m + 1) * float(v[ix[f"B.{k + 1}.{m + 1}"]]) for m in range(M)) for k in range(K)]
            order = sorted(range(K), key=lambda k: key[k])
            w = list(v)
            for i, pi in enumerate(order):
                for j, pj in enumerate(order):
                    w[ix[f"A.{i + 1}.{j + 1}"]] = v[ix[f"A.{pi + 1}.{pj + 1}"]]
                for m in range(M):
                    w[ix[f"B.{i + 1}.{m + 1}"]] = v[ix[f"B.{pi + 1}.{m + 1}"]]
            rows.append(",".join(w))
        body = [body[0]] + rows
    rf = f + ".relabelled.csv"
    with open(rf, "w") as fh:
        fh.write("\n".join(body) + "\n")
    relabelled.append(rf)
summ = subprocess.run([lvmc, "summary"] + relabelled, capture_output=True, text=True).stdout
ess, rhat, mean = {}, {}, {}
for l in summ.splitlines():
    p = l.split()
    if len(p) >= 10 and p[0] not in ("Mean",) and not p[0].startswith("z."):
        try:
            mean[p[0]] = float(p[1])
            ess[p[0]] = float(p[7])
            rhat[p[0]] = float(p[9])
        except ValueError:
            pass
ess.pop("lp__", None)
rhat.pop("lp__", None)
eps = {k: v / samp_s for k, v in ess.items()} if samp_s > 0 else {}
dd = json.load(open(data))
N = dd.get("N") or dd.get("T") or dd.get("J") or 0
spk = 1000 * warm_s / (chains * warmup) if warmup else None
print(json.dumps({"system": "lvmc", "model": model, "data": data, "N": N, "chains": chains, "warmup": warmup,
                  "iter": iters, "compile_s": compile_s,
                  "sec_per_1000_sweeps": spk,
                  "us_per_datum_per_sweep": spk * 1000 / N if spk and N else None,
                  "ess_per_sec": eps, "min_ess_per_sec": min(eps.values()) if eps else None,
                  "mean": mean, "rhat": rhat}))
