"""The all-path RWA optimum against an independent exhaustive search on small meshes."""

import itertools
import math

import pytest

from qnum.models.rwa import RWAModel, allocation_key_rate, allocation_problems, objective_value
from qnum.networks.optical import dser_mesh_network, dser_network, network_from_dict
from qnum.solvers.rwa.allpaths import solve_all_paths


def simple_paths(net, user):
    """Every simple port path source -> user, by its own depth-first walk over the links."""
    out = []

    def walk(dev, pin, hops, seen):
        if dev == user:
            out.append(list(hops))
            return
        d = net.devices[dev]
        if d.type in ("USER", "EPS"):
            return
        for pout in range(d.ports):
            nxt = net.links.get((dev, pout))
            if pout != pin and nxt is not None and nxt[0] not in seen and \
                    any(math.isfinite(v) for v in d.loss_dB[pin, pout, :]):
                walk(nxt[0], nxt[1], hops + [(dev, pin, pout)], seen | {nxt[0]})

    first = net.links[(net.source, 0)]
    walk(first[0], first[1], [], {net.source, first[0]})
    return out


def exhaustive(net, requests, n_cap, objective):
    """Lexicographic optimum (served, then objective) over every path pair and channel assignment."""
    paths = {u: simple_paths(net, u) for r in requests for u in r}
    K, R = net.n_pairs, len(requests)
    best = (-1, -math.inf)
    for owners in itertools.product(range(2 * R + 1), repeat=K):   # channel pair k -> (request, o) or unused
        pairs = {r: [(k + 1, o % 2) for k, o in enumerate(owners) if o < 2 * R and o // 2 == r] for r in range(R)}
        if any(len(p) > n_cap for p in pairs.values()):
            continue
        served = [r for r in range(R) if pairs[r]]
        if (len(served), math.inf) <= best:
            continue
        choices = [list(itertools.product(paths[requests[r][0]], paths[requests[r][1]])) for r in served]
        for pick in itertools.product(*choices):
            alloc = {requests[r]: {"path_a": pa, "path_b": pb, "channel_pairs": pairs[r]}
                     for r, (pa, pb) in zip(served, pick)}
            if allocation_problems(net, alloc, n_cap):
                continue
            rates = [allocation_key_rate(net, u, e) for u, e in alloc.items()]
            value = objective_value(objective, rates)
            best = max(best, (len(served), value))
    return best


def check(net, requests, n_cap, objective):
    sol = solve_all_paths(net, requests, n_cap=n_cap, objective=objective)
    alloc = sol.values["allocation"]
    assert str(sol.status) == "optimal" and not allocation_problems(net, alloc, n_cap)
    rates = [allocation_key_rate(net, u, e) for u, e in alloc.items()]
    rederived = objective_value(objective, rates)
    assert rederived == pytest.approx(sol.objective, rel=1e-9, abs=1e-12)
    for u, e in alloc.items():
        assert sol.values["key_rates"][u] == pytest.approx(allocation_key_rate(net, u, e), rel=1e-9)
    served, value = exhaustive(net, requests, n_cap, objective)
    assert sol.values["served"] == served
    assert sol.objective == pytest.approx(value, rel=1e-7, abs=1e-9)
    assert sol.bound >= value * (1 - 1e-9) - 1e-9
    return sol


def detour_mesh(n_pairs=2, channel_loss=None):
    """u1's three lowest-loss paths all leave switch A by its port 0, which u3's only path needs
    with another crossconnect (the B switches pass A -> D only); u1's fourth path (through C,
    50 km) avoids A."""
    def os(ports, one_way=False):   # one_way: crossconnect 0 -> 1 only
        return {"type": "OS", "ports": ports,
                "loss_dB": [[[None if i == o or (one_way and i > o) else 1.0] * (2 * n_pairs) for o in range(ports)]
                            for i in range(ports)]}

    mux = {"type": "WSS", "ports": 5}
    if channel_loss is not None:   # channel-dependent WSS loss (dB per offset, common port <-> outputs)
        t = [[[None] * (2 * n_pairs) for _ in range(5)] for _ in range(5)]
        for p in range(1, 5):
            t[0][p] = t[p][0] = list(channel_loss)
        mux["loss_dB"] = t
    devices = {"src": {"type": "EPS", "ports": 1}, "mux": mux, "A": os(5),
               "B1": os(2, True), "B2": os(2, True), "B3": os(2, True), "C": os(2), "D": os(5), "E": os(2), "F": os(2)}
    devices.update({u: {"type": "USER", "ports": 1} for u in ("u1", "u2", "u3", "u4")})
    links = [(("src", 0), ("mux", 0), 0), (("mux", 1), ("A", 0), 1), (("mux", 2), ("C", 0), 50),
             (("mux", 3), ("E", 0), 1), (("mux", 4), ("F", 0), 1), (("A", 4), ("u3", 0), 5),
             (("D", 3), ("C", 1), 1), (("D", 4), ("u1", 0), 5), (("E", 1), ("u2", 0), 5), (("F", 1), ("u4", 0), 5)]
    links += [(("A", j), (f"B{j}", 0), 1) for j in (1, 2, 3)] + [((f"B{j}", 1), ("D", j - 1), j) for j in (1, 2, 3)]
    return {"n_pairs": n_pairs, "source": "src", "devices": devices,
            "links": [{"a": list(a), "b": list(b), "length_km": km} for a, b, km in links]}


def test_three_candidate_paths_serve_one_where_all_paths_serve_two():
    net = network_from_dict(detour_mesh())
    requests = [("u1", "u2"), ("u3", "u4")]
    assert RWAModel.for_requests(net, requests, k_paths=3, n_cap=2).solve().values["served"] == 1
    sol = check(net, requests, 2, "total")
    assert sol.values["served"] == 2
    assert [h[0] for h in sol.values["allocation"][("u1", "u2")]["path_a"]] == ["mux", "C", "D"]


@pytest.mark.parametrize("objective", ["total", "proportional", "maxmin"])
def test_channel_dependent_losses_are_rated_exactly(objective):
    # the WSS passes offsets -2, -1, 1, 2 at 3, 9, 4, 12 dB: the rate depends on the channels held
    net = network_from_dict(detour_mesh(channel_loss=[3.0, 9.0, 4.0, 12.0]))
    check(net, [("u1", "u2"), ("u3", "u4")], 2, objective)


@pytest.mark.parametrize("forwarding, requests, objective", [
    ("OS", [("u1", "u2"), ("u3", "u5")], "total"),
    ("OS", [("u1", "u5"), ("u7", "u8")], "maxmin"),
    ("OS", [("u1", "u2"), ("u3", "u4")], "proportional"),
    ("AOS", [("u1", "u8"), ("u6", "u7")], "total"),
])
def test_meshed_network_matches_exhaustive_search(forwarding, requests, objective):
    net = network_from_dict(dser_mesh_network(forwarding, n_pairs=2))
    check(net, requests, 2, objective)


def test_paper_tree_network_all_paths_equals_k_paths():
    net = network_from_dict(dser_network(case=3, n_pairs=3))
    requests = [("u1", "u3"), ("u5", "u7"), ("u2", "u6")]
    ap = solve_all_paths(net, requests)
    kp = RWAModel.for_requests(net, requests).solve()
    assert ap.values["served"] == kp.values["served"]
    assert ap.objective == pytest.approx(kp.objective, rel=1e-9)


def test_channel_count_combinations_match_the_product_and_stay_cheap_with_many_classes():
    """_combos walks depth first under the cap: the same vectors, in the same order, as filtering
    itertools.product — which walks 2^classes vectors when every channel has its own loss."""
    import itertools
    import random

    from qnum.solvers.rwa.allpaths import _combos

    rng = random.Random(0)
    for _ in range(200):
        cap = rng.randint(1, 4)
        classes = {i: [(k, 0) for k in range(rng.randint(1, 3))] for i in range(rng.randint(0, 7))}
        limits = [min(cap, len(v)) for v in classes.values()]
        want = [c for c in itertools.product(*[range(m + 1) for m in limits]) if 1 <= sum(c) <= cap]
        assert _combos(classes, cap) == (list(classes), want)
    keys, out = _combos({i: [(i, 0)] for i in range(40)}, 2)      # 2^40 product vectors; 40 + 780 kept
    assert len(out) == 40 + 40 * 39 // 2
