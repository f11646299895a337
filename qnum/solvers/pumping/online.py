"""Online gradient pumping schedulers of the PF paper (PF-PS, G-PS, RR-PS, general α) and user policies.

Each slot t the source pumps ``G(t) = argmax_G Σ_{e∈G} U'(r̄_e) s_e(G, c_t)`` and the
averages move as ``r̄ ← (1 − β) r̄ + β s(G(t), c_t)``. PF-PS is α = 1, G-PS α = 0,
RR-PS maximizes ``Σ_{e∈G} 1/r̄_e`` ignoring the instantaneous SKR; any finite α works
too. A user policy (:mod:`qnum.policies`) chooses ``G(t)`` itself from an
:class:`Observation`; qnum checks every decision against the scenario's topologies and
keeps the averages.

Default step: the cumulative average with ``r̄(0)`` counted as one observation,
``r̄_t = (r̄(0) + Σ_{τ<=t} s_τ) / (t + 1)`` (β_t = 1/(t+1); no average is ever zero, so
U'(r̄) stays finite). ``beta=B`` gives the constant step.

Speed: the argmax is invariant to a common positive factor on the weights, so the
built-in schedulers keep the averages as ``r̄ = scale · A`` and only the K pumped entries
of A (and of the cached weights A^-α) change per slot; a slot costs one multiply and one
partial sort over the pairs. A user policy is one Python call per slot.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.errors import OptionError, PolicyError
from qnum.networks.channels import Realization
from qnum.networks.pumping import AT_MOST_K
from qnum.solvers.pumping.oracles import TopologyOracle
from qnum.trace import Trace
from qnum.utility import total_utility

POLICIES = ("pf", "greedy", "rr", "alpha")
_POLICY_ALPHA = {"pf": 1.0, "greedy": 0.0}


@dataclass(frozen=True)
class Observation:
    """What a user policy sees at the start of slot ``slot`` (all arrays read-only).

    Attributes
    ----------
    slot : int
        The slot being decided, 1-based.
    averages : numpy.ndarray, shape (M,)
        Average SKR r̄ of every pair after slot ``slot - 1`` (bit/s), kept by qnum with the
        run's step (cumulative average or constant ``beta``), in ``pairs`` order.
    skr : numpy.ndarray, shape (M,)
        Instantaneous SKR of every pair in this slot's channel state (bit/s), if pumped
        (before the per-count factor), in ``pairs`` order.
    pairs : list of (int, int)
        The node pairs, canonical order (``i < j``).
    capacity : int
        K, the most pairs that may be pumped this slot.
    per_count_factor : numpy.ndarray, shape (K,)
        ``f_k``: each pumped pair gets ``f_k`` times its SKR when k pairs are pumped.
    topologies : str or list
        ``"at-most-k"``, ``"matching"``, or the explicit list of allowed topologies
        (each a tuple of pairs).
    """

    slot: int
    averages: np.ndarray
    skr: np.ndarray
    pairs: list
    capacity: int
    per_count_factor: np.ndarray
    topologies: object


def _checkpoints(slots: int, count: int) -> np.ndarray:
    """Roughly log-spaced slot counts ending at ``slots``."""
    pts = np.unique(np.round(np.logspace(0, math.log10(max(slots, 1)), count)).astype(np.int64))
    return pts[(pts >= 1) & (pts <= slots)]


def simulate(scenario, policy="pf", slots: int = 100_000, *, seed=0, beta: float | None = None,
             alpha: float | None = None, initial_rate: float = 1.0, checkpoints: int = 200,
             record_topologies: bool = False, realization=None) -> Trace:
    """Run an online pumping scheduler: a built-in one or the user's policy.

    Parameters
    ----------
    scenario : PumpingScenario
    policy : {"pf", "greedy", "rr", "alpha"} or policy
        A built-in scheduler (``"alpha"`` uses ``alpha``, default the scenario's), or a
        user policy: a function ``decide(observation)``, an object with ``decide`` (and
        optionally ``reset(setup)``, ``name``) — see :class:`Observation` and
        :mod:`qnum.families.pumping`.
    slots : int
        Number of time slots.
    seed : int or numpy.random.Generator
        Seed of the channel realization.
    beta : float, optional
        Constant averaging step in (0, 1]; default the cumulative average.
    alpha : float, optional
        α of the ``"alpha"`` scheduler.
    initial_rate : float
        ``r̄(0)`` of every pair, bit/s (qnum's stand-in: 1 bit/s).
    checkpoints : int
        How many (log-spaced) points of the averages to record.
    record_topologies : bool
        Keep the pumped pairs of every slot in ``info["topologies"]`` (memory: slots x K).
    realization : Realization, optional
        Use this channel realization (at least ``slots`` slots) instead of drawing one.

    Returns
    -------
    Trace
        ``objective[t]`` = ``total_utility(r̄_t, scenario.alpha, scenario.weights)``;
        ``states["rates"]`` the averages at the checkpoints; ``final["rates"]`` and
        ``final["pumped_slots"]`` keyed by pair; ``info`` holds ``realized_skr``,
        ``realized_frequency``, ``pumped_counts`` (arrays in pair order).

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> sc = four_node_example()
    >>> tr = simulate(sc, "greedy", slots=50)
    >>> sorted(p for p, n in tr.final["pumped_slots"].items() if n)   # always (0,1) and (2,3)
    [(0, 1), (2, 3)]
    """
    from qnum.policies import UserPolicy, as_policy

    if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) or slots < 1:
        raise OptionError("slots", slots, "must be an integer >= 1")
    if beta is not None and not 0 < beta <= 1:
        raise OptionError("beta", beta, "must lie in (0, 1]")
    if not initial_rate > 0:
        raise OptionError("initial_rate", initial_rate, "must be > 0")
    if isinstance(policy, str):
        if policy not in POLICIES:
            raise OptionError("policy", policy, f"kind 'pumping' has policies {', '.join(POLICIES)}")
        if alpha is not None and policy != "alpha":
            raise OptionError("alpha", alpha, f"applies to policy alpha only, not to {policy!r}")
        a = _POLICY_ALPHA.get(policy, scenario.alpha if alpha is None else alpha)
        if policy == "alpha" and math.isinf(a):
            raise OptionError("alpha", "maxmin", "the gradient scheduler needs a finite alpha (the scenario's is "
                              "maxmin: give alpha=...)")
        user, name = None, policy
    else:
        if alpha is not None:
            raise OptionError("alpha", alpha, "applies to policy alpha only, not to your own policy")
        user = policy if isinstance(policy, UserPolicy) else as_policy(policy)
        name = user.name
    from qnum import limits

    limits.pumping_simulation(int(slots), scenario.num_pairs, scenario.num_states, record_topologies,
                              scenario.capacity)
    if realization is None:
        real = scenario.channel.realize(scenario, slots, seed)
    else:
        if not isinstance(realization, Realization):
            raise OptionError("realization", type(realization).__name__, "must be a qnum.networks.channels."
                              "Realization (e.g. scenario.channel.realize(scenario, slots, seed))")
        if realization.skr.shape[1] != scenario.num_pairs or realization.slots < slots:
            raise OptionError("realization", f"{realization.slots} slots x {realization.skr.shape[1]} pairs",
                              f"needs >= {slots} slots and {scenario.num_pairs} pairs")
        real = realization
    record = _checkpoints(slots, checkpoints)
    start = time.perf_counter()
    if user is None:
        averages, final, counts, tops = _run_builtin(scenario, policy, a, slots, real, beta, initial_rate, record,
                                                     record_topologies)
    else:
        averages, final, counts, tops = _run_user(scenario, user, slots, real, beta, initial_rate, record,
                                                  record_topologies)
    seconds = time.perf_counter() - start
    objective = [total_utility(row, scenario.alpha, scenario.weights) for row in averages]
    pairs = scenario.pairs
    info = {"realized_skr": real.skr, "realized_frequency": np.bincount(real.state_of_slot[:slots],
                                                                        minlength=real.skr.shape[0]) / slots,
            "pumped_counts": counts, "slots": int(slots), "beta": beta, "initial_rate": float(initial_rate)}
    if user is None and policy == "alpha":
        info["alpha"] = a
    if tops is not None:
        info["topologies"] = tops
    step = "cumulative average" if beta is None else f"constant beta={beta:g}"
    return Trace(scenario.kind, name, "slot", record, objective,
                 final={"rates": dict(zip(pairs, final.tolist())),
                        "pumped_slots": dict(zip(pairs, counts.tolist()))},
                 states={"rates": averages}, labels={"rates": list(pairs)}, point_key="rates", feasible=True,
                 violation=None, info=info, seconds=seconds,
                 message=f"{slots} slots, {step}, channel {scenario.channel.name}")


def _run_builtin(scenario, policy, a, slots, real, beta, initial_rate, record, record_topologies):
    """The built-in gradient schedulers (fast path; module docstring)."""
    skr_table = np.ascontiguousarray(real.skr)
    states = real.state_of_slot
    M = scenario.num_pairs
    K = scenario.capacity
    factor = scenario.count_factor
    independent = scenario.independent
    fast_family = scenario.topologies == AT_MOST_K
    oracle = None if fast_family else TopologyOracle(scenario)
    rec_i = 0
    averages = np.empty((record.size, M))
    tops = [] if record_topologies else None
    counts = np.zeros(M, dtype=np.int64)

    # r̄ = scale * A; the argmax only needs A (weights are scale-invariant up to a factor).
    A = np.full(M, float(initial_rate))
    scale = 1.0
    if policy == "rr":
        inv = 1.0 / A
    elif policy == "greedy":
        inv = np.ones(M)
    else:
        inv = np.power(A, -a)
    greedy_cache = {}
    for t in range(1, slots + 1):
        c = states[t - 1]
        s = skr_table[c]
        if policy == "rr":
            gains = inv
        else:
            gains = inv * s
        if policy == "greedy" and c in greedy_cache:
            chosen = greedy_cache[c]
        elif fast_family and independent:
            if K < M:
                chosen = np.argpartition(gains, M - K)[M - K:]
            else:
                chosen = np.arange(M)
            chosen = chosen[gains[chosen] > 0]
        elif fast_family:
            top = np.argpartition(gains, M - K)[M - K:] if K < M else np.arange(M)
            top = top[np.argsort(-gains[top])]
            vals = factor[: top.size] * np.cumsum(gains[top])
            k = int(np.argmax(vals))
            chosen = top[: k + 1] if vals[k] > 0 else top[:0]
        else:
            chosen, _ = oracle.best(gains)
        if policy == "greedy":
            greedy_cache[c] = chosen
        got = s[chosen] * (factor[chosen.size - 1] if chosen.size else 0.0)
        if beta is None:
            # cumulative average: A holds r̄(0) + Σ s, and r̄ = A / (t + 1)
            A[chosen] += got
            scale = 1.0 / (t + 1)
        else:
            scale *= 1.0 - beta
            if scale < 1e-250 or scale == 0.0:  # renormalize before underflow
                A *= scale if scale > 0 else 0.0
                A[A <= 0] = 1e-300
                scale = 1.0
                if policy != "greedy":
                    inv = 1.0 / A if policy == "rr" else np.power(A, -a)
            A[chosen] += beta * got / scale
        if chosen.size:
            if policy == "rr":
                inv[chosen] = 1.0 / A[chosen]
            elif policy != "greedy":
                inv[chosen] = np.power(A[chosen], -a)
        counts[chosen] += 1
        if tops is not None:
            tops.append(tuple(sorted(chosen.tolist())))
        if rec_i < record.size and t == record[rec_i]:
            averages[rec_i] = scale * A
            rec_i += 1
    return averages, scale * A, counts, tops


def _run_user(scenario, user, slots, real, beta, initial_rate, record, record_topologies):
    """A user policy: one ``decide(observation)`` per slot, every decision checked."""
    skr_table = np.array(real.skr, dtype=float)
    skr_table.setflags(write=False)
    states = real.state_of_slot
    M = scenario.num_pairs
    factor = np.array(scenario.count_factor, dtype=float)
    factor.setflags(write=False)
    pairs = list(scenario.pairs)
    check = DecisionCheck(scenario)
    topologies = scenario.topologies if isinstance(scenario.topologies, str) else \
        [tuple(scenario.pair(e) for e in top) for top in scenario.topologies]
    total = np.full(M, float(initial_rate))       # cumulative: r̄(0) + Σ s; constant step: r̄ itself
    avg = total.copy()
    averages = np.empty((record.size, M))
    counts = np.zeros(M, dtype=np.int64)
    tops = [] if record_topologies else None
    rec_i = 0
    user.reset(scenario)
    for t in range(1, slots + 1):
        s = skr_table[states[t - 1]]
        seen = avg.copy()
        seen.setflags(write=False)
        decision = user.decide(Observation(t, seen, s, pairs, scenario.capacity, factor, topologies))
        chosen = check(decision, t)
        got = np.zeros(M)
        if chosen.size:
            got[chosen] = s[chosen] * factor[chosen.size - 1]
        if beta is None:
            total += got
            avg = total / (t + 1)
        else:
            avg = (1.0 - beta) * avg + beta * got
        counts[chosen] += 1
        if tops is not None:
            tops.append(tuple(sorted(chosen.tolist())))
        if rec_i < record.size and t == record[rec_i]:
            averages[rec_i] = avg
            rec_i += 1
    return averages, avg, counts, tops


class DecisionCheck:
    """Validates a user policy's decision: an iterable of node pairs forming an allowed topology.

    Returns the pumped pairs' canonical indices; raises :class:`~qnum.errors.PolicyError`
    ``("slot t", resource, problem)`` when the decision breaks the model.

    Examples
    --------
    >>> from qnum.networks.pumping import PumpingScenario
    >>> check = DecisionCheck(PumpingScenario(4, 2, [[1.0] * 6], [1.0], topologies="matching"))
    >>> check([(1, 0), (2, 3)], 1).tolist()
    [0, 5]
    >>> check([(0, 1), (1, 2)], 7)
    Traceback (most recent call last):
    ...
    qnum.errors.PolicyError: slot 7 = [(0, 1), (1, 2)]: node 1 is in two pumped pairs, but topologies = "matching"
    """

    def __init__(self, scenario):
        self.scenario = scenario
        self.nodes = scenario.nodes
        self.capacity = scenario.capacity
        self.family = scenario.topologies if isinstance(scenario.topologies, str) else None
        self.allowed = None if self.family else set(scenario.topologies)

    def __call__(self, decision, t: int) -> np.ndarray:
        step = f"slot {t}"
        if decision is None or isinstance(decision, (str, bytes, dict)) or not hasattr(decision, "__iter__"):
            raise PolicyError(step, decision, "a decision must be an iterable of node pairs (i, j) "
                              "(empty: pump nothing)")
        items = list(decision)
        sc = self.scenario
        idx, seen_pairs = [], []
        for item in items:
            pair = self._pair(item, step)
            e = sc.pair_index(*pair) if self._known(pair) else None
            if e is None:
                raise PolicyError(step, list(item) if not isinstance(item, tuple) else item,
                                  f"is not a node pair of the scenario (two different nodes in [0, {self.nodes - 1}])")
            if e in idx:
                raise PolicyError(step, pair, "pair pumped twice in one slot")
            idx.append(e)
            seen_pairs.append(pair)
        if len(idx) > self.capacity:
            raise PolicyError(step, seen_pairs, f"{len(idx)} pairs pumped, more than capacity K = {self.capacity}")
        if self.family == "matching":
            used = set()
            for pair in seen_pairs:
                for v in pair:
                    if v in used:
                        raise PolicyError(step, seen_pairs, f"node {v} is in two pumped pairs, but topologies = "
                                          '"matching"')
                    used.add(v)
        elif self.allowed is not None and idx and tuple(sorted(idx)) not in self.allowed:
            raise PolicyError(step, [sc.pair(e) for e in sorted(idx)], "is not one of the scenario's listed "
                              "topologies")
        return np.asarray(idx, dtype=np.int64)

    def _pair(self, item, step):
        try:
            i, j = item
        except (TypeError, ValueError):
            raise PolicyError(step, item, "each pumped pair must be a node pair (i, j)") from None
        for v in (i, j):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise PolicyError(step, item, "each pumped pair must be two integer node indices (i, j)")
        return (int(i), int(j))

    def _known(self, pair) -> bool:
        i, j = pair
        return 0 <= i < self.nodes and 0 <= j < self.nodes and i != j
