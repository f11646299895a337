"""SCIP (pyscipopt, spatial branch and bound) as the independent global oracle for QNUM.

The same problem written directly in SCIP's expression language — log-rate and log-Werner
variables, the utility's closed form in the fidelity — with no code shared with qnum's
solvers except the scenario's arrays. SCIP's feasibility tolerance (1e-6) lets its optimum
exceed the exact one by ~1e-7 relative, hence the comparison tolerance.
"""

import math

import numpy as np
import pytest

from qnum.models.repeater import solve_convex
from qnum.networks.repeater import from_links, two_user
from qnum.solvers.repeater.branch_and_bound import solve_global

pyscipopt = pytest.importorskip("pyscipopt")


def scip_optimum(sc, time_limit=60.0):
    """(status, objective, dual bound) of the QNUM problem by SCIP."""
    from pyscipopt import Model, exp, log
    A, d, om = sc.incidence, sc.capacity_scale, sc.weights
    L, R = A.shape
    # Werner parameters just below each utility's zero (hashing: F = 0.81071 ↔ W = 0.747614;
    # 1 − 2h((1 − W)/2) = 0 at W = 0.779944; negativity at W = 1/3): a valid variable bound,
    # the constraint E ≥ 1e-12 below does the rest
    w0 = {"distillable": 0.7476, "secret-key": 0.7799, "negativity": 1 / 3}[sc.utility]
    m = Model()
    m.hideOutput()
    m.setParam("limits/gap", 1e-7)
    m.setParam("limits/time", time_limit)
    u = [m.addVar(f"u{r}", lb=-30, ub=float(np.log(d.max()))) for r in range(R)]
    y = [m.addVar(f"y{l}", lb=math.log(w0), ub=-1e-9) for l in range(L)]
    t = [m.addVar(f"t{r}", lb=-60, ub=0) for r in range(R)]
    for l in range(L):
        m.addCons(sum(exp(u[r]) for r in range(R) if A[l, r]) + float(d[l]) * exp(y[l]) <= float(d[l]))
    ln2 = math.log(2)
    for r in range(R):
        W = exp(sum(y[l] for l in range(L) if A[l, r]) + float(sc.route_log_decay[r]))
        F = (3 * W + 1) / 4
        if sc.utility == "distillable":        # hashing bound
            E = 1 + F * log(F) / ln2 + (1 - F) * log((1 - F) / 3) / ln2
        elif sc.utility == "secret-key":       # 1 − 2 h((1 − W)/2)
            e = (1 - W) / 2
            E = 1 + 2 * (e * log(e) + (1 - e) * log(1 - e)) / ln2
        else:                                  # negativity
            E = (3 * W - 1) / 4
        m.addCons(E >= 1e-12)
        m.addCons(t[r] <= log(E))
    m.setObjective(sum(float(om[r]) * (u[r] + t[r]) for r in range(R)), "maximize")
    m.optimize()
    return m.getStatus(), m.getObjVal(), m.getDualbound()


def _random_instance(seed):
    rng = np.random.default_rng(seed)
    links = {f"l{i}": float(rng.uniform(0.5, 20.0)) for i in range(4)}
    names = list(links)
    routes = [(list(rng.choice(names, size=int(rng.integers(1, 3)), replace=False)), float(rng.uniform(0.5, 2.0)))
              for _ in range(3)]
    return from_links(links, routes, str(rng.choice(["distillable", "secret-key", "negativity"])))


@pytest.mark.parametrize("sc", [two_user(), two_user(utility="secret-key"), two_user(utility="negativity"),
                                two_user(server_km=100.0)] + [_random_instance(s) for s in range(6)])
def test_global_optimum_matches_scip(sc):
    status, obj, dual = scip_optimum(sc)
    assert status in ("optimal", "gaplimit")
    g = solve_global(sc, rel_gap=1e-7)
    assert str(g.status) == "optimal"
    assert g.objective == pytest.approx(obj, rel=1e-6, abs=1e-6)
    # neither bound contradicts the other's point (up to SCIP's feasibility tolerance)
    assert g.bound >= obj - 1e-6 * abs(obj) - 1e-6 and dual >= g.objective - 1e-6 * abs(obj) - 1e-6
    c = solve_convex(sc)
    if c.values.get("concave_at_optimum"):
        assert c.objective == pytest.approx(obj, rel=1e-6, abs=1e-6)
