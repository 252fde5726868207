#!/usr/bin/env python3
"""Generate the data files examples/*.data.json.

Standard library only; every data set has its own fixed seed, so running

    python3 examples/gen/gen_data.py            # writes into examples/
    python3 examples/gen/gen_data.py OUTDIR     # writes elsewhere

reproduces the files byte for byte. Format: CmdStan JSON (one object, integers
without a decimal point, row-major nested arrays, 1-based categories, null for
a missing element of a modelled variable). Simulated "true" values are noted
in the docstring of each generator so tests can check posteriors against them.
"""
import json
import math
import os
import random
import sys


# --- helpers ---------------------------------------------------------------

def r4(v):
    """Round a float for the file (4 significant decimals keeps files small)."""
    v = round(float(v), 4)
    return 0.0 if v == 0 else v


def categorical(rng, p):
    u, c = rng.random(), 0.0
    for k, pk in enumerate(p):
        c += pk
        if u < c:
            return k + 1
    return len(p)


def dirichlet(rng, alpha):
    g = [rng.gammavariate(a, 1.0) for a in alpha]
    s = sum(g)
    return [x / s for x in g]


def poisson(rng, lam):
    # Knuth for small rates, normal approximation never needed here
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def binomial(rng, n, p):
    return sum(1 for _ in range(n) if rng.random() < p)


def write(outdir, name, obj):
    lines = []
    for key, val in obj.items():
        lines.append('  %s: %s' % (json.dumps(key), json.dumps(val, separators=(', ', ': '))))
    text = '{\n' + ',\n'.join(lines) + '\n}\n'
    path = os.path.join(outdir, name + '.data.json')
    with open(path, 'w') as f:
        f.write(text)
    return path


# --- data sets -------------------------------------------------------------

def gmm():
    """3 components: weights .5 .2 .3, means -4 0 5, sds 1 .7 1.5; N = 150."""
    rng = random.Random(1)
    w, mu, sd = [0.5, 0.2, 0.3], [-4.0, 0.0, 5.0], [1.0, 0.7, 1.5]
    N = 150
    x = []
    for _ in range(N):
        k = categorical(rng, w) - 1
        x.append(r4(rng.gauss(mu[k], sd[k])))
    return {'N': N, 'x': x}


def pumps():
    """BUGS Volume 1 'Pumps' (Gaver and O'Muircheartaigh 1987)."""
    return {'N': 10,
            't': [94.3, 15.7, 62.9, 126, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5],
            'x': [5, 1, 5, 14, 3, 19, 1, 1, 4, 22]}


def hmm():
    """K = 2 states, M = 3 symbols, T = 100.
    A = [[.9, .1], [.2, .8]], B = [[.7, .2, .1], [.1, .3, .6]], z[1] uniform."""
    rng = random.Random(2)
    A = [[0.9, 0.1], [0.2, 0.8]]
    B = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]
    T = 100
    z = [categorical(rng, [0.5, 0.5])]
    for _ in range(1, T):
        z.append(categorical(rng, A[z[-1] - 1]))
    y = [categorical(rng, B[k - 1]) for k in z]
    return {'T': T, 'K': 2, 'M': 3, 'y': y}


def ising():
    """D = 6 spins; h[i] ~ N(0, .3); J[i,j] ~ N(0, .5) for i < j, 0 elsewhere."""
    rng = random.Random(3)
    D = 6
    h = [r4(rng.gauss(0, 0.3)) for _ in range(D)]
    J = [[r4(rng.gauss(0, 0.5)) if j > i else 0.0 for j in range(D)] for i in range(D)]
    return {'D': D, 'h': h, 'J': J}


def depnet():
    """D = 5 binary variables; b[i] ~ N(0, .5); W[i,j] ~ N(0, 1), W[i,i] = 0."""
    rng = random.Random(4)
    D = 5
    b = [r4(rng.gauss(0, 0.5)) for _ in range(D)]
    W = [[r4(rng.gauss(0, 1.0)) if j != i else 0.0 for j in range(D)] for i in range(D)]
    return {'D': D, 'b': b, 'W': W}


def linreg():
    """y = 1 + 2 x + N(0, 0.5^2) (tau = 4), x ~ U(-2, 2), N = 40."""
    rng = random.Random(5)
    N = 40
    x = [r4(rng.uniform(-2, 2)) for _ in range(N)]
    y = [r4(1 + 2 * xi + rng.gauss(0, 0.5)) for xi in x]
    return {'N': N, 'x': x, 'y': y}


def eight_schools():
    """Rubin (1981), as in Gelman et al., BDA section 5.5."""
    return {'J': 8,
            'y': [28, 8, -3, 7, -1, 1, 18, 12],
            'sigma': [15, 10, 16, 11, 9, 11, 10, 18]}


def factor_analysis():
    """N = 60, D = 5, K = 2; W[d,k] ~ N(0,1), mu[d] ~ N(0, 2), psi[d] = 4 (sd .5)."""
    rng = random.Random(6)
    N, D, K = 60, 5, 2
    W = [[rng.gauss(0, 1) for _ in range(K)] for _ in range(D)]
    mu = [rng.gauss(0, 2) for _ in range(D)]
    x = []
    for _ in range(N):
        s = [rng.gauss(0, 1) for _ in range(K)]
        x.append([r4(mu[d] + sum(W[d][k] * s[k] for k in range(K)) + rng.gauss(0, 0.5))
                  for d in range(D)])
    return {'N': N, 'D': D, 'K': K, 'x': x}


