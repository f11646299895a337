"""The pumping family's plug-in: α-fair entanglement pumping (the PF paper) in qnum's one contract.

One entangled-photon source serves N QKD nodes and pumps at most K node pairs per time
slot; the channel state (hence each pair's secret key rate, SKR) changes from slot to
slot. The optimum maximizes the α-fair utility of the long-run average SKRs over the
rate region (:mod:`qnum.models.pumping`); the online schedulers pump, every slot, the
topology with the largest gradient gain (:mod:`qnum.solvers.pumping.online`).

Objective (:data:`OBJECTIVE`): ``Σ_e w_e U_α(r_e)`` with the scenario's α and weights
(max-min: ``min_e r_e / w_e``); a trace evaluates it at the running averages r̄_t, so
:func:`qnum.compare` measures every policy against the same function the optimum
maximizes.

**Benchmark your own scheduler** (:data:`POLICY_PROTOCOL`). A policy is a function
``decide(observation)`` or an object with ``decide`` and optionally ``reset(setup)`` (called
once with the scenario) and ``name``. Each slot ``t`` it receives an
:class:`~qnum.solvers.pumping.online.Observation` — what the PF paper's scheduler knows:
the slot ``t`` (1-based), the averages ``r̄`` after slot ``t - 1`` and the instantaneous
SKR ``s`` of every pair in this slot's channel state (both arrays in ``pairs`` order),
``pairs``, ``capacity`` K, ``per_count_factor`` and the allowed ``topologies`` — and
returns the pairs to pump: an iterable of node pairs ``(i, j)`` (either order; empty:
pump nothing). qnum checks each decision (known pair, no pair twice, at most K pairs, no
node in two pairs for matchings, one of the listed topologies) and stops a run that
breaks the model with a :class:`~qnum.errors.PolicyError` naming the slot and the pairs:

>>> import qnum
>>> from qnum.networks.pumping import four_node_example
>>> sc = four_node_example()
>>> def pf_like(obs):                      # pump the two pairs with the largest s_e / r̄_e
...     best = sorted(range(len(obs.pairs)), key=lambda e: -obs.skr[e] / obs.averages[e])
...     return [obs.pairs[e] for e in best[:obs.capacity]]
>>> rep = qnum.compare(qnum.simulate(sc, pf_like, slots=3000), qnum.solve(sc))
>>> rep.policy, bool(abs(rep.final_relative_gap) < 1e-2)
('pf_like', True)
>>> qnum.simulate(sc, lambda obs: [(0, 1), (1, 0)], slots=10)
Traceback (most recent call last):
...
qnum.errors.PolicyError: slot 1 = (1, 0): pair pumped twice in one slot

A worked example ships as :mod:`qnum.examples.pumping_policy`.
"""

from __future__ import annotations

import math

import numpy as np

from qnum.errors import OptionError
from qnum.networks.pumping import AT_MOST_K, PumpingScenario, four_node_example, table_i
from qnum.options import CUSTOM, Method, Option, Policy
from qnum.solution import Solution
from qnum.trace import Trace

KIND = "pumping"
DESCRIPTION = ("α-fair entanglement pumping: one source, N QKD nodes, at most K pairs per slot "
               "(the PF paper: proportional-fair pumping scheduling)")
SCENARIO_TYPE = PumpingScenario
OBJECTIVE = ("Σ_e w_e U_α(r_e) of the average secret key rates r_e (bit/s), with U_α(x) = x^(1-α)/(1-α) "
             "(log x for α = 1) and the scenario's α and weights w; max-min: min_e r_e / w_e")
TIME_AXIS = "slot"
EXAMPLE_POLICY = "qnum.examples.pumping_policy:MaxWeightScheduler"

_SOLVER = Option("solver", "str", "CVXPY solver name (default CLARABEL; HiGHS for linear programs)")

METHODS = {
    "auto": Method("separable for at-most-k topologies with independent SKRs and finite α; cvxpy for other "
                   "at-most-k cases; column-generation for matchings and explicit topology lists",
                   honours=("tol", "time_limit")),
    "separable": Method("qnum's structured interior-point method (at-most-k, independent SKRs, finite α), "
                        "certified by the exact Lagrangian dual bound", honours=("tol", "time_limit")),
    "cvxpy": Method("the exact compact formulation (at-most-k) with a conic solver through CVXPY, certified by "
                    "qnum's dual / Frank-Wolfe bound; time_limit is the conic solver's own",
                    honours=("tol", "time_limit"), solver_options=(_SOLVER,)),
    "column-generation": Method("column generation over any topology family, certified by a Frank-Wolfe "
                                "bound every iteration", honours=("tol", "time_limit"),
                                solver_options=(_SOLVER,)),
    "enumeration": Method("every topology of the family as a column (small cases), same certificate",
                          honours=("tol", "time_limit"), solver_options=(_SOLVER,)),
}

