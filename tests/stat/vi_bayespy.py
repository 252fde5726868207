#!/usr/bin/python3
"""CAVI against BayesPy's VMP (python3-bayespy, Debian 12: 0.5.22).

Three models of examples/ are fitted by `EXE vi` and by BayesPy on the same
generated data, with the same priors and the same mean-field factorisation:

  linreg           a, b ~ Normal(0, sd 10), tau ~ Gamma(1, 1),
                   y[n] ~ NormalPrec(a + b x[n], tau)
                   BayesPy: GaussianARD(0, 0.01) (precision), Gamma(1, 1),
                   GaussianARD(Add(a, SumMultiply(',->', b, x)), tau)
  gmm (K = 3)      pi ~ Dirichlet(1, 1, 1), mu[k] ~ Normal(0, sd 10),
                   tau[k] ~ Gamma(1, 1), z[n] ~ Categorical(pi),
                   x[n] ~ NormalPrec(mu[z[n]], tau[z[n]])
                   BayesPy: Mixture(z, GaussianARD, mu, tau) with
                   Categorical(Dirichlet) assignments
  factor_analysis  mu[d] ~ Normal(0, sd 10), psi[d] ~ Gamma(1, 1),
  (D = 4, K = 2)   W[d,k], s[n,k] ~ Normal(0, 1),
                   x[n,d] ~ NormalPrec(mu[d] + sum_k W[d,k] s[n,k], psi[d]);
                   lvmc's factors are per element (W[d,k], s[n,k] scalar), so
                   in BayesPy each column k of W and of s is its own scalar
                   GaussianARD node with plates, combined by Add of
                   SumMultiply(',->', W_k, s_k): the same full mean field.

  mvn_wishart      Lambda ~ Wishart(5, I) (E[Lambda] = 5 I), m ~ MvNormalPrec(0, I),
  (D = 3)          x[n] ~ MvNormalPrec(m, Lambda)
                   BayesPy: Wishart(5, I) (its second argument the inverse
                   scale: the same prior), Gaussian(0, I), Gaussian(m, Lambda)
  gmm_full         pi ~ Dirichlet(1, 1, 1), Lambda[k] ~ Wishart(D + 2, I),
  (D = 2, K = 3)   mu[k] ~ MvNormalPrec(0, 0.01 I), z[n] ~ Categorical(pi),
                   x[n] ~ MvNormalPrec(mu[z[n]], Lambda[z[n]])
                   BayesPy: Mixture(z, Gaussian, mu, Lambda)

Both sides include every normalising constant (BayesPy's
compute_lowerbound(); lvmc's "elbo"), so the ELBOs are compared as they are.
Both run from their own random starts (lvmc keeps the best of 10 restarts
from prior draws for the gmm, of 2 for the factor analysis; BayesPy's update order is the factors' order in the model,
assignments and latent factors last) well past convergence: the means are
compared, and the ELBO alone is a poor stopping rule for them (near the
optimum it is flat, and its rounding noise, ~1e-14 relative, hides changes
of the slowest means of order 1e-7), so lvmc runs with --tol 1e-300 (until
the ELBO does not change at all, at most 3000 sweeps) and BayesPy until no
posterior mean moves by more than 1e-13 relative.  The data are
well separated so that both reach the same optimum; labels are matched
before comparing (the gmm's components sorted by their mean; the factor
analysis's columns by the permutation and signs that fit best).

Checked, to 1e-6 relative: the converged ELBO, and the posterior mean of
every element of every latent variable (z: its probabilities).  A mean is
compared relative to the largest absolute mean of its variable (a
component mean of -0.05 next to 7.0 is compared at the scale 7.0).

usage: vi_bayespy.py LVMC EXAMPLES_DIR WORK_DIR
Ends with the line "N passed, N failed".
"""
import itertools
import json
import os
import subprocess
import sys

from checks import check, finish
import time

try:
    import numpy as np
    from bayespy.inference import VB
    from bayespy.nodes import (Add, Categorical, Dirichlet, Gamma, Gaussian, GaussianARD, Mixture,
                               SumMultiply, Wishart)
except ImportError as e:  # scripts/deps installs python3-bayespy
    print(f"FAIL: BayesPy is not importable by {sys.executable} ({e}); run scripts/deps")
    print("0 passed, 1 failed")
    sys.exit(1)

lvmc, examples, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
REL = 1e-6


def lvmc_vi(model, data, restarts):
    path = os.path.join(work, model + ".data.json")
    with open(path, "w") as f:
        json.dump(data, f)
    exe = os.path.join(work, model)
    subprocess.run([lvmc, "build", os.path.join(examples, model + ".lvm"), "--data", path, "-o", exe],
                   check=True)
    out = exe + "_vi.json"
    # tol 1e-300: sweep until the ELBO stops changing at all (or 3000
    # sweeps), well past the floor of its rounding noise, so that slowly
    # converging means have converged too
    subprocess.run([exe, "vi", "--data", path, "--tol", "1e-300", "--max-iter", "3000", "--restarts", str(restarts),
                    "--seed", "7", "--quiet", "--out", out], check=True)
    with open(out) as f:
        return json.load(f)


