"""Exact MQCE optimum (optimal efficiency, capacitance, hops, network) by a pruned hop-indexed DP.

Algorithm (fast exact method)
-----------------------------
Let Q_k(i, j) be the best bottleneck capacitance over paths with at most k + 1 links
(Q_0 = link capacitances, ``-inf`` = no path). Then Q_k(i, j) = max(Q_{k-1}(i, j),
max_u min(Q_{k-1}(i, u), C(u, j))), and the efficiency of pair (i, j) is
E*_ij = max_k (1 − α)·Q_k(i, j) + α·k·log(1 − p), the first (smallest) k kept on ties
exactly as the paper's code does; then hops = k + 1 links and capacitance = Q_k.

Each source row is an independent DP; :mod:`qnum.solvers.mqce.kernels` runs the rows in
parallel in compiled code with three exact prunings (sorted neighbor lists that stop each
scan at the current bottleneck, saturation at the maximal bottleneck read off a maximum
spanning tree, and a per-row efficiency bound). The paper's Pollack iteration
(:mod:`qnum.solvers.mqce.pollack`) multiplies whole matrices until nothing changes: O(N^3) per
level, without pruning.

Exactness: the values Q_k are link capacitances themselves (min/max only), so both
implementations evaluate the same floating-point expression on the same operands and
agree bit for bit.

Optimal paths (deterministic tie-breaking): from i with r links left and threshold θ = the
pair's capacitance, go to the smallest-index neighbor u with C(i, u) ≥ θ and
Q_{r-2}(u, j) ≥ θ. The MQCE network is the union of those paths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qnum.solvers.mqce import kernels


@dataclass
class MQCEResult:
    """Per-pair optimum of an MQCE scenario.

    Attributes
    ----------
    efficiency, capacitance : ndarray (N, N)
        E* and the optimal path's capacitance (diagonal 0).
    hops : ndarray (N, N) of int
        Links of the optimal path (diagonal 0).
    edges : list of (i, j)
        MQCE network: union of the optimal paths, i < j, sorted (``None`` if not built).
    levels : int
        Number of max-min products computed.
    seconds : float
        Wall time.
    betweenness : ndarray (N,) of int
        Modified betweenness: for each node, the number of pairs whose optimal path passes
        through it as an intermediate node (ends not counted; ``None`` if not built).
    """

    efficiency: np.ndarray
    capacitance: np.ndarray
    hops: np.ndarray
    edges: list | None
    levels: int
    seconds: float
    method: str
    betweenness: np.ndarray | None = None

    def averages(self):
        """(mean capacitance, mean hops) over unordered pairs."""
        iu = np.triu_indices(self.hops.shape[0], 1)
        return float(np.mean(self.capacitance[iu])), float(np.mean(self.hops[iu]))


def _rank_inputs(C):
    """Ranks, sorted neighbor lists, maximal bottlenecks and rank values of a capacitance matrix."""
    finite = np.isfinite(C)
    vals = np.unique(C[finite])
    values = np.append(vals, -np.inf)          # values[-1] = -inf for rank -1
    R = np.where(finite, np.searchsorted(vals, np.where(finite, C, 0.0)), -1).astype(np.int32)
    # neighbors by descending rank, ties by index (stable sort of the negated ranks)
    nbr = np.argsort(-R, axis=1, kind="stable").astype(np.int32)
    nbr_rank = np.take_along_axis(R, nbr, axis=1)
    return R, nbr, nbr_rank, kernels.max_bottleneck(R), values


def _solve(scenario, alphas, build_edges):
    """Run the compiled DP for every α in ``alphas`` at once; a list of MQCEResult."""
    t0 = time.perf_counter()
    C = scenario.capacitance
    R, nbr, nbr_rank, B, values = _rank_inputs(C)
    scenarios = [scenario.with_alpha(a) for a in alphas]
    weights = np.array([1 - sc.alpha for sc in scenarios], dtype=float)
    penalties = np.array([sc.hop_penalty for sc in scenarios], dtype=float)
    best_e, best_q, best_k, edges, through, row_levels = kernels.solve_rows(
        R, nbr, nbr_rank, B, values, weights, penalties, build_edges)
    seconds = (time.perf_counter() - t0) / len(alphas)
    results = []
    for a, sc in enumerate(scenarios):
        hops = best_k[a].astype(np.int64) + 1
        np.fill_diagonal(hops, 0)
        eff, cap = best_e[a], best_q[a]
        np.fill_diagonal(eff, 0.0)
        np.fill_diagonal(cap, 0.0)
        net, between = None, None
        if build_edges:
            e_i, e_j = np.nonzero(edges[a])
            net = [(int(x), int(y)) for x, y in zip(e_i, e_j)]
            between = through[a].sum(axis=0, dtype=np.int64)
        results.append(MQCEResult(eff, cap, hops, net, int(row_levels.max(initial=0)), seconds,
                                  "fast", between))
    return results


def solve_fast(scenario, build_edges=True) -> MQCEResult:
    """Exact optimum of every pair by the pruned hop-indexed DP (module docstring).

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> r = solve_fast(sc)
    >>> r.hops.tolist(), r.edges
    ([[0, 1, 2], [1, 0, 1], [2, 1, 0]], [(0, 1), (1, 2)])
    """
    return _solve(scenario, [scenario.alpha], build_edges)[0]


def solve_alpha_sweep(scenario, alphas, build_edges=False) -> list:
    """Exact optima for many α at once, sharing the α-independent work.

    The bottleneck levels ``Q_k`` do not depend on α; only the choice
    ``E* = max_k (1 − α)·Q_k + k·α·log(1 − p)`` does. So each source row computes its
    levels once and keeps the best level of every α as it goes, stopping when no α can
    improve any of its pairs — evaluated with the same floating-point expression and the
    same tie rule (smallest k) as :func:`solve_fast`, hence identical results. Each
    result's ``seconds`` is the shared wall time divided by the number of α. Memory: about
    20·A·N² bytes for A values of α (the per-α results), plus 5·A·N² with ``build_edges``.

    Examples
    --------
    >>> from qnum.networks.relay import random_square
    >>> sc = random_square(30, 10.0, seed=2)
    >>> sweep = solve_alpha_sweep(sc, [0.2, 0.7])
    >>> all(np.array_equal(r.efficiency, solve_fast(sc.with_alpha(a)).efficiency)
    ...     for r, a in zip(sweep, [0.2, 0.7]))
    True
    """
    return _solve(scenario, list(alphas), build_edges)


def optimal_path(scenario, result, i, j):
    """One optimal path from ``i`` to ``j`` (node list), the one the MQCE network is built from.

    Traced from the smaller index to the larger with the module's tie rule (smallest-index
    next hop) on freshly computed bottleneck levels of the larger index's row, O(N² · hops).
    ``None`` if ``j`` is unreachable from ``i``.

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> optimal_path(sc, solve_fast(sc), 2, 0)
    [2, 1, 0]
    """
    n = scenario.nodes
    for name, v in (("i", i), ("j", j)):
        if not 0 <= v < n:
            raise ValueError(f"{name} = {v}: node index outside 0..{n - 1}")
    if i == j:
        return [i]
    if not np.isfinite(result.efficiency[i, j]):
        return None
    src, dst = min(i, j), max(i, j)
    C = scenario.capacitance
    theta, h = result.capacitance[src, dst], int(result.hops[src, dst])
    levels = [C[dst]]                      # levels[r][u] = Q_r(dst, u)
    for _ in range(h - 2):
        q = levels[-1]
        levels.append(np.maximum(q, np.minimum(q[:, None], C).max(axis=0)))
    path = [src]
    for r in range(h, 1, -1):
        ok = (C[path[-1]] >= theta) & (levels[r - 2] >= theta)
        path.append(int(np.argmax(ok)))
    path.append(dst)
    return path if i == src else path[::-1]
