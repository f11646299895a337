"""Build any family's scenario from a real network (a graph from :func:`qnum.networks.topology.load_topology`).

One builder per kind, each with documented defaults; every number no paper gives is qnum's
stand-in and says so:

- :func:`pumping` — one entangled-photon source at a node of the network, QKD users at other
  nodes; a pair's fibre length is the source-to-user shortest-path length of both users added
  (both photons travel from the source); SKRs from BBM92 with qnum's QBER model
  :func:`qber_of_length` (the PF paper says QBER grows with distance but gives no formula).
- :func:`qnum` — user pairs on shortest routes (:func:`qnum.networks.repeater.from_graph`), the
  network shrunk so that its longest link is at most 100 km unless ``length_scale`` says otherwise.
- :func:`mqce` — the fiber graph itself: trusted relays are the nodes, fibres the links, PLOB
  capacitances from the link lengths (:func:`qnum.networks.relay.from_fiber_graph`).
- :func:`rwa` — an optical fabric: an optical switch per node, a fibre per link, users hanging
  off chosen nodes, the entangled-photon source at one node (a WSS there splits the pairs).

A scenario file may name a topology instead of listing nodes (:func:`expand`)::

    {"kind": "qnum", "topology": "topohub:sndlib/polska", "n_pairs": 6, "seed": 1}

``topology`` is a built-in name, a ``topohub:`` key or a file path (relative to the scenario
file); ``length``, ``route_factor`` and ``min_length_km`` go to
:func:`~qnum.networks.topology.load_topology`,
every other key to the family's builder here (an unknown key is an error naming it). The
scenario's ``to_dict()`` writes the expanded scenario (nodes, links, routes...), so a saved
scenario no longer depends on the topology source.

    >>> from qnum.networks.topology import load_topology
    >>> sc = qnum(load_topology("nsfnet"), n_pairs=3, seed=1)
    >>> sc.kind, len(sc.routes)
    ('qnum', 3)
"""

from __future__ import annotations

import inspect
import logging
import math
from pathlib import Path

import networkx as nx
import numpy as np

from qnum.errors import ScenarioError

log = logging.getLogger(__name__)


def _fit_qber_line():
    from qnum.networks.pumping import TABLE_I_DISTANCE_KM, TABLE_II_QBER

    i, j = np.triu_indices(TABLE_I_DISTANCE_KM.shape[0], 1)
    d, q = TABLE_I_DISTANCE_KM[i, j], TABLE_II_QBER[i, j]
    slope, intercept = np.polyfit(d, q, 1)
    return float(intercept), float(slope)


#: qnum's QBER model Q(d) = QBER_INTERCEPT + QBER_SLOPE * d: the least-squares line through the PF paper's
#: Table I distances and Table II QBERs (0.00133 + 3.85e-4 / km; largest residual 0.004)
QBER_INTERCEPT, QBER_SLOPE = _fit_qber_line()
#: farthest user pair (km, through the source) of the default pumping network: the PF paper's Remark 3
#: ("every link here is at most 100 km")
PUMPING_MAX_PAIR_KM = 100.0
#: range of an explicit length_scale (beyond it a link is shorter than a metre or longer than the Earth)
MIN_LENGTH_SCALE, MAX_LENGTH_SCALE = 1e-6, 1e3
#: longest link of the default QNUM network (km): qnum's stand-in (link capacities underflow at continental spans)
QNUM_MAX_LINK_KM = 100.0
#: longest fibre of the default RWA fabric (km): qnum's stand-in, the upper end of qnum's NSFNet fabric
#: (:func:`qnum.networks.optical.nsfnet_network` draws 10-100 km)
RWA_MAX_LINK_KM = 100.0
#: longest fibre of an MQCE network built with ``length_scale="auto"`` (km): qnum's stand-in, as for QNUM
MQCE_MAX_LINK_KM = 100.0


def _not_both(name, value, **counts):
    """Refuse an explicit list given with the count (or seed) that would draw it: one would be ignored."""
    given = [k for k, v in counts.items() if v is not None]
    if given:
        raise ScenarioError(name, value, f"given together with {' and '.join(given)}, which only apply when "
                            f"{name} is drawn: give one or the other")


