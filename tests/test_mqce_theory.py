"""MQCE analytic predictions against simulation and independent computations."""

import numpy as np
import pytest
from scipy.integrate import quad

from qnum.networks.relay import from_coordinates, random_square
from qnum.physics import plob_capacitance
from qnum.solvers.mqce.fast import solve_fast
from qnum.solvers.mqce.theory import (
    alpha_step,
    fc_average_capacitance,
    first_transition,
    mst_bottlenecks,
    mst_longest_link,
    mst_threshold_alpha,
    square_distance_pdf,
)


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
    r = solve_fast(sc.replace(alpha=0.5 * (a1 + a2)), build_edges=False)
    assert 1.9 < r.averages()[1] <= 2.0 + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_alpha_zero_gives_spanning_tree_bottlenecks(seed):
    sc = random_square(40, 10.0, 1.0, 0.1, 0.0, seed=seed)
    r = solve_fast(sc)
    expected = mst_bottlenecks(sc.capacitance)
    iu = np.triu_indices(40, 1)
    assert np.array_equal(r.capacitance[iu], expected[iu])



def test_mst_longest_link_law_against_simulation():
    """Mean longest MST link of 1000 uniform points over 30 seeds vs the finite-N law (and Penrose's)."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import pdist, squareform
    longest = [minimum_spanning_tree(squareform(pdist(np.random.default_rng(s).uniform(0, 1, (1000, 2))))).data.max()
               for s in range(30)]
    sim = float(np.mean(longest))
    assert mst_longest_link(1000, 1.0) == pytest.approx(sim, rel=0.06)
    # Penrose's boundary-free asymptotic law underestimates at this N, and is further off
    penrose = mst_longest_link(1000, 1.0, boundary=False)
    assert penrose < sim and abs(penrose - sim) > abs(mst_longest_link(1000, 1.0) - sim)


@pytest.mark.parametrize("seed", range(3))
def test_alpha_zero_minimum_capacitance_is_the_weakest_mst_link(seed):
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import pdist, squareform
    sc = random_square(200, 10.0, 1.0, 0.1, 0.0, seed=seed)
    r = solve_fast(sc, build_edges=False)
    iu = np.triu_indices(200, 1)
    weakest = minimum_spanning_tree(squareform(pdist(sc.coordinates_km))).data.max()
    assert r.capacitance[iu].min() == pytest.approx(float(plob_capacitance(weakest, 1.0)), rel=1e-12)


@pytest.mark.parametrize("distance,p", [(0.3, 0.1), (3.0, 0.05), (8.0, 0.1)])
def test_first_transition_against_solver_on_evenly_spaced_relays(distance, p):
    """Relays placed at the predicted k̃ even spacing: the exact solver switches at the predicted α̃."""
    a, k = first_transition(distance, 1.0, p)
    xy = [[distance * i / (k + 1), 0.0] for i in range(k + 2)]
    sc = from_coordinates(xy, 1.0, p_malicious=p, alpha=a)
    below = solve_fast(sc.replace(alpha=a * (1 - 1e-6)), build_edges=False)
    above = solve_fast(sc.replace(alpha=min(1.0, a * (1 + 1e-6))), build_edges=False)
    assert below.hops[0, k + 1] == k + 1 and above.hops[0, k + 1] == 1


def test_mst_threshold_falls_with_side():
    sides = [5.0, 10.0, 20.0, 40.0]
    alphas = [mst_threshold_alpha(s, 1.0, 0.1) for s in sides]
    assert all(x > y for x, y in zip(alphas, alphas[1:])) and alphas[-1] > 0
    with pytest.raises(ValueError, match="p = 0"):
        first_transition(1.0, 1.0, 0.0)
