"""QNUM local solve: the issue's known value, KKT stationarity, bad input, decoherence."""

import numpy as np
import pytest

from qnum.errors import ScenarioError
from qnum.physics.werner import distillable, fidelity_from_werner
from qnum.solvers.repeater.local import solve_qnum

LINKS = {"u1": 2.0, "u2": 2.0, "s": 2.0}
ROUTES = [(["u1", "s"], 1.0), (["u2", "s"], 1.0)]


def test_known_value():
    s = solve_qnum(LINKS, ROUTES)
    assert s.objective == pytest.approx(6.4217, abs=2e-4)
    assert s.values["rates"] == pytest.approx({"route0": 58.10, "route1": 58.10}, abs=0.01)
    assert s.values["fidelity"] == pytest.approx({"route0": 0.9112, "route1": 0.9112}, abs=1e-4)
    assert s.bound is None and s.termination == "no_bound"


def test_hashing_threshold():
    assert distillable((4 * 0.812 - 1) / 3) > 0 > distillable((4 * 0.810 - 1) / 3)
    assert float(fidelity_from_werner(1.0)) == 1.0


@pytest.mark.parametrize("links,routes,utility", [
    (LINKS, [(["u1", "zz"], 1.0)], "distillable"),
    (LINKS, [([], 1.0)], "distillable"),
    ({"u1": -1.0}, [(["u1"], 1.0)], "distillable"),
    (LINKS, ROUTES, "nope"),
    (LINKS, [(["u1"], 0.0)], "distillable"),
])
def test_bad_input(links, routes, utility):
    with pytest.raises(ScenarioError):
        solve_qnum(links, routes, utility)



def test_kkt_stationarity():
    """Gradient of the objective is a nonnegative combination of active constraint gradients."""
    from scipy.optimize import nnls

    from qnum.physics.werner import distillable_derivative, link_capacity_scale
    s = solve_qnum(LINKS, ROUTES)
    names = list(LINKS)
    A = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)
    d = np.array([float(link_capacity_scale(LINKS[n])) for n in names])
    x = np.array(list(s.values["rates"].values()))
    w = np.array([s.values["werner"][n] for n in names])
    W = A.T @ np.log(w)
    Wr = np.exp(W)
    # objective gradient in (u = log x, y = log w)
    g_u = np.ones(2)
    g_z = distillable_derivative(Wr) * Wr / distillable(Wr)
    g = np.concatenate([g_u, A @ g_z])
    # constraint gradients of c_l = d_l - sum A x - d_l w_l >= 0 (all active here)
    slack = d - A @ x - d * w
    assert np.all(np.abs(slack) < 1e-3 * d)
    J = np.hstack([A * x[None, :], np.diag(d * w)])  # gradient of (A e^u + d e^y)
    lam, res = nnls(J.T, g)
    assert res < 1e-4 * np.linalg.norm(g)
    assert np.all(lam >= 0)


def test_local_solve_accounts_for_decoherence():
    """With decoherence the local solve reaches the (lower) decohered optimum of the global solver."""
    from qnum.networks.repeater import dumbbell
    from qnum.solvers.repeater.branch_and_bound import solve_global
    from qnum.solvers.repeater.local import solve_local
    sc = dumbbell(3).replace(decoherence_rate_per_s=400.0)
    g, loc = solve_global(sc), solve_local(sc)
    assert loc.objective == pytest.approx(g.objective, rel=1e-5)
    assert solve_global(sc.replace(decoherence_rate_per_s=0.0)).objective > g.objective + 1e-3
