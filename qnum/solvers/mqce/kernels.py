"""Compiled (numba) kernels of the fast exact MQCE solver; :mod:`qnum.solvers.mqce.fast` drives them.

All kernels work on int32 *ranks* of the link capacitances (``-1`` = no link): bottleneck
values only need comparisons, so ranks give exactly the same choices, and the float value
``values[rank]`` is looked up wherever arithmetic happens.

Row independence. Q_k(s, ·) — the best bottleneck from ``s`` over paths of at most k + 1
links — depends only on Q_{k−1}(s, ·) and the link matrix: Q_k(s, j) = max(Q_{k−1}(s, j),
max_u min(Q_{k−1}(s, u), C(u, j))). So every source row is its own small dynamic program with
O(N · levels) memory. :func:`solve_blocks` runs :data:`LANES` rows together (sources grouped
by :func:`source_blocks`), blocks in parallel (``prange``).

Why it is fast (all exact):

* **neighbor order**: each node's links are sorted by capacitance, descending. When
  updating Q(s, j) the scan over u stops at the first link with C(u, j) ≤ the current best:
  no later u can beat it. Only the "ball" of links shorter than the current bottleneck is
  visited, and the bottleneck grows with k, so the balls shrink level after level.
* **blocks**: the sources of a block are strongly linked to each other, so their balls
  around j nearly coincide; one pass over j's list updates all lanes with vector min/max.
* **saturation**: Q_k(s, j) can never exceed B(s, j), the maximal bottleneck over all paths
  (read off a maximum spanning tree in O(N²)); a pair that reached it is never rescanned.
* **useless values**: a bottleneck too small to improve the pair's efficiency at this level
  is not recorded and the scan stops before the links that could only produce such values;
  a pair whose maximal bottleneck is useless is frozen; a block stops when nothing was
  recorded (:mod:`qnum.solvers.mqce.fast`, "Useless values", for why this is exact).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def upper_values(C):
    """The entries C[i, j], i < j, row by row (the order :func:`link_ranks` expects)."""
    n = C.shape[0]
    out = np.empty(n * (n - 1) // 2)
    for i in prange(n):
        start = i * (2 * n - i - 1) // 2
        for j in range(i + 1, n):
            out[start + j - i - 1] = C[i, j]
    return out


@njit(parallel=True, cache=True)
def link_ranks(upper, order, n):
    """Dense ranks of the finite link capacitances of a symmetric matrix.

    Parameters
    ----------
    upper : float64 (n (n − 1) / 2,)
        :func:`upper_values` of the matrix.
    order : int64
        ``numpy.argsort(upper)``.
    n : int

    Returns
    -------
    R : int32 (n, n)
        Rank of each link among the distinct finite capacitances (``-1`` = no link, diagonal).
    vals : float64 (m,)
        The distinct finite capacitances, ascending (``vals[R[i, j]] == C[i, j]``).
    """
    size = upper.shape[0]
    flat_rank = np.empty(size, dtype=np.int32)
    vals = np.empty(size)
    m = 0
    for t in range(size):
        v = upper[order[t]]
        if not np.isfinite(v):
            flat_rank[order[t]] = -1
            continue
        if m == 0 or v != vals[m - 1]:
            vals[m] = v
            m += 1
        flat_rank[order[t]] = m - 1
    R = np.empty((n, n), dtype=np.int32)
    for i in prange(n):
        R[i, i] = -1
        start = i * (2 * n - i - 1) // 2
        for j in range(i + 1, n):
            R[i, j] = flat_rank[start + j - i - 1]
    for i in prange(n):
        for j in range(i):
            R[i, j] = R[j, i]
    return R, vals[:m].copy()


@njit(parallel=True, cache=True)
def neighbor_lists(R, values):
    """Each node's neighbors by descending capacitance, ties by index, no-links last.

    Parameters
    ----------
    R : int32 (n, n)
        Link ranks (:func:`link_ranks`).
    values : float64 (m + 1,)
        Capacitance of each rank; ``values[m] = -inf`` stands for rank ``-1``.

    Returns
    -------
    nbr, nbr_rank : int32 (n, n + 8)
        The neighbors and their link ranks, padded with 8 entries (node 0, rank ``-1``).
    nbr_value8 : float64 (n, ceil(n / 8))
        Every eighth neighbor's capacitance (``-inf`` = no link).
    """
    n = R.shape[0]
    m = values.shape[0] - 1
    nbr = np.zeros((n, n + 8), dtype=np.int32)
    nbr_rank = np.full((n, n + 8), -1, dtype=np.int32)
    nbr_value8 = np.empty((n, (n + 7) // 8))
    for j in prange(n):
        key = np.empty(n, dtype=np.int64)       # (descending rank, index): distinct keys
        for u in range(n):
            key[u] = (np.int64(m - 1 - R[j, u]) << 32) | u
        key.sort()
        for t in range(n):
            u = np.int32(key[t] & 0xFFFFFFFF)
            r = R[j, u]
            nbr[j, t] = u
            nbr_rank[j, t] = r
            if t % 8 == 0:
                nbr_value8[j, t // 8] = values[r]
    return nbr, nbr_rank, nbr_value8


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


#: sources solved together by one pass over the neighbor lists (one 64-byte line of int32 ranks)
LANES = 16


@njit(cache=True)
def source_blocks(nbr):
    """Group the sources into blocks of :data:`LANES` linked strongly to each other.

    Each block starts at the smallest-index free node and takes its free neighbors in
    decreasing capacitance, so a block's sources share most of their scans. Returns int64
    ``(ceil(n / LANES), LANES)``, ``-1`` pads the last block.
    """
    n = nbr.shape[0]
    blocks = np.full((-(-n // LANES), LANES), -1, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    b = 0
    for v in range(n):
        if taken[v]:
            continue
        taken[v] = True
        blocks[b, 0] = v
        filled = 1
        for t in range(n):
            if filled == LANES:
                break
            u = nbr[v, t]
            if not taken[u]:
                taken[u] = True
                blocks[b, filled] = u
                filled += 1
        b += 1
    return blocks


@njit(inline="always")
def _useless_below(weights, penalties, best_e, s, j, k):
    """Capacitance at or below which a path with k intermediate nodes cannot improve pair (s, j)
    for any α, lowered by a 1e-9 relative margin far above rounding (``-inf``: every path may)."""
    tv = np.inf
    for a in range(weights.shape[0]):
        e = best_e[a, s, j]
        kp = k * penalties[a]
        if weights[a] > 0.0:
            x = (e - kp) / weights[a]
            x -= 1e-9 * (abs(x) + (abs(e) + abs(kp)) / weights[a])
        elif kp + 1e-9 * (abs(kp) + abs(e)) <= e:
            x = np.inf                       # capacitance does not count, the extra hops cost
        else:
            x = -np.inf
        if x < tv:
            tv = x
    return tv


@njit(parallel=True, cache=True)
def solve_blocks(R, nbr, nbr_rank, nbr_value8, B, values, weights, penalties, build_paths, blocks,
                 best_e, best_q, best_k, edges, through, row_levels):
    """Per-pair optimum of the sources in ``blocks``, for each (α weight 1 − α, hop penalty α·log(1 − p)).

    The :data:`LANES` sources of a block run their levels together: a node j's neighbor list is
    read once per level for all of them (the lane loop vectorizes), and the scan stops once
    every lane is *closed*: its bottleneck is at least the next link's, or the next links are
    too weak to improve its pair — at level k a bottleneck at or below
    τ = (E_best − k·α·log(1 − p))/(1 − α) (minus a margin, :func:`_useless_below`) gains
    nothing, and such values are not even recorded. A pair is *frozen* once its maximal
    bottleneck is at or below τ (or reached). Paths through an unrecorded or frozen value are
    never optimal (module docstring of :mod:`qnum.solvers.mqce.fast`), so every pair's
    optimum, capacitance, hop count and traced path are exactly those of the plain iteration.

    Results are written into the given arrays (rows not listed are left untouched), so a
    caller can run the blocks in chunks and stop between chunks (a time limit).

    Parameters
    ----------
    R : int32 (n, n)
        Link ranks, ``-1`` for no link and on the diagonal.
    nbr, nbr_rank : int32 (n, n + 8)
        For each node, its neighbors and their link ranks in descending rank order
        (ties by index), ``-1`` ranks last, padded (:func:`neighbor_lists`).
    nbr_value8 : float64 (n, ceil(n / 8))
        Every eighth neighbor's capacitance.
    B : int32 (n, n)
        Maximal bottleneck ranks (:func:`max_bottleneck`).
    values : float64 (m + 1,)
        Capacitance of each rank; ``values[m] = -inf`` stands for rank ``-1``.
    weights, penalties : float64 (A,)
        1 − α and α·log(1 − p) for each of the A trade-offs solved together.
    build_paths : bool
        Also trace one optimal path per pair (smallest-index next hop among the optimal ones).
    blocks : int64 (b, LANES)
        The sources to solve (:func:`source_blocks`), ``-1`` = empty lane.

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
    big = np.int32(2147483647)
    lanes = blocks.shape[1]          # = LANES; a run-time count lets the lane loop vectorize
    for b in prange(blocks.shape[0]):
        src = blocks[b]
        q = np.empty((n, LANES), dtype=np.int32)       # q[u, l] = Q_k(src[l], u) (recorded values)
        qn = np.empty((n, LANES), dtype=np.int32)
        frozen = np.ones((n, LANES), dtype=np.bool_)
        cur = np.empty(LANES, dtype=np.int32)         # best bottleneck found this level
        open_at = np.empty(LANES, dtype=np.int32)     # cur while the lane is open, else big
        tv = np.empty(LANES)
        widest = np.empty((n, LANES))                 # capacitance of the maximal bottleneck
        for l in range(LANES):
            s = src[l]
            for j in range(n):
                q[j, l] = -1 if s < 0 else R[s, j]
            if s < 0:
                continue
            for j in range(n):
                r = R[s, j]
                frozen[j, l] = r >= B[s, j]
                widest[j, l] = values[B[s, j]]
                for a in range(A):
                    best_e[a, s, j] = weights[a] * values[r] if r >= 0 else -np.inf
                    best_q[a, s, j] = values[r]
        store = np.empty((16 if build_paths else 1, n, LANES), dtype=np.int32)
        if build_paths:
            store[0] = q
        k = 0
        while True:
            k += 1
            changed = False
            for j in range(n):
                lo = big
                for l in range(LANES):
                    open_at[l] = big
                    cur[l] = q[j, l]
                    if frozen[j, l]:
                        continue
                    tv[l] = _useless_below(weights, penalties, best_e, src[l], j, k)
                    if widest[j, l] <= tv[l]:
                        frozen[j, l] = True
                    elif nbr_value8[j, 0] > tv[l]:
                        open_at[l] = cur[l]
                        if cur[l] < lo:
                            lo = cur[l]
                t = 0
                while t < n and nbr_rank[j, t] > lo:     # eight links at a time (padded lists)
                    c0, u0 = nbr_rank[j, t + 0], nbr[j, t + 0]
                    c1, u1 = nbr_rank[j, t + 1], nbr[j, t + 1]
                    c2, u2 = nbr_rank[j, t + 2], nbr[j, t + 2]
                    c3, u3 = nbr_rank[j, t + 3], nbr[j, t + 3]
                    c4, u4 = nbr_rank[j, t + 4], nbr[j, t + 4]
                    c5, u5 = nbr_rank[j, t + 5], nbr[j, t + 5]
                    c6, u6 = nbr_rank[j, t + 6], nbr[j, t + 6]
                    c7, u7 = nbr_rank[j, t + 7], nbr[j, t + 7]
                    for l in range(lanes):
                        x = cur[l]
                        v = q[u0, l] if q[u0, l] < c0 else c0
                        x = v if v > x else x
                        v = q[u1, l] if q[u1, l] < c1 else c1
                        x = v if v > x else x
                        v = q[u2, l] if q[u2, l] < c2 else c2
                        x = v if v > x else x
                        v = q[u3, l] if q[u3, l] < c3 else c3
                        x = v if v > x else x
                        v = q[u4, l] if q[u4, l] < c4 else c4
                        x = v if v > x else x
                        v = q[u5, l] if q[u5, l] < c5 else c5
                        x = v if v > x else x
                        v = q[u6, l] if q[u6, l] < c6 else c6
                        x = v if v > x else x
                        v = q[u7, l] if q[u7, l] < c7 else c7
                        x = v if v > x else x
                        cur[l] = x
                    t += 8
                    weakest = nbr_value8[j, t >> 3] if t < n else -np.inf
                    lo = big                 # close the lanes the remaining links cannot help
                    for l in range(LANES):
                        if open_at[l] != big:
                            open_at[l] = big if weakest <= tv[l] else cur[l]
                            if open_at[l] < lo:
                                lo = open_at[l]

                for l in range(LANES):
                    qn[j, l] = q[j, l]
                    if frozen[j, l] or cur[l] <= q[j, l] or values[cur[l]] <= tv[l]:
                        continue
                    qn[j, l] = cur[l]
                    changed = True
                    s = src[l]
                    qv = values[cur[l]]
                    for a in range(A):
                        e = weights[a] * qv + k * penalties[a]
                        if e > best_e[a, s, j]:
                            best_e[a, s, j] = e
                            best_q[a, s, j] = qv
                            best_k[a, s, j] = k
                    if cur[l] >= B[s, j]:
                        frozen[j, l] = True
            if not changed:
                k -= 1
                break
            q, qn = qn, q
            if build_paths:
                if k >= store.shape[0]:
                    bigger = np.empty((2 * store.shape[0], n, LANES), dtype=np.int32)
                    bigger[:store.shape[0]] = store
                    store = bigger
                store[k] = q
        for l in range(LANES):
            s = src[l]
            if s < 0:
                continue
            row_levels[s] = k
            if not build_paths:
                continue
            # trace i -> s for every i < s; store[r, u, l] = Q_r(s, u) = Q_r(u, s)
            for a in range(A):
                for i in range(s):
                    if best_e[a, s, i] == -np.inf:
                        continue
                    # rank of the optimal capacitance: the level value at best_k
                    theta = store[best_k[a, s, i], i, l]
                    node = np.int64(i)
                    r = np.int64(best_k[a, s, i]) + 1
                    while r >= 2:
                        nxt = np.int64(n)
                        for t in range(n):
                            if nbr_rank[node, t] < theta:
                                break
                            u = np.int64(nbr[node, t])
                            if u < nxt and store[r - 2, u, l] >= theta:
                                nxt = u
                        edges[a, min(node, nxt), max(node, nxt)] = 1
                        through[a, s, nxt] += 1
                        node = nxt
                        r -= 1
                    edges[a, min(node, s), max(node, s)] = 1
