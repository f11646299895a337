"""Online schedulers: convergence to the optima of their own utilities (paper Theorem 1)."""

import numpy as np
import pytest

import qnum
from qnum.models.pumping import AlphaFair, round_robin_target
from qnum.networks.pumping import four_node_example, random_network, table_i
from qnum.solvers.pumping.online import simulate
from qnum.utility import total_utility


def final_rates(sc, tr):
    return sc.vector(tr.final["rates"])


@pytest.mark.parametrize("channel", ["fixed", "iid3"])
def test_pf_reaches_pf_optimum_on_table_i(channel):
    sc = table_i(2, channel)
    opt = qnum.solve(sc)
    rep = qnum.compare(qnum.simulate(sc, "pf", slots=100_000, seed=1), opt)
    assert abs(rep.final_relative_gap) <= 1e-3
    assert rep.final_distance <= 2e-2
    # and it gets there: the gap shrinks by orders of magnitude over the run
    assert abs(rep.gap[-1]) < 1e-2 * abs(rep.gap[rep.times >= 10][0])


def test_greedy_reaches_throughput_optimum():
    sc = table_i(2, "iid3")
    best = AlphaFair(sc, alpha=0).solve()
    tr = simulate(sc, "greedy", 100_000, seed=2)
    assert final_rates(sc, tr).sum() == pytest.approx(best.objective, rel=2e-2)


def test_round_robin_reaches_its_own_optimum():
    sc = table_i(2, "fixed")
    target = round_robin_target(sc)
    best = AlphaFair(target).solve()
    rates = final_rates(sc, simulate(sc, "rr", 100_000, seed=3))
    got = total_utility(rates, 1.0, target.weights)
    assert abs(best.objective - got) <= 1e-3 * abs(best.objective)
    # RR-PS equalizes rates where it can
    assert rates.max() / rates.min() < 1.01


def test_four_node_example_behaviour():
    sc = four_node_example()
    greedy = simulate(sc, "greedy", 1000)
    assert sorted(p for p, n in greedy.final["pumped_slots"].items() if n) == [(0, 1), (2, 3)]  # starves the rest
    pf = simulate(sc, "pf", 50_000)
    np.testing.assert_allclose(final_rates(sc, pf), 0.2 * sc.skr[0], rtol=2e-3)


def test_constant_beta_fluctuates_around_the_optimum():
    sc = random_network(6, 2, 2, seed=4)
    opt = qnum.solve(sc)
    tr = qnum.simulate(sc, "pf", slots=20_000, seed=5, beta=0.001)
    assert abs(opt.objective - tr.final_objective) < 0.2
    assert tr.final_objective == pytest.approx(total_utility(final_rates(sc, tr), 1.0))


@pytest.mark.parametrize("family", ["matching", "explicit"])
def test_online_pf_on_other_families(family):
    sc = random_network(6, 2, 1, seed=6, topologies="matching")
    if family == "explicit":
        sc = sc.replace(topologies=[[(0, 1), (2, 3)], [(4, 5)], [(0, 2), (1, 3)], [(1, 4)], [(0, 5), (2, 4)],
                                    [(3, 5)], [(0, 3)], [(1, 2), (3, 4)], [(2, 5)], [(0, 4), (1, 5)]])
    opt = qnum.solve(sc)
    rep = qnum.compare(qnum.simulate(sc, "pf", slots=1000, seed=1), opt)
    assert abs(rep.final_gap) < 5e-2


def test_schedulers_never_exceed_capacity():
    sc = random_network(8, 3, 2, seed=7, per_count_factor=[1.0, 0.7, 0.4])
    for policy in ("pf", "greedy", "rr"):
        tr = simulate(sc, policy, 2000, seed=1, record_topologies=True)
        tops = tr.info["topologies"]
        assert all(len(t) <= sc.capacity for t in tops)
        assert tr.info["pumped_counts"].sum() == sum(len(t) for t in tops)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_general_alpha_scheduler_reaches_its_alpha_optimum(alpha):
    sc = table_i(2, "fixed", alpha=alpha)
    opt = qnum.solve(sc)
    tr = qnum.simulate(sc, "alpha", slots=100_000, seed=1)
    assert abs(opt.objective - tr.final_objective) <= 2e-3 * abs(opt.objective)
    np.testing.assert_allclose(final_rates(sc, tr), sc.vector(opt.values["rates"]), rtol=0.05,
                               atol=1e-3 * final_rates(sc, tr).max())
    # the alpha option overrides the scenario's α for the scheduler only; the objective stays the scenario's
    other = qnum.simulate(sc, "alpha", slots=20_000, seed=1, alpha=0.0)
    greedy = qnum.simulate(sc, "greedy", slots=20_000, seed=1)
    np.testing.assert_allclose(final_rates(sc, other), final_rates(sc, greedy), rtol=1e-12)
    assert other.final_objective == pytest.approx(total_utility(final_rates(sc, other), alpha))
