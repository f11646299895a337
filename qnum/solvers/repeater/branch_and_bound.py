"""Certified QNUM optimum: concave envelopes over route scalars, dual bounds, branch and bound.

In log variables ``u_r = log x_r``, ``y_l = log w_l`` the feasible set
``X = {sum_{r through l} e^{u_r} + d_l e^{y_l} <= d_l, y <= 0}`` is convex and the objective
``f = sum_r omega_r (u_r + G(Z_r + o_r))``, ``Z_r = sum_{l in r} y_l``, ``G(z) = log E(e^z)``
and ``o_r = -Γ t_r`` the route's decoherence (0 without), is non-concave only through the
scalar functions ``G``; the boxes below live in ``log W_r = Z_r + o_r``. For every utility qnum ships,
``G`` is concave below an inflection point ``z_c`` and convex above it (checked
numerically, :func:`inflection`), so on a box ``lo <= z <= hi`` its concave envelope
``Ĝ`` is ``G`` up to a tangent point and then the tangent line to ``(hi, G(hi))``.

Per box, qnum
1. maximizes the envelope objective ``f̂`` (concave) with scipy SLSQP — its point ``v``,
   with rates scaled down to be exactly feasible, gives a lower bound ``f(v)``;
2. proves an upper bound on ``max f̂`` over the box: ``f̂(v) + max_s ∇f̂(v)·(s − v)``
   (``f̂`` concave), whose inner linear maximization has the closed-form Lagrangian dual
   :func:`linearized_dual` (separable over routes and links); any multipliers give a
   valid bound, and qnum polishes them with L-BFGS-B from the KKT estimate.
Branch and bound splits the box of the route whose envelope overestimates most at ``v``; each
child starts SLSQP from its parent's point (on the child's boundary) and stops at the first
start that converges, and polishes its multipliers only while its bound is above the incumbent
plus the accepted gap. A box whose local solve reaches no usable point is never dropped unless
an LP proves it empty: it keeps its parent's bound and is split in the middle of the route whose
envelope overestimates most at its LP centre (the widest route if none does), its children
starting from the parent's point. Incumbents (the root's point and every improvement) are
polished by SLSQP on the true objective (:meth:`_Problem.polished`): on every instance tried
this local optimum already is the global one, and the branching proves it. When every ``Z_r(v)``
lies where ``Ĝ = G`` (the concave case), the root closes the gap and the answer is certified
optimal without branching. The search stops at the requested relative gap, after ``max_nodes``
boxes, or at the time limit (checked between boxes): the incumbent is returned with the largest
bound of the boxes still open.

Only routes with ``E > 0`` count: ``Z`` is kept above ``log w_0`` where ``E(w_0) = 0``
(hashing threshold F = 0.8107 for distillable entanglement), with a relative margin of
1e-9 (utility there is below -20 per unit weight, so it cannot matter).
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, linprog, minimize, nnls

from qnum.networks.repeater import RepeaterScenario
from qnum.physics.werner import UTILITIES, distillable_derivative
from qnum.solution import Solution, Status

log = logging.getLogger(__name__)

#: seconds between two INFO progress lines of the branch and bound
PROGRESS_EVERY = 1.0


def _utility_derivative(utility: str, w):
    w = np.asarray(w, float)
    if utility == "distillable":
        return distillable_derivative(w)
    if utility == "secret-key":
        e = np.clip((1.0 - w) / 2.0, 1e-300, 0.5)
        return np.log2((1.0 - e) / e)
    return np.full_like(w, 0.75)


def log_utility(utility: str, z):
    """``G(z) = log E(e^z)`` and ``G'(z)``; ``-inf`` where ``E <= 0``.

    Examples
    --------
    >>> g, dg = log_utility("negativity", 0.0)
    >>> round(float(g), 6), round(float(dg), 6)
    (-0.693147, 1.5)
    """
    w = np.exp(np.asarray(z, float))
    e = UTILITIES[utility](w)
    pos = e > 0
    g = np.where(pos, np.log(np.where(pos, e, 1.0)), -np.inf)
    dg = np.where(pos, _utility_derivative(utility, w) * w / np.where(pos, e, 1.0), np.inf)
    return g, dg


def zero_utility_log_werner(utility: str) -> float:
    """``log w_0`` with ``E(w_0) = 0``: routes need ``Z > log w_0`` for positive utility.

    Examples
    --------
    >>> round(float(np.exp(zero_utility_log_werner("negativity"))), 9)
    0.333333333
    """
    E = UTILITIES[utility]
    w0 = brentq(lambda w: float(E(w)) - 1e-300 if utility == "negativity" else float(E(w)),
                0.3, 1.0, xtol=1e-15) if utility != "negativity" else 1.0 / 3.0
    return float(np.log(w0))


def inflection(utility: str) -> float:
    """The point ``z_c`` where ``G`` turns from concave to convex (0 if concave throughout).

    Raises ``ValueError`` if ``G`` is not concave-then-convex on a fine grid (the
    envelope construction relies on that shape).

    Examples
    --------
    >>> inflection("negativity")
    0.0
    >>> from qnum.physics.werner import fidelity_from_werner
    >>> round(float(fidelity_from_werner(np.exp(inflection("distillable")))), 3)
    0.969
    """
    z0 = zero_utility_log_werner(utility)
    z = np.linspace(z0 * (1 - 1e-6), -1e-9, 200001)
    _, dg = log_utility(utility, z)
    convex = np.diff(dg) > 0
    if not convex.any():
        return 0.0
    first = int(np.argmax(convex))
    if not convex[first:].all():
        raise ValueError(f"G for {utility!r} is not concave-then-convex")
    return float(z[first])


class Envelope:
    """Concave envelope of ``G`` on ``[lo, hi]``: ``G`` up to ``t``, then a line of slope ``s``.

    ``lo`` and ``hi`` may be arrays (one box per route): every attribute and :meth:`value`
    then work elementwise. Where ``hi`` lies past the inflection ``zc``, the tangent point
    ``t`` is found by bisection on ``phi(t) = G(t) + G'(t) (hi - t) - G(hi)`` (decreasing on
    ``[lo, zc]``), keeping the end with ``phi(t) >= 0``: the tangent line from there passes
    above ``(hi, G(hi))``, so the envelope overestimates ``G`` whatever the rounding.

    Examples
    --------
    >>> zc = inflection("distillable")
    >>> env = Envelope("distillable", np.array([-0.3, -0.3]), np.array([-0.2, -0.001]), zc)
    >>> bool(env.t[0] == -0.2), bool(-0.3 < env.t[1] < zc)
    (True, True)
    >>> z = np.array([-0.25, -0.01])
    >>> bool(np.all(env.value(z)[0] >= log_utility("distillable", z)[0]))
    True
    """

    def __init__(self, utility: str, lo, hi, zc: float):
        self.utility, self.zc = utility, zc
        self.lo, self.hi = (np.array(a, float) for a in np.broadcast_arrays(lo, hi))
        g_hi, dg_hi = log_utility(utility, self.hi)
        t, s = self.hi.copy(), np.array(dg_hi, float)
        convex = self.hi > zc
        if np.any(convex):
            lo_c, hi_c, gh = self.lo[convex], self.hi[convex], g_hi[convex]

            def phi(x):
                # at or below the utility's zero G = -inf and G' = +inf: phi's limit there is +inf
                # (G' (hi - x) outgrows |G|), which keeps the bisection's lower end where it belongs
                g, dg = log_utility(utility, x)
                with np.errstate(invalid="ignore"):
                    return np.where(np.isneginf(g), np.inf, g + dg * (hi_c - x) - gh)

            chord = phi(lo_c) <= 0           # the chord from lo to hi already lies above G
            a, b = lo_c.copy(), np.minimum(zc, hi_c)
            for _ in range(60):
                mid = 0.5 * (a + b)
                up = phi(mid) >= 0
                a, b = np.where(up, mid, a), np.where(up, b, mid)
            tc = np.where(chord, lo_c, a)
            g_lo = log_utility(utility, lo_c)[0]
            wide = hi_c > lo_c
            with np.errstate(divide="ignore", invalid="ignore"):
                sc = np.where(chord & wide, (gh - g_lo) / np.where(wide, hi_c - lo_c, 1.0),
                              log_utility(utility, tc)[1])
            t[convex], s[convex] = tc, sc
        self.t, self.s = t, s
        self.g_t = log_utility(utility, t)[0]

    def value(self, z):
        """``Ĝ(z)`` and its derivative (past ``hi`` the last line continues: still concave)."""
        z = np.asarray(z, float)
        g, dg = log_utility(self.utility, np.minimum(z, self.t))
        line = self.g_t + self.s * (z - self.t)
        below = z <= self.t
        return np.where(below, g, line), np.where(below, dg, self.s)


def linearized_dual(lam, mu_lo, mu_hi, c_u, c_y, d, A, lo, hi, y_min):
    """Upper bound on ``max c_u·u + c_y·y`` over ``X`` with ``lo <= A^T y <= hi``, ``y >= y_min``.

    Lagrangian dual with multipliers ``lam >= 0`` (capacities) and ``mu_lo, mu_hi >= 0``
    (route boxes); separable in closed form, valid for any such multipliers. Returns the
    bound and its gradient in ``(lam, mu_lo, mu_hi)``.

    Examples
    --------
    >>> A = np.ones((1, 1)); d = np.array([2.0])
    >>> b, _ = linearized_dual(np.array([1.0]), np.zeros(1), np.zeros(1), np.ones(1),
    ...                        np.zeros(1), d, A, np.array([-1.0]), np.array([0.0]), np.array([-1.0]))
    >>> # the true maximum of log x with x <= 2 - 2 e^y, y >= -1 is log(2 - 2/e)
    >>> round(b, 4), round(float(np.log(2 - 2 * np.exp(-1))), 4)
    (0.2642, 0.2345)
    """
    P = A.T @ lam
    xr = c_u / P
    val = float(np.sum(c_u * (np.log(xr) - 1.0)))
    ce = c_y + A @ (mu_lo - mu_hi)
    a = lam * d
    with np.errstate(divide="ignore", invalid="ignore"):
        # maximize ce*y - a*e^y on [y_min, 0]: stationary point, or an end when monotone
        y = np.where(a > 0, np.where(ce > 0, np.log(ce / a), y_min), np.where(ce >= 0, 0.0, y_min))
    y = np.clip(y, y_min, 0.0)
    ey = np.exp(y)
    val += float(np.sum(ce * y - a * ey)) + float(lam @ d) - float(mu_lo @ lo) + float(mu_hi @ hi)
    Z = A.T @ y
    grad = np.concatenate([d - A @ xr - d * ey, Z - lo, hi - Z])
    return val, grad


@dataclass
class _Problem:
    d: np.ndarray
    A: np.ndarray
    omega: np.ndarray
    utility: str
    zc: float
    z0: float
    offset: np.ndarray   # log decoherence factor per route: log W_r = Z_r + offset_r

    @classmethod
    def of(cls, sc: RepeaterScenario):
        z0 = zero_utility_log_werner(sc.utility) * (1 - 1e-9)
        return cls(sc.capacity_scale, sc.incidence, sc.weights, sc.utility, inflection(sc.utility), z0,
                   sc.route_log_decay)

    def repaired(self, v):
        """``v`` made exactly feasible: rates scaled down to fit every link's capacity."""
        R = self.A.shape[1]
        u, y = v[:R], np.minimum(v[R:], 0.0)
        x = np.exp(u)
        room = self.d * -np.expm1(y)           # 1 - e^y without cancellation when y is tiny
        load = self.A @ x
        ratio = np.where(load > 0, room / np.where(load > 0, load, 1.0), np.inf)
        scale = np.minimum(1.0, np.min(np.where(self.A > 0, ratio[:, None], np.inf), axis=0))
        with np.errstate(divide="ignore"):         # a route squeezed to rate 0: log 0 = -inf, a worthless candidate
            return np.concatenate([u + np.log(scale * (1 - 1e-15)), y])

    def dead_routes_message(self):
        """Why the problem is infeasible, or None: routes whose decoherence factor alone keeps
        them below the utility's threshold (``log W_r <= offset_r <= z0``)."""
        dead = np.flatnonzero(self.offset <= self.z0)
        if not dead.size:
            return None
        return (f"routes {dead.tolist()} cannot reach positive utility: their decoherence factor "
                "alone is below the utility's threshold; lower decoherence_rate_per_s or shorten them")

    def polished(self, v0, envelope=None):
        """``v0`` refined by SLSQP on the objective — the true one, or with ``envelope`` (an
        :class:`Envelope` over every route's box) the envelope objective; ``v0`` itself if that
        does not improve it. Local refinement only: it never replaces a bound."""
        A, d, om, off = self.A, self.d, self.omega, self.offset
        L, R = A.shape

        def value(z):
            return log_utility(self.utility, z) if envelope is None else envelope.value(z)

        def neg(v):
            # SLSQP may probe points outside the utility's domain; their value is just -inf
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                g, dg = value(A.T @ v[R:] + off)
                return -float(om @ (v[:R] + g)), -np.concatenate([om, A @ (om * dg)])

        z_floor = self.z0 + 1e-6 * abs(self.z0)
        cons = [{"type": "ineq", "fun": lambda v: 1.0 - (A / d[:, None]) @ np.exp(v[:R]) - np.exp(v[R:]),
                 "jac": lambda v: -np.hstack([(A / d[:, None]) * np.exp(v[:R])[None, :], np.diag(np.exp(v[R:]))])},
                {"type": "ineq", "fun": lambda v: A.T @ v[R:] + off - z_floor,
                 "jac": lambda v: np.hstack([np.zeros((R, R)), A.T])}]
        v0 = np.concatenate([v0[:R], np.minimum(v0[R:], 0.0)])
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):   # trial points: see neg
            res = minimize(neg, v0, jac=True, method="SLSQP", constraints=cons,
                           bounds=[(None, None)] * R + [(None, 0.0)] * L, options={"ftol": 1e-15, "maxiter": 200})
        ok = np.all(np.isfinite(res.x)) and np.all(A.T @ res.x[R:] + off >= z_floor)
        return res.x if ok and res.fun <= neg(v0)[0] else v0

    def true_value(self, u, y):
        g, _ = log_utility(self.utility, self.A.T @ y + self.offset)
        return float(self.omega @ (u + g))