POLICIES = {
    "pf": Policy("PF-PS, the proportional-fair pumping scheduler of the PF paper: pump argmax Σ s_e / r̄_e"),
    "greedy": Policy("G-PS, the PF paper's greedy scheduler: pump argmax Σ s_e (largest instantaneous SKRs)"),
    "rr": Policy("RR-PS, the PF paper's round-robin scheduler: pump argmax Σ 1 / r̄_e, blind to the channel"),
    "alpha": Policy("the PF paper's gradient scheduler for a general α: pump argmax Σ s_e r̄_e^-α (α: the "
                    "scenario's, or the alpha option)"),
}

_ALL = tuple(POLICIES) + (CUSTOM,)
SIMULATE_OPTIONS = {
    "slots": Option("slots", "int", "number of time slots", default=100_000, minimum=1, applies_to=_ALL),
    "seed": Option("seed", "int", "seed of the channel realization", default=0, minimum=0, applies_to=_ALL),
    "beta": Option("beta", "float", "constant averaging step of r̄ (default: the cumulative average)",
                   default=None, minimum=0.0, maximum=1.0, exclusive_minimum=True, applies_to=_ALL),
    "alpha": Option("alpha", "float", "α of the gradient scheduler (default: the scenario's α)", default=None,
                    minimum=0.0, applies_to=("alpha",)),
    "initial_rate": Option("initial_rate", "float", "r̄(0) of every pair, bit/s", default=1.0, minimum=0.0,
                           exclusive_minimum=True, applies_to=_ALL),
    "checkpoints": Option("checkpoints", "int", "how many log-spaced slots of the averages to record",
                          default=200, minimum=2, applies_to=_ALL),
    "realization": Option("realization", "object", "a channel Realization to replay (Python only; default: "
                          "drawn from the scenario's channel with seed)", default=None, applies_to=_ALL),
}

POLICY_PROTOCOL = """\
Each slot t your policy's decide(observation) gets an Observation with:
  slot             t, 1-based
  averages         r̄ after slot t-1 (bit/s), numpy array in `pairs` order (kept by qnum: cumulative
                   average, or the constant step beta)
  skr              instantaneous SKR of every pair in this slot's channel state (bit/s), `pairs` order
  pairs            the node pairs (i, j), i < j, canonical order
  capacity         K, the most pairs pumped per slot
  per_count_factor f_1..f_K: a pumped pair gets f_k times its SKR when k pairs are pumped
  topologies       "at-most-k", "matching", or the explicit list of allowed topologies
and returns the pairs to pump this slot: an iterable of node pairs (i, j), either order; empty = none.
reset(setup), if defined, is called once before the run with the scenario.
A decision with an unknown pair, a pair twice, more than K pairs, a node in two pairs (matching) or
a topology not in the list stops the run: PolicyError("slot t", pairs, reason)."""


# -- solve ----------------------------------------------------------------------------------

def solve(scenario: PumpingScenario, method: str = "auto", *, tol: float | None = None,
          time_limit: float | None = None, **solver_options) -> Solution:
    """Certified α-fair optimum (options already checked against :data:`METHODS`).

    Returns a :class:`~qnum.solution.Solution` with ``values["rates"]`` = ``{(i, j): bit/s}``
    and ``values["schedule"]`` (the time sharing per channel state), plus the method's
    ``iterations`` / ``columns`` / ``prices``.

    Examples
    --------
    >>> sc = four_node_example()
    >>> sol = solve(sc, "column-generation", tol=1e-6, time_limit=30.0)
    >>> str(sol.status), sol.termination, round(sol.values["rates"][(0, 1)])
    ('optimal', 'converged', 2000)
    """
    from qnum.models.pumping import AlphaFair

    solver = solver_options.pop("solver", None)
    if solver_options:
        key = next(iter(solver_options))
        raise OptionError(key, solver_options[key], f"not an option of method {method!r} of kind 'pumping'")
    if solver is not None:
        from qnum.solvers.conic import checked_solver_name

        solver = checked_solver_name(solver)
    model = AlphaFair(scenario)
    if method in ("separable", "cvxpy") and not _applies(model, method):
        raise OptionError("method", method, _NEEDS[method])
    return model.solve(method, tol=tol, time_limit=time_limit, solver=solver)


