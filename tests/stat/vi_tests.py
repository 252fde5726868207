#!/usr/bin/env python3
"""Tests of the compiled CAVI (`EXE vi`), standard library only.

1. One-variable conjugate models: the mean-field family is the exact
   posterior's, so one sweep gives it: the factor's parameters equal the
   closed-form posterior's, and the ELBO equals the log evidence
   (log p(y) = log p(y, x) - log p(x | y) at any x), to 1e-10 relative.
2. Every example (and test model) that vi supports: the ELBO trace
   (--trace) never decreases beyond rounding (relative 1e-10), the run
   converges, and at the optimum (--tol 1e-15) the ELBO's gradient in every
   natural parameter of every factor vanishes (--check-grad, central
   differences): below 1e-4, while after 2 sweeps it does not (the check can
   fail).  The models vi does not support fail with a message naming the
   variable.
3. The seeded start finds gmm's best optimum from most single restarts;
   --exclude leaves a factor out of the JSON.

usage: vi_tests.py LVMC EXAMPLES_DIR MODELS_DIR WORK_DIR
Ends with the line "N passed, N failed".
"""
import csv
import json
import math
import os
import random
import subprocess
import sys

from checks import check, finish

lvmc, examples, models, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)

# vi supports these (a regression makes the test fail) ...
SUPPORTED = ["beta_binomial", "dirichlet_categorical", "eight_schools", "factor_analysis", "gmm", "hmm",
             "hmm_gaussian", "ising", "kalman", "lda", "linreg", "missing_data",
             "beta_bernoulli_missing", "dirichlet_cat", "enumerate", "gamma_poisson", "invgamma",
             "kalman_small", "normal_normal", "normal_precision", "mvn_known_prec", "blr",
             "wishart_known_mean", "mvn_wishart", "gmm_full"]
# ... and says clearly why not for these (the variable named)
UNSUPPORTED = {"pumps": "'alpha'", "poisson_regression": "'a'", "slice_lognormal": "'x'"}


def where(model):
    for d in (examples, models):
        if os.path.exists(os.path.join(d, model + ".lvm")):
            return os.path.join(d, model + ".lvm"), os.path.join(d, model + ".data.json")
    raise FileNotFoundError(model)