def qber_of_length(length_km, intercept: float = None, slope: float = None):
    """qnum's QBER model: ``min(0.5, intercept + slope * d)`` (defaults: the fit to the PF paper's tables).

    Examples
    --------
    >>> round(float(qber_of_length(100.0)), 4)
    0.0398
    """
    a = QBER_INTERCEPT if intercept is None else intercept
    b = QBER_SLOPE if slope is None else slope
    return np.minimum(0.5, a + b * np.asarray(length_km, dtype=float))


# -- shared helpers ---------------------------------------------------------------------------

def _graph(topology):
    from qnum.networks.topology import load_topology

    if isinstance(topology, nx.Graph) and topology.graph.get("length_source"):
        return topology
    return load_topology(topology)


def _scaled(graph: nx.Graph, scale: float) -> nx.Graph:
    if scale == 1.0:
        return graph
    out = graph.copy()
    for _, _, data in out.edges(data=True):
        data["length_km"] = data["length_km"] * scale
    return out


def _scale_value(length_scale, longest: float, limit: float, what: str) -> float:
    """``length_scale`` as a number; ``"auto"`` shrinks (never stretches) so that ``longest`` is at most ``limit``."""
    if length_scale == "auto":
        scale = min(1.0, limit / longest) if longest > 0 else 1.0
        if scale < 1.0:
            log.info("length_scale auto: %s %.6g km > %g km, lengths x %.6g (qnum's stand-in; pass length_scale=1 "
                     "for the real lengths)", what, longest, limit, scale)
        return scale
    if isinstance(length_scale, bool) or not isinstance(length_scale, (int, float)) \
            or not MIN_LENGTH_SCALE <= length_scale <= MAX_LENGTH_SCALE:
        raise ScenarioError("length_scale", length_scale, f'must be a number in [{MIN_LENGTH_SCALE:g}, '
                            f'{MAX_LENGTH_SCALE:g}] or "auto"')
    return float(length_scale)


def _node(graph, value, field):
    name = str(value)
    if name not in graph:
        sample = ", ".join(sorted(graph)[:8])
        more = ", ..." if len(graph) > 8 else ""
        raise ScenarioError(field, value, f"not a node of the network (nodes: {sample}{more})")
    return name


