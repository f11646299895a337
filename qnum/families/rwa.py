"""The routing-and-wavelength (rwa) family plug-in: the RWA ILP optimum, DSER/FRFS and your own router.

A scenario (:class:`qnum.networks.rwa.RWAScenario`, ``kind = "rwa"``) is an optical
network, a sequence of add/delete request events and the key-rate physics.

- ``qnum.solve`` runs the lexicographic ILP (:class:`qnum.models.rwa.RWAModel`) on the
  requests active after the last event: most requests served, then the scenario's
  ``objective`` (``total`` key rate, ``proportional`` Σ ln rate, ``maxmin`` min rate) over
  the served ones. ``auto`` / ``all-paths`` is certified over every path of the network with
  key rates computed exactly from the allocated channel pairs
  (:mod:`qnum.solvers.rwa.allpaths`); ``k-paths`` is the labelled heuristic over the
  ``k_paths`` lowest-loss candidate paths per user (no bound).
- ``qnum.simulate`` replays the events online (time axis ``event``, times 1..E): DSER
  (Tell-PS + FRFQoS), FRFS, or your own router.
- ``qnum.compare`` compares the stage-2 value (the scenario's objective) of the online
  allocation after each event with the optimum's; ``served`` is reported beside it (in
  ``final``, the records and the JSON). The optimum serves the most requests first, so an
  online run serving fewer requests can show a *higher* key rate: a negative gap.

**Your own router** (:data:`POLICY_PROTOCOL`): at every event ``decide(observation)``
receives an :class:`RWAObservation` and returns the complete allocation of the active
requests after that event; qnum validates it (paths, channel pairs, locks, cap) and
computes the key rates. A worked example ships as :mod:`qnum.examples.rwa_policy`.

>>> import qnum
>>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
>>> def keep_and_add_one_pair(obs):
...     alloc = dict(obs.allocation)          # keep what is allocated
...     if obs.op == "add":
...         (hops_a, loss_a), = obs.candidate_paths(obs.users[0], k=1)
...         (hops_b, loss_b), = obs.candidate_paths(obs.users[1], k=1)
...         for k in obs.free_channel_pairs():
...             trial = {**alloc, obs.users: {"path_a": hops_a, "path_b": hops_b, "channel_pairs": [(k, 0)]}}
...             if not obs.problems(trial):
...                 alloc = trial
...                 break
...     return alloc
>>> tr = qnum.simulate(sc, keep_and_add_one_pair)
>>> tr.time_axis, len(tr), tr.feasible, tr.final["served"] >= 1
('event', 6, True, True)
>>> rep = qnum.compare(tr, qnum.solve(sc))
>>> bool(rep.final_gap > 0)
True
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from qnum.errors import PolicyError
from qnum.networks.optical import DSER_CASES, OpticalNetwork, dser_mesh_network
from qnum.networks.rwa import RWAScenario, dser_sequence, random_events
from qnum.options import Method, Option, Policy, check_simulate_options
from qnum.solution import Solution, Status
from qnum.solvers.rwa.milp import DEFAULT_SOLVER, EXPORT_OPTION, SOLVER_OPTION
from qnum.trace import Trace

KIND = "rwa"
DESCRIPTION = ("Routing and wavelength (channel-pair) assignment for entanglement distribution in optical "
               "networks: DSER (Tell-PS + FRFQoS) and FRFS online against the lexicographic RWA ILP")
SCENARIO_TYPE = RWAScenario
TIME_AXIS = "event"

OBJECTIVE = ("Lexicographic: the most requests served among those active after the last event, then the "
             "scenario's objective over the served requests' key rates (bit/s): 'total' = Σ rate, "
             "'proportional' = Σ ln rate, 'maxmin' = min rate. The scalar compared by qnum.compare is that "
             "stage-2 value (served is reported beside it; an online run serving fewer requests can show a "
             "negative gap). The all-paths optimum and its bound hold over every path of the network; every key "
             "rate is that of the returned allocation (allocation_key_rate).")

_K_PATHS = Option("k_paths", "int", "candidate paths per user kept by the k-paths heuristic", default=3, minimum=1)
_ALL_PATHS = ("lexicographic optimum over every path of the network (qnum.solvers.rwa.allpaths: arc formulation "
              "with channel indices, Pyomo + a MIP solver, HiGHS by default; key rates of the allocated channel "
              "pairs enumerated exactly, paths listed lazily until the bound is met; at most n_cap channel pairs "
              "per request, by default the optimal channel count at the lowest path loss, qnum's reading); "
              "tol = the solver's relative "
              "MIP gap and the stopping gap, time_limit = seconds for all solves; solver = a Pyomo solver name, "
              "export = write the models to a .mps / .lp file")

METHODS = {
    "auto": Method("picks all-paths: " + _ALL_PATHS, honours=("tol", "time_limit"), certified=True,
                   solver_options=(SOLVER_OPTION, EXPORT_OPTION)),
    "all-paths": Method(_ALL_PATHS, honours=("tol", "time_limit"), certified=True,
                        solver_options=(SOLVER_OPTION, EXPORT_OPTION)),
    "k-paths": Method("heuristic: the path-formulation ILP over the k_paths lowest-loss candidate paths per user "
                      "(Pyomo, HiGHS by default), rated by the table of each path's mean loss; the returned allocation "
                      "is re-rated exactly and no bound is reported (it proves nothing for the whole network)",
                      honours=("tol", "time_limit"), certified=False,
                      solver_options=(_K_PATHS, SOLVER_OPTION, EXPORT_OPTION)),
}

POLICIES = {
    "dser": Policy("DSER (the DSER paper): Tell-PS lowest-loss paths settled per (port, channel), the second "
                   "user's path searched with the first locked, FRFQoS with its four cases as written "
                   "(satisfaction = the optimal channel count, partial, competition = one pair from the latest "
                   "request with a surplus, infeasible), a QoS queue ordered by request timetag and "
                   "reconfiguration on deletes (unestablished requests first, then upgrades); qnum's choices "
                   "where the text is silent are listed in qnum.solvers.rwa.dser"),
    "frfs": Policy("FRFS (Li et al. 2022, as the DSER paper describes it): first request first service, "
                   "lowest-loss path, a single preset channel pair per request, no queue"),
    "frfs-multichannel": Policy("qnum's greedy variant of FRFS: lowest-loss path, the first free channel pairs up "
                                "to the optimal count (or n_cap), no queue"),
}

SIMULATE_OPTIONS = {
    "qos_demand": Option("qos_demand", "bool", "qnum's extension of DSER: treat each request's qos (bit/s) as "
                         "its demand (satisfaction = the fewest pairs meeting it, surplus = pairs beyond it)",
                         default=False, applies_to=("dser",)),
}

POLICY_PROTOCOL = """\
An rwa policy routes requests event by event. qnum calls ``reset(setup)`` once (an
RWASetup: network, n_cap, physics, objective — no future events), then, for each event
i = 1..E in order, ``decide(observation)`` with an RWAObservation holding only what a
controller with a network map knows at that event:

  event, t, op ("add" | "delete"), users (a, b), qos (bit/s demand; 0 for a delete),
  network (read-only OpticalNetwork), allocation (qnum's current allocation, a copy;
  on a delete the leaving request is already removed and its resources released),
  active (requests active after this event, in arrival order), demands {users: qos},
  n_cap, physics, objective, and helpers candidate_paths(user, k=3) -> [(hops,
  loss_dB per offset)], free_channel_pairs() -> channel pairs k not booked,
  problems(allocation) -> violations as text (empty when valid), key_rate(users, entry).