def _box_centre(A, lo, hi, y_min):
    """``(y, empty)``: ``y`` in ``[y_min, 0]`` maximizing the smallest slack of ``lo <= A^T y <= hi``
    (None if the LP found none), ``empty`` True only when the LP proves the box empty."""
    L, R = A.shape
    # variables (y, s): maximize s subject to A^T y - s >= lo, A^T y + s <= hi (scaled by the widths)
    width = np.maximum(hi - lo, 1e-12)
    A_ub = np.block([[-A.T, width[:, None]], [A.T, width[:, None]]])
    b_ub = np.concatenate([-lo, hi])
    c = np.zeros(L + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=list(zip(y_min, np.zeros(L))) + [(0, 0.5)], method="highs")
    return (res.x[:L], False) if res.status == 0 else (None, res.status == 2)


def _y_min(pb: _Problem, lo):
    """Lower limits of ``y`` implied by a box ``Z >= lo``: ``y_l >= Z_r >= lo_r`` for every route
    ``r`` through ``l`` (all ``y <= 0``); ``z0`` on links no route uses."""
    y_min = np.max(np.where(pb.A > 0, lo[None, :], -np.inf), axis=1, initial=-np.inf)
    return np.where(np.isfinite(y_min), y_min, pb.z0)


def _solve_box(pb: _Problem, box_lo, box_hi, deadline=None, start=None, prune_at=None):
    """Maximize the envelope objective on the box of log W_r; returns (point, bound).

    The point is ``None`` when no start reached a usable point: the bound is then ``-inf`` if
    an LP proves the box empty (no feasible point: sound to drop) and ``+inf`` otherwise
    (nothing proven: the caller keeps the parent's bound and splits the box).
    SLSQP's point need not be feasible for the bound (any point of ``f̂``'s domain linearizes
    it from above); a point within 1e-6 of the box and capacities counts as its maximum, and
    without one the least infeasible point gives the bound.

    ``start`` (e.g. the parent box's point) is tried first; the envelope objective is concave,
    so a start that converges to a feasible point is the maximum and the fixed starts are
    skipped. With ``prune_at`` (the incumbent's value plus the gap the search accepts) the dual
    multipliers are polished only until the bound falls to it. Past ``deadline`` (a
    ``time.perf_counter()`` value) it skips the remaining starts and the polishing of the dual
    multipliers: the bound stays valid, only looser.
    """
    def late():
        return deadline is not None and time.perf_counter() > deadline

    env = Envelope(pb.utility, box_lo, box_hi, pb.zc)
    A, d, om, off = pb.A, pb.d, pb.omega, pb.offset
    L, R = A.shape
    lo, hi = box_lo - off, box_hi - off       # the same box in Z = A^T y
    on = A > 0
    y_min = _y_min(pb, lo)

    def neg(v):
        g, dg = env.value(A.T @ v[R:] + off)
        return -float(om @ (v[:R] + g)), -np.concatenate([om, A @ (om * dg)])

    def fhat(v):
        f, gr = neg(v)
        return -f, -gr

    cut = np.flatnonzero(hi < 0.0)
    cons = [{"type": "ineq", "fun": lambda v: d - A @ np.exp(v[:R]) - d * np.exp(v[R:]),
             "jac": lambda v: -np.hstack([A * np.exp(v[:R])[None, :], np.diag(d * np.exp(v[R:]))])},
            {"type": "ineq", "fun": lambda v: A.T @ v[R:] - lo,
             "jac": lambda v: np.hstack([np.zeros((R, R)), A.T])},
            # Z_r <= hi_r only where the box cuts below y <= 0's own limit Z_r <= 0
            {"type": "ineq", "fun": lambda v: hi[cut] - A[:, cut].T @ v[R:],
             "jac": lambda v: np.hstack([np.zeros((cut.size, R)), -A[:, cut].T])}][:3 if cut.size else 2]
    bounds = [(None, None)] * R + list(zip(y_min, np.zeros(L)))
    starts = [] if start is None else [np.concatenate([start[:R], np.clip(start[R:], y_min, 0.0)])]
    max_hops = np.maximum(np.max(np.where(on, A.sum(axis=0)[None, :], 0.0), axis=1, initial=0.0), 1.0)
    load = np.maximum(A.sum(axis=1), 1)
    for frac in (0.5, 0.2, 0.8):
        # y_l = z / (longest route through l) keeps every Z_r >= z
        z = float(np.max(lo) + frac * (np.min(hi) - np.max(lo))) if np.max(lo) < np.min(hi) else float(np.min(hi))
        y = np.clip(z / max_hops, y_min, 0.0)
        x = np.min(np.where(on, (d * (1 - np.exp(y)) / load)[:, None], np.inf), axis=0)
        starts.append(np.concatenate([np.log(np.maximum(x, 1e-12) * 0.9), y]))
    best = None
    nearest = (np.inf, None)   # the least infeasible point, should none be feasible

    def attempt(v0):
        nonlocal best, nearest
        # SLSQP's line search may probe far outside the box, where e^u overflows and the
        # capacity rows become inf / nan: intended, such trial points are rejected by SLSQP and
        # a non-finite final point is discarded below, so these numpy warnings are not news
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = minimize(neg, v0, jac=True, method="SLSQP", bounds=bounds, constraints=cons,
                           options={"ftol": 1e-14, "maxiter": 1000})
        v = res.x
        if not np.all(np.isfinite(v)):
            return
        Z = A.T @ v[R:]
        with np.errstate(over="ignore", invalid="ignore"):
            violation = max(float(np.max((A @ np.exp(v[:R]) + d * np.exp(v[R:]) - d) / d)),
                            float(np.max(lo - Z)), float(np.max(Z - hi)))
        if not np.isfinite(violation):
            return
        if violation <= 1e-6 and (best is None or -res.fun > best[1]):
            best = (v, -res.fun)
        if violation < nearest[0]:
            nearest = (violation, v)
        # status 8 (no ascent direction left at ftol 1e-14) is convergence to rounding level
        return (res.success or res.status == 8) and violation <= 1e-6

    for v0 in starts:
        if best is not None and late():
            break
        if attempt(v0):
            break
    if best is None:
        # the uniform starts can miss boxes narrowed on several routes: start from the
        # Werner parameters deepest inside the box (an LP), rates at 90 % of capacity
        y, empty = _box_centre(A, lo, hi, y_min)
        if empty:
            return None, -np.inf
        if y is not None:
            x = np.min(np.where(A > 0, (d * (1 - np.exp(y)) / load)[:, None], np.inf), axis=0)
            attempt(np.concatenate([np.log(np.maximum(x, 1e-12) * 0.9), y]))
    # the bound below holds at any point where f̂ is differentiable, feasible or not (f̂ is
    # concave): without a feasible point the least infeasible one still bounds the box
    v = best[0] if best is not None else nearest[1]
    if v is None:   # no start reached a finite point: nothing proven
        return None, np.inf
    f, grad = fhat(v)
    if not (np.isfinite(f) and np.all(np.isfinite(grad))):   # a route at E = 0: no usable point
        return None, np.inf
    c_u, c_y = grad[:R], grad[R:]
    const = f - float(grad @ v)
    # starting multipliers from stationarity, grad f̂ = J^T lam + B^T (mu_hi - mu_lo), over the
    # capacity rows and the route-box rows active at v (J, B their Jacobians)
    Z = A.T @ v[R:]
    act_lo = np.flatnonzero(Z - lo <= 1e-7 * np.maximum(1.0, np.abs(lo)))
    act_hi = np.flatnonzero(hi - Z <= 1e-7 * np.maximum(1.0, np.abs(hi)))
    J = np.hstack([A * np.exp(v[:R])[None, :], np.diag(d * np.exp(v[R:]))])
    B = np.hstack([np.zeros((R, R)), A.T])
    m_act, _ = nnls(np.vstack([J, -B[act_lo], B[act_hi]]).T, grad)
    m0 = np.zeros(L + 2 * R)
    m0[:L] = np.maximum(m_act[:L], 1e-12)
    m0[L + act_lo] = m_act[L:L + act_lo.size]
    m0[L + R + act_hi] = m_act[L + act_lo.size:]
    lowest = [np.inf]   # every multiplier vector gives a valid bound: keep the smallest seen

    def dual(m):
        val, gr = linearized_dual(m[:L], m[L:L + R], m[L + R:], c_u, c_y, d, A, lo, hi, y_min)
        lowest[0] = min(lowest[0], val)
        return val, gr

    def enough(_=None):
        if prune_at is not None and const + lowest[0] <= prune_at:
            raise StopIteration   # the box is pruned already: no need for a tighter bound

    dual(m0)
    if not late() and not (prune_at is not None and const + lowest[0] <= prune_at):
        minimize(dual, m0, jac=True, method="L-BFGS-B", bounds=[(1e-300, None)] * L + [(0, None)] * (2 * R),
                 callback=enough, options={"maxiter": 500, "ftol": 1e-16, "gtol": 1e-12})
    return v, const + lowest[0]


