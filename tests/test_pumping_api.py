"""The pumping family through qnum's one contract: solve / simulate / compare, options, user policies."""

import dataclasses
import json
import time

import numpy as np
import pytest

import qnum
from qnum.errors import OptionError, PolicyError, ScenarioError
from qnum.examples.pumping_policy import MaxWeightScheduler
from qnum.families import pumping as plugin
from qnum.networks.channels import MarkovChannel, PerturbedQBERChannel
from qnum.networks.pumping import PumpingScenario, four_node_example, random_network, table_i
from qnum.policies import load_policy
from qnum.solution import Status
from qnum.solvers.pumping.online import simulate as run_scheduler

# -- scenario: immutable, file form round-trips ----------------------------------------------

@pytest.mark.parametrize("sc", [four_node_example(), table_i(2, "iid3"), table_i(2, "perturbed"),
                                random_network(6, 3, 2, seed=1, topologies="matching",
                                               per_count_factor=[1.0, 0.8, 0.5], alpha="maxmin"),
                                random_network(5, 2, 1, seed=2).replace(
                                    topologies=[[(0, 1)], [(2, 3), (1, 4)]], weights=np.arange(10.0))],
                         ids=lambda s: s.name)
def test_from_dict_to_dict_round_trip(sc):
    data = json.loads(json.dumps(sc.to_dict()))          # through plain JSON
    again = PumpingScenario.from_dict(data)
    assert again.to_dict() == sc.to_dict()
    np.testing.assert_array_equal(again.skr, sc.skr)
    assert again.channel == sc.channel or again.channel.name == sc.channel.name
    assert again.topologies == sc.topologies and again.alpha == sc.alpha


