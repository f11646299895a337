"""CVXPY convex model of QNUM: known values, KKT conditions, agreement with the B&B, concavity report."""

import numpy as np
import pytest

from qnum.models.repeater import solve_convex
from qnum.networks.repeater import dumbbell, from_links, nsfnet, two_user
from qnum.solvers.repeater.branch_and_bound import solve_global


@pytest.mark.parametrize("server_km,utility,x,F,U", [
    (2.0, "distillable", 58.10, 0.9112, 6.4217),
    (2.0, "secret-key", 49.77, 0.9236, 6.0775),
    (2.0, "negativity", 182.39, 0.7378, 7.5400),
])
def test_reference_values(server_km, utility, x, F, U):
    s = solve_convex(two_user(server_km=server_km, utility=utility))
    assert str(s.status) == "optimal" and s.values["concave_at_optimum"]
    assert s.objective == pytest.approx(U, abs=1e-4)
    assert s.values["rates"] == pytest.approx({"route0": x, "route1": x}, rel=2e-4)
    assert s.values["fidelity"] == pytest.approx({"route0": F, "route1": F}, abs=1e-4)
    assert s.termination == "converged"


def kkt_residual(sc, s):
    """Relative stationarity residual, min multiplier and max |λ·slack| at a reported point.

    Multipliers of the capacity rows 1 − Σ_r A_lr x_r/d_l − w_l ≥ 0 are fitted by NNLS to
    ∇f = J^T λ, independently of any solver's duals.
    """
    from scipy.optimize import nnls

    from qnum.solvers.repeater.branch_and_bound import log_utility
    A, d, om = sc.incidence, sc.capacity_scale, sc.weights
    x = np.array([s.values["rates"][r] for r in sc.route_names])
    w = np.array([s.values["werner"][n] for n in sc.link_names])
    _, dg = log_utility(sc.utility, A.T @ np.log(w) + sc.route_log_decay)
    grad = np.concatenate([om, A @ (om * dg)])
    J = np.hstack([(A / d[:, None]) * x[None, :], np.diag(w)])      # −∂c/∂(u, y)
    lam, res = nnls(J.T, grad)
    slack = 1.0 - (A / d[:, None]) @ x - w
    return res / np.linalg.norm(grad), float(np.min(slack)), float(np.max(np.abs(lam * slack)))


@pytest.mark.parametrize("sc", [nsfnet(12, seed=s, utility="negativity") for s in range(3)]
                         + [dumbbell(6, utility="negativity"), dumbbell(4, 10.0, 40.0, utility="negativity"),
                            dumbbell(8), two_user(utility="secret-key")])
def test_kkt_conditions_at_the_reported_point(sc):
    """Stationarity with non-negative multipliers, feasibility and complementary slackness."""
    s = solve_convex(sc)
    assert str(s.status) == "optimal" and s.values["concave_at_optimum"]
    residual, min_slack, comp = kkt_residual(sc, s)
    assert residual < 1e-6 and min_slack >= -1e-12 and comp < 1e-6
    if sc.utility == "negativity":
        assert s.values["concave_on_range"]


@pytest.mark.parametrize("sc", [nsfnet(10, seed=s, utility="negativity") for s in range(2)]
                         + [dumbbell(8), two_user(server_km=100.0), dumbbell(3, utility="secret-key")])
def test_agrees_with_branch_and_bound_when_concave_at_the_optimum(sc):
    c, g = solve_convex(sc), solve_global(sc)
    assert c.values["concave_at_optimum"] and str(c.status) == "optimal"
    assert c.objective == pytest.approx(g.objective, rel=1e-6)
    assert c.bound >= g.objective - 1e-6 * abs(g.objective)


@pytest.mark.parametrize("utility", ["distillable", "secret-key"])
def test_concavity_failure_is_reported_with_a_valid_bound(utility):
    """NSFNet-20 has short routes whose optimal fidelity is above the inflection point."""
    sc = nsfnet(20, utility=utility)
    c, g = solve_convex(sc), solve_global(sc)
    assert str(g.status) == "optimal"
    assert str(c.status) == "feasible" and not c.values["concave_at_optimum"]
    assert not c.values["concave_on_range"] and "solve_global" in c.message
    assert c.objective <= g.objective + 1e-6 * abs(g.objective) <= c.bound + 2e-6 * abs(g.objective)
    exact = c.values["envelope_exact_below_fidelity"]
    assert any(c.values["fidelity"][r] > exact[r] for r in sc.route_names)
    assert all(e <= c.values["concave_below_fidelity"] for e in exact.values())
    assert c.termination == "stalled"


def test_decoherence_kills_a_route_is_infeasible():
    sc = from_links({"a": 50.0}, [(["a"], 1.0)], "distillable", decoherence_rate_per_s=3000.0)
    assert str(solve_convex(sc).status) == "infeasible"
