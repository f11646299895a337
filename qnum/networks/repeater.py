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

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from qnum.errors import ScenarioError
from qnum.physics.werner import UTILITIES, link_capacity_scale

#: NSFNet (14 nodes) link lengths in km, REFERENCE.md §3; the 21-link variant drops (7, 10).
NSFNET_KM = [(1, 2, 2100), (1, 3, 3000), (1, 8, 4800), (2, 3, 1200), (2, 4, 1500),
             (3, 6, 3600), (4, 5, 1200), (4, 11, 3900), (5, 6, 2400), (5, 7, 1200),
             (6, 10, 2100), (6, 14, 3600), (7, 8, 1500), (8, 9, 1500), (9, 10, 1500),
             (9, 12, 600), (9, 13, 600), (11, 12, 1200), (11, 13, 1500), (12, 14, 600),
             (13, 14, 300)]


def _positive(field_name, value, allow_zero=False):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ScenarioError(field_name, value, "must be a number " + (">= 0" if allow_zero else "> 0"))
    return float(value)


@dataclass
class RepeaterScenario:
    """Links, routes and physics of a QNUM problem.

    Parameters
    ----------
    link_names : list of str
    link_lengths_km : sequence of float, one per link (>= 0)
    routes : list of list of int
        Link indices of each route (non-empty).
    weights : sequence of float, one per route (> 0)
    utility : {"distillable", "secret-key", "negativity"}
    attempt_time_s, attenuation_db_per_km, efficiency : float
        ``T``, fibre attenuation and ``c`` of ``d_l = 3 c eta_l / (2 T)``.
    decoherence_rate_per_s : float
        ``Γ`` of the memories (both ends added), default 0. qnum's memory-time model
        (stand-in, REFERENCE.md gives none): a route's pairs wait one classical round trip
        over the route, ``t_r = 2 L_r / v`` with ``v`` = ``fiber_speed_km_per_s`` (2e5), so
        ``W_r = e^{-Γ t_r} Π w_l``.

    Examples
    --------
    >>> sc = two_user()
    >>> sc.incidence.tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    >>> round(float(sc.capacity_scale[0]), 2)
    1432.49
    """

    link_names: list
    link_lengths_km: np.ndarray
    routes: list
    weights: np.ndarray = field(default=None)
    utility: str = "distillable"
    attempt_time_s: float = 1e-3
    attenuation_db_per_km: float = 0.2
    efficiency: float = 1.0
    decoherence_rate_per_s: float = 0.0
    fiber_speed_km_per_s: float = 2e5

    def __post_init__(self):
        if self.utility not in UTILITIES:
            raise ScenarioError("utility", self.utility, "must be one of " + ", ".join(UTILITIES))
        self.link_names = [str(n) for n in self.link_names]
        if not self.link_names:
            raise ScenarioError("links", self.link_names, "need at least one link")
        if len(set(self.link_names)) != len(self.link_names):
            raise ScenarioError("links", self.link_names, "link names must be unique")
        self.link_lengths_km = np.array([_positive(f"links.{n}.length_km", v, allow_zero=True)
                                         for n, v in zip(self.link_names, self.link_lengths_km)])
        if not self.routes:
            raise ScenarioError("routes", self.routes, "need at least one route")
        for i, route in enumerate(self.routes):
            if len(route) == 0:
                raise ScenarioError(f"routes[{i}].links", list(route), "route is empty")
            if len(set(route)) != len(route):
                raise ScenarioError(f"routes[{i}].links", list(route), "a route uses each link once")
        self.routes = [[int(l) for l in r] for r in self.routes]
        if self.weights is None:
            self.weights = np.ones(len(self.routes))
        if len(self.weights) != len(self.routes):
            raise ScenarioError("weights", list(self.weights), f"need one per route ({len(self.routes)})")
        self.weights = np.array([_positive(f"routes[{i}].weight", w) for i, w in enumerate(self.weights)])
        for key in ("attempt_time_s", "attenuation_db_per_km", "efficiency", "fiber_speed_km_per_s"):
            setattr(self, key, _positive(key, getattr(self, key)))
        self.decoherence_rate_per_s = _positive("decoherence_rate_per_s", self.decoherence_rate_per_s,
                                                allow_zero=True)

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
            A[route, r] = 1.0
        return A

    @property
    def route_log_decay(self) -> np.ndarray:
        """``log`` of each route's decoherence factor, ``-Γ t_r`` (0 without decoherence).

        Examples
        --------
        >>> sc = two_user()
        >>> sc.decoherence_rate_per_s = 100.0
        >>> float(sc.route_log_decay[0])   # -100/s * 2 * 4 km / 2e5 km/s
        -0.004
        """
        lengths = self.incidence.T @ self.link_lengths_km
        return -self.decoherence_rate_per_s * 2.0 * lengths / self.fiber_speed_km_per_s

    def route_link_names(self) -> list:
        """Routes as lists of link names."""
        return [[self.link_names[l] for l in r] for r in self.routes]

    def to_dict(self) -> dict:
        """The scenario in the file form ``qnum solve`` reads (kind "qnum").

        Examples
        --------
        >>> from qnum.families.repeater import scenario_from_dict
        >>> d = two_user().to_dict()
        >>> d["routes"][0], scenario_from_dict(d).incidence.tolist() == two_user().incidence.tolist()
        ({'links': ['u1', 's'], 'weight': 1.0}, True)
        """
        return {"kind": "qnum",
                "links": [{"name": n, "length_km": float(v)} for n, v in zip(self.link_names, self.link_lengths_km)],
                "routes": [{"links": names, "weight": float(w)} for names, w in zip(self.route_link_names(), self.weights)],
                "utility": self.utility, "attempt_time_s": self.attempt_time_s,
                "attenuation_db_per_km": self.attenuation_db_per_km, "efficiency": self.efficiency,
                "decoherence_rate_per_s": self.decoherence_rate_per_s,
                "fiber_speed_km_per_s": self.fiber_speed_km_per_s}