_NEEDS = {"separable": 'needs topologies = "at-most-k", independent SKRs (no per_count_factor) and a finite '
                       "alpha; use auto, cvxpy or column-generation",
          "cvxpy": 'the compact formulation needs topologies = "at-most-k"; use column-generation for matchings '
                   "and explicit lists"}


def _applies(model, method: str) -> bool:
    sc = model.scenario
    if method == "separable":
        return sc.topologies == AT_MOST_K and sc.independent and not math.isinf(model.alpha)
    return sc.topologies == AT_MOST_K


def solution_json(scenario: PumpingScenario, sol: Solution) -> dict:
    """``qnum solve`` JSON: the summary plus ``alpha``, ``rates`` ``[[i, j, bit/s], ...]``, ``schedule``.

    Examples
    --------
    >>> sc = four_node_example()
    >>> out = solution_json(sc, solve(sc, "auto"))
    >>> out["objective"] > 0, out["rates"][0][:2], "utility" in out
    (True, [0, 1], False)
    """
    out = sol.to_dict()
    out["alpha"] = _alpha_json(scenario.alpha)
    values = sol.values
    if "rates" in values:
        out["rates"] = _pairs_json(scenario, values["rates"], float)
    if values.get("schedule") is not None:
        out["schedule"] = values["schedule"].to_list()
    for key in ("iterations", "columns"):
        if key in values:
            out[key] = int(values[key])
    if "prices" in values:
        out["prices"] = [float(values["prices"][c]) for c in sorted(values["prices"])]
    return out


def trace_json(scenario: PumpingScenario, tr: Trace) -> dict:
    """``qnum simulate`` JSON: the summary plus ``alpha``, ``rates`` (final averages) and ``pumped_slots``.

    Examples
    --------
    >>> sc = four_node_example()
    >>> out = trace_json(sc, simulate(sc, "rr", slots=100))
    >>> out["steps"], len(out["rates"]), out["pumped_slots"][0]
    (100, 6, [0, 1, 14])
    """
    out = tr.to_dict()
    out["alpha"] = _alpha_json(scenario.alpha)
    out["rates"] = _pairs_json(scenario, tr.final["rates"], float)
    out["pumped_slots"] = _pairs_json(scenario, tr.final["pumped_slots"], int)
    return out


def _alpha_json(alpha: float):
    return "maxmin" if math.isinf(alpha) else alpha


def _pairs_json(scenario, per_pair: dict, cast) -> list:
    return [[i, j, cast(per_pair[(i, j)])] for (i, j) in scenario.pairs]


# -- simulate -------------------------------------------------------------------------------

def simulate(scenario: PumpingScenario, policy, **options) -> Trace:
    """Run a built-in scheduler (:data:`POLICIES`) or a user policy; options default as declared.

    Examples
    --------
    >>> tr = simulate(four_node_example(), "pf", slots=2000, seed=1)
    >>> tr.time_axis, tr.point_key, len(tr.final["rates"])
    ('slot', 'rates', 6)
    """
    from qnum.solvers.pumping.online import simulate as run

    values = {name: option.default for name, option in SIMULATE_OPTIONS.items()}
    values.update(options)
    return run(scenario, policy, values["slots"], seed=values["seed"], beta=values["beta"],
               alpha=values["alpha"], initial_rate=values["initial_rate"], checkpoints=values["checkpoints"],
               realization=values["realization"])


# -- bench and sweeps -------------------------------------------------------------------------

def bench_instances() -> dict:
    """The PF paper's studies: the Table I/II network (fixed, 3-state i.i.d., perturbed QBER;
    K = 2 stand-in) and the 4-node example (stand-in numbers)."""
    scenarios = [table_i(2, "fixed"), table_i(2, "iid3"), table_i(2, "perturbed"), four_node_example()]
    return {sc.name: sc for sc in scenarios}


BENCH_METHODS = ()
BENCH_POLICIES = ("pf", "greedy", "rr")


