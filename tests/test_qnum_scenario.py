"""Repeater scenarios from fiber graphs: shortest routes against path enumeration, bad input."""

import networkx as nx
import numpy as np
import pytest

from qnum.errors import ScenarioError
from qnum.networks.repeater import from_graph


@pytest.mark.parametrize("seed", range(10))
def test_routes_are_shortest_by_length(seed):
    rng = np.random.default_rng(seed)
    g = nx.gnp_random_graph(7, 0.5, seed=seed)
    g.add_edges_from((i, i + 1) for i in range(6))            # connected
    for u, v in g.edges:
        g.edges[u, v]["length_km"] = float(rng.uniform(1, 30))
    pairs = [(0, 6), (1, 5), (2, 3)]
    sc = from_graph(g, pairs, weights=[1.0, 2.0, 0.5])
    lengths = dict(zip(sc.link_names, sc.link_lengths_km))
    for (a, b), route in zip(pairs, sc.route_link_names()):
        best = min(sum(g.edges[u, v]["length_km"] for u, v in zip(p, p[1:])) for p in nx.all_simple_paths(g, a, b))
        assert sum(lengths[n] for n in route) == pytest.approx(best, rel=1e-12)
    assert sc.weights.tolist() == [1.0, 2.0, 0.5]


def test_bad_graph_input_names_the_item():
    g = nx.Graph()
    g.add_edge("A", "B", length_km=1.0)
    g.add_node("C")
    with pytest.raises(ScenarioError, match="no path"):
        from_graph(g, [("A", "C")])
    with pytest.raises(ScenarioError, match="distinct"):
        from_graph(g, [("A", "A")])
    g.add_edge("B", "C")
    with pytest.raises(ScenarioError, match="length_km"):
        from_graph(g, [("A", "B")])
