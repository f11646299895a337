"""QNUM through the one API: labelled solutions, honoured or refused options, traces, user controllers."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

import qnum
from qnum.errors import OptionError, PolicyError, ScenarioError
from qnum.families import repeater as plugin
from qnum.networks.repeater import RepeaterScenario, dumbbell, nsfnet, two_user
from qnum.solution import Status

TWO_USER = qnum.data_path("qnum/two-user.json")


@pytest.fixture(scope="module")
def two_user_optimum():
    return qnum.solve(qnum.load_scenario(TWO_USER))


# -- the scenario ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sc", list(plugin.bench_instances().values()), ids=list(plugin.bench_instances()))
def test_file_form_round_trips_and_scenarios_are_immutable(sc):
    again = RepeaterScenario.from_dict(json.loads(json.dumps(sc.to_dict())))
    assert again == sc and again.route_names == sc.route_names
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.utility = "negativity"
    for array in (sc.weights, sc.link_lengths_km):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    doubled = sc.replace(weights=2 * sc.weights)
    assert doubled.weights[0] == 2 * sc.weights[0] and sc.weights[0] == again.weights[0]


def test_replace_validates_and_from_dict_names_misspelled_keys():
    sc = two_user()
    with pytest.raises(ScenarioError, match=r"^routes\[0\]\.weight = 0"):
        sc.replace(weights=[0.0, 1.0])
    with pytest.raises(ScenarioError, match="^wieght = "):
        sc.replace(wieght=2.0)
    with pytest.raises(ScenarioError, match="^utilty = 'x': unknown key"):
        RepeaterScenario.from_dict({**sc.to_dict(), "utilty": "x"})
    with pytest.raises(ScenarioError, match=r"^links\[0\]\.lenght_km = "):
        RepeaterScenario.from_dict({"kind": "qnum", "links": [{"name": "a", "lenght_km": 1}], "routes": []})


def test_route_names_default_and_from_graph():
    assert two_user().route_names == ("route0", "route1")
    assert nsfnet(3, seed=1).route_names[0].count("-") == 1       # "a-b" after the user pair
    data = two_user().to_dict()
    del data["routes"][0]["name"]
    data["routes"][1]["name"] = "bob"
    assert RepeaterScenario.from_dict(data).route_names == ("route0", "bob")


# -- solve -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", list(plugin.METHODS))
def test_every_method_returns_labelled_values(method):
    sc = dumbbell(3)
    sol = qnum.solve(sc, method)
    assert sol.family == "qnum" and sol.ok
    assert list(sol.values["rates"]) == list(sc.route_names) == list(sol.values["fidelity"])
    assert list(sol.values["werner"]) == list(sc.link_names)
    x = [sol.values["rates"][r] for r in sc.route_names]
    w = [sol.values["werner"][link] for link in sc.link_names]
    assert sc.objective(x, w) == pytest.approx(sol.objective, rel=1e-12)       # the objective is OBJECTIVE
    assert np.max(sc.overshoot(x, w)) <= 1e-12
    if plugin.METHODS[method].certified:
        assert sol.bound >= sol.objective and sol.termination == "converged"
    else:
        assert sol.bound is None and sol.termination == "no_bound"
    doc = json.loads(json.dumps(plugin.solution_json(sc, sol)))
    assert doc["objective"] == sol.objective and doc["rates"] == sol.values["rates"] and "utility" not in doc


def test_tol_is_honoured_not_answered_optimal_at_a_larger_gap():
    sc = qnum.load_scenario(qnum.data_path("qnum/nsfnet-20.json"))
    sol = qnum.solve(sc, tol=1e-9, time_limit=1.0)
    assert sol.status in (Status.OPTIMAL, Status.TIME_LIMIT)
    if sol.status == Status.OPTIMAL:
        assert sol.relative_gap <= 1e-9
    else:
        assert sol.relative_gap > 1e-9 and sol.termination == "time_limit" and sol.seconds < 3.0
    assert sol.bound >= sol.objective


def test_time_limit_returns_the_incumbent_with_an_honest_bound():
    sc = nsfnet(20)
    quick = qnum.solve(sc, "global", tol=1e-9, time_limit=0.01)
    # the full solve takes ~7 s; a margin load cannot eat
    assert quick.status == Status.TIME_LIMIT and quick.termination == "time_limit" and quick.seconds < 2.0
    exact = qnum.solve(sc)
    assert quick.objective <= exact.bound and quick.bound >= exact.objective
    cvx = qnum.solve(sc, "convex", time_limit=1e-3)
    assert cvx.status == Status.TIME_LIMIT and cvx.objective is None and cvx.bound is None


def test_node_limit_is_feasible_with_its_bound():
    from qnum.solvers.repeater.branch_and_bound import solve_global

    s = solve_global(nsfnet(20), rel_gap=1e-9, max_nodes=3)
    assert s.status == Status.FEASIBLE and s.termination == "node_limit" and s.bound > s.objective


def test_local_refuses_tol_and_time_limit():
    sc = two_user()
    for option in ({"tol": 1e-3}, {"time_limit": 5.0}):
        with pytest.raises(OptionError, match="method 'local'"):
            qnum.solve(sc, "local", **option)


# -- simulate: built-in policies -----------------------------------------------------------------------

def test_qprimaldual_trace_evaluates_the_objective_at_its_states(two_user_optimum):
    sc = qnum.load_scenario(TWO_USER)
    tr = qnum.simulate(sc, "qprimaldual", slots=4000, record_every=1000)
    assert tr.times.tolist() == [0, 1000, 2000, 3000, 4000] and tr.labels["rates"] == list(sc.route_names)
    for t in range(len(tr)):
        x, w = tr.states["rates"][t], tr.states["werner"][t]
        assert tr.objective[t] == pytest.approx(sc.objective(x, w), rel=1e-12)
        assert tr.violations[t] == pytest.approx(max(0.0, float(np.max(sc.overshoot(x, w)))), abs=1e-15)
    assert tr.final["rates"] == dict(zip(sc.route_names, tr.states["rates"][-1]))
    rep = qnum.compare(tr, two_user_optimum)
    assert rep.distance is not None and rep.distance[-1] < rep.distance[0]
    json.dumps(plugin.trace_json(sc, tr))


def test_pi_gain_reaches_only_the_pi_variant():
    sc = two_user()
    plain = qnum.simulate(sc, "qprimaldual", slots=2000)
    pi0 = qnum.simulate(sc, "qprimaldual-pi", slots=2000, pi_gain=0.0)
    pi = qnum.simulate(sc, "qprimaldual-pi", slots=2000)
    assert pi0.final_objective == plain.final_objective != pi.final_objective
    assert pi.info["pi_gain"] == 100.0 and "pi_gain" not in plain.info
    with pytest.raises(OptionError, match="^pi_gain = 5.0: applies to policy qprimaldual-pi"):
        qnum.simulate(sc, "qprimaldual", pi_gain=5.0)


@pytest.mark.parametrize("policy", ["fixed-fidelity", "rate-only", "max-fidelity"])
def test_baselines_are_one_point_feasible_traces_below_the_optimum(policy, two_user_optimum):
    sc = two_user()
    tr = qnum.simulate(sc, policy)
    assert len(tr) == 1 and tr.feasible and tr.violation <= 1e-9
    assert tr.final_objective <= two_user_optimum.objective
    with pytest.raises(OptionError, match="^slots = "):
        qnum.simulate(sc, policy, slots=10)


# -- simulate: the user's own controller ---------------------------------------------------------------

def test_shipped_example_converges_and_stays_feasible(two_user_optimum):
    sc = qnum.load_scenario(TWO_USER)
    tr = qnum.simulate(sc, plugin.EXAMPLE_POLICY)
    rep = qnum.compare(tr, two_user_optimum)
    assert tr.policy == "dual-gradient" and tr.feasible and float(np.max(tr.violations)) == 0.0
    assert abs(rep.final_relative_gap) < 1e-3 and rep.final_distance < 1e-2


class WrittenFromTheDocs:
    """Fixed link fidelity, each link's room shared equally by its routes (arrays in setup order)."""

    name = "from-the-docs"

    def reset(self, setup):
        self.setup = setup
        self.resets = getattr(self, "resets", 0) + 1
        A = setup.incidence
        d = np.array([setup.capacity_scale[link] for link in setup.links])
        share = d * 0.05 / A.sum(axis=1)
        self.x = np.min(np.where(A > 0, share[:, None], np.inf), axis=0) * (1 - 1e-9)
        self.seen = []

    def decide(self, obs):
        self.seen.append(obs)
        return {"rates": self.x.tolist(), "werner": [0.95] * len(self.setup.links)}