It returns the complete allocation of the active requests after this event:
``{(a, b): {"path_a": [(device, in_port, out_port), ...], "path_b": [...],
"channel_pairs": [(k, o), ...]}}`` (o = 0 gives +k to a and -k to b, o = 1 the
reverse). Requests left out are unserved; existing ones may be reconfigured. qnum
checks that every key is an active request, the hops are port paths from the source to
that user, channel pairs exist, are booked once and pass both paths, no TDM port or WDM
(port, offset) is taken twice, and n_cap holds; otherwise PolicyError("event i",
resource, problem). qnum computes the key rates (allocation_key_rate).
"""


@dataclass(frozen=True)
class RWASetup:
    """What a router knows before the first event: the network and the model's parameters."""

    network: OpticalNetwork
    n_cap: int | None
    physics: dict
    objective: str


@dataclass(frozen=True)
class RWAObservation:
    """What a router knows at one event (see :data:`POLICY_PROTOCOL`).

    ``allocation`` and ``demands`` are copies: the policy may change them and return them.
    """

    event: int
    t: float
    op: str
    users: tuple
    qos: float
    network: OpticalNetwork
    allocation: dict
    active: tuple
    demands: dict
    n_cap: int | None
    physics: dict = field(repr=False)
    objective: str = "total"

    def candidate_paths(self, user: str, k: int = 3) -> list:
        """Up to ``k`` lowest-loss port paths source → ``user``: ``[(hops, loss_dB), ...]``,
        ``loss_dB`` a dict offset → dB (inf where the offset cannot pass). Ignores locks."""
        from qnum.models.rwa import candidate_paths

        return candidate_paths(self.network, user, k)

    def free_channel_pairs(self) -> list:
        """Channel pairs ``k`` (1..n_pairs) not booked by the current allocation."""
        used = {k for entry in self.allocation.values() for k, _ in entry["channel_pairs"]}
        return [k for k in range(1, self.network.n_pairs + 1) if k not in used]

    def problems(self, allocation: dict) -> list:
        """Violations of a proposed allocation as text (qnum's own check; empty when valid)."""
        from qnum.models.rwa import validate_allocation

        return validate_allocation(self.network, allocation, self.n_cap)

    def key_rate(self, users, entry: dict) -> float:
        """Key rate (bit/s) qnum computes for one request's allocation entry."""
        from qnum.models.rwa import allocation_key_rate

        return allocation_key_rate(self.network, tuple(users), entry, **self.physics)


