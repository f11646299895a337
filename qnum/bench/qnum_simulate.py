"""QNUM family: ``qnum simulate`` policies — QPrimalDual dynamics and the fixed-fidelity baselines."""

from __future__ import annotations

import time

from qnum.bench.report import bench_row
from qnum.errors import ScenarioError

POLICIES = ("qprimaldual", "fixed-fidelity", "rate-only")


def run_policy(scenario, policy: str, options: dict) -> dict:
    """Run one policy on a :class:`~qnum.networks.repeater.RepeaterScenario`; a JSON-ready dict.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> round(run_policy(two_user(), "qprimaldual", {})["utility"], 3)
    6.422
    """
    from qnum.solvers.qnum_baselines import fixed_fidelity_equal_shares, rate_only_num
    from qnum.solvers.qnum_primaldual import qprimaldual
    t0 = time.perf_counter()
    if policy == "qprimaldual":
        iters = options.get("iters") or 20000
        U, x, w = qprimaldual(scenario.capacity_scale, scenario.incidence, scenario.weights,
                              iters=int(iters), utility=scenario.utility,
                              log_decay=scenario.route_log_decay)
        werner = dict(zip(scenario.link_names, w.tolist()))
    elif policy in ("fixed-fidelity", "rate-only"):
        run = fixed_fidelity_equal_shares if policy == "fixed-fidelity" else rate_only_num
        U, x = run(scenario)
        werner = None
    else:
        raise ScenarioError("policy", policy, "must be one of " + ", ".join(POLICIES))
    return {"status": "feasible", "policy": policy, "utility": U, "rates": x.tolist(),
            "werner": werner, "seconds": time.perf_counter() - t0}


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
