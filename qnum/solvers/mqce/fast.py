"""Exact MQCE optimum (optimal efficiency, capacitance, hops, network) by a pruned hop-indexed DP.

Algorithm (fast exact method)
-----------------------------
Let Q_k(i, j) be the best bottleneck capacitance over paths with at most k + 1 links
(Q_0 = link capacitances, ``-inf`` = no path). Then Q_k(i, j) = max(Q_{k-1}(i, j),
max_u min(Q_{k-1}(i, u), C(u, j))), and the efficiency of pair (i, j) is
E*_ij = max_k (1 − α)·Q_k(i, j) + α·k·log(1 − p), the first (smallest) k kept on ties
exactly as the paper's code does; then hops = k + 1 links and capacitance = Q_k.

Each source row is an independent DP; :mod:`qnum.solvers.mqce.kernels` runs the rows in
blocks of 16 strongly linked sources (one pass over a node's neighbor list serves the whole
block, in vector instructions), in parallel, in compiled code, with exact prunings: sorted
neighbor lists that stop each scan at the current bottleneck, saturation at the maximal
bottleneck read off a maximum spanning tree, and *useless values*. The paper's Pollack
iteration (:mod:`qnum.solvers.mqce.pollack`) multiplies whole matrices until nothing changes:
O(N^3) per level, without pruning.

Useless values (qnum's pruning; the paper has none). At level k, a bottleneck Q with
(1 − α)·Q + k·α·log(1 − p) ≤ E_best(s, j) − margin cannot improve pair (s, j) (E_best: its
best over fewer levels; margin: 1e-9 relative, far above rounding). Such a value is not
recorded (Q_k(s, j) stays Q_{k−1}(s, j)), the scan for it stops once the remaining links are
that weak, and a pair whose maximal bottleneck is useless is frozen for good. Exactness: if a
walk reaches j after k + 1 links with a useless bottleneck b, replacing that prefix by the
walk of j's best efficiency so far (r + 1 links, r < k, bottleneck b_r) changes the whole
walk's bottleneck by at least b_r − b > −(k − r)·|α·log(1 − p)|/(1 − α), which the k − r
saved hops more than pay for: the shortened walk is strictly better (by the margin). So no
optimal walk (and, the tie rule preferring fewer hops, no walk the tie rule could pick) goes
through an unrecorded value;
every pair's optimum, capacitance, hop count and traced path are those of the plain
iteration, bit for bit (tests against Pollack and brute force).

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
    """Per-pair optimum of an MQCE scenario (the solvers' internal result; ``qnum.solve`` wraps it
    in a :class:`~qnum.solution.Solution`).

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
    method : str
        ``"fast"`` or ``"pollack"``.
    betweenness : ndarray (N,) of int
        Modified betweenness: for each node, the number of pairs whose optimal path passes
        through it as an intermediate node (ends not counted; ``None`` if not built).
    upper : ndarray (N, N) or None
        Per-pair upper bound on E* when the solve stopped early (a time limit): then the
        arrays above describe a feasible path per pair (exact pairs, and spanning-tree
        paths for the others) and ``upper >= efficiency``. None when every pair is exact.
    """

    efficiency: np.ndarray
    capacitance: np.ndarray
    hops: np.ndarray
    edges: list | None
    levels: int
    seconds: float
    method: str
    betweenness: np.ndarray | None = None
    upper: np.ndarray | None = None

    @property
    def complete(self) -> bool:
        """Whether every pair is solved exactly (no time limit hit)."""
        return self.upper is None

    def averages(self):
        """(mean capacitance, mean hops) over unordered pairs."""
        iu = np.triu_indices(self.hops.shape[0], 1)
        return float(np.mean(self.capacitance[iu])), float(np.mean(self.hops[iu]))


def _rank_inputs(C):
    """Ranks, sorted neighbor lists, maximal bottlenecks and rank values of a symmetric
    capacitance matrix (:func:`qnum.solvers.mqce.kernels.link_ranks`)."""
    upper = kernels.upper_values(C)
    R, vals = kernels.link_ranks(upper, np.argsort(upper), C.shape[0])
    del upper
    values = np.append(vals, -np.inf)          # values[-1] = -inf for rank -1
    nbr, nbr_rank, nbr_value8 = kernels.neighbor_lists(R, values)
    return R, nbr, nbr_rank, nbr_value8, kernels.max_bottleneck(R), values


def _solve(C, weights, penalties, build_edges, deadline=None):
    """Run the compiled DP for every (1 − α, α·log(1 − p)) at once; a list of MQCEResult.

    With a ``deadline`` (a :func:`time.perf_counter` value) the source blocks run in chunks
    and the run stops between chunks once the deadline has passed; pairs (i, j), i < j, whose
    row j did not run get their spanning-tree path (:func:`_complete`).
    """
    t0 = time.perf_counter()
    C = np.asarray(C, dtype=float)
    n = C.shape[0]
    weights = np.asarray(weights, dtype=float)
    penalties = np.asarray(penalties, dtype=float)
    A = weights.size
    R, nbr, nbr_rank, nbr_value8, B, values = _rank_inputs(C)
    best_e = np.full((A, n, n), -np.inf)
    best_q = np.full((A, n, n), -np.inf)
    best_k = np.zeros((A, n, n), dtype=np.int32)
    na = A if build_edges else 0
    edges = np.zeros((na, n, n), dtype=np.uint8)
    through = np.zeros((na, n, n), dtype=np.int32)
    row_levels = np.zeros(n, dtype=np.int32)
    blocks = kernels.source_blocks(nbr)
    chunk = blocks.shape[0] if deadline is None else max(1, -(-blocks.shape[0] // 64))
    done = 0
    while done < blocks.shape[0] and (deadline is None or time.perf_counter() < deadline):
        kernels.solve_blocks(R, nbr, nbr_rank, nbr_value8, B, values, weights, penalties, build_edges,
                             blocks[done:done + chunk], best_e, best_q, best_k, edges, through, row_levels)
        done = min(blocks.shape[0], done + chunk)
    results = []
    for a in range(A):
        if done < blocks.shape[0]:
            ran = np.zeros(n, dtype=bool)
            ran[blocks[:done][blocks[:done] >= 0]] = True
            results.append(_complete(C, weights[a], penalties[a], best_e[a], best_q[a], best_k[a],
                                     edges[a] if build_edges else None, through[a] if build_edges else None,
                                     ran, row_levels, t0))
            continue
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
        results.append(MQCEResult(eff, cap, hops, net, int(row_levels.max(initial=0)), 0.0, "fast", between))
    seconds = (time.perf_counter() - t0) / A
    for r in results:
        r.seconds = seconds
    return results


def _complete(C, weight, penalty, best_e, best_q, best_k, edges, through, ran, row_levels, t0):
    """A time-limited result: pairs (i, j), i < j, are exact when row j ran (``ran[j]``); the
    others take the better of their direct link and their maximum-spanning-tree path (feasible,
    with upper bound (1 − α)·B_ij; :func:`qnum.solvers.mqce.spanning.tree_fallback`)."""
    from qnum.solvers.mqce.spanning import tree_fallback

    n = C.shape[0]
    low = np.tril_indices(n, -1)                  # (j, i) with j > i: the row that traced the pair
    eff = np.zeros((n, n))
    cap = np.zeros((n, n))
    hops = np.zeros((n, n), dtype=np.int64)
    eff[low], cap[low], hops[low] = best_e[low], best_q[low], best_k[low].astype(np.int64) + 1
    upper = eff.copy()
    todo = np.triu(np.broadcast_to(~ran, (n, n)), 1)          # (i, j), i < j, row j not run
    fb = tree_fallback(C, weight, penalty, todo)
    eff, cap, hops = eff.T.copy(), cap.T.copy(), hops.T.copy()     # upper triangle: (i, j), i < j
    upper = upper.T.copy()
    eff[todo], cap[todo], hops[todo] = fb["efficiency"][todo], fb["capacitance"][todo], fb["hops"][todo]
    upper[todo] = weight * fb["bottleneck"][todo]
    for m in (eff, cap, hops, upper):
        m += m.T
    net, between = None, None
    if edges is not None:
        link = edges.astype(bool)
        for i, j in fb["links"]:
            link[i, j] = True
        e_i, e_j = np.nonzero(link)
        net = [(int(x), int(y)) for x, y in zip(e_i, e_j)]
        between = through.sum(axis=0, dtype=np.int64) + fb["betweenness"]
    return MQCEResult(eff, cap, hops, net, int(row_levels.max(initial=0)), 0.0, "fast", between, upper)


def solve_matrix(capacitance, alpha, hop_penalty, build_edges=True):
    """Exact per-pair optimum on a bare capacitance matrix (``-inf`` = no link; may be disconnected).

    Unreachable pairs get efficiency and capacitance ``-inf``. Used to score a network design
    (:func:`qnum.solvers.mqce.baselines.evaluate_network`).

    Examples
    --------
    >>> C = np.array([[-np.inf, 1.0, -np.inf], [1.0, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]])
    >>> r = solve_matrix(C, 0.5, 0.0)
    >>> r.efficiency[0, 1], r.efficiency[0, 2], r.edges
    (np.float64(0.5), np.float64(-inf), [(0, 1)])
    """
    C = np.asarray(capacitance, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or not np.array_equal(C, C.T):
        # the ranks read the upper triangle only: an asymmetric matrix would be half ignored
        from qnum.errors import InputError

        raise InputError("capacitance", f"array of shape {C.shape}", "must be a square symmetric matrix "
                         "(links are undirected)")
    return _solve(C, [1 - alpha], [hop_penalty], build_edges)[0]


def solve_fast(scenario, build_edges=True, time_limit=None) -> MQCEResult:
    """Exact optimum of every pair by the pruned hop-indexed DP (module docstring).

    Parameters
    ----------
    scenario : RelayScenario
    build_edges : bool
        Also build the MQCE network and the betweenness.
    time_limit : float, optional
        Seconds; the source rows then run in chunks and the solve stops between chunks once
        the limit has passed. Pairs not reached take their maximum-spanning-tree path, and
        ``upper`` holds each pair's bound ((1 − α)·B_ij for those). The first call of a
        session also loads (or, once after install, compiles) the kernels, which the limit
        cannot interrupt.

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> r = solve_fast(sc)
    >>> r.hops.tolist(), r.edges
    ([[0, 1, 2], [1, 0, 1], [2, 1, 0]], [(0, 1), (1, 2)])
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    return _solve(scenario.capacitance, [1 - scenario.alpha], [scenario.hop_penalty], build_edges, deadline)[0]


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
    >>> all(np.array_equal(r.efficiency, solve_fast(sc.replace(alpha=a)).efficiency)
    ...     for r, a in zip(sweep, [0.2, 0.7]))
    True
    """
    alphas = [float(a) for a in alphas]
    log1mp = float(np.log1p(-scenario.p_malicious))
    return _solve(scenario.capacitance, [1 - a for a in alphas], [a * log1mp for a in alphas], build_edges)


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
