#!/usr/bin/env python3
"""Exact-posterior tests of compiled Gibbs samplers (standard library only).

For each model in models/ with a closed-form posterior, build it with lvmc,
sample 4 chains with a fixed seed, and check that the posterior mean and the
second moment of each quantity are within 4 Monte Carlo standard errors of
the exact values (MCSE by batch means over 4 chains x 25 batches).  Also:
the same seed gives the same draws, whatever --threads; bad data stops the
run before any file is written.

usage: exact_posteriors.py LVMC MODELS_DIR WORK_DIR
Ends with the line "N passed, N failed".
"""
import csv
import math
import os
import subprocess
import sys

from checks import check, finish

lvmc, models, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)


def build(model):
    exe = os.path.join(work, model)
    r = subprocess.run([lvmc, "build", os.path.join(models, model + ".lvm"), "-o", exe],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        return None
    return exe


def sample(exe, model, out, seed=11, chains=4, warmup=500, iters=4000, threads=None, data=None):
    cmd = [exe, "sample", "--data", data or os.path.join(models, model + ".data.json"),
           "--chains", str(chains), "--warmup", str(warmup), "--iter", str(iters),
           "--seed", str(seed), "--out", out, "--quiet"]
    if threads:
        cmd += ["--threads", str(threads)]
    return subprocess.run(cmd, capture_output=True, text=True)


def read_chains(out, chains=4):
    res = []
    for c in range(1, chains + 1):
        path = out.replace(".csv", f"_{c}.csv") if chains > 1 else out
        with open(path) as f:
            rows = list(csv.reader(l for l in f if not l.startswith("#")))
        head = rows[0]
        res.append({h: [float(r[i]) for r in rows[1:]] for i, h in enumerate(head)})
    return res


def mean_mcse(chains, f):
    """Mean of f over all draws and its batch-means standard error."""
    batches = []
    for ch in chains:
        xs = f(ch)
        n = len(xs) // 25
        batches += [sum(xs[b * n:(b + 1) * n]) / n for b in range(25)]
    m = sum(batches) / len(batches)
    v = sum((b - m) ** 2 for b in batches) / (len(batches) - 1)
    return m, math.sqrt(v / len(batches))


def expect(name, chains, col, mean, var):
    """E[x] and E[x^2] within 4 MCSE of the exact values."""
    m1, s1 = mean_mcse(chains, lambda ch: ch[col])
    check(f"{name} E[{col}]", abs(m1 - mean) < 4 * s1,
          f"got {m1:.6g} +- {s1:.3g}, exact {mean:.6g}")
    m2, s2 = mean_mcse(chains, lambda ch: [x * x for x in ch[col]])
    ex2 = var + mean * mean
    check(f"{name} E[{col}^2]", abs(m2 - ex2) < 4 * s2,
          f"got {m2:.6g} +- {s2:.3g}, exact {ex2:.6g}")


def run(model):
    exe = build(model)
    check(f"{model} builds", exe is not None)
    if not exe:
        return None
    out = os.path.join(work, model + ".csv")
    r = sample(exe, model, out)
    check(f"{model} samples", r.returncode == 0, r.stderr[-500:])
    return read_chains(out) if r.returncode == 0 else None


# gamma-Poisson with exposures
ch = run("gamma_poisson")
if ch:
    t = [1.5, 2.0, 0.5, 3.0, 1.0, 2.5]
    y = [3, 5, 0, 7, 2, 4]
    a, b = 2.0 + sum(y), 1.0 + sum(t)
    expect("gamma_poisson", ch, "lambda", a / b, a / b ** 2)

# normal-normal with known precision
ch = run("normal_normal")
if ch:
    y = [0.3, -0.2, 0.9, 0.4, 0.1]
    prec = 1 / 4.0 + len(y) * 4.0
    expect("normal_normal", ch, "mu", (1.0 / 4.0 + 4.0 * sum(y)) / prec, 1 / prec)

# gamma prior on a normal precision
ch = run("normal_precision")
if ch:
    y = [0.1, 1.2, 0.4, -0.3, 0.9, 0.6, 1.5, 0.2]
    a = 3.0 + len(y) / 2
    b = 2.0 + sum((v - 0.5) ** 2 for v in y) / 2
    expect("normal_precision", ch, "tau", a / b, a / b ** 2)

# Dirichlet-categorical
ch = run("dirichlet_cat")
if ch:
    y = [1, 2, 2, 3, 1, 2, 2, 2, 3, 1, 2, 2]
    al = [1.5 + y.count(k) for k in (1, 2, 3)]
    a0 = sum(al)
    for k in range(3):
        expect("dirichlet_cat", ch, f"p.{k + 1}", al[k] / a0,
               al[k] * (a0 - al[k]) / (a0 ** 2 * (a0 + 1)))

# enumeration of a categorical
ch = run("enumerate")
if ch:
    w = [math.exp(-0.5 * (0.3 - (k - 2.0)) ** 2) for k in (1, 2, 3)]
    s = sum(w)
    for k in (1, 2, 3):
        pk = w[k - 1] / s
        m, se = mean_mcse(ch, lambda c, k=k: [1.0 if z == k else 0.0 for z in c["z"]])
        check(f"enumerate P(z={k})", abs(m - pk) < 4 * se, f"got {m:.5f} +- {se:.3g}, exact {pk:.5f}")

# slice sampling (no data: the prior)
ch = run("slice_lognormal")
if ch:
    mu, sd = 0.2, 0.5
    mean = math.exp(mu + sd * sd / 2)
    var = (math.exp(sd * sd) - 1) * math.exp(2 * mu + sd * sd)
    expect("slice_lognormal", ch, "x", mean, var)

# missing data: imputation, and p from the observed entries only
ch = run("beta_bernoulli_missing")
if ch:
    a, b = 2.0 + 6, 3.0 + 2
    expect("beta_bernoulli_missing", ch, "p", a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1)))
    m, se = mean_mcse(ch, lambda c: c["y.5"])
    check("beta_bernoulli_missing imputed y.5", abs(m - a / (a + b)) < 4 * se,
          f"got {m:.5f} +- {se:.3g}, exact {a / (a + b):.5f}")