def _branching(pb: _Problem, lo, hi, v):
    """(route, cut) to split a box at: the route whose envelope overestimates most (weighted) at
    the box's point ``v``, cut there; for a box without a point (its local solve failed), at the
    LP centre of the box, cut in the middle — the widest route if no envelope is loose there."""
    R = len(pb.omega)
    y = v[R:] if v is not None else _box_centre(pb.A, lo - pb.offset, hi - pb.offset,
                                                _y_min(pb, lo - pb.offset))[0]
    if y is not None:
        Z = pb.A.T @ y + pb.offset
        with np.errstate(invalid="ignore"):
            excess = pb.omega * (Envelope(pb.utility, lo, hi, pb.zc).value(Z)[0] - log_utility(pb.utility, Z)[0])
        excess = np.where(np.isfinite(excess), excess, 0.0)
    if y is None or not np.any(excess > 0):
        r = int(np.argmax(hi - lo))
        return r, lo[r] + 0.5 * (hi[r] - lo[r])
    r = int(np.argmax(excess))
    width = hi[r] - lo[r]
    if v is not None and lo[r] + 1e-3 * width < Z[r] < hi[r] - 1e-3 * width:
        return r, Z[r]
    return r, lo[r] + 0.5 * width


def _better_incumbent(pb: _Problem, v, value):
    """(point, true value): ``v`` polished on the true objective when that improves it."""
    w = pb.repaired(pb.polished(v))
    wv = pb.true_value(w[:len(pb.omega)], w[len(pb.omega):])
    return (w, wv) if wv > value else (v, value)


