"""Pumping-family performance study (issue 2, deliverable 10). Not part of the test suite.

Usage::

    python benchmarks/bench_pumping.py [separable100 | separable1000 | matching | online | enumeration | all]

Each study prints one line of figures; results are recorded in benchmarks/RESULTS.md.
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
