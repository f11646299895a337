"""Pumping-family performance study (issue 2, deliverable 10). Not part of the test suite.

Usage::

    python benchmarks/bench_pumping.py [separable100 | separable1000 | matching | online | enumeration | all]
    python benchmarks/bench_pumping.py scale [--quick]
    python benchmarks/bench_pumping.py engines [--quick]

Each study prints one line of figures; results are recorded in benchmarks/RESULTS.md.

``scale`` (issue 14): the separable solver at N = 300 ... 2,000 nodes (K = 100, S = 20,
α = 1 and 2), each size in its own process so the peak RSS is the solve's; the time
excludes building the scenario (reported apart); per iteration it sets the measured time
beside a memory-bandwidth estimate of the compiled passes (the bytes they read and write,
at the copy bandwidth measured in the same process). ``engines``: the numpy and compiled
engines on the same instance, side by side in one process (their ratio is the speed-up).
``--quick`` runs the two smallest sizes only.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from qnum.models.pumping import AlphaFair
from qnum.networks.pumping import random_network
from qnum.solvers.pumping.online import simulate


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def separable(nodes: int, capacity: int, states: int, compare_cvxpy: bool) -> None:
    sc = random_network(nodes, capacity, states, seed=2025)
    t0 = time.perf_counter()
    sep = AlphaFair(sc).solve("separable")
    t_sep = time.perf_counter() - t0
    line = (f"separable N={nodes} M={sc.num_pairs} K={capacity} S={states}: {sep.status} "
            f"{t_sep:.3f} s, relative gap {sep.relative_gap:.2e}, iterations {sep.values['iterations']}, "
            f"peak RSS {peak_rss_gb():.2f} GB")
    if compare_cvxpy:
        # A straightforward CVXPY formulation of the same problem (rates rescaled per pair
        # so Clarabel converges; Clarabel's default tolerances).
        import cvxpy as cp

        t0 = time.perf_counter()
        scale = sc.skr.max(axis=0)
        a = sc.probabilities[:, None] * sc.skr / scale[None, :]
        y = cp.Variable(a.shape, nonneg=True)
        prob = cp.Problem(cp.Maximize(cp.sum(cp.log(cp.sum(cp.multiply(a, y), axis=0)))),
                          [y <= 1, cp.sum(y, axis=1) <= capacity])
        solver = "CLARABEL"
        try:
            prob.solve(solver=solver)
        except cp.error.SolverError:
            print(f"  straightforward cvxpy/clarabel: SolverError after {time.perf_counter() - t0:.2f} s; "
                  "retrying with SCS", flush=True)
            solver = "SCS"
            t0 = time.perf_counter()
            prob.solve(solver=solver)
        t_cvx = time.perf_counter() - t0
        value = prob.value + float(np.sum(np.log(scale)))
        line += (f"\n  straightforward cvxpy/{solver.lower()}: {prob.status} {t_cvx:.2f} s (build + solve); speed-up "
                 f"{t_cvx / t_sep:.1f}x; relative objective difference "
                 f"{abs(value - sep.objective) / abs(sep.objective):.1e}"
                 f" (separable bound - cvxpy objective: {sep.bound - value:.3g})")
    print(line, flush=True)


#: bytes per candidate entry and iteration the compiled passes move: assemble reads a, col,
#: y, zl, zu (36); predictor and corrector_rhs also read dy (44 each, predictor writes it);
#: corrector reads 44 and writes dy, dzl, dzu (68); update reads col and six arrays, writes 3 (76)
PASS_BYTES = 36 + 44 + 44 + 68 + 76


def copy_bandwidth_gbs(entries: int = 1 << 25) -> float:
    """Memory bandwidth: best of three copies of 256 MB (read + write bytes / s)."""
    src, dst = np.ones(entries), np.empty(entries)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 16 * entries / best / 1e9


def scale_one(nodes: int, alpha: float, capacity: int = 100, states: int = 20) -> None:
    from qnum.solvers.pumping.separable import solve_separable

    t0 = time.perf_counter()
    sc = random_network(nodes, capacity, states, seed=2025)
    a = np.ascontiguousarray((sc.probabilities[:, None] * sc.skr).T)
    t_build = time.perf_counter() - t0
    w = np.ones(sc.num_pairs)
    solve_separable(a[:50], w[:50], 3, alpha)          # numba's one-off start-up, not timed
    t0, c0 = time.perf_counter(), time.process_time()
    res = solve_separable(a, w, capacity, alpha)
    t_solve, c_solve = time.perf_counter() - t0, time.process_time() - c0
    gap = (res.bound - res.objective) / max(abs(res.objective), abs(res.bound))
    entries = sc.num_pairs * 4                          # the first round's candidate entries
    per_iter = c_solve / max(res.iterations, 1)        # everything included: set-up, certificates
    bandwidth = copy_bandwidth_gbs()
    floor = entries * PASS_BYTES / (bandwidth * 1e9)
    print(f"scale N={nodes} M={sc.num_pairs} K={capacity} S={states} alpha={alpha:g}: {res.message}, "
          f"relative gap {gap:.1e}, solve {t_solve:.1f} s wall / {c_solve:.1f} s CPU (scenario {t_build:.1f} s), "
          f"{res.iterations} iterations, {per_iter * 1e3:.0f} ms CPU/iteration = {per_iter / entries * 1e9:.0f} ns "
          f"per candidate entry (passes' bandwidth floor {floor * 1e3:.0f} ms at {bandwidth:.1f} GB/s), "
          f"peak RSS {peak_rss_gb():.2f} GB", flush=True)


def scale(quick: bool) -> None:
    import subprocess

    sizes = (300, 600) if quick else (300, 600, 1000, 1500, 2000)
    for alpha in (1.0, 2.0):
        for nodes in sizes:
            subprocess.run([sys.executable, __file__, "scale-one", str(nodes), str(alpha)], check=True)


def engines(quick: bool) -> None:
    from qnum.solvers.pumping.separable import solve_separable

    for nodes in ((300,) if quick else (300, 600)):
        sc = random_network(nodes, 100, 20, seed=2025)
        a = np.ascontiguousarray((sc.probabilities[:, None] * sc.skr).T)
        w = np.ones(sc.num_pairs)
        solve_separable(a[:50], w[:50], 3, 1.0, engine="compiled")
        for alpha in (1.0, 2.0):
            times = {}
            for engine in ("numpy", "compiled"):
                t0 = time.perf_counter()
                res = solve_separable(a, w, 100, alpha, engine=engine)
                times[engine] = (time.perf_counter() - t0, res.iterations, res.objective)
            (t_np, it_np, f_np), (t_c, it_c, f_c) = times["numpy"], times["compiled"]
            print(f"engines N={nodes} alpha={alpha:g}: numpy {t_np:.2f} s ({it_np} iterations), compiled "
                  f"{t_c:.2f} s ({it_c} iterations), ratio {t_np / t_c:.1f}x, objective difference "
                  f"{abs(f_np - f_c) / abs(f_np):.1e}", flush=True)


def matching(nodes: int = 30, capacity: int = 5, states: int = 3) -> None:
    sc = random_network(nodes, capacity, states, seed=7, topologies="matching")
    t0 = time.perf_counter()
    sol = AlphaFair(sc).solve("column-generation")
    print(f"matching column generation N={nodes} K={capacity} S={states}: {sol.status} "
          f"{time.perf_counter() - t0:.2f} s, relative gap {sol.relative_gap:.2e}, "
          f"{sol.values['iterations']} iterations, {sol.values['columns']} columns", flush=True)


def online(nodes: int = 50, slots: int = 100_000) -> None:
    sc = random_network(nodes, 5, 3, seed=3)
    for policy in ("pf", "greedy", "rr"):
        tr = simulate(sc, policy, slots, seed=1)
        print(f"online {policy} N={nodes} M={sc.num_pairs} slots={slots}: {tr.seconds:.2f} s, "
              f"{sc.num_pairs * slots / tr.seconds / 1e6:.0f}M pair-updates/s", flush=True)


def enumeration(max_seconds: float = 30.0) -> None:
    for nodes in range(5, 30):
        sc = random_network(nodes, 3, 2, seed=nodes)
        t0 = time.perf_counter()
        enum = AlphaFair(sc).solve("enumeration")
        t_enum = time.perf_counter() - t0
        t0 = time.perf_counter()
        sep = AlphaFair(sc).solve("separable")
        t_sep = time.perf_counter() - t0
        print(f"enumeration N={nodes} K=3 S=2 ({enum.values['columns']} columns): {t_enum:.3f} s vs separable "
              f"{t_sep:.4f} s, ratio {t_enum / t_sep:.0f}x, objective difference "
              f"{abs(enum.objective - sep.objective) / abs(sep.objective):.1e}", flush=True)
        if t_enum > max_seconds:
            break


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "scale-one":
        scale_one(int(sys.argv[2]), float(sys.argv[3]))
    if which == "scale":
        scale("--quick" in sys.argv)
    if which == "engines":
        engines("--quick" in sys.argv)
    if which in ("separable100", "all"):
        separable(100, 10, 20, compare_cvxpy=True)
    if which in ("separable1000", "all"):
        separable(1000, 50, 20, compare_cvxpy=False)
    if which in ("matching", "all"):
        matching()
    if which in ("online", "all"):
        online()
    if which in ("enumeration", "all"):
        enumeration()