# ----------------------------------------------------------------------------- solve
def solve(scenario: RWAScenario, method: str = "auto", *, tol: float | None = None,
          time_limit: float | None = None, k_paths: int = 3, solver: str = DEFAULT_SOLVER,
          export: str | None = None) -> Solution:
    """Lexicographic RWA optimum on the requests active after the last event.

    ``auto`` and ``all-paths`` run :func:`qnum.solvers.rwa.allpaths.solve_all_paths` (a bound
    over every path); ``k-paths`` runs :class:`qnum.models.rwa.RWAModel` over ``k_paths``
    candidate paths per user, a labelled heuristic (status ``feasible``, no bound).
    ``values``: ``key_rates`` {(a, b): bit/s} (every active request, 0 when unserved, computed
    by :func:`qnum.models.rwa.allocation_key_rate` from the allocation), ``allocation``
    {(a, b): {"path_a", "path_b", "channel_pairs"}} and ``served``. ``solver`` is a Pyomo MIP
    solver name (an installed one: :func:`qnum.solvers.rwa.milp.check_solver`); ``export`` a
    path ending .mps or .lp where the stage-1 model is written (the stage-2 model beside it as
    NAME.stage2.EXT) before it is solved.

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> sol = solve(sc)
    >>> str(sol.status), sol.values["served"], sol.family
    ('optimal', 3, 'rwa')
    >>> heuristic = solve(sc, "k-paths", k_paths=1)
    >>> str(heuristic.status), heuristic.bound, heuristic.values["served"] <= sol.values["served"]
    ('feasible', None, True)
    """
    if method == "k-paths":
        from qnum.models.rwa import RWAModel, candidate_paths_note
        from qnum.solvers.rwa.milp import check_export, check_solver

        check_solver(solver)   # before the model is built
        if export is not None:
            check_export(export)
        sol = RWAModel(scenario, k_paths=k_paths).solve(tol=tol, time_limit=time_limit, solver=solver, export=export)
        if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
            sol.status, sol.termination = Status.FEASIBLE, "no_bound"
        sol.bound = None
        # the model's own note ("optimum over the candidate paths") gives way to what the family reports
        extra = sol.message.removeprefix(candidate_paths_note(k_paths))
        sol.message = f"heuristic over the {k_paths} lowest-loss candidate paths per user; no bound" + extra
        sol.solver = f"k-paths ({solver}, k_paths={k_paths})"
    else:
        from qnum.solvers.rwa.allpaths import solve_all_paths

        sol = solve_all_paths(scenario.net, scenario.active_requests(), n_cap=scenario.n_cap,
                              physics=dict(scenario.physics), objective=scenario.objective, tol=tol,
                              time_limit=time_limit, solver=solver, export=export)
        sol.solver = f"all-paths ({solver})"
    sol.family = KIND
    return sol


