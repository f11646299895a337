"""Exact dual bound for α-fair pumping with independent SKRs (the separable case).

The problem is ``max Σ_e w_e U_α(r_e)``, ``r_e = Σ_c a_ce y_ce`` with ``a_ce = π_c s_ce``,
``0 <= y <= 1`` and ``Σ_e y_ce <= K`` for each state c. Pricing the K-constraints with
``λ >= 0`` splits the Lagrangian per pair:

    D(λ) = K Σ_c λ_c + Σ_e max_{y_e ∈ [0,1]^S} [w_e U(a_e · y_e) − λ · y_e]

and by weak duality ``D(λ) >= OPT`` for *every* ``λ >= 0``, so it certifies any primal
point. The inner problem is a one-dimensional concave maximization: buying rate in
state c costs ``ρ_c = λ_c / a_ce`` per bit/s, so the cheapest states are filled first
(a fractional knapsack) until the marginal utility ``w U'(r)`` drops to the price.
"""

from __future__ import annotations

import numpy as np

from qnum.utility import inverse_marginal_utility, utility


def per_pair_best_response(a, weights, prices, alpha: float):
    """Solve every pair's inner problem of the dual function, vectorized.

    Parameters
    ----------
    a : numpy.ndarray, shape (M, S)
        Rate each pair gains per unit of time share in each state, ``π_c s_ce``.
    weights : numpy.ndarray, shape (M,)
        Utility weights (> 0; pairs with weight 0 must be removed beforehand).
    prices : numpy.ndarray, shape (S,)
        Prices ``λ >= 0`` of the K-constraints.
    alpha : float
        Finite α > 0.

    Returns
    -------
    y : numpy.ndarray, shape (M, S)
        Optimal time shares of each pair.
    value : numpy.ndarray, shape (M,)
        ``w_e U(r_e) − λ · y_e`` at the optimum.

    Examples
    --------
    >>> a = np.array([[2.0, 1.0]])
    >>> y, v = per_pair_best_response(a, np.ones(1), np.array([1.0, 1.0]), 1.0)
    >>> y.tolist()   # cheapest state first (price 1/2 per unit rate): r = 1 / 0.5 = 2
    [[1.0, 0.0]]
    """
    M, S = a.shape
    lam = np.broadcast_to(np.asarray(prices, dtype=float), (S,))
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(a > 0, lam[None, :] / np.where(a > 0, a, 1.0), np.inf)
    order = np.argsort(rho, axis=1, kind="stable")
    rho_sorted = np.take_along_axis(rho, order, axis=1)
    a_sorted = np.take_along_axis(a, order, axis=1)
    reach = np.cumsum(a_sorted, axis=1)
    before = reach - a_sorted
    with np.errstate(divide="ignore", invalid="ignore"):
        # Rate at which marginal utility equals each segment's price (inf for free segments).
        target = np.where(rho_sorted > 0, inverse_marginal_utility(rho_sorted / weights[:, None], alpha), np.inf)
    fill = np.clip(target - before, 0.0, a_sorted)
    fill = np.where(np.isfinite(rho_sorted), fill, 0.0)
    rate = fill.sum(axis=1)
    with np.errstate(invalid="ignore"):
        cost = np.where(fill > 0, rho_sorted * fill, 0.0).sum(axis=1)
    y = np.zeros_like(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.put_along_axis(y, order, np.where(a_sorted > 0, fill / np.where(a_sorted > 0, a_sorted, 1.0), 0.0), axis=1)
    value = weights * utility(rate, alpha) - cost
    return y, value


def dual_bound(a, weights, prices, capacity: int, alpha: float, *, with_response: bool = False):
    """Lagrangian dual function ``D(λ)``: an upper bound on the optimum for any λ >= 0.

    With ``with_response=True`` also returns the pairs' best responses ``y`` (M, S),
    which a solver can repair into a feasible primal point.

    Examples
    --------
    >>> a = np.array([[1.0], [1.0]])           # two pairs, one state, K = 1
    >>> round(dual_bound(a, np.ones(2), np.array([2.0]), 1, 1.0), 6)  # λ = 2 is optimal
    -1.386294
    >>> import math
    >>> round(2 * math.log(0.5), 6)            # the optimum: each pair half the time
    -1.386294
    """
    prices = np.maximum(np.asarray(prices, dtype=float), 0.0)
    y, value = per_pair_best_response(a, weights, prices, alpha)
    bound = float(capacity * prices.sum() + value.sum())
    return (bound, y) if with_response else bound
