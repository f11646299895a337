"""Routing-and-wavelength family plug-in: scenario files, CLI solve/simulate, bench rows.

Scenario schema (JSON; ``kind = "rwa"``)::

    {"kind": "rwa", "name": "...",
     "network": {...}            # qnum.networks.optical.network_from_dict, or
     "builder": {"first": "WSS", "forwarding": "OS", "n_pairs": 4},   # dser_network
     "physics": {"t_cc_s": 1e-10, "channel_brightness": 1e8, ...},   # optional
     "n_cap": 4,                 # optional channel-pair cap (default: optimal count)
     "objective": "total",       # ILP stage 2 after max served: total | proportional | maxmin
     "events": [{"t": 0, "op": "add", "users": ["u1", "u3"], "qos": 1e5},
                {"t": 5, "op": "delete", "users": ["u1", "u3"]}]}

``qnum solve`` runs the ILP on the requests active after the last event; ``qnum
simulate --policy dser|frfs`` replays the events online. Objectives compare directly:
every row's ``objective`` is the total key rate (bits/s) of its allocation; the ILP
maximizes served requests first, so an online row may show a higher key rate with
fewer requests served (then ``gap_to_optimum`` is negative).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np

from qnum.bench.report import bench_row
from qnum.errors import ScenarioError
from qnum.models.rwa import OBJECTIVES, RWAModel
from qnum.networks.io import check_keys, require
from qnum.networks.optical import DSER_CASES, OpticalNetwork, dser_network, network_from_dict
from qnum.solvers.rwa.dser import run_events

KIND = "rwa"
BENCH_NAME = "rwa"
POLICIES = ("dser", "frfs")


@dataclass
class RWAScenario:
    """Validated RWA scenario: network, events, physics options."""

    name: str
    net: OpticalNetwork
    events: list
    physics: dict = field(default_factory=dict)
    n_cap: int | None = None
    objective: str = "total"

    def active_requests(self, upto: int | None = None) -> list:
        """Requests added and not deleted after event ``upto`` (default: all events)."""
        active = []
        for ev in self.events[: None if upto is None else upto + 1]:
            u = tuple(ev["users"])
            if ev["op"] == "add":
                active.append(u)
            else:
                active.remove(u)
        return active


_PHYSICS = {"q", "f", "eta_det", "dark_counts", "t_cc_s", "t_delta_s", "e_pol", "dead_time_s",
            "detectors", "channel_brightness"}


def scenario_from_dict(data: dict) -> RWAScenario:
    """Validate a parsed ``kind = "rwa"`` scenario.

    Examples
    --------
    >>> s = scenario_from_dict({"kind": "rwa", "builder": {"n_pairs": 2},
    ...     "events": [{"op": "add", "users": ["u1", "u9"]}]})
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: events[0].users = 'u9': names an unknown user
    """
    check_keys(data, {"kind", "name", "network", "builder", "physics", "n_cap", "objective", "events"})
    if "network" in data:
        net = network_from_dict(data["network"])
    else:
        b = dict(data.get("builder", {}))
        check_keys(b, {"first", "forwarding", "n_pairs", "users_per_device", "fibre_km", "case"}, "builder.")
        net = network_from_dict(dser_network(**b))
    physics = dict(data.get("physics", {}))
    check_keys(physics, _PHYSICS, "physics.")
    users, active, events = set(net.users), set(), []
    for i, ev in enumerate(require(data, "events")):
        check_keys(ev, {"t", "op", "users", "qos"}, f"events[{i}].")
        op = require(ev, "op", f"events[{i}].")
        if op not in ("add", "delete"):
            raise ScenarioError(f"events[{i}].op", op, "must be 'add' or 'delete'")
        pair = require(ev, "users", f"events[{i}].")
        if not isinstance(pair, list) or len(pair) != 2 or pair[0] == pair[1]:
            raise ScenarioError(f"events[{i}].users", pair, "must be two distinct user names")
        for u in pair:
            if u not in users:
                raise ScenarioError(f"events[{i}].users", u, "names an unknown user")
        key = tuple(pair)
        if op == "add":
            if key in active:
                raise ScenarioError(f"events[{i}].users", pair, "connection already active")
            active.add(key)
        else:
            if key not in active:
                raise ScenarioError(f"events[{i}].users", pair, "delete of an inactive connection")
            active.discard(key)
        events.append(dict(ev))
    n_cap = data.get("n_cap")
    if n_cap is not None and (not isinstance(n_cap, int) or n_cap < 1):
        raise ScenarioError("n_cap", n_cap, "must be an integer >= 1")
    objective = data.get("objective", "total")
    if objective not in OBJECTIVES:
        raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))
    return RWAScenario(data.get("name", "rwa"), net, events, physics, n_cap, objective)


def _phys(s):
    return dict(s.physics)


def _alloc_json(alloc):
    return [{"users": list(u), "channel_pairs": [[k, o] for k, o in a["pairs"]],
             "key_rate": a["key_rate"],
             "path_a": [list(h) for h in a["hops_a"]], "path_b": [list(h) for h in a["hops_b"]]}
            for u, a in alloc.items()]


def jain(values) -> float:
    """Jain's fairness index (1 for equal values; 0 when all are 0).

    Examples
    --------
    >>> jain([1, 1, 1]), round(jain([1, 0]), 2)
    (1.0, 0.5)
    """
    x = np.asarray(values, float)
    s2 = float((x ** 2).sum())
    return float(x.sum() ** 2 / (len(x) * s2)) if s2 > 0 else 0.0


def solve_json(scenario: RWAScenario, options: dict) -> dict:
    """ILP optimum on the requests active after the last event."""
    reqs = scenario.active_requests()
    model = RWAModel(scenario.net, reqs, n_cap=scenario.n_cap, physics=_phys(scenario))
    sol = model.solve(time_limit=options.get("time_limit"), objective=scenario.objective)
    out = sol.to_dict() if hasattr(sol, "to_dict") else {"status": str(sol.status)}
    out.pop("values", None)
    out["build_seconds"] = model.build_seconds
    out["requests"] = [list(r) for r in reqs]
    if sol.objective is not None:
        rates = sol.values["key_rates"]
        out["served"] = sol.values["served"]
        out["objective_kind"] = scenario.objective
        out["total_key_rate"] = float(sum(rates.values()))
        out["jain"] = jain([rates.get(r, 0.0) for r in reqs]) if reqs else 0.0
        out["allocation"] = [{"users": list(u), "channel_pairs": [[k, o] for k, o in po],
                              "key_rate": rates[u], "path_a": [list(h) for h in pa[0]],
                              "path_b": [list(h) for h in pb[0]]}
                             for u, (pa, pb, po) in sol.values["allocation"].items()]
    return out


def simulate_json(scenario: RWAScenario, policy: str, options: dict) -> dict:
    """Online DSER/FRFS replay: final allocation and per-event metrics."""
    if policy not in POLICIES:
        raise ScenarioError("policy", policy, f"must be one of {list(POLICIES)}")
    t0 = time.perf_counter()
    router, trace = run_events(scenario.net, scenario.events, policy, _phys(scenario), scenario.n_cap)
    alloc = router.allocation()
    reqs = scenario.active_requests()
    return {"status": "ok", "policy": policy, "seconds": time.perf_counter() - t0,
            "served": len(alloc), "total_key_rate": sum(a["key_rate"] for a in alloc.values()),
            "jain": jain([alloc[r]["key_rate"] if r in alloc else 0.0 for r in reqs]) if reqs else 0.0,
            "allocation": _alloc_json(alloc),
            "flow_tables": {d: [list(r) for r in t] for d, t in router.flow_tables().items()},
            "events": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in rec.items()
                        if k in ("index", "t", "event", "users", "case", "reason", "served",
                                 "total_key_rate")} for rec in trace]}


# -- built-in instances -----------------------------------------------------------------------

def random_events(n_requests=6, n_users=8, seed=0, delete_prob=0.3) -> list:
    """Seeded add/delete sequence over users ``u1..u{n_users}`` (distinct pairs).

    Examples
    --------
    >>> len(random_events(4, seed=1)) >= 4
    True
    """
    rng = random.Random(seed)
    active, events, t = [], [], 0
    while sum(e["op"] == "add" for e in events) < n_requests:
        if active and rng.random() < delete_prob:
            u = active.pop(rng.randrange(len(active)))
            events.append({"t": t, "op": "delete", "users": list(u)})
        else:
            a, b = rng.sample(range(1, n_users + 1), 2)
            u = (f"u{min(a, b)}", f"u{max(a, b)}")
            if u in active:
                continue
            active.append(u)
            events.append({"t": t, "op": "add", "users": list(u), "qos": rng.choice([0.0, 5e4, 2e5])})
        t += 1
    return events


def _seq_a():  # stand-in for the paper's request sequence 1: adds then deletes and re-adds
    return [{"t": 0, "op": "add", "users": ["u1", "u3"], "qos": 1e5},
            {"t": 1, "op": "add", "users": ["u5", "u7"], "qos": 2e5},
            {"t": 2, "op": "add", "users": ["u2", "u6"], "qos": 5e4},
            {"t": 3, "op": "add", "users": ["u4", "u8"], "qos": 1e5},
            {"t": 4, "op": "delete", "users": ["u1", "u3"]},
            {"t": 5, "op": "add", "users": ["u2", "u4"], "qos": 1e5}]


def _seq_b():  # stand-in for sequence 2: eight user pairs on all users
    pairs = [("u1", "u2"), ("u3", "u4"), ("u5", "u6"), ("u7", "u8"),
             ("u1", "u5"), ("u2", "u6"), ("u3", "u7"), ("u4", "u8")]
    return [{"t": i, "op": "add", "users": list(p), "qos": 1e5} for i, p in enumerate(pairs)]


def bench_instances(seeds=range(5)) -> list:
    """The paper's five Table-2 networks with both request sequences, and seeded random ones."""
    out = []
    for case in sorted(DSER_CASES):
        for tag, ev in (("seq1", _seq_a()), ("seq2", _seq_b())):
            out.append(scenario_from_dict({"kind": "rwa", "name": f"dser-case{case}-{tag}",
                                           "builder": {"case": case, "n_pairs": 20}, "events": ev}))
    for s in seeds:
        out.append(scenario_from_dict({"kind": "rwa", "name": f"random-WSS-WSS-s{s}",
                                       "builder": {"first": "WSS", "forwarding": "WSS", "n_pairs": 8},
                                       "events": random_events(8, 8, seed=s)}))
    return out