def _int(value, field, low=1, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        raise ScenarioError(field, value, f"must be an integer in [{low}, {high}]" if high is not None
                            else f"must be an integer >= {low}")
    return int(value)


def _centre(graph):
    """The node whose farthest node is nearest (weighted eccentricity; ties: the first name)."""
    ecc = nx.eccentricity(graph, weight="length_km")
    return min(sorted(graph), key=lambda n: ecc[n])


def _remember(scenario, graph, **extra):
    """Keep the network on the scenario for display (not part of the scenario's data or equality)."""
    info = {"graph": graph, **extra}
    try:
        object.__setattr__(scenario, "_topology", info)
    except (AttributeError, TypeError):  # pragma: no cover - every scenario class takes it
        pass
    return scenario


# -- the builders -----------------------------------------------------------------------------

def pumping(topology, *, source=None, users=None, n_users: int | None = None, capacity: int | None = None, alpha=1.0,
            qber_intercept: float = None, qber_slope: float = None, attenuation_db_per_km: float = 0.2,
            repetition_rate_hz: float = 1e9, length_scale="auto", max_pair_km: float = PUMPING_MAX_PAIR_KM,
            name: str | None = None):
    """Pumping scenario: one source at a node, QKD users at other nodes, BBM92 SKRs (one channel state).

    Parameters
    ----------
    topology : graph or source
        Anything :func:`~qnum.networks.topology.load_topology` reads.
    source : node, optional
        Where the source sits; default the network's centre (smallest largest fibre distance).
    users : list of nodes, optional
        The QKD nodes; default the ``n_users`` nodes nearest the source by fibre (default 5, the
        PF paper's N, or every other node of a smaller network), the source excluded.
    capacity : int
        K, pairs pumped per slot (default 2: qnum's stand-in, as :func:`qnum.networks.pumping.table_i`;
        1 when there is one pair).
    qber_intercept, qber_slope : float, optional
        QBER model ``Q = a + b d`` (km), default the fit to the PF paper's Tables I/II
        (:data:`QBER_INTERCEPT`, :data:`QBER_SLOPE`); a pair at Q >= 0.11 has no key.
    attenuation_db_per_km, repetition_rate_hz : float
        0.2 dB/km (the paper) and R = 1e9 /s (qnum's stand-in, the paper gives none).
    length_scale : float or "auto"
        Multiplies every fibre length. ``"auto"`` (default) shrinks the network so that the
        farthest user pair is at most ``max_pair_km`` (100 km, the PF paper's Remark 3: a
        local-area network without repeaters); logged, and written in the name.

    Examples
    --------
    >>> from qnum.networks.topology import load_topology
    >>> sc = pumping(load_topology("nsfnet"))
    >>> sc.nodes, sc.capacity, sc.name
    (5, 2, 'nsfnet-pumping-at-5 (lengths x 0.0185)')
    """
    from qnum.networks.pumping import from_distance_qber

    graph = _graph(topology)
    src = _centre(graph) if source is None else _node(graph, source, "source")
    dist = nx.single_source_dijkstra_path_length(graph, src, weight="length_km")
    if users is None:
        n_users = min(5, len(graph) - 1) if n_users is None else _int(n_users, "n_users", 2, len(graph) - 1)
        users = sorted((n for n in graph if n != src), key=lambda n: (dist[n], n))[:n_users]
    else:
        _not_both("users", users, n_users=n_users)
        if not isinstance(users, (list, tuple)) or len(users) < 2:
            raise ScenarioError("users", users, "must be a list of at least 2 nodes")
        users = [_node(graph, u, f"users[{k}]") for k, u in enumerate(users)]
        if len(set(users)) != len(users):
            raise ScenarioError("users", users, "a node is listed twice")
    a = QBER_INTERCEPT if qber_intercept is None else _number(qber_intercept, "qber_intercept", 0.0, 0.5)
    b = QBER_SLOPE if qber_slope is None else _number(qber_slope, "qber_slope", 0.0, 1.0)
    attenuation_db_per_km = _positive(attenuation_db_per_km, "attenuation_db_per_km")
    repetition_rate_hz = _positive(repetition_rate_hz, "repetition_rate_hz")
    n = len(users)
    arm = np.array([dist[u] for u in users])
    pair_km = arm[:, None] + arm[None, :]
    np.fill_diagonal(pair_km, 0.0)
    scale = _scale_value(length_scale, float(pair_km.max()), _positive(max_pair_km, "max_pair_km"),
                         "farthest user pair through the source")
    pair_km = pair_km * scale
    qber = qber_of_length(pair_km, a, b)
    np.fill_diagonal(qber, 0.0)
    from qnum.physics import QBER_THRESHOLD

    i, j = np.triu_indices(n, 1)
    dead = np.nonzero(qber[i, j] >= QBER_THRESHOLD)[0]
    if dead.size:
        e = int(dead[0])
        raise ScenarioError("users", [users[i[e]], users[j[e]]], f"this pair is {pair_km[i[e], j[e]]:.4g} km apart "
                            f"through the source: QBER {qber[i[e], j[e]]:.3f} >= 0.11 leaves no key; choose nearer "
                            "users or a smaller length_scale")
    label = name or f"{graph.graph.get('name', 'network')}-pumping-at-{src}" + \
        (f" (lengths x {scale:.4f})" if scale != 1.0 else "")
    if capacity is None:
        capacity = min(2, n * (n - 1) // 2)
    sc = from_distance_qber(pair_km, qber, capacity, attenuation_db_per_km=attenuation_db_per_km,
                            repetition_rate_hz=repetition_rate_hz, alpha=alpha, name=label)
    return _remember(sc, _scaled(graph, scale), source=src, users=users)


def qnum(topology, *, pairs=None, n_pairs: int | None = None, seed: int | None = None, weights=None,
         utility: str = "distillable",
         length_scale="auto", max_link_km: float = QNUM_MAX_LINK_KM, **physics):
    """QNUM scenario: user pairs on shortest routes of the network (:func:`qnum.networks.repeater.from_graph`).

    Parameters
    ----------
    pairs : list of [a, b], optional
        User pairs; default ``n_pairs`` (default 10, or every pair of a smaller network) distinct
        pairs drawn with ``seed`` (default 0; as :func:`qnum.networks.repeater.nsfnet` does). Giving
        ``pairs`` together with ``n_pairs`` or ``seed`` is an error (one of them would be ignored).
    weights, utility, **physics
        As :func:`~qnum.networks.repeater.from_graph` (attempt time, attenuation, ...).
    length_scale : float or "auto"
        Multiplies every link length. ``"auto"`` (default) shrinks the network so that its
        longest link is at most ``max_link_km`` (100 km, qnum's stand-in; logged): continental
        spans make link capacities underflow (the QNUM papers' NSFNet uses a 1/100 scale,
        :func:`qnum.networks.repeater.nsfnet`). ``length_scale=1`` keeps the real lengths.

    Examples
    --------
    >>> from qnum.networks.topology import load_topology
    >>> sc = qnum(load_topology("usnet"), pairs=[["0", "23"]])
    >>> sc.route_names, len(sc.routes[0])
    (('0-23',), 6)
    """
    from qnum.networks.repeater import draw_pairs, from_graph

    graph = _graph(topology)
    longest = max(d["length_km"] for _, _, d in graph.edges(data=True))
    scale = _scale_value(length_scale, longest, _positive(max_link_km, "max_link_km"), "longest link")
    graph = _scaled(graph, scale)
    if pairs is None:
        nodes = sorted(graph)
        every = [(a, b) for k, a in enumerate(nodes) for b in nodes[k + 1:]]
        n_pairs = min(10, len(every)) if n_pairs is None else _int(n_pairs, "n_pairs", 1, len(every))
        pairs = draw_pairs(every, n_pairs, _int(0 if seed is None else seed, "seed", 0, 2 ** 63 - 1))
    else:
        _not_both("pairs", pairs, n_pairs=n_pairs, seed=seed)
        if not isinstance(pairs, (list, tuple)) or not pairs:
            raise ScenarioError("pairs", pairs, "must be a non-empty list of [a, b] node pairs")
        checked = []
        for k, p in enumerate(pairs):
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise ScenarioError(f"pairs[{k}]", p, "must be a pair [a, b] of nodes")
            checked.append((_node(graph, p[0], f"pairs[{k}]"), _node(graph, p[1], f"pairs[{k}]")))
        pairs = checked
    if weights is not None and (not isinstance(weights, (list, tuple)) or len(weights) != len(pairs)):
        raise ScenarioError("weights", weights, f"must be a list of one weight per pair ({len(pairs)})")
    sc = from_graph(graph, pairs, weights=weights, utility=utility, **physics)
    return _remember(sc, graph, pairs=pairs)


def mqce(topology, *, p_malicious: float = 0.1, alpha: float = 0.5, decay_length_km: float | None = None,
         attenuation_db_per_km: float | None = None, length_scale=1.0, max_link_km: float = MQCE_MAX_LINK_KM,
         name: str | None = None):
    """MQCE scenario on the fiber graph: relays = nodes, links = fibres, PLOB capacitances.

    Parameters
    ----------
    p_malicious : float
        Probability a trusted relay is malicious (0.1: qnum's stand-in, as
        :func:`qnum.networks.relay.random_square`).
    alpha : float
        Capacitance-security trade-off (0.5, the file form's default).
    decay_length_km, attenuation_db_per_km : float, optional
        λ0 directly, or from the attenuation (default 0.2 dB/km: λ0 ≈ 21.7 km).
    length_scale : float or "auto"
        Multiplies every fibre length; default 1 (the real lengths). ``"auto"`` shrinks the
        network so that its longest fibre is at most ``max_link_km`` (100 km, qnum's stand-in);
        the factor is written in the name.

    Examples
    --------
    >>> from qnum.networks.topology import load_topology
    >>> sc = mqce(load_topology("nsfnet"))
    >>> sc.nodes, len(sc.edges_km)
    (14, 21)
    """
    from qnum.networks.relay import from_fiber_graph

    graph = _graph(topology)
    longest = max(d["length_km"] for _, _, d in graph.edges(data=True))
    scale = _scale_value(length_scale, longest, _positive(max_link_km, "max_link_km"), "longest link")
    graph = _scaled(graph, scale)
    nodes = list(graph)
    index = {n: k for k, n in enumerate(nodes)}
    edges = [[index[u], index[v], float(d["length_km"])] for u, v, d in graph.edges(data=True)]
    sc = from_fiber_graph(len(nodes), edges, decay_length_km=decay_length_km, p_malicious=p_malicious, alpha=alpha,
                          attenuation_db_per_km=attenuation_db_per_km,
                          name=name or f"{graph.graph.get('name', 'network')}-mqce"
                          + (f" (lengths x {scale:.4f})" if scale != 1.0 else ""))
    return _remember(sc, graph, nodes=nodes)


def rwa(topology, *, users=None, users_per_node: int = 1, source=None, n_pairs: int = 2, n_requests: int = 3,
        qos: float = 1e3, seed: int = 0, switch: str = "OS", physics=None, objective: str = "total",
        length_scale="auto", max_link_km: float = RWA_MAX_LINK_KM, name: str | None = None):
    """RWA scenario: an optical switch per node, a fibre per link, users at nodes, one source.

    The entangled-photon source sits at node ``source`` (1 km of fibre to it), whose device is a
    WSS (it sends the two photons of a pair, on different channels, to different ports); every
    other node has a ``switch``; every device crossconnects any two of its ports ("OS" or
    "AOS": 1 dB; "WSS": 5 dB — :func:`qnum.networks.optical.make_device`'s stand-ins); each
    network link is a fibre of its length at 0.2 dB/km; each user hangs off its node's switch
    by 1 km of fibre (the layout of :func:`qnum.networks.optical.nsfnet_network`).

    Parameters
    ----------
    users : list of nodes, optional
        Nodes with users (default every node); ``users_per_node`` users each, named
        ``"u-<node>"`` (``"u-<node>-<k>"`` when more than one).
    source : node, optional
        The node fed by the source; default the network's centre.
    n_pairs : int
        Channel pairs of the grid (2; qnum's stand-in, small so the exact router stays fast).
    n_requests, qos, seed : int, float, int
        ``n_requests`` add events of distinct user pairs drawn with ``seed``, each asking
        ``qos`` bit/s (1e3: qnum's stand-in).
    physics : dict, optional
        Key-rate model options (default ``{"t_cc_s": 1e-10, "channel_brightness": 1e8}``, as the
        shipped DSER example).
    length_scale : float or "auto"
        Multiplies every link length; ``"auto"`` (default) shrinks the network so that its
        longest link is at most ``max_link_km`` (100 km: qnum's stand-in); logged.

    Examples
    --------
    >>> from qnum.networks.topology import load_topology
    >>> sc = rwa(load_topology("nsfnet"), n_requests=2)
    >>> len(sc.net.users), len(sc.events)
    (14, 2)
    """
    from qnum.networks.rwa import RWAScenario

    graph = _graph(topology)
    if switch not in ("OS", "AOS", "WSS"):
        raise ScenarioError("switch", switch, "must be 'OS', 'AOS' or 'WSS'")
    longest = max(d["length_km"] for _, _, d in graph.edges(data=True))
    scale = _scale_value(length_scale, longest, _positive(max_link_km, "max_link_km"), "longest link")
    graph = _scaled(graph, scale)
    src = _centre(graph) if source is None else _node(graph, source, "source")
    at = list(graph) if users is None else [_node(graph, u, f"users[{k}]") for k, u in enumerate(users)] \
        if isinstance(users, (list, tuple)) else None
    if at is None or len(set(at)) != len(at) or not at:
        raise ScenarioError("users", users, "must be a list of distinct nodes")
    per = _int(users_per_node, "users_per_node", 1, 64)
    n_pairs = _int(n_pairs, "n_pairs", 1, 64)
    C = 2 * n_pairs
    il = 5.0 if switch == "WSS" else 1.0
    switch_of = {v: f"s-{v}" for v in graph}
    ports = {v: graph.degree(v) + (per if v in at else 0) + (1 if v == src else 0) for v in graph}
    devices = {"src": {"type": "EPS", "ports": 1}}
    for v in graph:
        p, kind, loss = ports[v], ("WSS" if v == src else switch), (5.0 if v == src else il)
        devices[switch_of[v]] = {"type": kind, "ports": p,
                                 "loss_dB": [[[None if a == b else loss] * C for b in range(p)] for a in range(p)]}
    nxt = {v: 0 for v in graph}

    def port(v):
        nxt[v] += 1
        return [switch_of[v], nxt[v] - 1]

    links = [{"a": ["src", 0], "b": port(src), "length_km": 1.0}]
    for u, v, d in graph.edges(data=True):
        links.append({"a": port(u), "b": port(v), "length_km": float(d["length_km"])})
    user_names, user_node = [], {}
    for v in at:
        for k in range(per):
            label = f"u-{v}" if per == 1 else f"u-{v}-{k + 1}"
            devices[label] = {"type": "USER", "ports": 1}
            links.append({"a": port(v), "b": [label, 0], "length_km": 1.0})
            user_names.append(label)
            user_node[label] = v
    if len(user_names) < 2:
        raise ScenarioError("users", users, "need at least 2 users")
    every = [(a, b) for k, a in enumerate(user_names) for b in user_names[k + 1:]]
    n_requests = _int(n_requests, "n_requests", 1, len(every))
    if isinstance(qos, bool) or not isinstance(qos, (int, float)) or not 0 <= qos < math.inf:
        raise ScenarioError("qos", qos, "must be a finite number >= 0 (bit/s)")
    rng = np.random.default_rng(_int(seed, "seed", 0, 2 ** 63 - 1))
    chosen = [every[k] for k in rng.choice(len(every), size=n_requests, replace=False)]
    events = [{"t": t, "op": "add", "users": list(p), "qos": float(qos)} for t, p in enumerate(chosen)]
    if physics is not None and not isinstance(physics, dict):
        raise ScenarioError("physics", physics, "must be an object of key-rate model options")
    data = {"kind": "rwa", "name": name or f"{graph.graph.get('name', 'network')}-rwa",
            "network": {"n_pairs": n_pairs, "source": "src", "devices": devices, "links": links},
            "physics": dict({"t_cc_s": 1e-10, "channel_brightness": 1e8} if physics is None else physics),
            "objective": objective, "events": events}
    sc = RWAScenario.from_dict(data)
    return _remember(sc, graph, source=src, users=user_node)


def _positive(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ScenarioError(field, value, "must be a finite number > 0")
    return float(value)


def _number(value, field, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ScenarioError(field, value, f"must be a number in [{low:g}, {high:g}]")
    return float(value)


#: scenario-file keys that go to load_topology
READER_KEYS = ("length", "route_factor", "min_length_km")

#: kind -> builder
BUILDERS = {"pumping": pumping, "qnum": qnum, "mqce": mqce, "rwa": rwa}


def from_topology(kind: str, topology, **params):
    """The scenario of ``kind`` built from a network (defaults: each builder's).

    Examples
    --------
    >>> from_topology("mqce", "nsfnet").kind
    'mqce'
    >>> from_topology("routing", "nsfnet")
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: kind = 'routing': must be one of pumping, qnum, mqce, rwa
    """
    if kind not in BUILDERS:
        raise ScenarioError("kind", kind, f"must be one of {', '.join(BUILDERS)}")
    return BUILDERS[kind](topology, **params)


def builder_keys(kind: str) -> set:
    """The scenario-file keys a topology-based file of ``kind`` accepts (builder parameters + reader options)."""
    signature = inspect.signature(BUILDERS[kind])
    keys = {p for p, spec in signature.parameters.items() if spec.kind == spec.KEYWORD_ONLY}
    if kind == "qnum":
        from qnum.networks.repeater import _PHYSICS

        keys |= set(_PHYSICS)
    return keys | {"kind", "topology"} | set(READER_KEYS)


def expand(data: dict, base_dir=None):
    """The scenario of a file form that names a ``topology`` (module docstring).

    ``base_dir``: the directory a relative topology path is taken from (the scenario file's).

    Examples
    --------
    >>> expand({"kind": "mqce", "topology": "nsfnet", "alpha": 0.2}).alpha
    0.2
    >>> expand({"kind": "mqce", "topology": "nsfnet", "alfa": 0.2})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: alfa = 0.2: unknown key; allowed keys: alpha, attenuation_db_per_km, ...
    """
    from qnum.networks.io import check_keys
    from qnum.networks.topology import BUILTINS, TOPOHUB, load_topology

    kind = data.get("kind")
    if kind not in BUILDERS:
        raise ScenarioError("kind", kind, f"a scenario with a \"topology\" needs kind one of {', '.join(BUILDERS)}")
    check_keys(data, builder_keys(kind))
    source = data["topology"]
    if not isinstance(source, str) or not source:
        raise ScenarioError("topology", source, "must be a file path, \"topohub:<key>\" or a built-in name "
                            f"({', '.join(BUILTINS)})")
    if not source.startswith(TOPOHUB) and source.lower() not in BUILTINS and base_dir is not None \
            and not Path(source).is_absolute():
        source = str(Path(base_dir) / source)
    reader = {k: data[k] for k in READER_KEYS if k in data}
    graph = load_topology(source, **reader)
    params = {k: v for k, v in data.items() if k not in {"kind", "topology", *READER_KEYS}}
    return BUILDERS[kind](graph, **params)
