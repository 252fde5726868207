#!/usr/bin/env python3
"""Compile latency of lvmc, per example: the median wall time of

  lvmc build MODEL -o EXE --backend=llvm
  lvmc build MODEL -o EXE --backend=c
  lvmc run MODEL sample --data D --chains 1 --warmup 1 --iter 1   (start-up + one sweep)
  EXE sample ... (the same, with the LLVM-built executable: what start-up costs without compiling)

with --sampling, the sampling speed of the LLVM-built and the C-built
executables on the benchmark data sets (bench/data/gen_gmm.py: gmm N = 8000
and hmm T = 1000 with --exclude z, pumps, eight schools; median CPU time,
user + system, of `sample --chains 1`), and with --stan the time rstan's
stan_model() takes (stanc + the C++ build) for the equivalent Stan programs
in bench/stan/ (one run each: they take tens of seconds).
Prints markdown tables (and writes them to --out).

  bench/compile_latency.py [--lvmc build/compiler/lvmc] [--reps 5] [--sampling] [--stan]
                           [--out bench/results/compile_latency.md]
Run from the source root.  Not a test (timings are not checked).

Debian 12's r-cran-bh has no include/ directory (it relies on libboost-dev),
which rstan 2.21 looks for; --stan therefore runs R with a private library
path holding a copy of BH whose include/ points at /usr/include.
"""
import argparse
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from cpu_model import cpu_model


def wall(cmd, reps, cwd=None):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t = time.perf_counter() - t0
        if r.returncode != 0:
            return None, r.stderr.decode(errors="replace").strip().splitlines()[:1]
        times.append(t)
    return statistics.median(times), None


def cpu_time(cmd, reps):
    """Median user + system CPU time of the child (less noisy than wall time
    on a shared machine)."""
    times = []
    for _ in range(reps):
        r0 = os.times()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r1 = os.times()
        if r.returncode != 0:
            return None
        times.append((r1.children_user - r0.children_user) + (r1.children_system - r0.children_system))
    return statistics.median(times)


SAMPLING = [  # model, data set, warmup, iter, extra arguments
    ("gmm", "gmm_N8000.json", 100, 1000, ["--exclude", "z"]),
    ("hmm", "hmm_T1000.json", 100, 1000, ["--exclude", "z"]),
    ("pumps", "pumps.json", 1000, 20000, []),
    ("eight_schools", "eight_schools.json", 1000, 20000, []),
]


def sampling_table(lvmc, reps, tmp):
    subprocess.run([sys.executable, "bench/data/gen_gmm.py", tmp], check=True,
                   stdout=subprocess.DEVNULL)
    lines = ["| model, data | sweeps | LLVM-built (s CPU) | C-built (s CPU) | LLVM / C |",
             "| --- | --- | --- | --- | --- |"]
    for model, data, warmup, it, extra in SAMPLING:
        exe = {}
        for b in ("llvm", "c"):
            exe[b] = os.path.join(tmp, f"{model}-{b}")
            subprocess.run([lvmc, "build", f"examples/{model}.lvm", "-o", exe[b], f"--backend={b}"],
                           check=True)
        cmd = ["sample", "--data", os.path.join(tmp, data), "--chains", "1", "--warmup", str(warmup),
               "--iter", str(it), "--seed", "3", "--out", os.path.join(tmp, "s.csv"), "--quiet"] + extra
        t = {b: cpu_time([exe[b]] + cmd, reps) for b in ("llvm", "c")}
        ratio = t["llvm"] / t["c"] if t["llvm"] and t["c"] else None
        lines.append(f"| {model}, {data} {' '.join(extra)} | {warmup} + {it} | {fmt(t['llvm'])} | "
                     f"{fmt(t['c'])} | {'-' if ratio is None else f'{ratio:.2f}'} |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines) + "\n"


def stan_table(tmp):
    rlib = os.path.join(tmp, "rlib")
    os.makedirs(rlib, exist_ok=True)
    bh = "/usr/lib/R/site-library/BH"
    if os.path.isdir(bh) and not os.path.isdir(os.path.join(bh, "include")):
        shutil.copytree(bh, os.path.join(rlib, "BH"))
        os.symlink("/usr/include", os.path.join(rlib, "BH", "include"))
    env = dict(os.environ, R_LIBS=rlib)
    files = ["bench/stan/eight_schools.stan", "bench/stan/gmm.stan"]
    r = subprocess.run(["Rscript", "bench/stan/compile_time.R"] + files, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "rstan failed: " + (r.stderr.strip().splitlines() or ["?"])[-1] + "\n"
    lines = ["| Stan program | rstan::stan_model (stanc + C++ build), s |", "| --- | --- |"]
    for line in r.stdout.split("\n"):
        if line.strip():
            name, t = line.split()
            lines.append(f"| bench/stan/{name}.stan | {float(t):.1f} |")
    return "\n".join(lines) + "\n"


def fmt(t):
    return "-" if t is None else f"{t:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lvmc", default="build/compiler/lvmc")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sampling", action="store_true")
    ap.add_argument("--stan", action="store_true")
    ap.add_argument("--out", default="bench/results/compile_latency.md")
    a = ap.parse_args()
    lvmc = os.path.abspath(a.lvmc)
    tmp = tempfile.mkdtemp(prefix="lvmc-latency-")
    rows = []
    failed = []
    for model in sorted(glob.glob("examples/*.lvm")):
        name = os.path.basename(model)[:-4]
        data = model[:-4] + ".data.json"
        exe_l = os.path.join(tmp, name + "-llvm")
        exe_c = os.path.join(tmp, name + "-c")
        tl, err = wall([lvmc, "build", model, "-o", exe_l, "--backend=llvm"], a.reps)
        if tl is None:
            failed.append((name, err[0] if err else "?"))
            continue
        tc, _ = wall([lvmc, "build", model, "-o", exe_c, "--backend=c"], a.reps)
        one = ["sample", "--data", data, "--chains", "1", "--warmup", "1", "--iter", "1",
               "--out", os.path.join(tmp, "d.csv"), "--quiet"]
        tr, _ = wall([lvmc, "run", model] + one, a.reps)
        te, _ = wall([exe_l] + one, a.reps)
        row = [name, tl, tc, tr, te]
        rows.append(row)
        print(" ".join(str(x) for x in row), file=sys.stderr)
    head = ["model", "build llvm (s)", "build c (s)", "lvmc run, 1 sweep (s)", "EXE, 1 sweep (s)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = [r[0]] + [fmt(x) for x in r[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    cols = list(zip(*[r[1:] for r in rows]))
    med = ["**median**"] + [fmt(statistics.median([x for x in c if x is not None])) for c in cols]
    mx = ["**max**"] + [fmt(max([x for x in c if x is not None])) for c in cols]
    lines.append("| " + " | ".join(med) + " |")
    lines.append("| " + " | ".join(mx) + " |")
    note = (f"\nMedian of {a.reps} runs; {platform.machine()} {cpu_model()}, {os.cpu_count()} cores; "
            f"`{' '.join(sys.argv)}`.\n")
    if failed:
        note += "\nNot built (the code generator does not support them yet): " + \
            ", ".join(f"{n} ({e})" for n, e in failed) + ".\n"
    text = "\n".join(lines) + "\n" + note
    if a.sampling:
        text += "\nSampling speed, one chain, median of %d runs:\n\n" % a.reps + sampling_table(lvmc, a.reps, tmp)
    if a.stan:
        text += "\nStan (rstan %s):\n\n" % "2.21" + stan_table(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    if a.out:
        os.makedirs(os.path.dirname(a.out), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
