#!/usr/bin/python3
"""Data of the CAVI benchmark: N points of a K-component Gaussian mixture in
D dimensions (diagonal covariance), fixed seed; writes CmdStan JSON.  The
components are well separated (D = 1: centres 10 apart; D >= 2: on a circle
of radius 15 in the first two coordinates), sds 0.5 .. 1.5, so that the
systems compared can reach the same optimum.
usage: gen_data.py N D K SEED OUT.json"""
import json
import sys

import numpy as np

N, D, K, seed = (int(a) for a in sys.argv[1:5])
rng = np.random.default_rng(seed)
if D == 1:
    centres = rng.permutation(np.linspace(-10.0 * (K - 1) / 2, 10.0 * (K - 1) / 2, K))[:, None]
else:
    angle = 2 * np.pi * np.arange(K) / K
    centres = np.zeros((K, D))
    centres[:, 0], centres[:, 1] = 15 * np.cos(angle), 15 * np.sin(angle)
    centres[:, 2:] = rng.uniform(-5, 5, (K, D - 2))
sds = rng.uniform(0.5, 1.5, (K, D))
weights = rng.dirichlet(np.full(K, 5.0))
z = rng.choice(K, N, p=weights)
x = rng.normal(centres[z], sds[z])
with open(sys.argv[5], "w") as f:
    json.dump({"N": N, "D": D, "K": K, "x": x.tolist()}, f)
