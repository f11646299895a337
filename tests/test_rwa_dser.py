"""DSER's rules (the DSER paper §3.1–3.3) and FRFS on small hand-built event sequences."""

import pytest

import qnum
from qnum.errors import OptionError
from qnum.models.rwa import allocation_key_rate, path_losses, validate_allocation
from qnum.networks.optical import dser_network, network_from_dict, tell_ps
from qnum.physics.bbm92_cw import cw_key_rate_channels, optimal_channel_count
from qnum.solvers.rwa.dser import OnlineRouter, run_events


def _wss(n_pairs=2):
    return network_from_dict(dser_network("WSS", "WSS", n_pairs=n_pairs))


def _alloc(router):
    return {u: {"path_a": c.hops_a, "path_b": c.hops_b, "channel_pairs": list(c.pairs)}
            for u, c in router.active.items()}


def _queue(router):
    return [(q.users, q.established) for q in router.queue]


def test_satisfaction_allocates_the_optimal_channel_count():
    net = _wss(8)
    r = OnlineRouter(net, "dser")
    rec = r.add(("u1", "u3"), demand=1e12)   # a bit/s demand is ignored by default
    c = r.active[("u1", "u3")]
    la = path_losses(net, "u1", c.hops_a)[1]
    lb = path_losses(net, "u3", c.hops_b)[-1]
    assert rec["case"] == "satisfaction" and r.queue == []
    assert len(rec["pairs"]) == optimal_channel_count(la, lb, max_pairs=8)[0] > 1


def test_partial_competition_infeasible_and_queue_by_timetag():
    net = _wss(3)
    r = OnlineRouter(net, "dser", n_cap=2)
    assert r.add(("u1", "u3"))["case"] == "satisfaction"            # 2 of 3 pairs
    rec = r.add(("u5", "u7"))
    assert rec["case"] == "partial" and len(rec["pairs"]) == 1        # the one pair left
    assert _queue(r) == [(("u5", "u7"), True)]
    rec = r.add(("u2", "u8"))                                         # nothing free: compete
    assert rec["case"] == "competition" and len(rec["pairs"]) == 1
    # the donor is the request with a surplus (> 1 pair): only u1-u3 has one
    assert len(r.active[("u1", "u3")].pairs) == 1
    assert _queue(r) == [(("u1", "u3"), True), (("u5", "u7"), True), (("u2", "u8"), True)]
    rec = r.add(("u4", "u6"))                                         # no surplus anywhere
    assert rec["case"] == "infeasible" and rec["reason"] and rec["pairs"] == []
    assert [q[0] for q in _queue(r)] == [("u1", "u3"), ("u5", "u7"), ("u2", "u8"), ("u4", "u6")]
    assert validate_allocation(net, _alloc(r)) == []


def test_competition_takes_from_the_latest_request_with_a_surplus():
    net = _wss(4)
    r = OnlineRouter(net, "dser", n_cap=2)
    r.add(("u1", "u3"), t=0)
    r.add(("u5", "u7"), t=1)
    assert [len(c.pairs) for c in r.active.values()] == [2, 2]
    assert r.add(("u2", "u8"), t=2)["case"] == "competition"
    assert len(r.active[("u1", "u3")].pairs) == 2      # the earliest keeps its pairs
    assert len(r.active[("u5", "u7")].pairs) == 1      # the latest (max timetag) gave one
    assert [q.users for q in r.queue] == [("u5", "u7"), ("u2", "u8")]
    # a later timetag on an earlier arrival: the timetag decides, not the arrival order
    r2 = OnlineRouter(net, "dser", n_cap=2)
    r2.add(("u1", "u3"), t=9)
    r2.add(("u5", "u7"), t=1)
    r2.add(("u2", "u8"), t=10)
    assert len(r2.active[("u1", "u3")].pairs) == 1 and len(r2.active[("u5", "u7")].pairs) == 2
    assert [q.users for q in r2.queue] == [("u1", "u3"), ("u2", "u8")]