def test_a_policy_written_from_the_docs():
    sc = dumbbell(3)
    mine = WrittenFromTheDocs()
    tr = qnum.simulate(sc, mine, slots=30, record_every=10)
    assert mine.resets == 1 and len(mine.seen) == 30 and tr.times.tolist() == [0, 10, 20, 30]
    first, later = mine.seen[0], mine.seen[5]
    assert first.iteration == 1 and first.rates == {r: 1.0 for r in sc.route_names}
    assert later.werner == {link: 0.95 for link in sc.link_names}
    Z = np.log(sc.route_werner([0.95] * len(sc.link_names)))
    assert [later.log_werner[r] for r in sc.route_names] == pytest.approx(Z)
    load = sc.overshoot(mine.x, [0.95] * len(sc.link_names)) + 1.0
    assert [later.load[link] for link in sc.link_names] == pytest.approx(load)
    from qnum.solvers.repeater.branch_and_bound import log_utility
    assert [later.marginal[r] for r in sc.route_names] == pytest.approx(log_utility(sc.utility, Z)[1])
    assert tr.feasible and tr.final_objective == pytest.approx(sc.objective(mine.x, [0.95] * 7))


def _constant(decision):
    def policy(obs):
        return decision
    return policy


@pytest.mark.parametrize("decision, step, resource", [
    ({"rates": {"route0": 1e4, "route1": 1.0}, "werner": {"u1": 0.9, "u2": 0.9, "s": 0.9}}, "iteration 1", "s"),
    ({"rates": {"route0": float("nan"), "route1": 1.0}, "werner": [0.9] * 3}, "iteration 1", "route0"),
    ({"rates": {"route0": 1.0}, "werner": [0.9] * 3}, "iteration 1", "route1"),
    ({"rates": {"route0": 1.0, "route1": 1.0, "carol": 1.0}, "werner": [0.9] * 3}, "iteration 1", "carol"),
    ({"rates": [1.0, 1.0], "werner": [0.9, 0.9, 1.0]}, "iteration 1", "s"),
    ({"rates": [1.0, -1.0], "werner": [0.9] * 3}, "iteration 1", "route1"),
    ({"rates": [1.0, 1.0], "werner": [0.9] * 2}, "iteration 1", "werner"),
    ({"rates": [1.0, 1.0]}, "iteration 1", "werner"),
    ({"rates": [1.0, 1.0], "werner": [0.9] * 3, "price": 1}, "iteration 1", "price"),
    ({"rates": "fast", "werner": [0.9] * 3}, "iteration 1", "rates"),
    (None, "iteration 1", None),
])
def test_decisions_that_break_the_model_name_the_step_and_resource(decision, step, resource):
    with pytest.raises(PolicyError) as info:
        qnum.simulate(two_user(), _constant(decision), slots=5)
    assert info.value.field == step and info.value.value == resource


