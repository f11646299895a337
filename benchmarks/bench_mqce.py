"""MQCE timing: fast pruned DP vs Pollack reference on seeded squares (L = 10 λ0, p = 0.1, α = 0.5).

Usage: python benchmarks/bench_mqce.py [N ...]   (Pollack run only for N <= 200)
       python benchmarks/bench_mqce.py sweep N [N ...]   (50 α values: shared-level sweep vs separate solves)
"""

import sys
import time

import numpy as np

from qnum.networks.relay import random_square
from qnum.solvers.mqce_fast import solve_alpha_sweep, solve_fast
from qnum.solvers.pollack import solve_pollack

if sys.argv[1:2] == ["sweep"]:
    print("N | 50 α: sweep s | separate solves s | speed-up | identical")
    alphas = np.linspace(0.0, 1.0, 50)
    for n in [int(a) for a in sys.argv[2:]]:
        sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
        t = time.perf_counter(); sw = solve_alpha_sweep(sc, alphas); ts = time.perf_counter() - t
        t = time.perf_counter(); one = [solve_fast(sc.with_alpha(a), build_edges=False) for a in alphas]
        t1 = time.perf_counter() - t
        same = all(np.array_equal(a.efficiency, b.efficiency) and np.array_equal(a.hops, b.hops)
                   for a, b in zip(sw, one))
        print(f"{n} | {ts:.2f} | {t1:.2f} | {t1 / ts:.1f} | {same}", flush=True)
    sys.exit(0)

sizes = [int(a) for a in sys.argv[1:]] or [100, 200, 500]
print("N | fast s | levels | pollack s | ratio | identical E*")
for n in sizes:
    sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
    t = time.perf_counter(); f = solve_fast(sc); tf = time.perf_counter() - t
    if n <= 200:
        t = time.perf_counter(); p = solve_pollack(sc); tp = time.perf_counter() - t
        print(f"{n} | {tf:.3f} | {f.levels} | {tp:.3f} | {tp / tf:.1f} | {np.array_equal(f.efficiency, p.efficiency)}",
              flush=True)
    else:
        print(f"{n} | {tf:.3f} | {f.levels} | - | - | -", flush=True)
