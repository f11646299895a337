"""The separable pumping solver's compiled engine (issue 14) against its numpy engine and the closed forms."""

import numpy as np
import pytest

from qnum.errors import OptionError
from qnum.networks.pumping import random_network
from qnum.solvers.pumping import kernels
from qnum.solvers.pumping.dual import dual_bound, per_pair_best_response
from qnum.solvers.pumping.separable import _cheapest_states, solve_separable


def rates_matrix(sc):
    return np.ascontiguousarray((sc.probabilities[:, None] * sc.skr).T)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("candidates", [None, 2])
def test_compiled_engine_takes_the_numpy_engines_iterates(alpha, candidates):
    sc = random_network(40, 4, 12, seed=5)
    a, w = rates_matrix(sc), np.ones(sc.num_pairs)
    ref = solve_separable(a, w, sc.capacity, alpha, candidates=candidates, engine="numpy")
    out = solve_separable(a, w, sc.capacity, alpha, candidates=candidates, engine="compiled")
    assert ref.converged and out.converged
    assert out.iterations == ref.iterations
    assert out.objective == pytest.approx(ref.objective, rel=1e-9)
    assert out.bound == pytest.approx(ref.bound, rel=1e-9)
    np.testing.assert_allclose(out.y, ref.y, atol=1e-6)
    np.testing.assert_allclose(out.prices, ref.prices, rtol=1e-5, atol=1e-12 * np.abs(ref.prices).max())


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_compiled_engine_point_is_feasible_and_its_bound_is_the_dual_function(alpha):
    sc = random_network(30, 3, 6, seed=8)
    a, w = rates_matrix(sc), np.linspace(0.5, 2.0, sc.num_pairs)
    res = solve_separable(a, w, sc.capacity, alpha, tol=1e-7, engine="compiled")
    assert res.converged and res.bound - res.objective <= 1e-7 * abs(res.objective)
    y = res.y
    assert np.all(y >= 0) and np.all(y <= 1) and np.all(y.sum(axis=0) <= sc.capacity + 1e-9)
    r = (a * y).sum(axis=1)
    f = np.sum(w * (np.log(r) if alpha == 1 else r ** (1 - alpha) / (1 - alpha)))
    assert res.objective == pytest.approx(f, rel=1e-12)
    assert res.bound == pytest.approx(dual_bound(a, w, res.prices, sc.capacity, alpha), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_compiled_dual_pass_matches_the_vectorized_best_response(alpha):
    rng = np.random.default_rng(3)
    a = rng.uniform(0.0, 2.0, size=(300, 7))
    a[rng.random(a.shape) < 0.3] = 0.0                 # states where a pair has no rate
    a[:, 0] += 0.1
    w = rng.uniform(0.5, 2.0, 300)
    prices = rng.uniform(0.0, 3.0, 7)
    prices[2] = 0.0                                    # a free state is filled first
    y, value = per_pair_best_response(a, w, prices, alpha)
    total, load = kernels.dual_value_and_loads(a, w, prices, alpha)
    assert total == pytest.approx(value.sum(), rel=1e-12)
    np.testing.assert_allclose(load, y.sum(axis=0), rtol=1e-12)
    factor = rng.uniform(0.5, 1.0, 7)
    pump_all = np.zeros(7, dtype=bool)
    pump_all[4] = True
    out = np.empty_like(a)
    rates = kernels.response_rates(a, w, prices, alpha, factor, pump_all, out)
    expected = np.where(pump_all, 1.0, y * factor) * (a > 0)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    np.testing.assert_allclose(rates, (a * expected).sum(axis=1), rtol=1e-12)


def test_compiled_candidate_selection_is_the_cheapest_states():
    rng = np.random.default_rng(4)
    a = rng.uniform(0.0, 1.0, size=(500, 9))
    a[rng.random(a.shape) < 0.2] = 0.0
    prices = rng.uniform(0.1, 1.0, 9)
    for k in (1, 3, 9):
        np.testing.assert_array_equal(kernels.cheapest_states(a, prices, k), _cheapest_states(a, prices, k))


def test_unknown_engine_is_an_option_error():
    with pytest.raises(OptionError, match="engine = 'fortran'"):
        solve_separable(np.ones((3, 1)), np.ones(3), 1, 1.0, engine="fortran")