def from_links(links: dict, routes, utility="distillable", **physics) -> RepeaterScenario:
    """Scenario from ``{name: length_km}`` and ``[(link_names, weight), ...]``.

    Examples
    --------
    >>> from_links({"a": 1.0}, [(["b"], 1.0)])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: routes[0].links = 'b': unknown link; known links: a
    """
    names = list(links)
    index = {n: i for i, n in enumerate(names)}
    idx = []
    for i, (route, _) in enumerate(routes):
        for link in route:
            if link not in index:
                raise ScenarioError(f"routes[{i}].links", link, "unknown link; known links: " + ", ".join(names))
        idx.append([index[l] for l in route])
    return RepeaterScenario(names, [links[n] for n in names], idx, [w for _, w in routes],
                            utility=utility, **physics)


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
    ``"u-v"`` after their end nodes.

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_edge("A", "B", length_km=2.0); g.add_edge("B", "C", length_km=3.0); g.add_edge("A", "C", length_km=9.0)
    >>> sc = from_graph(g, [("A", "C"), ("A", "B")])
    >>> sc.route_link_names()
    [['A-B', 'B-C'], ['A-B']]
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
    routes = []
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
        routes.append(([names[frozenset(e)] for e in zip(nodes, nodes[1:])], weights[i]))
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
    scale = _positive("length_scale", length_scale)
    g = nx.Graph()
    for a, b, km in NSFNET_KM:
        g.add_edge(a, b, length_km=km * scale, name=f"{a}-{b}")
    pairs = [(a, b) for a in g for b in g if a < b]
    if not 1 <= n_pairs <= len(pairs):
        raise ScenarioError("n_pairs", n_pairs, f"must be between 1 and {len(pairs)}")
    rng = np.random.default_rng(seed)
    chosen = [pairs[i] for i in sorted(rng.choice(len(pairs), size=int(n_pairs), replace=False))]
    return from_graph(g, chosen, utility=utility)