def bayespy_run(nodes, watch):
    """VMP sweeps until no posterior mean of the nodes `watch` moves by
    more than 1e-13 relative (BayesPy's own tol is on the ELBO, whose
    rounding noise leaves slowly converging means 1e-6 off)."""
    Q = VB(*nodes)
    prev = None
    for _ in range(20000):
        Q.update(repeat=1, verbose=False)
        p = np.concatenate([np.ravel(q.get_moments()[0]) for q in watch])
        if prev is not None and np.max(np.abs(p - prev)) <= 1e-13 * np.max(np.abs(p)):
            break
        prev = p
    else:
        check("BayesPy converged", False, "after 20000 sweeps")
    return Q.compute_lowerbound()


def compare(model, name, ours, theirs):
    a = np.asarray(ours, dtype=float)
    b = np.asarray(theirs, dtype=float).reshape(a.shape)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
    err = float(np.max(np.abs(a - b))) / scale
    check(f"{model}: mean of {name}", err <= REL, f"relative difference {err:.3g}")
    return err


def report(model, r, L, errs, t0):
    rel = abs(r["elbo"] - L) / abs(L)
    check(f"{model}: ELBO", rel <= REL, f"lvmc {r['elbo']!r} BayesPy {L!r} relative {rel:.3g}")
    print(f"{model}: ELBO lvmc {r['elbo']:.12f} BayesPy {L:.12f} (relative {rel:.2g}); "
          f"largest relative difference of a posterior mean {max(errs):.2g}; {time.time() - t0:.1f} s")


def linreg():
    t0 = time.time()
    rng = np.random.default_rng(1)
    N = 40
    x = rng.uniform(-2, 2, N)
    y = 1 + 2 * x + rng.normal(0, 0.5, N)
    r = lvmc_vi("linreg", {"N": N, "x": x.tolist(), "y": y.tolist()}, 1)
    a, b, tau = GaussianARD(0, 0.01), GaussianARD(0, 0.01), Gamma(1, 1)
    Y = GaussianARD(Add(a, SumMultiply(",->", b, x)), tau, plates=(N,))
    Y.observe(y)
    L = bayespy_run([Y, a, b, tau], [a, b, tau])
    v = r["variables"]
    errs = [compare("linreg", n, v[n]["mean"], q.get_moments()[0]) for n, q in (("a", a), ("b", b), ("tau", tau))]
    report("linreg", r, L, errs, t0)


def gmm():
    t0 = time.time()
    rng = np.random.default_rng(2)
    K, N = 3, 300
    means, sds = np.array([-6.0, 0.0, 7.0]), np.array([1.0, 0.7, 1.5])
    zt = rng.integers(0, K, N)
    x = rng.normal(means[zt], sds[zt])
    r = lvmc_vi("gmm", {"N": N, "K": K, "x": x.tolist()}, 10)
    np.random.seed(2)
    pi = Dirichlet(np.ones(K))
    z = Categorical(pi, plates=(N,))
    mu, tau = GaussianARD(0, 0.01, plates=(K,)), Gamma(1, 1, plates=(K,))
    X = Mixture(z, GaussianARD, mu, tau)
    X.observe(x)
    z.initialize_from_random()
    L = bayespy_run([X, pi, mu, tau, z], [pi, mu, tau, z])
    v = r["variables"]
    ours = np.argsort(v["mu"]["mean"])
    theirs = np.argsort(mu.get_moments()[0])
    alpha = pi.phi[0]  # the Dirichlet concentration
    errs = [
        compare("gmm", "pi", np.asarray(v["pi"]["mean"])[ours], (alpha / alpha.sum())[theirs]),
        compare("gmm", "mu", np.asarray(v["mu"]["mean"])[ours], mu.get_moments()[0][theirs]),
        compare("gmm", "tau", np.asarray(v["tau"]["mean"])[ours], tau.get_moments()[0][theirs]),
        compare("gmm", "z (probabilities)", np.asarray(v["z"]["probabilities"])[:, ours],
                z.get_moments()[0][:, theirs]),
    ]
    report("gmm", r, L, errs, t0)