def _quick_point(pb: _Problem, fidelity: float = 0.97):
    """A point without any solve, and a bound without any solve: equal rate shares at one
    link fidelity (``-inf`` utility if that fidelity is too low for a route), and
    ``Σ_r ω_r log min_{l ∈ r} d_l`` (``x_r ≤ d_l`` on each of its links and ``E ≤ 1``)."""
    L, R = pb.A.shape
    y = np.full(L, np.log((4.0 * fidelity - 1.0) / 3.0))
    share = pb.d * (1.0 - np.exp(y)) / np.maximum(pb.A.sum(axis=1), 1.0)
    x = np.min(np.where(pb.A > 0, share[:, None], np.inf), axis=0)
    v = pb.repaired(np.concatenate([np.log(x), y]))
    bound = float(pb.omega @ np.log(np.min(np.where(pb.A > 0, pb.d[:, None], np.inf), axis=0)))
    return v, pb.true_value(v[:R], v[R:]), bound


def _gap_closed(best_f: float, bound: float, rel_gap: float) -> bool:
    """The relative gap is met; never for a non-finite incumbent (inf - inf would pass the test)."""
    return bool(np.isfinite(best_f) and np.isfinite(bound)
                and bound - best_f <= rel_gap * max(abs(best_f), abs(bound)))


