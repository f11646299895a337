"""MQCE through the one contract: Solution, Trace, options, time limits, designs, user policies."""

import dataclasses
import json
import math
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

import qnum
from qnum.errors import OptionError, PolicyError, ScenarioError
from qnum.families import family
from qnum.families import mqce as plugin
from qnum.networks.relay import RelayScenario, from_coordinates, from_fiber_graph, random_square
from qnum.solvers.mqce import baselines
from qnum.solvers.mqce.fast import solve_fast
from qnum.solvers.mqce.pollack import solve_pollack


def _graph(sc):
    C = sc.capacitance
    g = nx.Graph()
    g.add_nodes_from(range(sc.nodes))
    g.add_edges_from((i, j) for i, j in sc.pairs if np.isfinite(C[i, j]))
    return g


def _bottleneck(C, path):
    return min(C[a, b] for a, b in zip(path, path[1:]))


# -- the plug-in and the Solution -----------------------------------------------------------

def test_plugin_is_complete_and_light():
    assert family("mqce") is plugin
    assert list(plugin.METHODS) == ["auto", "fast", "pollack"]
    code = "import sys, qnum.families.mqce; print(sorted(m for m in ('numba', 'pyomo', 'dask', 'pyscipopt', " \
           "'cvxpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("method", ["auto", "fast", "pollack"])
def test_solution_is_exact_and_labelled(method):
    sc = random_square(9, 4.0, 1.0, 0.1, 0.4, seed=5)
    sol = qnum.solve(sc, method, tol=1e-9)
    ref = solve_fast(sc)
    assert sol.family == "mqce" and str(sol.status) == "optimal" and sol.termination == "converged"
    assert sol.bound == sol.objective and "exact" in sol.message
    assert list(sol.values["efficiency"]) == sc.pairs
    for (i, j), e in sol.values["efficiency"].items():
        assert e == ref.efficiency[i, j]
        assert sol.values["hops"][i, j] == ref.hops[i, j]
        assert sol.values["capacitance"][i, j] == ref.capacitance[i, j]
    assert sol.objective == pytest.approx(np.mean(list(sol.values["efficiency"].values())), abs=0)
    assert sol.values["edges"] == ref.edges
    assert set(sol.values["betweenness"]) == set(range(9))


def test_options_are_checked():
    sc = random_square(5, 3.0, seed=0)
    with pytest.raises(OptionError, match="method"):
        qnum.solve(sc, "bogus")
    for bad in (-1.0, float("nan"), 0.0):
        with pytest.raises(OptionError, match="tol"):
            qnum.solve(sc, tol=bad)
    with pytest.raises(OptionError, match="time_limit"):
        qnum.solve(sc, time_limit=-5)
    with pytest.raises(OptionError, match="not an option"):
        qnum.solve(sc, "pollack", threads=2)
    with pytest.raises(OptionError, match="slots"):
        qnum.simulate(sc, "mst", slots=10)
    with pytest.raises(OptionError, match="policies fully-connected, mst, widest-path"):
        qnum.simulate(sc, "pf")
    with pytest.raises(OptionError, match="seed"):
        qnum.simulate(sc, lambda obs: obs.links, seed=1)


# -- time limits ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["fast", "pollack"])
@pytest.mark.parametrize("limit", [1e-9, 0.05])
def test_time_limit_returns_an_honest_point(method, limit):
    sc = random_square(120, 10.0, 1.0, 0.1, 0.5, seed=3)
    exact = qnum.solve(sc, "fast")
    sol = qnum.solve(sc, method, time_limit=limit)
    if limit == 1e-9:
        assert str(sol.status) == "time_limit" and sol.termination == "time_limit"
    if str(sol.status) == "optimal":
        assert sol.objective == exact.objective
        return
    assert sol.objective <= exact.objective + 1e-12 <= sol.bound + 2e-12
    assert sol.objective < sol.bound
    # the point is real: every pair's path lies in the returned network, so scoring that network
    # (pairs on their best path within it) is at least as good, pair by pair
    eff, *_ = baselines.evaluate_network(sc.capacitance, sc.alpha, sc.hop_penalty, sol.values["edges"])
    for (i, j), e in sol.values["efficiency"].items():
        assert e <= exact.values["efficiency"][i, j] + 1e-12
        assert eff[i, j] >= e - 1e-12


