"""Read a real network (GraphML, GML, node-link JSON, CSV edge list, Topology Zoo / SNDlib) into one graph form.

:func:`load_topology` returns a simple undirected :class:`networkx.Graph` whose nodes are
strings, whose edges carry ``length_km`` (a positive finite number) and whose nodes carry
``pos = (longitude, latitude)`` when the source gives coordinates. Every family builds its
scenario from that graph (:mod:`qnum.networks.from_topology`).

Sources
-------
- ``"nsfnet"`` / ``"usnet"``: the papers' networks (node-link JSON in ``qnum/data/topologies/``,
  provenance in each file's ``graph.provenance``), and ``"germany50"`` (SNDlib, :mod:`qnum.networks.topologies`);
- ``"topohub:<key>"``: a network of the ``topohub`` package (Topology Zoo, SNDlib, ...;
  ``pip install 'qnum[topology]'``), e.g. ``"topohub:sndlib/polska"``;
- a path ending in ``.graphml``, ``.gml`` (read by networkx), ``.json`` (networkx node-link
  data, the links under ``"edges"`` or ``"links"``) or ``.csv`` (an edge list ``u,v,length_km``:
  one header row allowed, lines starting with ``#`` are comments);
- a :class:`networkx.Graph` already in memory.

Link lengths
------------
In kilometres, from the first edge attribute present among :data:`LENGTH_ATTRIBUTES`
(``length_km``, ``length``, ``dist`` — topohub's —, ``distance_km``, ``distance``, ``km``), or the
one named by ``length=``. When no edge has a length attribute, the length is the great-circle
distance between the end nodes' coordinates (mean Earth radius 6371 km) times ``route_factor``.
Coordinates are read from the node attributes, in this order: ``Latitude``/``Longitude``
(Topology Zoo GML/GraphML), ``lat``/``lon`` (or ``lng``), ``pos`` = (longitude, latitude)
(topohub), ``x``/``y`` taken as longitude/latitude in degrees (SNDlib's convention).

:data:`DEFAULT_ROUTE_FACTOR` is 1.0: lengths equal the great-circle spans, as topohub's
``dist`` and SNDlib-derived tables use them. This is qnum's stand-in, from no paper: real fibre
routes are longer than the great circle — pass e.g. ``route_factor=1.5`` to model that.

Errors (:class:`~qnum.errors.ScenarioError`, naming the field and the value): an unknown
file type, a missing or unreadable file, an edge without a length (and no coordinates to
compute one), a length that is not a finite number > 0 (zero-length links between co-located
nodes are accepted with ``min_length_km``), a multigraph with parallel links
(collapse them first, e.g. keep the shortest), a self-loop, a disconnected graph, fewer than
two nodes.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from importlib import resources
from pathlib import Path

import networkx as nx

from qnum.errors import ScenarioError
from qnum.networks.sources import BUILTINS, TOPOHUB, is_topology_source  # noqa: F401 - re-exported
from qnum.networks.topologies import EARTH_RADIUS_KM, great_circle_km  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

#: edge attributes read as the link length in km, in this order (the first one present on the graph's edges wins)
LENGTH_ATTRIBUTES = ("length_km", "length", "dist", "distance_km", "distance", "km")
#: great-circle distance x this factor when lengths come from coordinates: qnum's stand-in (no paper gives one)
DEFAULT_ROUTE_FACTOR = 1.0
#: longest link accepted (km): beyond it a value is a unit mistake (Earth's circumference is 40,075 km)
MAX_LINK_KM = 1e5
#: file suffixes load_topology reads
SUFFIXES = (".graphml", ".gml", ".json", ".csv")


def load_topology(source, *, length: str | None = None, route_factor: float = DEFAULT_ROUTE_FACTOR,
                  min_length_km: float | None = None, field: str = "topology") -> nx.Graph:
    """A network as a simple undirected graph with ``length_km`` on every edge (module docstring).

    Parameters
    ----------
    source : str, path or networkx.Graph
        ``"nsfnet"``, ``"usnet"``, ``"topohub:<key>"``, a ``.graphml`` / ``.gml`` / ``.json`` /
        ``.csv`` file, or a graph.
    length : str, optional
        The edge attribute holding the length in km; default: the first of
        :data:`LENGTH_ATTRIBUTES` the edges have, else great-circle distances.
    route_factor : float
        Multiplies great-circle distances (only used when lengths come from coordinates);
        default :data:`DEFAULT_ROUTE_FACTOR` (1.0, qnum's stand-in).
    min_length_km : float, optional
        Links shorter than this (including length 0: nodes at the same place, e.g. two
        points of presence in one city — a third of Topology Zoo has some) are set to it, each
        logged. Default None: such a link is an error.
    field : str
        The field named by error messages.

    Returns
    -------
    networkx.Graph
        Nodes are strings (topohub networks: the node names when they are unique), each edge
        has ``length_km``, nodes have ``pos`` = (longitude, latitude) when known; the graph
        attributes ``name`` and ``length_source`` say where it and its lengths came from.

    Examples
    --------
    >>> g = load_topology("nsfnet")
    >>> g.number_of_nodes(), g.number_of_edges(), g["13"]["14"]["length_km"]
    (14, 21, 300.0)
    >>> h = nx.Graph(); h.add_edge("a", "b", length=2.5); h.add_edge("b", "c", length=-1)
    >>> load_topology(h)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: topology.edges['b', 'c'].length = -1: must be a finite number > 0 (km)
    """
    if not (isinstance(route_factor, (int, float)) and not isinstance(route_factor, bool)
            and math.isfinite(route_factor) and route_factor > 0):
        raise ScenarioError("route_factor", route_factor, "must be a finite number > 0")
    if length is not None and not isinstance(length, str):
        raise ScenarioError("length", length, "must be the name of an edge attribute")
    if min_length_km is not None and (isinstance(min_length_km, bool) or not isinstance(min_length_km, (int, float))
                                      or not (math.isfinite(min_length_km) and 0 < min_length_km <= MAX_LINK_KM)):
        raise ScenarioError("min_length_km", min_length_km, f"must be a number in (0, {MAX_LINK_KM:g}] (km)")
    graph, name = _read(source, field)
    return _normalize(graph, name, length, float(route_factor), field, min_length_km)


def builtin_path(name: str) -> Path:
    """Path of a built-in topology's data file (``"usnet"``; NSFNet and Germany50 are built in code).

    Examples
    --------
    >>> builtin_path("usnet").name
    'usnet.json'
    """
    key = str(name).lower()
    if BUILTINS.get(key) is None:
        raise ScenarioError("topology", name, f"unknown built-in topology; built-ins: {', '.join(BUILTINS)}")
    return Path(str(resources.files("qnum") / "data" / "topologies" / BUILTINS[key]))


# -- readers ---------------------------------------------------------------------------------

def _read(source, field):
    if isinstance(source, nx.Graph):
        return source, str(source.graph.get("name", "graph") or "graph")
    if not isinstance(source, (str, Path)):
        raise ScenarioError(field, source, "must be a file path, \"topohub:<key>\", a built-in name "
                            f"({', '.join(BUILTINS)}) or a networkx graph")
    text = str(source)
    if text.startswith(TOPOHUB):
        return _read_topohub(text[len(TOPOHUB):], field)
    if text.lower() == "germany50":
        from qnum.networks.topologies import GERMANY50_NODES, germany50_graph

        graph = germany50_graph()
        for city, lon, lat in GERMANY50_NODES:
            graph.nodes[city]["pos"] = (lon, lat)
        return graph, "germany50"
    if text.lower() == "nsfnet":
        # the papers' 14-node, 21-link NSFNet: the same listing the QNUM family's nsfnet() uses
        from qnum.networks.repeater import NSFNET_KM

        graph = nx.Graph(name="nsfnet", provenance="the papers' NSFNet (14 nodes, 21 links, km): "
                         "qnum.networks.repeater.NSFNET_KM; Topology Zoo's Nsfnet (13 nodes, 15 links) is another"
                         " graph")
        graph.add_weighted_edges_from(((str(a), str(b), float(km)) for a, b, km in NSFNET_KM), weight="length_km")
        return graph, "nsfnet"
    if text.lower() in BUILTINS:
        return _read_node_link(builtin_path(text), field), text.lower()
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ScenarioError(field, text, f"unknown topology file type {suffix or '(none)'!r}; qnum reads "
                            f"{', '.join(SUFFIXES)}, \"topohub:<key>\" and the built-ins {', '.join(BUILTINS)}")
    if not path.is_file():
        raise ScenarioError(field, text, "no such file")
    try:
        if suffix == ".graphml":
            graph = nx.read_graphml(path)
        elif suffix == ".gml":
            try:
                graph = nx.read_gml(path)
            except nx.NetworkXError:              # duplicate or missing labels: use the ids
                graph = nx.read_gml(path, label="id")
        elif suffix == ".json":
            graph = _read_node_link(path, field)
        else:
            graph = _read_csv(path, field)
    except ScenarioError:
        raise
    except (OSError, ValueError, KeyError, TypeError, SyntaxError, nx.NetworkXError) as exc:  # SyntaxError: bad XML
        raise ScenarioError(field, text, f"cannot be read as {suffix[1:]}: {exc}") from None
    log.debug("read %s: %d nodes, %d edges", text, graph.number_of_nodes(), graph.number_of_edges())
    return graph, str(graph.graph.get("name") or graph.graph.get("label") or path.stem)


def _read_node_link(path, field):
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "nodes" not in data:
        raise ScenarioError(field, str(path), "is not node-link JSON (an object with \"nodes\" and \"edges\" or "
                            "\"links\")")
    if "kind" in data:
        raise ScenarioError(field, str(path), "is a scenario file (it has a \"kind\" key), not a topology")
    edges = "edges" if "edges" in data else "links"
    if edges not in data:
        raise ScenarioError(field, str(path), "node-link JSON needs an \"edges\" (or \"links\") list")
    return nx.node_link_graph(data, edges=edges)


def _read_csv(path, field):
    graph = nx.Graph()
    header_seen = False
    with open(path, newline="", encoding="utf-8") as handle:
        for row_number, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in row]
            if len(cells) != 3:
                raise ScenarioError(f"{field} line {row_number}", row, "a CSV edge list needs 3 columns: "
                                    "u, v, length_km")
            try:
                km = float(cells[2])
            except ValueError:
                if header_seen or graph.number_of_edges():
                    raise ScenarioError(f"{field} line {row_number}", cells[2], "length_km must be a number") \
                        from None
                header_seen = True                # the header row
                continue
            u, v = cells[0], cells[1]
            if graph.has_edge(u, v):
                raise ScenarioError(f"{field} line {row_number}", [u, v], "link listed twice (a CSV edge list "
                                    "holds one row per link; keep the one you mean)")
            graph.add_edge(u, v, length_km=km)
            if u == v:
                raise ScenarioError(f"{field} line {row_number}", [u, v], "self-loop: a link joins two nodes")
    return graph


def _read_topohub(key, field):
    try:
        import topohub
    except ImportError:
        raise ScenarioError(field, TOPOHUB + key, "needs the topohub package: pip install 'qnum[topology]'") \
            from None
    try:
        data = topohub.get(key)
    except (KeyError, FileNotFoundError, OSError, ValueError):
        raise ScenarioError(field, TOPOHUB + key, "not a topohub key (e.g. topohub:sndlib/polska, "
                            "topohub:topozoo/Abilene)") from None
    graph = nx.node_link_graph(data, edges="edges")
    names = [graph.nodes[n].get("name") for n in graph]
    if all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names):
        graph = nx.relabel_nodes(graph, {n: graph.nodes[n]["name"] for n in graph})
    return graph, str(graph.graph.get("name") or key)


# -- normalization ---------------------------------------------------------------------------

def _coordinates(attrs):
    """(longitude, latitude) from a node's attributes, or None."""
    for lat_key, lon_keys in (("Latitude", ("Longitude",)), ("lat", ("lon", "lng")), ("latitude", ("longitude",))):
        if lat_key in attrs:
            for lon_key in lon_keys:
                if lon_key in attrs:
                    return attrs[lon_key], attrs[lat_key]
    pos = attrs.get("pos")
    if isinstance(pos, (list, tuple)) and len(pos) == 2:
        return pos[0], pos[1]
    if "x" in attrs and "y" in attrs:
        return attrs["x"], attrs["y"]
    return None


def _valid_position(where):
    if where is None:
        return None
    try:
        lon, lat = float(where[0]), float(where[1])
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 360 and -90 <= lat <= 90):
        return None
    return lon, lat