def bench_rows(options: dict) -> list:
    """Rows for methods optimum, dser and frfs on every built-in instance."""
    rows = []
    for sc in bench_instances(range(int(options.get("seeds", 5)))):
        opt = solve_json(sc, {"time_limit": options.get("time_limit", 60)})
        opt_obj = opt.get("total_key_rate")
        rows.append(bench_row("rwa", sc.name, "optimum", opt["status"], objective=opt_obj,
                              bound=opt.get("bound"), gap_to_optimum=0.0 if opt_obj is not None else None,
                              seconds=opt.get("seconds"), served=opt.get("served"),
                              total_key_rate=opt_obj, jain=opt.get("jain"),
                              build_seconds=opt.get("build_seconds")))
        for pol in POLICIES:
            on = simulate_json(sc, pol, {})
            rows.append(bench_row("rwa", sc.name, pol, "ok", objective=on["total_key_rate"],
                                  gap_to_optimum=None if opt_obj is None else opt_obj - on["total_key_rate"],
                                  seconds=on["seconds"], served=on["served"],
                                  total_key_rate=on["total_key_rate"], jain=on["jain"]))
    return rows


def _sweep_dser(first: str = "WSS", forwarding: str = "OS", n_pairs: int = 8, requests: int = 6,
                seed: int = 0) -> dict:
    return {"kind": "rwa", "name": f"sweep-{first}-{forwarding}-s{seed}",
            "builder": {"first": first, "forwarding": forwarding, "n_pairs": n_pairs},
            "events": random_events(requests, 8, seed=seed)}


SWEEP_BUILDERS = {"dser": _sweep_dser}
