"""Reference MQCE solver: the paper's modified Pollack max-min matrix iteration.

Q_m(i, j) = max_u min(Q_0(i, u), Q_{m-1}(u, j)) is iterated for m = 1, 2, … until no entry
changes (paper eq. 14); at each level the efficiency (1 − α)·Q_m + α·m·log(1 − p) replaces
the pair's best only on strict improvement (smallest m kept), as ``pollack_star`` in the
authors' code. Every row is multiplied at every level, one row at a time: O(N^3) per level.
"""

from __future__ import annotations

import time

import numpy as np

from qnum.solvers.mqce_fast import MQCEResult, _finish


def solve_pollack(scenario, build_edges=True) -> MQCEResult:
    """Reference optimum by the plain Pollack iteration (module docstring).

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> solve_pollack(sc).hops.tolist()
    [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    """
    t0 = time.perf_counter()
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
        new = np.empty_like(Q)
        for i in range(n):
            new[i] = np.maximum(Q[i], np.max(np.minimum(C[i][:, None], Q), axis=0))
        np.fill_diagonal(new, -np.inf)
        if np.array_equal(new, Q):
            break
        Q = new
        m += 1
    return _finish(scenario, best_e, best_q, best_k, levels if build_edges else None, m, t0, "pollack")
