"""The trusted-relay (MQCE) family's plug-in: optimum networks, baseline designs, the user's own design.

A scenario (:class:`~qnum.networks.relay.RelayScenario`, file form in
:mod:`qnum.networks.relay`) gives N users, their link capacitances C (bits/use, PLOB bound
of the fiber), the probability p that a trusted relay is malicious and the trade-off α.
A pair (i, j) routed on a path with k intermediate trusted relays has efficiency

    E_ij = (1 − α)·C(path) + α·k·log(1 − p),     C(path) = smallest link capacitance,

and the **objective** is the mean of E_ij over the unordered pairs i < j. The optimum
(``qnum.solve``) routes every pair on its best path — the Maximum Quantum-Capacitance
Efficiency network of the paper; both methods are exact.

Online / baseline designs (``qnum.simulate``; time axis ``design``, one-point traces) are
scored with the same functional: ``fully-connected`` (every pair on its direct link, the
paper's comparison), ``mst`` (the maximum-capacitance spanning tree) and ``widest-path``
(every pair on a maximum-bottleneck path with the fewest links), or the user's own design.

**Your own design** (:data:`POLICY_PROTOCOL`): ``decide(observation)`` is called once with a
:class:`DesignObservation` — the static setup a network planner knows: ``nodes``, the
read-only ``capacitance`` matrix (``-inf`` = no fiber), ``p_malicious``, ``alpha``,
``hop_penalty`` = α·log(1 − p), ``coordinates_km`` (or None), the usable ``links`` and the
``pairs``; ``reset(setup)``, if defined, gets the same object first. It returns either

* a **network**: a list of links ``(i, j)``; every pair then uses its optimal path within
  that network (qnum's exact solver on the capacitance matrix masked to those links), or
* **routes**: a dict ``{(i, j): [i, ..., j]}``, one path per pair (either direction);
  pairs left out are not connected.

A link that is not in the fiber graph, a node out of range, or a path that repeats a node
or does not join its pair raises :class:`~qnum.errors.PolicyError` ``design = <link or
pair>: <what broke>``. A design that leaves pairs unconnected is not an error: the trace is
infeasible, ``violation`` = the number of unconnected pairs, their efficiency and the
objective are ``-inf``.

Examples
--------
>>> import qnum
>>> from qnum.networks.relay import random_square
>>> sc = random_square(12, 5.0, seed=3)
>>> def ring(obs):                                   # a ring through the users in index order
...     n = obs.nodes
...     return [(i, (i + 1) % n) for i in range(n)]
>>> tr = qnum.simulate(sc, ring)
>>> tr.feasible, len(tr.final["edges"])
(True, 12)
>>> rep = qnum.compare(tr, qnum.solve(sc))
>>> bool(rep.final_gap >= 0)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.errors import PolicyError
from qnum.networks.relay import RelayScenario, random_square
from qnum.options import Method, Policy
from qnum.solution import Solution, Status
from qnum.trace import Trace

KIND = "mqce"
DESCRIPTION = ("trusted-relay QKD networks: the Maximum Quantum-Capacitance Efficiency network trading path "
               "capacitance against the number of trusted relays (Cirigliano et al., MQCE paper)")
SCENARIO_TYPE = RelayScenario
OBJECTIVE = ("mean over unordered pairs i < j of the efficiency E_ij = (1 - alpha) * C(path_ij) + alpha * k_ij * "
             "log(1 - p) of the pair's path (C = its smallest link capacitance in bits/use, k = its intermediate "
             "trusted relays, natural log); -inf when a design leaves a pair unconnected")
TIME_AXIS = "design"

METHODS = {
    "auto": Method("the fast exact method (pruned DP); exact, so any tol is met; a time limit stops between chunks "
                   "of source rows (pairs not reached take their maximum-spanning-tree path, bound (1 - alpha) * "
                   "largest bottleneck)"),
    "fast": Method("pruned hop-indexed dynamic program, compiled with numba (qnum's); exact, so any tol is met; a "
                   "time limit stops between chunks of source rows (pairs not reached take their "
                   "maximum-spanning-tree path, bound (1 - alpha) * largest bottleneck)"),
    "pollack": Method("the paper's modified Pollack max-min iteration (numpy); exact, so any tol is met; a time "
                      "limit stops between levels (bound per pair: the best of its level paths or (1 - alpha) * "
                      "largest bottleneck + alpha * (levels + 1) * log(1 - p))"),
}

POLICIES = {
    "fully-connected": Policy("every pair on its direct link: the fully connected network the MQCE paper compares "
                              "against (Fig. 3(b)); pairs without a fiber link stay unconnected"),
    "mst": Policy("qnum's baseline: the maximum-capacitance spanning tree, every pair on its tree path"),
    "widest-path": Policy("qnum's baseline: every pair on a maximum-bottleneck (widest) path, the fewest links "
                          "among those"),
}

#: designs take no options
SIMULATE_OPTIONS: dict = {}

#: the shipped worked example of a user design
EXAMPLE_POLICY = "qnum.examples.mqce_policy:NearestNeighbourDesign"

POLICY_PROTOCOL = """\
MQCE design policy (time axis "design": decide is called once).
reset(setup) [optional] and decide(observation) receive a DesignObservation (qnum.families.mqce):
  nodes, capacitance (N x N read-only, bits/use, -inf = no fiber), p_malicious, alpha,
  hop_penalty = alpha * log(1 - p), coordinates_km (N x 2 or None), links [(i, j) usable], pairs [(i, j), i < j].