# inverse gamma prior on a variance
ch = run("invgamma")
if ch:
    y = [0.4, -1.1, 0.7, 1.6, -0.2]
    a, b = 3.0 + len(y) / 2, 2.0 + sum(v * v for v in y) / 2
    expect("invgamma", ch, "v", b / (a - 1), b * b / ((a - 1) ** 2 * (a - 2)))

# a linear-Gaussian chain (coupled normal elements): exact posterior from
# the tridiagonal precision matrix
ch = run("kalman_small")
if ch:
    y = [0.5, 1.2, 0.3, -0.4, 0.9, 1.5]
    T, a, q, r = len(y), 0.8, 0.5, 0.7
    P = [[0.0] * T for _ in range(T)]
    b = [yt / r ** 2 for yt in y]
    P[0][0] += 1 / 4.0
    for t in range(T):
        P[t][t] += 1 / r ** 2
        if t > 0:
            P[t][t] += 1 / q ** 2
            P[t - 1][t - 1] += a * a / q ** 2
            P[t][t - 1] -= a / q ** 2
            P[t - 1][t] -= a / q ** 2
    # invert P by Gauss-Jordan elimination
    M = [row[:] + [1.0 if i == j else 0.0 for j in range(T)] for i, row in enumerate(P)]
    for i in range(T):
        piv = M[i][i]
        M[i] = [v / piv for v in M[i]]
        for j in range(T):
            if j != i:
                f = M[j][i]
                M[j] = [vj - f * vi for vj, vi in zip(M[j], M[i])]
    cov = [row[T:] for row in M]
    mean = [sum(cov[i][j] * b[j] for j in range(T)) for i in range(T)]
    for t in (0, 2, 5):
        expect("kalman_small", ch, f"x.{t + 1}", mean[t], cov[t][t])

def inv2(a):
    det = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    return [[a[1][1] / det, -a[0][1] / det], [-a[1][0] / det, a[0][0] / det]]


