"""Certified RWA optimum over *all* paths: arc formulation with channel indices, exact key rates.

Each side of each request is routed as a unit flow over the network's crossconnect arcs
``(device, in_port, out_port)`` (flow conservation on (device, port) vertices, every device
entered at most once), so every simple port path of the network is a feasible route and the
lock rules of :mod:`qnum.networks.optical` are modelled exactly: a channel pair ``k`` booked
once at the source, a TDM port holding one crossconnect (shared by every path using that
same crossconnect), a WDM (port, offset) carrying one path, an offset allowed on an arc only
where the device passes it, at most ``n_cap`` channel pairs per request.

**Exact key rates.** A request's key rate is :func:`qnum.models.rwa.allocation_key_rate` of its
allocation: CW BBM92 with ``n`` channel pairs at each path's mean loss over the offsets it
carries. It is nonlinear in the path pair and in the channel set, so qnum models it by
enumeration, lazily:

- each user's simple paths are listed in increasing order of their lowest per-offset loss;
  the first ``K_u`` are *listed*, and a binary per side says which listed path the routed
  flow is (all its arcs selected) or that it is none of them (the *tail*);
- for each pair of choices (listed or tail on each side) the offsets are grouped into loss
  classes ``(loss_a, loss_b)`` and every vector of per-class channel counts (1 ≤ total ≤
  ``n_cap``) is one binary with its exact rate: for listed pairs this is exactly
  ``allocation_key_rate``; for the tail, every unlisted path's loss on every offset is at
  least ``L_u`` (the lowest loss of path ``K_u + 1``), and the key rate is non-increasing
  in each party's loss (the transmission, dead-time-saturated or not, is monotone in the
  loss; true coincidences fall with it and the accidental-to-true ratio, hence the QBER,
  rises), so the tail's rate at ``L_u`` over-estimates every unlisted path's.

So the model is a relaxation of the whole problem: its MIP bound is a bound over all paths.
The returned point is the routed flow read back (every path traced from the source) and
re-rated by ``allocation_key_rate``; it is feasible as is. When the re-derived objective
meets the bound (within ``tol``) the answer is certified optimal; otherwise every user
whose tail was used gets twice as many listed paths and the model is solved again (a user
with all paths listed has no tail, where the model is exact). The served count (stage 1)
needs no key rate and is exact from the first solve.

The bound is reported as the solver's MIP bound plus its feasibility tolerance (1e-9 where
qnum can set it) times the objective scale and request count (qnum's safety margin, so a
point that the solver's tolerances cut off cannot beat it), and never below the returned
objective.

Solver options: ``solver`` (a Pyomo MIP solver name, default ``appsi_highs``; checked before
the model is built, :mod:`qnum.solvers.rwa.milp`) and ``export`` (a path ending .mps or .lp:
the stage-1 model is written there and the last stage-2 model beside it as NAME.stage2.EXT;
the solve still runs). Progress is logged at INFO on this module's logger (model size, each
stage's objective, bound and seconds).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from qnum.errors import LimitError, ScenarioError
from qnum.models.rwa import allocation_key_rate, candidate_paths, checked_requests, default_n_cap, objective_value
from qnum.networks.rwa import OBJECTIVES
from qnum.physics.bbm92_cw import cw_key_rate_channels
from qnum.solution import Solution, Status
from qnum.solvers.rwa.milp import DEFAULT_SOLVER, FEAS_TOL, check_export, check_solver, export_model, mip_solve

log = logging.getLogger(__name__)

__all__ = ["AllPathsModel", "FEAS_TOL", "solve_all_paths"]
#: the most channel-count combinations one request's choices may enumerate
MAX_COMBOS = 200_000


def _arcs(net):
    """Crossconnect arcs ``(dev, pin, pout)`` with their head vertex (next device, its port)."""
    arcs = {}
    for name, d in net.devices.items():
        if d.type in ("USER", "EPS"):
            continue
        for pin in range(d.ports):
            if (name, pin) not in net.links:
                continue
            for pout in range(d.ports):
                nxt = net.links.get((name, pout))
                if pout == pin or nxt is None or not np.isfinite(d.loss_dB[pin, pout, :]).any():
                    continue
                if net.devices[nxt[0]].type == "EPS":
                    continue
                arcs[(name, pin, pout)] = (nxt[0], nxt[1])
    return arcs


def _classes(la: dict, lb: dict, n_pairs: int):
    """Offsets grouped by (loss_a, loss_b): {(la, lb): [(k, o), ...]} over finite pairs."""
    out = {}
    for k in range(1, n_pairs + 1):
        for o in (0, 1):
            oa = k if o == 0 else -k
            a, b = la[oa], lb[-oa]
            if np.isfinite(a) and np.isfinite(b):
                out.setdefault((a, b), []).append((k, o))
    return out


def _combos(classes: dict, cap: int):
    """Every vector of per-class channel counts with 1 <= total <= cap (a pair k counted once)."""
    keys = list(classes)
    limits = [min(cap, len({k for k, _ in classes[c]})) for c in keys]
    out = []
    prefix = []

    def extend(i, total):
        # depth first in itertools.product's order, never past cap (a product over many one-pair classes
        # would walk 2^classes vectors to keep a few hundred)
        if i == len(limits):
            if total >= 1:
                out.append(tuple(prefix))
                if len(out) > MAX_COMBOS:
                    raise LimitError("n_cap", cap, f"more than {MAX_COMBOS} per-class channel-count combinations "
                                     "for one request (too many distinct channel losses): lower n_cap")
            return
        for m in range(min(limits[i], cap - total) + 1):
            prefix.append(m)
            extend(i + 1, total + m)
            prefix.pop()

    extend(0, 0)
    return keys, out


def _combo_rate(keys, counts, physics):
    n = sum(counts)
    la = sum(c * key[0] for c, key in zip(counts, keys)) / n
    lb = sum(c * key[1] for c, key in zip(counts, keys)) / n
    return float(cw_key_rate_channels(n, la, lb, **physics))


class AllPathsModel:
    """The relaxation described in the module docstring, for one listing of paths.

    Parameters
    ----------
    net : OpticalNetwork
    requests : list of (user_a, user_b)
    paths : dict
        user -> every simple path ``(hops, loss_dB)`` sorted by lowest loss.
    listed : dict
        user -> how many of its paths are listed (the rest form its tail).
    n_cap : int
    physics : dict
    served_min : int, optional
        Constraint ``served >= served_min`` (stage 2).
    with_rates : bool
        False builds routing and channels only (enough for stage 1, the served count).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> paths = {u: candidate_paths(net, u, 10**9) for u in ("u1", "u3")}
    >>> m = AllPathsModel(net, [("u1", "u3")], paths, {"u1": 1, "u3": 1}, 2, {})
    >>> m.model.find_component("pair_once") is not None
    True
    """

    def __init__(self, net, requests, paths, listed, n_cap, physics, served_min=None, with_rates=True):
        import pyomo.environ as pyo

        self.net, self.requests, self.paths, self.listed = net, requests, paths, listed
        self.n_cap, self.physics = n_cap, physics
        m = self.model = pyo.ConcreteModel("rwa_allpaths")
        arcs = self.arcs = _arcs(net)
        K, R = net.n_pairs, range(len(requests))
        first = net.links.get((net.source, 0))
        self.start = None if first is None else (first[0], first[1])
        RS = [(r, s) for r in R for s in (0, 1)]
        # arcs a side may use: not into a user other than its own
        self.side_arcs = {}
        for r, s in RS:
            u = requests[r][s]
            self.side_arcs[(r, s)] = [a for a, h in arcs.items()
                                      if net.devices[h[0]].type != "USER" or h[0] == u]
        m.X = pyo.Set(initialize=[(r, s) + a for r, s in RS for a in self.side_arcs[(r, s)]], dimen=5)
        m.x = pyo.Var(m.X, domain=pyo.Binary)
        m.s = pyo.Var(list(R), domain=pyo.Binary)
        m.W = pyo.Set(initialize=[(r, k, o) for r in R for k in range(1, K + 1) for o in (0, 1)], dimen=3)
        m.w = pyo.Var(m.W, domain=pyo.Binary)
        m.cons = pyo.ConstraintList()
        add = m.cons.add

        def g(r, s, off):   # offset ``off`` carried by side s of request r
            o = (0 if off > 0 else 1) if s == 0 else (1 if off > 0 else 0)
            return m.w[r, abs(off), o]

        # ---- routing: flow conservation on (device, port) vertices, a device entered once
        for r, s in RS:
            u = requests[r][s]
            into, out = {}, {}
            for a in self.side_arcs[(r, s)]:
                into.setdefault(arcs[a], []).append(m.x[(r, s) + a])
                out.setdefault((a[0], a[1]), []).append(m.x[(r, s) + a])
            if self.start is not None:
                into.setdefault(self.start, []).append(m.s[r])
            vertices = set(into) | set(out)
            target = [v for v in vertices if v[0] == u]
            if not target:
                add(m.s[r] == 0)
                continue
            add(sum(sum(into.get(v, [])) for v in target) == m.s[r])
            per_device = {}
            for v in vertices:
                if v[0] == u:
                    continue
                if net.devices[v[0]].type in ("USER", "EPS"):
                    for e in into.get(v, []):
                        add(e == 0)
                    continue
                add(sum(out.get(v, [])) == sum(into.get(v, [])))
                per_device.setdefault(v[0], []).extend(into.get(v, []))
            for terms in per_device.values():
                if len(terms) > 1:
                    add(sum(terms) <= 1)
        # ---- channel pairs
        m.pair_once = pyo.Constraint(list(range(1, K + 1)), rule=lambda m, k: sum(
            m.w[r, k, o] for r in R for o in (0, 1)) <= 1)
        for r in R:
            n_r = sum(m.w[r, k, o] for k in range(1, K + 1) for o in (0, 1))
            add(n_r >= m.s[r])
            add(n_r <= n_cap * m.s[r])
        # ---- an offset only on arcs that pass it
        for r, s in RS:
            for a in self.side_arcs[(r, s)]:
                vec = net.devices[a[0]].loss_dB[a[1], a[2], :]
                for c, off in enumerate(net.offsets):
                    if not np.isfinite(vec[c]):
                        add(m.x[(r, s) + a] + g(r, s, off) <= 1)
        # ---- locks
        wdm_use, tdm_use = {}, {}
        for r, s in RS:
            for a in self.side_arcs[(r, s)]:
                d = net.devices[a[0]]
                for p in (a[1], a[2]):
                    if d.mux == "WDM":
                        wdm_use.setdefault((a[0], p), {}).setdefault((r, s), []).append(m.x[(r, s) + a])
                    elif d.mux == "TDM":
                        tdm_use.setdefault((a[0], p), {}).setdefault((a[1], a[2]), []).append(m.x[(r, s) + a])
        m.U = pyo.Set(initialize=[(dev, p, r, s, off) for (dev, p), users in wdm_use.items() if len(users) > 1
                                  for (r, s) in users for off in net.offsets], dimen=5)
        m.u = pyo.Var(m.U, bounds=(0, 1))
        for (dev, p), users in wdm_use.items():
            if len(users) < 2:
                continue
            for off in net.offsets:
                for (r, s), terms in users.items():
                    add(m.u[dev, p, r, s, off] >= sum(terms) + g(r, s, off) - 1)
                add(sum(m.u[dev, p, r, s, off] for (r, s) in users) <= 1)
        m.V = pyo.Set(initialize=[(dev, p) + xc for (dev, p), xcs in tdm_use.items() if len(xcs) > 1
                                  for xc in xcs], dimen=4)
        m.v = pyo.Var(m.V, domain=pyo.Binary)
        for (dev, p), xcs in tdm_use.items():
            if len(xcs) < 2:
                continue
            add(sum(m.v[dev, p, a, b] for (a, b) in xcs) <= 1)
            for (a, b), terms in xcs.items():
                for e in terms:
                    add(e <= m.v[dev, p, a, b])
        self.choices, self.rate_of, self.count_index = {}, {}, []
        if with_rates:
            # ---- which listed path (or the tail) each side is, the path pair, the channel counts
            y, cvars = {}, {}
            for r, s in RS:
                u = requests[r][s]
                opts = list(range(listed[u])) + (["T"] if listed[u] < len(paths[u]) else [])
                self.choices[(r, s)] = opts
                for i in opts:
                    y[(r, s, i)] = None
            m.Y = pyo.Set(initialize=list(y), dimen=3)
            m.y = pyo.Var(m.Y, domain=pyo.Binary)
            for r, s in RS:
                u = requests[r][s]
                add(sum(m.y[r, s, i] for i in self.choices[(r, s)]) == m.s[r])
                for i in self.choices[(r, s)]:
                    if i == "T":
                        continue
                    for a in paths[u][i][0]:
                        add(m.y[r, s, i] <= m.x[(r, s) + tuple(a)])
            pairs = [(r, i, j) for r in R for i in self.choices[(r, 0)] for j in self.choices[(r, 1)]]
            m.P = pyo.Set(initialize=pairs, dimen=3)
            m.pp = pyo.Var(m.P, domain=pyo.Binary)
            for r in R:
                for i in self.choices[(r, 0)]:
                    add(sum(m.pp[r, i, j] for j in self.choices[(r, 1)]) == m.y[r, 0, i])
                for j in self.choices[(r, 1)]:
                    add(sum(m.pp[r, i, j] for i in self.choices[(r, 0)]) == m.y[r, 1, j])
            count_index, self._by_pair, self._class_links = [], {}, {}
            for r, i, j in pairs:
                la, lb = self._loss(r, 0, i), self._loss(r, 1, j)
                classes = _classes(la, lb, K)
                keys, combos = _combos(classes, n_cap)
                for q, counts in enumerate(combos):
                    cvars[(r, i, j, q)] = (keys, counts)
                    self.rate_of[(r, i, j, q)] = _combo_rate(keys, counts, physics)
                    count_index.append((r, i, j, q))
                self._link_classes(r, i, j, classes, keys, combos)
            self.combos = cvars
            m.Q = pyo.Set(initialize=count_index, dimen=4)
            m.c = pyo.Var(m.Q, domain=pyo.Binary)
            for r, i, j in pairs:
                add(sum(m.c[r, i, j, q] for q in self._by_pair[(r, i, j)]) == m.pp[r, i, j])
                for _key, members, lhs_terms in self._class_links.get((r, i, j), []):
                    held = sum(m.w[r, k, o] for k, o in members)
                    used = sum(n * m.c[r, i, j, q] for q, n in lhs_terms)
                    add(held - used <= K * (1 - m.pp[r, i, j]))
                    add(used - held <= K * (1 - m.pp[r, i, j]))
            for r in R:
                add(sum(sum(self.combos[x][1]) * m.c[x] for x in count_index if x[0] == r)
                    == sum(m.w[r, k, o] for k in range(1, K + 1) for o in (0, 1)))
            self.count_index = count_index
        self.scale = max(list(self.rate_of.values()) + [1.0])
        m.served = pyo.Expression(expr=sum(m.s[r] for r in R))
        if served_min is not None:
            add(m.served >= served_min)

    def _loss(self, r, s, i):
        u = self.requests[r][s]
        if i == "T":
            low = min(self.paths[u][self.listed[u]][1].values())
            return {off: low for off in self.net.offsets}
        return self.paths[u][i][1]

    def _link_classes(self, r, i, j, classes, keys, combos):
        self._by_pair[(r, i, j)] = list(range(len(combos)))
        links = []
        for ci, key in enumerate(keys):
            links.append((key, classes[key], [(q, counts[ci]) for q, counts in enumerate(combos) if counts[ci]]))
        self._class_links[(r, i, j)] = links

    # ------------------------------------------------------------------ objectives
    def objective(self, kind):
        """Activate stage 1 (``"served"``) or a stage-2 objective; returns its unit."""
        import pyomo.environ as pyo

        m = self.model
        if m.find_component("obj") is not None:
            m.del_component("obj")
        if kind == "served":
            m.obj = pyo.Objective(expr=m.served, sense=pyo.maximize)
            return 1.0
        rate = self.rate_of
        if kind == "total":
            m.obj = pyo.Objective(expr=sum(rate[x] / self.scale * m.c[x] for x in self.count_index),
                                  sense=pyo.maximize)
            return self.scale
        if kind == "proportional":
            logs = {x: math.log(v) for x, v in rate.items() if v > 0}
            for x, v in rate.items():
                if v <= 0:
                    m.c[x].fix(0)
            unit = max([abs(v) for v in logs.values()] + [1.0])
            m.obj = pyo.Objective(expr=sum(v / unit * m.c[x] for x, v in logs.items()), sense=pyo.maximize)
            return unit
        if kind == "maxmin":
            m.t_min = pyo.Var(bounds=(0.0, 1.0))
            m.min_rate = pyo.Constraint(list(range(len(self.requests))), rule=lambda m, r: m.t_min <= sum(
                rate[x] / self.scale * m.c[x] for x in self.count_index if x[0] == r) + (1 - m.s[r]))
            m.obj = pyo.Objective(expr=m.t_min, sense=pyo.maximize)
            return self.scale
        raise ScenarioError("objective", kind, "must be one of " + ", ".join(OBJECTIVES))

    # ------------------------------------------------------------------ read back
    def read_point(self):
        """The routed flows traced from the source as a labelled allocation, and the users
        whose tail was chosen."""
        import pyomo.environ as pyo

        m, net = self.model, self.net
        alloc, tails = {}, set()
        for r, (a, b) in enumerate(self.requests):
            if pyo.value(m.s[r]) < 0.5:
                continue
            entry = {}
            for s, u in ((0, a), (1, b)):
                if "T" in self.choices.get((r, s), ()) and pyo.value(m.y[r, s, "T"]) > 0.5:
                    tails.add(u)
                chosen = {(x[2], x[3]): x[2:] for x in self.side_arcs_used(r, s)}
                hops, here = [], self.start
                while here[0] != u:
                    hop = chosen[here]
                    hops.append(hop)
                    here = self.arcs[hop]
                entry["path_" + "ab"[s]] = hops
            entry["channel_pairs"] = sorted((k, o) for k in range(1, net.n_pairs + 1) for o in (0, 1)
                                            if pyo.value(m.w[r, k, o]) > 0.5)
            alloc[(a, b)] = entry
        return alloc, tails

    def side_arcs_used(self, r, s):
        import pyomo.environ as pyo

        m = self.model
        return [(r, s) + a for a in self.side_arcs[(r, s)] if pyo.value(m.x[(r, s) + a]) > 0.5]


def solve_all_paths(net, requests, *, n_cap=None, physics=None, objective="total", tol=None,
                    time_limit=None, first_listed=2, solver=DEFAULT_SOLVER, export=None) -> Solution:
    """Lexicographic optimum over all paths: max served, then ``objective`` (module docstring).

    Returns a Solution (family-neutral) whose ``values`` are ``key_rates`` (every request, 0
    when unserved, recomputed by ``allocation_key_rate``), ``allocation``, ``served`` and
    ``listed_paths`` {user: paths listed when it stopped}; ``objective`` is re-derived from
    the allocation, ``bound`` holds over every path of the network. ``solver`` names the
    Pyomo MIP solver, ``export`` a .mps / .lp path for the models (module docstring).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> sol = solve_all_paths(net, [("u1", "u3"), ("u5", "u7")])
    >>> str(sol.status), sol.values["served"], sol.objective <= sol.bound
    ('optimal', 2, True)
    """
    t0 = time.perf_counter()
    check_solver(solver)
    if export is not None:
        check_export(export)
    physics = dict(physics or {})
    tol = 1e-6 if tol is None else float(tol)
    if objective not in OBJECTIVES:
        raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))
    requests = checked_requests(net, requests)
    paths = {u: candidate_paths(net, u, 10 ** 9) for r in requests for u in r}
    n_cap = default_n_cap(net, paths, physics) if n_cap is None else int(n_cap)
    listed = {u: min(first_listed, len(p)) for u, p in paths.items()}
    empty = {"key_rates": {r: 0.0 for r in requests}, "allocation": {}, "served": 0, "listed_paths": dict(listed)}

    def left():
        return None if time_limit is None else float(time_limit) - (time.perf_counter() - t0)

    def finish(status, value, bound, point, termination, note=""):
        msg = "all-path optimum (arc formulation, exact key rates by enumeration)" + (f"; {note}" if note else "")
        return Solution(status, value, bound, point, solver, time.perf_counter() - t0, msg, termination=termination)

    def rated(alloc):
        rates = {r: 0.0 for r in requests}
        for r, e in alloc.items():
            rates[r] = allocation_key_rate(net, r, e, **physics)
        return {"key_rates": rates, "allocation": alloc, "served": len(alloc), "listed_paths": dict(listed)}

    if not requests:
        return finish(Status.OPTIMAL, 0.0, 0.0, empty, "converged")
    # ---- stage 1: the most requests served (exact: no key rate involved)
    c0 = time.perf_counter()
    model = AllPathsModel(net, requests, paths, listed, n_cap, physics, with_rates=False)
    model.objective("served")
    _log_built("stage 1", model, time.perf_counter() - c0)
    if export is not None:
        export_model(model.model, export, 1)
    if left() is not None and left() <= 0:
        return finish(Status.TIME_LIMIT, None, None, empty, "time_limit", "time limit reached while building")
    c0 = time.perf_counter()
    res = mip_solve(model.model, solver, tol=tol, time_left=left())
    tc = res.termination
    log.info("stage 1 (served): %s, objective %s, bound %s, %.3f s", tc, res.best_feasible_objective,
             res.best_objective_bound, time.perf_counter() - c0)
    if res.best_feasible_objective is None:
        if tc == "time_limit":
            return finish(Status.TIME_LIMIT, None, None, empty, "time_limit", "no point found in stage 1")
        return finish(Status.ERROR, None, None, empty, "solver_error", f"{solver} stage 1: {tc}")
    res.load_vars()
    alloc, _ = model.read_point()
    point = rated(alloc)
    if tc != "optimal":
        if res.best_objective_bound is not None:
            point["served_bound"] = int(math.floor(res.best_objective_bound + 1e-6))
        return finish(Status.TIME_LIMIT if tc == "time_limit" else Status.FEASIBLE,
                      objective_value(objective, [point["key_rates"][r] for r in alloc]), None, point,
                      "time_limit" if tc == "time_limit" else "stalled",
                      f"stage 1 stopped ({tc}): served not proven maximal, no stage-2 bound")
    served = int(round(res.best_feasible_objective))
    if served == 0:
        # nothing can be served: the stage-2 objective is that of no request, exactly (no solve, no margin)
        value = objective_value(objective, [])
        return finish(Status.OPTIMAL, value, value, point, "converged", "stage 1 proves no request can be served")
    # ---- stage 2: the objective with served fixed, listing more paths until the bound is met
    best_point = point
    best_value = objective_value(objective, [point["key_rates"][r] for r in alloc])
    best_bound = math.inf
    rounds = 0
    while True:
        rounds += 1
        c0 = time.perf_counter()
        model = AllPathsModel(net, requests, paths, listed, n_cap, physics, served_min=served)
        unit = model.objective(objective)
        _log_built(f"stage 2 round {rounds} (listed paths {sum(listed.values())})", model, time.perf_counter() - c0)
        if export is not None:
            export_model(model.model, export, 2)
        remaining = left()
        if remaining is not None and remaining <= 0:
            break
        c0 = time.perf_counter()
        res = mip_solve(model.model, solver, tol=tol, time_left=remaining)
        tc = res.termination
        if res.best_objective_bound is not None:
            margin = res.feas_tol * (len(requests) + 1) * unit
            best_bound = min(best_bound, res.best_objective_bound * unit + margin)
        log.info("stage 2 round %d (%s): %s, objective %s, bound %s, %.3f s", rounds, objective, tc,
                 None if res.best_feasible_objective is None else res.best_feasible_objective * unit,
                 None if res.best_objective_bound is None else res.best_objective_bound * unit,
                 time.perf_counter() - c0)
        if res.best_feasible_objective is None:
            if tc == "infeasible":
                return finish(Status.INFEASIBLE, None, None, empty, "infeasible",
                              "every way to serve the maximal number of requests gives one a zero key rate")
            break
        res.load_vars()
        alloc, tails = model.read_point()
        point = rated(alloc)
        value = objective_value(objective, [point["key_rates"][r] for r in alloc])
        if value > best_value or best_point["served"] < served:
            best_point, best_value = point, value
        if tc != "optimal":
            break
        gap_ok = best_bound - best_value <= tol * max(abs(best_value), abs(best_bound), 1e-300) + 1e-12
        grow = [u for u in tails if listed[u] < len(paths[u])]
        if gap_ok:
            best_point["listed_paths"] = dict(listed)
            best_bound = max(best_bound, best_value)
            return finish(Status.OPTIMAL, best_value, best_bound, best_point, "converged",
                          f"{rounds} stage-2 round(s)")
        if not grow:
            # every path is listed, yet the bound (with its safety margin) is above tol: certified, not optimal
            best_point["listed_paths"] = dict(listed)
            return finish(Status.FEASIBLE, best_value, max(best_bound, best_value), best_point, "stalled",
                          f"{rounds} stage-2 round(s); every path listed, the bound stays above the relative gap "
                          f"{tol:g}")
        for u in grow:
            listed[u] = min(2 * listed[u], len(paths[u]))
    bound = None if not math.isfinite(best_bound) else max(best_bound, best_value)
    remaining = left()
    status, term = (Status.TIME_LIMIT, "time_limit") if (tc == "time_limit" or (remaining is not None
                                                                                and remaining <= 0)) else \
        (Status.FEASIBLE, "stalled")
    return finish(status, best_value, bound, best_point, term, f"stopped after {rounds} stage-2 round(s)")


def _log_built(what, model, seconds) -> None:
    m = model.model
    log.info("%s model built: %d variables, %d constraints, %.3f s", what, m.nvariables(), m.nconstraints(), seconds)
