"""Repeater-network scenarios for QNUM: links with lengths, routes, weights, physics.

A :class:`RepeaterScenario` is validated when built (errors name the field and the value)
and exposes the two arrays every QNUM solver works on: the link capacity scales
``d_l = 3 c eta_l / (2 T)`` and the link-route incidence matrix ``A``.

Builders (REFERENCE.md §3): :func:`two_user` (two routes sharing a server link),
:func:`dumbbell` (N user pairs across one backbone link) and :func:`nsfnet` (14 nodes,
21 links, real lengths times a length scale — raw NSFNet spans make rates vanish, so
qnum's stand-in default scale is 1/100 as REFERENCE.md suggests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.display import ScenarioDisplay
from qnum.physics.werner import UTILITIES, fidelity_from_werner, link_capacity_scale

if TYPE_CHECKING:
    import networkx as nx

#: NSFNet (14 nodes) link lengths in km, REFERENCE.md §3; the 21-link variant drops (7, 10).
NSFNET_KM = [(1, 2, 2100), (1, 3, 3000), (1, 8, 4800), (2, 3, 1200), (2, 4, 1500),
             (3, 6, 3600), (4, 5, 1200), (4, 11, 3900), (5, 6, 2400), (5, 7, 1200),
             (6, 10, 2100), (6, 14, 3600), (7, 8, 1500), (8, 9, 1500), (9, 10, 1500),
             (9, 12, 600), (9, 13, 600), (11, 12, 1200), (11, 13, 1500), (12, 14, 600),
             (13, 14, 300)]


def _positive(field_name, value, allow_zero=False, maximum=None, minimum=0.0):
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < minimum or (value == minimum and not allow_zero) or (maximum is not None and value > maximum):
        low = f"[{minimum:g}" if allow_zero else f"({minimum:g}"
        span = f"in {low}, {maximum:g}]" if maximum is not None else (">= 0" if allow_zero else "> 0")
        raise ScenarioError(field_name, value, f"must be a number {span}")
    return float(value)


#: physical range of each number of a "qnum" scenario: (minimum, allow the minimum, maximum); a
#: value outside is a typo or a unit mistake, and the extremes would overflow the Werner model
RANGES = {"length_km": (0.0, True, 1e5), "weight": (0.0, False, 1e6), "attempt_time_s": (1e-12, True, 3600.0),
          "attenuation_db_per_km": (0.0, False, 100.0), "efficiency": (0.0, False, 1.0),
          "fiber_speed_km_per_s": (0.0, False, 299792.458), "decoherence_rate_per_s": (0.0, True, 1e12)}


def _ranged(field_name, key, value):
    low, closed, high = RANGES[key]
    return _positive(field_name, value, allow_zero=closed, maximum=high, minimum=low)


def _frozen(values) -> np.ndarray:
    out = np.array(values, dtype=float)
    out.setflags(write=False)
    return out


#: keys of a scenario file of kind "qnum" (:meth:`RepeaterScenario.from_dict`)
FILE_KEYS = ("kind", "links", "routes", "utility", "attempt_time_s", "attenuation_db_per_km", "efficiency",
             "decoherence_rate_per_s", "fiber_speed_km_per_s")
_PHYSICS = FILE_KEYS[4:]


@dataclass(frozen=True)
class RepeaterScenario(ScenarioDisplay):
    """Links, routes and physics of a QNUM problem (immutable; derive variants with :meth:`replace`).

    Parameters
    ----------
    link_names : sequence of str
        Unique link names (the labels of ``werner`` in solutions and traces).
    link_lengths_km : sequence of float, one per link (>= 0)
    routes : sequence of sequence of int
        Link indices of each route (non-empty, each link once).
    weights : sequence of float, one per route (> 0); default all 1
    utility : {"distillable", "secret-key", "negativity"}
    attempt_time_s, attenuation_db_per_km, efficiency : float
        ``T``, fibre attenuation and ``c`` of ``d_l = 3 c eta_l / (2 T)``.
    decoherence_rate_per_s : float
        ``Γ`` of the memories (both ends added), default 0. qnum's memory-time model
        (stand-in, REFERENCE.md gives none): a route's pairs wait one classical round trip
        over the route, ``t_r = 2 L_r / v`` with ``v`` = ``fiber_speed_km_per_s`` (2e5), so
        ``W_r = e^{-Γ t_r} Π w_l``.
    fiber_speed_km_per_s : float
    route_names : sequence of str, optional
        Unique route labels (the labels of ``rates`` and ``fidelity`` in solutions and
        traces); default ``"route0"``, ``"route1"``, ... (:func:`from_graph` names a route
        after its user pair, ``"a-b"``).

    Examples
    --------
    >>> sc = two_user()
    >>> sc.incidence.tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    >>> round(float(sc.capacity_scale[0]), 2)
    1432.49
    >>> sc.route_names
    ('route0', 'route1')
    >>> sc.weights[0] = 2.0
    Traceback (most recent call last):
    ...
    ValueError: assignment destination is read-only
    """

    link_names: tuple
    link_lengths_km: np.ndarray
    routes: tuple
    weights: np.ndarray = None
    utility: str = "distillable"
    attempt_time_s: float = 1e-3
    attenuation_db_per_km: float = 0.2
    efficiency: float = 1.0
    decoherence_rate_per_s: float = 0.0
    fiber_speed_km_per_s: float = 2e5
    route_names: tuple = None

    kind = "qnum"

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        if not isinstance(self.utility, str) or self.utility not in UTILITIES:
            raise ScenarioError("utility", self.utility, "must be one of " + ", ".join(UTILITIES))
        names = tuple(str(n) for n in self.link_names)
        if not names:
            raise ScenarioError("links", list(names), "need at least one link")
        if len(set(names)) != len(names):
            raise ScenarioError("links", list(names), "link names must be unique")
        put("link_names", names)
        lengths = list(self.link_lengths_km)
        if len(lengths) != len(names):
            raise ScenarioError("link_lengths_km", lengths, f"need one per link ({len(names)})")
        put("link_lengths_km", _frozen([_ranged(f"links.{n}.length_km", "length_km", v)
                                        for n, v in zip(names, lengths)]))
        if not self.routes:
            raise ScenarioError("routes", self.routes, "need at least one route")
        from qnum.limits import check_memory

        check_memory("routes", f"{len(self.routes)} routes", 32.0 * len(self.routes) * len(names),
                     "the route x link matrices of the model")
        routes = []
        for i, route in enumerate(self.routes):
            route = list(route)
            if len(route) == 0:
                raise ScenarioError(f"routes[{i}].links", route, "route is empty")
            if len(set(route)) != len(route):
                raise ScenarioError(f"routes[{i}].links", route, "a route uses each link once")
            for link in route:
                if isinstance(link, bool) or not isinstance(link, (int, np.integer)) or not 0 <= link < len(names):
                    raise ScenarioError(f"routes[{i}].links", route,
                                        f"link indices must be integers in [0, {len(names)})")
            routes.append(tuple(int(link) for link in route))
        put("routes", tuple(routes))
        weights = np.ones(len(routes)) if self.weights is None else list(self.weights)
        if len(weights) != len(routes):
            raise ScenarioError("weights", list(weights), f"need one per route ({len(routes)})")
        put("weights", _frozen([_ranged(f"routes[{i}].weight", "weight", w) for i, w in enumerate(weights)]))
        rnames = tuple(f"route{r}" for r in range(len(routes))) if self.route_names is None else self.route_names
        if isinstance(rnames, str) or len(rnames) != len(routes):
            raise ScenarioError("route_names", rnames, f"need one per route ({len(routes)})")
        rnames = tuple(str(n) for n in rnames)
        for i, n in enumerate(rnames):
            if not n or n in rnames[:i]:
                raise ScenarioError(f"routes[{i}].name", n, "route names must be unique and non-empty")
        put("route_names", rnames)
        for key in ("attempt_time_s", "attenuation_db_per_km", "efficiency", "fiber_speed_km_per_s",
                    "decoherence_rate_per_s"):
            put(key, _ranged(key, key, getattr(self, key)))

    @classmethod
    def from_dict(cls, data: dict) -> RepeaterScenario:
        """Validated scenario from the file form; unknown keys are refused, naming them.

        File form (JSON or TOML)::

            {"kind": "qnum",
             "links": [{"name": "u1", "length_km": 2.0}, ...],
             "routes": [{"links": ["u1", "s"], "weight": 1.0, "name": "alice-bob"}, ...],
             "utility": "distillable" | "secret-key" | "negativity",     (optional)
             "attempt_time_s": 1e-3, "attenuation_db_per_km": 0.2, "efficiency": 1.0,
             "decoherence_rate_per_s": 0.0, "fiber_speed_km_per_s": 2e5}  (optional)

        ``weight`` (default 1) and ``name`` (default ``"route<i>"``, unique) are optional.

        Examples
        --------
        >>> sc = RepeaterScenario.from_dict({"kind": "qnum", "links": [{"name": "a", "length_km": 1.0}],
        ...                                  "routes": [{"links": ["a"], "name": "ab"}]})
        >>> sc.link_names, sc.routes, sc.route_names
        (('a',), ((0,),), ('ab',))
        >>> RepeaterScenario.from_dict({"kind": "qnum", "links": [{"name": "a", "length_km": 1.0}],
        ...                             "routes": [{"links": ["a"], "wieght": 2.0}]})
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: routes[0].wieght = 2.0: unknown key; allowed keys: links, name, weight
        """
        from qnum.networks.io import check_keys, require

        if not isinstance(data, dict):
            raise ScenarioError("scenario", data, "must be an object with kind \"qnum\"")
        check_keys(data, set(FILE_KEYS))
        if data.get("kind", "qnum") != "qnum":
            raise ScenarioError("kind", data.get("kind"), "must be \"qnum\" for a repeater scenario")
        raw_links = require(data, "links")
        if not isinstance(raw_links, list) or not raw_links:
            raise ScenarioError("links", raw_links, "must be a non-empty list of {\"name\", \"length_km\"}")
        links = {}
        for i, link in enumerate(raw_links):
            if not isinstance(link, dict):
                raise ScenarioError(f"links[{i}]", link, "must be an object {\"name\", \"length_km\"}")
            check_keys(link, {"name", "length_km"}, where=f"links[{i}].")
            name = require(link, "name", where=f"links[{i}].")
            length = require(link, "length_km", where=f"links[{i}].")
            if not isinstance(name, (str, int)) or isinstance(name, bool) or str(name) == "":
                raise ScenarioError(f"links[{i}].name", name, "must be a non-empty string")
            if str(name) in links:
                raise ScenarioError(f"links[{i}].name", name, "duplicate link name")
            links[str(name)] = _ranged(f"links[{i}].length_km", "length_km", length)
        raw_routes = require(data, "routes")
        if not isinstance(raw_routes, list) or not raw_routes:
            raise ScenarioError("routes", raw_routes, "must be a non-empty list of {\"links\": [...]}")
        routes = []
        for i, route in enumerate(raw_routes):
            if not isinstance(route, dict):
                raise ScenarioError(f"routes[{i}]", route, "must be an object {\"links\": [link names], ...}")
            check_keys(route, {"links", "weight", "name"}, where=f"routes[{i}].")
            members = require(route, "links", where=f"routes[{i}].")
            if not isinstance(members, list) or not all(isinstance(m, (str, int)) for m in members):
                raise ScenarioError(f"routes[{i}].links", members, "must be a list of link names")
            name = route.get("name", f"route{i}")
            if not isinstance(name, str) or not name:
                raise ScenarioError(f"routes[{i}].name", name, "must be a non-empty string")
            routes.append(([str(m) for m in members], route.get("weight", 1.0), name))
        physics = {key: data[key] for key in _PHYSICS if key in data}
        return from_links(links, routes, data.get("utility", "distillable"), **physics)

    def to_dict(self) -> dict:
        """The scenario in the file form :meth:`from_dict` reads (kind "qnum").

        Examples
        --------
        >>> d = two_user().to_dict()
        >>> d["routes"][0]
        {'name': 'route0', 'links': ['u1', 's'], 'weight': 1.0}
        >>> RepeaterScenario.from_dict(d) == two_user()
        True
        """
        return {"kind": "qnum",
                "links": [{"name": n, "length_km": float(v)} for n, v in zip(self.link_names, self.link_lengths_km)],
                "routes": [{"name": name, "links": links, "weight": float(w)}
                           for name, links, w in zip(self.route_names, self.route_link_names(), self.weights)],
                "utility": self.utility, "attempt_time_s": self.attempt_time_s,
                "attenuation_db_per_km": self.attenuation_db_per_km, "efficiency": self.efficiency,
                "decoherence_rate_per_s": self.decoherence_rate_per_s,
                "fiber_speed_km_per_s": self.fiber_speed_km_per_s}

    def replace(self, **changes) -> RepeaterScenario:
        """A validated copy with some fields changed (scenarios are immutable).

        Examples
        --------
        >>> two_user().replace(utility="negativity").utility
        'negativity'
        """
        import dataclasses

        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            key = sorted(unknown)[0]
            raise ScenarioError(key, changes[key], "not a field of RepeaterScenario")
        return dataclasses.replace(self, **changes)

    def __eq__(self, other) -> bool:
        if not isinstance(other, RepeaterScenario):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None

    @property
    def capacity_scale(self) -> np.ndarray:
        """``d_l`` (pairs/s): link rate at Werner parameter 0."""
        return np.asarray(link_capacity_scale(self.link_lengths_km, self.attempt_time_s,
                                              self.attenuation_db_per_km, self.efficiency), float)

    @property
    def incidence(self) -> np.ndarray:
        """``A`` of shape (links, routes); ``A[l, r] = 1`` when route ``r`` uses link ``l``."""
        A = np.zeros((len(self.link_names), len(self.routes)))
        for r, route in enumerate(self.routes):
            A[list(route), r] = 1.0
        return A

    @property
    def route_log_decay(self) -> np.ndarray:
        """``log`` of each route's decoherence factor, ``-Γ t_r`` (0 without decoherence).

        Examples
        --------
        >>> sc = two_user().replace(decoherence_rate_per_s=100.0)
        >>> float(sc.route_log_decay[0])   # -100/s * 2 * 4 km / 2e5 km/s
        -0.004
        """
        lengths = self.incidence.T @ self.link_lengths_km
        return -self.decoherence_rate_per_s * 2.0 * lengths / self.fiber_speed_km_per_s

    def route_link_names(self) -> list:
        """Routes as lists of link names."""
        return [[self.link_names[l] for l in r] for r in self.routes]

    def objective(self, rates, werner) -> float:
        """The QNUM utility ``Σ_r ω_r log(x_r E(W_r))``, ``W_r = e^{o_r} Π_{l ∈ r} w_l``.

        ``rates`` per route and ``werner`` per link, in the scenario's order; ``-inf`` when a
        route's rate is 0 or its ``E(W_r) <= 0``. This is exactly what every solve maximizes
        and every trace evaluates at its online point.

        Examples
        --------
        >>> sc = two_user()
        >>> round(sc.objective([10.0, 10.0], [0.95, 0.95, 0.95]), 4)
        3.2452
        >>> sc.objective([10.0, 10.0], [0.5, 0.5, 0.5])     # F = 0.4 per route: below hashing
        -inf
        """
        x = np.asarray(rates, float)
        w = np.asarray(werner, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            W = np.exp(self.incidence.T @ np.log(w) + self.route_log_decay)
            E = np.asarray(UTILITIES[self.utility](W), float)
            terms = np.where((x > 0) & (E > 0), np.log(np.where(x > 0, x, 1.0) * np.where(E > 0, E, 1.0)), -np.inf)
        return float(self.weights @ terms) if np.all(np.isfinite(terms)) else -np.inf

    def route_werner(self, werner) -> np.ndarray:
        """``W_r = e^{o_r} Π_{l ∈ r} w_l`` per route from link Werner parameters."""
        with np.errstate(divide="ignore"):
            return np.exp(self.incidence.T @ np.log(np.asarray(werner, float)) + self.route_log_decay)

    def overshoot(self, rates, werner) -> np.ndarray:
        """Normalized capacity use minus one per link, ``Σ_{r ∋ l} x_r / d_l + w_l − 1`` (> 0: over capacity)."""
        return self.incidence @ np.asarray(rates, float) / self.capacity_scale + np.asarray(werner, float) - 1.0

    def labelled(self, rates, werner) -> dict:
        """A point as labelled values: ``rates`` and ``fidelity`` by route name, ``werner`` by link name.

        Examples
        --------
        >>> v = two_user().labelled([1.0, 2.0], [0.9, 0.9, 1.0])
        >>> v["rates"], v["fidelity"]["route0"], v["werner"]["s"]
        ({'route0': 1.0, 'route1': 2.0}, 0.925, 1.0)
        """
        F = fidelity_from_werner(self.route_werner(werner))
        return {"rates": dict(zip(self.route_names, (float(v) for v in np.asarray(rates, float)))),
                "werner": dict(zip(self.link_names, (float(v) for v in np.asarray(werner, float)))),
                "fidelity": dict(zip(self.route_names, (float(v) for v in F)))}


def from_links(links: dict, routes, utility="distillable", **physics) -> RepeaterScenario:
    """Scenario from ``{name: length_km}`` and ``[(link_names, weight), ...]``.

    A route may also be ``(link_names, weight, name)`` to set its label.

    Examples
    --------
    >>> from_links({"a": 1.0}, [(["a"], 1.0, "ab")]).route_names
    ('ab',)
    >>> from_links({"a": 1.0}, [(["b"], 1.0)])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: routes[0].links = 'b': unknown link; known links: a
    """
    names = list(links)
    index = {n: i for i, n in enumerate(names)}
    idx, weights, rnames = [], [], []
    for i, route in enumerate(routes):
        if not isinstance(route, (tuple, list)) or len(route) not in (2, 3):
            raise ScenarioError(f"routes[{i}]", route, "must be (link_names, weight) or (link_names, weight, name)")
        members, weight = route[0], route[1]
        for link in members:
            if link not in index:
                raise ScenarioError(f"routes[{i}].links", link, "unknown link; known links: " + ", ".join(names))
        idx.append([index[l] for l in members])
        weights.append(weight)
        rnames.append(route[2] if len(route) == 3 else f"route{i}")
    return RepeaterScenario(names, [links[n] for n in names], idx, weights, utility=utility,
                            route_names=rnames, **physics)


def two_user(access_km=2.0, server_km=2.0, utility="distillable") -> RepeaterScenario:
    """Two users each on an access link, sharing one server link (the issue's known value).

    Examples
    --------
    >>> two_user().route_link_names()
    [['u1', 's'], ['u2', 's']]
    """
    return from_links({"u1": access_km, "u2": access_km, "s": server_km},
                      [(["u1", "s"], 1.0), (["u2", "s"], 1.0)], utility)


def dumbbell(n_pairs=4, access_km=15.0, backbone_km=30.0, utility="distillable") -> RepeaterScenario:
    """N sources -> hub -- backbone -- hub -> N destinations; route i = (src_i, backbone, dst_i).

    Defaults follow REFERENCE.md §3 (access 15 km, backbone 10-60 km).

    Examples
    --------
    >>> dumbbell(2).route_link_names()
    [['src0', 'backbone', 'dst0'], ['src1', 'backbone', 'dst1']]
    """
    links = {"backbone": backbone_km}
    routes = []
    for i in range(int(n_pairs)):
        links[f"src{i}"] = access_km
        links[f"dst{i}"] = access_km
        routes.append(([f"src{i}", "backbone", f"dst{i}"], 1.0))
    if not routes:
        raise ScenarioError("n_pairs", n_pairs, "must be >= 1")
    return from_links(links, routes, utility)


def from_graph(graph: nx.Graph, pairs, weights=None, utility="distillable", **physics) -> RepeaterScenario:
    """Scenario from a fiber graph (edge attribute ``length_km``) and user pairs on shortest routes.

    Each pair is served along its shortest path by length (ties: networkx's choice, which is
    deterministic for a given graph); links take their edge's ``name`` attribute, else
    ``"u-v"`` after their end nodes; routes are named after their pair, ``"a-b"`` (a repeated
    pair gets ``"a-b#2"``, ...).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_edge("A", "B", length_km=2.0); g.add_edge("B", "C", length_km=3.0); g.add_edge("A", "C", length_km=9.0)
    >>> sc = from_graph(g, [("A", "C"), ("A", "B")])
    >>> sc.route_link_names(), sc.route_names
    ([['A-B', 'B-C'], ['A-B']], ('A-C', 'A-B'))
    >>> from_graph(g, [("A", "Z")])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: pairs[0] = ('A', 'Z'): node 'Z' is not in the graph
    """
    names, links = {}, {}
    for u, v, data in graph.edges(data=True):
        if "length_km" not in data:
            raise ScenarioError(f"graph.edges[{u!r}, {v!r}].length_km", None, "every edge needs a length_km")
        name = str(data.get("name", f"{u}-{v}"))
        names[frozenset((u, v))] = name
        links[name] = data["length_km"]
    pairs = [tuple(p) for p in pairs]
    weights = [1.0] * len(pairs) if weights is None else list(weights)
    if len(weights) != len(pairs):
        raise ScenarioError("weights", weights, f"need one per pair ({len(pairs)})")
    # imported on use: networkx costs ~0.3 s of every start-up otherwise
    import networkx as nx

    routes, taken = [], set()
    for i, (a, b) in enumerate(pairs):
        for node in (a, b):
            if node not in graph:
                raise ScenarioError(f"pairs[{i}]", (a, b), f"node {node!r} is not in the graph")
        if a == b:
            raise ScenarioError(f"pairs[{i}]", (a, b), "a pair needs two distinct nodes")
        try:
            nodes = nx.shortest_path(graph, a, b, weight="length_km")
        except nx.NetworkXNoPath:
            raise ScenarioError(f"pairs[{i}]", (a, b), "no path joins the two nodes") from None
        label = f"{a}-{b}"
        k = 2
        while label in taken:
            label, k = f"{a}-{b}#{k}", k + 1
        taken.add(label)
        routes.append(([names[frozenset(e)] for e in zip(nodes, nodes[1:])], weights[i], label))
    return from_links(links, routes, utility, **physics)


def nsfnet(n_pairs=10, seed=0, length_scale=0.01, utility="distillable") -> RepeaterScenario:
    """NSFNet (14 nodes, 21 links) with ``n_pairs`` seeded distinct user pairs on shortest routes.

    Link lengths are the real spans in km times ``length_scale`` (qnum's stand-in 1/100).
    Pairs whose shortest route has one link only are allowed.

    Examples
    --------
    >>> sc = nsfnet(5, seed=1)
    >>> len(sc.link_names), len(sc.routes)
    (21, 5)
    """
    import networkx as nx

    scale = _positive("length_scale", length_scale)
    g = nx.Graph()
    for a, b, km in NSFNET_KM:
        g.add_edge(a, b, length_km=km * scale, name=f"{a}-{b}")
    return from_graph(g, draw_pairs([(a, b) for a in g for b in g if a < b], n_pairs, seed), utility=utility)


def draw_pairs(pairs: list, n_pairs: int, seed: int) -> list:
    """``n_pairs`` distinct pairs drawn from ``pairs`` with ``seed``, in their listed order.

    The one seeded draw behind :func:`nsfnet`, :func:`qnum.networks.topologies.germany50` and
    the topology builder :func:`qnum.networks.from_topology.qnum`.

    Examples
    --------
    >>> draw_pairs([("a", "b"), ("a", "c"), ("b", "c")], 2, seed=0)
    [('a', 'c'), ('b', 'c')]
    """
    if not 1 <= n_pairs <= len(pairs):
        raise ScenarioError("n_pairs", n_pairs, f"must be between 1 and {len(pairs)}")
    rng = np.random.default_rng(seed)
    return [pairs[i] for i in sorted(rng.choice(len(pairs), size=int(n_pairs), replace=False))]
