"""Germany50 (SNDlib): the published size and link lengths, and scenarios on it."""

import networkx as nx
import pytest

from qnum.errors import ScenarioError
from qnum.networks.topologies import germany50, germany50_graph


def test_germany50_matches_sndlib():
    g = germany50_graph()
    assert g.number_of_nodes() == 50 and g.number_of_edges() == 88 and nx.is_connected(g)
    km = sorted(d["length_km"] for *_, d in g.edges(data=True))
    # SNDlib-derived tables: 25.94 km shortest, 252.3 km longest, 100.71 km mean (ellipsoid vs sphere)
    assert km[0] == pytest.approx(25.94, abs=0.1) and km[-1] == pytest.approx(252.3, abs=0.1)
    assert sum(km) / 88 == pytest.approx(100.71, abs=0.1)
    assert max(dict(g.degree).values()) == 5 and min(dict(g.degree).values()) == 2


def test_germany50_scenario_and_bad_input():
    sc = germany50(100, seed=0)
    assert len(sc.routes) == 100 and len(set(sc.route_names)) == 100
    with pytest.raises(ScenarioError, match="n_pairs"):
        germany50(0)
    with pytest.raises(ScenarioError, match="length_scale"):
        germany50_graph(-1.0)
