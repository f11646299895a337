"""SCIP (pyscipopt, spatial branch and bound) as the independent global oracle for QNUM.

The same problem written directly in SCIP's expression language (:mod:`qnum.solvers.repeater.scip`,
also ``qnum solve --method scip``) — log-rate and log-Werner variables, the utility's closed form
in the fidelity — with no code shared with qnum's solvers except the scenario's arrays. SCIP's
feasibility tolerance (1e-6) lets its optimum exceed the exact one by ~1e-7 relative, hence the
comparison tolerance.
"""

import numpy as np
import pytest

from qnum.models.repeater import solve_convex
from qnum.networks.repeater import from_links, two_user
from qnum.solvers.repeater.branch_and_bound import solve_global

pyscipopt = pytest.importorskip("pyscipopt")

from qnum.solvers.repeater.scip import build_model  # noqa: E402 - after the skip


def scip_optimum(sc, time_limit=60.0):
    """(status, objective, dual bound) of the QNUM problem by SCIP (qnum.solvers.repeater.scip's model)."""
    m, _, _ = build_model(sc, tol=1e-7, time_limit=time_limit)
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