def _normalize(graph, name, length, route_factor, field, min_length_km=None):
    if graph.is_multigraph():
        counts: dict = {}
        for u, v in graph.edges():
            key = (u, v) if graph.is_directed() else frozenset((u, v))
            counts[key] = counts.get(key, 0) + 1
        parallel = [k for k, c in counts.items() if c > 1]
        if parallel:
            pair = sorted(map(str, parallel[0]))
            raise ScenarioError(f"{field}.edges", pair, f"a multigraph: {len(parallel)} node pair(s) joined by "
                                "parallel links; collapse them first (e.g. keep the shortest: "
                                "networkx.Graph(g) keeps one at random, so pick the link you mean) and pass the "
                                "simple graph")
    out = nx.Graph(name=name)
    positions = {}
    for node, attrs in graph.nodes(data=True):
        pos = _valid_position(_coordinates(attrs))
        out.add_node(str(node), **({"pos": pos} if pos else {}))
        if pos:
            positions[str(node)] = pos
    if len(out) != graph.number_of_nodes():
        raise ScenarioError(f"{field}.nodes", name, "two nodes have the same name once written as text")
    if out.number_of_nodes() < 2:
        raise ScenarioError(f"{field}.nodes", out.number_of_nodes(), "a network needs at least 2 nodes")
    edges = list(graph.edges(data=True))
    if not edges:
        raise ScenarioError(f"{field}.edges", 0, "the network has no links")
    if length is None:
        present = [a for a in LENGTH_ATTRIBUTES if any(a in d for _, _, d in edges)]
        length = present[0] if present else None
    elif not any(length in d for _, _, d in edges):
        raise ScenarioError("length", length, "no edge has this attribute; attributes seen: "
                            + (", ".join(sorted({k for _, _, d in edges for k in d})) or "none"))
    source = f"edge attribute {length!r} (km)" if length else \
        f"great-circle distance x route factor {route_factor:g}"
    for u, v, attrs in edges:
        a, b = str(u), str(v)
        where = f"{field}.edges[{a!r}, {b!r}]"
        if a == b:
            raise ScenarioError(where, [a, b], "self-loop: a link must join two different nodes")
        if length is not None:
            if length not in attrs:
                raise ScenarioError(f"{where}.{length}", None, f"missing: every link needs a length (other links "
                                    f"have {length!r})")
            km = attrs[length]
            if isinstance(km, str):
                try:
                    km = float(km)
                except ValueError:
                    pass
            if isinstance(km, bool) or not isinstance(km, (int, float)) or not math.isfinite(km) or km < 0 \
                    or (km == 0 and min_length_km is None):
                hint = " (a zero-length link joins co-located nodes: pass min_length_km, e.g. 1)" if km == 0 else ""
                raise ScenarioError(f"{where}.{length}", attrs[length], f"must be a finite number > 0 (km){hint}")
        else:
            if a not in positions or b not in positions:
                missing = a if a not in positions else b
                raise ScenarioError(f"{where}.length_km", None, f"missing: no edge has a length attribute "
                                    f"({', '.join(LENGTH_ATTRIBUTES)}; or name one with length=) and node "
                                    f"{missing!r} has no coordinates to compute one")
            km = great_circle_km(*positions[a], *positions[b]) * route_factor
            if km <= 0 and min_length_km is None:
                raise ScenarioError(f"{where}.length_km", km, "nodes at the same coordinates: the great-circle "
                                    "length is 0; give link lengths or pass min_length_km, e.g. 1")
        km = float(km)
        if min_length_km is not None and km < min_length_km:
            log.info("link %s-%s: %g km raised to min_length_km = %g km", a, b, km, min_length_km)
            km = float(min_length_km)
        if km > MAX_LINK_KM:
            raise ScenarioError(f"{where}.length_km", km, f"must be at most {MAX_LINK_KM:g} km (a unit mistake?)")
        if out.has_edge(a, b):
            # a directed graph listing both directions: one link, if both agree
            if graph.is_directed() and not graph.is_multigraph() and math.isclose(out[a][b]["length_km"], km,
                                                                                   rel_tol=1e-9):
                continue
            raise ScenarioError(f"{field}.edges", sorted([a, b]), f"a link listed twice ({out[a][b]['length_km']:g} "
                                f"and {km:g} km); keep one")
        out.add_edge(a, b, length_km=km)
    if not nx.is_connected(out):
        parts = sorted(nx.connected_components(out), key=len, reverse=True)
        raise ScenarioError(f"{field}.nodes", sorted(parts[1])[:5], f"the network is disconnected ({len(parts)} "
                            f"parts; the largest has {len(parts[0])} of {len(out)} nodes): keep one part, e.g. "
                            "g.subgraph(max(networkx.connected_components(g), key=len))")
    out.graph["length_source"] = source
    log.info("topology %s: %d nodes, %d links, lengths from %s", name, len(out), out.number_of_edges(), source)
    return out
