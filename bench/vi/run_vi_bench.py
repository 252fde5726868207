#!/usr/bin/python3
"""The CAVI benchmark: lvmc `vi` vs BayesPy's VMP vs scikit-learn's
BayesianGaussianMixture on the same Gaussian-mixture data (N = 100,000,
K = 5; D = 1 and D = 2 with diagonal precision), each run to the same
relative ELBO tolerance (1e-8 by default).  Writes a Markdown report (and the
raw JSON lines) to bench/results/vi-DATE.md.

usage: run_vi_bench.py LVMC [--n N] [--tol T] [--repeat R] [--fast-repeat F] [--restarts S] [--tag T]
(--tag: results go to vi-DATE-T.md, so an earlier run of the day is kept;
--repeat: BayesPy's runs, default 3; --fast-repeat: lvmc's and sklearn's,
default 10: their runs take well under a second and this machine's speed
varies by tens of percent from run to run, so their best of 3 was noisy)

Times are CPU times (user + system; this machine is shared): lvmc's
whole process (reading the JSON data, fitting, writing its output, without
the z factor: --exclude z) from
getrusage of the child, and its fit alone (each restart's seeded start,
sweeps and ELBOs: the
wall-clock seconds the executable reports per restart, so under load it can
exceed the process's CPU time); BayesPy and sklearn in-process (time.process_time
around the fit only; the data already in numpy).  The best of --fast-repeat runs (BayesPy: --repeat).

Same model: lvmc and BayesPy fit the same model (bench/vi/gmm_diag.lvm:
Dirichlet(1) weights, Normal(0, sd 10) means and Gamma(1, 1) precisions per
component and dimension, mean field q(pi) q(mu) q(tau) q(z)), so their ELBOs
are the same quantity and are compared directly.  sklearn's
BayesianGaussianMixture(covariance_type='diag') has a Normal-Gamma prior
(the mean's precision proportional to the component's) and its own
lower bound without some constants, so its ELBO is not comparable: it gets
the same relative tolerance (sklearn's tol is absolute: tol * |ELBO|), the
closest priors (Dirichlet(1), mean_prior 0, mean_precision_prior 0.01,
Gamma(1, 1) precisions: degrees_of_freedom_prior 2, covariance_prior 2),
and the quality of its fit is reported as the average log likelihood of the
data under its posterior-mean parameters, next to the same number for
lvmc's posterior means.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time

# One BLAS thread for every system, as lvmc runs on one (set before numpy
# loads OpenBLAS): otherwise numpy's OpenBLAS threads, idle but spinning,
# add to sklearn's and BayesPy's CPU time (on 2 cores a 1-D sklearn fit, default priors, took
# 1.44 s of CPU and 0.73 s of wall time with its threads, 0.45 s with one).
# Set OPENBLAS_NUM_THREADS to choose otherwise; the report says which.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from cpu_model import cpu_model  # noqa: E402  (bench/cpu_model.py)

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("lvmc")
ap.add_argument("--n", type=int, default=100000)
ap.add_argument("--k", type=int, default=5)
ap.add_argument("--tol", type=float, default=1e-8)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--fast-repeat", type=int, default=10)
ap.add_argument("--restarts", type=int, default=5)
ap.add_argument("--work", default="/tmp/lvmc-vi-bench")
ap.add_argument("--tag", default="")
ap.add_argument("--out", default=os.path.join(here, "..", "results"))
args = ap.parse_args()
os.makedirs(args.work, exist_ok=True)


def loglik(x, w, mu, prec):
    """average log likelihood of x (N x D) under the mixture (w, mu, prec)"""
    lp = (np.log(w)[None, :] + 0.5 * np.sum(np.log(prec), 1)[None, :] - 0.5 * x.shape[1] * np.log(2 * np.pi)
          - 0.5 * np.sum(prec[None] * (x[:, None, :] - mu[None]) ** 2, 2))
    m = lp.max(1, keepdims=True)
    return float(np.mean(m[:, 0] + np.log(np.exp(lp - m).sum(1))))


def run_lvmc(data, x, D):
    exe = os.path.join(args.work, f"gmm_diag_{D}")
    subprocess.run([args.lvmc, "build", os.path.join(here, "gmm_diag.lvm"), "--data", data, "-o", exe], check=True)
    best = None
    for _ in range(args.fast_repeat):
        out = exe + "_vi.json"
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([exe, "vi", "--data", data, "--tol", str(args.tol), "--restarts", str(args.restarts),
                            "--max-iter", "100000", "--exclude", "z", "--out", out], check=True, capture_output=True, text=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        fit = sum(float(line.split("(")[1].split(" s)")[0]) for line in p.stderr.splitlines()
                  if "restart" in line and " s)" in line)
        if best is None or cpu < best["cpu"]:
            with open(out) as f:
                res = json.load(f)
            v = res["variables"]
            K = len(v["pi"]["mean"])
            mu = np.asarray(v["mu"]["mean"]).reshape(K, D)
            prec = np.asarray(v["tau"]["mean"]).reshape(K, D)
            best = {"system": "lvmc vi", "D": D, "cpu": cpu, "fit": fit, "elbo": res["elbo"],
                    "iterations": sum(q["iterations"] for q in res["restarts"]), "converged": res["converged"],
                    "loglik": loglik(x, np.asarray(v["pi"]["mean"]), mu, prec)}
    return best


def run_bayespy(x, D, K):
    """--restarts random starts (z from random), the best ELBO kept; the
    time is that of all of them"""
    from bayespy.inference import VB
    from bayespy.nodes import Categorical, Dirichlet, Gamma, GaussianARD, Mixture
    N = x.shape[0]
    best = None
    for rep in range(args.repeat):
        np.random.seed(rep)
        t0 = time.process_time()
        fit, iters = None, 0
        for _ in range(args.restarts):
            pi = Dirichlet(np.ones(K))
            z = Categorical(pi, plates=(N,))
            # diagonal precision: one scalar mixture per dimension, sharing z
            mu = [GaussianARD(0, 0.01, plates=(K,)) for _ in range(D)]
            tau = [Gamma(1, 1, plates=(K,)) for _ in range(D)]
            X = [Mixture(z, GaussianARD, mu[d], tau[d]) for d in range(D)]
            for d in range(D):
                X[d].observe(x[:, d])
            z.initialize_from_random()
            Q = VB(*X, pi, *mu, *tau, z)
            # BayesPy's tol is on the relative change of the ELBO, like lvmc's
            Q.update(repeat=100000, tol=args.tol, verbose=False)
            iters += int(Q.iter)
            L = float(Q.compute_lowerbound())
            if fit is None or L > fit[0]:
                alpha = pi.phi[0]
                fit = (L, alpha / alpha.sum(), np.stack([m.get_moments()[0] for m in mu], 1),
                       np.stack([t.get_moments()[0] for t in tau], 1))
        cpu = time.process_time() - t0
        if best is None or cpu < best["cpu"]:
            best = {"system": "BayesPy VMP", "D": D, "cpu": cpu, "fit": cpu, "elbo": fit[0], "iterations": iters,
                    "converged": True, "loglik": loglik(x, *fit[1:])}
    return best


def run_sklearn(x, D, K, elbo_scale):
    """n_init = --restarts (k-means initialisation, sklearn's default)"""
    from sklearn.mixture import BayesianGaussianMixture
    best = None
    for rep in range(args.fast_repeat):
        t0 = time.process_time()
        g = BayesianGaussianMixture(n_components=K, covariance_type="diag", tol=args.tol * elbo_scale,
                                    max_iter=100000, n_init=args.restarts,
                                    weight_concentration_prior_type="dirichlet_distribution",
                                    weight_concentration_prior=1.0, mean_prior=np.zeros(D),
                                    mean_precision_prior=0.01, degrees_of_freedom_prior=2.0,
                                    covariance_prior=np.full(D, 2.0), random_state=rep)
        g.fit(x)
        cpu = time.process_time() - t0
        if best is None or cpu < best["cpu"]:
            best = {"system": "sklearn BayesianGaussianMixture", "D": D, "cpu": cpu, "fit": cpu,
                    "elbo": float(g.lower_bound_), "iterations": int(g.n_iter_), "converged": bool(g.converged_),
                    "loglik": loglik(x, g.weights_, g.means_, g.precisions_)}
    return best


def ratio(other, lv):
    """other's CPU time over lvmc's, and over lvmc's fit time (which the
    executable reports to 0.001 s per restart: a tiny run can report 0)"""
    fit = f"{other['cpu'] / lv['fit']:.2g}×" if lv["fit"] > 0 else "—"
    return f"{other['cpu'] / lv['cpu']:.2g}× (fit {fit})"


def machine():
    return f"{cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}, load {os.getloadavg()[0]:.2f}"


def main():
    import bayespy
    import sklearn
    rows = []
    head = [f"machine: {machine()}",
            f"python {platform.python_version()}, numpy {np.__version__}, BayesPy {bayespy.__version__}, "
            f"scikit-learn {sklearn.__version__}",
            f"lvmc commit {subprocess.run(['git', '-C', here, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}",
            f"command: {' '.join(sys.argv)}",
            f"BLAS threads: OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']} "
            f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} (every system)"]
    for D in (1, 2):
        data = os.path.join(args.work, f"gmm_{D}d.json")
        subprocess.run([sys.executable, os.path.join(here, "gen_data.py"), str(args.n), str(D), str(args.k), "1", data],
                       check=True)
        with open(data) as f:
            x = np.asarray(json.load(f)["x"], dtype=float).reshape(args.n, D)
        a = run_lvmc(data, x, D)
        b = run_bayespy(x, D, args.k)
        c = run_sklearn(x, D, args.k, abs(a["elbo"]))
        for r in (a, b, c):
            print(json.dumps(r), flush=True)
            rows.append(r)
    head.append(f"load after: {os.getloadavg()[0]:.2f}")
    day = datetime.date.today().isoformat() + (f"-{args.tag}" if args.tag else "")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"vi-{day}.raw"), "w") as f:
        f.write("\n".join(head) + "\n" + "\n".join(json.dumps(r) for r in rows) + "\n")
    lines = [f"# CAVI benchmark, {day}", ""] + [f"- {h}" for h in head] + [
        "", f"N = {args.n}, K = {args.k}, relative ELBO tolerance {args.tol}, {args.restarts} restarts (iterations: "
        f"their total, after the start; sklearn: of the best, after its k-means start); CPU seconds, best of "
        f"{args.fast_repeat} runs (BayesPy: {args.repeat}). Fit times include the starts (lvmc: the seeded start, 8 vi_seed evaluations "
        f"and a sweep per restart for K = 5; sklearn: k-means), so ms / iteration is fit time / iterations.",
        "", "| D | system | CPU s (process) | s (fit) | iterations | ms / iteration | ELBO | avg log lik | BayesPy ÷ lvmc | sklearn ÷ lvmc |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for D in (1, 2):
        rs = [r for r in rows if r["D"] == D]
        lv = rs[0]
        for r in rs:
            elbo = f"{r['elbo']:.6f}" if not r["system"].startswith("sklearn") else f"({r['elbo']:.1f}, own bound)"
            ratio_b = ratio(rs[1], lv) if r is lv else ""
            ratio_s = ratio(rs[2], lv) if r is lv else ""
            lines.append(f"| {D} | {r['system']} | {r['cpu']:.3f} | {r['fit']:.3f} | {r['iterations']} | "
                         f"{1000 * r['fit'] / max(r['iterations'], 1):.1f} | {elbo} | {r['loglik']:.6f} | "
                         f"{ratio_b} | {ratio_s} |")
    with open(os.path.join(args.out, f"vi-{day}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


main()
