"""Scenario display for notebooks: a compact HTML summary (``_repr_html_``) and ``plot()`` of the network.

Every scenario class mixes in :class:`ScenarioDisplay` (networkx and matplotlib are imported on
use). The summary lists the kind, the sizes
(nodes, links, pairs, routes, requests) and the key parameters — never a full array. ``plot``
draws the network with matplotlib (imported only then): node coordinates when the scenario
knows them (built from a topology with coordinates, or an MQCE scenario from coordinates),
else a seeded networkx layout; links coloured by a per-link quantity:

- pumping: the node pairs, coloured by mean SKR (bit/s, log10);
- qnum: the network links, coloured by ``"load"`` (routes crossing the link, default) or
  ``"capacity"`` (the capacity scale d_l, log10);
- mqce: the fibres (or, for a complete graph, every user pair), coloured by capacitance (log10);
- rwa: the device-level fabric (devices and fibres), fibres coloured by loss (dB).

    >>> from qnum.networks.repeater import two_user
    >>> "links" in two_user()._repr_html_()
    True
"""

from __future__ import annotations

import html
import logging
import math

import numpy as np

from qnum.errors import OptionError

log = logging.getLogger(__name__)


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isinf(value):
            return "max-min" if value > 0 else "-inf"
        return f"{value:.4g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def summary(scenario) -> list:
    """``[(label, value), ...]``: the compact description ``_repr_html_`` shows.

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> dict(summary(four_node_example()))["pairs"]
    6
    """
    kind = scenario.kind
    rows = [("kind", kind)]
    if kind == "pumping":
        rows += [("name", scenario.name), ("nodes", scenario.nodes), ("pairs", scenario.num_pairs),
                 ("capacity K", scenario.capacity), ("channel states", scenario.num_states),
                 ("alpha", scenario.alpha),
                 ("topologies", scenario.topologies if isinstance(scenario.topologies, str)
                  else f"{len(scenario.topologies)} listed"),
                 ("sharing", "independent" if scenario.independent else "per-count factor"),
                 ("channel", scenario.channel.name),
                 ("mean SKR (bit/s)", f"{float(scenario.mean_skr.min()):.3g} .. {float(scenario.mean_skr.max()):.3g}")]
    elif kind == "qnum":
        lengths = np.asarray(scenario.link_lengths_km, float)
        rows += [("links", len(scenario.link_names)), ("routes", len(scenario.routes)),
                 ("utility", scenario.utility),
                 ("link length (km)", f"{lengths.min():.4g} .. {lengths.max():.4g}"),
                 ("attempt time (s)", scenario.attempt_time_s),
                 ("decoherence rate (1/s)", scenario.decoherence_rate_per_s)]
    elif kind == "mqce":
        c = scenario.capacitance
        finite = int(np.isfinite(c[np.triu_indices(c.shape[0], 1)]).sum())
        rows += [("name", scenario.name), ("nodes", scenario.nodes), ("links", finite),
                 ("user pairs", scenario.nodes * (scenario.nodes - 1) // 2),
                 ("p malicious", scenario.p_malicious), ("alpha", scenario.alpha),
                 ("decay length (km)", scenario.decay_length_km if scenario.decay_length_km is not None else "-")]
    elif kind == "rwa":
        net = scenario.net
        adds = sum(1 for ev in scenario.events if ev["op"] == "add")
        rows += [("name", scenario.name), ("devices", len(net.devices)), ("users", len(net.users)),
                 ("fibres", len(net.links) // 2), ("channel pairs", net.n_pairs),
                 ("requests (adds)", adds), ("events", len(scenario.events)), ("objective", scenario.objective),
                 ("channel-pair cap", scenario.n_cap if scenario.n_cap is not None else "optimal count")]
    topo = getattr(scenario, "_topology", None)
    if topo:
        g = topo["graph"]
        rows.append(("network", f"{g.graph.get('name', 'graph')}: {len(g)} nodes, {g.number_of_edges()} links"))
    return rows


def html_summary(scenario) -> str:
    """The HTML table of :func:`summary` (what a notebook shows for a scenario)."""
    cells = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                    f"<td style='text-align:left'>{html.escape(_fmt(v))}</td></tr>" for k, v in summary(scenario))
    title = html.escape(type(scenario).__name__)
    return f"<table><caption style='text-align:left'><b>{title}</b></caption>{cells}</table>"


def _positions(graph):
    import networkx as nx

    pos = {n: d["pos"] for n, d in graph.nodes(data=True) if "pos" in d}
    if len(pos) == len(graph) and len(graph):
        return pos
    return nx.spring_layout(graph, seed=0, weight=None)


def _topology_graph(scenario):
    topo = getattr(scenario, "_topology", None)
    return topo["graph"] if topo else None


def network_graph(scenario, color=None):
    """``(graph, edge values, colour label)`` that :func:`plot` draws (the per-link quantity on ``"value"``).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> g, values, label = network_graph(two_user())
    >>> label, sorted(values)
    ('routes per link', [1.0, 1.0, 2.0])
    """
    import networkx as nx

    kind = scenario.kind
    choices = {"pumping": ("skr", None), "qnum": ("load", "capacity", None), "mqce": ("capacitance", None),
               "rwa": ("loss", None)}[kind]
    if color not in choices and color is not False:
        raise OptionError("color", color, f"a {kind} scenario colours links by {', '.join(map(str, choices))}")
    g = nx.Graph()
    if kind == "pumping":
        topo = getattr(scenario, "_topology", None)
        names = topo["users"] if topo else list(range(scenario.nodes))
        where = topo["graph"] if topo else None
        for n in names:
            attrs = {"pos": where.nodes[n]["pos"]} if where is not None and "pos" in where.nodes[n] else {}
            g.add_node(str(n), **attrs)
        for e, (i, j) in enumerate(scenario.pairs):
            g.add_edge(str(names[i]), str(names[j]), value=float(np.log10(max(scenario.mean_skr[e], 1e-300))))
        label = "log10 mean SKR (bit/s)"
    elif kind == "qnum":
        topo = _topology_graph(scenario)
        load = scenario.incidence.sum(axis=1)
        scale = np.log10(np.maximum(scenario.capacity_scale, 1e-300))
        value = scale if color == "capacity" else load
        label = "log10 capacity scale d_l" if color == "capacity" else "routes per link"
        if topo is not None:
            g.add_nodes_from(topo.nodes(data=True))
            by_name = {name: k for k, name in enumerate(scenario.link_names)}
            for u, v in topo.edges():
                k = by_name.get(f"{u}-{v}", by_name.get(f"{v}-{u}"))
                # a link no route crosses carries no routes (load 0) and has no computed capacity scale
                g.add_edge(u, v, value=float(value[k]) if k is not None else (0.0 if color == "load" else np.nan))
        else:
            # no node names: each link joins two end points; consecutive links of a route share one
            parent: dict = {}

            def root(x):
                while parent.setdefault(x, x) != x:
                    x = parent[x]
                return x

            for members in scenario.routes:
                for a, b in zip(members, members[1:]):
                    parent[root(("end", a))] = root(("start", b))
            for k, name in enumerate(scenario.link_names):
                u, v = root(("start", k)), root(("end", k))
                g.add_edge(f"{u[0]}-{scenario.link_names[u[1]]}", f"{v[0]}-{scenario.link_names[v[1]]}",
                           value=float(value[k]), link=name)
    elif kind == "mqce":
        topo = getattr(scenario, "_topology", None)
        names = topo["nodes"] if topo else list(range(scenario.nodes))
        where = topo["graph"] if topo else None
        for k, n in enumerate(names):
            if scenario.coordinates_km is not None:
                g.add_node(str(n), pos=tuple(scenario.coordinates_km[k]))
            elif where is not None and "pos" in where.nodes[n]:
                g.add_node(str(n), pos=where.nodes[n]["pos"])
            else:
                g.add_node(str(n))
        c = scenario.capacitance
        for i, j in zip(*np.triu_indices(scenario.nodes, 1)):
            if np.isfinite(c[i, j]):
                g.add_edge(str(names[i]), str(names[j]), value=float(np.log10(max(c[i, j], 1e-300))))
        label = "log10 capacitance (bits/use)"
    else:
        net = scenario.net
        where = _topology_graph(scenario)
        for name, dev in net.devices.items():
            attrs = {"type": dev.type}
            node = name[2:] if name.startswith("s-") else None
            if where is not None and node in where and "pos" in where.nodes[node]:
                attrs["pos"] = where.nodes[node]["pos"]
            g.add_node(name, **attrs)
        for (dev, _port), (other, _oport, loss) in net.links.items():
            g.add_edge(dev, other, value=float(loss))
        label = "fibre loss (dB)"
    return g, [d["value"] for _, _, d in g.edges(data=True)], label


def plot(scenario, ax=None, color=None):
    """Draw the scenario's network (see the module docstring); returns the matplotlib axes.

    Parameters
    ----------
    ax : matplotlib axes, optional
        Where to draw (default a new figure).
    color : str, optional
        The per-link quantity: pumping ``"skr"``; qnum ``"load"`` or ``"capacity"``; mqce
        ``"capacitance"``; rwa ``"loss"`` (each family's first is the default);
        ``False`` draws the links in one colour.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    g, values, label = network_graph(scenario, color)
    if scenario.kind == "rwa" and not all("pos" in d for _, d in g.nodes(data=True)):
        pos = nx.spring_layout(g, seed=0)
    else:
        pos = _positions(g)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    known = [(e, v) for e, v in zip(g.edges(), values) if math.isfinite(v)]
    if color is False or not known:
        nx.draw_networkx_edges(g, pos, ax=ax, edge_color="0.5")
    else:
        # links without a value (e.g. no capacity computed for a link no route uses) are drawn grey, off the scale
        unknown = [e for e, v in zip(g.edges(), values) if not math.isfinite(v)]
        if unknown:
            nx.draw_networkx_edges(g, pos, ax=ax, edgelist=unknown, edge_color="0.75", style="dashed")
        edges, shown = zip(*known)
        vmin, vmax = min(shown), max(shown)
        norm = plt.Normalize(vmin, vmax if vmax > vmin else vmin + 1)
        nx.draw_networkx_edges(g, pos, ax=ax, edgelist=list(edges), edge_color=list(shown), edge_cmap=plt.cm.viridis,
                               edge_vmin=norm.vmin, edge_vmax=norm.vmax, width=2.0)
        ax.figure.colorbar(plt.cm.ScalarMappable(cmap=plt.cm.viridis, norm=norm), ax=ax, label=label)
    small = len(g) <= 30
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=120 if small else 30, node_color="tab:orange")
    if small and scenario.kind != "qnum" or (scenario.kind == "qnum" and _topology_graph(scenario) is not None
                                             and small):
        nx.draw_networkx_labels(g, pos, ax=ax, font_size=7)
    name = getattr(scenario, "name", None) or scenario.kind
    ax.set_title(f"{scenario.kind}: {name}")
    ax.set_axis_off()
    return ax


class ScenarioDisplay:
    """Mixin of every scenario class: ``_repr_html_`` (compact summary) and ``plot()``."""

    def _repr_html_(self) -> str:
        return html_summary(self)

    def plot(self, ax=None, color=None):
        """Draw the network, links coloured by the family's per-link quantity (:func:`qnum.networks.display.plot`)."""
        return plot(self, ax=ax, color=color)
