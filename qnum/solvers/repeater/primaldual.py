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

from dataclasses import dataclass

import numpy as np

from qnum.solvers.repeater.branch_and_bound import log_utility

#: the cap on log-Werner parameters of QPrimalDual's y-update (``y <= -1e-6``: Werner parameter below 1)
Y_CAP = -1e-6
#: QPrimalDual's initial point: log-rates ``u = 0``, log-Werner ``y = -0.05``, link prices ``λ = 100``
INITIAL = (0.0, -0.05, 100.0)


def marginal(utility: str, z: np.ndarray) -> np.ndarray:
    """``G'(z)`` for ``z < 0`` where ``E(e^z) > 0``, and 5.0 where ``E <= 0`` (the push back up).

    The controllers' hot path: the same values as :func:`log_utility`'s derivative with two
    logarithms per route instead of its general form.

    Examples
    --------
    >>> z = np.array([-0.05, -0.3, -2.0])
    >>> g, dg = log_utility("distillable", z)
    >>> np.allclose(marginal("distillable", z), np.where(np.isfinite(g), dg, 5.0), rtol=1e-12)
    True
    """
    w = np.exp(z)
    if utility == "negativity":
        e = 0.75 * w - 0.25
        with np.errstate(divide="ignore"):
            return np.where(e > 0, 0.75 * w / e, 5.0)
    if utility == "distillable":
        f = 0.75 * w + 0.25
        q = (1.0 - f) / 3.0
        lf, lq = np.log2(f), np.log2(q)
        e = 1.0 + f * lf + 3.0 * q * lq
        slope = 0.75 * (lf - lq)
    else:   # secret-key: e = 1 - 2 h(p), p = (1 - w) / 2
        p = 0.5 - 0.5 * w
        lp, lr = np.log2(p), np.log2(1.0 - p)
        e = 1.0 + 2.0 * (p * lp + (1.0 - p) * lr)
        slope = lr - lp
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e > 0, slope * w / e, 5.0)


def incidence_sums(A):
    """``(per_route, per_link)``: the functions ``v ↦ Aᵀv`` (over each route's links) and ``v ↦ Av``
    (over each link's routes) of a 0/1 link-route incidence, as sparse products.

    Each route crosses a few links, so a sum costs O(link-route pairs). The products are CSR
    matrices of ones with sorted indices: every sum adds its terms in increasing index order
    starting from 0 — the order the message-level simulation's ``bincount`` sums use, so the two
    agree to the last bit (the summation order is all that matters: the terms are ``1.0 · v``).

    Examples
    --------
    >>> A = np.array([[1, 0, 1], [0, 1, 1.0]])
    >>> per_route, per_link = incidence_sums(A)
    >>> per_route(np.array([1.0, 2.0])).tolist(), per_link(np.array([1.0, 2.0, 4.0])).tolist()
    ([1.0, 2.0, 3.0], [5.0, 6.0])
    """
    from scipy.sparse import csr_matrix

    L, R = A.shape
    links, routes = np.nonzero(A)
    ones = np.ones(links.size)
    by_link = csr_matrix((ones, (links, routes)), shape=(L, R))
    by_route = csr_matrix((ones, (routes, links)), shape=(R, L))
    by_link.sort_indices()
    by_route.sort_indices()
    return by_route.__matmul__, by_link.__matmul__


@dataclass(frozen=True)
class DynamicsRun:
    """What a run of the QPrimalDual dynamics returns: the last iterate and its recorded history.

    Attributes
    ----------
    utility : float
        ``Σ_r ω_r log(x_r E(W_r))`` at the last iterate (``-inf`` if a route's ``E <= 0``).
    rates, werner : numpy.ndarray
        Last iterate: rates per route, Werner parameters per link.
    times : numpy.ndarray of int, shape (T,)
        Iterations recorded: 0 (the start), every ``record_every``-th, and the last one.
    objective, violations : numpy.ndarray, shape (T,)
        Utility and normalized capacity overshoot ``max(0, max_l Σ_{r ∋ l} x_r / d_l + w_l − 1)``
        at those iterations.
    rates_history, werner_history : numpy.ndarray, shapes (T, R) and (T, L)
    """

    utility: float
    rates: np.ndarray
    werner: np.ndarray
    times: np.ndarray
    objective: np.ndarray
    violations: np.ndarray
    rates_history: np.ndarray
    werner_history: np.ndarray


class _Recorder:
    """Collects (iteration, utility, overshoot, rates, werner) at the recorded iterations."""

    def __init__(self, d, A, om, off, utility, iters, record_every):
        self.d, self.A, self.om, self.off, self.utility = d, A, om, off, utility
        self.iters, self.every = iters, record_every
        self.rows = []

    def wants(self, t: int) -> bool:
        return t == self.iters or (self.every is not None and t % self.every == 0)

    def add(self, t, u, y):
        with np.errstate(over="ignore", invalid="ignore"):
            g, _ = log_utility(self.utility, self.A.T @ y + self.off)
            x, w = np.exp(u), np.exp(y)
            over = float(np.max(self.A @ x / self.d + w - 1.0))
        self.rows.append((t, float(self.om @ (u + g)), max(over, 0.0) if np.isfinite(over) else np.inf, x, w))

    def run(self) -> DynamicsRun:
        t, obj, viol, x, w = zip(*self.rows)
        return DynamicsRun(obj[-1], x[-1], w[-1], np.array(t), np.array(obj), np.array(viol), np.array(x),
                           np.array(w))


def qprimaldual(d, A, omega, iters=20000, a=0.001, b=0.5, utility="distillable", record_every=None,
                latency=0, log_decay=None) -> DynamicsRun:
    """Run the dynamics for ``utility``; returns a :class:`DynamicsRun`.

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

    ``record_every`` (iterations; None: the last iterate only) sets the history kept in the
    returned run (for convergence plots).

    Examples
    --------
    >>> import numpy as np
    >>> from qnum.physics.werner import link_capacity_scale
    >>> d = np.full(3, float(link_capacity_scale(2.0)))
    >>> A = np.array([[1, 0], [0, 1], [1, 1.0]])
    >>> run = qprimaldual(d, A, np.ones(2), iters=20000, record_every=5000)
    >>> round(run.utility, 3), run.times.tolist()
    (6.422, [0, 5000, 10000, 15000, 20000])
    """
    d = np.asarray(d, float)
    A = np.asarray(A, float)
    om = np.asarray(omega, float)
    L, R = A.shape
    off = np.zeros(R) if log_decay is None else np.asarray(log_decay, float)
    per_route, per_link = incidence_sums(A)

    u, y, lam = np.full(R, INITIAL[0]), np.full(L, INITIAL[1]), np.full(L, INITIAL[2])
    from collections import deque
    prices = deque(maxlen=latency + 1)     # path prices sum_l lambda_l / d_l, oldest first
    marginals = deque(maxlen=latency + 1)  # g'(Z_r) per route
    rec = _Recorder(d, A, om, off, utility, iters, record_every)
    if record_every is not None or iters == 0:
        rec.add(0, u, y)
    for it in range(1, iters + 1):
        marginals.append(marginal(utility, per_route(y) + off))   # below E = 0: push fidelity up
        prices.append(per_route(lam / d))
        gz, path_price = marginals[0], prices[0]              # the delayed information
        u = u + a * (om - path_price * np.exp(u))
        y = np.minimum(y + a * (per_link(om * gz) - lam * np.exp(y)), Y_CAP)
        lam = np.maximum(0.0, lam + b * (per_link(np.exp(u)) / d + np.exp(y) - 1.0))
        if rec.wants(it):
            rec.add(it, u, y)
    return rec.run()
