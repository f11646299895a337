"""Time-sharing schedules: probabilities over topologies per channel state.

A compact solution gives marginals ``y_e = P(pair e pumped)`` with ``0 <= y <= 1`` and
``Σ y <= K``. Systematic sampling turns them into an explicit distribution over sets of
at most K pairs with exactly those marginals: lay the ``y_e`` end to end on [0, Σy),
and for u ∈ [0, 1) pump every pair whose interval contains one of u, u+1, u+2, ...
Since each ``y_e <= 1`` a pair is hit at most once, so each set has at most ⌈Σy⌉ <= K
pairs (exactly k when Σy = k), and u uniform gives every pair probability ``y_e``.
"""

from __future__ import annotations

import numpy as np


def decompose_marginals(y, tol: float = 1e-12) -> list[tuple[float, tuple[int, ...]]]:
    """Distribution over pair sets whose marginals are ``y`` (systematic sampling).

    Parameters
    ----------
    y : array_like
        Marginals in [0, 1].

    Returns
    -------
    list of (probability, pair indices)
        Probabilities sum to 1; the empty set may appear.

    Examples
    --------
    >>> dist = decompose_marginals([0.5, 0.5, 1.0])
    >>> sorted(dist)
    [(0.5, (0, 2)), (0.5, (1, 2))]
    """
    y = np.clip(np.asarray(y, dtype=float), 0.0, 1.0)
    y = np.where(y < tol, 0.0, y)
    ends = np.cumsum(y)
    total = float(ends[-1]) if ends.size else 0.0
    starts = ends - y
    cuts = np.unique(np.concatenate([[0.0, 1.0], np.mod(starts, 1.0), np.mod(ends, 1.0)]))
    cuts = cuts[(cuts >= 0) & (cuts <= 1)]
    widths = np.diff(cuts)
    keep = widths > tol
    mids, widths = (0.5 * (cuts[:-1] + cuts[1:]))[keep], widths[keep]
    # every cut interval's sampling points at once (one row per interval): the pairs whose
    # segment [start, end) holds a point u + m, m = 0, 1, ... below the total
    points = mids[:, None] + np.arange(int(np.ceil(total)) + 1)[None, :]
    valid = points < total
    members = np.searchsorted(ends, np.where(valid, points, 0.0), side="right")
    valid &= y[np.minimum(members, y.size - 1)] > 0
    out = {}
    for row, ok, width in zip(members.tolist(), valid.tolist(), widths.tolist()):
        key = tuple(sorted({m for m, v in zip(row, ok) if v}))
        out[key] = out.get(key, 0.0) + width
    return [(p, k) for k, p in out.items()]


class Schedule:
    """Time-sharing schedule of a pumping solution, decomposed lazily per state.

    Parameters
    ----------
    scenario : PumpingScenario
    parts : list (one per state) of lists of (probability, marginals-or-topology, count)
        Each part is either explicit topologies (``("topology", p, idx)``) or a block of
        marginals to decompose (``("marginals", q, y, k)``: with probability q pump a set
        drawn with marginals ``y / q``; k is the exact set size when per-count factors
        apply, else None).

    Examples
    --------
    >>> from qnum.networks.pumping import PumpingScenario
    >>> sc = PumpingScenario(3, 1, [[2.0, 4.0, 6.0]], [1.0])
    >>> sched = Schedule(sc, [[("marginals", 1.0, np.array([0.5, 0.25, 0.25]), None)]])
    >>> sorted(sched.topologies(0))
    [(0.25, (1,)), (0.25, (2,)), (0.5, (0,))]
    >>> sched.rates().tolist()
    [1.0, 1.0, 1.5]
    """

    def __init__(self, scenario, parts):
        self.scenario = scenario
        self._parts = parts
        self._cache = {}

    def topologies(self, state: int) -> list[tuple[float, tuple[int, ...]]]:
        """``[(probability, pair indices), ...]`` for one channel state (sums to <= 1;
        the rest of the time nothing is pumped)."""
        if state not in self._cache:
            dist = {}
            for part in self._parts[state]:
                if part[0] == "topology":
                    _, p, idx = part
                    dist[tuple(idx)] = dist.get(tuple(idx), 0.0) + p
                else:
                    _, q, y, _k = part
                    for p, idx in decompose_marginals(y / q):
                        dist[idx] = dist.get(idx, 0.0) + q * p
            self._cache[state] = [(p, k) for k, p in dist.items() if p > 1e-15 and k]
        return self._cache[state]

    def rates(self) -> np.ndarray:
        """Average per-pair rates (bit/s) the schedule realizes."""
        sc = self.scenario
        r = np.zeros(sc.num_pairs)
        f = sc.count_factor
        for c in range(sc.num_states):
            for p, idx in self.topologies(c):
                idx = np.asarray(idx, dtype=np.int64)
                r[idx] += sc.probabilities[c] * p * f[len(idx) - 1] * sc.skr[c, idx]
        return r

    def to_list(self) -> list[dict]:
        """JSON form: per state, ``[{"prob": p, "pairs": [[i, j], ...]}, ...]``."""
        sc = self.scenario
        pairs = np.array(sc.pairs, dtype=np.int64).reshape(-1, 2)
        out = []
        for c in range(sc.num_states):
            tops = self.topologies(c)
            # one gather and one tolist per state (a state can hold ~10^3 topologies), then slices
            flat = pairs[[e for _, idx in tops for e in idx]].tolist()
            ends = np.cumsum([len(idx) for _, idx in tops]).tolist()
            out.append({"state": c, "topologies": [{"prob": p, "pairs": flat[end - len(idx):end]}
                                                   for (p, idx), end in zip(tops, ends)]})
        return out