decide returns either a network: a list of links (i, j) -- every pair then takes its optimal path within it --
or routes: a dict {(i, j): [i, ..., j]} with one simple path per pair (pairs left out stay unconnected).
A link outside the fiber graph, a bad node or a path that repeats a node or misses its pair raises
PolicyError("design", <link or pair>, <what broke>). Unconnected pairs make the trace infeasible
(violation = their number; their efficiency and the objective are -inf)."""


@dataclass(frozen=True, eq=False)
class DesignObservation:
    """What a design policy knows: the static setup of the scenario (module docstring).

    Examples
    --------
    >>> obs = DesignObservation.of(random_square(3, 1.0, seed=0))
    >>> obs.nodes, obs.links, obs.capacitance.flags.writeable
    (3, [(0, 1), (0, 2), (1, 2)], False)
    """

    nodes: int
    capacitance: np.ndarray
    p_malicious: float
    alpha: float
    hop_penalty: float
    coordinates_km: np.ndarray | None
    links: list
    pairs: list

    @classmethod
    def of(cls, scenario) -> DesignObservation:
        """The observation of a scenario."""
        C = scenario.capacitance
        links = [(i, j) for i, j in scenario.pairs if np.isfinite(C[i, j])]
        return cls(scenario.nodes, C, scenario.p_malicious, scenario.alpha, scenario.hop_penalty,
                   scenario.coordinates_km, links, scenario.pairs)


# -- solve ----------------------------------------------------------------------------------

def solve(scenario, method, *, tol=None, time_limit=None) -> Solution:
    """Exact MQCE optimum as a :class:`~qnum.solution.Solution` (bound = objective when exact).

    Parameters
    ----------
    scenario : RelayScenario
    method : {"auto", "fast", "pollack"}
    tol : float, optional
        Met by construction (both methods are exact); accepted for uniformity.
    time_limit : float, optional
        Seconds (see :data:`METHODS`); on expiry the status is ``time_limit`` and the bound
        is the mean of the per-pair bounds.

    Examples
    --------
    >>> sc = random_square(6, 4.0, seed=1)
    >>> sol = solve(sc, "fast")
    >>> str(sol.status), sol.termination, sol.bound == sol.objective
    ('optimal', 'converged', True)
    >>> sorted(sol.values["efficiency"])[:2]
    [(0, 1), (0, 2)]
    >>> solve(sc, "pollack").objective == sol.objective
    True
    """
    if method in ("auto", "fast"):
        from qnum.solvers.mqce.fast import solve_fast

        r = solve_fast(scenario, time_limit=time_limit)
        name = "fast" if method == "fast" else "auto (fast)"
    else:
        from qnum.solvers.mqce.pollack import solve_pollack

        r = solve_pollack(scenario, time_limit=time_limit)
        name = "pollack"
    from qnum.solvers.mqce.observables import observables

    n = scenario.nodes
    iu = np.triu_indices(n, 1)
    objective = float(np.mean(r.efficiency[iu]))
    pairs = scenario.pairs
    obs = observables(r)
    values = {"efficiency": dict(zip(pairs, r.efficiency[iu].tolist())),
              "capacitance": dict(zip(pairs, r.capacitance[iu].tolist())),
              "hops": dict(zip(pairs, r.hops[iu].astype(int).tolist())),
              "edges": list(r.edges), "avg_capacitance": obs["avg_capacitance"], "avg_hops": obs["avg_hops"],
              "min_capacitance": obs["min_capacitance"], "link_density": obs["link_density"],
              "degree_counts": obs["degree_counts"], "betweenness": dict(enumerate(obs["betweenness"])),
              "levels": r.levels}
    open_pairs = 0 if r.upper is None else int(np.sum(r.upper[iu] > r.efficiency[iu]))
    if open_pairs == 0:
        return Solution(Status.OPTIMAL, objective, objective, values, name, r.seconds,
                        f"exact: every pair's optimal path ({r.levels} levels)", family=KIND, termination="converged")
    bound = float(np.mean(r.upper[iu]))
    return Solution(Status.TIME_LIMIT, objective, bound, values, name, r.seconds,
                    f"time limit: {open_pairs} of {len(pairs)} pairs not proven optimal (their point is the better of "
                    f"what was found and the maximum-spanning-tree path)", family=KIND, termination="time_limit")


# -- simulate (designs) ---------------------------------------------------------------------

def simulate(scenario, policy) -> Trace:
    """Score a design (a built-in baseline or the user's policy) with the optimum's functional.

    Returns a one-point :class:`~qnum.trace.Trace` (time axis ``design``): ``objective`` =
    mean efficiency over pairs, ``states["efficiency"]`` one column per pair, ``final``
    labelled like the Solution (``efficiency``, ``capacitance``, ``hops``, ``edges``).

    Examples
    --------
    >>> sc = random_square(8, 5.0, seed=2)
    >>> [round(simulate(sc, p).final_objective, 4) <= round(solve(sc, "fast").objective, 4)
    ...  for p in ("fully-connected", "mst", "widest-path")]
    [True, True, True]
    """
    from qnum.solvers.mqce import baselines, spanning

    t0 = time.perf_counter()
    C = scenario.capacitance
    args = (C, scenario.alpha, scenario.hop_penalty)
    if isinstance(policy, str):
        name = policy
        if policy == "fully-connected":
            kind, design = "routes", baselines.direct_paths(C)
        elif policy == "mst":
            kind, design = "network", spanning.max_spanning_tree(C)
        else:
            kind, design = "routes", baselines.widest_paths(C)
    else:
        name = policy.name
        obs = DesignObservation.of(scenario)
        policy.reset(obs)
        kind, design = _check_design(scenario, policy.decide(obs))
    if kind == "network":
        eff, cap, hops, used = baselines.evaluate_network(*args, design)
        edges = list(design)
    else:
        eff, cap, hops, used = baselines.evaluate_paths(*args, design)
        edges = used
    return _trace(scenario, name, kind, eff, cap, hops, edges, len(used), time.perf_counter() - t0)


def _trace(scenario, name, kind, eff, cap, hops, edges, used, seconds) -> Trace:
    pairs = scenario.pairs
    iu = np.triu_indices(scenario.nodes, 1)
    e, c, h = eff[iu], cap[iu], hops[iu]
    connected = np.isfinite(e)
    lost = int(np.sum(~connected))
    objective = float(np.mean(e)) if lost == 0 else -math.inf
    final = {"efficiency": dict(zip(pairs, e.tolist())), "capacitance": dict(zip(pairs, c.tolist())),
             "hops": dict(zip(pairs, h.astype(int).tolist())), "edges": list(edges),
             "avg_capacitance": float(np.mean(c[connected])) if connected.any() else math.nan,
             "avg_hops": float(np.mean(h[connected])) if connected.any() else math.nan}
    message = f"{kind} design with {len(edges)} links ({used} used by the pairs' paths)"
    if lost:
        message += f"; {lost} of {len(pairs)} pairs unconnected (efficiency -inf)"
    return Trace(KIND, name, TIME_AXIS, times=[1], objective=[objective], final=final,
                 states={"efficiency": e[None, :]}, labels={"efficiency": list(pairs)}, point_key="efficiency",
                 feasible=lost == 0, violation=float(lost), violations=[lost],
                 info={"design": kind, "links": len(edges), "links_used": used}, seconds=seconds, message=message)


def _node(scenario, v, what):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or not 0 <= v < scenario.nodes:
        raise PolicyError("design", what, f"nodes must be integers in [0, {scenario.nodes})")
    return int(v)


def _link(scenario, a, b, what):
    if a == b:
        raise PolicyError("design", what, f"link ({a}, {b}) joins a node to itself")
    if not np.isfinite(scenario.capacitance[a, b]):
        raise PolicyError("design", what, f"({a}, {b}) is not a link of the fiber graph")
    return (min(a, b), max(a, b))


def _pair_of(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(value)
    return None


def _check_design(scenario, decision):
    """("network", links) or ("routes", {pair: path}); PolicyError naming the offending link or pair."""
    if isinstance(decision, dict):
        routes = {}
        for key, path in decision.items():
            pair = _pair_of(key)
            if pair is None:
                raise PolicyError("design", key, "route keys must be user pairs (i, j)")
            i, j = (_node(scenario, v, key) for v in pair)
            if i == j:
                raise PolicyError("design", key, "a pair joins two different users")
            label = (min(i, j), max(i, j))
            if label in routes:
                raise PolicyError("design", label, "pair routed twice")
            if isinstance(path, np.ndarray):
                path = path.tolist()
            if not isinstance(path, (list, tuple)) or len(path) < 2:
                raise PolicyError("design", label, "a route must be a list of nodes [i, ..., j]")
            nodes = [_node(scenario, v, label) for v in path]
            if {nodes[0], nodes[-1]} != {i, j}:
                raise PolicyError("design", label, f"path {nodes} does not join users {i} and {j}")
            if len(set(nodes)) != len(nodes):
                raise PolicyError("design", label, f"path {nodes} visits a node twice")
            for a, b in zip(nodes, nodes[1:]):
                _link(scenario, a, b, label)
            routes[label] = nodes
        return "routes", routes
    if isinstance(decision, np.ndarray):
        decision = decision.tolist()
    if not isinstance(decision, (list, tuple, set, frozenset)):
        raise PolicyError("design", type(decision).__name__, "a design must be a list of links (i, j) or a dict "
                          "{(i, j): path}")
    links = set()
    for edge in decision:
        pair = _pair_of(edge)
        if pair is None:
            raise PolicyError("design", edge, "a link must be a pair (i, j)")
        a, b = (_node(scenario, v, edge) for v in pair)
        links.add(_link(scenario, a, b, edge))
    return "network", sorted(links)


# -- JSON -----------------------------------------------------------------------------------

def _matrix(scenario, per_pair, diagonal=0):
    """N x N plain list of a per-pair dict (symmetric, non-finite as None)."""
    n = scenario.nodes
    m = [[diagonal] * n for _ in range(n)]
    for (i, j), v in per_pair.items():
        v = v if not isinstance(v, float) or math.isfinite(v) else None
        m[i][j] = m[j][i] = v
    return m


def _json_point(scenario, values) -> dict:
    out = {key: _matrix(scenario, values[key]) for key in ("efficiency", "capacitance", "hops")}
    out["edges"] = [list(e) for e in values["edges"]]
    for key in ("avg_capacitance", "avg_hops"):
        out[key] = values[key] if math.isfinite(values[key]) else None
    return out


def solution_json(scenario, solution) -> dict:
    """``qnum solve --json``: the summary plus N x N matrices ``efficiency`` / ``capacitance`` /
    ``hops`` (row i, column j = pair (i, j)), ``edges``, averages and observables.

    Examples
    --------
    >>> sc = random_square(4, 3.0, seed=0)
    >>> out = solution_json(sc, solve(sc, "fast"))
    >>> out["status"], len(out["efficiency"]), out["betweenness"] == [out["betweenness"][i] for i in range(4)]
    ('optimal', 4, True)
    """
    out = solution.to_dict()
    out.update(alpha=scenario.alpha, p_malicious=scenario.p_malicious)
    if solution.values:
        v = solution.values
        out.update(_json_point(scenario, v))
        out.update(min_capacitance=v["min_capacitance"], link_density=v["link_density"],
                   degree_counts=v["degree_counts"], betweenness=[v["betweenness"][i] for i in range(scenario.nodes)],
                   levels=v["levels"])
    return out


def trace_json(scenario, trace) -> dict:
    """``qnum simulate --json``: the summary plus the design's matrices, ``edges`` and averages.

    Examples
    --------
    >>> sc = random_square(4, 3.0, seed=0)
    >>> out = trace_json(sc, simulate(sc, "mst"))
    >>> out["policy"], len(out["edges"])
    ('mst', 3)
    """
    out = trace.to_dict()
    out.update(_json_point(scenario, trace.final))
    out["unconnected_pairs"] = int(trace.violation or 0)
    return out


# -- bench ----------------------------------------------------------------------------------

def bench_instances() -> dict:
    """Built-in instances: seeded squares (L = 10 λ0, p = 0.1, α = 0.5).

    The compiled kernels are loaded (or compiled, on first use after install) on a tiny
    instance first, so timed solves measure the solve, not numba's one-off start-up.
    """
    from qnum.solvers.mqce.fast import solve_fast

    solve_fast(random_square(3, 1.0, 1.0, 0.1, 0.5, seed=0))
    out = {}
    for n in (50, 100):
        sc = random_square(n, 10.0, 1.0, 0.1, 0.5, seed=1)
        out[sc.name] = sc
    return out


BENCH_METHODS = ("pollack",)
BENCH_POLICIES = ("fully-connected", "mst", "widest-path")


def BENCH_SIMULATE_OPTIONS(slots, seed) -> dict:  # noqa: N802 - the protocol's name
    """Designs take no simulate options."""
    return {}


def validate_point(scenario, point: dict) -> tuple:
    """Independent check of a labelled point (a Solution's ``values`` or a Trace's ``final``).

    Returns ``(objective, problems)``: the mean efficiency recomputed pair by pair from the
    reported capacitance and hops, E = (1 − α)·C + α·(hops − 1)·log(1 − p), and every
    violation: an efficiency that differs from that, a network link that is not a fiber link,
    a pair whose (C, hops) no path of the returned network achieves (a breadth-first search over
    the network's links with capacitance ≥ C must reach the pair within ``hops`` links).

    Examples
    --------
    >>> sc = random_square(8, 4.0, seed=2)
    >>> sol = solve(sc, "fast")
    >>> objective, problems = validate_point(sc, sol.values)
    >>> problems, objective == sol.objective
    ([], True)
    """
    C = scenario.capacitance
    n = scenario.nodes
    problems = []
    links = [tuple(e) for e in point["edges"]]
    adjacency = {v: [] for v in range(n)}
    for a, b in links:
        if not (0 <= a < n and 0 <= b < n) or a == b or not np.isfinite(C[a, b]):
            problems.append(f"edge {(a, b)}: not a fiber link")
            continue
        adjacency[a].append(b)
        adjacency[b].append(a)
    effs = []
    for i, j in scenario.pairs:
        e, c, h = point["efficiency"][(i, j)], point["capacitance"][(i, j)], point["hops"][(i, j)]
        effs.append(e)
        if not math.isfinite(e):
            continue
        expected = (1 - scenario.alpha) * c + scenario.hop_penalty * (h - 1)
        if not math.isclose(e, expected, rel_tol=1e-12, abs_tol=1e-12):
            problems.append(f"pair {(i, j)}: efficiency {e!r} but capacitance and hops give {expected!r}")
        if _hops_within(adjacency, C, i, j, c) > h:
            problems.append(f"pair {(i, j)}: no path of the network reaches capacitance {c!r} in {h} links")
    return float(np.mean(effs)), problems


def _hops_within(adjacency, C, i, j, threshold) -> float:
    """Fewest links from i to j over links of capacitance >= threshold (inf when unreachable)."""
    seen, frontier, depth = {i}, [i], 0
    while frontier:
        if j in seen:
            return depth
        depth += 1
        nxt = []
        for u in frontier:
            for v in adjacency[u]:
                if v not in seen and C[u, v] >= threshold:
                    seen.add(v)
                    nxt.append(v)
        frontier = nxt
    return depth if j in seen else math.inf


def bench_metrics(scenario, result) -> dict:
    """Extra bench columns: average capacitance, average hops, links of the network.

    Examples
    --------
    >>> sc = random_square(5, 3.0, seed=0)
    >>> sorted(bench_metrics(sc, solve(sc, "fast")))
    ['avg_capacitance', 'avg_hops', 'edges']
    """
    point = result.values if isinstance(result, Solution) else result.final
    if not point:
        return {}
    return {"avg_capacitance": point["avg_capacitance"], "avg_hops": point["avg_hops"], "edges": len(point["edges"])}


# -- sweeps ---------------------------------------------------------------------------------

def _sweep_square(nodes: int = 30, side_km: float = 10.0, decay_length_km: float = 1.0, p_malicious: float = 0.1,
                  alpha: float = 0.5, seed: int = 0) -> dict:
    """Sweep builder: users uniform in a square, in the scenario-file form.

    Examples
    --------
    >>> d = _sweep_square(nodes=4, seed=1)
    >>> d["kind"], len(d["coordinates"])
    ('mqce', 4)
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, side_km, size=(int(nodes), 2))
    return {"kind": KIND, "coordinates": xy.tolist(), "decay_length_km": decay_length_km,
            "p_malicious": p_malicious, "alpha": alpha}


#: Builders the sweep engine can name in ``base.builder``.
SWEEP_BUILDERS = {"square": _sweep_square}
