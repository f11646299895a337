"""Exact MQCE optimum (optimal efficiency, capacitance, hops, network) by pruned hop-indexed DP.

Algorithm (fast exact method, ``method="fast"``)
------------------------------------------------
Let Q_k(i, j) be the best bottleneck capacitance over paths with at most k + 1 links
(Q_0 = link capacitances, ``-inf`` = no path). Then Q_k = Q_{k-1} ⊗ C with the max-min
product (Q ⊗ C)(i, j) = max_u min(Q(i, u), C(u, j)), and the efficiency of pair (i, j)
is E*_ij = max_k (1 − α)·Q_k(i, j) + α·k·log(1 − p), the first (smallest) k kept on ties
exactly as the paper's code does; then hops = k + 1 links and capacitance = Q_k.

Exactness: the values Q_k are link capacitances themselves (min/max only), so both
implementations evaluate the same floating-point expression on the same operands and
agree bit for bit.

Speed comes from
* a vectorized max-min product over row blocks (numpy broadcasting, bounded memory);
* pruning: Q_k(i, j) ≤ U_ij = min(max_u C(i, u), max_u C(u, j)), so a pair can still
  improve at a level k' > k only if (1 − α)·U_ij + α·log(1 − p)·(k + 1) > E_best(i, j);
  rows with no such pair are no longer multiplied, and the iteration stops when no pair
  can improve (or Q_k stops changing). With p > 0 and α > 0 the penalty per hop bounds
  the number of levels by (1 − α)·max C / (α·|log(1 − p)|).

The paper's Pollack iteration (:mod:`qnum.solvers.pollack`) multiplies every row and
iterates until Q stops changing, without pruning.

Optimal paths (deterministic tie-breaking) are rebuilt from the stored levels: from i with
r links left and threshold θ = capacitance of the pair, go to the smallest-index neighbor u
with C(i, u) ≥ θ and Q_{r-2}(u, j) ≥ θ. The MQCE network is the union of those paths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: bytes budget of one block of the max-min product
BLOCK_BYTES = 1 << 27


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


def maxmin_product(Q, C, rows=None):
    """Rows ``rows`` of max(Q, Q ⊗ C), (Q ⊗ C)(i, j) = max_u min(Q(i, u), C(u, j)).

    Examples
    --------
    >>> Q = np.array([[-np.inf, 3., 1.], [3., -np.inf, 2.], [1., 2., -np.inf]])
    >>> maxmin_product(Q, Q)[0].tolist()
    [3.0, 3.0, 2.0]
    """
    n = C.shape[0]
    rows = np.arange(Q.shape[0]) if rows is None else np.asarray(rows)
    out = np.empty((len(rows), n), dtype=Q.dtype)
    step = max(1, BLOCK_BYTES // (8 * n * n))
    for s in range(0, len(rows), step):
        r = rows[s:s + step]
        out[s:s + step] = np.maximum(Q[r], np.minimum(Q[r][:, :, None], C[None, :, :]).max(axis=1))
    return out


def _better(e_new, e_best):
    return e_new > e_best


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
    t0 = time.perf_counter()
    C = scenario.capacitance
    a, pen = scenario.alpha, scenario.hop_penalty
    n = C.shape[0]
    # Work on int32 ranks of the link capacitances (-1 = no link): the max-min product only
    # compares values, so ranks give the same result with half the memory traffic of floats;
    # values are looked up again (exactly) wherever arithmetic happens.
    finite = np.isfinite(C)
    vals = np.unique(C[finite])
    values = np.append(vals, -np.inf)          # values[-1] = -inf for rank -1
    R = np.where(finite, np.searchsorted(vals, np.where(finite, C, 0.0)), -1).astype(np.int32)
    Q = R.copy()
    with np.errstate(invalid="ignore"):
        best_e = np.where(finite, (1 - a) * C, -np.inf)
    best_q = np.where(finite, C, -np.inf)
    best_k = np.zeros((n, n), dtype=np.int64)
    rowmax = R.max(axis=1)
    upper = np.minimum(rowmax[:, None], rowmax[None, :])
    upper_value = values[upper]
    levels_store = [C.copy()] if build_edges else None
    k = 0
    active = np.arange(n)
    while True:
        # pairs that could still improve at level k + 1 or later
        can = ((1 - a) * upper_value + pen * (k + 1) > best_e) & (Q < upper)
        np.fill_diagonal(can, False)
        active = np.nonzero(can.any(axis=1))[0]
        if active.size == 0:
            break
        k += 1
        new_rows = maxmin_product(Q, R, active)
        new_rows[np.arange(active.size), active] = -1
        changed = new_rows != Q[active]
        if not changed.any():
            break
        Qn = Q.copy()
        Qn[active] = new_rows
        # keep symmetry for rows not recomputed: Q_k(i,j) = Q_k(j,i)
        Qn = np.maximum(Qn, Qn.T)
        np.fill_diagonal(Qn, -1)
        Q = Qn
        Qv = values[Q]
        with np.errstate(invalid="ignore"):
            e = np.where(Q >= 0, (1 - a) * Qv + k * pen, -np.inf)
        imp = _better(e, best_e)
        best_e = np.where(imp, e, best_e)
        best_q = np.where(imp, Qv, best_q)
        best_k = np.where(imp, k, best_k)
        if build_edges:
            levels_store.append(Qv)
    return _finish(scenario, best_e, best_q, best_k, levels_store, k, t0, "fast")


def _finish(scenario, best_e, best_q, best_k, levels, k, t0, method):
    hops = best_k + 1
    np.fill_diagonal(hops, 0)
    eff = best_e.copy()
    cap = best_q.copy()
    np.fill_diagonal(eff, 0.0)
    np.fill_diagonal(cap, 0.0)
    edges, between = (optimal_network(scenario.capacitance, cap, hops, levels, with_betweenness=True)
                      if levels is not None else (None, None))
    return MQCEResult(eff, cap, hops, edges, k, time.perf_counter() - t0, method, between)


def optimal_path(C, levels, i, j, theta, h):
    """One optimal path i → j with ``h`` links, all of capacitance ≥ ``theta`` (smallest-index next hop)."""
    path = [i]
    cur = i
    for r in range(h, 1, -1):
        ok = (C[cur] >= theta) & (levels[min(r - 2, len(levels) - 1)][:, j] >= theta)
        ok[path] = False
        cur = int(np.argmax(ok))
        path.append(cur)
    path.append(j)
    return path


def optimal_network(C, cap, hops, levels, with_betweenness=False):
    """Union of the optimal paths of all pairs i < j, as sorted (i, j) with i < j.

    With ``with_betweenness``, also the count of optimal paths through each node as an
    intermediate node (each path's inner nodes once; its ends never).
    """
    n = C.shape[0]
    between = np.zeros(n, dtype=np.int64)
    edge = np.zeros((n, n), dtype=bool)
    # all pairs in parallel: state (cur, j, theta, remaining links)
    ii, jj = np.triu_indices(n, 1)
    cur = ii.copy()
    theta = cap[ii, jj]
    rem = hops[ii, jj].copy()
    L = np.stack(levels)  # (levels, n, n)
    while True:
        live = rem >= 2
        if not live.any():
            break
        idx = np.nonzero(live)[0]
        step = max(1, BLOCK_BYTES // (8 * n))
        nxt = np.empty(idx.size, dtype=np.int64)
        for s in range(0, idx.size, step):
            b = idx[s:s + step]
            lev = np.minimum(rem[b] - 2, L.shape[0] - 1)
            # levels are symmetric: row j holds column j, and rows are contiguous in memory
            ok = (C[cur[b]] >= theta[b, None]) & (L[lev, jj[b], :] >= theta[b, None])
            nxt[s:s + step] = np.argmax(ok, axis=1)
        a_, b_ = cur[idx], nxt
        between += np.bincount(nxt, minlength=n)    # nxt is an inner node: >= 1 link remains
        edge[np.minimum(a_, b_), np.maximum(a_, b_)] = True
        cur[idx] = nxt
        rem[idx] -= 1
    edge[np.minimum(cur, jj), np.maximum(cur, jj)] = True
    e_i, e_j = np.nonzero(edge)
    edges = [(int(x), int(y)) for x, y in zip(e_i, e_j)]
    return (edges, between) if with_betweenness else edges


def solve_alpha_sweep(scenario, alphas, build_edges=False) -> list:
    """Exact optima for many α at once, sharing the α-independent work.

    The bottleneck levels ``Q_k`` do not depend on α; only the choice
    ``E* = max_k (1 − α)·Q_k + k·α·log(1 − p)`` does. So the levels are computed once,
    without α-dependent pruning, until they stop changing, and each α is one vectorized
    max over the stored levels — evaluated with the same floating-point expression and the
    same tie rule (smallest k) as :func:`solve_fast`, hence identical results.

    Examples
    --------
    >>> from qnum.networks.relay import random_square
    >>> sc = random_square(30, 10.0, seed=2)
    >>> sweep = solve_alpha_sweep(sc, [0.2, 0.7])
    >>> all(np.array_equal(r.efficiency, solve_fast(sc.with_alpha(a)).efficiency)
    ...     for r, a in zip(sweep, [0.2, 0.7]))
    True
    """
    t0 = time.perf_counter()
    C = scenario.capacitance
    n = C.shape[0]
    finite = np.isfinite(C)
    vals = np.unique(C[finite])
    values = np.append(vals, -np.inf)
    R = np.where(finite, np.searchsorted(vals, np.where(finite, C, 0.0)), -1).astype(np.int32)
    levels = [R]
    while True:          # Q_k = max(Q_{k-1}, Q_{k-1} ⊗ C) until nothing changes (at most n - 2 times)
        Q = maxmin_product(levels[-1], R)
        np.fill_diagonal(Q, -1)
        if np.array_equal(Q, levels[-1]):
            break
        levels.append(Q)
    shared = time.perf_counter() - t0
    level_values = [values[Q] for Q in levels]
    results = []
    for alpha in alphas:
        t1 = time.perf_counter()
        sc = scenario.with_alpha(alpha)
        a, pen = sc.alpha, sc.hop_penalty
        with np.errstate(invalid="ignore"):
            best_e = np.where(finite, (1 - a) * C, -np.inf)
        best_q = np.where(finite, C, -np.inf)
        best_k = np.zeros((n, n), dtype=np.int64)
        for k in range(1, len(levels)):
            Qv = level_values[k]
            with np.errstate(invalid="ignore"):
                e = np.where(levels[k] >= 0, (1 - a) * Qv + k * pen, -np.inf)
            imp = _better(e, best_e)
            best_e = np.where(imp, e, best_e)
            best_q = np.where(imp, Qv, best_q)
            best_k = np.where(imp, k, best_k)
        res = _finish(sc, best_e, best_q, best_k, level_values if build_edges else None,
                      len(levels) - 1, t1, "fast-sweep")
        res.seconds += shared / len(alphas)      # the shared levels, split evenly
        results.append(res)
    return results
