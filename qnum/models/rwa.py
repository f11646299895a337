"""Routing and wavelength assignment ILP: the offline optimum for a set of active requests.

Path formulation (Jaumard et al.): for each request ``r = (a, b)`` choose one pair of
candidate port paths (source → a, source → b) and a set of channel pairs ``k``; channel
pair ``k`` gives offset ``+k`` to one user and ``-k`` to the other (orientation ``o``).
Constraints: each source channel pair used at most once; each (WDM port, offset) at most
once; each TDM port carries one crossconnect (shareable by paths using that same
crossconnect); channel count capped by the optimal count ``n_cap``. Key rates are
precomputed per path pair and channel count from :func:`qnum.physics.cw_key_rate_channels`
with each path's loss taken as its mean loss over the channels it passes (qnum's
convention). Objective: lexicographic — maximum served requests, then the scenario's
stage-2 objective (:func:`objective_value`: total key rate, Σ log key rate, or the smallest
key rate) with the served count fixed (two HiGHS solves). Built with Pyomo, solved with
HiGHS through ``appsi``.

Honesty note: the ILP keeps ``k_paths`` (3) lowest-loss candidate paths per user, so its
optimum and bound hold over those candidate paths only, not yet over all paths.

An allocation, here and everywhere in the family, is labelled::

    {(user_a, user_b): {"path_a": [(device, in_port, out_port), ...],
                        "path_b": [...], "channel_pairs": [(k, o), ...]}}

:func:`validate_allocation` checks one independently of the model (it walks the hops
through the network and replays the lock rules).
"""

from __future__ import annotations

import math
import time

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.optical import LockState, OpticalNetwork
from qnum.networks.rwa import OBJECTIVES
from qnum.physics.bbm92_cw import cw_key_rate_channels, optimal_channel_count
from qnum.solution import Solution, Status


def candidate_paths_note(k_paths: int) -> str:
    """The message :meth:`RWAModel.solve` opens with (what its optimum and bound are over)."""
    return f"optimum over the {k_paths} lowest-loss candidate paths per user; not yet certified over all paths"


def default_n_cap(net: OpticalNetwork, paths: dict, physics: dict) -> int:
    """Channel pairs one request may hold when the scenario sets no ``n_cap``: the optimal channel
    count (the paper's Step 2) at the lowest loss any listed path has, at most the network's pairs.

    This cap is part of the problem every routing method solves (the all-path bound holds under it);
    taking it at the lowest loss is qnum's reading (the paper computes it per request).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> default_n_cap(net, {"u1": candidate_paths(net, "u1")}, {}) <= net.n_pairs
    True
    """
    K = net.n_pairs
    best = [min(ps[0][1].values()) for ps in paths.values() if ps]      # each list is sorted by loss
    return min(K, optimal_channel_count(min(best), min(best), max_pairs=K, **physics)[0]) if best else K


def candidate_paths(net: OpticalNetwork, user: str, k: int = 3):
    """Up to ``k`` lowest-loss simple port paths source → ``user``.

    Each path is ``(hops, loss_dB)`` with ``loss_dB`` a dict offset → dB (inf: unusable).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> [[h[0] for h in p[0]] for p in candidate_paths(net, "u1")]
    [['mux', 'f0']]
    """
    offs = net.offsets
    first = net.links.get((net.source, 0))
    out = []
    if first is None:
        return out
    stack = [(first[0], first[1], np.full(len(offs), first[2]), (), {first[0]})]
    while stack:
        dev, pin, vec, hops, seen = stack.pop()
        if dev == user:
            out.append((list(hops), dict(zip(offs, vec.tolist()))))
            continue
        d = net.devices[dev]
        if d.type in ("USER", "EPS"):
            continue
        for pout in range(d.ports):
            nxt = net.links.get((dev, pout))
            if pout == pin or nxt is None or nxt[0] in seen:
                continue
            nvec = vec + d.loss_dB[pin, pout, :] + nxt[2]
            if np.isfinite(nvec).any():
                stack.append((nxt[0], nxt[1], nvec, hops + ((dev, pin, pout),), seen | {nxt[0]}))
    out.sort(key=lambda p: min(p[1].values()))
    return out[:k]


