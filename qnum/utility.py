"""α-fair utility family: value, derivative and CVXPY expression from one definition.

``U_α(x) = x^(1-α) / (1-α)`` for α ≠ 1 and ``log x`` for α = 1, with
``U'_α(x) = x^(-α)``; α = 0 is throughput, α = 1 proportional fairness and α → ∞
max-min fairness (``alpha="maxmin"``). Models, online schedulers and reports all call
these functions, so the offline objective and the online gradient can never drift apart.
"""

from __future__ import annotations

import math

import numpy as np

from qnum.errors import ScenarioError

MAXMIN = "maxmin"


def parse_alpha(alpha) -> float:
    """Validate an α value; returns ``math.inf`` for max-min fairness.

    Parameters
    ----------
    alpha : float, or "maxmin" / "inf"
        Fairness parameter, ``>= 0``.

    Examples
    --------
    >>> parse_alpha(1), parse_alpha("maxmin")
    (1.0, inf)
    >>> parse_alpha(-1)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: alpha = -1: must be a number >= 0 or "maxmin"
    """
    if isinstance(alpha, str):
        if alpha.strip().lower() in (MAXMIN, "max-min", "inf", "infinity"):
            return math.inf
        try:
            alpha = float(alpha)
        except ValueError:
            raise ScenarioError("alpha", alpha, 'must be a number >= 0 or "maxmin"') from None
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)):
        raise ScenarioError("alpha", alpha, 'must be a number >= 0 or "maxmin"')
    if math.isnan(alpha) or alpha < 0:
        raise ScenarioError("alpha", alpha, 'must be a number >= 0 or "maxmin"')
    return float(alpha)


def utility(x, alpha: float):
    """Elementwise α-fair utility ``U_α(x)``; ``-inf`` at 0 for α >= 1.

    For α = inf (max-min) the "utility" of a vector is its minimum, see
    :func:`total_utility`; elementwise it is the identity.

    Examples
    --------
    >>> utility([1.0, 4.0], 0.5).tolist()
    [2.0, 4.0]
    >>> round(float(utility(np.e, 1.0)), 12)
    1.0
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        if alpha == 1.0:
            return np.log(x)
        if math.isinf(alpha):
            return x.copy()
        return np.power(x, 1.0 - alpha) / (1.0 - alpha)


def marginal_utility(x, alpha: float):
    """Elementwise derivative ``U'_α(x) = x^(-α)`` (``inf`` at 0 for α > 0).

    Examples
    --------
    >>> marginal_utility([2.0, 4.0], 1.0).tolist()
    [0.5, 0.25]
    >>> marginal_utility([2.0], 0.0).tolist()
    [1.0]
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        if alpha == 0.0:
            return np.ones_like(x)
        return np.power(x, -alpha)


def inverse_marginal_utility(slope, alpha: float):
    """The rate at which ``U'_α`` equals ``slope`` (α > 0): ``slope^(-1/α)``.

    Examples
    --------
    >>> inverse_marginal_utility([0.5], 1.0).tolist()
    [2.0]
    """
    slope = np.asarray(slope, dtype=float)
    with np.errstate(divide="ignore"):
        return np.power(slope, -1.0 / alpha)


def total_utility(rates, alpha: float, weights=None) -> float:
    """Network utility ``Σ_e w_e U_α(r_e)``; for max-min, ``min_e r_e / w_e``.

    Pairs with weight 0 are left out (they do not count, even at rate 0).

    Examples
    --------
    >>> total_utility([1.0, np.e], 1.0)
    1.0
    >>> total_utility([2.0, 3.0], float("inf"))
    2.0
    """
    r = np.asarray(rates, dtype=float)
    w = np.ones_like(r) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    if math.isinf(alpha):
        return float(np.min(r[keep] / w[keep])) if keep.any() else math.inf
    return float(np.sum(w[keep] * utility(r[keep], alpha)))


def cvxpy_utility(rate_expr, alpha: float, weights):
    """CVXPY expression for ``Σ_e w_e U_α(r_e)`` (concave, DCP), α finite.

    Parameters
    ----------
    rate_expr : cvxpy.Expression
        Vector of rates.
    alpha : float
        Finite α >= 0.
    weights : numpy.ndarray
        Non-negative weights, same length as ``rate_expr``.

    Examples
    --------
    >>> import cvxpy as cp
    >>> r = cp.Variable(2)
    >>> cvxpy_utility(r, 1.0, np.ones(2)).is_concave()
    True
    """
    import cvxpy as cp

    w = np.asarray(weights, dtype=float)
    if alpha == 0.0:
        return w @ rate_expr
    if alpha == 1.0:
        return w @ cp.log(rate_expr)
    if alpha < 1.0:
        return (w / (1.0 - alpha)) @ cp.power(rate_expr, 1.0 - alpha)
    # α > 1: x^(1-α)/(1-α) = -x^(1-α)/(α-1), and x^(1-α) is convex for x > 0.
    return -(w / (alpha - 1.0)) @ cp.power(rate_expr, 1.0 - alpha)
