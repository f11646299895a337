"""The QPrimalDual iteration map of qnum.solvers.repeater.stability: same trajectory, right Jacobian, honest ρ."""

import warnings

import numpy as np
import pytest

from qnum.errors import OptionError
from qnum.networks.repeater import dumbbell, from_links, nsfnet, two_user
from qnum.solvers.repeater.branch_and_bound import solve_global
from qnum.solvers.repeater.primaldual import marginal, qprimaldual
from qnum.solvers.repeater.stability import (
    Dynamics,
    equilibrium,
    initial_state,
    iterate,
    jacobian,
    local_stability,
    second_derivative,
    spectral_radius,
    step,
)


def _opt_equilibrium(sc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = solve_global(sc, rel_gap=1e-8)
    dyn = Dynamics.of(sc)
    return opt, dyn, equilibrium(dyn, list(opt.values["rates"].values()), list(opt.values["werner"].values()))


@pytest.mark.parametrize("sc,latency,log_decay", [
    (nsfnet(10, seed=1), 0, False),
    (nsfnet(10, seed=1, utility="secret-key"), 3, False),
    (dumbbell(4, access_km=10, backbone_km=20).replace(decoherence_rate_per_s=200.0), 2, True),
    (dumbbell(3, utility="negativity"), 1, False),
], ids=["nsfnet-10", "nsfnet-10-sk-latency3", "dumbbell-decoherence-latency2", "dumbbell-negativity-latency1"])
def test_iterating_step_reproduces_qprimaldual(sc, latency, log_decay):
    """Every recorded iterate of qnum's QPrimalDual equals the iterated step to 1e-9 (relative)."""
    iters, every = 3000, 250
    kw = {"log_decay": sc.route_log_decay} if log_decay else {}
    run = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=iters, utility=sc.utility,
                      latency=latency, record_every=every, **kw)
    dyn = Dynamics.of(sc, latency=latency, decoherence_aware=log_decay, drop_unused=False)
    _, times, states = iterate(dyn, initial_state(dyn), iters, record_every=every)
    assert times.tolist() == run.times.tolist()
    R, L = dyn.routes, dyn.links
    np.testing.assert_allclose(np.exp(states[:, :R]), run.rates_history, rtol=1e-9)
    np.testing.assert_allclose(np.exp(states[:, R:R + L]), run.werner_history, rtol=1e-9)
    # and the step moved things: not a trivially constant trajectory
    assert np.max(np.abs(run.rates_history[-1] - run.rates_history[0])) > 1.0


@pytest.mark.parametrize("utility", ["distillable", "secret-key", "negativity"])
def test_second_derivative_matches_differences_of_the_marginal(utility):
    z = np.linspace(-0.6, -0.005, 40)
    h = 1e-6
    fd = (marginal(utility, z + h) - marginal(utility, z - h)) / (2 * h)
    ok = np.isfinite(fd) & (np.abs(fd) < 1e6)
    np.testing.assert_allclose(second_derivative(utility, z)[ok], fd[ok], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("latency", [0, 2])
def test_analytic_jacobian_matches_finite_differences(latency):
    sc = nsfnet(6, seed=3, utility="secret-key")
    dyn = Dynamics.of(sc, latency=latency)
    rng = np.random.default_rng(0)
    s = initial_state(dyn)
    s, _, _ = iterate(dyn, s, 400)               # an interior point, away from the clamps
    s = s + 1e-3 * rng.standard_normal(dyn.size)
    R, L = dyn.routes, dyn.links
    for start in [R] + [dyn.base_size + 2 * L * k for k in range(latency)]:   # every y block stays < 0
        s[start:start + L] = np.minimum(s[start:start + L], -1e-3)
    J = jacobian(dyn, s)
    h = 1e-6
    fd = np.column_stack([(step(dyn, s + e) - step(dyn, s - e)) / (2 * h) for e in h * np.eye(dyn.size)])
    np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-7)


