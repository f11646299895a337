"""DSER / FRFS online: cases, reconfiguration, lock invariants, CLI."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnum
from qnum.cli import main
from qnum.errors import ScenarioError
from qnum.models.rwa import validate_allocation
from qnum.networks.optical import LockState, dser_network, network_from_dict
from qnum.solvers.rwa.dser import OnlineRouter

EXAMPLE = qnum.data_path("rwa/dser-wss-os.json")


def _as_validator_alloc(net, router):
    return {u: {"path_a": c.hops_a, "path_b": c.hops_b, "channel_pairs": list(c.pairs)}
            for u, c in router.active.items()}


def test_dser_reconfiguration_keeps_the_allocation_valid():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    r = OnlineRouter(net, "dser", n_cap=2)
    assert r.add(("u1", "u3"))["case"] == "satisfaction"
    assert r.add(("u5", "u7"))["case"] == "competition"  # both pairs were held by the first request
    assert len(r.active[("u1", "u3")].pairs) == 1
    ev = r.add(("u2", "u8"))
    assert ev["case"] == "infeasible" and ev["reason"]
    assert r.delete(("u5", "u7"))["reconfigured"] == [("u2", "u8")]  # the unestablished request first
    assert validate_allocation(net, _as_validator_alloc(net, r)) == []


def test_frfs_multichannel_takes_first_free_pairs_and_never_queues():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    r = OnlineRouter(net, "frfs-multichannel", n_cap=2)
    assert r.add(("u1", "u3"))["pairs"] == [(1, 0), (2, 0)]
    assert r.add(("u5", "u7"))["case"] == "blocked"
    assert r.queue == []


def test_delete_inactive_is_an_error():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    with pytest.raises(ScenarioError, match="inactive"):
        OnlineRouter(net).delete(("u1", "u2"))


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["dser", "frfs", "frfs-multichannel"]), st.sampled_from(["OS", "WSS", "BS"]),
       st.lists(st.tuples(st.booleans(), st.integers(1, 8), st.integers(1, 8),
                          st.sampled_from([0.0, 1e5, 1e7])), max_size=25))
def test_random_sequences_never_double_allocate(policy, fwd, ops):
    net = network_from_dict(dser_network("WSS", fwd, n_pairs=3))
    r = OnlineRouter(net, policy)
    for add, a, b, q in ops:
        if a == b:
            continue
        u = (f"u{min(a, b)}", f"u{max(a, b)}")
        if add and u not in r.requested:
            r.add(u, q)
        elif not add and u in r.requested:
            r.delete(u)
        assert validate_allocation(net, _as_validator_alloc(net, r)) == []
        assert all(c.pairs for c in r.active.values())
        assert all((q.users in r.active) == q.established for q in r.queue)
    while r.requested:  # deletes may serve queued requests; drain them all
        r.delete(next(iter(r.requested)))
    assert r.locks.snapshot() == LockState().snapshot()  # every unlock restores the state


def _exit_status(argv):
    try:
        return main(argv)
    except SystemExit as exc:   # argparse: a flag no family declares
        return exc.code


def test_cli_solve_simulate_compare_and_bad_input(tmp_path, capsys):
    assert main(["solve", str(EXAMPLE), "--json"]) == 0
    opt = json.loads(capsys.readouterr().out)
    assert opt["status"] == "optimal" and opt["served"] == 3
    assert "all-path optimum" in opt["message"] and opt["bound"] >= opt["objective"]
    for pol in ("dser", "frfs"):
        assert main(["simulate", str(EXAMPLE), "--policy", pol, "--json"]) == 0
        on = json.loads(capsys.readouterr().out)
        assert on["served"] <= opt["served"] and len(on["events"]) == 6 and on["feasible"]
    assert main(["compare", str(EXAMPLE), "--policy", "qnum.examples.rwa_policy:FirstFitRouter", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["optimum"] == pytest.approx(opt["objective"]) and rep["gap"] > 0 and rep["policy"] == "first-fit"
    assert _exit_status(["simulate", str(EXAMPLE), "--policy", "dser", "--slots", "10"]) == 2   # no slots for rwa
    assert main(["solve", str(EXAMPLE), "--method", "bogus"]) == 2
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "rwa", "builder": {"n_pairs": 2},
                               "events": [{"op": "add", "users": ["u1", "nobody"]}]}))
    assert main(["solve", str(bad), "--json"]) == 2
    assert "nobody" in capsys.readouterr().err


def test_bench_instances_and_metrics():
    from qnum.families.rwa import BENCH_POLICIES, bench_instances, bench_metrics

    instances = bench_instances()
    assert "dser-case2-seq1" in instances and "random-WSS-WSS-s0" in instances
    sc = instances["random-WSS-WSS-s0"]
    opt = qnum.solve(sc)
    assert opt.status == "optimal"
    best = bench_metrics(sc, opt)
    assert set(best) == {"served", "total_key_rate", "channel_pairs", "jain"}
    assert best["channel_pairs"] == sum(len(e["channel_pairs"]) for e in opt.values["allocation"].values())
    for policy in BENCH_POLICIES:
        row = bench_metrics(sc, qnum.simulate(sc, policy))
        assert row["served"] <= best["served"]  # the ILP maximizes served first