# -------------------------------------------------------------------------- simulate
def simulate(scenario: RWAScenario, policy, **options) -> Trace:
    """Replay the scenario's events with a built-in router (:data:`POLICIES`) or your own.

    ``qos_demand=True`` (dser only) switches on qnum's bit/s demand extension of DSER.

    Returns a Trace over events 1..E: ``objective[t]`` is the scenario's stage-2 objective
    of the allocation after event t, ``states["key_rates"]`` the key rates of the requests
    active after the last event (``point_key``), ``states["served"]`` the served count;
    ``final`` holds ``key_rates``, ``allocation`` and ``served``; ``feasible`` is the
    independent validation of the final allocation (:func:`qnum.models.rwa.validate_allocation`),
    ``violation`` its number of violations.

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> tr = simulate(sc, "dser")
    >>> tr.times.tolist(), tr.feasible, [r["case"] for r in tr.records][:2]
    ([1, 2, 3, 4, 5, 6], True, ['satisfaction', 'competition'])
    """
    builtin = isinstance(policy, str)
    options = check_simulate_options(KIND, SIMULATE_OPTIONS, policy if builtin else policy.name, builtin, options)
    t0 = time.perf_counter()
    if isinstance(policy, str):
        name, steps = policy, _run_builtin(scenario, policy, bool(options.get("qos_demand", False)))
    else:
        name, steps = policy.name, _run_user(scenario, policy)
    return _trace(scenario, name, steps, time.perf_counter() - t0)


def _run_builtin(scenario, policy, qos_demand=False):
    from qnum.solvers.rwa.dser import run_events

    _, records = run_events(scenario.net, scenario.events, policy, dict(scenario.physics), scenario.n_cap,
                            qos_demand)
    steps = []
    for ev, rec in zip(scenario.events, records):
        alloc = {u: {"path_a": list(a["hops_a"]), "path_b": list(a["hops_b"]), "channel_pairs": list(a["pairs"])}
                 for u, a in rec["allocation"].items()}
        extra = {"case": rec.get("case"), "reason": rec.get("reason")}
        if "reconfigured" in rec:
            extra["reconfigured"] = list(rec["reconfigured"])
        steps.append((ev, alloc, extra))
    return steps


def _run_user(scenario, policy):
    net, physics = scenario.net, dict(scenario.physics)
    policy.reset(RWASetup(net, scenario.n_cap, physics, scenario.objective))
    alloc, active, demands, steps = {}, [], {}, []
    for i, ev in enumerate(scenario.events, start=1):
        users = ev["users"]
        if ev["op"] == "add":
            active.append(users)
            demands[users] = ev["qos"]
        else:
            active.remove(users)
            demands.pop(users)
            alloc.pop(users, None)
        obs = RWAObservation(i, ev["t"], ev["op"], users, ev["qos"], net, copy.deepcopy(alloc), tuple(active),
                             dict(demands), scenario.n_cap, dict(physics), scenario.objective)
        alloc = _checked_decision(net, policy.decide(obs), active, scenario.n_cap, f"event {i}")
        steps.append((ev, alloc, {"case": None, "reason": None}))
    return steps


_ENTRY_KEYS = {"path_a", "path_b", "channel_pairs"}