def test_equilibrium_is_the_certified_optimum_and_a_fixed_point():
    sc = nsfnet(10, seed=1)
    opt, dyn, s = _opt_equilibrium(sc)
    R = dyn.routes
    x = np.exp(s[:R])
    # rates to the accuracy the flat objective allows; the utility to the certificate
    np.testing.assert_allclose(x, list(opt.values["rates"].values()), rtol=1e-4)
    u, y, lam = dyn.split(s)
    werner = np.array(list(opt.values["werner"].values()))
    werner[list(dyn.kept)] = np.exp(y)
    value = sc.objective(x, werner)
    assert opt.objective - 1e-9 * abs(opt.objective) <= value <= opt.bound + 1e-9 * abs(opt.bound)
    assert np.max(np.abs(step(dyn, s) - s)) <= 1e-12
    # every used link is tight and priced
    np.testing.assert_allclose(dyn.A @ x / dyn.d + np.exp(y), 1.0, atol=1e-10)
    assert np.all(lam > 0)


def test_spectral_radius_predicts_the_observed_contraction_rate():
    """ρ from the Jacobian equals the decay rate of a small perturbation under the true (nonlinear) dynamics."""
    _, dyn, s = _opt_equilibrium(dumbbell(4))
    rep = local_stability(dyn, s)
    assert rep.locally_stable
    rng = np.random.default_rng(1)
    x = s + 1e-6 * rng.standard_normal(dyn.size)
    errs = []
    for t in range(1, 12001):
        x = step(dyn, x)
        if t in (8000, 12000):
            errs.append(np.linalg.norm(x - s))
    rate = (errs[1] / errs[0]) ** (1 / 4000)
    assert rate == pytest.approx(rep.spectral_radius, abs=2e-5)


def test_predicted_instability_shows_in_the_simulation():
    """Where ρ > 1 (latency 5, fixed steps, dumbbell-8) a tiny perturbation of the equilibrium grows;
    with the steps divided by 1 + latency (ρ < 1) it shrinks."""
    _, base, s = _opt_equilibrium(dumbbell(8))
    for mult, grows in ((1.0, True), (1 / 6, False)):
        dyn = base.with_steps(a=0.001 * mult, b=0.5 * mult, latency=5)
        rep = local_stability(dyn, s)
        assert (rep.spectral_radius > 1) == grows
        full = np.concatenate([s] + [s[dyn.routes:]] * 5)
        x = full + 1e-8 * np.random.default_rng(2).standard_normal(dyn.size)
        e0 = np.linalg.norm(x - full)
        x, _, _ = iterate(dyn, x, 6000)
        assert (np.linalg.norm(x - full) > 10 * e0) == grows


def test_non_concave_equilibrium_unstable_with_fixed_steps_stable_with_smaller_ones():
    """A 10-hop route (weight 4) sharing its first link with a 1-hop route, secret key fraction: the
    1-hop route's optimum lies where G is convex; the Lagrangian condition holds but the fixed steps
    are too large there (ρ > 1); quarter steps are stable."""
    links = {f"l{i}": 2.0 for i in range(10)}
    sc = from_links(links, [([f"l{i}" for i in range(10)], 4.0, "long"), (["l0"], 1.0, "short")], "secret-key")
    _, dyn, s = _opt_equilibrium(sc)
    rep = local_stability(dyn, s)
    assert not rep.concave_at_equilibrium and rep.fidelity.max() > 0.9713
    assert rep.lagrangian_hessian_max < 0
    assert rep.spectral_radius > 1
    assert local_stability(dyn.with_steps(a=0.00025, b=0.125), s).spectral_radius < 1


def test_spectral_radius_and_bad_options():
    assert spectral_radius(np.array([[0.0, 2.0], [-2.0, 0.0]])) == pytest.approx(2.0)
    with pytest.raises(OptionError, match="latency"):
        Dynamics.of(two_user(), latency=-1)
    with pytest.raises(OptionError, match="a = 0"):
        Dynamics.of(two_user(), a=0)
    with pytest.raises(OptionError, match="utility"):
        second_derivative("fidelity", 0.0)


def test_a_batch_with_one_step_pair_per_state_equals_separate_runs():
    sc = dumbbell(3)
    mult = np.array([0.5, 1.0, 3.0])
    batch = Dynamics.of(sc, a=0.001 * mult, b=0.5 * mult, latency=2)
    s0 = np.repeat(initial_state(batch)[None, :], 3, axis=0)
    together, _, _ = iterate(batch, s0, 500)
    for i, m in enumerate(mult):
        alone, _, _ = iterate(Dynamics.of(sc, a=0.001 * m, b=0.5 * m, latency=2), initial_state(batch), 500)
        np.testing.assert_allclose(together[i], alone, rtol=1e-12)
    with pytest.raises(OptionError, match="one step pair"):
        jacobian(batch, s0[0])
