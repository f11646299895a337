"""QNUM family: ``qnum simulate`` policies — QPrimalDual (message-level, its variants) and the baselines."""

from __future__ import annotations

import time

import numpy as np

from qnum.bench.report import bench_row
from qnum.errors import ScenarioError

POLICIES = ("qprimaldual", "qprimaldual-local", "qprimaldual-pi", "fixed-fidelity", "rate-only", "max-fidelity")

#: proportional gain of ``qprimaldual-pi`` unless ``pi_gain`` is given (qnum's choice: it damps
#: the delayed loop on NSFNet, where the plain update overshoots; RESULTS.md)
DEFAULT_PI_GAIN = 100.0

#: slots simulated when neither ``iters`` nor ``slots`` is given
DEFAULT_ITERS = 20000


def run_policy(scenario, policy: str, options: dict) -> dict:
    """Run one policy on a :class:`~qnum.networks.repeater.RepeaterScenario`; a JSON-ready dict.

    Options: ``iters`` (or ``slots``) — controller slots of the dynamics; ``hop_delay`` —
    slots the classical messages take per link (the message-level simulation of
    :mod:`qnum.solvers.repeater.messages`; steps are divided by the longest round trip + 1, so
    give proportionally more slots); ``pi_gain`` — proportional gain of the price controller.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> round(run_policy(two_user(), "qprimaldual", {})["utility"], 3)
    6.422
    """
    from qnum.solvers.repeater.baselines import fixed_fidelity_equal_shares, max_fidelity, rate_only_num
    from qnum.solvers.repeater.messages import qprimaldual_messages
    t0 = time.perf_counter()
    if policy not in POLICIES:
        raise ScenarioError("policy", policy, "must be one of " + ", ".join(POLICIES))
    w = None                      # link Werner parameters, where the policy sets them
    if policy.startswith("qprimaldual"):
        iters = int(options.get("iters") or options.get("slots") or DEFAULT_ITERS)
        hop_delay = options.get("hop_delay") or 0
        if isinstance(hop_delay, bool) or not isinstance(hop_delay, int) or hop_delay < 0:
            raise ScenarioError("hop_delay", hop_delay, "must be an integer >= 0 (slots per link)")
        gain = options.get("pi_gain")
        if gain is None:
            gain = DEFAULT_PI_GAIN if policy == "qprimaldual-pi" else 0.0
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or gain < 0:
            raise ScenarioError("pi_gain", gain, "must be a number >= 0")
        U, x, w = qprimaldual_messages(scenario, iters=iters, hop_delay=hop_delay, pi_gain=float(gain),
                                       variant="local" if policy == "qprimaldual-local" else "exact")
    elif policy == "max-fidelity":
        U, x, w = max_fidelity(scenario)
    else:
        run = fixed_fidelity_equal_shares if policy == "fixed-fidelity" else rate_only_num
        U, x = run(scenario)
    # dynamics stopped early may still overshoot capacity: report it instead of hiding it
    # (over 0.1 % of a link's capacity the final point is called infeasible)
    violation = (None if w is None
                 else float(np.max((scenario.incidence @ x) / scenario.capacity_scale + w - 1.0)))
    return {"status": "feasible" if violation is None or violation <= 1e-3 else "infeasible",
            "policy": policy, "utility": U, "rates": x.tolist(),
            "werner": None if w is None else dict(zip(scenario.link_names, w.tolist())),
            "max_capacity_violation": violation, "seconds": time.perf_counter() - t0}


def simulate_json(scenario, policy: str, options: dict) -> dict:
    """``qnum simulate`` output for the QNUM family."""
    return run_policy(scenario, policy, options)


def bench_rows_dynamics(instance: str, scenario, optimum) -> list[dict]:
    """Bench rows of every policy on one instance, with the gap to the certified optimum."""
    rows = []
    for policy in POLICIES:
        out = run_policy(scenario, policy, {})
        rows.append(bench_row("qnum", instance, policy, out["status"], out["utility"], None,
                              optimum.objective - out["utility"], out["seconds"]))
    return rows
