"""QNUM family plug-in: scenario files of kind "qnum", ``qnum solve`` output and bench rows.

``qnum solve`` runs the certified global solver (:mod:`qnum.solvers.repeater.branch_and_bound`): in the
concave case its root closes the gap, otherwise it branches. ``qnum simulate`` (QPrimalDual)
lives in :mod:`qnum.solvers.repeater.policies`.
"""

from __future__ import annotations

from qnum.solvers.repeater.policies import POLICIES, bench_rows_dynamics, simulate_json  # noqa: F401
from qnum.bench.report import bench_row
from qnum.errors import ScenarioError
from qnum.networks.repeater import RepeaterScenario, dumbbell, from_links, nsfnet, two_user
from qnum.models.repeater import solve_convex
from qnum.solvers.repeater.local import solve_local
from qnum.solvers.repeater.branch_and_bound import solve_global

KIND = "qnum"
BENCH_NAME = "qnum"

_PHYSICS = ("attempt_time_s", "attenuation_db_per_km", "efficiency", "decoherence_rate_per_s",
            "fiber_speed_km_per_s")


def scenario_from_dict(data: dict) -> RepeaterScenario:
    """Validated QNUM scenario from the contract's form.

    Examples
    --------
    >>> sc = scenario_from_dict({"kind": "qnum", "links": [{"name": "a", "length_km": 1.0}],
    ...                          "routes": [{"links": ["a"]}]})
    >>> sc.link_names, sc.routes
    (['a'], [[0]])
    """
    links = {}
    for i, link in enumerate(data.get("links") or []):
        if not isinstance(link, dict) or "name" not in link:
            raise ScenarioError(f"links[{i}]", link, "need a name and length_km")
        length = link.get("length_km")
        if isinstance(length, bool) or not isinstance(length, (int, float)) or length < 0:
            raise ScenarioError(f"links[{i}].length_km", length, "must be a number >= 0")
        if str(link["name"]) in links:
            raise ScenarioError(f"links[{i}].name", link["name"], "duplicate link name")
        links[str(link["name"])] = float(length)
    if not links:
        raise ScenarioError("links", data.get("links"), "need at least one link")
    routes = []
    for i, r in enumerate(data.get("routes") or []):
        if not isinstance(r, dict) or not isinstance(r.get("links"), list):
            raise ScenarioError(f"routes[{i}]", r, "need a list of links")
        w = r.get("weight", 1.0)
        if isinstance(w, bool) or not isinstance(w, (int, float)):
            raise ScenarioError(f"routes[{i}].weight", w, "must be a number > 0")
        routes.append((list(r["links"]), float(w)))
    if not routes:
        raise ScenarioError("routes", data.get("routes"), "need at least one route")
    physics = {key: data[key] for key in _PHYSICS if key in data}
    return from_links(links, routes, data.get("utility", "distillable"), **physics)


def _solution_json(sc: RepeaterScenario, s) -> dict:
    out = {"status": str(s.status), "utility": s.objective, "bound": s.bound, "gap": s.gap,
           "relative_gap": s.relative_gap, "rates": s.values.get("rates"),
           "fidelity": s.values.get("fidelity"), "werner": s.values.get("werner"),
           "solver": s.solver, "seconds": s.seconds, "message": s.message}
    for key in ("concave_on_range", "concave_at_optimum", "concave_below_fidelity"):
        if key in s.values:
            out[key] = s.values[key]
    return out


#: ``qnum solve --method`` values for kind "qnum"
METHODS = ("auto", "global", "convex")


def solve_json(scenario: RepeaterScenario, options: dict) -> dict:
    """The contract's JSON dict: certified global optimum (``method`` "auto"/"global") or the
    CVXPY convex model (``"convex"``: optimal when the concavity condition holds at the
    optimum, otherwise the envelope bound with status "feasible")."""
    method = options.get("method") or "auto"
    if method not in METHODS:
        raise ScenarioError("--method", method, "must be one of " + ", ".join(METHODS) + ' for kind "qnum"')
    if method == "convex":
        return _solution_json(scenario, solve_convex(scenario))
    return _solution_json(scenario, solve_global(scenario))


def bench_instances() -> dict:
    """Built-in instances: the two-user example, a dumbbell and NSFNet (three utilities)."""
    return {"two-user": two_user(), "dumbbell-8": dumbbell(8),
            "nsfnet-20": nsfnet(20), "nsfnet-20-secret-key": nsfnet(20, utility="secret-key"),
            "nsfnet-20-negativity": nsfnet(20, utility="negativity")}


def bench_rows(options: dict) -> list[dict]:
    """Bench rows: certified optimum, CVXPY convex model, local scipy solve, QPrimalDual and
    baselines per instance."""
    rows = []
    for name, sc in bench_instances().items():
        s = solve_global(sc)
        rows.append(bench_row("qnum", name, "optimum", s.status, s.objective, s.bound, 0.0, s.seconds))
        cvx = solve_convex(sc)
        rows.append(bench_row("qnum", name, "convex", cvx.status, cvx.objective, cvx.bound,
                              s.objective - cvx.objective, cvx.seconds))
        loc = solve_local(sc)
        gap = None if loc.objective is None else s.objective - loc.objective
        rows.append(bench_row("qnum", name, "local", loc.status, loc.objective, None, gap, loc.seconds))
        rows.extend(bench_rows_dynamics(name, sc, s))
    return rows


def _sweep_nsfnet(n_pairs: int = 10, seed: int = 0, length_scale: float = 0.01, utility: str = "distillable") -> dict:
    return nsfnet(int(n_pairs), seed=int(seed), length_scale=float(length_scale), utility=utility).to_dict()


def _sweep_dumbbell(n_pairs: int = 4, access_km: float = 15.0, backbone_km: float = 30.0,
                    utility: str = "distillable") -> dict:
    return dumbbell(int(n_pairs), float(access_km), float(backbone_km), utility).to_dict()


#: Builders the sweep engine can name in ``base.builder`` (see :mod:`qnum.sweep.builders`).
SWEEP_BUILDERS = {"nsfnet": _sweep_nsfnet, "dumbbell": _sweep_dumbbell}

#: Run options of ``qnum simulate`` a sweep may set or vary (message latency, PI gain).
SWEEP_OPTIONS = ("hop_delay", "pi_gain")
