"""MQCE timing: fast pruned DP vs Pollack reference on seeded squares (L = 10 λ0, p = 0.1, α = 0.5).

The compiled kernels are warmed up on a 10-node instance first, so the times exclude numba's
one-off compilation (≈ 4 s on a fresh install, then cached on disk; loading the cache ≈ 0.2 s).

Usage: python benchmarks/bench_mqce.py [N ...]   (Pollack run only for N <= 200; peak RSS printed; the
           scenario's construction — distances and capacitances — is timed apart from the solves)
       python benchmarks/bench_mqce.py sweep N [N ...]   (50 α values: shared-level sweep vs separate solves)
       python benchmarks/bench_mqce.py one N   (one process, one size: scenario construction, then solve_fast
           with the network; wall and CPU seconds of each and the peak RSS — for N = 5,000 and 10,000)
       python benchmarks/bench_mqce.py authors BINARY N [N ...]
           side by side with the authors' C program (lorenzocirigliano/quantum-networks-optimization,
           optimize/optimize_QE.c, built by you as its README says, e.g. `gcc optimize_QE.c -lm -o optimize_QE`;
           it is not part of qnum). One run each: their Part 1 (Q*, L* for α = 0 and 1 with Δα = 1) and
           Part 2 (the network at α = 0.5), against qnum's solve_fast for α = 0, 0.5, 1 with networks.
"""

import sys
import time

import numpy as np

from qnum.networks.relay import random_square
from qnum.solvers.mqce.fast import solve_alpha_sweep, solve_fast
from qnum.solvers.mqce.pollack import solve_pollack

solve_fast(random_square(10, 10.0, 1.0, 0.1, 0.5, seed=0))      # compile / load the kernels

if sys.argv[1:2] == ["sweep"]:
    print("N | 50 α: sweep s | separate solves s | speed-up | identical")
    alphas = np.linspace(0.0, 1.0, 50)
    for n in [int(a) for a in sys.argv[2:]]:
        sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
        t = time.perf_counter()
        sw = solve_alpha_sweep(sc, alphas)
        ts = time.perf_counter() - t
        t = time.perf_counter()
        one = [solve_fast(sc.replace(alpha=a), build_edges=False) for a in alphas]
        t1 = time.perf_counter() - t
        same = all(np.array_equal(a.efficiency, b.efficiency) and np.array_equal(a.hops, b.hops)
                   for a, b in zip(sw, one))
        print(f"{n} | {ts:.2f} | {t1:.2f} | {t1 / ts:.1f} | {same}", flush=True)
    sys.exit(0)

if sys.argv[1:2] == ["one"]:
    import resource
    n = int(sys.argv[2])
    w, c = time.perf_counter(), time.process_time()
    sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
    w_sc, c_sc = time.perf_counter() - w, time.process_time() - c
    print(f"N = {n}: scenario {w_sc:.2f} s wall, {c_sc:.2f} s CPU, peak RSS so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB", flush=True)
    w, c = time.perf_counter(), time.process_time()
    f = solve_fast(sc)
    w_f, c_f = time.perf_counter() - w, time.process_time() - c
    print(f"N = {n}: solve_fast with network {w_f:.2f} s wall, {c_f:.2f} s CPU (all threads), {f.levels} levels, "
          f"{len(f.edges)} links; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB",
          flush=True)
    sys.exit(0)

if sys.argv[1:2] == ["authors"]:
    import os
    import subprocess
    import tempfile
    binary = os.path.abspath(sys.argv[2])
    print("N | authors' program s | qnum s | ratio | Q*, L* agree (α = 0, 1) | links at α = 0.5 (authors / qnum)")
    for n in [int(a) for a in sys.argv[3:]]:
        sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            np.savetxt(os.path.join(tmp, "users.dat"), sc.coordinates_km, fmt="%.17g")
            t = time.perf_counter()
            subprocess.run([binary, "users.dat", str(n), "1.0", "0.1", "1.0"], cwd=tmp, input=b"0.5\n",
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t_authors = time.perf_counter() - t
            table = np.loadtxt(os.path.join(tmp, "optimal_efficiency_for_users.dat"), ndmin=2)
            net_file = [f for f in os.listdir(tmp) if f.startswith("list_of_connections")][0]
            their_edges = {tuple(sorted(map(int, line.split()[:2])))
                           for line in open(os.path.join(tmp, net_file)) if line.strip()}
        t = time.perf_counter()
        ours = {a: solve_fast(sc.replace(alpha=a)) for a in (0.0, 0.5, 1.0)}
        t_qnum = time.perf_counter() - t
        agree = all(np.allclose(row[1:3], ours[a].averages(), rtol=1e-5, atol=1e-6)
                    for row, a in zip(table, (0.0, 1.0)))
        # the networks may differ: each program picks its own optimal path among equally good ones
        links = f"{len(their_edges)} / {len(ours[0.5].edges)}"
        print(f"{n} | {t_authors:.2f} | {t_qnum:.3f} | {t_authors / t_qnum:.0f} | {agree} | {links}", flush=True)
    sys.exit(0)

import resource  # noqa: E402

sizes = [int(a) for a in sys.argv[1:]] or [100, 200, 500]
print("N | scenario s | fast s (with network) | fast s (E*, C, hops only) | levels | peak RSS GB | pollack s | ratio "
      "| identical E*")
for n in sizes:
    t = time.perf_counter()
    sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
    t_sc = time.perf_counter() - t
    t = time.perf_counter()
    f0 = solve_fast(sc, build_edges=False)
    t0 = time.perf_counter() - t
    del f0
    t = time.perf_counter()
    f = solve_fast(sc)
    tf = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    row = f"{n} | {t_sc:.2f} | {tf:.3f} | {t0:.3f} | {f.levels} | {rss:.2f}"
    if n <= 200:
        t = time.perf_counter()
        p = solve_pollack(sc)
        tp = time.perf_counter() - t
        print(f"{row} | {tp:.3f} | {tp / tf:.1f} | {np.array_equal(f.efficiency, p.efficiency)}", flush=True)
    else:
        print(f"{row} | - | - | -", flush=True)
