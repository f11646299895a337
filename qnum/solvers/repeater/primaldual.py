"""QPrimalDual (qnum's discrete-time form): route rates, link Werner parameters and prices.

Primal-dual gradient dynamics on the Lagrangian in log variables: route controllers
update ``u_r = log x_r`` from path prices; link controllers update ``y_l = log w_l`` from
the routes' marginal utilities and their price, and prices ``lambda_l`` from the
normalized load ``sum x / d_l + w_l - 1``. Step sizes ``a`` (primal) and ``b`` (dual; defaults
chosen on the dumbbell and NSFNet instances of the tests — fixed steps can still diverge,
see RESULTS.md) are qnum's choices.

This is the compact array form (one uniform ``latency`` for every message). The full model —
q-datagrams and ACKs with per-link latency, PI prices, the local variant — is
:func:`qnum.solvers.repeater.messages.qprimaldual_messages`, which the tests check against this
function iterate for iterate at zero latency.
"""

from __future__ import annotations

import numpy as np

from qnum.solvers.repeater.branch_and_bound import log_utility


def qprimaldual(d, A, omega, iters=20000, a=0.001, b=0.5, utility="distillable", trace=None,
                trace_every=100, latency=0, log_decay=None):
    """Run the dynamics for ``utility``; returns ``(utility value, rates, werner)``.

    ``latency`` (iterations) models the classical messages: a route controller sees its
    path price, and a link controller the routes' marginal utilities ``g'(Z_r)``, as they
    were ``latency`` iterations earlier (carried by the q-datagram and its ACK). With
    ``latency=0`` the dynamics are the synchronous ones. Delays destabilize the fixed steps
    (measured: 5 iterations of latency already diverge on a dumbbell); dividing both steps by
    ``1 + latency`` and running ``1 + latency`` times longer restores convergence on the
    dumbbell and NSFNet instances of the tests.

    ``log_decay`` (per route, ``-Γ t_r``; see
    :attr:`qnum.networks.repeater.RepeaterScenario.route_log_decay`) makes the dynamics
    decoherence-aware: routes use ``W_r = e^{log_decay_r} Π w_l``.

    If ``trace`` is a list, ``(iteration, utility, max relative capacity violation)`` is
    appended to it every ``trace_every`` iterations (for convergence plots).

    Examples
    --------
    >>> import numpy as np
    >>> from qnum.physics.werner import link_capacity_scale
    >>> d = np.full(3, float(link_capacity_scale(2.0)))
    >>> A = np.array([[1, 0], [0, 1], [1, 1.0]])
    >>> U, x, w = qprimaldual(d, A, np.ones(2), iters=20000)
    >>> round(U, 3)
    6.422
    """
    d = np.asarray(d, float)
    A = np.asarray(A, float)
    om = np.asarray(omega, float)
    L, R = A.shape
    off = np.zeros(R) if log_decay is None else np.asarray(log_decay, float)
    u = np.zeros(R)
    y = np.full(L, -0.05)
    lam = np.full(L, 100.0)
    from collections import deque
    prices = deque(maxlen=latency + 1)     # path prices sum_l lambda_l / d_l, oldest first
    marginals = deque(maxlen=latency + 1)  # g'(Z_r) per route
    for it in range(iters):
        if trace is not None and it % trace_every == 0:
            g, _ = log_utility(utility, A.T @ y + off)
            load = (A @ np.exp(u)) / (d * (1 - np.exp(y)))
            trace.append((it, float(om @ (u + g)), float(np.max(load) - 1.0)))
        g, dg = log_utility(utility, A.T @ y + off)
        marginals.append(np.where(np.isfinite(g), dg, 5.0))   # below E = 0: push fidelity up
        prices.append(A.T @ (lam / d))
        gz, path_price = marginals[0], prices[0]              # the delayed information
        u = u + a * (om - path_price * np.exp(u))
        y = np.minimum(y + a * (A @ (om * gz) - lam * np.exp(y)), -1e-6)
        lam = np.maximum(0.0, lam + b * ((A @ np.exp(u)) / d + np.exp(y) - 1.0))
    g, _ = log_utility(utility, A.T @ y + off)
    return float(om @ (u + g)), np.exp(u), np.exp(y)