def test_overshoot_is_recorded_on_request():
    greedy = _constant({"rates": [800.0, 800.0], "werner": [0.5] * 3})      # server link at 1.62 of capacity
    tr = qnum.simulate(two_user(), greedy, slots=20, on_violation="record")
    assert not tr.feasible and tr.violation == pytest.approx(2 * 800 / two_user().capacity_scale[2] - 0.5)
    assert tr.info["violating_iterations"] == 20 and "over capacity" in tr.message
    with pytest.raises(OptionError, match="^hop_delay = "):
        qnum.simulate(two_user(), greedy, hop_delay=1)


def test_plugin_import_is_light():
    code = ("import sys, qnum.families.repeater\n"
            "heavy = [m for m in ('cvxpy', 'scipy.optimize', 'pyomo', 'numba', 'pyscipopt') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_convex_method_takes_another_cvxpy_solver():
    """--solver for the QNUM convex method: SCS reaches the certified optimum Clarabel reaches; an absent solver
    is refused by name before anything is built."""
    from qnum.errors import OptionError

    sc = qnum.load_scenario(qnum.data_path("qnum/two-user.json"))
    clarabel, scs = qnum.solve(sc, "convex"), qnum.solve(sc, "convex", solver="scs")
    assert str(scs.status) == "optimal" and scs.solver == "cvxpy-scs"
    assert scs.objective == pytest.approx(clarabel.objective, rel=1e-6)
    with pytest.raises(OptionError, match="not an installed CVXPY solver"):
        qnum.solve(sc, "convex", solver="no-such-solver")