def checked_requests(net: OpticalNetwork, requests) -> list:
    """``requests`` as a list of ``(user_a, user_b)`` tuples, each naming two different users of ``net``,
    no user pair twice in either order (a connection is an unordered user pair: both users'
    detectors would see both connections' channels, so two connections between the same users
    are not independent; qnum's rule).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> checked_requests(net, [["u1", "u3"]])
    [('u1', 'u3')]
    >>> checked_requests(net, [("u1", "u1")])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: requests[0] = ['u1', 'u1']: a connection needs two different users
    >>> checked_requests(net, [("u1", "u3"), ("u3", "u1")])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: requests[1] = ['u3', 'u1']: the same user pair as requests[0] (a connection is ...
    """
    requests = [tuple(r) for r in requests]
    users, seen = set(net.users), {}
    for i, (a, b) in enumerate(requests):
        for u in (a, b):
            if u not in users:
                raise ScenarioError(f"requests[{i}]", u, "names an unknown user")
        if a == b:
            raise ScenarioError(f"requests[{i}]", [a, b], "a connection needs two different users")
        pair = frozenset((a, b))
        if pair in seen:
            raise ScenarioError(f"requests[{i}]", [a, b], f"the same user pair as requests[{seen[pair]}] "
                                "(a connection is an unordered user pair)")
        seen[pair] = i
    return requests


def path_loss_dB(loss: dict, offsets) -> float:
    """Mean loss (dB) of a path over the given offsets (qnum's rate convention)."""
    vals = [loss[o] for o in offsets]
    return float(np.mean(vals)) if vals else float("inf")


def path_losses(net: OpticalNetwork, user: str, hops) -> dict:
    """Per-offset loss (dB, inf where unusable) of a port path from the source to ``user``.

    ``hops`` is ``[(device, in_port, out_port), ...]`` from the first device after the
    source to the last one before the user; raises ``ValueError`` naming the problem when
    the hops are not such a path.

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=1))
    >>> path_losses(net, "u1", [("mux", 0, 1), ("f0", 0, 1)])
    {-1: 8.2, 1: 8.2}
    >>> path_losses(net, "u1", [("mux", 0, 2), ("f1", 0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: the path ends at u3, not at u1
    """
    offs = net.offsets
    here = net.links.get((net.source, 0))
    if here is None:
        raise ValueError("the source has no fibre")
    vec = np.full(len(offs), here[2])
    seen = {net.source}
    for step, hop in enumerate(hops):
        dev, pin, pout = hop
        if dev != here[0] or pin != here[1]:
            raise ValueError(f"hop {step} enters {dev!r} port {pin}, but the fibre arrives at "
                             f"{here[0]!r} port {here[1]}")
        d = net.devices[dev]
        if d.type in ("USER", "EPS") or dev in seen:
            raise ValueError(f"hop {step} passes through {dev!r}, which cannot forward")
        seen.add(dev)
        if not (isinstance(pout, int) and 0 <= pout < d.ports) or pout == pin:
            raise ValueError(f"hop {step}: {dev!r} has no output port {pout!r}")
        nxt = net.links.get((dev, pout))
        if nxt is None:
            raise ValueError(f"hop {step}: no fibre at {dev!r} port {pout}")
        vec = vec + d.loss_dB[pin, pout, :] + nxt[2]
        here = nxt
    if here[0] != user:
        raise ValueError(f"the path ends at {here[0]}, not at {user}")
    return dict(zip(offs, vec.tolist()))