def _checked_decision(net, decision, active, n_cap, step) -> dict:
    """A user's allocation normalized (tuples, ints) and validated, or a PolicyError naming step and resource."""
    from qnum.models.rwa import allocation_problems

    if not isinstance(decision, dict):
        raise PolicyError(step, type(decision).__name__, "the decision must be a dict {(user_a, user_b): "
                          "{\"path_a\": hops, \"path_b\": hops, \"channel_pairs\": [(k, o), ...]}}")
    out = {}
    for key, entry in decision.items():
        users = tuple(key) if isinstance(key, (tuple, list)) else key
        if users not in active:
            raise PolicyError(step, key, f"is not an active request (active: {', '.join(map(str, active)) or 'none'})")
        if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
            raise PolicyError(step, users, "its allocation must be a dict with exactly the keys path_a, path_b, "
                              "channel_pairs")
        norm = {}
        for side in ("path_a", "path_b"):
            norm[side] = _hops(net, entry[side], step, f"{side} of {users}")
        pairs = entry["channel_pairs"]
        if not isinstance(pairs, (list, tuple)) or not pairs:
            raise PolicyError(step, users, "channel_pairs must be a non-empty list of (k, o); leave the request "
                              "out to leave it unserved")
        norm_pairs = []
        for pair in pairs:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and _is_int(pair[0]) and _is_int(pair[1])):
                raise PolicyError(step, pair, f"a channel pair of {users} must be (k, o) with integers k and o")
            k, o = int(pair[0]), int(pair[1])
            if not 1 <= k <= net.n_pairs or o not in (0, 1):
                raise PolicyError(step, f"channel pair {(k, o)}", f"does not exist (k in 1..{net.n_pairs}, o in 0, 1)"
                                  f" for {users}")
            norm_pairs.append((k, o))
        norm["channel_pairs"] = norm_pairs
        out[users] = norm
    problems = allocation_problems(net, out, n_cap)
    if problems:
        users, resource, reason = problems[0]
        raise PolicyError(step, resource, f"{reason} (request {users})")
    return out


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _hops(net, hops, step, what) -> list:
    if not isinstance(hops, (list, tuple)) or not hops:
        raise PolicyError(step, what, "must be a non-empty list of (device, in_port, out_port)")
    out = []
    for hop in hops:
        if not (isinstance(hop, (list, tuple)) and len(hop) == 3 and isinstance(hop[0], str)
                and _is_int(hop[1]) and _is_int(hop[2])):
            raise PolicyError(step, hop, f"a hop of {what} must be (device, in_port, out_port)")
        if hop[0] not in net.devices:
            raise PolicyError(step, hop[0], f"is not a device of the network ({what})")
        out.append((hop[0], int(hop[1]), int(hop[2])))
    return out


def _trace(scenario, name, steps, seconds) -> Trace:
    from qnum.models.rwa import allocation_key_rate, allocation_problems, objective_value

    net, physics, cap = scenario.net, dict(scenario.physics), scenario.n_cap
    labels = scenario.active_requests()
    column = {u: j for j, u in enumerate(labels)}
    rates_hist = np.zeros((len(steps), len(labels)))
    objective, served, violations, records = [], [], [], []
    for i, (ev, alloc, extra) in enumerate(steps):
        rates = {u: allocation_key_rate(net, u, e, **physics) for u, e in alloc.items()}
        for u, r in rates.items():
            if u in column:
                rates_hist[i, column[u]] = r
        value = objective_value(scenario.objective, rates.values())
        problems = allocation_problems(net, alloc, cap)
        objective.append(value)
        served.append(len(alloc))
        violations.append(float(len(problems)))
        records.append({"index": i + 1, "t": ev["t"], "op": ev["op"], "users": ev["users"], **extra,
                        "served": len(alloc), "objective": value,
                        "channel_pairs": {u: list(e["channel_pairs"]) for u, e in alloc.items()}})
    final_alloc = steps[-1][1] if steps else {}
    problems = allocation_problems(net, final_alloc, cap)
    final_rates = {u: float(rates_hist[-1, j]) if steps else 0.0 for u, j in column.items()}
    final = {"key_rates": final_rates, "allocation": final_alloc, "served": len(final_alloc)}
    message = "; ".join(f"{r}: {res}: {why}" for r, res, why in problems)
    if not steps:   # no event: a one-point trace of the empty allocation
        return Trace(KIND, name, TIME_AXIS, [0], [objective_value(scenario.objective, [])], final,
                     point_key="key_rates", feasible=True, violation=0.0, seconds=seconds,
                     info={"objective_kind": scenario.objective})
    return Trace(KIND, name, TIME_AXIS, times=np.arange(1, len(steps) + 1), objective=objective, final=final,
                 states={"key_rates": rates_hist, "served": np.array(served, float)},
                 labels={"key_rates": labels}, point_key="key_rates", feasible=not problems,
                 violation=float(len(problems)), violations=violations, records=records,
                 info={"objective_kind": scenario.objective}, seconds=seconds, message=message)


# ------------------------------------------------------------------------------ JSON
def jain(values) -> float:
    """Jain's fairness index (1 for equal values; 0 when all are 0).

    Examples
    --------
    >>> jain([1, 1, 1]), round(jain([1, 0]), 2)
    (1.0, 0.5)
    """
    x = np.asarray(list(values), float)
    s2 = float((x ** 2).sum())
    return float(x.sum() ** 2 / (len(x) * s2)) if s2 > 0 else 0.0


