"""Bring your own network: load_topology readers and errors, every family built and solved from a topology."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pytest

import qnum
from qnum.errors import ScenarioError
from qnum.networks.from_topology import QBER_INTERCEPT, QBER_SLOPE, from_topology
from qnum.networks.topology import great_circle_km, is_topology_source, load_topology

KINDS = ("pumping", "qnum", "mqce", "rwa")
#: a small connected network: a square with one diagonal (km)
EDGES = [("A", "B", 20.0), ("B", "C", 30.0), ("C", "D", 25.0), ("D", "A", 40.0), ("A", "C", 35.0)]


def small_graph():
    g = nx.Graph()
    for u, v, km in EDGES:
        g.add_edge(u, v, length_km=km)
    return g


def lengths(g):
    return {frozenset((u, v)): d["length_km"] for u, v, d in g.edges(data=True)}


EXPECTED = {frozenset((u, v)): km for u, v, km in EDGES}


def test_graphml_gml_node_link_and_csv_read_the_same_network(tmp_path):
    g = small_graph()
    nx.write_graphml(g, tmp_path / "n.graphml")
    nx.write_gml(g, tmp_path / "n.gml")
    (tmp_path / "n.json").write_text(json.dumps(nx.node_link_data(g, edges="links")))
    (tmp_path / "n.csv").write_text("# a comment\nu,v,length_km\n" + "".join(f"{u},{v},{km}\n" for u, v, km in EDGES))
    for name in ("n.graphml", "n.gml", "n.json", "n.csv"):
        h = load_topology(tmp_path / name)
        assert set(h) == set("ABCD") and lengths(h) == EXPECTED, name
        assert qnum.load_scenario(tmp_path / name, kind="mqce").nodes == 4, name   # each form is a network
    # the suffix alone tells these apart; a .json file is decided by its parsed content
    assert [is_topology_source(str(tmp_path / n)) for n in ("n.graphml", "n.gml", "n.csv", "n.json")] == \
        [True, True, True, False]


def test_length_attribute_order_and_explicit_name():
    g = nx.Graph()
    g.add_edge(1, 2, dist=5.0, weight=99.0)
    g.add_edge(2, 3, dist=7.0, weight=99.0)
    assert lengths(load_topology(g)) == {frozenset(("1", "2")): 5.0, frozenset(("2", "3")): 7.0}
    with pytest.raises(ScenarioError, match="length = 'span'"):
        load_topology(g, length="span")


def test_great_circle_against_closed_form_and_route_factor():
    # along a meridian the great circle is R * dlat (radians)
    assert great_circle_km(10.0, 0.0, 10.0, 30.0) == pytest.approx(6371.0 * math.pi / 6, rel=1e-12)
    # on the equator likewise with dlon; and between poles pi R
    assert great_circle_km(0.0, 0.0, 45.0, 0.0) == pytest.approx(6371.0 * math.pi / 4, rel=1e-12)
    assert great_circle_km(0.0, 90.0, 0.0, -90.0) == pytest.approx(6371.0 * math.pi, rel=1e-12)
    g = nx.Graph()
    g.add_node("x", Latitude=0.0, Longitude=0.0)
    g.add_node("y", Latitude=1.0, Longitude=0.0)
    g.add_node("z", lat=1.0, lon=1.0)
    g.add_edges_from([("x", "y"), ("y", "z")])
    h = load_topology(g, route_factor=1.5)
    assert h["x"]["y"]["length_km"] == pytest.approx(1.5 * 6371.0 * math.radians(1.0), rel=1e-12)
    assert h.nodes["z"]["pos"] == (1.0, 1.0)
    assert "route factor 1.5" in h.graph["length_source"]


@pytest.mark.parametrize("build, match", [
    (lambda g: g.add_edge("A", "E"), "missing"),
    (lambda g: g.add_edge("A", "E", length_km=0.0), "finite number > 0"),
    (lambda g: g.add_edge("A", "E", length_km=float("nan")), "finite number > 0"),
    (lambda g: g.add_edge("A", "A", length_km=1.0), "self-loop"),
    (lambda g: g.add_edge("E", "F", length_km=1.0), "disconnected"),
])
def test_bad_networks_are_refused_with_the_field_named(build, match):
    g = small_graph()
    build(g)
    with pytest.raises(ScenarioError, match=match):
        load_topology(g)


def test_multigraph_with_parallel_links_is_refused_but_a_plain_one_is_read():
    m = nx.MultiGraph()
    m.add_edge("a", "b", length_km=1.0)
    m.add_edge("a", "b", length_km=2.0)
    with pytest.raises(ScenarioError, match="parallel links; collapse"):
        load_topology(m)
    m.remove_edge("a", "b", key=1)
    assert lengths(load_topology(m)) == {frozenset("ab"): 1.0}


def test_unknown_file_type_and_missing_topohub_key(tmp_path):
    (tmp_path / "n.xml").write_text("<x/>")
    with pytest.raises(ScenarioError, match="unknown topology file type '.xml'"):
        load_topology(tmp_path / "n.xml")
    pytest.importorskip("topohub")
    with pytest.raises(ScenarioError, match="not a topohub key"):
        load_topology("topohub:nowhere/none")


def test_builtins_node_and_link_counts():
    nsf, us = load_topology("nsfnet"), load_topology("usnet")
    assert (nsf.number_of_nodes(), nsf.number_of_edges()) == (14, 21)
    assert (us.number_of_nodes(), us.number_of_edges()) == (24, 43)
    # the QNUM family's NSFNet is the same network
    from qnum.networks.repeater import NSFNET_KM
    assert lengths(nsf) == {frozenset((str(a), str(b))): float(km) for a, b, km in NSFNET_KM}


def test_topohub_network_has_names_positions_and_its_lengths():
    pytest.importorskip("topohub")
    g = load_topology("topohub:sndlib/polska")
    assert (len(g), g.number_of_edges()) == (12, 18)
    u, v = "Gdansk", "Warsaw"
    (lon1, lat1), (lon2, lat2) = g.nodes[u]["pos"], g.nodes[v]["pos"]
    # topohub's "dist" is the great-circle span (to its rounding)
    assert g[u][v]["length_km"] == pytest.approx(great_circle_km(lon1, lat1, lon2, lat2), rel=2e-3)


def _solve_ok(sc, kind):
    sol = qnum.solve(sc)
    assert sc.kind == kind and str(sol.status) == "optimal" and math.isfinite(sol.objective), sol.message
    return sol


@pytest.mark.parametrize("kind", KINDS)
def test_every_family_solves_from_a_graphml_file(kind, tmp_path):
    nx.write_graphml(small_graph(), tmp_path / "n.graphml")
    sc = qnum.load_scenario(tmp_path / "n.graphml", kind=kind)
    _solve_ok(sc, kind)
    again = type(sc).from_dict(sc.to_dict())                # to_dict writes the expanded scenario
    assert again.to_dict() == sc.to_dict()


@pytest.mark.parametrize("kind", KINDS)
def test_every_family_solves_from_a_topohub_key(kind):
    pytest.importorskip("topohub")
    _solve_ok(qnum.load_scenario("topohub:sndlib/polska", kind=kind), kind)


def test_a_topology_needs_a_kind_and_a_scenario_file_names_it(tmp_path):
    nx.write_graphml(small_graph(), tmp_path / "n.graphml")
    with pytest.raises(ScenarioError, match="give the kind"):
        qnum.load_scenario(tmp_path / "n.graphml")
    (tmp_path / "s.json").write_text(json.dumps({"kind": "mqce", "topology": "n.graphml", "alpha": 0.25}))
    sc = qnum.load_scenario(tmp_path / "s.json")            # the path is relative to the scenario file
    assert sc.alpha == 0.25 and sc.nodes == 4
    assert sorted(e[2] for e in sc.edges_km) == sorted(km for *_, km in EDGES)
    back = qnum.load_scenario(sc.to_dict())                 # the expanded form round-trips
    assert np.array_equal(back.capacitance, sc.capacitance)
    (tmp_path / "bad.json").write_text(json.dumps({"kind": "mqce", "topology": "n.graphml", "alfa": 0.25}))
    with pytest.raises(ScenarioError, match="alfa = 0.25: unknown key"):
        qnum.load_scenario(tmp_path / "bad.json")
    with pytest.raises(ScenarioError, match="kind = 'qnum': the scenario is of kind 'mqce'"):
        qnum.load_scenario(tmp_path / "s.json", kind="qnum")


def test_pumping_pairs_follow_the_source_distances_and_the_stated_qber_model():
    g = small_graph()
    sc = from_topology("pumping", g, source="A", users=["B", "C", "D"], length_scale=1.0)
    d = {"B": 20.0, "C": 35.0, "D": 40.0}                    # shortest fibre from the source A
    from qnum.physics import bbm92_key_rate, transmissivity
    for e, (i, j) in enumerate(sc.pairs):
        km = d["BCD"[i]] + d["BCD"[j]]
        q = QBER_INTERCEPT + QBER_SLOPE * km
        assert sc.skr[0, e] == pytest.approx(float(bbm92_key_rate(1e9, transmissivity(km, 0.2), q)), rel=1e-12)
    # the QBER line reproduces the PF paper's Table II within 0.005 at Table I's distances
    from qnum.networks.pumping import TABLE_I_DISTANCE_KM, TABLE_II_QBER
    i, j = np.triu_indices(5, 1)
    assert np.max(np.abs(QBER_INTERCEPT + QBER_SLOPE * TABLE_I_DISTANCE_KM[i, j] - TABLE_II_QBER[i, j])) < 0.005
    with pytest.raises(ScenarioError, match="no key"):
        from_topology("pumping", load_topology("usnet"), length_scale=1.0)


def test_scenario_display_summary_and_plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for kind in KINDS:
        sc = from_topology(kind, "nsfnet")
        text = sc._repr_html_()
        assert "<table>" in text and kind in text and "nsfnet: 14 nodes, 21 links" in text
        assert len(text) < 3000                            # a summary, never the arrays
        ax = sc.plot()
        assert len(ax.collections) >= 2                    # links and nodes drawn
        plt.close(ax.figure)
    with pytest.raises(qnum.OptionError, match="color"):
        from_topology("mqce", "nsfnet").plot(color="load")


def test_germany50_builtin_and_builders_on_graphs_and_names():
    g = load_topology("germany50")
    assert (len(g), g.number_of_edges()) == (50, 88) and g.nodes["Berlin"]["pos"] == (13.39, 52.52)
    assert from_topology("qnum", g, pairs=[["Berlin", "Muenchen"]]).route_names == ("Berlin-Muenchen",)
    assert from_topology("mqce", "usnet").nodes == 24


HOSTILE = [None, True, "", "x", [], {}, [[1, 2], [3]], [1, "a"], {"a": 1}, 0, -1, -5.0, 0.5, 1.5, 2, 1e308,
           -1e308, 1e-320, "maxmin"]
EXAMPLES = ["pumping/topology-nsfnet.json", "qnum/topology-usnet.json", "mqce/topology-nsfnet.json",
            "rwa/topology-nsfnet.json"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_topology_examples_refuse_hostile_values_as_input_errors(name):
    base = json.loads(qnum.data_path(name).read_text())
    assert "topology" in base
    for key in [k for k in base if k != "kind"] + ["seed", "length_scale", "users"]:
        for value in HOSTILE:
            try:
                qnum.load_scenario({**base, key: value})
            except qnum.InputError:
                pass


def test_length_scale_is_bounded_and_auto_only_shrinks():
    with pytest.raises(ScenarioError, match="length_scale = 1e-320"):
        from_topology("mqce", "nsfnet", length_scale=1e-320)
    short = small_graph()
    sc = from_topology("pumping", short, source="A", users=["B", "C"])     # 20 + 35 km < 100 km: unchanged
    assert sc.physical.distance_km[0, 1] == pytest.approx(55.0) and "lengths x" not in sc.name


def test_topology_zoo_style_gml_with_coordinates_only_and_zero_length_links(tmp_path):
    g = nx.Graph()
    g.add_node("Paris", Latitude=48.85, Longitude=2.35)          # written as label "Paris", id 0
    g.add_node("Lyon", Latitude=45.76, Longitude=4.84)
    g.add_node("Lyon2", Latitude=45.76, Longitude=4.84)
    g.add_edges_from([("Paris", "Lyon"), ("Lyon", "Lyon2")])
    nx.write_gml(g, tmp_path / "zoo.gml")
    with pytest.raises(ScenarioError, match="min_length_km"):
        load_topology(tmp_path / "zoo.gml")
    h = load_topology(tmp_path / "zoo.gml", min_length_km=1.0)
    assert h["Paris"]["Lyon"]["length_km"] == pytest.approx(great_circle_km(2.35, 48.85, 4.84, 45.76))
    assert h["Lyon"]["Lyon2"]["length_km"] == 1.0 and h.nodes["Paris"]["pos"] == (2.35, 48.85)


def test_directed_graph_listing_both_directions_is_one_link_unless_they_differ():
    d = nx.DiGraph()
    d.add_edge("a", "b", length_km=3.0)
    d.add_edge("b", "a", length_km=3.0)
    assert lengths(load_topology(d)) == {frozenset("ab"): 3.0}
    d["b"]["a"]["length_km"] = 4.0
    with pytest.raises(ScenarioError, match="listed twice"):
        load_topology(d)


def test_rwa_fabric_has_a_switch_per_node_a_fibre_per_link_and_the_source_wss():
    g = small_graph()
    sc = from_topology("rwa", g, source="B", users=["A", "C", "D"], n_requests=2)
    net = sc.net
    assert net.devices["s-B"].type == "WSS" and all(net.devices[f"s-{v}"].type == "OS" for v in "ACD")
    assert sorted(net.users) == ["u-A", "u-C", "u-D"]
    # fibres: source + 5 network links + 3 users, each stored once per end
    assert len(net.links) // 2 == 1 + len(EDGES) + 3
    assert net.links[net.links[("s-A", 0)][:2]][2] == pytest.approx(0.2 * 20.0)      # A-B: 20 km at 0.2 dB/km


@pytest.mark.parametrize("name, text", [("bad.graphml", "garbage"), ("bad.gml", "graph [ garbage"),
                                        ("empty.graphml", "")])
def test_unreadable_topology_files_are_input_errors(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_topology(str(path))


@pytest.mark.parametrize("kind", KINDS)
def test_command_line_solves_a_graphml_file_with_kind(kind, tmp_path, capsys):
    """The README's `qnum solve my-network.graphml --kind KIND`, for every family."""
    import json

    from qnum.cli import main

    nx.write_graphml(small_graph(), tmp_path / "n.graphml")
    assert main(["solve", str(tmp_path / "n.graphml"), "--kind", kind, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == kind and out["status"] == "optimal"


def test_builders_refuse_an_explicit_list_with_the_count_that_would_draw_it():
    from qnum.networks import from_topology as build

    g = load_topology("nsfnet")
    for builder, kw in ((build.qnum, {"pairs": [["1", "2"]], "n_pairs": 5}),
                        (build.qnum, {"pairs": [["1", "2"]], "seed": 3}),
                        (build.pumping, {"users": ["1", "2"], "n_users": 5})):
        with pytest.raises(ScenarioError, match="give one or the other"):
            builder(g, **kw)
    assert "(lengths x" in build.mqce(g, length_scale="auto").name and "(lengths x" not in build.mqce(g).name


def test_node_link_file_with_a_kind_attribute_on_a_node_is_still_a_network(tmp_path):
    """Whether a .json file is a network is decided on its parsed top level, not on its text."""
    import json

    data = nx.node_link_data(small_graph(), edges="edges")
    data["nodes"][0]["kind"] = "router"
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    assert qnum.load_scenario(path, kind="mqce").kind == "mqce"
    with pytest.raises(ScenarioError, match="is a network"):
        qnum.load_scenario(path)