def allocation_key_rate(net: OpticalNetwork, users, entry: dict, **physics) -> float:
    """Key rate (bit/s) of one request's allocation ``{"path_a", "path_b", "channel_pairs"}``.

    ``(k, 0)`` sends ``+k`` to ``users[0]`` and ``-k`` to ``users[1]``; ``(k, 1)`` the reverse.
    Each path's loss is its mean loss over the offsets it carries.

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> entry = {"path_a": [("mux", 0, 1), ("f0", 0, 1)], "path_b": [("mux", 0, 2), ("f1", 0, 1)],
    ...          "channel_pairs": [(1, 0)]}
    >>> allocation_key_rate(net, ("u1", "u3"), entry) > 0
    True
    """
    pairs = list(entry["channel_pairs"])
    if not pairs:
        return 0.0
    offs_a = [k if o == 0 else -k for k, o in pairs]
    loss_a = path_losses(net, users[0], entry["path_a"])
    loss_b = path_losses(net, users[1], entry["path_b"])
    la = float(np.mean([loss_a[x] for x in offs_a]))
    lb = float(np.mean([loss_b[-x] for x in offs_a]))
    if not (np.isfinite(la) and np.isfinite(lb)):
        return 0.0
    return float(cw_key_rate_channels(len(pairs), la, lb, **physics))


def objective_value(objective: str, rates) -> float:
    """The stage-2 objective of the served requests' key rates (what the ILP maximizes after
    the served count): ``total`` Σ rate, ``proportional`` Σ ln rate, ``maxmin`` min rate
    (0 with nothing served).

    Examples
    --------
    >>> objective_value("total", [1.0, 2.0]), objective_value("maxmin", [1.0, 2.0])
    (3.0, 1.0)
    >>> objective_value("proportional", [1.0, 0.0])
    -inf
    """
    rates = [float(r) for r in rates]
    if objective == "total":
        return float(sum(rates))
    if objective == "proportional":
        return float(sum(math.log(r) if r > 0 else -math.inf for r in rates))
    if objective == "maxmin":
        return min(rates, default=0.0)
    raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))


def allocation_problems(net: OpticalNetwork, alloc: dict, n_cap: int | None = None) -> list:
    """Every violation of ``alloc`` as ``(request, resource, reason)`` (empty when feasible).

    Checks, in this order per request: the hops are port paths from the source to each user,
    the channel-pair cap, every channel pair booked once (source), every offset passes its
    path, and the lock rules (a TDM port carries one crossconnect, a WDM (port, offset) one
    path), replayed request by request.

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> a = {"path_a": [("mux", 0, 1), ("f0", 0, 1)], "path_b": [("mux", 0, 2), ("f1", 0, 1)],
    ...      "channel_pairs": [(1, 0)]}
    >>> b = {"path_a": [("mux", 0, 1), ("f0", 0, 2)], "path_b": [("mux", 0, 3), ("f2", 0, 1)],
    ...      "channel_pairs": [(2, 0)]}
    >>> allocation_problems(net, {("u1", "u3"): a, ("u2", "u5"): b})
    [(('u2', 'u5'), ('f0', 0), 'TDM port held by crossconnect (0, 1) of another path')]
    """
    problems, locks = [], LockState()
    owner = {}
    for r, entry in alloc.items():
        losses = []
        bad = False
        for user, key in ((r[0], "path_a"), (r[1], "path_b")):
            try:
                losses.append(path_losses(net, user, entry[key]))
            except ValueError as exc:
                problems.append((r, key, str(exc)))
                bad = True
        if bad:
            continue
        pairs = list(entry["channel_pairs"])
        if n_cap is not None and len(pairs) > n_cap:
            problems.append((r, "channel_pairs", f"{len(pairs)} channel pairs > cap {n_cap}"))
        offs_a = []
        for k, o in pairs:
            if k in locks.pairs:
                problems.append((r, f"channel pair {k}", f"booked twice (also by {owner[k]})"))
            locks.pairs.add(k)
            owner.setdefault(k, r)
            oa = k if o == 0 else -k
            offs_a.append(oa)
            for loss, off, user in ((losses[0], oa, r[0]), (losses[1], -oa, r[1])):
                if not np.isfinite(loss[off]):
                    problems.append((r, f"offset {off}", f"does not pass the path to {user}"))
        for key, offs in (("path_a", offs_a), ("path_b", [-x for x in offs_a])):
            conflict = _lock_conflict(net, locks, entry[key], offs)
            if conflict is not None:
                problems.append((r,) + conflict)
            else:
                _take(net, locks, entry[key], offs)
    return problems