def _point_json(key_rates: dict, allocation: dict) -> dict:
    return {"served": len(allocation), "total_key_rate": float(sum(key_rates[u] for u in allocation)),
            "jain": jain(key_rates.values()),
            "key_rates": [{"users": list(u), "key_rate": float(r)} for u, r in key_rates.items()],
            "allocation": [{"users": list(u), "key_rate": float(key_rates.get(u, 0.0)),
                            "channel_pairs": [[k, o] for k, o in e["channel_pairs"]],
                            "path_a": [list(h) for h in e["path_a"]], "path_b": [list(h) for h in e["path_b"]]}
                           for u, e in allocation.items()]}


def solution_json(scenario: RWAScenario, sol: Solution) -> dict:
    """``sol.to_dict()`` plus ``objective_kind``, ``requests``, ``served``, ``total_key_rate``,
    ``jain``, ``key_rates`` and ``allocation`` as plain JSON.

    Examples
    --------
    >>> import json, qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> out = solution_json(sc, qnum.solve(sc))
    >>> out["served"], out["objective"] == out["total_key_rate"], bool(json.dumps(out))
    (3, True, True)
    """
    out = sol.to_dict()
    out["objective_kind"] = scenario.objective
    out["requests"] = [list(r) for r in scenario.active_requests()]
    values = sol.values
    out.update(_point_json(values.get("key_rates", {}), values.get("allocation", {})))
    if "served_bound" in values:
        out["served_bound"] = values["served_bound"]
    return out


def trace_json(scenario: RWAScenario, tr: Trace) -> dict:
    """``tr.to_dict()`` plus the final point (``served``, ``total_key_rate``, ``jain``,
    ``key_rates``, ``allocation``), the flow tables and one record per event, as plain JSON.

    Examples
    --------
    >>> import json, qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> out = trace_json(sc, qnum.simulate(sc, "frfs"))
    >>> len(out["events"]), out["events"][0]["users"], bool(json.dumps(out))
    (6, ['u1', 'u3'], True)
    """
    out = tr.to_dict()
    out["objective_kind"] = scenario.objective
    out.update(_point_json(tr.final["key_rates"], tr.final["allocation"]))
    out["flow_tables"] = flow_tables(tr.final["allocation"])
    out["events"] = [_plain(rec) for rec in tr.records]
    return out


def flow_tables(allocation: dict) -> dict:
    """Entanglement flow table per device: sorted rules ``[in_port, out_port, offset]``.

    Examples
    --------
    >>> flow_tables({("u1", "u3"): {"path_a": [("mux", 0, 1)], "path_b": [("mux", 0, 2)],
    ...                              "channel_pairs": [(1, 0)]}})
    {'mux': [[0, 1, 1], [0, 2, -1]]}
    """
    tables = {}
    for entry in allocation.values():
        for hops, sign in ((entry["path_a"], 1), (entry["path_b"], -1)):
            for k, o in entry["channel_pairs"]:
                off = sign * (k if o == 0 else -k)
                for dev, i, port in hops:
                    tables.setdefault(dev, set()).add((i, port, off))
    return {d: [list(r) for r in sorted(t)] for d, t in tables.items()}


