"""Online gradient pumping schedulers of the PF paper: PF-PS, G-PS, RR-PS, general α.

Each slot t the source pumps ``G(t) = argmax_G Σ_{e∈G} U'(r̄_e) s_e(G, c_t)`` and the
averages move as ``r̄ ← (1 − β) r̄ + β s(G(t), c_t)``. PF-PS is α = 1, G-PS α = 0,
RR-PS maximizes ``Σ_{e∈G} 1/r̄_e`` ignoring the instantaneous SKR; any α, or a user
callable ``marginal(avg) -> weights`` (the role of U'), works too.

Default step: the cumulative average with ``r̄(0)`` counted as one observation,
``r̄_t = (r̄(0) + Σ_{τ<=t} s_τ) / (t + 1)`` (β_t = 1/(t+1); no average is ever zero, so
U'(r̄) stays finite). ``beta=B`` gives the constant step.

Speed: the argmax is invariant to a common positive factor on the weights, so the
averages are kept as ``r̄ = scale · A`` and only the K pumped entries of A (and of the
cached weights A^-α) change per slot; a slot costs one multiply and one partial sort
over the pairs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.pumping import AT_MOST_K
from qnum.solvers.pumping.oracles import TopologyOracle

POLICIES = ("pf", "greedy", "rr", "alpha")
_POLICY_ALPHA = {"pf": 1.0, "greedy": 0.0}


@dataclass
class Trace:
    """What an online scheduler did: averages over time and the realized channel.

    Attributes
    ----------
    policy : str
    times : numpy.ndarray
        Slot counts at which ``averages`` were recorded.
    averages : numpy.ndarray, shape (len(times), M)
        Average SKR of every pair (bit/s) after those slots.
    final : numpy.ndarray
        Averages after the last slot.
    realized_skr, realized_frequency : numpy.ndarray
        The channel states the run saw and how often (for hindsight optima).
    pumped_counts : numpy.ndarray
        How many slots each pair was pumped.
    topologies : list or None
        Pumped pair indices per slot, when recorded.
    """

    policy: str
    scenario_name: str
    slots: int
    beta: float | None
    times: np.ndarray
    averages: np.ndarray
    final: np.ndarray
    realized_skr: np.ndarray
    realized_frequency: np.ndarray
    pumped_counts: np.ndarray
    seconds: float
    topologies: list | None = None


def _checkpoints(slots: int, count: int) -> np.ndarray:
    """Roughly log-spaced slot counts ending at ``slots``."""
    pts = np.unique(np.round(np.logspace(0, math.log10(max(slots, 1)), count)).astype(np.int64))
    return pts[(pts >= 1) & (pts <= slots)]


def simulate(scenario, policy="pf", slots: int = 100_000, *, seed=None, beta: float | None = None,
             alpha: float | None = None, initial_rate: float = 1.0, checkpoints: int = 200,
             record_topologies: bool = False, realization=None) -> Trace:
    """Run an online pumping scheduler.

    Parameters
    ----------
    scenario : PumpingScenario
    policy : {"pf", "greedy", "rr", "alpha"} or callable
        ``"alpha"`` uses ``alpha`` (default: the scenario's). A callable receives the
        current averages (array, bit/s) and returns the per-pair weights playing U'(r̄).
    slots : int
        Number of time slots.
    seed : int or numpy.random.Generator
        Seed of the channel realization.
    beta : float, optional
        Constant averaging step in (0, 1]; default the cumulative average.
    initial_rate : float
        ``r̄(0)`` of every pair, bit/s (qnum's stand-in: 1 bit/s).
    checkpoints : int
        How many (log-spaced) points of the averages to record.
    record_topologies : bool
        Keep the pumped pairs of every slot (memory: slots x K).
    realization : Realization, optional
        Use this channel realization instead of drawing one.

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> sc = four_node_example()
    >>> tr = simulate(sc, "greedy", slots=50)
    >>> sorted(np.flatnonzero(tr.pumped_counts).tolist())   # always (0,1) and (2,3)
    [0, 5]
    """
    if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) or slots < 1:
        raise ScenarioError("slots", slots, "must be an integer >= 1")
    if beta is not None and not 0 < beta <= 1:
        raise ScenarioError("beta", beta, "must lie in (0, 1]")
    if not initial_rate > 0:
        raise ScenarioError("initial_rate", initial_rate, "must be > 0")
    name = policy if isinstance(policy, str) else getattr(policy, "__name__", "custom")
    if isinstance(policy, str):
        if policy not in POLICIES:
            raise ScenarioError("policy", policy, f"must be one of {list(POLICIES)} or a callable")
        a = _POLICY_ALPHA.get(policy, scenario.alpha if alpha is None else alpha)
        if policy == "alpha" and math.isinf(a):
            raise ScenarioError("alpha", "maxmin", "the gradient scheduler needs a finite alpha")
    real = realization if realization is not None else scenario.channel.realize(scenario, slots, seed)
    skr_table = np.ascontiguousarray(real.skr)
    states = real.state_of_slot
    M = scenario.num_pairs
    K = scenario.capacity
    factor = scenario.count_factor
    independent = scenario.independent
    fast_family = scenario.topologies == AT_MOST_K
    oracle = None if fast_family else TopologyOracle(scenario)
    record = _checkpoints(slots, checkpoints)
    rec_i = 0
    averages = np.empty((record.size, M))
    tops = [] if record_topologies else None
    counts = np.zeros(M, dtype=np.int64)

    # r̄ = scale * A; the argmax only needs A (weights are scale-invariant up to a factor).
    A = np.full(M, float(initial_rate))
    scale = 1.0
    callable_policy = not isinstance(policy, str)
    if not callable_policy:
        if policy == "rr":
            inv = 1.0 / A
        elif policy == "greedy":
            inv = np.ones(M)
        else:
            inv = np.power(A, -a)
    greedy_cache = {}
    start = time.perf_counter()
    for t in range(1, slots + 1):
        c = states[t - 1]
        s = skr_table[c]
        if callable_policy:
            gains = np.asarray(policy(scale * A), dtype=float) * s
        elif policy == "rr":
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
                if not callable_policy and policy != "greedy":
                    inv = 1.0 / A if policy == "rr" else np.power(A, -a)
            A[chosen] += beta * got / scale
        if not callable_policy and chosen.size:
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
    seconds = time.perf_counter() - start
    return Trace(policy=name, scenario_name=scenario.name, slots=slots, beta=beta, times=record,
                 averages=averages, final=scale * A, realized_skr=skr_table, realized_frequency=real.frequencies(),
                 pumped_counts=counts, seconds=seconds, topologies=tops)