def lda():
    """K = 3 topics over V = 12 words (topic k favours words 4k-3..4k),
    M = 8 documents of 20-40 tokens, theta[m] ~ Dirichlet(.5), flattened."""
    rng = random.Random(7)
    K, V, M = 3, 12, 8
    phi = []
    for k in range(K):
        wts = [8.0 if 4 * k <= v < 4 * k + 4 else 0.5 for v in range(V)]
        s = sum(wts)
        phi.append([x / s for x in wts])
    doc, w = [], []
    for m in range(M):
        theta = dirichlet(rng, [0.5] * K)
        for _ in range(rng.randint(20, 40)):
            k = categorical(rng, theta)
            doc.append(m + 1)
            w.append(categorical(rng, phi[k - 1]))
    return {'K': K, 'V': V, 'M': M, 'N': len(w), 'doc': doc, 'w': w}


def beta_binomial():
    """G = 10 groups; n[g] in 10..50; p[g] ~ Beta(2, 5)."""
    rng = random.Random(8)
    G = 10
    n = [rng.randint(10, 50) for _ in range(G)]
    y = [binomial(rng, ng, rng.betavariate(2, 5)) for ng in n]
    return {'G': G, 'n': n, 'y': y}


def dirichlet_categorical():
    """K = 4, p = [.1, .2, .3, .4], N = 50, alpha = 1."""
    rng = random.Random(9)
    K, N = 4, 50
    p = [0.1, 0.2, 0.3, 0.4]
    return {'K': K, 'N': N, 'alpha': [1.0] * K, 'y': [categorical(rng, p) for _ in range(N)]}


def missing_data():
    """N = 20 draws from N(3, 1.5^2); entries 4, 9, 15 and 16 missing (null)."""
    rng = random.Random(10)
    N = 20
    y = [r4(rng.gauss(3, 1.5)) for _ in range(N)]
    for i in (4, 9, 15, 16):
        y[i - 1] = None
    return {'N': N, 'y': y}


def logistic():
    """N = 100, D = 3 (intercept, two N(0,1) covariates), beta = [-.5, 1.5, -1]."""
    rng = random.Random(11)
    N, D = 100, 3
    beta = [-0.5, 1.5, -1.0]
    X, y = [], []
    for _ in range(N):
        row = [1.0, r4(rng.gauss(0, 1)), r4(rng.gauss(0, 1))]
        eta = sum(b * v for b, v in zip(beta, row))
        X.append(row)
        y.append(1 if rng.random() < 1 / (1 + math.exp(-eta)) else 0)
    return {'N': N, 'D': D, 'X': X, 'y': y}


def poisson_regression():
    """N = 50, x ~ U(-1, 1), E ~ U(0.5, 3), log rate = log E + 0.3 + 0.8 x."""
    rng = random.Random(12)
    N = 50
    x = [r4(rng.uniform(-1, 1)) for _ in range(N)]
    E = [r4(rng.uniform(0.5, 3)) for _ in range(N)]
    y = [poisson(rng, E[n] * math.exp(0.3 + 0.8 * x[n])) for n in range(N)]
    return {'N': N, 'x': x, 'E': E, 'y': y}


def kalman():
    """T = 100; x[1] ~ N(0, 2^2), x[t] = .9 x[t-1] + N(0, 1), y[t] = x[t] + N(0, .5^2)."""
    rng = random.Random(13)
    T = 100
    x = [rng.gauss(0, 2)]
    for _ in range(1, T):
        x.append(0.9 * x[-1] + rng.gauss(0, 1))
    return {'T': T, 'y': [r4(v + rng.gauss(0, 0.5)) for v in x]}


def hmm_gaussian():
    """T = 120, K = 2, A = [[.95, .05], [.1, .9]], emissions N(-1, .5^2) and N(2, 1)."""
    rng = random.Random(14)
    T = 120
    A = [[0.95, 0.05], [0.1, 0.9]]
    mu, sd = [-1.0, 2.0], [0.5, 1.0]
    z = [categorical(rng, [0.5, 0.5])]
    for _ in range(1, T):
        z.append(categorical(rng, A[z[-1] - 1]))
    return {'T': T, 'K': 2, 'y': [r4(rng.gauss(mu[k - 1], sd[k - 1])) for k in z]}


def mvn_wishart():
    """N = 50, D = 2, mean [1, -1], covariance [[1, .6], [.6, 2]]."""
    rng = random.Random(15)
    N, D = 50, 2
    m = [1.0, -1.0]
    # Cholesky of [[1, .6], [.6, 2]]
    l11 = 1.0
    l21 = 0.6
    l22 = math.sqrt(2 - 0.36)
    x = []
    for _ in range(N):
        e1, e2 = rng.gauss(0, 1), rng.gauss(0, 1)
        x.append([r4(m[0] + l11 * e1), r4(m[1] + l21 * e1 + l22 * e2)])
    return {'N': N, 'D': D, 'x': x}


GENERATORS = [gmm, pumps, hmm, ising, depnet, linreg, eight_schools, factor_analysis,
              lda, beta_binomial, dirichlet_categorical, missing_data, logistic,
              poisson_regression, kalman, hmm_gaussian, mvn_wishart]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    for g in GENERATORS:
        path = write(outdir, g.__name__, g())
        size = os.path.getsize(path)
        assert size < 50_000, (path, size)
        print('%-40s %6d bytes' % (os.path.relpath(path), size))


if __name__ == '__main__':
    main()
