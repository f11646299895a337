"""Trusted-relay (MQCE) scenarios: users in the plane or on a fiber graph, λ0, p, α.

A :class:`RelayScenario` holds the symmetric link-capacitance matrix ``capacitance``
(``-inf`` where no link may be used) plus ``p_malicious`` and ``alpha``. Build it from
coordinates (complete graph, Euclidean km distances), from seeded uniform points in a
square of side ``side_km``, or from a fiber graph with km edge lengths.

Duplicate points (zero distance → infinite capacitance) are rejected with an error naming
the two user indices: a trusted relay co-located with a user is the same node. A fiber
graph that is disconnected is rejected too (every pair must be reachable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnum.errors import ScenarioError
from qnum.physics.capacitance import decay_length_km as _decay_length_km
from qnum.physics.capacitance import plob_capacitance


def _number(field, value, lo=None, hi=None, lo_open=False, hi_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value):
        raise ScenarioError(field, value, "must be a finite number")
    v = float(value)
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ScenarioError(field, value, f"must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ScenarioError(field, value, f"must be {'<' if hi_open else '<='} {hi}")
    return v


@dataclass
class RelayScenario:
    """Validated MQCE scenario.

    Parameters
    ----------
    capacitance : ndarray (N, N)
        Symmetric link capacitances (bits/use), ``-inf`` where no link exists, diagonal ``-inf``.
    p_malicious : float
        Probability p ∈ [0, 1) that a trusted relay is malicious.
    alpha : float
        Trade-off α ∈ [0, 1] between capacitance and security.
    coordinates_km : ndarray (N, 2) or None
        User positions, when given.
    name : str
        Instance label.

    Examples
    --------
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], decay_length_km=1.0, p_malicious=0.1, alpha=0.5)
    >>> sc.nodes, round(float(sc.capacitance[0, 1]), 4)
    (3, 0.6617)
    """

    capacitance: np.ndarray
    p_malicious: float
    alpha: float
    coordinates_km: np.ndarray | None = None
    name: str = "mqce"

    def __post_init__(self):
        c = np.asarray(self.capacitance, dtype=float)
        if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
            raise ScenarioError("coordinates", c.shape, "need at least 2 users")
        self.p_malicious = _number("p_malicious", self.p_malicious, 0.0, 1.0, hi_open=True)
        self.alpha = _number("alpha", self.alpha, 0.0, 1.0)
        c = c.copy()
        np.fill_diagonal(c, -np.inf)
        self.capacitance = c
        from scipy.sparse.csgraph import connected_components
        ncomp, labels = connected_components(np.isfinite(c), directed=False)
        if ncomp > 1:
            j = int(np.argmax(labels != labels[0]))
            raise ScenarioError("edges", f"users 0 and {j}", "the fiber graph is disconnected: no path joins them")

    @property
    def nodes(self) -> int:
        return self.capacitance.shape[0]

    @property
    def hop_penalty(self) -> float:
        """α·log(1 − p) ≤ 0: efficiency added per intermediate node (natural log)."""
        return self.alpha * float(np.log1p(-self.p_malicious))

    def with_alpha(self, alpha) -> "RelayScenario":
        """Same network and p with another α."""
        return RelayScenario(self.capacitance, self.p_malicious, alpha, self.coordinates_km, self.name)


def _lambda0(decay_length_km, attenuation_db_per_km):
    if decay_length_km is not None and attenuation_db_per_km is not None:
        raise ScenarioError("decay_length_km", decay_length_km, "give either decay_length_km or attenuation_db_per_km")
    if decay_length_km is None:
        a = _number("attenuation_db_per_km", 0.2 if attenuation_db_per_km is None else attenuation_db_per_km,
                    0.0, lo_open=True)
        return float(_decay_length_km(a))
    return _number("decay_length_km", decay_length_km, 0.0, lo_open=True)


def from_coordinates(coordinates_km, decay_length_km=None, p_malicious=0.0, alpha=0.5,
                     attenuation_db_per_km=None, name="mqce") -> RelayScenario:
    """Complete-graph scenario for users at ``coordinates_km`` (N×2, km).

    Examples
    --------
    >>> from_coordinates([[0, 0], [0, 0]], 1.0)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: coordinates = 'users 0 and 1': duplicate points (zero distance, infinite capacitance); remove one
    """
    lam = _lambda0(decay_length_km, attenuation_db_per_km)
    try:
        xy = np.asarray(coordinates_km, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError("coordinates", coordinates_km, "must be a list of [x, y] numbers") from None
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 2:
        raise ScenarioError("coordinates", coordinates_km if xy.size < 20 else xy.shape,
                            "must be a list of at least 2 points [x, y]")
    if not np.all(np.isfinite(xy)):
        raise ScenarioError("coordinates", "non-finite", "coordinates must be finite numbers")
    _, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    inverse = np.ravel(inverse)
    dup = np.nonzero(first[inverse] != np.arange(len(xy)))[0]
    if dup.size:
        j = int(dup[0])
        raise ScenarioError("coordinates", f"users {int(first[inverse[j]])} and {j}",
                            "duplicate points (zero distance, infinite capacitance); remove one")
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return RelayScenario(plob_capacitance(d, lam), p_malicious, alpha, xy, name)


def random_square(nodes, side_km, decay_length_km=1.0, p_malicious=0.1, alpha=0.5, seed=None,
                  name=None) -> RelayScenario:
    """``nodes`` users uniform in a square of side ``side_km`` (seeded).

    Examples
    --------
    >>> random_square(5, 10.0, seed=1).nodes
    5
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
        raise ScenarioError("nodes", nodes, "must be an integer >= 2")
    side = _number("side_km", side_km, 0.0, lo_open=True)
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, side, size=(int(nodes), 2))
    return from_coordinates(xy, decay_length_km, p_malicious, alpha,
                            name=name or f"square-N{nodes}-L{side:g}")


def from_fiber_graph(nodes, edges_km, decay_length_km=None, p_malicious=0.0, alpha=0.5,
                     attenuation_db_per_km=None, name="mqce-graph") -> RelayScenario:
    """Scenario on a fiber graph: only the listed edges ``[i, j, length_km]`` may be used.

    Examples
    --------
    >>> sc = from_fiber_graph(3, [[0, 1, 1.0], [1, 2, 1.0]], 1.0)
    >>> bool(np.isinf(sc.capacitance[0, 2]))
    True
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
        raise ScenarioError("nodes", nodes, "must be an integer >= 2")
    lam = _lambda0(decay_length_km, attenuation_db_per_km)
    c = np.full((nodes, nodes), -np.inf)
    if not isinstance(edges_km, (list, tuple)):
        raise ScenarioError("edges", edges_km, "must be a list of [i, j, length_km]")
    for e, edge in enumerate(edges_km):
        if not isinstance(edge, (list, tuple)) or len(edge) != 3:
            raise ScenarioError(f"edges[{e}]", edge, "must be [i, j, length_km]")
        i, j, length = edge
        for v in (i, j):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < nodes:
                raise ScenarioError(f"edges[{e}]", edge, f"user indices must be integers in [0, {nodes})")
        if i == j:
            raise ScenarioError(f"edges[{e}]", edge, "a link must join two different users")
        length = _number(f"edges[{e}] length_km", length, 0.0, lo_open=True)
        c[i, j] = c[j, i] = max(c[i, j], float(plob_capacitance(length, lam)))
    return RelayScenario(c, p_malicious, alpha, None, name)