def factor_analysis():
    t0 = time.time()
    rng = np.random.default_rng(3)
    N, D, K = 60, 4, 2
    # moderate signal to noise (W' psi W of order 1 to 5): CAVI's slowest
    # mode (mu against the mean of s, W against s) contracts by
    # lambda / (lambda + 1) per sweep for the eigenvalues lambda of W' psi W,
    # so a strong signal converges so slowly that the ELBO stops changing
    # in floating point (~1e-13 relative) while the means are still 1e-6
    # off; columns of different size and orthogonal: no slow rotation
    Wt = np.array([[1.5, 0.3], [-1.0, 0.6], [1.0, -0.3], [0.5, 0.9]])
    mut = rng.normal(0, 3, D)
    st = rng.normal(0, 1, (N, K))
    x = mut + st @ Wt.T + rng.normal(0, 1.0, (N, D))
    r = lvmc_vi("factor_analysis", {"N": N, "D": D, "K": K, "x": x.tolist()}, 2)
    np.random.seed(3)
    mu, psi = GaussianARD(0, 0.01, plates=(D,)), Gamma(1, 1, plates=(D,))
    W = [GaussianARD(0, 1, plates=(D,)) for _ in range(K)]
    s = [GaussianARD(0, 1, plates=(N, 1)) for _ in range(K)]
    X = GaussianARD(Add(mu, *[SumMultiply(",->", W[k], s[k]) for k in range(K)]), psi)
    X.observe(x)
    for k in range(K):
        s[k].initialize_from_random()
    L = bayespy_run([X, mu, psi, *W, *s], [mu, psi, *W, *s])
    v = r["variables"]
    bW = np.stack([w.get_moments()[0] for w in W], axis=1)            # D x K
    bS = np.stack([q.get_moments()[0].reshape(N) for q in s], axis=1)  # N x K
    oW, oS = np.asarray(v["W"]["mean"]), np.asarray(v["s"]["mean"])
    best = None
    for perm in itertools.permutations(range(K)):
        for signs in itertools.product((1.0, -1.0), repeat=K):
            sg = np.asarray(signs)
            d = np.max(np.abs(oW - bW[:, perm] * sg))
            if best is None or d < best[0]:
                best = (d, list(perm), sg)
    _, perm, sg = best
    errs = [
        compare("factor_analysis", "mu", v["mu"]["mean"], mu.get_moments()[0]),
        compare("factor_analysis", "psi", v["psi"]["mean"], psi.get_moments()[0]),
        compare("factor_analysis", "W", oW, bW[:, perm] * sg),
        compare("factor_analysis", "s", oS, bS[:, perm] * sg),
    ]
    report("factor_analysis", r, L, errs, t0)


def mvn_wishart():
    t0 = time.time()
    rng = np.random.default_rng(4)
    N, D = 80, 3
    A = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.4, 0.3, 0.5]])
    x = np.array([2.0, -1.0, 0.5]) + rng.normal(0, 1, (N, D)) @ A.T
    r = lvmc_vi("mvn_wishart", {"N": N, "D": D, "x": x.tolist()}, 1)
    np.random.seed(4)
    Lam = Wishart(5, np.identity(D))
    m = Gaussian(np.zeros(D), np.identity(D))
    X = Gaussian(m, Lam, plates=(N,))
    X.observe(x)
    L = bayespy_run([X, m, Lam], [m, Lam])
    v = r["variables"]
    errs = [
        compare("mvn_wishart", "m", v["m"]["mean"], m.get_moments()[0]),
        compare("mvn_wishart", "Lambda", v["Lambda"]["mean"], Lam.get_moments()[0]),
    ]
    report("mvn_wishart", r, L, errs, t0)


def gmm_full():
    t0 = time.time()
    rng = np.random.default_rng(6)
    K, N, D = 3, 300, 2
    C = np.array([[-5.0, 0.0], [0.0, 5.0], [5.0, -2.0]])
    A = [np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([[0.7, 0.0], [-0.3, 1.0]]), np.array([[1.2, 0.0], [0.8, 0.4]])]
    zt = rng.integers(0, K, N)
    x = np.array([C[k] + A[k] @ rng.normal(0, 1, D) for k in zt])
    r = lvmc_vi("gmm_full", {"N": N, "D": D, "K": K, "x": x.tolist()}, 5)
    np.random.seed(6)
    pi = Dirichlet(np.ones(K))
    z = Categorical(pi, plates=(N,))
    mu = Gaussian(np.zeros(D), 0.01 * np.identity(D), plates=(K,))
    Lam = Wishart(D + 2, np.identity(D), plates=(K,))
    X = Mixture(z, Gaussian, mu, Lam)
    X.observe(x)
    z.initialize_from_random()
    L = bayespy_run([X, pi, mu, Lam, z], [pi, mu, Lam, z])
    v = r["variables"]
    ours = np.argsort(np.asarray(v["mu"]["mean"])[:, 0])
    theirs = np.argsort(mu.get_moments()[0][:, 0])
    alpha = pi.phi[0]
    errs = [
        compare("gmm_full", "pi", np.asarray(v["pi"]["mean"])[ours], (alpha / alpha.sum())[theirs]),
        compare("gmm_full", "mu", np.asarray(v["mu"]["mean"])[ours], mu.get_moments()[0][theirs]),
        compare("gmm_full", "Lambda", np.asarray(v["Lambda"]["mean"])[ours], Lam.get_moments()[0][theirs]),
        compare("gmm_full", "z (probabilities)", np.asarray(v["z"]["probabilities"])[:, ours],
                z.get_moments()[0][:, theirs]),
    ]
    report("gmm_full", r, L, errs, t0)


linreg()
gmm()
mvn_wishart()
gmm_full()
factor_analysis()
finish()
