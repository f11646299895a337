"""The rwa family through the one API: scenario contract, solve options, traces, user routers."""

import pickle
import sys

import numpy as np
import pytest

import qnum
from qnum.errors import OptionError, PolicyError, ScenarioError
from qnum.examples.rwa_policy import FirstFitRouter
from qnum.families import rwa as plugin
from qnum.models.rwa import RWAModel, allocation_key_rate, objective_value, validate_allocation
from qnum.networks.rwa import RWAScenario, random_events
from qnum.solution import Status

EXAMPLE = qnum.data_path("rwa/dser-wss-os.json")


@pytest.fixture(scope="module")
def sc():
    return qnum.load_scenario(EXAMPLE)


@pytest.fixture(scope="module")
def optimum(sc):
    return qnum.solve(sc)


# -- scenario ---------------------------------------------------------------------------------

def test_round_trip_and_replace(sc):
    again = RWAScenario.from_dict(sc.to_dict())
    assert again.to_dict() == sc.to_dict()
    assert again.events == sc.events and again.net.n_pairs == sc.net.n_pairs
    net_form = sc.replace(network=_network_dict(), events=[])   # explicit network form round-trips too
    assert "builder" not in net_form.to_dict()
    assert RWAScenario.from_dict(net_form.to_dict()).to_dict() == net_form.to_dict()
    fair = sc.replace(objective="maxmin")
    assert fair.objective == "maxmin" and sc.objective == "total"
    assert pickle.loads(pickle.dumps(sc)).to_dict() == sc.to_dict()


def _network_dict():
    from qnum.networks.optical import dser_network

    return dser_network("WSS", "WSS", n_pairs=2)


def test_scenario_is_immutable(sc):
    with pytest.raises(AttributeError):
        sc.objective = "maxmin"
    with pytest.raises(TypeError):
        sc.events[0]["qos"] = 0.0
    with pytest.raises(TypeError):
        sc.physics["t_cc_s"] = 1.0
    with pytest.raises(TypeError):
        sc.net.devices["f0"] = None
    with pytest.raises(ValueError):
        sc.net.devices["f0"].loss_dB[0, 1, 0] = 0.0
    with pytest.raises(AttributeError):
        sc.net.n_pairs = 3


@pytest.mark.parametrize("change,field", [
    ({"bogus": 1}, "bogus"),
    ({"objective": "sum"}, "objective"),
    ({"physics": {"t_cc": 1.0}}, "physics.t_cc"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "qos": -1}]}, "events[0].qos"),
    ({"events": [{"op": "delete", "users": ["u1", "u3"]}]}, "events[0].users"),
    ({"builder": {"n_pairs": 2, "size": 3}}, "builder.size"),
])
def test_bad_scenario_names_the_key(sc, change, field):
    data = {**sc.to_dict(), **change}
    with pytest.raises(ScenarioError) as e:
        RWAScenario.from_dict(data)
    assert e.value.field == field


# -- solve ------------------------------------------------------------------------------------

def test_solution_is_labelled_and_validates(sc, optimum):
    v = optimum.values
    assert optimum.family == "rwa" and optimum.status == Status.OPTIMAL and optimum.termination == "converged"
    assert set(v["key_rates"]) == set(sc.active_requests()) and v["served"] == len(v["allocation"]) == 3
    assert validate_allocation(sc.net, v["allocation"], sc.n_cap) == []
    for users, entry in v["allocation"].items():
        assert set(entry) == {"path_a", "path_b", "channel_pairs"}
        assert allocation_key_rate(sc.net, users, entry, **sc.physics) == pytest.approx(v["key_rates"][users])
    assert optimum.objective == pytest.approx(objective_value("total", [v["key_rates"][u] for u in v["allocation"]]))
    assert "all-path optimum" in optimum.message and optimum.objective <= optimum.bound
    assert plugin.METHODS["k-paths"].certified is False and plugin.METHODS["auto"].certified is True
    out = plugin.solution_json(sc, optimum)
    assert list(out).count("objective") == 1 and "utility" not in out


def test_rwa_model_takes_the_scenario(sc, optimum):
    model = RWAModel(sc)
    assert model.model.find_component("obj_served") is not None   # the Pyomo model, before the solve
    assert model.solve().objective == pytest.approx(optimum.objective)
    assert qnum.solve(sc, "k-paths", k_paths=1).values["served"] <= optimum.values["served"]