def test_delete_serves_unestablished_first_then_upgrades():
    net = _wss(4)
    r = OnlineRouter(net, "dser", n_cap=2)
    for users in (("u1", "u3"), ("u5", "u7")):
        assert r.add(users)["case"] == "satisfaction"        # 2 pairs each
    assert r.add(("u2", "u8"))["case"] == "competition"       # u5-u7 (latest with surplus) gives one
    assert r.add(("u4", "u6"))["case"] == "competition"       # then u1-u3, the only surplus left
    assert r.add(("u1", "u5"))["case"] == "infeasible"        # every connection holds 1 pair
    assert _queue(r) == [(("u1", "u3"), True), (("u5", "u7"), True), (("u2", "u8"), True),
                         (("u4", "u6"), True), (("u1", "u5"), False)]
    rec = r.delete(("u1", "u3"))             # frees 1 pair
    # the unestablished request comes first although it is the latest
    assert rec["reconfigured"] == [("u1", "u5")] and len(r.active[("u1", "u5")].pairs) == 1
    assert _queue(r)[-1] == (("u1", "u5"), True)              # partial now: still queued, established
    rec = r.delete(("u1", "u5"))             # frees 1 pair: upgrades in timetag order
    assert rec["reconfigured"] == [("u5", "u7")] and len(r.active[("u5", "u7")].pairs) == 2
    assert _queue(r) == [(("u2", "u8"), True), (("u4", "u6"), True)]   # u5-u7 left Q
    assert validate_allocation(net, _alloc(r)) == []


def test_upgrade_key_rate_is_recomputed_for_the_channels_held():
    net = _wss(2)
    r = OnlineRouter(net, "dser", n_cap=2)
    r.add(("u1", "u3"))
    r.add(("u5", "u7"))                      # competition: one pair from u1-u3
    c = r.active[("u5", "u7")]
    r.delete(("u1", "u3"))                   # u5-u7 is upgraded to 2 pairs
    assert len(c.pairs) == 2
    entry = {"path_a": c.hops_a, "path_b": c.hops_b, "channel_pairs": c.pairs}
    offs = [k if o == 0 else -k for k, o in c.pairs]
    la = sum(path_losses(net, "u5", c.hops_a)[x] for x in offs) / 2
    lb = sum(path_losses(net, "u7", c.hops_b)[-x] for x in offs) / 2
    want = float(cw_key_rate_channels(2, la, lb))
    assert want > 0
    assert r.rate(c) == pytest.approx(want, rel=1e-12)
    assert r.allocation()[("u5", "u7")]["key_rate"] == pytest.approx(allocation_key_rate(net, ("u5", "u7"), entry))


def _two_route_network():
    """src → w1; w1 reaches u either by port 1 (only +1, 1 dB) or port 2 (all, 5 dB) into w2;
    v hangs off w1 and cannot receive offset -1."""
    inf = None
    C = 4                                   # offsets -2, -1, 1, 2
    w1 = [[[inf] * C for _ in range(4)] for _ in range(4)]
    w1[0][1] = w1[1][0] = [inf, inf, 1.0, inf]
    w1[0][2] = w1[2][0] = [5.0] * C
    w1[0][3] = w1[3][0] = [1.0, inf, 1.0, 1.0]
    w2 = [[[inf] * C for _ in range(3)] for _ in range(3)]
    for p in (1, 2):
        w2[p][0] = w2[0][p] = [1.0] * C
    return network_from_dict({
        "n_pairs": 2, "source": "s",
        "devices": {"s": {"type": "EPS", "ports": 1}, "w1": {"type": "WSS", "ports": 4, "loss_dB": w1},
                    "w2": {"type": "WSS", "ports": 3, "loss_dB": w2},
                    "u": {"type": "USER", "ports": 1}, "v": {"type": "USER", "ports": 1}},
        "links": [{"a": ["s", 0], "b": ["w1", 0]}, {"a": ["w1", 1], "b": ["w2", 1]},
                  {"a": ["w1", 2], "b": ["w2", 2]}, {"a": ["w2", 0], "b": ["u", 0]},
                  {"a": ["w1", 3], "b": ["v", 0]}]})


def test_tell_ps_keeps_the_path_best_for_each_channel():
    net = _two_route_network()
    found = tell_ps(net, "u")
    assert [p["hops"][0] for p in found["paths"]] == [("w1", 0, 1), ("w1", 0, 2)]
    assert found["paths"][0]["channels"] == [1]
    assert found["paths"][1]["channels"] == [-2, -1, 1, 2]
    # u's lowest-loss path passes only +1 and v cannot take -1: DSER uses u's other path
    r = OnlineRouter(net, "dser", n_cap=2)
    rec = r.add(("u", "v"))
    assert rec["case"] == "satisfaction" and r.active[("u", "v")].hops_a[0] == ("w1", 0, 2)
    assert validate_allocation(net, _alloc(r)) == []


