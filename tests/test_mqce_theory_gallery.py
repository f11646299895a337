"""MQCE asymptotics (paper eqs. 20–23, 25) and the single-pair relay law against independent computations."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform

from qnum.errors import InputError
from qnum.networks.relay import from_coordinates, random_square
from qnum.solvers.mqce.fast import solve_alpha_sweep
from qnum.solvers.mqce.theory import (
    SQUARE_MEAN_DISTANCE,
    SQUARE_MEAN_LOG_DISTANCE,
    alpha_step,
    fc_average_capacitance,
    fc_capacitance_large_side,
    fc_capacitance_small_side,
    first_transition,
    optimal_relays,
    relay_transition,
    square_distance_pdf,
)


def _moment(f):
    return quad(lambda s: f(s) * square_distance_pdf(s, 1.0), 0, 1, limit=200)[0] + \
        quad(lambda s: f(s) * square_distance_pdf(s, 1.0), 1, np.sqrt(2), limit=200)[0]


def test_line_picking_constants_against_quadrature():
    assert SQUARE_MEAN_LOG_DISTANCE == pytest.approx(_moment(np.log), rel=1e-8)
    assert SQUARE_MEAN_DISTANCE == pytest.approx(_moment(lambda s: s), rel=1e-9)


@pytest.mark.parametrize("side", [1e-3, 1e-2, 0.05])
def test_small_side_law_against_exact_integral(side):
    exact = fc_average_capacitance(side, 1.0)
    # first order: error O(L/λ0); second order: error O((L/λ0)²)
    assert abs(fc_capacitance_small_side(side, 1.0) - exact) == pytest.approx(
        SQUARE_MEAN_DISTANCE * side / (2 * np.log(2)), rel=0.05)
    assert abs(fc_capacitance_small_side(side, 1.0, terms=2) - exact) < side ** 2


def test_small_side_law_against_random_points():
    """Mean link capacitance of 300 uniform points (independent sampling), L = 0.02 λ0."""
    iu = np.triu_indices(300, 1)
    sim = np.mean([random_square(300, 0.02, 1.0, seed=s).capacitance[iu].mean() for s in range(5)])
    assert sim == pytest.approx(fc_capacitance_small_side(0.02, 1.0), rel=3e-3)


@pytest.mark.parametrize("side", [15.0, 40.0])
def test_large_side_law_against_exact_integral(side):
    exact = fc_average_capacitance(side, 1.0)
    assert fc_capacitance_large_side(side, 1.0, terms=3) == pytest.approx(exact, rel=1e-6)
    lead = fc_capacitance_large_side(side, 1.0)
    # the leading (λ0/L)² term overestimates by the boundary term 16 ζ(4)/(2π ζ(3)) · λ0/L
    assert lead / exact - 1 == pytest.approx(16 * 1.0823232 / (2 * np.pi * 1.2020569) / side, rel=0.15)


def test_large_side_law_against_random_points():
    iu = np.triu_indices(400, 1)
    sim = np.mean([random_square(400, 30.0, 1.0, seed=s).capacitance[iu].mean() for s in range(8)])
    assert sim == pytest.approx(fc_capacitance_large_side(30.0, 1.0, terms=3), rel=0.08)


def test_relay_transition_limits_and_brute_force():
    for k in range(4):
        assert relay_transition(k, 1e-7, 1.0, 0.1) == pytest.approx(alpha_step(k + 1, 0.1), rel=1e-5)
    # brute force: at d = 0.5 λ0 the optimum moves from k to k + 1 relays exactly at the transition
    for k in range(3):
        a = relay_transition(k, 0.5, 1.0, 0.1)
        assert optimal_relays(0.5, a * (1 + 1e-7), 1.0, 0.1) == k
        assert optimal_relays(0.5, a * (1 - 1e-7), 1.0, 0.1) == k + 1
    # far pair: the direct link jumps to first_transition's k̃ relays, not to one
    a, k = first_transition(12.0, 1.0, 0.1)
    assert k > 1 and optimal_relays(12.0, a * (1 - 1e-7), 1.0, 0.1) == k
    assert optimal_relays(12.0, a * (1 + 1e-7), 1.0, 0.1) == 0


@pytest.mark.parametrize("distance", [0.3, 3.0])
def test_optimal_relays_against_exact_solver_on_a_lattice(distance):
    """60 evenly spaced relays on the segment: whenever the continuum optimum k has k + 1 | 60, the
    lattice offers exactly that path and no lattice path does better, so the exact solver's hop
    count for the end pair must be k + 1."""
    m = 60
    sc = from_coordinates([[distance * i / m, 0.0] for i in range(m + 1)], 1.0, p_malicious=0.1, alpha=0.5)
    alphas = np.linspace(0.05, 0.95, 37)
    checked = 0
    for a, r in zip(alphas, solve_alpha_sweep(sc, alphas)):
        k = int(optimal_relays(distance, a, 1.0, 0.1))
        if m % (k + 1) == 0:
            assert r.hops[0, m] == k + 1
            checked += 1
    assert checked >= 12


def test_bad_inputs_name_the_field():
    with pytest.raises(InputError, match="side = -1.0"):
        fc_capacitance_small_side(-1.0, 1.0)
    with pytest.raises(InputError, match="terms = 4"):
        fc_capacitance_large_side(10.0, 1.0, terms=4)
    with pytest.raises(InputError, match="p = 1"):
        optimal_relays(1.0, 0.5, 1.0, 1.0)


GALLERY = Path(__file__).resolve().parents[1] / "notebooks" / "data"


def test_gallery_data_match_a_fresh_computation():
    """The notebook's precomputed files (benchmarks/gallery_mqce.py) are not stale: spot checks recomputed."""
    mst = json.loads((GALLERY / "mqce_mst.json").read_text())
    assert mst["sizes"][0] == 50
    fresh = [minimum_spanning_tree(squareform(pdist(np.random.default_rng(1000 + s).uniform(0, 1, (50, 2)))))
             .data.max() for s in range(5)]
    np.testing.assert_allclose(fresh, mst["longest"][0][:5], rtol=1e-12)
    fig3b = json.loads((GALLERY / "mqce_fig3b.json").read_text())
    i = 9
    side, n, iu = fig3b["sides"][i], fig3b["N"], np.triu_indices(fig3b["N"], 1)
    scs = [random_square(n, side, 1.0, fig3b["p"], 0.5, seed=s) for s in range(fig3b["seeds"])]
    assert np.mean([sc.capacitance[iu].mean() for sc in scs]) == pytest.approx(fig3b["FC"]["Q"][i], rel=1e-12)
    minc = [solve_alpha_sweep(sc, [0.05])[0].capacitance[iu].min() for sc in scs]
    assert np.mean(minc) == pytest.approx(fig3b["MQCE"]["0.05"]["minC"][i], rel=1e-12)