def _plain(x):
    """Tuples to lists, tuple-keyed dicts to "a-b" keys, non-finite floats to None."""
    if isinstance(x, dict):
        return {("-".join(map(str, k)) if isinstance(k, tuple) else k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# ----------------------------------------------------------------------------- bench
def bench_instances() -> dict:
    """The DSER paper's five Table-2 networks with both request sequences, two seeded random
    instances (WSS + WSS, 8 channel pairs), and the meshed Table-2 structure
    (:func:`~qnum.networks.optical.dser_mesh_network`, OS) with the four requests of sequence 1
    in two orders: DSER routes u1-u3 through its own switches in ``mesh-OS-order1`` and
    around the ring in ``mesh-OS-order2`` (Tell-PS paths change with request order).

    Examples
    --------
    >>> sorted(bench_instances())[:2]
    ['dser-case1-seq1', 'dser-case1-seq2']
    """
    out = {}
    for case in sorted(DSER_CASES):
        for which in (1, 2):
            name = f"dser-case{case}-seq{which}"
            out[name] = RWAScenario.from_dict({"kind": "rwa", "name": name, "builder": {"case": case, "n_pairs": 20},
                                               "events": dser_sequence(which)})
    for seed in range(2):
        name = f"random-WSS-WSS-s{seed}"
        out[name] = RWAScenario.from_dict({"kind": "rwa", "name": name,
                                           "builder": {"first": "WSS", "forwarding": "WSS", "n_pairs": 8},
                                           "events": random_events(8, 8, seed=seed)})
    adds = [ev for ev in dser_sequence(1) if ev["op"] == "add"][:4]
    for name, order in (("mesh-OS-order1", adds), ("mesh-OS-order2", [adds[2], adds[0], adds[1], adds[3]])):
        out[name] = RWAScenario.from_dict({"kind": "rwa", "name": name, "network": dser_mesh_network("OS", n_pairs=8),
                                           "events": [dict(ev, t=i) for i, ev in enumerate(order)]})
    return out


BENCH_METHODS: tuple = ()
BENCH_POLICIES = ("dser", "frfs")


def BENCH_SIMULATE_OPTIONS(slots, seed) -> dict:  # noqa: N802 - a name of the plug-in protocol
    """No simulate option applies to rwa (the events are in the scenario)."""
    return {}


def validate_point(scenario: RWAScenario, point: dict) -> tuple:
    """Independent check of a labelled point (a Solution's ``values`` or a Trace's ``final``).

    Returns ``(objective, problems)``: the stage-2 objective recomputed from key rates that are
    themselves recomputed from the allocation (paths walked through the network, CW BBM92 at
    the mean loss of the offsets carried), and every violation: requests that are not active,
    the lock rules replayed by :func:`qnum.models.rwa.allocation_problems` (port paths, channel
    pairs booked once and passing both paths, TDM/WDM locks, the channel cap), key rates that
    differ from the recomputed ones.

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> sol = qnum.solve(sc)
    >>> objective, problems = validate_point(sc, sol.values)
    >>> problems, bool(abs(objective - sol.objective) <= 1e-9 * sol.objective)
    ([], True)
    """
    from qnum.models.rwa import allocation_key_rate, allocation_problems, objective_value

    allocation = point["allocation"]
    active = set(scenario.active_requests())
    problems = [f"{users}: not an active request" for users in allocation if tuple(users) not in active]
    problems += [f"{r}: {resource}: {reason}" for r, resource, reason in
                 allocation_problems(scenario.net, allocation, scenario.n_cap)]
    rates = {}
    for users, entry in allocation.items():
        rates[users] = allocation_key_rate(scenario.net, users, entry, **dict(scenario.physics))
        reported = point["key_rates"].get(users)
        if reported is None or not math.isclose(reported, rates[users], rel_tol=1e-9, abs_tol=1e-9):
            problems.append(f"{users}: key rate {reported} reported, {rates[users]:.10g} recomputed")
    served = [r for r in rates.values()]
    return objective_value(scenario.objective, served), problems


def bench_metrics(scenario: RWAScenario, result) -> dict:
    """``served`` (connections), ``total_key_rate`` (bit/s), ``channel_pairs`` (held in all) and
    ``jain`` of a Solution's or a Trace's final allocation: with the ``dser`` and ``frfs`` rows
    of each ``dser-case*`` instance, the structure of the DSER paper's Table 3 (connections and
    key rate per case, DSER against Li et al.'s FRFS).

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> m = bench_metrics(sc, qnum.simulate(sc, "frfs"))
    >>> sorted(m), m["channel_pairs"] == m["served"]      # FRFS: one preset pair per connection
    (['channel_pairs', 'jain', 'served', 'total_key_rate'], True)
    """
    point = result.final if isinstance(result, Trace) else result.values
    rates, alloc = point.get("key_rates", {}), point.get("allocation", {})
    return {"served": len(alloc), "total_key_rate": float(sum(rates[u] for u in alloc)),
            "channel_pairs": sum(len(e["channel_pairs"]) for e in alloc.values()), "jain": jain(rates.values())}


def _sweep_dser(first: str = "WSS", forwarding: str = "OS", n_pairs: int = 8, requests: int = 6,
                seed: int = 0) -> dict:
    """Sweep builder: a DSER-style network with a seeded random request sequence (scenario dict)."""
    return {"kind": "rwa", "name": f"sweep-{first}-{forwarding}-s{seed}",
            "builder": {"first": first, "forwarding": forwarding, "n_pairs": n_pairs},
            "events": random_events(requests, 8, seed=seed)}


SWEEP_BUILDERS = {"dser": _sweep_dser}

#: the shipped worked example of a user router
EXAMPLE_POLICY = "qnum.examples.rwa_policy:FirstFitRouter"
