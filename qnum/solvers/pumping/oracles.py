"""Best-topology oracles: ``argmax_G f_|G| Σ_{e∈G} g_e`` over a scenario's topology family.

One oracle serves the online gradient schedulers (gains ``U'(r̄_e) s_e(c)``), column
generation pricing and the Frank–Wolfe bounds, so they can never disagree on the
family. Families: at most K pairs (sorting), at most K pairs forming a matching, an
explicit list. The empty topology (value 0) is always allowed.

Matchings: when there are at most :data:`MATCHING_TABLE_LIMIT` of them (counted by the
bound ``Σ_k C(M, k)``), they are listed once and each call is one dense product and an
argmax over the list (exact; ties go to the first listed, fewer pairs first); otherwise an
integer program solved by HiGHS through ``scipy.optimize.milp`` (exact).
"""

from __future__ import annotations

import math

import numpy as np

from qnum.networks.pumping import AT_MOST_K, MATCHING

#: largest Σ_k C(M, k) (k <= K) for which the matchings are listed instead of solved per call
MATCHING_TABLE_LIMIT = 4096


def best_at_most_k(gains, factor) -> tuple[np.ndarray, float]:
    """Best set of at most K pairs: the top-k gains for the best k, ``f_k`` times their sum.

    Examples
    --------
    >>> idx, v = best_at_most_k(np.array([5.0, 1.0, 4.0]), np.array([1.0, 0.6]))
    >>> sorted(idx.tolist()), round(v, 6)   # 0.6 * (5 + 4) = 5.4 > 5
    ([0, 2], 5.4)
    """
    K = len(factor)
    M = gains.size
    k = min(K, M)
    top = np.argpartition(-gains, k - 1)[:k] if k < M else np.arange(M)
    top = top[np.argsort(-gains[top], kind="stable")]
    values = factor[:k] * np.cumsum(gains[top])
    best = int(np.argmax(values))
    if values[best] <= 0:
        return np.empty(0, dtype=np.int64), 0.0
    return top[: best + 1], float(values[best])


def best_matching(gains, factor, edges_i, edges_j, nodes) -> tuple[np.ndarray, float]:
    """Best matching with at most K edges (``f_k`` times its gain for exactly k edges).

    Solved exactly as a small integer program (node degree <= 1, edge count bound)
    with HiGHS; only edges with positive gain are offered.

    Examples
    --------
    >>> i, j = np.triu_indices(4, 1)
    >>> g = np.array([3.0, 0.0, 0.0, 0.0, 0.0, 3.0])   # (0,1) and (2,3)
    >>> idx, v = best_matching(g, np.ones(2), i, j, 4)
    >>> sorted(idx.tolist()), v
    ([0, 5], 6.0)
    """
    # imported on use: scipy.optimize and scipy.sparse cost ~0.3 s of every start-up otherwise
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    positive = np.flatnonzero(gains > 0)
    if positive.size == 0:
        return np.empty(0, dtype=np.int64), 0.0
    n = positive.size
    rows = np.concatenate([edges_i[positive], edges_j[positive]])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    incidence = sparse.csr_matrix((np.ones(2 * n), (rows, cols)), shape=(nodes, n))
    # Scale to order 1: HiGHS treats tiny objective coefficients (α = 2 gains are
    # ~1e-6) as zero and would return any feasible matching.
    c = -gains[positive] / gains[positive].max()
    independent = np.all(factor == factor[0])
    counts = [len(factor)] if independent else range(1, len(factor) + 1)
    best_idx, best_val = np.empty(0, dtype=np.int64), 0.0
    for k in counts:
        lo = 0 if independent else k
        cons = [LinearConstraint(incidence, 0, 1), LinearConstraint(np.ones((1, n)), lo, k)]
        # Exact pricing: HiGHS's default 1e-4 MIP gap would make the Frank–Wolfe bound invalid.
        res = milp(c, constraints=cons, integrality=np.ones(n), bounds=Bounds(0, 1),
                   options={"mip_rel_gap": 1e-12})
        if res.x is None:
            continue
        chosen = positive[res.x > 0.5]
        value = float(factor[len(chosen) - 1] * gains[chosen].sum()) if chosen.size else 0.0
        if value > best_val:
            best_idx, best_val = chosen, value
    return best_idx, best_val