def test_option_refusal(sc):
    with pytest.raises(OptionError, match="method"):
        qnum.solve(sc, "bogus")
    for bad in ({"tol": -1.0}, {"tol": float("nan")}, {"time_limit": -5}, {"k_paths": 3}, {"paths": 3}):
        with pytest.raises(OptionError):
            qnum.solve(sc, **bad)
    with pytest.raises(OptionError, match="slots"):
        qnum.simulate(sc, "dser", slots=10)
    with pytest.raises(OptionError, match="seed"):
        qnum.simulate(sc, FirstFitRouter(), seed=1)
    with pytest.raises(OptionError, match="policy"):
        qnum.simulate(sc, "dsr")


def test_time_limit_is_honoured():
    """A tiny limit on a large instance: status time_limit with an honest (or no) bound, quickly."""
    from qnum.networks.optical import nsfnet_network

    sc = RWAScenario.from_dict({"kind": "rwa", "network": nsfnet_network(20, seed=1),
                                "events": random_events(20, 28, seed=1, delete_prob=0.0)})
    sol = qnum.solve(sc, time_limit=0.2)
    # the Pyomo model build (~2-5 s here) is not interruptible; the limit bounds the HiGHS solves
    assert sol.seconds < 15
    assert sol.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    if sol.status == Status.TIME_LIMIT:
        assert sol.termination == "time_limit"
        if sol.objective is not None:
            assert validate_allocation(sc.net, sol.values["allocation"], sc.n_cap) == []
            assert sol.bound is None or sol.bound >= sol.objective
    else:
        assert sol.bound >= sol.objective


def test_tol_reaches_highs():
    sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"first": "WSS", "forwarding": "WSS", "n_pairs": 8},
                                "events": random_events(8, 8, seed=3, delete_prob=0.0)})
    loose, tight = qnum.solve(sc, tol=0.5), qnum.solve(sc, tol=1e-9)
    assert tight.relative_gap <= 1e-6 and loose.relative_gap <= 0.5 + 1e-9
    assert loose.values["served"] == tight.values["served"]


# -- simulate ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["dser", "frfs"])
def test_builtin_trace(sc, optimum, policy):
    tr = qnum.simulate(sc, policy)
    assert tr.time_axis == "event" and tr.times.tolist() == list(range(1, len(sc.events) + 1))
    assert tr.point_key == "key_rates" and tr.labels["key_rates"] == sc.active_requests()
    assert tr.feasible and tr.violation == 0.0 and np.all(tr.violations == 0)
    final = tr.final
    assert validate_allocation(sc.net, final["allocation"], sc.n_cap) == []
    assert tr.final_objective == pytest.approx(sum(final["key_rates"][u] for u in final["allocation"]))
    assert [r["op"] for r in tr.records] == [e["op"] for e in sc.events]
    assert {"index", "t", "users", "case", "reason", "served", "objective", "channel_pairs"} <= set(tr.records[0])
    rep = qnum.compare(tr, optimum)
    assert rep.gap[-1] == pytest.approx(optimum.objective - tr.final_objective)
    assert rep.distance is not None and final["served"] <= optimum.values["served"]
    out = plugin.trace_json(sc, tr)
    assert out["served"] == final["served"] and len(out["events"]) == len(sc.events)


def test_objective_is_the_scenarios(sc):
    fair = sc.replace(objective="maxmin")
    tr = qnum.simulate(fair, "dser")
    rates = [tr.final["key_rates"][u] for u in tr.final["allocation"]]
    assert tr.final_objective == pytest.approx(min(rates))
    sol = qnum.solve(fair)
    assert sol.objective >= tr.final_objective - 1e-6 or sol.values["served"] > tr.final["served"]


# -- user policies ----------------------------------------------------------------------------

def test_shipped_example_policy(sc, optimum):
    tr = qnum.simulate(sc, FirstFitRouter())
    assert tr.policy == "first-fit" and tr.feasible and len(tr) == len(sc.events)
    assert validate_allocation(sc.net, tr.final["allocation"], sc.n_cap) == []
    assert qnum.compare(tr, optimum).final_gap >= 0
    assert qnum.simulate(sc, plugin.EXAMPLE_POLICY).policy == "first-fit"


