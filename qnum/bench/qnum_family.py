"""QNUM family plug-in: scenario files of kind "qnum", ``qnum solve`` output and bench rows.

``qnum simulate`` (QPrimalDual and baselines) lives in :mod:`qnum.bench.qnum_simulate`.
"""

from __future__ import annotations

from qnum.errors import ScenarioError
from qnum.bench.qnum_simulate import POLICIES, simulate_json  # noqa: F401  (plug-in interface)
from qnum.solvers.qnum_convex import solve_qnum, validate_inputs

KIND = "qnum"
BENCH_NAME = "qnum"


def scenario_from_dict(data: dict) -> dict:
    """Validated QNUM scenario (a dict of ``solve_qnum`` arguments).

    Examples
    --------
    >>> sc = scenario_from_dict({"kind": "qnum", "links": [{"name": "a", "length_km": 1.0}],
    ...                          "routes": [{"links": ["a"]}]})
    >>> sc["links"]
    {'a': 1.0}
    """
    links = {}
    for i, link in enumerate(data.get("links") or []):
        if not isinstance(link, dict) or "name" not in link:
            raise ScenarioError(f"links[{i}]", link, "need a name and length_km")
        length = link.get("length_km")
        if isinstance(length, bool) or not isinstance(length, (int, float)) or length < 0:
            raise ScenarioError(f"links[{i}].length_km", length, "must be a number >= 0")
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
    sc = {"links": links, "routes": routes, "utility": data.get("utility", "distillable")}
    for key in ("attempt_time_s", "attenuation_db_per_km", "efficiency"):
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ScenarioError(key, v, "must be a number > 0")
            sc[key] = float(v)
    validate_inputs(links, routes, sc["utility"])   # bad input fails when read, not in the solver
    return sc


def solve_json(scenario, options: dict) -> dict:
    """Offline optimum as the contract's JSON dict."""
    s = solve_qnum(**scenario)
    return {"status": str(s.status), "utility": s.objective, "bound": s.bound,
            "rates": s.values.get("rates"), "fidelity": s.values.get("fidelity"),
            "werner": s.values.get("werner"), "solver": s.solver, "seconds": s.seconds}


def bench_rows(options: dict) -> list[dict]:
    """Bench rows: the concave optimum on the two-user/one-server example."""
    sc = {"links": {"u1": 2.0, "u2": 2.0, "s": 2.0},
          "routes": [(["u1", "s"], 1.0), (["u2", "s"], 1.0)], "utility": "distillable"}
    s = solve_qnum(**sc)
    return [{"family": "qnum", "instance": "two-user", "method": "optimum",
             "status": str(s.status), "objective": s.objective, "bound": s.bound,
             "gap_to_optimum": 0.0, "seconds": s.seconds}]
