"""Message-level QPrimalDual: equals the synchronous dynamics without latency, converges with it."""

import numpy as np
import pytest

from qnum.networks.repeater import dumbbell, nsfnet, two_user
from qnum.solvers.repeater.baselines import fixed_fidelity_equal_shares, max_fidelity, rate_only_num
from qnum.solvers.repeater.branch_and_bound import solve_global
from qnum.solvers.repeater.messages import _delay_tables, hop_delays, qprimaldual_messages
from qnum.solvers.repeater.primaldual import qprimaldual


@pytest.mark.parametrize("sc", [two_user(), dumbbell(4), nsfnet(10, seed=1), nsfnet(6, utility="secret-key")])
def test_zero_latency_is_the_synchronous_dynamics_iterate_for_iterate(sc):
    ref = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=2000, utility=sc.utility)
    msg = qprimaldual_messages(sc, iters=2000)
    assert msg.utility == ref.utility
    assert np.array_equal(msg.rates, ref.rates) and np.array_equal(msg.werner, ref.werner)


def test_delay_tables_follow_the_messages():
    """Route of 3 links with hop delays 1, 2, 3 (round trip 12 slots)."""
    price, flow, marg = _delay_tables([[0, 1, 2]], np.array([1, 2, 3]))
    # the source hears link i's price one round trip after emission, sampled on the way out
    assert [p[2] for p in price] == [12, 11, 9]
    assert [f[2] for f in flow] == [0, 1, 3]
    # the last link hears the marginal as soon as the ACK leaves; its own y was sampled 3 slots before
    last = {m[2]: m[3] for m in marg if m[1] == 2}
    assert last == {0: 6, 1: 5, 2: 3}


@pytest.mark.parametrize("hop_delay,iters", [(1, 60000), (2, 110000)])
def test_converges_with_latency(hop_delay, iters):
    sc = dumbbell(3, utility="negativity")
    opt = solve_global(sc).objective
    run = qprimaldual_messages(sc, iters=iters, hop_delay=hop_delay)
    U, x, w = run.utility, run.rates, run.werner
    assert abs(U - opt) <= 1e-3 * abs(opt)
    assert np.all(sc.incidence @ x <= sc.capacity_scale * (1 - w) * (1 + 1e-3))


def test_pi_control_damps_the_delayed_loop_on_nsfnet():
    """Plain integral prices overshoot capacity under latency here; PI prices converge (RESULTS.md)."""
    sc = nsfnet(10)
    opt = solve_global(sc).objective
    plain = qprimaldual_messages(sc, iters=90000, hop_delay=1, record_every=500)
    pi = qprimaldual_messages(sc, iters=90000, hop_delay=1, pi_gain=100.0, record_every=500)
    assert abs(pi.utility - opt) <= 0.01 * abs(opt)
    def late(run):
        return float(np.max(run.violations[run.violations.size // 2:]))

    assert late(pi) < late(plain)


def test_local_variant_converges_to_its_own_point_below_the_optimum():
    sc = dumbbell(8, utility="negativity")
    opt = solve_global(sc).objective
    U = qprimaldual_messages(sc, iters=30000, variant="local").utility
    assert 0.0 < opt - U < 0.1 * abs(opt)
    U2 = qprimaldual_messages(sc, iters=40000, variant="local").utility
    assert U2 == pytest.approx(U, rel=1e-6)           # converged, not still moving


@pytest.mark.parametrize("sc", [two_user(), dumbbell(6), nsfnet(12, seed=2), nsfnet(8, utility="negativity")])
def test_baselines_are_feasible_and_below_the_optimum(sc):
    opt = solve_global(sc).objective
    U, x, w = max_fidelity(sc)
    assert np.all(sc.incidence @ x <= sc.capacity_scale * (1 - w) * (1 + 1e-9))
    for value in (U, fixed_fidelity_equal_shares(sc)[0], rate_only_num(sc)[0]):
        assert value <= opt + 1e-6 * abs(opt)


def test_hop_delays_from_lengths_and_bad_input():
    sc = nsfnet(5)
    d = hop_delays(sc, 1e-5)
    assert np.all(d == np.ceil(np.asarray(sc.link_lengths_km) / 2.0 - 1e-12))
    with pytest.raises(ValueError, match="slot_s"):
        hop_delays(sc, 0.0)
    with pytest.raises(ValueError, match="variant"):
        qprimaldual_messages(sc, iters=1, variant="global")
    with pytest.raises(ValueError, match="whole numbers"):
        qprimaldual_messages(sc, iters=1, hop_delay=1.5)
    with pytest.raises(ValueError, match="one per link"):
        qprimaldual_messages(sc, iters=1, hop_delay=[1, 2])


def test_pi_prices_fix_the_divergence_of_fixed_steps_on_nsfnet_secret_key():
    """NSFNet-20 seed 2, secret key: the plain dynamics diverge at the default steps; PI prices converge."""
    sc = nsfnet(20, seed=2, utility="secret-key")
    opt = solve_global(sc).objective
    plain = qprimaldual_messages(sc, iters=20000).utility
    run = qprimaldual_messages(sc, iters=20000, pi_gain=100.0)
    U, x, w = run.utility, run.rates, run.werner
    assert not np.isfinite(plain) or abs(plain - opt) > 0.05 * abs(opt)     # diverging
    assert abs(U - opt) <= 1e-4 * abs(opt)
    assert np.all(sc.incidence @ x <= sc.capacity_scale * (1 - w) * (1 + 1e-4))
