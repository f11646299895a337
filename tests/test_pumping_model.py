"""α-fair optimum: every method against an independent brute force, optimality conditions."""

import itertools
import math

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnum.models.pumping import AlphaFair
from qnum.networks.pumping import PumpingScenario, four_node_example, random_network, table_i
from qnum.solution import Status
from qnum.solvers.pumping.separable import solve_separable
from qnum.solvers.pumping.timesharing import decompose_marginals


def brute_force(sc, alpha):
    """Optimum over explicitly enumerated topologies, written independently of qnum.models."""
    tops = [()]
    for k in range(1, sc.capacity + 1):
        for combo in itertools.combinations(range(sc.num_pairs), k):
            nodes = [v for e in combo for v in sc.pair(e)]
            if sc.topologies == "matching" and len(set(nodes)) != len(nodes):
                continue
            tops.append(combo)
    f = sc.count_factor
    cols = []
    for c in range(sc.num_states):
        for top in tops:
            v = np.zeros(sc.num_pairs)
            for e in top:
                v[e] = sc.probabilities[c] * f[len(top) - 1] * sc.skr[c, e]
            cols.append((c, v))
    V = np.array([v for _, v in cols]).T
    owner = np.array([c for c, _ in cols])
    scale = sc.skr.max(axis=0)
    p = cp.Variable(V.shape[1], nonneg=True)
    r = (V / scale[:, None]) @ p
    cons = [cp.sum(p[owner == c]) <= 1 for c in range(sc.num_states)]
    if math.isinf(alpha):
        t = cp.Variable()
        prob = cp.Problem(cp.Maximize(t), cons + [r >= t / scale])
        prob.solve(solver="HIGHS")
        return t.value
    if alpha == 1:
        prob = cp.Problem(cp.Maximize(cp.sum(cp.log(r))), cons)
        prob.solve(solver="CLARABEL")
        return prob.value + np.sum(np.log(scale))
    if alpha == 0:
        prob = cp.Problem(cp.Maximize(cp.sum(cp.multiply(scale, r))), cons)
        prob.solve(solver="HIGHS")
        return prob.value
    w = np.power(scale, 1 - alpha) / (1 - alpha)
    unit = np.abs(w).mean()          # order-1 objective, or Clarabel stops at ~1e-8 absolute
    prob = cp.Problem(cp.Maximize((w / unit) @ cp.power(r, 1 - alpha)), cons)
    prob.solve(solver="CLARABEL")
    return prob.value * unit


SMALL = [
    random_network(5, 2, 1, seed=1),
    random_network(5, 2, 3, seed=2),
    random_network(5, 3, 2, seed=3, per_count_factor=[1.0, 0.8, 0.5]),
    random_network(6, 2, 2, seed=4, topologies="matching"),
    random_network(6, 3, 1, seed=5, topologies="matching", per_count_factor=[1.0, 0.9, 0.6]),
    four_node_example(),
]


@pytest.mark.parametrize("sc", SMALL, ids=lambda s: repr(s)[:60])
@pytest.mark.parametrize("alpha", [1.0, 0.0, 0.5, "maxmin"])
def test_every_method_matches_brute_force(sc, alpha):
    model = AlphaFair(sc, alpha=alpha)
    expected = brute_force(sc, model.alpha)
    methods = ["auto", "column-generation", "enumeration"] + (["cvxpy"] if sc.topologies == "at-most-k" else [])
    for method in methods:
        sol = model.solve(method)
        assert sol.ok, (method, sol.message)
        assert sol.objective == pytest.approx(expected, rel=2e-6, abs=1e-9), method
        # the bound is a real upper bound, and the gap it certifies is small
        assert sol.bound >= expected - 1e-6 * abs(expected), method
        assert sol.relative_gap < 1e-4, method
        # the time-sharing schedule realizes exactly the reported rates
        np.testing.assert_allclose(sol.values["schedule"].rates(), sc.vector(sol.values["rates"]), rtol=1e-7,
                                   atol=1e-6 * sc.skr.max())


def test_four_node_pf_optimum_is_one_fifth_of_each_skr():
    sc = four_node_example()
    sol = AlphaFair(sc).solve()
    np.testing.assert_allclose(sc.vector(sol.values["rates"]), 0.2 * sc.skr[0], rtol=1e-5)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_separable_solver_satisfies_kkt_and_certifies(seed, alpha, engine):
    sc = random_network(20, 3, 4, seed=seed)
    a = (sc.probabilities[:, None] * sc.skr).T
    res = solve_separable(a, np.ones(sc.num_pairs), sc.capacity, alpha, tol=1e-7, engine=engine)
    assert res.converged and res.bound - res.objective <= 1e-7 * abs(res.objective)
    y = res.y
    assert np.all(y >= 0) and np.all(y <= 1) and np.all(y.sum(axis=0) <= sc.capacity + 1e-9)
    # stationarity: reduced gradient U'(r) a_ce - λ_c is >= 0 where y = 1, <= 0 where y = 0
    r = (a * y).sum(axis=1)
    red = (r ** -alpha)[:, None] * a - res.prices[None, :]
    tol = 1e-3 * np.abs(red).max()
    assert np.all(red[y < 1e-6] <= tol)
    assert np.all(red[y > 1 - 1e-6] >= -tol)
    # complementary slackness on the K-constraints
    slack = sc.capacity - y.sum(axis=0)
    assert np.all(res.prices * slack <= 1e-4 * res.prices.max())


