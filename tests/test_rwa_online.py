"""DSER / FRFS online: cases, reconfiguration, lock invariants, CLI."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import qnum
from qnum.families.rwa import bench_rows
from qnum.cli import main
from qnum.errors import ScenarioError
from qnum.models.rwa import candidate_paths, validate_allocation
from qnum.networks.optical import LockState, dser_network, network_from_dict
from qnum.solvers.rwa.dser import OnlineRouter

EXAMPLE = Path(qnum.__file__).parent / "data" / "rwa" / "dser-wss-os.json"


def _as_validator_alloc(net, router):
    out = {}
    for u, c in router.active.items():
        pa = next(p for p in candidate_paths(net, u[0], 10) if p[0] == c.hops_a)
        pb = next(p for p in candidate_paths(net, u[1], 10) if p[0] == c.hops_b)
        out[u] = (pa, pb, list(c.pairs))
    return out


def test_dser_cases_and_reconfiguration():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    r = OnlineRouter(net, "dser", n_cap=2)
    assert r.add(("u1", "u3"), demand=1e12)["case"] == "partial"  # unreachable demand
    ev = r.add(("u5", "u7"), demand=0.0)
    assert ev["case"] == "competition"  # both pairs were held by the first request
    assert len(r.active[("u1", "u3")].pairs) == 1
    ev = r.add(("u2", "u8"))
    assert ev["case"] == "infeasible" and ev["reason"]
    assert r.delete(("u5", "u7"))["reconfigured"]  # queued/partial request gets the pair
    assert validate_allocation(net, _as_validator_alloc(net, r)) == []


def test_frfs_takes_first_free_pairs_and_never_queues():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    r = OnlineRouter(net, "frfs", n_cap=2)
    assert r.add(("u1", "u3"))["pairs"] == [(1, 0), (2, 0)]
    assert r.add(("u5", "u7"))["case"] == "infeasible"
    assert r.queue == []


def test_delete_inactive_is_an_error():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    with pytest.raises(ScenarioError, match="inactive"):
        OnlineRouter(net).delete(("u1", "u2"))


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["dser", "frfs"]), st.sampled_from(["OS", "WSS", "BS"]),
       st.lists(st.tuples(st.booleans(), st.integers(1, 8), st.integers(1, 8),
                          st.sampled_from([0.0, 1e5, 1e7])), max_size=25))
def test_random_sequences_never_double_allocate(policy, fwd, ops):
    net = network_from_dict(dser_network("WSS", fwd, n_pairs=3))
    r = OnlineRouter(net, policy)
    for add, a, b, q in ops:
        if a == b:
            continue
        u = (f"u{min(a, b)}", f"u{max(a, b)}")
        if add and u not in r.active:
            r.add(u, q)
        elif not add and u in r.active:
            r.delete(u)
        assert validate_allocation(net, _as_validator_alloc(net, r)) == []
        assert all(c.pairs for c in r.active.values())
    while r.active:  # deletes may serve queued requests; drain them all
        r.delete(next(iter(r.active)))
    assert r.locks.snapshot() == LockState().snapshot()  # every unlock restores the state


def test_cli_solve_simulate_and_bad_input(tmp_path, capsys):
    assert main(["solve", str(EXAMPLE), "--json"]) == 0
    opt = json.loads(capsys.readouterr().out)
    assert opt["status"] == "optimal" and opt["served"] == 3
    for pol in ("dser", "frfs"):
        assert main(["simulate", str(EXAMPLE), "--policy", pol, "--json"]) == 0
        on = json.loads(capsys.readouterr().out)
        assert on["served"] <= opt["served"] and len(on["events"]) == 6
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "rwa", "builder": {"n_pairs": 2},
                               "events": [{"op": "add", "users": ["u1", "nobody"]}]}))
    assert main(["solve", str(bad), "--json"]) == 2
    assert "nobody" in capsys.readouterr().err


def test_bench_rows_format():
    rows = bench_rows({"seeds": 1})
    methods = {(r["instance"], r["method"]) for r in rows}
    assert ("dser-case2-seq1", "optimum") in methods and ("random-WSS-WSS-s0", "frfs") in methods
    opt = {r["instance"]: r for r in rows if r["method"] == "optimum"}
    for r in rows:
        assert {"served", "total_key_rate", "jain"} <= set(r)
        assert r["served"] <= opt[r["instance"]]["served"]  # the ILP maximizes served first
    assert all(r["status"] == "optimal" for r in opt.values())
