"""Trusted-relay (MQCE) scenarios: users in the plane or on a fiber graph, λ0, p, α.

A :class:`RelayScenario` holds the symmetric link-capacitance matrix ``capacitance``
(``-inf`` where no link may be used) plus ``p_malicious`` and ``alpha``. Build it from
coordinates (complete graph, Euclidean km distances), from seeded uniform points in a
square of side ``side_km``, from a fiber graph with km edge lengths, or from the
scenario-file form (:meth:`RelayScenario.from_dict`)::

    {"kind": "mqce", "coordinates": [[x, y], ...], "decay_length_km": λ0,
     "p_malicious": p, "alpha": α, "name": "label"}

with ``"attenuation_db_per_km"`` instead of ``"decay_length_km"`` (λ0 = 10/(ln 10 · a)),
or a fiber graph ``"nodes": N, "edges": [[i, j, length_km], ...]`` instead of
``"coordinates"``. ``p_malicious`` defaults to 0, ``alpha`` to 0.5, λ0 to 0.2 dB/km.

Duplicate points (zero distance → infinite capacitance) are rejected with an error naming
the two user indices: a trusted relay co-located with a user is the same node. A fiber
graph that is disconnected is rejected too (every pair must be reachable).

Scenarios are immutable: the capacitance matrix is read-only; derive variants with
:meth:`RelayScenario.replace`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.display import ScenarioDisplay
from qnum.physics.capacitance import decay_length_km as _decay_length_km
from qnum.physics.capacitance import plob_capacitance

#: keys of the scenario-file form
FILE_KEYS = frozenset({"kind", "name", "coordinates", "nodes", "edges", "decay_length_km", "attenuation_db_per_km",
                       "p_malicious", "alpha"})


#: largest |coordinate| and fibre length (km): beyond it a value is a unit mistake (Earth's circumference is 40,075 km)
MAX_KM = 1e5


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


def _readonly(array):
    array = np.array(array, dtype=float)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RelayScenario(ScenarioDisplay):
    """Validated, immutable MQCE scenario.

    Parameters
    ----------
    capacitance : ndarray (N, N)
        Symmetric link capacitances (bits/use), ``-inf`` where no link exists, diagonal ``-inf``
        (stored read-only).
    p_malicious : float
        Probability p ∈ [0, 1) that a trusted relay is malicious.
    alpha : float
        Trade-off α ∈ [0, 1] between capacitance and security.
    coordinates_km : ndarray (N, 2) or None
        User positions, when the scenario was built from coordinates.
    name : str
        Instance label.
    decay_length_km : float or None
        λ0 the capacitances were computed with (None for a bare capacitance matrix).
    edges_km : tuple of (i, j, length_km) or None
        The fiber graph, when the scenario was built from one.

    Examples
    --------
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], decay_length_km=1.0, p_malicious=0.1, alpha=0.5)
    >>> sc.nodes, round(float(sc.capacitance[0, 1]), 4)
    (3, 0.6617)
    >>> sc.capacitance[0, 1] = 5.0
    Traceback (most recent call last):
    ...
    ValueError: assignment destination is read-only
    >>> sc.replace(alpha=0.9).alpha, sc.alpha
    (0.9, 0.5)
    """

    kind = "mqce"

    capacitance: np.ndarray
    p_malicious: float
    alpha: float
    coordinates_km: np.ndarray | None = None
    name: str = "mqce"
    decay_length_km: float | None = None
    edges_km: tuple | None = None

    def __post_init__(self):
        c = np.array(self.capacitance, dtype=float)
        if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
            raise ScenarioError("coordinates", c.shape, "need at least 2 users")
        if np.isnan(c).any() or not np.array_equal(c, c.T):
            raise ScenarioError("capacitance", "matrix", "must be symmetric, without NaN")
        object.__setattr__(self, "p_malicious", _number("p_malicious", self.p_malicious, 0.0, 1.0, hi_open=True))
        object.__setattr__(self, "alpha", _number("alpha", self.alpha, 0.0, 1.0))
        if not isinstance(self.name, str):
            raise ScenarioError("name", self.name, "must be a string")
        np.fill_diagonal(c, -np.inf)
        object.__setattr__(self, "capacitance", _readonly(c))
        if self.coordinates_km is not None:
            object.__setattr__(self, "coordinates_km", _readonly(self.coordinates_km))
        if self.edges_km is not None:
            object.__setattr__(self, "edges_km", tuple((int(i), int(j), float(d)) for i, j, d in self.edges_km))
        from scipy.sparse.csgraph import connected_components
        ncomp, labels = connected_components(np.isfinite(c), directed=False)
        if ncomp > 1:
            j = int(np.argmax(labels != labels[0]))
            raise ScenarioError("edges", f"users 0 and {j}", "the fiber graph is disconnected: no path joins them")

    @property
    def nodes(self) -> int:
        """Number of users N."""
        return self.capacitance.shape[0]

    @property
    def pairs(self) -> list:
        """Unordered user pairs ``(i, j)``, ``i < j``, in row-major order (the labels of per-pair values).

        Examples
        --------
        >>> random_square(3, 1.0, seed=0).pairs
        [(0, 1), (0, 2), (1, 2)]
        """
        n = self.nodes
        return [(i, j) for i in range(n) for j in range(i + 1, n)]

    @property
    def hop_penalty(self) -> float:
        """α·log(1 − p) ≤ 0: efficiency added per intermediate node (natural log)."""
        return self.alpha * float(np.log1p(-self.p_malicious))

    @classmethod
    def from_dict(cls, data: dict) -> RelayScenario:
        """Validated scenario from the scenario-file form (module docstring).

        Examples
        --------
        >>> sc = RelayScenario.from_dict({"kind": "mqce", "coordinates": [[0, 0], [1, 0]],
        ...                               "decay_length_km": 1.0, "p_malicious": 0.1, "alpha": 0.5})
        >>> sc.nodes
        2
        >>> RelayScenario.from_dict({"kind": "mqce", "coordinates": [[0, 0], [1, 0]],
        ...                          "alfa": 0.5})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: alfa = 0.5: unknown key; allowed keys: alpha, attenuation_db_per_km, ...
        """
        from qnum.networks.io import check_keys, require

        if not isinstance(data, dict):
            raise ScenarioError("scenario", data, "must be an object (a dict)")
        check_keys(data, FILE_KEYS)
        if data.get("kind", cls.kind) != cls.kind:
            raise ScenarioError("kind", data.get("kind"), f"must be {cls.kind!r}")
        common = dict(decay_length_km=data.get("decay_length_km"),
                      attenuation_db_per_km=data.get("attenuation_db_per_km"),
                      p_malicious=data.get("p_malicious", 0.0), alpha=data.get("alpha", 0.5))
        if "edges" in data or "nodes" in data:
            if "coordinates" in data:
                raise ScenarioError("edges" if "edges" in data else "nodes", "...",
                                    'give either "coordinates" or "nodes" + "edges", not both')
            return from_fiber_graph(require(data, "nodes"), require(data, "edges"),
                                    name=data.get("name", "mqce-graph"), **common)
        return from_coordinates(require(data, "coordinates"), name=data.get("name", "mqce"), **common)

    def to_dict(self) -> dict:
        """The scenario-file form (coordinates form when built from coordinates, else nodes + edges).

        ``RelayScenario.from_dict(sc.to_dict())`` rebuilds the same scenario.

        Examples
        --------
        >>> sc = random_square(4, 5.0, seed=1)
        >>> back = RelayScenario.from_dict(sc.to_dict())
        >>> bool(np.array_equal(back.capacitance, sc.capacitance)), back.alpha == sc.alpha
        (True, True)
        """
        out = {"kind": self.kind, "name": self.name}
        if self.decay_length_km is None:
            raise ScenarioError("decay_length_km", None, "a scenario built from a bare capacitance matrix has no "
                                "file form; build it with from_coordinates or from_fiber_graph")
        if self.coordinates_km is not None:
            out["coordinates"] = self.coordinates_km.tolist()
        elif self.edges_km is not None:
            out["nodes"] = self.nodes
            out["edges"] = [[i, j, d] for i, j, d in self.edges_km]
        else:
            raise ScenarioError("coordinates", None, "a scenario built from a bare capacitance matrix has no file "
                                "form; build it with from_coordinates or from_fiber_graph")
        out.update(decay_length_km=self.decay_length_km, p_malicious=self.p_malicious, alpha=self.alpha)
        return out

    def replace(self, **changes) -> RelayScenario:
        """A new validated scenario with some fields changed (this one is left as it is).

        ``p_malicious``, ``alpha`` and ``name`` change directly; ``coordinates_km``,
        ``decay_length_km`` or ``edges_km`` rebuild the capacitances.

        Examples
        --------
        >>> sc = random_square(4, 5.0, seed=1)
        >>> sc.replace(decay_length_km=2.0).capacitance[0, 1] > sc.capacitance[0, 1]
        np.True_
        >>> sc.replace(p_malicous=0.2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: p_malicous = 0.2: not a field of RelayScenario; fields: p_malicious, alpha, ...
        """
        simple = ("p_malicious", "alpha", "name")
        geometry = ("coordinates_km", "decay_length_km", "edges_km")
        for key, value in changes.items():
            if key not in simple + geometry:
                raise ScenarioError(key, value, f"not a field of RelayScenario; fields: {', '.join(simple + geometry)}")
        if not set(changes) & set(geometry):
            return dataclasses.replace(self, **changes)
        merged = {key: changes.get(key, getattr(self, key)) for key in simple + geometry}
        common = dict(decay_length_km=merged["decay_length_km"], p_malicious=merged["p_malicious"],
                      alpha=merged["alpha"], name=merged["name"])
        if merged["decay_length_km"] is None:
            raise ScenarioError("decay_length_km", None, "a scenario built from a bare capacitance matrix cannot be "
                                "rebuilt; give decay_length_km")
        if "edges_km" in changes or (merged["coordinates_km"] is None and merged["edges_km"] is not None):
            return from_fiber_graph(self.nodes if "edges_km" not in changes else _fiber_nodes(self, merged["edges_km"]),
                                    [list(e) for e in merged["edges_km"]], **common)
        return from_coordinates(merged["coordinates_km"], **common)


def _fiber_nodes(scenario, edges):
    """Node count of a replaced fiber graph: the scenario's, or more if the edges name more users."""
    top = max((max(int(e[0]), int(e[1])) for e in edges), default=-1)
    return max(scenario.nodes, top + 1)


def _lambda0(decay_length_km, attenuation_db_per_km):
    if decay_length_km is not None and attenuation_db_per_km is not None:
        raise ScenarioError("decay_length_km", decay_length_km, "give either decay_length_km or attenuation_db_per_km")
    if decay_length_km is None:
        a = _number("attenuation_db_per_km", 0.2 if attenuation_db_per_km is None else attenuation_db_per_km,
                    0.0, 100.0, lo_open=True)
        return float(_decay_length_km(a))
    return _number("decay_length_km", decay_length_km, 0.0, 1e9, lo_open=True)


def from_coordinates(coordinates_km, decay_length_km=None, p_malicious=0.0, alpha=0.5,
                     attenuation_db_per_km=None, name="mqce") -> RelayScenario:
    """Complete-graph scenario for users at ``coordinates_km`` (N×2, km).

    Examples
    --------
    >>> from_coordinates([[0, 0], [3, 4]], 1.0).nodes
    2
    >>> from_coordinates([[0, 0], [0, 0]], 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: coordinates = 'users 0 and 1': duplicate points (zero distance, infinite ...
    """
    lam = _lambda0(decay_length_km, attenuation_db_per_km)
    try:
        xy = np.asarray(coordinates_km, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError("coordinates", coordinates_km, "must be a list of [x, y] numbers") from None
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 2:
        raise ScenarioError("coordinates", coordinates_km if xy.size < 20 else xy.shape,
                            "must be a list of at least 2 points [x, y]")
    if not np.all(np.isfinite(xy)) or np.any(np.abs(xy) > MAX_KM):
        i, k = np.argwhere(~(np.isfinite(xy) & (np.abs(xy) <= MAX_KM)))[0]
        raise ScenarioError(f"coordinates[{i}][{k}]", float(xy[i, k]), f"must be a number in [-{MAX_KM:g}, "
                            f"{MAX_KM:g}] (km)")
    from qnum.limits import dense_square

    dense_square("coordinates", xy.shape[0], 4, "the N x N distances and capacitances")
    _, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    inverse = np.ravel(inverse)
    dup = np.nonzero(first[inverse] != np.arange(len(xy)))[0]
    if dup.size:
        j = int(dup[0])
        raise ScenarioError("coordinates", f"users {int(first[inverse[j]])} and {j}",
                            "duplicate points (zero distance, infinite capacitance); remove one")
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    capacitance = plob_capacitance(d, lam)
    _some_capacity(capacitance, d, lam)
    return RelayScenario(capacitance, p_malicious, alpha, xy, name, lam)


def _some_capacity(capacitance, distance, lam) -> None:
    """Refuse a network where every link's capacitance underflows to 0 (no solution means anything)."""
    off = ~np.eye(capacitance.shape[0], dtype=bool)
    usable = off & np.isfinite(distance) & (capacitance > 0)
    if not usable.any():
        shortest = float(np.min(distance[off]))
        raise ScenarioError("decay_length_km", lam, f"every link's capacitance is 0: the shortest link "
                            f"({shortest:g} km) is {shortest / lam:.3g} decay lengths long (the PLOB capacity "
                            "underflows beyond about 700)")


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

    A pair listed twice keeps its shorter fiber (the larger capacitance).

    Examples
    --------
    >>> sc = from_fiber_graph(3, [[0, 1, 1.0], [1, 2, 1.0]], 1.0)
    >>> bool(np.isinf(sc.capacitance[0, 2]))
    True
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
        raise ScenarioError("nodes", nodes, "must be an integer >= 2")
    lam = _lambda0(decay_length_km, attenuation_db_per_km)
    from qnum.limits import dense_square

    dense_square("nodes", int(nodes), 2, "the N x N capacitances")
    c = np.full((nodes, nodes), -np.inf)
    dist = np.full((nodes, nodes), np.inf)
    if not isinstance(edges_km, (list, tuple)):
        raise ScenarioError("edges", edges_km, "must be a list of [i, j, length_km]")
    clean = []
    for e, edge in enumerate(edges_km):
        if not isinstance(edge, (list, tuple)) or len(edge) != 3:
            raise ScenarioError(f"edges[{e}]", edge, "must be [i, j, length_km]")
        i, j, length = edge
        for v in (i, j):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < nodes:
                raise ScenarioError(f"edges[{e}]", edge, f"user indices must be integers in [0, {nodes})")
        if i == j:
            raise ScenarioError(f"edges[{e}]", edge, "a link must join two different users")
        length = _number(f"edges[{e}] length_km", length, 0.0, MAX_KM, lo_open=True)
        c[i, j] = c[j, i] = max(c[i, j], float(plob_capacitance(length, lam)))
        dist[i, j] = dist[j, i] = min(dist[i, j], length)
        clean.append((int(i), int(j), length))
    if clean:
        _some_capacity(c, dist, lam)
    return RelayScenario(c, p_malicious, alpha, None, name, lam, tuple(clean))