@pytest.mark.parametrize("seed", range(4))
def test_dense_and_sparse_schur_products_give_the_same_iterates(seed, monkeypatch):
    """Small problems form the interior point's Schur product densely, large ones sparsely: same answer."""
    from qnum.solvers.pumping import separable

    sc = random_network(25, 4, 5, seed=seed)
    a = (sc.probabilities[:, None] * sc.skr).T
    dense = solve_separable(a, np.ones(sc.num_pairs), sc.capacity, 1.0, tol=1e-8)
    monkeypatch.setattr(separable, "DENSE_SCHUR_ENTRIES", 0)
    sparse = solve_separable(a, np.ones(sc.num_pairs), sc.capacity, 1.0, tol=1e-8)
    assert dense.iterations == sparse.iterations
    np.testing.assert_allclose(dense.y, sparse.y, rtol=0, atol=1e-9)
    assert dense.objective == pytest.approx(sparse.objective, rel=1e-12)


def test_separable_agrees_with_cvxpy_on_larger_instance():
    sc = random_network(30, 4, 5, seed=11)
    sep = AlphaFair(sc).solve("separable")
    cvx = AlphaFair(sc).solve("cvxpy")
    assert sep.status == Status.OPTIMAL
    assert sep.objective == pytest.approx(cvx.objective, rel=1e-6)
    assert sep.bound >= cvx.objective - 1e-6 * abs(cvx.objective)


def test_zero_skr_pair_with_log_utility_is_an_input_error():
    skr = np.array([[1.0, 0.0, 2.0]])
    sc = PumpingScenario(3, 1, skr, [1.0])
    with pytest.raises(ValueError, match="zero SKR"):
        AlphaFair(sc)
    sol = AlphaFair(sc, weights=[1.0, 0.0, 1.0]).solve()
    assert sol.ok and sol.values["rates"][(0, 2)] == 0.0
    assert sol.values["rates"][(0, 1)] == pytest.approx(0.5)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=15), st.integers(1, 5))
def test_systematic_sampling_reproduces_marginals(raw, k):
    y = np.asarray(raw)
    if y.sum() > k:                      # marginals of sets of at most k pairs
        y = y * k / y.sum()
    dist = decompose_marginals(y)
    assert sum(p for p, _ in dist) == pytest.approx(1.0)
    marg = np.zeros_like(y)
    for p, idx in dist:
        assert p > 0 and len(idx) <= math.ceil(y.sum() - 1e-12)
        marg[list(idx)] += p
    np.testing.assert_allclose(marg, np.where(y < 1e-12, 0.0, y), atol=1e-9)


def test_table_i_k2_pf_optimum_certified():
    sol = AlphaFair(table_i()).solve()
    assert sol.status == Status.OPTIMAL and sol.relative_gap <= 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_candidate_states_give_the_same_certified_optimum(seed):
    sc = random_network(40, 4, 12, seed=seed)
    a = (sc.probabilities[:, None] * sc.skr).T
    w = np.ones(sc.num_pairs)
    dense = solve_separable(a, w, sc.capacity, 1.0, candidates=sc.num_states)
    for k in (1, 2):
        reduced = solve_separable(a, w, sc.capacity, 1.0, candidates=k)
        assert reduced.converged
        assert reduced.objective == pytest.approx(dense.objective, rel=2e-6)
        assert reduced.bound >= dense.objective - 1e-9 * abs(dense.objective)
        assert np.all(reduced.y.sum(axis=0) <= sc.capacity + 1e-9)


@pytest.mark.parametrize("seed", [4, 7])
def test_matching_oracle_handles_tiny_gains_alpha_two(seed):
    # α = 2 gradients of bit/s rates are ~1e-14; the matching MILP must still price correctly
    sc = random_network(5, 2, 1, seed=seed, topologies="matching")
    sol = AlphaFair(sc, alpha=2.0).solve()
    expected = brute_force(sc, 2.0)
    assert sol.bound is not None and sol.bound >= sol.objective
    assert sol.objective == pytest.approx(expected, rel=1e-4)
    assert sol.bound >= expected * (1 + 1e-6)   # negative values: the bound is above the optimum


@pytest.mark.parametrize("family", ["at-most-k", "matching"])
def test_oracles_match_enumeration_on_random_gains(family):
    from qnum.solvers.pumping.oracles import TopologyOracle, enumerate_topologies

    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(3, 7))
        k = int(rng.integers(1, 4))
        factor = None if trial % 2 else np.sort(rng.uniform(0.2, 1.0, k))[::-1]
        sc = PumpingScenario(n, min(k, n * (n - 1) // 2), np.ones((1, n * (n - 1) // 2)), [1.0], topologies=family,
                             per_count_factor=None if factor is None else factor[: min(k, n * (n - 1) // 2)])
        gains = rng.exponential(size=sc.num_pairs) * 10.0 ** rng.uniform(-12, 3)
        f = sc.count_factor
        best = max([0.0] + [f[len(t) - 1] * gains[list(t)].sum() for t in enumerate_topologies(sc)])
        idx, value = TopologyOracle(sc).best(gains)
        assert value == pytest.approx(best, rel=1e-9, abs=0)
        if idx.size:
            assert value == pytest.approx(f[idx.size - 1] * gains[idx].sum(), rel=1e-12)