@pytest.mark.parametrize("solver", [solve_fast, solve_pollack])
def test_time_limited_pair_bounds(solver):
    sc = random_square(60, 10.0, 1.0, 0.2, 0.3, seed=4)
    exact = solve_fast(sc)
    r = solver(sc, time_limit=1e-9)
    assert not r.complete
    assert np.all(r.upper >= exact.efficiency - 1e-12)
    assert np.all(r.efficiency <= exact.efficiency + 1e-12)
    iu = np.triu_indices(60, 1)
    assert np.all(np.isfinite(r.efficiency[iu]))
    assert sum(r.betweenness) == sum(int(h) - 1 for h in r.hops[iu])


# -- the scenario ---------------------------------------------------------------------------

def test_scenario_is_immutable_and_replace_derives():
    sc = random_square(5, 3.0, seed=1)
    with pytest.raises(ValueError, match="read-only"):
        sc.capacitance[0, 1] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        sc.coordinates_km[0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.alpha = 0.2
    other = sc.replace(alpha=0.2, p_malicious=0.3)
    assert (sc.alpha, sc.p_malicious, other.alpha, other.p_malicious) == (0.5, 0.1, 0.2, 0.3)
    assert np.array_equal(other.capacitance, sc.capacitance)
    longer = sc.replace(decay_length_km=2.0)
    assert np.all(longer.capacitance[np.triu_indices(5, 1)] > sc.capacitance[np.triu_indices(5, 1)])
    with pytest.raises(ScenarioError, match="alpha"):
        sc.replace(alpha=2.0)


@pytest.mark.parametrize("data", [
    {"kind": "mqce", "coordinates": [[0, 0], [1, 0], [0.3, 2]], "decay_length_km": 1.5, "p_malicious": 0.2,
     "alpha": 0.3, "name": "tri"},
    {"kind": "mqce", "coordinates": [[0, 0], [1, 0]], "attenuation_db_per_km": 0.25},
    {"kind": "mqce", "nodes": 4, "edges": [[0, 1, 1.0], [1, 2, 2.0], [2, 3, 0.5], [0, 2, 4.0]],
     "decay_length_km": 1.0, "alpha": 0.9},
])
def test_from_dict_to_dict_round_trip(data):
    sc = RelayScenario.from_dict(data)
    again = RelayScenario.from_dict(json.loads(json.dumps(sc.to_dict())))
    assert np.array_equal(again.capacitance, sc.capacitance)
    assert (again.alpha, again.p_malicious, again.name) == (sc.alpha, sc.p_malicious, sc.name)
    assert again.to_dict() == sc.to_dict()
    assert qnum.load_scenario(data).kind == "mqce"


@pytest.mark.parametrize("data,field", [
    ({"coordinates": [[0, 0], [1, 0]], "decay_lenght_km": 1.0}, "decay_lenght_km"),
    ({"coordinates": [[0, 0], [1, 0]], "nodes": 2, "edges": []}, "edges"),
    ({"nodes": 3}, "edges"),
    ({"coordinates": [[0, 0], [1, 0]], "alpha": 1.5}, "alpha"),
])
def test_from_dict_rejects(data, field):
    with pytest.raises(ScenarioError) as err:
        RelayScenario.from_dict({"kind": "mqce", **data})
    assert err.value.field == field


# -- baseline designs against brute force ---------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_baselines_against_enumerated_paths(seed):
    rng = np.random.default_rng(seed)
    sc = random_square(int(rng.integers(4, 8)), float(rng.choice([2.0, 8.0])), 1.0,
                       float(rng.choice([0.05, 0.3])), float(rng.choice([0.1, 0.5, 0.9])), seed=seed)
    C, a, pen = sc.capacitance, sc.alpha, sc.hop_penalty
    g = _graph(sc)
    paths = {pair: list(nx.all_simple_paths(g, *pair)) for pair in sc.pairs}
    optimum = qnum.solve(sc, "pollack")
    traces = {p: qnum.simulate(sc, p) for p in plugin.POLICIES}
    for tr in traces.values():
        assert tr.feasible and tr.violation == 0 and tr.time_axis == "design" and len(tr) == 1
        assert tr.labels["efficiency"] == sc.pairs and tr.point_key == "efficiency"
        assert tr.final_objective == pytest.approx(np.mean(list(tr.final["efficiency"].values())), abs=1e-15)
        for pair, e in tr.final["efficiency"].items():
            assert e <= optimum.values["efficiency"][pair] + 1e-12
    # fully connected: the direct link
    for (i, j), e in traces["fully-connected"].final["efficiency"].items():
        assert e == pytest.approx((1 - a) * C[i, j], abs=1e-15)
        assert traces["fully-connected"].final["hops"][i, j] == 1
    # mst: a maximum spanning tree (weight as networkx's), each pair on its tree path
    tree = traces["mst"].final["edges"]
    weighted = nx.Graph()
    weighted.add_weighted_edges_from((i, j, C[i, j]) for i, j in sc.pairs)
    assert len(tree) == sc.nodes - 1
    assert sum(C[e] for e in tree) == pytest.approx(nx.maximum_spanning_tree(weighted).size(weight="weight"))
    t = nx.Graph(tree)
    for (i, j), e in traces["mst"].final["efficiency"].items():
        path = nx.shortest_path(t, i, j)
        assert e == pytest.approx((1 - a) * _bottleneck(C, path) + (len(path) - 2) * pen, abs=1e-14)
    # widest path: the largest bottleneck over all simple paths, then the fewest links
    for (i, j), cands in paths.items():
        widest = max(_bottleneck(C, p) for p in cands)
        fewest = min(len(p) - 1 for p in cands if _bottleneck(C, p) == widest)
        assert traces["widest-path"].final["capacitance"][i, j] == widest
        assert traces["widest-path"].final["hops"][i, j] == fewest
        assert traces["mst"].final["capacitance"][i, j] == widest     # tree paths are widest paths too


def test_fully_connected_on_a_fiber_graph_leaves_pairs_unconnected():
    sc = from_fiber_graph(4, [[0, 1, 1.0], [1, 2, 1.0], [2, 3, 1.0]], 1.0, 0.1, 0.5)
    tr = qnum.simulate(sc, "fully-connected")
    assert not tr.feasible and tr.violation == 3 and tr.final_objective == -math.inf
    assert "3 of 6 pairs unconnected" in tr.message
    assert tr.final["efficiency"][0, 3] == -math.inf and tr.final["hops"][0, 3] == 0
    assert qnum.simulate(sc, "mst").feasible


# -- user policies --------------------------------------------------------------------------

def test_shipped_example_through_simulate_and_compare():
    from qnum.examples.mqce_policy import NearestNeighbourDesign

    sc = random_square(25, 10.0, 1.0, 0.1, 0.1, seed=2)
    opt = qnum.solve(sc)
    tr = qnum.simulate(sc, "qnum.examples.mqce_policy:NearestNeighbourDesign")
    rep = qnum.compare(tr, opt)
    assert tr.policy == "nearest-neighbours" and tr.feasible
    assert 0 <= rep.final_gap and rep.final_relative_gap < 0.05
    assert rep.final_relative_gap < qnum.compare(qnum.simulate(sc, "fully-connected"), opt).final_relative_gap
    assert qnum.simulate(sc, NearestNeighbourDesign(k=1)).final_objective <= tr.final_objective + 1e-12


def test_policy_written_from_the_docs(tmp_path):
    """Written from POLICY_PROTOCOL alone: routes through the user closest to the centre, from a file."""
    source = '''
import numpy as np

class HubRoutes:
    name = "hub"

    def reset(self, setup):
        centre = setup.coordinates_km.mean(axis=0)
        self.hub = int(np.argmin(np.linalg.norm(setup.coordinates_km - centre, axis=1)))

    def decide(self, observation):
        h = self.hub
        return {(i, j): [i, j] if h in (i, j) else [i, h, j] for i, j in observation.pairs}
'''
    path = tmp_path / "hub.py"
    path.write_text(source)
    sc = random_square(7, 3.0, 1.0, 0.1, 0.5, seed=1)
    tr = qnum.simulate(sc, f"{path}:HubRoutes")
    assert tr.policy == "hub" and tr.feasible and tr.info["design"] == "routes"
    hub = int(np.argmin(np.linalg.norm(sc.coordinates_km - sc.coordinates_km.mean(axis=0), axis=1)))
    assert len(tr.final["edges"]) == 6 and all(hub in e for e in tr.final["edges"])
    for (i, j), h in tr.final["hops"].items():
        assert h == (1 if hub in (i, j) else 2)
    rep = qnum.compare(tr, qnum.solve(sc))
    assert rep.final_gap >= 0 and rep.final_distance > 0


def test_the_optimal_network_as_a_design_has_no_gap():
    sc = random_square(15, 6.0, 1.0, 0.1, 0.3, seed=7)
    sol = qnum.solve(sc)
    rep = qnum.compare(qnum.simulate(sc, lambda obs: sol.values["edges"]), sol)
    assert rep.final_gap == 0 and rep.final_distance == 0


def test_unconnected_design_is_infeasible_not_an_error():
    sc = random_square(5, 3.0, seed=0)
    tr = qnum.simulate(sc, lambda obs: [(0, 1)])
    assert not tr.feasible and tr.violation == 9 and tr.final_objective == -math.inf
    assert tr.to_dict()["objective"] is None
    assert tr.final["efficiency"][0, 1] == pytest.approx((1 - sc.alpha) * sc.capacitance[0, 1])


@pytest.mark.parametrize("decision,value,problem", [
    ([(0, 1), (1, 1)], (1, 1), "joins a node to itself"),
    ([(0, 7)], (0, 7), "nodes must be integers"),
    ([(0, 1.0)], (0, 1.0), "nodes must be integers"),
    ([(0, 1, 2)], (0, 1, 2), "a link must be a pair"),
    ("0-1", "str", "must be a list of links"),
    (None, "NoneType", "must be a list of links"),
    ({(0, 1): [0, 2, 0, 1]}, (0, 1), "visits a node twice"),
    ({(0, 1): [0, 2]}, (0, 1), "does not join users 0 and 1"),
    ({(0, 1): [0, 1], (1, 0): [1, 0]}, (0, 1), "pair routed twice"),
    ({(0, 2): [0, 3, 2]}, (0, 2), "(0, 3) is not a link of the fiber graph"),
])
def test_model_breaking_designs_raise_policy_error(decision, value, problem):
    sc = from_fiber_graph(4, [[0, 1, 1.0], [1, 2, 1.0], [2, 3, 1.0], [0, 2, 1.5]], 1.0, 0.1, 0.5)
    with pytest.raises(PolicyError) as err:
        qnum.simulate(sc, lambda obs: decision)
    assert err.value.field == "design" and err.value.value == value
    assert problem in err.value.problem


def test_observation_holds_the_static_setup_only():
    sc = from_coordinates([[0, 0], [1, 0], [0, 2]], 1.0, 0.1, 0.4)
    seen = []

    class Spy:
        def reset(self, setup):
            seen.append(setup)

        def decide(self, observation):
            seen.append(observation)
            with pytest.raises(ValueError):
                observation.capacitance[0, 1] = 0.0
            return observation.links

    qnum.simulate(sc, Spy())
    assert len(seen) == 2
    obs = seen[1]
    assert (obs.nodes, obs.alpha, obs.p_malicious) == (3, 0.4, 0.1)
    assert obs.hop_penalty == pytest.approx(0.4 * math.log(0.9))
    assert obs.links == obs.pairs == [(0, 1), (0, 2), (1, 2)]
    assert sorted(vars(obs)) == ["alpha", "capacitance", "coordinates_km", "hop_penalty", "links", "nodes",
                                 "p_malicious", "pairs"]


# -- JSON, shipped data, bench --------------------------------------------------------------

def test_json_is_plain_and_has_the_objective():
    sc = qnum.load_scenario(qnum.data_path("mqce/square-30.json"))
    sol = qnum.solve(sc)
    out = json.loads(json.dumps(plugin.solution_json(sc, sol)))
    assert out["objective"] == sol.objective and "utility" not in out
    assert np.array(out["efficiency"]).shape == (30, 30) and len(out["betweenness"]) == 30
    tr = qnum.simulate(sc, lambda obs: [(0, 1)])
    tout = json.loads(json.dumps(plugin.trace_json(sc, tr)))
    assert tout["objective"] is None and tout["unconnected_pairs"] == 434 and tout["efficiency"][0][2] is None
    rep = qnum.compare(qnum.simulate(sc, "widest-path"), sol)
    assert rep.final_gap > 0 and rep.to_dict()["optimum"] == sol.objective


def test_bench_hooks():
    instances = plugin.bench_instances()
    assert [sc.nodes for sc in instances.values()] == [50, 100]
    assert set(plugin.BENCH_POLICIES) <= set(plugin.POLICIES) and set(plugin.BENCH_METHODS) <= set(plugin.METHODS)
    assert plugin.BENCH_SIMULATE_OPTIONS(1000, 1) == {}
    sc = instances["square-N50-L10"]
    sol = qnum.solve(sc)
    m = plugin.bench_metrics(sc, sol)
    assert m["edges"] == len(sol.values["edges"]) and m["avg_hops"] >= 1
    assert plugin.bench_metrics(sc, qnum.simulate(sc, "mst"))["edges"] == 49