def build(model):
    src, data = where(model)
    exe = os.path.join(work, model)
    r = subprocess.run([lvmc, "build", src, "--data", data, "-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        return None, data
    return exe, data


def vi(exe, data, *extra):
    out = exe + "_vi.json"
    trace = exe + "_elbo.csv"
    r = subprocess.run([exe, "vi", "--data", data, "--out", out, "--trace", trace, "--quiet", *extra],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return r, None, None
    with open(out) as f:
        res = json.load(f)
    with open(trace) as f:
        rows = list(csv.DictReader(f))
    return r, res, rows


def close(a, b, rel=1e-10):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def lgamma(x):
    return math.lgamma(x)


def digamma_free_gamma_lpdf(x, a, b):
    return a * math.log(b) - lgamma(a) + (a - 1) * math.log(x) - b * x


# ---- 1. exact posteriors ---------------------------------------------------

def data_of(model):
    with open(where(model)[1]) as f:
        return json.load(f)


def exact_gamma_poisson():
    d = data_of("gamma_poisson")
    y, t = d["y"], d["t"]
    a, b = 2.0 + sum(y), 1.0 + sum(t)
    lam = a / b
    lj = digamma_free_gamma_lpdf(lam, 2.0, 1.0) + sum(
        yi * math.log(lam * ti) - lam * ti - lgamma(yi + 1) for yi, ti in zip(y, t))
    return "lambda", {"shape": a, "rate": b}, lj - digamma_free_gamma_lpdf(lam, a, b)


def normal_lpdf(x, m, prec):
    return 0.5 * math.log(prec / (2 * math.pi)) - 0.5 * prec * (x - m) ** 2


def exact_normal_normal():
    y = data_of("normal_normal")["y"]
    prec = 1 / 4 + 4 * len(y)
    m = (1.0 / 4 + 4 * sum(y)) / prec
    lj = normal_lpdf(m, 1.0, 0.25) + sum(normal_lpdf(v, m, 4.0) for v in y)
    return "mu", {"mean": m, "sd": 1 / math.sqrt(prec)}, lj - normal_lpdf(m, m, prec)


def exact_normal_precision():
    y = data_of("normal_precision")["y"]
    a, b = 3.0 + len(y) / 2, 2.0 + sum((v - 0.5) ** 2 for v in y) / 2
    tau = a / b
    lj = digamma_free_gamma_lpdf(tau, 3.0, 2.0) + sum(normal_lpdf(v, 0.5, tau) for v in y)
    return "tau", {"shape": a, "rate": b}, lj - digamma_free_gamma_lpdf(tau, a, b)


def exact_invgamma():
    y = data_of("invgamma")["y"]
    a, s = 3.0 + len(y) / 2, 2.0 + sum(v * v for v in y) / 2

    def lpdf(x, a_, s_):
        return a_ * math.log(s_) - lgamma(a_) - (a_ + 1) * math.log(x) - s_ / x
    v = s / (a + 1)
    lj = lpdf(v, 3.0, 2.0) + sum(normal_lpdf(t, 0.0, 1 / v) for t in y)
    return "v", {"shape": a, "scale": s}, lj - lpdf(v, a, s)


def dirichlet_lpdf(x, al):
    return lgamma(sum(al)) - sum(lgamma(a) for a in al) + sum((a - 1) * math.log(p) for a, p in zip(al, x))


def exact_dirichlet_cat():
    y = data_of("dirichlet_cat")["y"]
    al = [1.5 + sum(1 for v in y if v == k) for k in (1, 2, 3)]
    p = [a / sum(al) for a in al]
    lj = dirichlet_lpdf(p, [1.5] * 3) + sum(math.log(p[v - 1]) for v in y)
    return "p", {"concentration": al}, lj - dirichlet_lpdf(p, al)


def exact_beta_binomial():
    d = data_of("beta_binomial")
    a0, b0 = d.get("a", 1.0), d.get("b", 1.0)
    a = [a0 + y for y in d["y"]]
    b = [b0 + n - y for n, y in zip(d["n"], d["y"])]
    ev = 0.0
    for n, y, ai, bi in zip(d["n"], d["y"], a, b):
        lchoose = lgamma(n + 1) - lgamma(y + 1) - lgamma(n - y + 1)
        lbeta = lambda u, v: lgamma(u) + lgamma(v) - lgamma(u + v)
        ev += lchoose + lbeta(ai, bi) - lbeta(a0, b0)
    return "p", {"a": a, "b": b}, ev


# small dense linear algebra (lists of rows), for the MvNormal posteriors

def mat_inv_logdet(A):
    """(A^-1, log det A) of a positive definite A, by Gauss-Jordan elimination."""
    n = len(A)
    M = [list(map(float, r)) + [1.0 if i == j else 0.0 for j in range(n)] for i, r in enumerate(A)]
    ld = 0.0
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        piv = M[c][c]
        ld += math.log(piv)
        M[c] = [v / piv for v in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0.0:
                f = M[r][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return [r[n:] for r in M], ld


def matvec(A, x):
    return [sum(a * b for a, b in zip(r, x)) for r in A]


def mvn_prec_lpdf(x, m, P):
    d = [a - b for a, b in zip(x, m)]
    _, ld = mat_inv_logdet(P)
    return 0.5 * ld - 0.5 * len(x) * math.log(2 * math.pi) - 0.5 * sum(a * b for a, b in zip(d, matvec(P, d)))


def exact_mvn_known_prec():
    """m ~ MvNormalPrec(0, I), x[n] ~ MvNormalPrec(m, L): precision I + N L, mean P^-1 L sum x."""
    d = data_of("mvn_known_prec")
    L, x, D = d["L"], d["x"], d["D"]
    P = [[(1.0 if i == j else 0.0) + len(x) * L[i][j] for j in range(D)] for i in range(D)]
    S, _ = mat_inv_logdet(P)
    m = matvec(S, matvec(L, [sum(v[i] for v in x) for i in range(D)]))
    I = [[1.0 if i == j else 0.0 for j in range(D)] for i in range(D)]
    lj = mvn_prec_lpdf(m, [0.0] * D, I) + sum(mvn_prec_lpdf(v, m, L) for v in x)
    sd = [math.sqrt(S[i][i]) for i in range(D)]
    return "m", {"mean": m, "sd": sd, "covariance": S}, lj - mvn_prec_lpdf(m, m, P)


def exact_blr():
    """beta ~ MvNormalPrec(0, I), y[n] ~ Normal(X[n] . beta, s): precision I + X'X / s^2, mean P^-1 X'y / s^2."""
    d = data_of("blr")
    X, y, D, s = d["X"], d["y"], d["D"], 0.5
    P = [[(1.0 if i == j else 0.0) + sum(r[i] * r[j] for r in X) / s ** 2 for j in range(D)] for i in range(D)]
    S, _ = mat_inv_logdet(P)
    b = matvec(S, [sum(r[i] * v for r, v in zip(X, y)) / s ** 2 for i in range(D)])
    I = [[1.0 if i == j else 0.0 for j in range(D)] for i in range(D)]
    lj = mvn_prec_lpdf(b, [0.0] * D, I) + sum(
        normal_lpdf(v, sum(a * c for a, c in zip(r, b)), 1 / s ** 2) for r, v in zip(X, y))
    sd = [math.sqrt(S[i][i]) for i in range(D)]
    return "beta", {"mean": b, "sd": sd, "covariance": S}, lj - mvn_prec_lpdf(b, b, P)


def lmgamma(D, a):
    return D * (D - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a + (1 - i) / 2) for i in range(1, D + 1))


def wishart_lpdf(X, nu, S):
    """log Wishart(X | nu, S) (E[X] = nu S)"""
    D = len(X)
    Si, ldS = mat_inv_logdet(S)
    _, ldX = mat_inv_logdet(X)
    tr = sum(Si[i][j] * X[j][i] for i in range(D) for j in range(D))
    return (0.5 * (nu - D - 1) * ldX - 0.5 * tr - 0.5 * nu * D * math.log(2) - 0.5 * nu * ldS
            - lmgamma(D, 0.5 * nu))


def exact_wishart_known_mean():
    """Lambda ~ Wishart(4, I), x[n] ~ MvNormalPrec(mu, Lambda): Wishart(4 + N, (I + sum d d')^-1), d = x - mu."""
    d = data_of("wishart_known_mean")
    x, mu, D = d["x"], d["mu"], d["D"]
    nu = 4 + len(x)
    Sinv = [[(1.0 if i == j else 0.0) + sum((v[i] - mu[i]) * (v[j] - mu[j]) for v in x) for j in range(D)]
            for i in range(D)]
    S, _ = mat_inv_logdet(Sinv)
    I = [[1.0 if i == j else 0.0 for j in range(D)] for i in range(D)]
    L = [[nu * S[i][j] for j in range(D)] for i in range(D)]  # the posterior mean, where both are evaluated
    lj = wishart_lpdf(L, 4, I) + sum(mvn_prec_lpdf(v, mu, L) for v in x)
    mean = L
    sd = [[math.sqrt(nu * (S[i][j] ** 2 + S[i][i] * S[j][j])) for j in range(D)] for i in range(D)]
    return "Lambda", {"df": nu, "scale": S, "mean": mean, "sd": sd}, lj - wishart_lpdf(L, nu, S)


EXACT = {"gamma_poisson": exact_gamma_poisson, "normal_normal": exact_normal_normal,
         "normal_precision": exact_normal_precision, "invgamma": exact_invgamma,
         "dirichlet_cat": exact_dirichlet_cat, "beta_binomial": exact_beta_binomial,
         "mvn_known_prec": exact_mvn_known_prec, "blr": exact_blr,
         "wishart_known_mean": exact_wishart_known_mean}


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [v]


for model, fn in EXACT.items():
    exe, data = build(model)
    check(f"{model} builds", exe is not None)
    if not exe:
        continue
    r, res, rows = vi(exe, data)
    check(f"{model} vi runs", res is not None, r.stderr)
    if res is None:
        continue
    var, params, log_evidence = fn()
    got = res["variables"][var]
    for k, want in params.items():
        g, w = flat(got[k]), flat(want)
        ok = len(g) == len(w) and all(close(a, b) for a, b in zip(g, w))
        check(f"{model} exact {var}.{k}", ok, f"got {g} want {w}")
    check(f"{model} ELBO = log evidence", close(res["elbo"], log_evidence),
          f"ELBO {res['elbo']!r} log evidence {log_evidence!r}")

# ---- 2. every supported example: monotone ELBO, vanishing gradient ----------

for model in SUPPORTED:
    exe, data = build(model)
    check(f"{model} builds", exe is not None)
    if not exe:
        continue
    r, res, rows = vi(exe, data, "--restarts", "2", "--max-iter", "5000")
    check(f"{model} vi runs", res is not None, r.stderr)
    if res is None:
        continue
    check(f"{model} converges", res["converged"], f"after {res['iterations']} iterations")
    bad = []
    for a, b in zip(rows, rows[1:]):
        if a["restart"] == b["restart"]:
            e0, e1 = float(a["elbo"]), float(b["elbo"])
            if e1 < e0 - 1e-10 * abs(e0):
                bad.append((b["restart"], b["iteration"], e0, e1))
    check(f"{model} ELBO non-decreasing ({len(rows)} iterations)", not bad, str(bad[:3]))
    best = max(float(x["elbo"]) for x in rows if int(x["iteration"]) == max(
        int(y["iteration"]) for y in rows if y["restart"] == x["restart"]))
    check(f"{model} best restart kept", res["elbo"] == best, f"{res['elbo']} vs {best}")
    r, res, _ = vi(exe, data, "--tol", "1e-15", "--max-iter", "20000", "--check-grad")
    check(f"{model} gradient check runs", res is not None, r.stderr)
    if res is not None:
        check(f"{model} gradient vanishes at the optimum", res["gradient_max_abs"] < 1e-4,
              f"{res['gradient_max_abs']} at {res['gradient_max_at']}")

# the check can fail: after 2 sweeps of a model that needs more, the gradient is large
for model in ("gmm", "factor_analysis", "eight_schools"):
    exe, data = build(model)
    r, res, _ = vi(exe, data, "--max-iter", "2", "--check-grad")
    check(f"{model} gradient not small before convergence", res is not None and res["gradient_max_abs"] > 1e-2,
          str(res and res["gradient_max_abs"]))

# the written factors are the best restart's: every restart runs in one
# state, the best one's factors are saved and put back (--check-grad keeps
# the best restart's whole state instead); the same output either way, also
# when the best restart is not the last (the check would fail if the last
# restart's factors were written)
for model in ("gmm_full", "lda", "factor_analysis"):
    exe, data = build(model)
    not_last, same = 0, []
    for seed in ("1", "2", "3", "4"):
        _, a, _ = vi(exe, data, "--seed", seed, "--restarts", "4", "--max-iter", "5000")
        _, b, _ = vi(exe, data, "--seed", seed, "--restarts", "4", "--max-iter", "5000", "--check-grad")
        if a is None or b is None:
            same.append(False)
            continue
        not_last += a["restart"] != 4
        same.append(a["variables"] == b["variables"])
    check(f"{model}: the best of 4 restarts written (best not last in {not_last} of 4 seeds)",
          all(same) and not_last > 0, str(same))

for model, name in UNSUPPORTED.items():
    exe, data = build(model)
    r, res, _ = vi(exe, data)
    check(f"{model} vi refused", r.returncode == 1 and name in r.stderr and "not conjugate" in r.stderr,
          r.stderr)

# a function of a sum over discrete elements (depnet's logistic conditionals):
# refused, naming the sum, not with an internal message
exe, data = build("depnet")
r, res, _ = vi(exe, data)
check("depnet vi refused", r.returncode == 1 and "has no closed form" in r.stderr and "'x[j]'" in r.stderr
      and "cannot be evaluated" not in r.stderr, r.stderr)

# ---- 3. the seeded start and --exclude --------------------------------------

# the data-driven start (K discrete elements seeded, one per value): single
# restarts of gmm reach the best optimum (ELBO -392.2308) from 19 of 20 seeds;
# from prior draws (the start before it) 10 of 20 did
exe, data = build("gmm")
elbos = []
for seed in range(1, 21):
    r, res, _ = vi(exe, data, "--seed", str(seed))
    elbos.append(res["elbo"] if res else None)
best = max(e for e in elbos if e is not None)
hits = sum(e is not None and e > best - 1e-6 * abs(best) for e in elbos)
check(f"gmm seeded start: >= 17 of 20 single restarts reach the best optimum ({hits})", hits >= 17, str(elbos))
# the greedy k-means++ seeding on 8 well-separated 1-D clusters (centres 10
# apart, sds 0.5 .. 1.5, unequal weights): plain k-means++ seeds reached the
# best optimum from 15 of these 20 single restarts, the greedy ones from 20.
# With N = 40,000 the seeding looks at a sample of 4,096 of the rows
# (docs/inference.md); it reached the best optimum from 20 of 20 too.
def separated8(n, name):
    rng = random.Random(7)
    K8 = 8
    centres8 = [10.0 * (k - (K8 - 1) / 2) for k in range(K8)]
    rng.shuffle(centres8)
    sds8 = [rng.uniform(0.5, 1.5) for _ in range(K8)]
    w8 = [rng.gammavariate(5, 1) for _ in range(K8)]
    x8 = []
    for _ in range(n):
        k = rng.choices(range(K8), weights=w8)[0]
        x8.append(rng.gauss(centres8[k], sds8[k]))
    data8 = os.path.join(work, name + ".data.json")
    with open(data8, "w") as f:
        json.dump({"N": len(x8), "K": K8, "x": x8}, f)
    exe8 = os.path.join(work, name)
    subprocess.run([lvmc, "build", where("gmm")[0], "--data", data8, "-o", exe8], capture_output=True, text=True)
    elbos8 = []
    for seed in range(1, 21):
        _, res, _ = vi(exe8, data8, "--seed", str(seed), "--exclude", "z")
        elbos8.append(res["elbo"] if res else None)
    best8 = max((e for e in elbos8 if e is not None), default=None)
    hits8 = sum(e is not None and e > best8 - 1e-6 * abs(best8) for e in elbos8)
    check(f"8 separated clusters, N = {n}: >= 19 of 20 single restarts reach the best optimum ({hits8})",
          hits8 >= 19, str(elbos8))


# The seeding's evaluations recompute the accumulated statistics over the
# rows that weigh something only, and vi_seed visits the sampled rows only
# (the row list, docs/inference.md): the same output, to the byte, as over
# every row (LVM_VI_NO_ROW_LIST), on a mixture with some z given by the
# data (those rows are in the list too) and with none given; N = 6000 is
# above the seeding's 4096-row sample.
def row_list_same():
    rng = random.Random(11)
    xs, zs = [], []
    for n in range(6000):
        k = rng.randrange(3)
        xs.append(rng.gauss(8.0 * k, 1.0))
        zs.append(k + 1 if n % 50 == 0 else None)
    for name, z in (("gmm_rows_obs", zs), ("gmm_rows", None)):
        d = os.path.join(work, name + ".data.json")
        with open(d, "w") as f:
            json.dump({"N": len(xs), "K": 3, "x": xs, **({"z": z} if z else {})}, f)
        e = os.path.join(work, name)
        subprocess.run([lvmc, "build", where("gmm")[0], "--data", d, "-o", e], capture_output=True, text=True)
        outs = []
        for env in ({}, {"LVM_VI_NO_ROW_LIST": "1"}):
            o = e + ("_all" if env else "_list") + ".json"
            r = subprocess.run([e, "vi", "--data", d, "--seed", "5", "--restarts", "3", "--out", o, "--quiet"],
                               capture_output=True, text=True, env={**os.environ, **env})
            outs.append(open(o, "rb").read() if r.returncode == 0 else r.stderr)
        check(f"{name}: the seeding's statistics over the row list give the same output as over every row",
              isinstance(outs[0], bytes) and outs[0] == outs[1], str(outs[0])[:300])


row_list_same()
separated8(2000, "gmm8")
separated8(40000, "gmm8big")
r, full, _ = vi(exe, data, "--seed", "3")
r, res, _ = vi(exe, data, "--seed", "3", "--exclude", "z")
check("vi --exclude z runs", res is not None, r.stderr)
if res is not None and full is not None:
    check("vi --exclude z: z left out, the rest as without it",
          sorted(res["variables"]) == ["mu", "pi", "tau"] and res["elbo"] == full["elbo"]
          and res["variables"]["mu"] == full["variables"]["mu"], str(sorted(res["variables"])))
r, res, _ = vi(exe, data, "--tol", "0", "--max-iter", "7")
check("vi --tol 0 runs exactly --max-iter sweeps", res is not None and res["iterations"] == 7
      and res["converged"] is False, r.stderr)
# variables: the latent ones; a partly observed one keeps its given elements
# (null natural parameters, sd 0; a discrete one's probabilities one-hot), a
# fully observed one is left out
exe, data = build("beta_bernoulli_missing")
r, res, _ = vi(exe, data)
y = res["variables"].get("y") if res else None
check("vi writes a partly observed variable, given elements with null natural parameters",
      y is not None and y["sd"][0] == 0 and y["natural"][0] == [None, None] and y["probabilities"][0] == [0, 1]
      and y["sd"][4] > 0 and None not in y["natural"][4], str(y))
full_data = os.path.join(work, "beta_bernoulli_full.data.json")
with open(full_data, "w") as f:
    json.dump({"N": 10, "y": [1, 0, 1, 1, 0, 0, 1, 1, 1, 1]}, f)
r, res, _ = vi(exe, full_data)
check("vi leaves a fully observed variable out", res is not None and sorted(res["variables"]) == ["p"],
      r.stderr if res is None else str(sorted(res["variables"])))
exe, data = build("gmm")
r, res, _ = vi(exe, data, "--exclude", "nosuch")
check("vi --exclude of an unknown name is an error", r.returncode == 1 and "--exclude nosuch" in r.stderr,
      r.stderr)

finish()
