"""Family plug-in for trusted-relay networks (MQCE): scenario files, ``qnum solve``, bench rows.

Scenario file::

    {"kind": "mqce", "coordinates": [[x, y], ...], "decay_length_km": λ0,
     "p_malicious": p, "alpha": α}

or ``"attenuation_db_per_km"`` instead of ``"decay_length_km"``, or a fiber graph
``"nodes": N, "edges": [[i, j, length_km], ...]`` instead of ``"coordinates"``.
"""

from __future__ import annotations


import numpy as np

from qnum.solvers.mqce.observables import observables
from qnum.bench.report import bench_row
from qnum.errors import ScenarioError
from qnum.networks.io import check_keys, require
from qnum.networks.relay import from_coordinates, from_fiber_graph, random_square
from qnum.solvers.mqce.fast import solve_fast
from qnum.solvers.mqce.pollack import solve_pollack

KIND = "mqce"
BENCH_NAME = "mqce"
POLICIES = ()
_KEYS = {"kind", "name", "coordinates", "nodes", "edges", "decay_length_km", "attenuation_db_per_km",
         "p_malicious", "alpha"}


def scenario_from_dict(data: dict):
    """Validated scenario from the file form (module docstring).

    Examples
    --------
    >>> sc = scenario_from_dict({"kind": "mqce", "coordinates": [[0, 0], [1, 0]],
    ...                          "decay_length_km": 1.0, "p_malicious": 0.1, "alpha": 0.5})
    >>> sc.nodes
    2
    """
    check_keys(data, _KEYS)
    common = dict(decay_length_km=data.get("decay_length_km"), attenuation_db_per_km=data.get("attenuation_db_per_km"),
                  p_malicious=data.get("p_malicious", 0.0), alpha=data.get("alpha", 0.5),
                  name=data.get("name", "mqce"))
    if "edges" in data:
        if "coordinates" in data:
            raise ScenarioError("edges", "...", 'give either "coordinates" or "nodes" + "edges", not both')
        return from_fiber_graph(require(data, "nodes"), data["edges"], **common)
    return from_coordinates(require(data, "coordinates"), **common)


def solve(scenario, method="fast"):
    """Optimum by ``method`` ("fast"/"auto"/"optimum" or "pollack")."""
    if method in ("auto", "fast", "optimum", None):
        return solve_fast(scenario)
    if method == "pollack":
        return solve_pollack(scenario)
    raise ScenarioError("--method", method, 'must be one of "fast", "pollack" for kind "mqce"')


def solve_json(scenario, options: dict) -> dict:
    """``qnum solve`` for MQCE: the contract of issue 3 (matrices, edges, averages)."""
    r = solve(scenario, options.get("method", "auto"))
    q, h = r.averages()
    obs = observables(r)
    return {"status": "optimal", "efficiency": r.efficiency.tolist(), "capacitance": r.capacitance.tolist(),
            "hops": r.hops.tolist(), "edges": [list(e) for e in r.edges], "avg_capacitance": q, "avg_hops": h,
            "alpha": scenario.alpha, "p_malicious": scenario.p_malicious, "method": r.method,
            "levels": r.levels, "seconds": r.seconds,
            **{key: obs[key] for key in ("min_capacitance", "link_density", "degree_counts", "betweenness")}}


def simulate_json(scenario, policy: str, options: dict) -> dict:
    raise ScenarioError("policy", policy, 'kind "mqce" has no online policy; use qnum solve')


def bench_instances():
    """Built-in instances: seeded squares (λ0 = 1 km)."""
    return [random_square(n, side, 1.0, 0.1, 0.5, seed=1) for n, side in ((50, 10.0), (100, 10.0))]


def bench_rows(options: dict) -> list[dict]:
    """Fast optimum vs the Pollack reference on every built-in instance.

    The compiled kernels are loaded (or compiled, on first use after install) on a tiny instance
    first, so the timed rows measure the solve, not numba's one-off start-up.
    """
    rows = []
    solve_fast(random_square(3, 1.0, 1.0, 0.1, 0.5, seed=0))
    for sc in bench_instances():
        results = {}
        for method, fn in (("optimum", solve_fast), ("pollack", solve_pollack)):
            r = fn(sc)
            results[method] = r
            q, h = r.averages()
            obj = float(np.mean(r.efficiency[np.triu_indices(sc.nodes, 1)]))
            same = bool(np.array_equal(r.efficiency, results["optimum"].efficiency))
            rows.append(bench_row(KIND, sc.name, method, "optimal", objective=obj, bound=obj,
                                  gap_to_optimum=0.0 if same else None, seconds=r.seconds,
                                  avg_capacitance=q, avg_hops=h, edges=len(r.edges), levels=r.levels))
    return rows


def _sweep_square(nodes: int = 30, side_km: float = 10.0, decay_length_km: float = 1.0, p_malicious: float = 0.1,
                  alpha: float = 0.5, seed: int = 0) -> dict:
    """Sweep builder: users uniform in a square, in the scenario-file form.

    Examples
    --------
    >>> d = _sweep_square(nodes=4, seed=1)
    >>> d["kind"], len(d["coordinates"])
    ('mqce', 4)
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, side_km, size=(int(nodes), 2))
    return {"kind": KIND, "coordinates": xy.tolist(), "decay_length_km": decay_length_km,
            "p_malicious": p_malicious, "alpha": alpha}


#: Builders the sweep engine can name in ``base.builder`` (see :mod:`qnum.sweep.builders`).
SWEEP_BUILDERS = {"square": _sweep_square}