def test_policy_written_from_the_docs(sc, optimum):
    """Written from POLICY_PROTOCOL only: serve each new request on its best paths with the first free pair."""
    seen = []

    class OnePair:
        name = "one-pair"

        def reset(self, setup):
            seen.append(("reset", setup.n_cap, setup.objective))

        def decide(self, obs):
            seen.append((obs.event, obs.op, obs.users))
            alloc = obs.allocation
            assert obs.users in obs.active or obs.op == "delete"
            if obs.op == "add":
                (pa, _), = obs.candidate_paths(obs.users[0], k=1)
                (pb, _), = obs.candidate_paths(obs.users[1], k=1)
                for k in obs.free_channel_pairs():
                    trial = {**alloc, obs.users: {"path_a": pa, "path_b": pb, "channel_pairs": [(k, 0)]}}
                    if not obs.problems(trial):
                        return trial
            return alloc

    tr = qnum.simulate(sc, OnePair())
    assert seen[0] == ("reset", None, "total") and seen[1] == (1, "add", ("u1", "u3")) and len(seen) == 7
    assert tr.policy == "one-pair" and tr.feasible
    assert all(len(p) == 1 for p in tr.records[-1]["channel_pairs"].values())
    assert 0 < qnum.compare(tr, optimum).final_relative_gap < 1


def _first_paths(obs, users):
    return obs.candidate_paths(users[0], 1)[0][0], obs.candidate_paths(users[1], 1)[0][0]


@pytest.mark.parametrize("decide,step,resource,problem", [
    (lambda obs: [], "event 1", "list", "must be a dict"),
    (lambda obs: {("u1", "u9"): {}}, "event 1", ("u1", "u9"), "not an active request"),
    (lambda obs: {obs.users: {"path_a": [("mux", 0, 1)], "path_b": [("nope", 0, 1)], "channel_pairs": [(1, 0)]}},
     "event 1", "nope", "not a device"),
    (lambda obs: {obs.users: {"path_a": _first_paths(obs, obs.users)[0], "path_b": _first_paths(obs, obs.users)[1],
                              "channel_pairs": [(99, 0)]}}, "event 1", "channel pair (99, 0)", "does not exist"),
    (lambda obs: {obs.users: {"path_a": _first_paths(obs, obs.users)[0], "path_b": _first_paths(obs, obs.users)[1],
                              "channel_pairs": [(1, 0), (1, 1)]}}, "event 1", "channel pair 1", "booked twice"),
    (lambda obs: {obs.users: {"path_a": _first_paths(obs, obs.users)[1], "path_b": _first_paths(obs, obs.users)[1],
                              "channel_pairs": [(1, 0)]}}, "event 1", "path_a", "not at u1"),
    (lambda obs: {obs.users: {"path_a": "x", "path_b": [], "channel_pairs": [(1.5, 0)]}}, "event 1",
     "path_a of ('u1', 'u3')", "non-empty list"),
])
def test_model_breaking_policies_raise_policy_error(sc, decide, step, resource, problem):
    with pytest.raises(PolicyError) as e:
        qnum.simulate(sc, decide)
    assert e.value.field == step and e.value.value == resource and problem in e.value.problem


def test_port_conflict_names_the_event_and_the_port(sc):
    """Two requests through switch f0 with different crossconnects (u1 and u2 hang off f0)."""
    def greedy(obs):
        alloc = obs.allocation
        if obs.op == "add":
            pa, pb = _first_paths(obs, obs.users)
            alloc[obs.users] = {"path_a": pa, "path_b": pb, "channel_pairs": [(obs.event, 0)]}
        return alloc

    events = [{"op": "add", "users": ["u1", "u3"], "qos": 0}, {"op": "add", "users": ["u2", "u5"], "qos": 0}]
    with pytest.raises(PolicyError) as e:
        qnum.simulate(sc.replace(events=events), greedy)
    assert e.value.field == "event 2" and e.value.value == ("f0", 0) and "TDM port" in e.value.problem


def test_plugin_import_is_light():
    import subprocess

    code = ("import sys, qnum; from qnum.families import family; family('rwa'); "
            "print(any(m.split('.')[0] in ('pyomo', 'numba', 'dask', 'pyscipopt') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