def _lock_conflict(net, locks, hops, offsets):
    """The first (resource, reason) the hops cannot take for ``offsets``, or None."""
    for dev, i, o in hops:
        d = net.devices[dev]
        for p in (i, o):
            if d.mux == "TDM":
                held = locks.tdm.get((dev, p))
                if held is not None and tuple(held[0]) != (i, o):
                    return (dev, p), f"TDM port held by crossconnect {tuple(held[0])} of another path"
            elif d.mux == "WDM":
                for c in offsets:
                    if (dev, p, c) in locks.wdm:
                        return (dev, p, c), "WDM port already carries this offset"
    return None


def _take(net, locks, hops, offsets):
    for dev, i, o in hops:
        d = net.devices[dev]
        for p in (i, o):
            if d.mux == "TDM":
                locks.tdm.setdefault((dev, p), [(i, o), 0])[1] += 1
            elif d.mux == "WDM":
                locks.wdm.update((dev, p, c) for c in offsets)


def validate_allocation(net: OpticalNetwork, alloc: dict, n_cap: int | None = None) -> list:
    """Independent feasibility check of a labelled allocation: the list of violations as text.

    Walks every path through the network (:func:`path_losses`) and replays the lock rules
    of :mod:`qnum.networks.optical`; empty when feasible (see :func:`allocation_problems`).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> a = {"path_a": [("mux", 0, 1), ("f0", 0, 1)], "path_b": [("mux", 0, 2), ("f1", 0, 1)],
    ...      "channel_pairs": [(1, 0), (1, 1)]}
    >>> for problem in validate_allocation(net, {("u1", "u3"): a}):
    ...     print(problem)
    ('u1', 'u3'): channel pair 1: booked twice (also by ('u1', 'u3'))
    ('u1', 'u3'): ('mux', 0, -1): WDM port already carries this offset
    """
    return [f"{r}: {resource}: {reason}" for r, resource, reason in allocation_problems(net, alloc, n_cap)]


