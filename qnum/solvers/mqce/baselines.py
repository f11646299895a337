"""Baseline MQCE designs and their evaluation with the optimum's efficiency functional.

Every design is scored pair by pair with the same efficiency the optimum maximizes,
E_ij = (1 − α)·C(path) + α·k·log(1 − p) (C(path) = the path's smallest link capacitance,
k = its intermediate trusted relays), and the design's objective is the mean of E_ij over
unordered pairs i < j. Two kinds of design:

* a **network** (a list of links): every pair uses its optimal path *within* the network
  (:func:`evaluate_network`, the exact solver on the capacitance matrix masked to the links);
* **routes** (a path per pair): every pair uses its own path (:func:`evaluate_paths`).

A pair the design leaves unconnected has efficiency ``-inf``, capacitance 0 and hops 0.

The built-in designs:

* :func:`direct_paths` — every pair on its direct link: the fully connected network the
  paper compares against (its Fig. 3(b));
* :func:`qnum.solvers.mqce.spanning.max_spanning_tree` — the maximum-capacitance spanning tree (qnum's baseline):
  every path is a widest path, but often a long one;
* :func:`widest_paths` — each pair on a maximum-bottleneck path with the fewest links among
  those (qnum's baseline): the α → 0 limit of the optimum, scored at the scenario's α.

The spanning-tree machinery (also the feasible fallback of a time-limited solve) lives in
:mod:`qnum.solvers.mqce.spanning`.
"""

from __future__ import annotations

import numpy as np

#: bytes budget of one block of the vectorized max-min product
BLOCK_BYTES = 1 << 26


def _pairs(n):
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def direct_paths(capacitance) -> dict:
    """Every pair with a link on that link: ``{(i, j): [i, j]}`` (pairs without a link are left out).

    Examples
    --------
    >>> C = np.array([[-np.inf, 1.0, -np.inf], [1.0, -np.inf, 2.0], [-np.inf, 2.0, -np.inf]])
    >>> direct_paths(C)
    {(0, 1): [0, 1], (1, 2): [1, 2]}
    """
    C = np.asarray(capacitance, dtype=float)
    return {(i, j): [i, j] for i, j in _pairs(C.shape[0]) if np.isfinite(C[i, j])}


def _max_min_levels(C):
    """Q_0 = C, Q_r(i, j) = best bottleneck over paths of at most r + 1 links, until no change."""
    n = C.shape[0]
    levels = [C.copy()]
    step = max(1, BLOCK_BYTES // (8 * n * n))
    while True:
        Q = levels[-1]
        new = np.empty_like(Q)
        for s in range(0, n, step):
            new[s:s + step] = np.max(np.minimum(Q[s:s + step, :, None], C[None, :, :]), axis=1)
        new = np.maximum(new, Q)
        np.fill_diagonal(new, -np.inf)
        if np.array_equal(new, Q):
            return levels
        levels.append(new)


def widest_paths(capacitance) -> dict:
    """Each pair on a maximum-bottleneck path with the fewest links among those: ``{(i, j): path}``.

    The max-min levels Q_r are iterated until they stop changing (Q = the maximal bottleneck
    B); the pair's links are 1 + the first r with Q_r(i, j) = B(i, j), and the path is traced
    from i taking the smallest-index next node u with C(cur, u) ≥ B and Q_{r−2}(u, j) ≥ B.
    Unreachable pairs are left out.

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> widest_paths(C)
    {(0, 1): [0, 1], (0, 2): [0, 1, 2], (1, 2): [1, 2]}
    """
    C = np.asarray(capacitance, dtype=float)
    levels = _max_min_levels(C)
    B = levels[-1]
    stack = np.stack(levels)
    paths = {}
    for i, j in _pairs(C.shape[0]):
        theta = B[i, j]
        if not np.isfinite(theta):
            continue
        links = int(np.argmax(stack[:, i, j] >= theta)) + 1
        path = [i]
        for r in range(links, 1, -1):
            ok = (C[path[-1]] >= theta) & (stack[r - 2, :, j] >= theta)
            path.append(int(np.argmax(ok)))
        path.append(j)
        paths[i, j] = path
    return paths


def path_efficiency(capacitance, alpha, hop_penalty, path):
    """(E, capacitance, links) of one path: E = (1 − α)·min link capacitance + (links − 1)·α·log(1 − p).

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> e, cap, links = path_efficiency(C, 0.5, 0.5 * np.log(0.9), [0, 1, 2])
    >>> round(e, 6), cap, links          # 0.5 * 2.0 + 1 * 0.5 * log(0.9)
    (0.94732, 2.0, 2)
    """
    C = np.asarray(capacitance, dtype=float)
    cap = float(min(C[a, b] for a, b in zip(path, path[1:])))
    links = len(path) - 1
    return float((1 - alpha) * cap + (links - 1) * hop_penalty), cap, links


def evaluate_paths(capacitance, alpha, hop_penalty, paths):
    """Per-pair (efficiency, capacitance, hops) matrices and the links used, for routes ``{(i, j): path}``.

    Paths must already be valid (simple, over existing links, joining the pair). Pairs without
    a path: efficiency ``-inf``, capacitance 0, hops 0. Diagonals are 0.

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> eff, cap, hops, links = evaluate_paths(C, 0.0, 0.0, {(0, 2): [0, 1, 2]})
    >>> eff[0, 2], hops[0, 2], eff[0, 1], links
    (np.float64(2.0), np.int64(2), np.float64(-inf), [(0, 1), (1, 2)])
    """
    C = np.asarray(capacitance, dtype=float)
    n = C.shape[0]
    eff = np.full((n, n), -np.inf)
    cap = np.zeros((n, n))
    hops = np.zeros((n, n), dtype=np.int64)
    used = set()
    for (i, j), path in paths.items():
        e, c, h = path_efficiency(C, alpha, hop_penalty, path)
        eff[i, j] = eff[j, i] = e
        cap[i, j] = cap[j, i] = c
        hops[i, j] = hops[j, i] = h
        used.update((min(a, b), max(a, b)) for a, b in zip(path, path[1:]))
    np.fill_diagonal(eff, 0.0)
    return eff, cap, hops, sorted(used)


def evaluate_network(capacitance, alpha, hop_penalty, links):
    """Per-pair (efficiency, capacitance, hops) matrices and the links used, for a network ``links``.

    Every pair takes its optimal path within the network: the exact solver
    (:func:`qnum.solvers.mqce.fast.solve_matrix`) on the capacitance matrix masked to the
    links. Disconnected pairs: efficiency ``-inf``, capacitance 0, hops 0.

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> eff, cap, hops, used = evaluate_network(C, 0.0, 0.0, [(0, 1)])
    >>> eff[0, 1], eff[0, 2], hops[0, 2], used
    (np.float64(3.0), np.float64(-inf), np.int64(0), [(0, 1)])
    """
    from qnum.solvers.mqce.fast import solve_matrix

    C = np.asarray(capacitance, dtype=float)
    masked = np.full_like(C, -np.inf)
    for i, j in links:
        masked[i, j] = masked[j, i] = C[i, j]
    r = solve_matrix(masked, alpha, hop_penalty)
    eff, cap, hops = r.efficiency.copy(), r.capacitance.copy(), r.hops.copy()
    lost = ~np.isfinite(eff)
    eff[lost], cap[lost], hops[lost] = -np.inf, 0.0, 0
    return eff, cap, hops, r.edges
