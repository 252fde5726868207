#!/usr/bin/env python3
"""Compile latency of lvmc, per example: the median wall time of

  lvmc build MODEL -o EXE --backend=llvm
  lvmc build MODEL -o EXE --backend=c
  lvmc run MODEL sample --data D --chains 1 --warmup 1 --iter 1   (start-up + one sweep)
  EXE sample ... (the same, with the LLVM-built executable: what start-up costs without compiling)

and, with --sampling, the sampling speed of the LLVM-built and the C-built
executables (median wall time of `sample --chains 1 --warmup W --iter N`).
Prints a markdown table (and writes it to --out).

  bench/compile_latency.py [--lvmc build/compiler/lvmc] [--reps 5] [--sampling]
                           [--out bench/results/compile_latency.md]
Run from the source root.  Not a test (timings are not checked).
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


def fmt(t):
    return "-" if t is None else f"{t:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lvmc", default="build/compiler/lvmc")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sampling", action="store_true")
    ap.add_argument("--sampling-iter", type=int, default=2000)
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
        if a.sampling:
            s = ["sample", "--data", data, "--chains", "1", "--warmup", "100", "--iter",
                 str(a.sampling_iter), "--seed", "3", "--out", os.path.join(tmp, "s.csv"), "--quiet"]
            sl, _ = wall([exe_l] + s, a.reps)
            sc, _ = wall([exe_c] + s, a.reps)
            row += [sl, sc, (sl / sc) if sl and sc else None]
        rows.append(row)
        print(" ".join(str(x) for x in row), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    head = ["model", "build llvm (s)", "build c (s)", "lvmc run, 1 sweep (s)", "EXE, 1 sweep (s)"]
    if a.sampling:
        head += [f"sample {a.sampling_iter} llvm (s)", f"sample c (s)", "llvm/c"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = [r[0]] + [fmt(x) if i < 7 else ("-" if x is None else f"{x:.2f}")
                          for i, x in enumerate(r[1:], start=1)]
        lines.append("| " + " | ".join(cells) + " |")
    cols = list(zip(*[r[1:] for r in rows]))
    med = ["**median**"] + [fmt(statistics.median([x for x in c if x is not None])) for c in cols]
    mx = ["**max**"] + [fmt(max([x for x in c if x is not None])) for c in cols]
    if a.sampling:
        med[-1] = f"{statistics.median([x for x in cols[-1] if x]):.2f}"
        mx[-1] = f"{max([x for x in cols[-1] if x]):.2f}"
    lines.append("| " + " | ".join(med) + " |")
    lines.append("| " + " | ".join(mx) + " |")
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    note = (f"\nMedian of {a.reps} runs; {platform.machine()} {cpu}, {os.cpu_count()} cores; "
            f"`{' '.join(sys.argv)}`.\n")
    if failed:
        note += "\nNot built (the code generator does not support them yet): " + \
            ", ".join(f"{n} ({e})" for n, e in failed) + ".\n"
    text = "\n".join(lines) + "\n" + note
    print(text)
    if a.out:
        os.makedirs(os.path.dirname(a.out), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