class RWAModel:
    """Declarative RWA ILP of a scenario: build on construction, inspect ``model``, then :meth:`solve`.

    Parameters
    ----------
    scenario : RWAScenario
        The ILP is built for the requests active after its last event, with its network,
        channel-pair cap, physics and stage-2 objective.
    k_paths : int
        Candidate paths per user (the optimum holds over these only).

    See :meth:`for_requests` to build from a network and a request list instead.

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> m = RWAModel(sc)
    >>> m.model.find_component("wdm_once") is not None      # the Pyomo model, before solving
    True
    >>> sol = m.solve()
    >>> str(sol.status), sol.values["served"], validate_allocation(sc.net, sol.values["allocation"])
    ('optimal', 3, [])
    """

    def __init__(self, scenario, *, k_paths: int = 3):
        self._build(scenario.net, scenario.active_requests(), k_paths, scenario.n_cap, dict(scenario.physics),
                    scenario.objective)

    @classmethod
    def for_requests(cls, net, requests, *, k_paths: int = 3, n_cap: int | None = None, physics=None,
                     objective: str = "total") -> RWAModel:
        """The ILP for a network and a list of requests ``[(user_a, user_b), ...]``.

        ``n_cap`` None uses the optimal channel count at the lowest candidate loss;
        ``physics`` holds keyword arguments of :func:`qnum.physics.cw_key_rate_channels`.

        Examples
        --------
        >>> from qnum.networks.optical import dser_network, network_from_dict
        >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
        >>> sol = RWAModel.for_requests(net, [("u1", "u3"), ("u5", "u7")]).solve()
        >>> str(sol.status), sol.values["served"], sorted(sol.values["key_rates"])
        ('optimal', 2, [('u1', 'u3'), ('u5', 'u7')])
        """
        self = cls.__new__(cls)
        self._build(net, requests, k_paths, n_cap, dict(physics or {}), objective)
        return self

    def _build(self, net, requests, k_paths, n_cap, physics, objective):
        import pyomo.environ as pyo

        t0 = time.perf_counter()
        if objective not in OBJECTIVES:
            raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))
        if isinstance(k_paths, bool) or not isinstance(k_paths, int) or k_paths < 1:
            raise ScenarioError("k_paths", k_paths, "must be an integer >= 1")
        self.net, self.physics, self.objective, self.k_paths = net, physics, objective, k_paths
        self.requests = checked_requests(net, requests)
        self.paths = {u: candidate_paths(net, u, k_paths) for r in self.requests for u in r}
        self.n_cap = default_n_cap(net, self.paths, self.physics) if n_cap is None else int(n_cap)
        m = pyo.ConcreteModel("rwa")
        self.model = m
        self._sets()
        self._variables()
        self._served()
        self._channel_pairs()
        self._wdm_exclusivity()
        self._tdm_exclusivity()
        self._rate()
        self.build_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------------ sets
    def _sets(self):
        import pyomo.environ as pyo

        m, R = self.model, range(len(self.requests))
        self.PP = [(r, i, j) for r in R
                   for i in range(len(self.paths[self.requests[r][0]]))
                   for j in range(len(self.paths[self.requests[r][1]]))]
        self.W = []  # (r, i, j, k, o) with every offset finite on its path
        for r, i, j in self.PP:
            pa = self.paths[self.requests[r][0]][i][1]
            pb = self.paths[self.requests[r][1]][j][1]
            for k in range(1, self.net.n_pairs + 1):
                for o in (0, 1):
                    oa = k if o == 0 else -k
                    if np.isfinite(pa[oa]) and np.isfinite(pb[-oa]):
                        self.W.append((r, i, j, k, o))
        m.R = pyo.Set(initialize=list(R))
        m.K = pyo.Set(initialize=list(range(1, self.net.n_pairs + 1)))
        m.PP = pyo.Set(initialize=self.PP, dimen=3)
        m.W = pyo.Set(initialize=self.W, dimen=5)
        m.N = pyo.Set(initialize=list(range(0, self.n_cap + 1)))

    def _variables(self):
        import pyomo.environ as pyo

        m = self.model
        m.s = pyo.Var(m.R, domain=pyo.Binary)     # request served
        m.y = pyo.Var(m.PP, domain=pyo.Binary)    # path pair chosen
        m.z = pyo.Var(m.R, m.K, domain=pyo.Binary)  # channel pair k to request r
        m.w = pyo.Var(m.W, domain=pyo.Binary)     # path pair × channel pair × orientation
        m.c = pyo.Var(m.PP, m.N, domain=pyo.Binary)  # channel count indicator

    # ------------------------------------------------------------ constraints
    def _served(self):
        import pyomo.environ as pyo

        m = self.model
        m.one_path_pair = pyo.Constraint(m.R, rule=lambda m, r: sum(
            m.y[p] for p in self.PP if p[0] == r) == m.s[r])
        m.served_has_pair = pyo.Constraint(m.R, rule=lambda m, r: sum(
            m.z[r, k] for k in m.K) >= m.s[r])

    def _channel_pairs(self):
        import pyomo.environ as pyo

        m = self.model
        m.pair_once = pyo.Constraint(m.K, rule=lambda m, k: sum(m.z[r, k] for r in m.R) <= 1
                                     if self.requests else pyo.Constraint.Skip)
        m.pair_link = pyo.Constraint(m.R, m.K, rule=lambda m, r, k: sum(
            m.w[x] for x in self.W if x[0] == r and x[3] == k) == m.z[r, k])
        m.w_path = pyo.Constraint(m.W, rule=lambda m, r, i, j, k, o: m.w[r, i, j, k, o] <= m.y[r, i, j])
        m.cap = pyo.Constraint(m.R, rule=lambda m, r: sum(m.z[r, k] for k in m.K) <= self.n_cap)

    def _offset_uses(self):
        """(dev, port, offset) -> list of w indices, and TDM (dev, port) -> {xc: [y idx]}."""
        wdm, tdm = {}, {}
        for r, i, j, k, o in self.W:
            oa = k if o == 0 else -k
            for path, off in ((self.paths[self.requests[r][0]][i], oa),
                              (self.paths[self.requests[r][1]][j], -oa)):
                for dev, pin, pout in path[0]:
                    if self.net.devices[dev].mux == "WDM":
                        for p in (pin, pout):
                            wdm.setdefault((dev, p, off), []).append((r, i, j, k, o))
        for r, i, j in self.PP:
            for path in (self.paths[self.requests[r][0]][i], self.paths[self.requests[r][1]][j]):
                for dev, pin, pout in path[0]:
                    if self.net.devices[dev].mux == "TDM":
                        for p in (pin, pout):
                            tdm.setdefault((dev, p), {}).setdefault((pin, pout), set()).add((r, i, j))
        return wdm, tdm

    def _wdm_exclusivity(self):
        import pyomo.environ as pyo

        m = self.model
        self._wdm, self._tdm = self._offset_uses()
        keys = [key for key, ws in self._wdm.items() if len(ws) > 1]
        m.WDM = pyo.Set(initialize=keys, dimen=3)
        m.wdm_once = pyo.Constraint(m.WDM, rule=lambda m, d, p, off: sum(
            m.w[x] for x in self._wdm[(d, p, off)]) <= 1)

    def _tdm_exclusivity(self):
        import pyomo.environ as pyo

        m = self.model
        X = [(d, p, xc[0], xc[1]) for (d, p), xcs in self._tdm.items() for xc in xcs]
        m.X = pyo.Set(initialize=X, dimen=4)
        m.v = pyo.Var(m.X, domain=pyo.Binary)  # crossconnect held on a TDM port
        ports = list(self._tdm)
        m.TDM = pyo.Set(initialize=ports, dimen=2)
        m.tdm_one = pyo.Constraint(m.TDM, rule=lambda m, d, p: sum(
            m.v[d, p, a, b] for (a, b) in self._tdm[(d, p)]) <= 1)
        link = [(d, p, a, b) + y for (d, p, a, b) in X for y in self._tdm[(d, p)][(a, b)]]
        m.TL = pyo.Set(initialize=link, dimen=7)
        m.tdm_link = pyo.Constraint(m.TL, rule=lambda m, d, p, a, b, r, i, j:
                                    m.y[r, i, j] <= m.v[d, p, a, b])

    def _rate(self):
        import pyomo.environ as pyo

        m = self.model
        rate = {}
        for r, i, j in self.PP:
            pa = self.paths[self.requests[r][0]][i][1]
            pb = self.paths[self.requests[r][1]][j][1]
            fa = [v for v in pa.values() if np.isfinite(v)]
            fb = [v for v in pb.values() if np.isfinite(v)]
            la = float(np.mean(fa)) if fa else np.inf
            lb = float(np.mean(fb)) if fb else np.inf
            for n in range(self.n_cap + 1):
                rate[(r, i, j, n)] = (0.0 if n == 0 or not np.isfinite(la + lb) else
                                      float(cw_key_rate_channels(n, la, lb, **self.physics)))
        self.rate_table = rate
        m.count_one = pyo.Constraint(m.PP, rule=lambda m, r, i, j: sum(
            m.c[r, i, j, n] for n in m.N) == m.y[r, i, j])
        m.count_link = pyo.Constraint(m.PP, rule=lambda m, r, i, j: sum(
            n * m.c[r, i, j, n] for n in m.N) == sum(
            m.w[x] for x in self.W if x[:3] == (r, i, j)))
        self.scale = max([v for v in rate.values()] + [1.0])
        m.served = pyo.Expression(expr=sum(m.s[r] for r in m.R))
        m.key_rate = pyo.Expression(expr=sum(rate[x] * m.c[x] for x in m.c))
        m.obj_served = pyo.Objective(expr=m.served, sense=pyo.maximize)
        m.obj_rate = pyo.Objective(expr=m.key_rate / self.scale, sense=pyo.maximize)
        m.obj_rate.deactivate()

    # ------------------------------------------------------------------ solve
    def _second_stage(self, objective: str):
        """Objective of stage 2 (served count fixed) and how its value maps back to the table."""
        import pyomo.environ as pyo

        m, rate = self.model, self.rate_table
        if objective == "total":
            return m.obj_rate, self.scale
        if objective == "proportional":
            # log of each discrete rate is a constant per choice, so sum(log rate) is linear
            # in the channel-count indicators: exact, no piecewise approximation needed
            logs = {x: float(np.log(v)) for x, v in rate.items() if x[3] >= 1 and v > 0}
            for x, v in rate.items():
                if x[3] >= 1 and v <= 0:   # a served request with zero key rate has log 0 = -inf
                    m.c[x].fix(0)
            unit = max([abs(v) for v in logs.values()] + [1.0])
            m.obj_stage2 = pyo.Objective(expr=sum(v * m.c[x] for x, v in logs.items()) / unit,
                                         sense=pyo.maximize)
            return m.obj_stage2, unit
        if objective == "maxmin":
            m.t_min = pyo.Var(bounds=(0.0, 1.0))
            m.min_rate = pyo.Constraint(m.R, rule=lambda m, r: m.t_min <= sum(
                rate[x] / self.scale * m.c[x] for x in rate if x[0] == r) + (1 - m.s[r]))
            m.obj_stage2 = pyo.Objective(expr=m.t_min, sense=pyo.maximize)
            return m.obj_stage2, self.scale
        raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))

    def _drop_second_stage(self):
        m = self.model
        for name in ("obj_stage2", "min_rate", "t_min"):
            if m.find_component(name) is not None:
                m.del_component(name)
        for x in self.rate_table:
            if m.c[x].fixed:
                m.c[x].unfix()

    def solve(self, *, tol: float | None = None, time_limit: float | None = None,
              objective: str | None = None, solver: str = "appsi_highs", export: str | None = None) -> Solution:
        """Lexicographic solve: max served, then, with served fixed, the stage-2 objective.

        Parameters
        ----------
        tol : float, optional
            Relative MIP gap of both HiGHS solves (default 1e-6).
        time_limit : float, optional
            Seconds for both stages together. On expiry the best point found is returned
            with status ``time_limit``: after stage 2 with HiGHS's stage-2 bound; during stage
            1 with no stage-2 bound (``values["served_bound"]`` bounds the served count).
        objective : {"total", "proportional", "maxmin"}, optional
            Stage 2 (default: the scenario's). The Solution's objective and bound are in
            its units (:func:`objective_value`).
        solver : str
            Pyomo MIP solver name (:mod:`qnum.solvers.rwa.milp`; checked before solving).
        export : str, optional
            Path ending .mps or .lp: the stage-1 model is written there, the stage-2 model
            beside it as NAME.stage2.EXT; the solve still runs.

        Returns
        -------
        Solution
            ``values``: ``key_rates`` {request: bit/s}, ``allocation`` {request: {"path_a",
            "path_b", "channel_pairs"}}, ``served``. Its bound holds over the candidate paths.

        Note: the model optimizes ``rate_table`` (each path's mean loss over all its usable
        channels); the returned ``key_rates`` and objective are re-derived from the
        allocation by :func:`allocation_key_rate`. Where a device's loss depends on the
        channel the two differ and the bound is not a bound: this model is the labelled
        ``k-paths`` heuristic (the family drops its bound); the certified optimum is
        :func:`qnum.solvers.rwa.allpaths.solve_all_paths`.
        """
        import pyomo.environ as pyo

        from qnum.solvers.rwa.milp import check_export, check_solver, export_model, mip_solve

        m, t0 = self.model, time.perf_counter()
        objective = self.objective if objective is None else objective
        if objective not in OBJECTIVES:
            raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))
        check_solver(solver)
        if export is not None:
            check_export(export)
        note = candidate_paths_note(self.k_paths)

        def done(status, value, bound, point, termination, extra=""):
            values = {"key_rates": {}, "allocation": {}, "served": 0} if point is None else dict(point)
            return Solution(status, value, bound, values, solver, time.perf_counter() - t0,
                            f"{note}{'; ' + extra if extra else ''}", termination=termination)

        if not self.requests:
            return done(Status.OPTIMAL, 0.0, 0.0, None, "converged")
        gap = 1e-6 if tol is None else float(tol)

        def time_left():
            return None if time_limit is None else float(time_limit) - (time.perf_counter() - t0)

        if export is not None:
            export_model(m, export, 1)
        res = mip_solve(m, solver, tol=gap, time_left=time_left())
        tc = res.termination
        if res.best_feasible_objective is None:
            if tc == "time_limit":
                return done(Status.TIME_LIMIT, None, None, None, "time_limit", "no point found in stage 1")
            return done(Status.ERROR, None, None, None, "solver_error", f"{solver} stage 1: {tc}")
        res.load_vars()
        first = self._read_point()
        if tc != "optimal":
            if res.best_objective_bound is not None:
                first["served_bound"] = int(math.floor(res.best_objective_bound + 1e-6))
            status, term = (Status.TIME_LIMIT, "time_limit") if tc == "time_limit" else \
                (Status.FEASIBLE, "iteration_limit" if tc == "iteration_limit" else "stalled")
            return done(status, _value(objective, first), None, first, term,
                        f"stage 1 stopped ({tc}): served not proven maximal, no stage-2 bound")
        served = round(res.best_feasible_objective)
        m.fix_served = pyo.Constraint(expr=m.served >= served)
        m.obj_served.deactivate()
        stage2, unit = self._second_stage(objective)
        stage2.activate()
        if export is not None:
            export_model(m, export, 2)
        remaining = time_left()
        res = mip_solve(m, solver, tol=gap, time_left=None if remaining is None else max(remaining, 0.01))
        m.del_component(m.fix_served)
        stage2.deactivate()
        m.obj_served.activate()
        tc = res.termination
        bound = res.best_objective_bound
        bound = bound * unit if bound is not None else None
        if res.best_feasible_objective is None:
            self._drop_second_stage()
            if tc == "infeasible":   # only possible for "proportional": zero-rate choices excluded
                return done(Status.INFEASIBLE, None, None, None, "infeasible",
                            "every way to serve the maximal number of requests gives one a zero key rate")
            value = _value(objective, first)
            if tc == "time_limit":   # the stage-1 point is feasible for stage 2
                return done(Status.TIME_LIMIT, value, None if bound is None else max(bound, value), first,
                            "time_limit", "stage 2 found no better point")
            return done(Status.ERROR, None, None, None, "solver_error", f"{solver} stage 2: {tc}")
        res.load_vars()
        self._drop_second_stage()
        point = self._read_point()
        value = _value(objective, point)
        bound = value if bound is None else max(bound, value)
        if tc == "optimal":
            return done(Status.OPTIMAL, value, bound, point, "converged")
        if tc == "time_limit":
            return done(Status.TIME_LIMIT, value, bound, point, "time_limit")
        return done(Status.FEASIBLE, value, bound, point,
                    "iteration_limit" if tc == "iteration_limit" else "stalled", f"{solver} stage 2: {tc}")

    def _read_point(self):
        """The loaded variable values as a labelled allocation with its key rates."""
        import pyomo.environ as pyo

        m = self.model
        alloc, rates = {}, {req: 0.0 for req in self.requests}   # unserved requests: 0 bit/s
        for r in range(len(self.requests)):
            if pyo.value(m.s[r]) < 0.5:
                continue
            i, j = next((i, j) for (rr, i, j) in self.PP if rr == r and pyo.value(m.y[rr, i, j]) > 0.5)
            po = sorted((k, o) for (rr, ii, jj, k, o) in self.W
                        if (rr, ii, jj) == (r, i, j) and pyo.value(m.w[rr, ii, jj, k, o]) > 0.5)
            a, b = self.requests[r]
            alloc[(a, b)] = {"path_a": list(self.paths[a][i][0]), "path_b": list(self.paths[b][j][0]),
                             "channel_pairs": po}
        for users, entry in alloc.items():   # the allocation's own rate, not the table's estimate
            rates[users] = allocation_key_rate(self.net, users, entry, **self.physics)
        return {"key_rates": rates, "allocation": alloc, "served": len(alloc)}


def _value(objective, point) -> float:
    """The stage-2 objective of a read-back point (over its served requests)."""
    return objective_value(objective, [point["key_rates"][u] for u in point["allocation"]])
