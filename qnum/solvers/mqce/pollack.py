"""Reference MQCE solver: the paper's modified Pollack max-min matrix iteration.

Q_m(i, j) = max_u min(Q_0(i, u), Q_{m-1}(u, j)) is iterated for m = 1, 2, … until no entry
changes (paper eq. 14); at each level the efficiency (1 − α)·Q_m + α·m·log(1 − p) replaces
the pair's best only on strict improvement (smallest m kept), as ``pollack_star`` in the
authors' code. Every row is multiplied at every level, one row at a time: O(N^3) per level.
The MQCE network is rebuilt here with vectorized numpy from the stored levels — a second,
independent implementation of the tie rule the compiled fast solver traces, so tests that
compare the two networks check both.

Time limit: the iteration stops between levels. After level m every pair's best over paths
with at most m intermediate nodes is known, and any path with more has efficiency at most
(1 − α)·B_ij + α·(m + 1)·log(1 − p) (B_ij = the largest bottleneck, read off a maximum
spanning tree), so the pair's bound is the larger of the two; its point is the better of its
best level path and its spanning-tree path.
"""

from __future__ import annotations

import time

import numpy as np

from qnum.solvers.mqce.fast import MQCEResult

#: bytes budget of one block of the vectorized path rebuild
BLOCK_BYTES = 1 << 27


def solve_pollack(scenario, build_edges=True, time_limit=None) -> MQCEResult:
    """Reference optimum by the plain Pollack iteration (module docstring).

    With ``time_limit`` (seconds) the iteration stops between levels once the limit has
    passed and the result carries per-pair bounds in ``upper`` (module docstring).

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> solve_pollack(sc).hops.tolist()
    [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    C = scenario.capacitance
    a, pen = scenario.alpha, scenario.hop_penalty
    n = C.shape[0]
    Q = C.copy()
    best_e = np.full((n, n), -np.inf)
    best_q = np.full((n, n), -np.inf)
    best_k = np.zeros((n, n), dtype=np.int64)
    levels = []
    m = 0
    while True:
        for i in range(n):
            for j in range(n):
                if i != j and np.isfinite(Q[i, j]):
                    e = (1 - a) * Q[i, j] + m * pen
                    if e > best_e[i, j]:
                        best_e[i, j], best_q[i, j], best_k[i, j] = e, Q[i, j], m
        if build_edges:
            levels.append(Q.copy())
        if deadline is not None and time.perf_counter() >= deadline:
            return _stopped(scenario, best_e, best_q, best_k, levels if build_edges else None, m, t0)
        new = np.empty_like(Q)
        for i in range(n):
            new[i] = np.maximum(Q[i], np.max(np.minimum(C[i][:, None], Q), axis=0))
        np.fill_diagonal(new, -np.inf)
        if np.array_equal(new, Q):
            break
        Q = new
        m += 1
    return _finish(scenario, best_e, best_q, best_k, levels if build_edges else None, m, t0, "pollack")


def _finish(scenario, best_e, best_q, best_k, levels, k, t0, method):
    """The per-pair arrays with diagonal 0, and the network rebuilt from ``levels`` (if given)."""
    hops = best_k + 1
    np.fill_diagonal(hops, 0)
    eff = best_e.copy()
    cap = best_q.copy()
    np.fill_diagonal(eff, 0.0)
    np.fill_diagonal(cap, 0.0)
    edges, between = (optimal_network(scenario.capacitance, cap, hops, levels)
                      if levels is not None else (None, None))
    return MQCEResult(eff, cap, hops, edges, k, time.perf_counter() - t0, method, between)


def _stopped(scenario, best_e, best_q, best_k, levels, m, t0):
    """Result of an iteration stopped after level m (module docstring: point and bounds)."""
    from qnum.solvers.mqce.spanning import tree_fallback

    C = scenario.capacitance
    n = C.shape[0]
    weight, pen = 1 - scenario.alpha, scenario.hop_penalty
    upper_tri = np.triu(np.ones((n, n), dtype=bool), 1)
    fb = tree_fallback(C, weight, pen, upper_tri)
    eff, cap = best_e.copy(), best_q.copy()
    hops = best_k + 1
    use_fb = upper_tri & (fb["efficiency"] > eff)
    upper = np.where(upper_tri, np.maximum(eff, weight * fb["bottleneck"] + (m + 1) * pen), 0.0)
    eff[use_fb], cap[use_fb], hops[use_fb] = fb["efficiency"][use_fb], fb["capacitance"][use_fb], fb["hops"][use_fb]
    for a in (eff, cap, hops, upper):
        low = np.tril_indices(n, -1)
        a[low] = a.T[low]
        np.fill_diagonal(a, 0)
    edges, between = None, None
    if levels is not None:
        ii, jj = np.triu_indices(n, 1)
        edges, between = optimal_network(C, cap, hops, levels, ~use_fb[ii, jj])
        if use_fb.any():         # the fallback's links and inner nodes of the pairs that use it
            fb = tree_fallback(C, weight, pen, use_fb)
            edges = sorted(set(edges) | fb["links"])
            between = between + fb["betweenness"]
    return MQCEResult(eff, cap, hops, edges, m, time.perf_counter() - t0, "pollack", between, upper)


def optimal_network(C, cap, hops, levels, traced=None):
    """(edges, betweenness): the union of the optimal paths of all pairs i < j, as sorted
    (i, j) with i < j, and per node the count of those paths through it as an intermediate
    node (each path's inner nodes once; its ends never).

    ``traced`` (bool per pair of ``numpy.triu_indices(n, 1)``) restricts both to those pairs.
    """
    n = C.shape[0]
    between = np.zeros(n, dtype=np.int64)
    edge = np.zeros((n, n), dtype=bool)
    # all pairs in parallel: state (cur, j, theta, remaining links)
    ii, jj = np.triu_indices(n, 1)
    if traced is not None:
        ii, jj = ii[traced], jj[traced]
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
    return edges, between
