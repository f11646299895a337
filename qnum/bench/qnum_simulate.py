"""QNUM family: ``qnum simulate`` policies (QPrimalDual dynamics, variants and baselines)."""

from __future__ import annotations

from qnum.errors import ScenarioError

POLICIES = ("qprimaldual",)


def simulate_json(scenario, policy: str, options: dict) -> dict:
    """QPrimalDual run (distillable utility only) as a JSON dict."""
    import numpy as np

    from qnum.physics.werner import link_capacity_scale
    from qnum.solvers.qnum_primaldual import qprimaldual
    if policy != "qprimaldual":
        raise ScenarioError("policy", policy, "must be qprimaldual")
    if scenario["utility"] != "distillable":
        raise ScenarioError("utility", scenario["utility"], "qprimaldual supports distillable only")
    names = list(scenario["links"])
    d = np.array([float(link_capacity_scale(scenario["links"][n],
                                            scenario.get("attempt_time_s", 1e-3),
                                            scenario.get("attenuation_db_per_km", 0.2),
                                            scenario.get("efficiency", 1.0))) for n in names])
    A = np.zeros((len(names), len(scenario["routes"])))
    for r, (rl, _) in enumerate(scenario["routes"]):
        for l in rl:
            A[names.index(l), r] = 1.0
    om = np.array([w for _, w in scenario["routes"]])
    U, x, w = qprimaldual(d, A, om)
    return {"status": "feasible", "policy": policy, "utility": U, "rates": x.tolist(),
            "werner": dict(zip(names, w.tolist()))}