def test_scenario_and_its_parts_are_immutable():
    sc = table_i(2, "perturbed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.capacity = 3
    for array in (sc.skr, sc.probabilities, sc.weights, sc.physical.distance_km, sc.physical.qber):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.channel.delta = 1.0
    markov = MarkovChannel([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="read-only"):
        markov.transition[0, 0] = 0.5
    bigger = sc.replace(capacity=3)
    assert (bigger.capacity, sc.capacity) == (3, 2)
    with pytest.raises(ScenarioError, match="^capcity = 3: not a field"):
        sc.replace(capcity=3)


def test_from_dict_rejects_unknown_and_conflicting_keys():
    base = four_node_example().to_dict()
    with pytest.raises(ScenarioError, match="^nodez = 4: unknown key"):
        PumpingScenario.from_dict({**base, "nodez": 4})
    with pytest.raises(ScenarioError, match=r"^states\[0\]\.probability = 1: unknown key"):
        PumpingScenario.from_dict({**base, "states": [{"prob": 1.0, "probability": 1, "skr": [[0, 1], [1, 0]]}]})
    with pytest.raises(ScenarioError, match="^qber_states"):
        PumpingScenario.from_dict({**table_i().to_dict(), "qber_states": [np.zeros((5, 5)).tolist()]})
    with pytest.raises(ScenarioError, match="^kind = 'rwa'"):
        PumpingScenario.from_dict({**base, "kind": "rwa"})
    with pytest.raises(ScenarioError, match="perturbed-qber"):     # the perturbed channel needs link data
        PumpingScenario(5, 2, table_i().skr, [1.0], channel=PerturbedQBERChannel())


# -- solve: labelled values, options honoured or refused ---------------------------------------

def test_solution_values_are_labelled_by_pair():
    sc = four_node_example()
    sol = qnum.solve(sc)
    assert sol.family == "pumping" and sol.termination == "converged" and sol.status == Status.OPTIMAL
    assert set(sol.values["rates"]) == set(sc.pairs) and "rate_vector" not in sol.values
    assert sol.values["rates"][(2, 3)] == pytest.approx(0.2 * 8000.0, rel=1e-5)
    out = json.loads(json.dumps(plugin.solution_json(sc, sol)))
    assert out["objective"] == pytest.approx(sol.objective) and "utility" not in out
    assert [2, 3, pytest.approx(1600.0, rel=1e-5)] in out["rates"]
    assert out["schedule"][0]["topologies"]


@pytest.mark.parametrize("method", ["separable", "cvxpy", "column-generation", "enumeration"])
def test_every_method_certifies_against_tol(method):
    sc = random_network(6, 2, 2, seed=3)
    loose = qnum.solve(sc, method, tol=1e-2)
    tight = qnum.solve(sc, method, tol=1e-7)
    for sol in (loose, tight):
        assert sol.ok and sol.family == "pumping"
        assert sol.bound >= sol.objective
    assert loose.relative_gap <= 1e-2
    if tight.status == Status.OPTIMAL:
        assert tight.relative_gap <= 1e-7 and tight.termination == "converged"
    else:        # an honest feasible answer: the gap it could certify is reported, not claimed optimal
        assert tight.relative_gap > 1e-7 and tight.termination in ("stalled", "iteration_limit")


@pytest.mark.parametrize("method, sc", [
    ("separable", random_network(80, 6, 10, seed=1)),
    ("cvxpy", random_network(60, 5, 8, seed=1)),
    ("column-generation", random_network(14, 3, 3, seed=1, topologies="matching")),
    ("enumeration", random_network(9, 3, 2, seed=1)),
])
def test_time_limit_is_honoured(method, sc):
    start = time.perf_counter()
    sol = qnum.solve(sc, method, time_limit=0.05)
    elapsed = time.perf_counter() - start
    assert sol.family == "pumping"
    if sol.status == Status.TIME_LIMIT:
        assert sol.termination == "time_limit"
        if sol.objective is not None and sol.bound is not None and np.isfinite(sol.objective):
            assert sol.bound >= sol.objective - 1e-9 * abs(sol.objective)      # the bound stays honest
    else:
        assert sol.ok and elapsed < 2.0        # finished within (about) the limit: a certified answer
    assert elapsed < 5.0


def test_solve_refuses_bad_methods_and_options():
    sc = four_node_example()
    with pytest.raises(OptionError, match="^method = 'bogus'"):
        qnum.solve(sc, "bogus")
    with pytest.raises(OptionError, match="^tol = -1"):
        qnum.solve(sc, tol=-1)
    with pytest.raises(OptionError, match="^time_limit = 0"):
        qnum.solve(sc, time_limit=0)
    with pytest.raises(OptionError, match="^solver = 'CLARABEL': not an option of method 'separable'"):
        qnum.solve(random_network(5, 2, seed=1), "separable", solver="CLARABEL")
    with pytest.raises(OptionError, match="^solver = 'NOSUCH': is not an installed CVXPY solver"):
        qnum.solve(sc, "cvxpy", solver="NOSUCH")
    with pytest.raises(OptionError, match="^method = 'separable': needs"):      # per-count factors
        qnum.solve(sc, "separable")
    with pytest.raises(OptionError, match="^method = 'cvxpy'"):
        qnum.solve(random_network(5, 2, seed=1, topologies="matching"), "cvxpy")
    sol = qnum.solve(sc, "cvxpy", solver="scs", tol=1e-3)
    assert sol.solver == "cvxpy/SCS" and sol.ok


# -- simulate: the trace, options that apply only where declared -------------------------------

def test_trace_reports_the_objective_the_optimum_maximizes():
    sc = table_i(2, "iid3", alpha="maxmin")
    tr = qnum.simulate(sc, "pf", slots=3000, seed=2, checkpoints=20)
    assert tr.time_axis == "slot" and tr.point_key == "rates" and tr.feasible and tr.times[-1] == 3000
    assert tr.labels["rates"] == sc.pairs and tr.states["rates"].shape == (len(tr), sc.num_pairs)
    rates = sc.vector(tr.final["rates"])
    assert tr.final_objective == pytest.approx(rates.min())                     # max-min objective
    np.testing.assert_allclose(tr.states["rates"][-1], rates)
    assert sum(tr.final["pumped_slots"].values()) == tr.info["pumped_counts"].sum() <= 2 * 3000
    assert tr.info["realized_frequency"].sum() == pytest.approx(1.0)
    out = json.loads(json.dumps(plugin.trace_json(sc, tr)))
    assert out["steps"] == 3000 and out["alpha"] == "maxmin" and len(out["pumped_slots"]) == sc.num_pairs


def test_simulate_options_are_checked_and_applied():
    sc = four_node_example()
    with pytest.raises(OptionError, match="^alpha = 0.5: applies to policy alpha"):
        qnum.simulate(sc, "pf", alpha=0.5)
    with pytest.raises(OptionError, match="^slots = 0"):
        qnum.simulate(sc, "pf", slots=0)
    with pytest.raises(OptionError, match="^beta = 1.5"):
        qnum.simulate(sc, "rr", beta=1.5)
    with pytest.raises(OptionError, match="^hop_delay = 1: not a simulate option"):
        qnum.simulate(sc, "rr", hop_delay=1)
    with pytest.raises(OptionError, match="^alpha = 1.0: applies to policy alpha"):
        qnum.simulate(sc, MaxWeightScheduler(), alpha=1.0)
    with pytest.raises(OptionError, match="^alpha = 'maxmin'"):
        qnum.simulate(four_node_example(alpha="maxmin"), "alpha", slots=10)
    # the same realization replayed gives the same run; a different seed a different one
    real = sc.channel.realize(sc, 500, 3)
    a = qnum.simulate(table_i(2, "iid3"), "pf", slots=500, seed=4)
    b = qnum.simulate(table_i(2, "iid3"), "pf", slots=500, realization=table_i(2, "iid3").channel.realize(
        table_i(2, "iid3"), 500, 4))
    assert a.final == b.final
    with pytest.raises(OptionError, match="^realization"):
        qnum.simulate(sc, "pf", slots=600, realization=real)
    short = qnum.simulate(sc, "pf", slots=100, initial_rate=5.0, checkpoints=5)
    assert len(short) <= 5 and short.times[-1] == 100


# -- the user's own policy ------------------------------------------------------------------

def test_shipped_example_reaches_the_pf_optimum_and_loads_by_name():
    assert load_policy(plugin.EXAMPLE_POLICY).name == "max-weight"
    sc = four_node_example()
    rep = qnum.compare(qnum.simulate(sc, plugin.EXAMPLE_POLICY, slots=20_000, seed=1), qnum.solve(sc))
    assert rep.policy == "max-weight" and abs(rep.final_relative_gap) < 1e-3 and rep.final_distance < 1e-2


def test_example_on_matchings_stays_feasible():
    sc = random_network(6, 2, 1, seed=6, topologies="matching")
    tr = qnum.simulate(sc, MaxWeightScheduler(), slots=2000, seed=1)
    rep = qnum.compare(tr, qnum.solve(sc))
    assert tr.feasible and abs(rep.final_relative_gap) < 0.05


def test_a_policy_written_from_the_protocol_alone():
    """Round robin over pairs, one per slot, written only from POLICY_PROTOCOL."""

    class OneAtATime:
        def reset(self, setup):
            self.calls = 0
            self.first_slot = None

        def decide(self, obs):
            self.calls += 1
            if self.first_slot is None:
                self.first_slot = obs.slot
            assert obs.averages.shape == obs.skr.shape == (len(obs.pairs),)
            assert not obs.averages.flags.writeable and obs.capacity == 2
            i, j = obs.pairs[(obs.slot - 1) % len(obs.pairs)]
            return [(j, i)]                      # either order is accepted

    policy = OneAtATime()
    sc = four_node_example()
    tr = qnum.simulate(sc, policy, slots=600, checkpoints=10)
    assert policy.calls == 600 and policy.first_slot == 1 and tr.policy == "OneAtATime"
    assert set(tr.final["pumped_slots"].values()) == {100}
    # one pair per slot at f_1 = 1: r̄_e = (1 + 100 s_e) / 601
    np.testing.assert_allclose(sc.vector(tr.final["rates"]), (1 + 100 * sc.skr[0]) / 601, rtol=1e-12)


def test_user_pf_matches_the_builtin_pf():
    sc = random_network(6, 2, 2, seed=4)

    def pf(obs):
        gain = obs.skr / obs.averages
        return [obs.pairs[e] for e in np.argsort(-gain)[:obs.capacity] if gain[e] > 0]

    mine = run_scheduler(sc, pf, 5000, seed=5)
    builtin = run_scheduler(sc, "pf", 5000, seed=5)
    np.testing.assert_allclose(sc.vector(mine.final["rates"]), sc.vector(builtin.final["rates"]), rtol=1e-9)


@pytest.mark.parametrize("decision, sc, match", [
    ([(0, 1), (1, 0)], four_node_example(), r"^slot 1 = \(1, 0\): pair pumped twice"),
    ([(0, 1), (2, 3), (0, 2)], four_node_example(), r"^slot 1 = .*3 pairs pumped, more than capacity K = 2"),
    ([(0, 7)], four_node_example(), r"^slot 1 = \(0, 7\): is not a node pair"),
    ([(1, 1)], four_node_example(), r"^slot 1 = \(1, 1\): is not a node pair"),
    ([(0, 1), (1, 2)], four_node_example().replace(topologies="matching"), r"^slot 1 = .*node 1 is in two"),
    ([(0, 2)], four_node_example().replace(topologies=[[(0, 1)], [(2, 3)]]), r"^slot 1 = .*listed topologies"),
    (None, four_node_example(), r"^slot 1 = None: a decision must be an iterable"),
    ([(0.5, 1)], four_node_example(), r"^slot 1 = \(0.5, 1\): each pumped pair must be two integer"),
    ([0, 1], four_node_example(), r"^slot 1 = 0: each pumped pair must be a node pair"),
    ("0-1", four_node_example(), r"^slot 1 = '0-1': a decision must be an iterable"),
])
def test_model_breaking_decisions_raise_policy_error(decision, sc, match):
    with pytest.raises(PolicyError, match=match):
        qnum.simulate(sc, lambda obs: decision, slots=5)


def test_policy_error_names_the_slot_it_happens_in():
    def late_cheater(obs):
        return [(0, 1), (0, 2), (1, 2)] if obs.slot == 7 else [(0, 1)]

    with pytest.raises(PolicyError) as info:
        qnum.simulate(four_node_example(), late_cheater, slots=20)
    assert info.value.field == "slot 7" and info.value.value == [(0, 1), (0, 2), (1, 2)]


# -- bench hooks ----------------------------------------------------------------------------

def test_bench_hooks():
    instances = plugin.bench_instances()
    assert set(instances) == {"table-i-fixed", "table-i-iid3", "table-i-perturbed", "four-node"}
    assert plugin.BENCH_SIMULATE_OPTIONS(100, 2) == {"slots": 100, "seed": 2}
    sc = instances["four-node"]
    m_opt = plugin.bench_metrics(sc, qnum.solve(sc))
    m_rr = plugin.bench_metrics(sc, qnum.simulate(sc, "rr", slots=20_000))
    assert m_opt["total_rate"] == pytest.approx(0.2 * sc.skr[0].sum(), rel=1e-5)
    assert m_rr["jain"] > m_opt["jain"]          # RR equalizes the rates
    for builder in plugin.SWEEP_BUILDERS.values():
        assert PumpingScenario.from_dict(builder()).kind == "pumping"