def solve_global(sc: RepeaterScenario, rel_gap=1e-4, max_nodes=2000, time_limit_s=120.0) -> Solution:
    """Global optimum of a QNUM scenario with a certified bound (branch and bound on ``Z_r``).

    Status OPTIMAL (termination ``converged``) when the relative gap reaches ``rel_gap``;
    TIME_LIMIT (``time_limit``) with the incumbent and the largest bound of the boxes still
    open when ``time_limit_s`` expires (checked between boxes, and inside the root: if it
    expires before the root box is solved, the point is equal shares at F = 0.97 and the
    bound ``Σ ω_r log min_{l ∈ r} d_l``); FEASIBLE (``node_limit``) after ``max_nodes`` boxes;
    ERROR if the root problem's local solve fails; INFEASIBLE when decoherence alone keeps a route below
    the utility's threshold (without decoherence every route reaches positive utility with a
    small enough rate at a high enough fidelity).

    Values: ``rates`` and ``fidelity`` by route name, ``werner`` by link name, ``nodes``.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> s = solve_global(two_user())
    >>> str(s.status), s.termination, round(s.objective, 4), s.relative_gap < 1e-6
    ('optimal', 'converged', 6.4217, True)
    >>> round(s.values["rates"]["route0"], 2), round(s.values["fidelity"]["route1"], 4)
    (58.1, 0.9112)
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    pb = _Problem.of(sc)
    R = len(sc.routes)

    def result(status, termination, v, value, bound, nodes, message):
        values = {} if v is None else {**sc.labelled(np.exp(v[:R]), np.exp(v[R:])), "nodes": nodes}
        return Solution(status=status, objective=None if v is None else value, bound=bound, values=values,
                        solver="qnum-envelope-bb", seconds=time.perf_counter() - t0, message=message,
                        termination=termination)

    # boxes are over log W_r = Z_r + offset_r: above z0 for positive utility, at most offset_r
    lo0, hi0 = np.full(R, pb.z0), pb.offset.copy()
    dead = pb.dead_routes_message()
    if dead:
        return result(Status.INFEASIBLE, "infeasible", None, None, None, 0, dead)
    if time.perf_counter() > deadline:
        v, value, bound = _quick_point(pb)
        return result(Status.TIME_LIMIT, "time_limit", v if np.isfinite(value) else None, value, bound, 0,
                      f"time limit {time_limit_s:g} s reached before the root box: equal shares at F = 0.97 "
                      "and the bound sum_r w_r log min_l d_l")
    v, ub = _solve_box(pb, lo0, hi0, deadline)
    if v is None:
        # the problem itself is always feasible (tiny rates at high fidelity), so this is a
        # failure of the local solver, reported as such rather than as infeasibility
        return result(Status.ERROR, "solver_error", None, None, None, 1, "the root envelope problem did not converge")
    # the incumbent: the root's point polished on the true objective (a local optimum, often
    # the global one — the branching below proves how close)
    v = pb.repaired(v)
    best_v, best_f = v, pb.true_value(v[:R], v[R:])
    if time.perf_counter() <= deadline:
        best_v, best_f = _better_incumbent(pb, v, best_f)
    # heap entries: (-bound, tie-break, lo, hi, point, start); a box whose local solve failed has
    # point None, its parent's bound and the parent's point as a start for its children
    heap = [(-ub, 0, lo0, hi0, v, v)]
    counter, nodes = 1, 1
    bound = best_f   # if every box gets pruned, nothing beats the incumbent
    termination = "converged"
    log.info("QNUM branch and bound: %d routes, %d links, utility %s; root incumbent %.6g, bound %.6g",
             R, len(sc.link_names), sc.utility, best_f, ub)
    next_report = time.perf_counter() + PROGRESS_EVERY
    while heap:
        neg_ub, _, lo, hi, v, start = heapq.heappop(heap)
        bound = -neg_ub   # best-first: the popped box has the largest bound still open
        now = time.perf_counter()
        if now >= next_report:
            next_report = now + PROGRESS_EVERY
            log.info("%.1f s: %d boxes, %d open, incumbent %.8g, bound %.8g, relative gap %.2e", now - t0,
                     nodes, len(heap) + 1, best_f, bound,
                     (bound - best_f) / max(abs(best_f), abs(bound), 1e-300))
        if _gap_closed(best_f, bound, rel_gap):
            break
        if nodes >= max_nodes:
            termination = "node_limit"
            break
        if time.perf_counter() > deadline:
            termination = "time_limit"
            break
        r, cut = _branching(pb, lo, hi, v)
        for a, b in ((lo[r], cut), (cut, hi[r])):
            clo, chi = lo.copy(), hi.copy()
            clo[r], chi[r] = a, b
            cv, cub = _solve_box(pb, clo, chi, deadline, start=start if v is None else v,
                                 prune_at=best_f + rel_gap * abs(best_f))
            nodes += 1
            log.debug("box %d: route %d in [%.6g, %.6g], bound %.8g%s", nodes, r, a, b, cub,
                      "" if cv is not None else " (no local point)")
            if cv is not None:
                fv_point = pb.repaired(cv)
                fv = pb.true_value(fv_point[:R], fv_point[R:])
                if fv > best_f:
                    best_v, best_f = _better_incumbent(pb, fv_point, fv)
            if cub > best_f:
                # a child's bound never exceeds its parent's (the parent's box contains it); an
                # unsolved child (cub = +inf) keeps its parent's bound and is split in turn
                heapq.heappush(heap, (-min(cub, bound), counter, clo, chi, cv, start if v is None else v))
                counter += 1
    else:
        bound = best_f
    bound = max(bound, best_f)
    gap_ok = _gap_closed(best_f, bound, rel_gap)
    if gap_ok:
        status, termination = Status.OPTIMAL, "converged"
    else:
        status = Status.TIME_LIMIT if termination == "time_limit" else Status.FEASIBLE
    log.info("QNUM branch and bound: %s after %d boxes in %.2f s, objective %.8g, bound %.8g", termination, nodes,
             time.perf_counter() - t0, best_f, bound)
    return result(status, termination, best_v, best_f, bound, nodes,
                  f"{nodes} boxes; envelope bound over route log-Werner sums"
                  + ("" if gap_ok else f"; stopped ({termination}) above the requested relative gap {rel_gap:g}"))
