"""MQCE analytic predictions against simulation and independent computations."""

import numpy as np
import pytest
from scipy.integrate import quad

from qnum.bench.mqce_theory import (alpha_step, fc_average_capacitance, mst_bottlenecks,
                                    square_distance_pdf)
from qnum.networks.relay import random_square
from qnum.solvers.mqce_fast import solve_fast


def test_square_distance_law_against_monte_carlo():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 3.0, (2, 400000, 2))
    d = np.linalg.norm(a - b, axis=1)
    mean = quad(lambda x: x * square_distance_pdf(x, 3.0), 0, 3 * np.sqrt(2), limit=200)[0]
    assert mean == pytest.approx(0.521405 * 3.0, rel=1e-5)      # known constant of line picking
    assert d.mean() == pytest.approx(mean, rel=3e-3)
    hist, edges = np.histogram(d, bins=30, range=(0, 3 * np.sqrt(2)), density=True)
    mid = 0.5 * (edges[1:] + edges[:-1])
    assert np.max(np.abs(hist - square_distance_pdf(mid, 3.0))) < 0.02


@pytest.mark.parametrize("side", [0.5, 3.0, 10.0])
def test_fc_average_capacitance_against_simulation(side):
    sc = random_square(400, side, 1.0, 0.1, 1.0, seed=1)        # α = 1: fully connected network
    r = solve_fast(sc, build_edges=False)
    iu = np.triu_indices(400, 1)
    assert np.all(r.hops[iu] == 1)
    simulated = float(np.mean(sc.capacitance[iu]))
    assert simulated == pytest.approx(fc_average_capacitance(side, 1.0), rel=0.03)


@pytest.mark.parametrize("seed", range(5))
def test_fully_connected_above_first_threshold(seed):
    """For α ≥ alpha_step(1, p) every optimal path is the direct link, at any L and N."""
    rng = np.random.default_rng(seed)
    p = float(rng.uniform(0.01, 0.5))
    alpha = alpha_step(1, p) + 1e-9
    sc = random_square(int(rng.integers(20, 80)), float(rng.uniform(0.01, 30)), 1.0, p, alpha, seed=seed)
    r = solve_fast(sc)
    n = sc.nodes
    assert len(r.edges) == n * (n - 1) // 2 and r.averages()[1] == 1.0


def test_steps_in_the_small_square_limit():
    """Small L/λ0, many users: between consecutive thresholds L* sits near the step value."""
    p = 0.1
    sc = random_square(300, 0.02, 1.0, p, 0.5, seed=3)
    a1, a2 = alpha_step(1, p), alpha_step(2, p)
    r = solve_fast(sc.with_alpha(0.5 * (a1 + a2)), build_edges=False)
    assert 1.9 < r.averages()[1] <= 2.0 + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_alpha_zero_gives_spanning_tree_bottlenecks(seed):
    sc = random_square(40, 10.0, 1.0, 0.1, 0.0, seed=seed)
    r = solve_fast(sc)
    expected = mst_bottlenecks(sc.capacitance)
    iu = np.triu_indices(40, 1)
    assert np.array_equal(r.capacitance[iu], expected[iu])