# multivariate normal mean with known precision L (MvNormal family):
# precision I + N L, mean (I + N L)^-1 L sum x
ch = run("mvn_known_prec")
if ch:
    L = [[2.0, 0.6], [0.6, 1.0]]
    xs = [[0.5, 1.2], [1.1, 0.4], [-0.3, 0.8], [0.9, 1.6]]
    P = [[(i == j) + len(xs) * L[i][j] for j in range(2)] for i in range(2)]
    C = inv2(P)
    sx = [sum(x[i] for x in xs) for i in range(2)]
    b = [sum(L[i][j] * sx[j] for j in range(2)) for i in range(2)]
    mean = [sum(C[i][j] * b[j] for j in range(2)) for i in range(2)]
    for i in range(2):
        expect("mvn_known_prec", ch, f"m.{i + 1}", mean[i], C[i][i])
    m, se = mean_mcse(ch, lambda c: [u * v for u, v in zip(c["m.1"], c["m.2"])])
    ex = C[0][1] + mean[0] * mean[1]
    check("mvn_known_prec E[m1 m2]", abs(m - ex) < 4 * se, f"got {m:.5f} +- {se:.3g}, exact {ex:.5f}")

# Wishart precision with known mean (Wishart family): Wishart(nu0 + N, S),
# S = (I + sum (x - mu)(x - mu)')^-1; E = nu S, Var_ij = nu (S_ij^2 + S_ii S_jj)
ch = run("wishart_known_mean")
if ch:
    mu = [0.2, -0.1]
    xs = [[0.5, 1.2], [1.1, 0.4], [-0.3, 0.8], [0.9, 1.6], [0.0, -0.7]]
    A = [[(i == j) + sum((x[i] - mu[i]) * (x[j] - mu[j]) for x in xs) for j in range(2)] for i in range(2)]
    S = inv2(A)
    nu = 4 + len(xs)
    for i, j in ((0, 0), (0, 1), (1, 1)):
        expect("wishart_known_mean", ch, f"Lambda.{i + 1}.{j + 1}", nu * S[i][j],
               nu * (S[i][j] ** 2 + S[i][i] * S[j][j]))

# a linear predictor X[n] * beta makes a vector coefficient multivariate
# normal: precision I + X'X / s^2, mean P^-1 X'y / s^2
ch = run("blr")
if ch:
    X = [[1, 0.3], [1, -1.2], [1, 0.8], [1, 2.0], [1, -0.4], [1, 1.1]]
    y = [1.1, -0.9, 1.6, 2.9, 0.2, 2.0]
    s2 = 0.25
    P = [[(i == j) + sum(r[i] * r[j] for r in X) / s2 for j in range(2)] for i in range(2)]
    C = inv2(P)
    b = [sum(r[i] * v for r, v in zip(X, y)) / s2 for i in range(2)]
    mean = [sum(C[i][j] * b[j] for j in range(2)) for i in range(2)]
    for i in range(2):
        expect("blr", ch, f"beta.{i + 1}", mean[i], C[i][i])

# pumps (BUGS Examples vol. 1): the published posterior means are Monte
# Carlo estimates themselves (WinBUGS, 10,000 iterations); their error is
# taken as 0.005 and combined with ours
ch = run("pumps")
if ch:
    for col, ref in (("alpha", 0.6951), ("beta", 0.9227), ("theta.1", 0.05979), ("theta.10", 1.984)):
        m, se = mean_mcse(ch, lambda c, col=col: c[col])
        tol = 4 * math.sqrt(se * se + 0.005 ** 2)
        check(f"pumps {col} vs BUGS", abs(m - ref) < tol, f"got {m:.4f} +- {se:.3g}, BUGS {ref}")

# determinism: the same seed gives the same draws, with 1 or 2 threads
exe = build("gamma_poisson")
if exe:
    outs = []
    for th in (1, 2, 1):
        out = os.path.join(work, f"det{len(outs)}.csv")
        sample(exe, "gamma_poisson", out, seed=5, chains=2, warmup=50, iters=200, threads=th)
        with open(out.replace(".csv", "_2.csv")) as f:
            outs.append([l for l in f if not l.startswith("#")])
    check("same seed, same draws", outs[0] == outs[2])
    check("same draws with 1 and 2 threads", outs[0] == outs[1])
    # bad data: exit 1, a message naming the variable, no file
    bad = os.path.join(work, "bad.json")
    with open(bad, "w") as f:
        f.write('{"N": 6, "t": [1.5, 2.0, 0.5, 3.0, 1.0, 2.5], "y": [3, 5, -1, 7, 2, 4]}')
    out = os.path.join(work, "bad.csv")
    r = sample(exe, "gamma_poisson", out, chains=1, data=bad)
    check("bad data stops before sampling", r.returncode == 1 and "y[3]" in r.stderr
          and not os.path.exists(out), r.stderr)

finish()
