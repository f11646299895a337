"""QNUM baselines: what a network gets without optimizing link fidelities.

* ``fixed_fidelity_equal_shares``: every link runs at the same Werner parameter and splits
  its rate equally among the routes crossing it (a route gets its tightest link's share);
* ``rate_only_num``: the same fixed link Werner parameter, rates chosen by proportional-fair
  NUM (weighted log utility, solved with CVXPY) — the classical NUM answer;
* ``max_fidelity``: routes are served at demanded rates and every link spends all its
  remaining generation capacity on fidelity, ``w_l = 1 − Σ_{r ∋ l} x_r / d_l`` — the highest
  Werner parameters those rates allow. qnum's stand-in demand: half the rate-only NUM rates.

Both return ``(utility, rates)``; the utility is ``-inf`` when a route's fidelity is below
the utility's zero (e.g. the hashing threshold). qnum's stand-in for the fixed parameter:
the Werner parameter of fidelity 0.97 per link.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from qnum.networks.repeater import RepeaterScenario
from qnum.physics.werner import werner_from_fidelity
from qnum.solvers.conic import solve_problem
from qnum.solvers.repeater.branch_and_bound import log_utility

DEFAULT_LINK_FIDELITY = 0.97


#: qnum's stand-in for the max-fidelity baseline's demand, as a fraction of the rate-only NUM rates
DEFAULT_DEMAND_FRACTION = 0.5


def _utility(sc: RepeaterScenario, rates, w_link):
    """Σ ω_r log(x_r E(W_r)) with link Werner parameters ``w_link`` (scalar or per link) and decoherence."""
    y = np.broadcast_to(np.log(w_link), (len(sc.link_names),))
    g, _ = log_utility(sc.utility, sc.incidence.T @ y + sc.route_log_decay)
    with np.errstate(divide="ignore"):
        return float(sc.weights @ (np.log(rates) + g))


def _fixed_links(sc: RepeaterScenario, link_fidelity):
    """(link Werner parameter, incidence, rate capacity d_l (1 − w) per link) at a fixed link fidelity."""
    w = float(werner_from_fidelity(link_fidelity))
    return w, sc.incidence, sc.capacity_scale * (1.0 - w)


def fixed_fidelity_equal_shares(sc: RepeaterScenario, link_fidelity=DEFAULT_LINK_FIDELITY):
    """Equal rate shares at a fixed link fidelity.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> U, x = fixed_fidelity_equal_shares(two_user())
    >>> round(float(x[0]), 2)
    28.65
    """
    w, A, cap = _fixed_links(sc, link_fidelity)
    share = cap / np.maximum(A.sum(axis=1), 1.0)
    rates = np.min(np.where(A > 0, share[:, None], np.inf), axis=0)
    return _utility(sc, rates, w), rates


def rate_only_num(sc: RepeaterScenario, link_fidelity=DEFAULT_LINK_FIDELITY):
    """Proportional-fair rates at a fixed link fidelity (CVXPY).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> U, x = rate_only_num(two_user())
    >>> round(float(x[0]), 2)
    28.65
    """
    w, A, cap = _fixed_links(sc, link_fidelity)
    x = cp.Variable(len(sc.routes))
    prob = cp.Problem(cp.Maximize(sc.weights @ cp.log(x)), [A @ x <= cap])
    solve_problem(prob, linear=False)
    rates = np.maximum(np.asarray(x.value, float), 0.0)
    rates *= min(1.0, float(np.min(cap / np.maximum(A @ rates, 1e-300))))   # exactly feasible
    return _utility(sc, rates, w), rates


def max_fidelity(sc: RepeaterScenario, demand_fraction=DEFAULT_DEMAND_FRACTION):
    """Demanded rates, and every link at the highest Werner parameter they leave room for.

    Returns ``(utility, rates, link werner)``.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> U, x, w = max_fidelity(two_user())
    >>> round(float(x[0]), 2), bool(w.min() > werner_from_fidelity(DEFAULT_LINK_FIDELITY))
    (14.32, True)
    """
    if not 0 < demand_fraction <= 1:
        raise ValueError(f"demand_fraction = {demand_fraction}: must be in (0, 1]")
    _, base = rate_only_num(sc)
    rates = demand_fraction * base
    w = 1.0 - (sc.incidence @ rates) / sc.capacity_scale
    return _utility(sc, rates, w), rates, w
