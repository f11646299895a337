"""Column generation (simplicial decomposition) for α-fair pumping over any topology family.

The restricted master problem maximizes the utility over convex combinations of the
topologies generated so far (per channel state, probabilities summing to at most 1),
solved with CVXPY. Pricing asks the family's oracle for the best topology per state
under the gradient weights ``w_e U'(r̂_e)``; by concavity

    OPT <= F(r̂) + Σ_c π_c max_G f_|G| Σ_{e∈G} u_e s_ce − u · r̂     (Frank–Wolfe bound)

so every iteration certifies its point. For max-min fairness the master is a linear
program and its duals μ (Σ μ_e w_e = 1) give the bound ``Σ_c π_c max_G μ · s(G, c)``.
Stops when the certified relative gap is below ``tol``. With ``columns="all"`` the master
holds every topology of the family up front (explicit enumeration, small cases).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from scipy import sparse

from qnum.solvers.conic import solve_problem
from qnum.solvers.pumping.oracles import TopologyOracle, enumerate_topologies
from qnum.utility import cvxpy_utility, marginal_utility, utility

log = logging.getLogger(__name__)


@dataclass
class ColumnGenerationResult:
    """Columns (per state), their probabilities, rates, objective and certified bound."""

    columns: list
    probs: list
    rates: np.ndarray | None
    objective: float
    bound: float
    iterations: int
    converged: bool
    message: str


def _rate_matrix(scenario, columns):
    """Sparse (M x ncols) matrix: rate each pair gets from each column at probability 1."""
    f = scenario.count_factor
    rows, cols, vals = [], [], []
    j = 0
    for c, cols_c in enumerate(columns):
        for top in cols_c:
            idx = np.asarray(top, dtype=np.int64)
            rows.append(idx)
            cols.append(np.full(idx.size, j))
            vals.append(scenario.probabilities[c] * f[idx.size - 1] * scenario.skr[c, idx])
            j += 1
    if not rows:
        return sparse.csr_matrix((scenario.num_pairs, 0))
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(scenario.num_pairs, j))


def _solve_master(scenario, columns, weights, alpha, keep, scale, solver, time_limit=None):
    """Solve the restricted master; returns (probabilities per column, rates, mu or None)."""
    R = _rate_matrix(scenario, columns)
    ncols = R.shape[1]
    p = cp.Variable(ncols, nonneg=True)
    owner = np.concatenate([np.full(len(cols_c), c) for c, cols_c in enumerate(columns)])
    cons = [cp.sum(p[owner == c]) <= 1 for c in range(len(columns)) if np.any(owner == c)]
    Rk = sparse.diags(1.0 / scale) @ R[keep]             # rescaled rates of the pairs that count
    rate = Rk @ p
    mu = None
    if math.isinf(alpha):
        tau = cp.Variable()
        link = rate >= cp.multiply(weights[keep] / scale, tau)
        prob = cp.Problem(cp.Maximize(tau), cons + [link])
        status = solve_problem(prob, linear=True, solver=solver, time_limit=time_limit)
        if p.value is None or link.dual_value is None:
            return None, None, None, status
        mu = np.zeros(scenario.num_pairs)
        mu[keep] = np.maximum(np.asarray(link.dual_value).reshape(-1), 0.0) / scale
    else:
        w_scaled = weights[keep] if alpha == 1.0 else weights[keep] * np.power(scale, 1.0 - alpha)
        w_scaled = w_scaled / np.mean(w_scaled)      # order-1 objective for the conic solver
        prob = cp.Problem(cp.Maximize(cvxpy_utility(rate, alpha, w_scaled)), cons)
        status = solve_problem(prob, linear=alpha == 0, solver=solver, time_limit=time_limit)
        if p.value is None:
            return None, None, None, status
    probs = np.maximum(np.asarray(p.value).reshape(-1), 0.0)
    # Make the per-state probabilities sum to at most 1 exactly (solver round-off).
    for c in range(len(columns)):
        sel = owner == c
        total = probs[sel].sum()
        if total > 1:
            probs[sel] /= total
    return probs, R @ probs, mu, status


def solve_column_generation(scenario, alpha: float, weights, *, tol: float = 1e-6, max_iter: int = 500,
                            time_limit: float | None = None, columns: str = "generate",
                            solver: str | None = None) -> ColumnGenerationResult:
    """Certified α-fair optimum over the scenario's topology family by column generation.

    Parameters
    ----------
    scenario : PumpingScenario
    alpha : float
        α >= 0, or inf for max-min.
    weights : numpy.ndarray
        Pair weights (0 leaves a pair out).
    tol : float
        Target relative gap.
    time_limit : float, optional
        Seconds: checked between iterations, and the remaining time is the master
        solver's own limit. On expiry the last master's point is returned with the best
        bound so far (message ``"time limit"``).
    columns : {"generate", "all"}
        Generate columns by pricing, or enumerate the whole family at once.

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> sc = four_node_example()
    >>> res = solve_column_generation(sc, 1.0, sc.weights)
    >>> np.allclose(res.rates, 0.2 * sc.skr[0], rtol=1e-4), res.converged
    (True, True)
    """
    start = time.perf_counter()
    oracle = TopologyOracle(scenario)
    S = scenario.num_states
    # Pairs without weight or without any SKR stay out (for α < 1 they add U(0) = 0; for
    # α >= 1 the model rejects positive-weight pairs without SKR before we get here).
    keep = (weights > 0) & (scenario.skr.max(axis=0) > 0)
    scale = np.maximum(scenario.skr[:, keep].max(axis=0), 1e-300)
    if columns == "all":
        every = enumerate_topologies(scenario)
        cols = [list(every) for _ in range(S)]
    else:
        cols = [[] for _ in range(S)]
        # Cover every counted pair with a topology containing it, in its best state.
        for e in np.flatnonzero(keep):
            c = int(np.argmax(scenario.skr[:, e]))
            gains = np.zeros(scenario.num_pairs)
            gains[e] = 1.0
            gains += 1e-9 * scenario.skr[c] / max(scenario.skr[c].max(), 1e-300)
            top, _ = oracle.best(gains)
            top = tuple(sorted(top.tolist())) if top.size else (e,)
            if e in top and top not in cols[c]:
                cols[c].append(top)
    best_bound = math.inf
    objective = -math.inf
    probs = rates = None
    message = "iteration cap reached"
    converged = False
    it = 0
    last = None
    while it < max_iter:
        it += 1
        budget = None if time_limit is None else max(time_limit - (time.perf_counter() - start), 1e-3)
        result = _solve_master(scenario, cols, weights, alpha, keep, scale, solver, budget)
        if result[0] is None:
            out_of_time = time_limit is not None and time.perf_counter() - start > time_limit
            message = ("time limit" if out_of_time else "master problem failed") + f": {result[3]}"
            if last is not None:       # the previous master's point and the bound so far stay valid
                cols, (probs, rates, mu, status) = last
            break
        probs, rates, mu, status = result
        if math.isinf(alpha):
            objective = float(np.min(rates[keep] / weights[keep]))
            # any μ >= 0 scaled to Σ μ_e w_e = 1 certifies (also a time-limited LP's duals)
            total = float(mu[keep] @ weights[keep])
            gains_pair = mu / total if total > 0 else mu
            bound = oracle.linear_max(gains_pair) if total > 0 else math.inf
        else:
            objective = float(np.sum(weights[keep] * utility(rates[keep], alpha)))
            gains_pair = np.zeros(scenario.num_pairs)
            gains_pair[keep] = weights[keep] * marginal_utility(rates[keep], alpha)
            with np.errstate(invalid="ignore", divide="ignore"):
                bound = objective + oracle.linear_max(gains_pair) - float(gains_pair @ rates)
        if not math.isfinite(bound):        # a rate at 0 (α > 0): no finite certificate from this point
            bound = math.inf
        best_bound = min(best_bound, bound)
        log.info("column generation %.1f s: round %d, %d columns, objective %.8g, certified bound %.8g",
                 time.perf_counter() - start, it, sum(len(c) for c in cols), objective, best_bound)
        if math.isfinite(objective) and math.isfinite(best_bound) \
                and best_bound - objective <= tol * max(abs(objective), abs(best_bound)):
            converged = True
            message = "certified gap below tolerance"
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            message = "time limit"
            break
        last = ([list(c) for c in cols], result)
        added = 0
        for c in range(S):
            top, _ = oracle.best(gains_pair * scenario.skr[c])
            top = tuple(sorted(top.tolist()))
            if top and top not in cols[c]:
                cols[c].append(top)
                added += 1
        log.debug("column generation: %d columns added", added)
        if added == 0:
            message = "no improving column; gap limited by master accuracy"
            break
    column_probs = []
    j = 0
    for cols_c in cols:
        column_probs.append(probs[j:j + len(cols_c)] if probs is not None else np.zeros(len(cols_c)))
        j += len(cols_c)
    return ColumnGenerationResult(cols, column_probs, rates, objective, best_bound, it, converged, message)