def BENCH_SIMULATE_OPTIONS(slots: int, seed: int) -> dict:  # noqa: N802 - a protocol name
    """The bench's simulate options: ``slots`` and ``seed``."""
    return {"slots": slots, "seed": seed}


def validate_point(scenario: PumpingScenario, point: dict) -> tuple:
    """Independent check of a labelled point (a Solution's ``values`` or a Trace's ``final``).

    Returns ``(objective, problems)``: the objective recomputed from the point's rates, and
    every violation found. With a ``schedule``, each state's time sharing is checked (shares
    ≥ 0 summing to at most 1, every topology allowed: at most K pairs, a matching, or listed)
    and the rates are recomputed from it (SKR × sharing factor, per state and topology).

    Examples
    --------
    >>> import qnum
    >>> sc = table_i()
    >>> sol = qnum.solve(sc)
    >>> objective, problems = validate_point(sc, sol.values)
    >>> problems, bool(abs(objective - sol.objective) < 1e-9 * abs(sol.objective))
    ([], True)
    """
    problems = []
    missing = [p for p in scenario.pairs if p not in point["rates"]]
    if missing:
        return math.nan, [f"rates: no value for pairs {missing[:3]}"]
    rates = np.array([point["rates"][p] for p in scenario.pairs], dtype=float)
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        problems.append("rates: every rate must be finite and >= 0")
    schedule = point.get("schedule")
    if schedule is not None:
        derived = np.zeros(scenario.num_pairs)
        factor = scenario.count_factor
        for c in range(scenario.num_states):
            shares = schedule.topologies(c)
            total = sum(p for p, _ in shares)
            if total > 1 + 1e-9 or any(p < 0 for p, _ in shares):
                problems.append(f"schedule state {c}: shares must be >= 0 and sum to <= 1 (sum {total:.12g})")
            for p, idx in shares:
                pairs = [scenario.pair(e) for e in idx]
                if len(idx) > scenario.capacity:
                    problems.append(f"schedule state {c}: {pairs} pumps more than K = {scenario.capacity} pairs")
                if scenario.topologies == "matching" and len({v for pr in pairs for v in pr}) < 2 * len(pairs):
                    problems.append(f"schedule state {c}: {pairs} is not a matching")
                if not isinstance(scenario.topologies, str) and tuple(sorted(idx)) not in scenario.topologies:
                    problems.append(f"schedule state {c}: {pairs} is not a listed topology")
                derived[list(idx)] += scenario.probabilities[c] * p * factor[len(idx) - 1] * scenario.skr[c, list(idx)]
        if not np.allclose(derived, rates, rtol=1e-7, atol=1e-9 * max(1.0, float(rates.max(initial=0)))):
            worst = int(np.argmax(np.abs(derived - rates)))
            problems.append(f"rates: pair {scenario.pair(worst)} reports {rates[worst]:.10g} but its schedule gives "
                            f"{derived[worst]:.10g}")
    from qnum.utility import total_utility

    return total_utility(rates, scenario.alpha, scenario.weights), problems


def bench_metrics(scenario: PumpingScenario, result) -> dict:
    """Total rate, smallest rate and Jain's fairness index of the rates (a Solution's or a Trace's).

    Examples
    --------
    >>> sc = four_node_example()
    >>> m = bench_metrics(sc, solve(sc, "auto"))
    >>> round(m["total_rate"]), round(m["jain"], 3)
    (6600, 0.793)
    """
    rates = result.final.get("rates") if isinstance(result, Trace) else result.values.get("rates")
    if not rates:
        return {}
    r = scenario.vector(rates)
    square = float(np.sum(r ** 2))
    return {"total_rate": float(r.sum()), "min_rate": float(r.min()),
            "jain": float(r.sum() ** 2 / (r.size * square)) if square > 0 else None}


def _sweep_table_i(capacity: int = 2, channel: str = "fixed", seed: int = 2025, alpha=1.0) -> dict:
    return table_i(capacity, channel, seed=seed, alpha=alpha).to_dict()


def _sweep_random(nodes: int = 5, capacity: int = 2, states: int = 1, seed: int = 0, side_km: float = 100.0,
                  alpha=1.0) -> dict:
    from qnum.networks.pumping import random_network

    return random_network(nodes, capacity, states, seed=seed, side_km=side_km, alpha=alpha).to_dict()


SWEEP_BUILDERS = {"table-i": _sweep_table_i, "random": _sweep_random}
