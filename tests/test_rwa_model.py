"""RWA ILP against brute force on tiny instances, with the independent validator."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnum.errors import ScenarioError
from qnum.models.rwa import OBJECTIVES, RWAModel, allocation_key_rate, candidate_paths, validate_allocation
from qnum.networks.optical import dser_network, network_from_dict
from qnum.solution import Status


def brute_force(net, requests, n_cap, score=sum):
    """Best (served, score of the served key rates) over every feasible allocation."""
    K = net.n_pairs
    options = []
    for a, b in requests:
        opts = [None]
        for pa in candidate_paths(net, a):
            for pb in candidate_paths(net, b):
                for n in range(1, n_cap + 1):
                    for ks in itertools.combinations(range(1, K + 1), n):
                        for os_ in itertools.product((0, 1), repeat=n):
                            opts.append({"path_a": pa[0], "path_b": pb[0],
                                         "channel_pairs": list(zip(ks, os_))})
        options.append(opts)
    best = (-1, -np.inf)
    for combo in itertools.product(*options):
        alloc = {req: o for req, o in zip(requests, combo) if o is not None}
        if validate_allocation(net, alloc, n_cap):
            continue
        val = (len(alloc), score([allocation_key_rate(net, r, o) for r, o in alloc.items()]))
        if val[0] > best[0] or (val[0] == best[0] and val[1] > best[1] + 1e-9 * abs(best[1])):
            best = val
    return best


@pytest.mark.parametrize("first,fwd,requests", [
    ("WSS", "OS", [("u1", "u3"), ("u2", "u5"), ("u5", "u7")]),
    ("WSS", "WSS", [("u1", "u2"), ("u3", "u5"), ("u6", "u8")]),
    ("DWDM", "OS", [("u1", "u7"), ("u3", "u5"), ("u2", "u8")]),
    ("WSS", "BS", [("u1", "u3"), ("u4", "u6")]),
])
def test_ilp_matches_brute_force(first, fwd, requests):
    net = network_from_dict(dser_network(first, fwd, n_pairs=2))
    model = RWAModel.for_requests(net, requests)
    assert model.model.find_component("wdm_once") is not None  # inspectable before solve
    sol = model.solve()
    assert sol.status == Status.OPTIMAL
    assert validate_allocation(net, sol.values["allocation"], model.n_cap) == []
    served, rate = brute_force(net, requests, model.n_cap)
    assert sol.values["served"] == served
    assert sol.objective == pytest.approx(rate, rel=1e-6, abs=1e-6)
    assert sol.bound >= sol.objective - 1e-6
    for req, o in sol.values["allocation"].items():
        assert sol.values["key_rates"][req] == pytest.approx(allocation_key_rate(net, req, o), rel=1e-9)
    assert set(sol.values["key_rates"]) == set(requests)  # every request labelled, 0 when unserved


@pytest.mark.parametrize("objective,score", [
    ("proportional", lambda rates: float(np.sum(np.log(rates)))),
    ("maxmin", lambda rates: min(rates, default=0.0)),
])
@pytest.mark.parametrize("first,fwd,requests", [
    ("WSS", "OS", [("u1", "u3"), ("u2", "u5"), ("u5", "u7")]),
    ("DWDM", "OS", [("u1", "u7"), ("u3", "u5"), ("u2", "u8")]),
    ("WSS", "WSS", [("u1", "u2"), ("u3", "u5"), ("u6", "u8")]),
])
def test_fair_objectives_match_brute_force(first, fwd, requests, objective, score):
    """Max served first, then proportional fairness (sum log rate) or max-min rate, by enumeration."""
    net = network_from_dict(dser_network(first, fwd, n_pairs=2))
    model = RWAModel.for_requests(net, requests)
    sol = model.solve(objective=objective)
    assert sol.status == Status.OPTIMAL
    assert validate_allocation(net, sol.values["allocation"], model.n_cap) == []
    served, best = brute_force(net, requests, model.n_cap, score)
    assert sol.values["served"] == served
    assert sol.objective == pytest.approx(best, rel=1e-6)
    assert sol.bound >= sol.objective - 1e-6 * abs(sol.objective)
    served_rates = [sol.values["key_rates"][u] for u in sol.values["allocation"]]
    assert sol.objective == pytest.approx(score(served_rates), rel=1e-12)


def test_validator_catches_conflicts():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    p = {u: candidate_paths(net, u)[0][0] for u in ("u1", "u2", "u3", "u5")}

    def entry(a, b, pairs):
        return {"path_a": p[a], "path_b": p[b], "channel_pairs": pairs}

    assert validate_allocation(net, {("u1", "u3"): entry("u1", "u3", [(1, 0)])}) == []
    # u1 and u2 share switch f0 port 0 with different crossconnects
    assert validate_allocation(net, {("u1", "u3"): entry("u1", "u3", [(1, 0)]),
                                     ("u2", "u5"): entry("u2", "u5", [(2, 0)])})
    # same channel pair twice
    assert validate_allocation(net, {("u1", "u3"): entry("u1", "u3", [(1, 0), (1, 1)])})
    # over the cap
    assert validate_allocation(net, {("u1", "u3"): entry("u1", "u3", [(1, 0), (2, 0)])}, 1)
    # a path that does not reach its user
    assert "not at u3" in validate_allocation(net, {("u1", "u3"): entry("u1", "u5", [(1, 0)])})[0]


def test_unknown_user_rejected():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    with pytest.raises(ScenarioError) as e:
        RWAModel.for_requests(net, [("u1", "zz")])
    assert e.value.value == "zz"


def test_nsfnet_fabric_small_ilp_is_valid():
    from qnum.networks.optical import nsfnet_network

    net = network_from_dict(nsfnet_network(n_pairs=2, seed=3))
    sol = RWAModel.for_requests(net, [("u1", "u9"), ("u4", "u20"), ("u13", "u27")]).solve(time_limit=30)
    assert sol.status == Status.OPTIMAL and sol.values["served"] >= 1
    assert validate_allocation(net, sol.values["allocation"]) == []


def test_maxmin_differs_from_total_and_matches_brute_force():
    """With three channel pairs the total-rate optimum starves one request; max-min does not."""
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=3))
    requests = [("u3", "u7"), ("u1", "u7")]
    model = RWAModel.for_requests(net, requests)
    total, fair = model.solve(objective="total"), model.solve(objective="maxmin")
    assert fair.objective > min(total.values["key_rates"][u] for u in total.values["allocation"]) * (1 + 1e-6)
    served, best = brute_force(net, requests, model.n_cap, lambda rates: min(rates, default=0.0))
    assert (fair.values["served"], fair.objective) == (served, pytest.approx(best, rel=1e-9))


def test_proportional_fair_beats_total_rate_allocation_on_log_utility():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=4))
    model = RWAModel.for_requests(net, [("u5", "u3"), ("u7", "u2")])
    total, pf = model.solve(objective="total"), model.solve(objective="proportional")
    log_of_total = float(np.sum(np.log(list(total.values["key_rates"].values()))))
    assert pf.values["served"] == total.values["served"] == 2
    assert pf.objective > log_of_total + 1e-3
    assert sum(pf.values["key_rates"].values()) <= total.objective * (1 + 1e-9)
    assert validate_allocation(net, pf.values["allocation"], model.n_cap) == []


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["OS", "WSS", "BS"]), st.sampled_from(["WSS", "DWDM"]),
       st.lists(st.tuples(st.integers(1, 8), st.integers(1, 8)), min_size=1, max_size=5, unique=True),
       st.sampled_from(list(OBJECTIVES)))
def test_every_ilp_solution_passes_the_validator(fwd, first, pairs, objective):
    net = network_from_dict(dser_network(first, fwd, n_pairs=3))
    requests = [(f"u{a}", f"u{b}") for a, b in pairs if a != b and (b, a) not in pairs[:pairs.index((a, b))]]
    model = RWAModel.for_requests(net, requests)   # (a reversed pair is the same connection: dropped)
    sol = model.solve(objective=objective)
    assert sol.status == Status.OPTIMAL
    assert validate_allocation(net, sol.values["allocation"], model.n_cap) == []
    assert sol.bound >= sol.objective - 1e-6 * max(1.0, abs(sol.objective))


def test_request_with_one_user_twice_is_rejected():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    with pytest.raises(ScenarioError, match="two different users"):
        RWAModel.for_requests(net, [("u1", "u1")])
    assert RWAModel.for_requests(net, []).solve().objective == 0.0


def test_shipped_toml_scenario_matches_the_json_one_and_applies_its_objective():
    """The TOML example is the JSON example plus "objective": "maxmin"; its optimum is the max-min one."""
    import json

    import qnum
    from qnum.families.rwa import solution_json
    from qnum.networks.io import read_scenario_data
    toml = read_scenario_data(qnum.data_path("rwa/dser-wss-os-maxmin.toml"))
    as_json = json.loads(qnum.data_path("rwa/dser-wss-os.json").read_text())
    assert {k: v for k, v in toml.items() if k not in ("name", "objective")} == \
        {k: v for k, v in as_json.items() if k != "name"}
    sc = qnum.load_scenario(toml)
    out = solution_json(sc, qnum.solve(sc))
    assert out["status"] == "optimal" and out["objective_kind"] == "maxmin"
    assert out["objective"] == pytest.approx(min(a["key_rate"] for a in out["allocation"]), rel=1e-12)


@pytest.mark.parametrize("case", [1, 2, 3, 4, 5])
def test_paper_cases_ilp_matches_brute_force(case):
    """Each of the DSER paper's five Table-2 networks (qnum's stand-in parameters), tiny channel set."""
    net = network_from_dict(dser_network(case=case, n_pairs=2))
    requests = [("u1", "u3"), ("u5", "u7"), ("u2", "u6")]
    sol = RWAModel.for_requests(net, requests).solve()
    assert sol.status == Status.OPTIMAL
    assert validate_allocation(net, sol.values["allocation"], RWAModel.for_requests(net, requests).n_cap) == []
    served, rate = brute_force(net, requests, RWAModel.for_requests(net, requests).n_cap)
    assert (sol.values["served"], sol.objective) == (served, pytest.approx(rate, rel=1e-6, abs=1e-6))


@pytest.mark.parametrize("case", [1, 2, 3, 4, 5])
def test_paper_cases_optimum_serves_at_least_the_online_schemes(case):
    import qnum
    from qnum.families.rwa import bench_instances
    instances = bench_instances()
    for which in (1, 2):
        sc = instances[f"dser-case{case}-seq{which}"]
        opt = qnum.solve(sc, time_limit=60)
        assert opt.status == Status.OPTIMAL
        assert validate_allocation(sc.net, opt.values["allocation"], sc.n_cap) == []
        for policy in ("dser", "frfs"):
            tr = qnum.simulate(sc, policy)
            assert tr.feasible and tr.final["served"] <= opt.values["served"]


def test_unknown_paper_case_is_rejected():
    with pytest.raises(ScenarioError, match="builder.case = 6"):
        dser_network(case=6)
