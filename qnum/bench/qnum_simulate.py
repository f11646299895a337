"""QNUM family: ``qnum simulate`` policies (QPrimalDual dynamics, variants and baselines)."""

from __future__ import annotations

from qnum.errors import ScenarioError

POLICIES = ("qprimaldual",)


def simulate_json(scenario, policy: str, options: dict) -> dict:
    """QPrimalDual run (distillable utility only) as a JSON dict."""
    from qnum.solvers.qnum_primaldual import qprimaldual
    if policy != "qprimaldual":
        raise ScenarioError("policy", policy, "must be qprimaldual")
    if scenario.utility != "distillable":
        raise ScenarioError("utility", scenario.utility, "qprimaldual supports distillable only")
    U, x, w = qprimaldual(scenario.capacity_scale, scenario.incidence, scenario.weights)
    return {"status": "feasible", "policy": policy, "utility": U, "rates": x.tolist(),
            "werner": dict(zip(scenario.link_names, w.tolist()))}