class TopologyOracle:
    """Best topology of a scenario's family for given per-pair gains.

    Examples
    --------
    >>> from qnum.networks.pumping import PumpingScenario
    >>> sc = PumpingScenario(3, 1, [[1.0, 2.0, 3.0]], [1.0])
    >>> idx, v = TopologyOracle(sc).best(np.array([1.0, 2.0, 3.0]))
    >>> idx.tolist(), v
    ([2], 3.0)
    """

    def __init__(self, scenario):
        self.scenario = scenario
        self.factor = scenario.count_factor
        self.family = scenario.topologies if isinstance(scenario.topologies, str) else "explicit"
        self.table = None
        if self.family == MATCHING:
            self.edges_i, self.edges_j = np.triu_indices(scenario.nodes, 1)
            bound = sum(math.comb(scenario.num_pairs, k) for k in range(1, scenario.capacity + 1))
            if bound <= MATCHING_TABLE_LIMIT:
                self._tabulate(enumerate_topologies(scenario))
        elif self.family == "explicit":
            from scipy import sparse

            tops = scenario.topologies
            sizes = np.array([len(t) for t in tops])
            rows = np.repeat(np.arange(len(tops)), sizes)
            cols = np.concatenate([np.asarray(t, dtype=np.int64) for t in tops]) if sizes.sum() else np.empty(0, int)
            self.incidence = sparse.csr_matrix((np.ones(rows.size), (rows, cols)),
                                               shape=(len(tops), scenario.num_pairs))
            self.size_factor = np.where(sizes > 0, self.factor[np.maximum(sizes, 1) - 1], 0.0)

    def _tabulate(self, tops) -> None:
        """Dense table of listed topologies: row t holds ``f_|G_t|`` on the pairs of ``G_t``."""
        table = np.zeros((len(tops), self.scenario.num_pairs))
        for t, top in enumerate(tops):
            table[t, list(top)] = self.factor[len(top) - 1]
        self.table = table
        self.table_tops = [np.asarray(top, dtype=np.int64) for top in tops]

    def best(self, gains) -> tuple[np.ndarray, float]:
        """Indices of the best topology's pairs and its value ``f_|G| Σ_{e∈G} gains_e``.

        Examples
        --------
        >>> from qnum.networks.pumping import PumpingScenario
        >>> sc = PumpingScenario(4, 2, [[1.0] * 6], [1.0], topologies="matching")
        >>> idx, v = TopologyOracle(sc).best(np.array([3.0, 1.0, 1.0, 1.0, 1.0, 3.0]))
        >>> idx.tolist(), v
        ([0, 5], 6.0)
        """
        gains = np.asarray(gains, dtype=float)
        if self.family == AT_MOST_K:
            return best_at_most_k(gains, self.factor)
        if self.table is not None:
            if not self.table_tops:
                return np.empty(0, dtype=np.int64), 0.0
            values = self.table @ gains
            t = int(np.argmax(values))
            if values[t] <= 0:
                return np.empty(0, dtype=np.int64), 0.0
            return self.table_tops[t].copy(), float(values[t])
        if self.family == MATCHING:
            return best_matching(gains, self.factor, self.edges_i, self.edges_j, self.scenario.nodes)
        values = self.size_factor * (self.incidence @ gains)
        t = int(np.argmax(values))
        if values[t] <= 0:
            return np.empty(0, dtype=np.int64), 0.0
        return np.asarray(self.scenario.topologies[t], dtype=np.int64), float(values[t])

    def linear_max(self, pair_gains) -> float:
        """``Σ_c π_c max_G f_|G| Σ_{e∈G} pair_gains_e s_ce``: the max of a linear function
        ``pair_gains · r`` over the rate region (used by Frank–Wolfe bounds)."""
        sc = self.scenario
        return float(sum(p * self.best(pair_gains * s)[1] for p, s in zip(sc.probabilities, sc.skr)))


def enumerate_topologies(scenario) -> list[tuple[int, ...]]:
    """Every non-empty topology of the scenario's family (small cases only).

    Examples
    --------
    >>> from qnum.networks.pumping import PumpingScenario
    >>> sc = PumpingScenario(4, 2, [[1.0] * 6], [1.0], topologies="matching")
    >>> len(enumerate_topologies(sc))   # 6 single pairs + 3 perfect matchings
    9
    """
    from itertools import combinations

    if not isinstance(scenario.topologies, str):
        return [tuple(t) for t in scenario.topologies if t]
    pairs = scenario.pairs
    result = []
    for k in range(1, scenario.capacity + 1):
        for combo in combinations(range(scenario.num_pairs), k):
            if scenario.topologies == MATCHING:
                nodes = [v for e in combo for v in pairs[e]]
                if len(set(nodes)) != len(nodes):
                    continue
            result.append(combo)
    return result