def test_second_path_is_searched_with_the_first_locked():
    # u2 and u3 both hang off switch f0 (OS) of a mesh; u2's path locks f0's port 0 crossconnect,
    # so u3 must come around the ring: the request is served, not dropped
    net = network_from_dict(qnum.networks.optical.dser_mesh_network("OS", n_pairs=2, users_per_device=2))
    r = OnlineRouter(net, "dser")
    assert r.add(("u1", "u2"))["case"] == "satisfaction"
    c = r.active[("u1", "u2")]
    assert c.hops_a[-1][0] == "f0" and c.hops_b[-1][0] == "f0" and len(c.hops_b) > len(c.hops_a)
    assert validate_allocation(net, _alloc(r)) == []


def test_frfs_presets_a_single_channel_pair_and_never_queues():
    net = _wss(4)
    events = [{"op": "add", "users": list(u), "t": i} for i, u in
              enumerate([("u1", "u3"), ("u5", "u7"), ("u2", "u8"), ("u4", "u6"), ("u1", "u5")])]
    r, recs = run_events(net, events, "frfs")
    assert [rec["case"] for rec in recs] == ["served"] * 4 + ["blocked"]
    assert all(len(c.pairs) == 1 for c in r.active.values()) and r.queue == []
    multi, _ = run_events(net, events, "frfs-multichannel")
    assert len(multi.active) < len(r.active)          # the single channel maximizes connections
    assert validate_allocation(net, _alloc(r)) == []


def test_qos_demand_is_an_opt_in_extension():
    net = _wss(8)
    plain = OnlineRouter(net, "dser")
    ext = OnlineRouter(net, "dser", qos_demand=True)
    assert len(plain.add(("u1", "u3"), demand=1.0)["pairs"]) > 1
    assert len(ext.add(("u1", "u3"), demand=1.0)["pairs"]) == 1     # the fewest pairs meeting 1 bit/s
    sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    assert qnum.simulate(sc, "dser", qos_demand=True).feasible
    with pytest.raises(OptionError, match="qos_demand"):
        qnum.simulate(sc, "frfs", qos_demand=True)


def test_meshed_bench_instances_route_by_request_order():
    from qnum.families.rwa import bench_instances

    inst = bench_instances()
    paths = {}
    for name in ("mesh-OS-order1", "mesh-OS-order2"):
        tr = qnum.simulate(inst[name], "dser")
        assert tr.feasible
        entry = tr.final["allocation"][("u1", "u3")]
        paths[name] = [h[0] for h in entry["path_a"]]
    assert paths == {"mesh-OS-order1": ["mux", "f0"], "mesh-OS-order2": ["mux", "f1", "f0"]}


@pytest.mark.parametrize("change,field", [
    ({"events": [{"op": "add", "users": [["u1"], "u3"]}]}, "events[0].users"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "qos": "fast"}]}, "events[0].qos"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "qos": -1}]}, "events[0].qos"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "t": -1}]}, "events[0].t"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "t": "0"}]}, "events[0].t"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "t": 5},
                 {"op": "add", "users": ["u2", "u4"], "t": 4}]}, "events[1].t"),
    ({"events": [{"op": "add", "users": ["u1", "u3"], "when": 4}]}, "events[0].when"),
    ({"physics": {"channel_brightness": -1e8}}, "physics.channel_brightness"),
    ({"builder": {"n_pairs": 2, "fibre_km": -5}}, "builder.fibre_km"),
    ({"builder": {"n_pairs": 2, "first": "OS"}}, "builder.first"),
    ({"builder": {"n_pairs": 10 ** 20}}, "builder.n_pairs"),
])
def test_rwa_reader_names_the_bad_field(change, field):
    from qnum.errors import ScenarioError
    from qnum.networks.rwa import RWAScenario

    data = {"kind": "rwa", "builder": {"n_pairs": 2}, "events": [], **change}
    with pytest.raises(ScenarioError) as err:
        RWAScenario.from_dict(data)
    assert err.value.field == field
