"""Compiled (numba) kernels of the fast exact MQCE solver; :mod:`qnum.solvers.mqce.fast` drives them.

All kernels work on int32 *ranks* of the link capacitances (``-1`` = no link): bottleneck
values only need comparisons, so ranks give exactly the same choices, and the float value
``values[rank]`` is looked up wherever arithmetic happens.

Row independence. Q_k(s, ·) — the best bottleneck from ``s`` over paths of at most k + 1
links — depends only on Q_{k−1}(s, ·) and the link matrix: Q_k(s, j) = max(Q_{k−1}(s, j),
max_u min(Q_{k−1}(s, u), C(u, j))). So every source row is its own small dynamic program,
run in parallel (``prange``) with O(N · levels) memory, and it stops as soon as none of its
pairs can still improve its efficiency.

Why it is fast (the three prunings, all exact):

* **neighbor order**: each node's links are sorted by capacitance, descending. When
  updating Q(s, j) the scan over u stops at the first link with C(u, j) ≤ the current best:
  no later u can beat it. Only the "ball" of links shorter than the current bottleneck is
  visited, and the bottleneck grows with k, so the balls shrink level after level.
* **saturation**: Q_k(s, j) can never exceed B(s, j), the maximal bottleneck over all paths
  (read off a maximum spanning tree in O(N²)); a pair that reached it is never rescanned.
* **efficiency bound**: a row stops when every unsaturated pair satisfies
  (1 − α)·B(s, j) + (k + 1)·α·log(1 − p) ≤ E_best(s, j): no later level can win.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def max_bottleneck(R):
    """Maximal bottleneck rank B(i, j) over all paths (``-1`` if unreachable), via Prim's tree.

    Nodes join the maximum spanning forest one at a time; a node v joining through parent p
    with link rank w has B(u, v) = min(B(u, p), w) for every node u already in its tree.
    """
    n = R.shape[0]
    B = np.full((n, n), -1, dtype=np.int32)
    in_tree = np.zeros(n, dtype=np.bool_)
    key = np.full(n, -2, dtype=np.int64)     # best link rank into the tree; -2 = not yet seen
    parent = np.full(n, -1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    comp = np.empty(n, dtype=np.int64)
    n_comp = 0
    for step in range(n):
        v = -1
        best = -3
        for u in range(n):
            if not in_tree[u] and key[u] > best:
                best = key[u]
                v = u
        if key[v] < 0:                      # nothing links v to the current tree: new component
            parent[v] = -1
            n_comp += 1
        in_tree[v] = True
        comp[v] = n_comp
        order[step] = v
        p = parent[v]
        if p >= 0:
            w = key[v]
            for t in range(step):
                u = order[t]
                if comp[u] == comp[v]:
                    b = B[u, p] if u != p else w
                    if w < b:
                        b = w
                    B[u, v] = b
                    B[v, u] = b
        for u in range(n):
            if not in_tree[u] and R[v, u] > key[u]:
                key[u] = R[v, u]
                parent[u] = v
    return B


@njit(parallel=True, cache=True)
def solve_rows(R, nbr, nbr_rank, B, values, weights, penalties, build_paths, rows,
               best_e, best_q, best_k, edges, through, row_levels):
    """Per-pair optimum of the source rows ``rows``, for each (α weight 1 − α, hop penalty α·log(1 − p)).

    Results are written into the given arrays (rows not listed are left untouched), so a
    caller can run the rows in chunks and stop between chunks (a time limit).

    Parameters
    ----------
    R : int32 (n, n)
        Link ranks, ``-1`` for no link and on the diagonal.
    nbr, nbr_rank : int32 (n, n)
        For each node, its neighbors and their link ranks in descending rank order
        (ties by index), ``-1`` ranks last.
    B : int32 (n, n)
        Maximal bottleneck ranks (:func:`max_bottleneck`).
    values : float64 (m + 1,)
        Capacitance of each rank; ``values[m] = -inf`` stands for rank ``-1``.
    weights, penalties : float64 (A,)
        1 − α and α·log(1 − p) for each of the A trade-offs solved together.
    build_paths : bool
        Also trace one optimal path per pair (smallest-index next hop among the optimal ones).
    rows : int64 (r,)
        The source rows to solve.

    Outputs (written for the rows solved)
    -------------------------------------
    best_e, best_q : float64 (A, n, n)
    best_k : int32 (A, n, n), zero-initialized
        Optimal efficiency, capacitance and index k (k + 1 links; the smallest on ties).
    edges : uint8 (A, n, n), or (0, n, n) without ``build_paths``; zero-initialized
        ``edges[a, i, j] = 1`` if link (i, j), i < j, is on a traced path (pairs (i, s), i < s,
        are traced by row s).
    through : int32 (A, n, n), or (0, n, n) without ``build_paths``; zero-initialized
        ``through[a, s, u]``: pairs (i, s), i < s, whose traced path has u as an inner node.
    row_levels : int32 (n,)
        Number of max-min levels computed for each row.
    """
    n = R.shape[0]
    A = weights.shape[0]
    for idx in prange(rows.shape[0]):
        s = np.int64(rows[idx])      # int64 keeps index arithmetic integral
        q = R[s].copy()
        for a in range(A):
            for j in range(n):
                if q[j] >= 0:
                    best_e[a, s, j] = weights[a] * values[q[j]]
                    best_q[a, s, j] = values[q[j]]
                else:
                    best_e[a, s, j] = -np.inf
                    best_q[a, s, j] = -np.inf
        store = np.empty((16 if build_paths else 1, n), dtype=np.int32)
        if build_paths:
            store[0] = q
        k = 0
        while True:
            # can any unsaturated pair still improve at level k + 1 or later?
            active = False
            for j in range(n):
                if q[j] < B[s, j]:
                    for a in range(A):
                        if weights[a] * values[B[s, j]] + penalties[a] * (k + 1) > best_e[a, s, j]:
                            active = True
                            break
                    if active:
                        break
            if not active:
                break
            k += 1
            qn = q.copy()
            changed = False
            for j in range(n):
                cur = q[j]
                if cur >= B[s, j]:
                    continue
                for t in range(n):
                    c = nbr_rank[j, t]
                    if c <= cur:
                        break
                    v = q[nbr[j, t]]
                    if v > cur:
                        cur = v if v < c else c
                if cur > q[j]:
                    qn[j] = cur
                    changed = True
            if not changed:
                k -= 1
                break
            q = qn
            for j in range(n):
                if q[j] >= 0:
                    qv = values[q[j]]
                    for a in range(A):
                        e = weights[a] * qv + k * penalties[a]
                        if e > best_e[a, s, j]:
                            best_e[a, s, j] = e
                            best_q[a, s, j] = qv
                            best_k[a, s, j] = k
            if build_paths:
                if k >= store.shape[0]:
                    bigger = np.empty((2 * store.shape[0], n), dtype=np.int32)
                    bigger[:store.shape[0]] = store
                    store = bigger
                store[k] = q
        row_levels[s] = k
        if build_paths:
            # trace i -> s for every i < s; store[r](u) = Q_r(s, u) = Q_r(u, s)
            for a in range(A):
                for i in range(s):
                    if best_e[a, s, i] == -np.inf:
                        continue
                    # rank of the optimal capacitance: the level value at best_k
                    theta = store[best_k[a, s, i], i]
                    node = np.int64(i)
                    r = np.int64(best_k[a, s, i]) + 1
                    while r >= 2:
                        nxt = np.int64(n)
                        for t in range(n):
                            if nbr_rank[node, t] < theta:
                                break
                            u = np.int64(nbr[node, t])
                            if u < nxt and store[r - 2, u] >= theta:
                                nxt = u
                        edges[a, min(node, nxt), max(node, nxt)] = 1
                        through[a, s, nxt] += 1
                        node = nxt
                        r -= 1
                    edges[a, min(node, s), max(node, s)] = 1
