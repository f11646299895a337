"""Local stability of QPrimalDual: one iteration as a map, its Jacobian and spectral radius.

QPrimalDual (:func:`qnum.solvers.repeater.primaldual.qprimaldual`) is a discrete-time map on
``u = log x`` (route rates), ``y = log w`` (link Werner parameters) and the link prices
``λ``. One iteration, with ``latency`` τ (what the controllers see is τ iterations old):

    u'  = u + a (ω − x ∘ Aᵀ(λ_{t−τ} / d))
    y'  = min(y + a (A(ω ∘ G'(Z_{t−τ})) − λ ∘ e^y), −1e-6),      Z = Aᵀ y + o
    λ'  = max(0, λ + b (A e^{u'} / d + e^{y'} − 1))

(the same equations and order as ``qprimaldual``: the price update uses the new ``u'`` and
``y'``). With τ > 0 the state is augmented with the τ previous ``(y, λ)`` — a
``(R + 2L)(1)  + 2Lτ``-dimensional map — and before the first iteration that history holds the
initial point (as ``qprimaldual``'s message buffers do).

An equilibrium of the map does not depend on the steps or the latency (it is a KKT point of
the QNUM problem with every capacity tight and ``λ = A(ω G'(Z)) / w``); :func:`equilibrium`
finds it from a point (e.g. the certified optimum) by Newton's method on the map. Its
:func:`jacobian` (analytic: ``G''`` in closed form for the three utilities) at that point has
spectral radius ``ρ``: ``ρ < 1`` means the discrete dynamics are locally asymptotically
stable there (perturbations shrink like ``ρ^t``), ``ρ > 1`` that they are not.

The paper (Panigrahy et al., "A Framework for Distributed Resource Allocation in Quantum
Networks") proves local stability for non-concave utilities under sufficient conditions that
the text available to qnum does not state. :func:`local_stability` therefore reports, besides
``ρ``, two conditions of qnum's own choosing (labelled as such): whether every route's
``G`` is concave at the equilibrium (``G''(Z_r) < 0``), and whether the Lagrangian's Hessian
in the log-Werner variables, ``A diag(ω G''(Z)) Aᵀ − diag(λ ∘ w)``, is negative definite
there — the usual sufficient condition for local stability of continuous-time primal-dual
gradient dynamics at a strict local maximum.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from qnum.errors import OptionError
from qnum.solvers.repeater.primaldual import INITIAL, Y_CAP, marginal  # noqa: F401 - the map's own constants

log = logging.getLogger(__name__)

LN2 = float(np.log(2.0))


def second_derivative(utility: str, z) -> np.ndarray:
    """``G''(z)`` with ``G(z) = log E(e^z)``, in closed form; 0 where ``E <= 0``.

    ``G'' = G' + w² E''(w) / E − G'²`` with ``w = e^z``; ``E'' = 0`` for the negativity,
    ``1 / (2 ln 2 · p (1 − p))`` with ``p = (1 − w)/2`` for the secret key fraction and
    ``0.75 (0.75 / f + 0.25 / q) / ln 2`` with ``f = (3w + 1)/4``, ``q = (1 − f)/3`` for the
    distillable entanglement. Where ``E <= 0`` QPrimalDual uses the constant marginal 5.0, whose
    derivative is 0.

    Examples
    --------
    >>> z = np.array([-0.3, -0.1, -0.01])
    >>> h = 1e-5
    >>> fd = (marginal("secret-key", z + h) - marginal("secret-key", z - h)) / (2 * h)
    >>> bool(np.allclose(second_derivative("secret-key", z), fd, rtol=1e-6))
    True
    >>> float(second_derivative("negativity", np.log(1 / 3) - 0.1))     # below E = 0
    0.0
    """
    z = np.asarray(z, float)
    w = np.exp(z)
    if utility == "negativity":
        e = 0.75 * w - 0.25
        e2 = np.zeros_like(w)
    elif utility == "distillable":
        f = 0.75 * w + 0.25
        q = (1.0 - f) / 3.0
        with np.errstate(divide="ignore", invalid="ignore"):
            e = 1.0 + (f * np.log2(f) + 3.0 * q * np.log2(q))
            e2 = 0.75 * (0.75 / f + 0.25 / q) / LN2
    elif utility == "secret-key":
        p = 0.5 - 0.5 * w
        with np.errstate(divide="ignore", invalid="ignore"):
            e = 1.0 + 2.0 * (p * np.log2(p) + (1.0 - p) * np.log2(1.0 - p))
            e2 = 1.0 / (2.0 * LN2 * p * (1.0 - p))
    else:
        raise OptionError("utility", utility, "must be one of distillable, secret-key, negativity")
    g1 = marginal(utility, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = g1 + w * w * e2 / e - g1 * g1
    return np.where(e > 0, out, 0.0)


@dataclass(frozen=True)
class Dynamics:
    """The static data of one QPrimalDual map: network, utility, steps and latency.

    Attributes
    ----------
    d : numpy.ndarray, shape (L,)
        Capacity scales ``d_l`` (pairs/s).
    A : numpy.ndarray, shape (L, R)
        Link-route incidence.
    omega : numpy.ndarray, shape (R,)
        Route weights.
    utility : str
    log_decay : numpy.ndarray, shape (R,)
        ``o_r`` (0 without decoherence).
    a, b : float or numpy.ndarray
        Primal and dual steps (QPrimalDual's defaults 0.001 and 0.5); a 1-D array gives one step
        per state of a batch (for :func:`step` and :func:`iterate` on ``(B, size)`` states only).
    latency : int
        Iterations of feedback delay τ.
    kept : tuple of int, optional
        The scenario's link indices these links are (None: all of them, in order).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> dyn = Dynamics.of(two_user(), latency=2)
    >>> dyn.size, dyn.base_size           # 2 routes + 2 x 3 links, plus 2 delayed copies of (y, λ)
    (20, 8)
    """

    d: np.ndarray
    A: np.ndarray
    omega: np.ndarray
    utility: str
    log_decay: np.ndarray
    a: float = 0.001
    b: float = 0.5
    latency: int = 0
    kept: tuple | None = None

    def __post_init__(self):
        for name in ("a", "b"):
            v = getattr(self, name)
            if isinstance(v, np.ndarray):       # one step per state of a batch (step and iterate only)
                if v.ndim != 1 or v.dtype.kind != "f" or not np.all(np.isfinite(v) & (v > 0)):
                    raise OptionError(name, v, "a batch of steps must be a 1-D array of finite numbers > 0")
            elif not (isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v) and v > 0):
                raise OptionError(name, v, "a step must be a finite number > 0")
        if isinstance(self.latency, bool) or not isinstance(self.latency, (int, np.integer)) or self.latency < 0:
            raise OptionError("latency", self.latency, "must be an integer >= 0 (iterations)")

    @classmethod
    def of(cls, scenario, a: float = 0.001, b: float = 0.5, latency: int = 0, decoherence_aware: bool = False,
           drop_unused: bool = True):
        """The map of a :class:`~qnum.networks.repeater.RepeaterScenario`.

        ``decoherence_aware`` uses the scenario's ``route_log_decay`` (as ``qprimaldual``'s
        ``log_decay``); otherwise ``o = 0``, which is what ``qprimaldual`` does by default.
        ``drop_unused`` leaves out links no route crosses: in QPrimalDual their ``y`` never
        moves and their price decays to 0, they influence nothing, and they would add
        eigenvalues of exactly 1 (neutral, not unstable) to every Jacobian.
        """
        R = len(scenario.routes)
        off = np.asarray(scenario.route_log_decay, float) if decoherence_aware else np.zeros(R)
        A = np.asarray(scenario.incidence, float)
        d = np.asarray(scenario.capacity_scale, float)
        kept = None
        if drop_unused:
            used = A.sum(axis=1) > 0
            A, d = A[used], d[used]
            kept = tuple(int(i) for i in np.flatnonzero(used))
        return cls(d, A, np.asarray(scenario.weights, float), scenario.utility, off, a, b, latency, kept)

    def with_steps(self, a: float | None = None, b: float | None = None, latency: int | None = None) -> Dynamics:
        """The same network with other steps or latency."""
        return Dynamics(self.d, self.A, self.omega, self.utility, self.log_decay,
                        self.a if a is None else a, self.b if b is None else b,
                        self.latency if latency is None else latency, self.kept)

    def link_values(self, values) -> np.ndarray:
        """Per-link ``values`` restricted to this map's links (given for them, or for all the scenario's)."""
        v = np.asarray(values, float)
        if v.ndim and v.shape[-1] != self.links and self.kept is not None:
            v = v[..., list(self.kept)]
        return v

    @property
    def routes(self) -> int:
        return self.A.shape[1]

    @property
    def links(self) -> int:
        return self.A.shape[0]

    @property
    def base_size(self) -> int:
        """``R + 2L``: the (u, y, λ) part of the state."""
        return self.routes + 2 * self.links

    @property
    def size(self) -> int:
        """Dimension of the (augmented) state: ``R + 2L + 2Lτ``."""
        return self.base_size + 2 * self.links * self.latency

    def split(self, state):
        """``(u, y, λ)`` views of a state (or a batch of states, last axis the state)."""
        R, L = self.routes, self.links
        return state[..., :R], state[..., R:R + L], state[..., R + L:R + 2 * L]

    def delayed(self, state):
        """The ``(y, λ)`` the controllers see: τ iterations old (the current ones when τ = 0)."""
        if self.latency == 0:
            return self.split(state)[1:]
        off = self.base_size + 2 * self.links * (self.latency - 1)
        L = self.links
        return state[..., off:off + L], state[..., off + L:off + 2 * L]


def initial_state(dyn: Dynamics, rates=None, werner=None, prices=None) -> np.ndarray:
    """The augmented state at ``(rates, werner, prices)`` (default: QPrimalDual's start), history filled.

    Each argument is one value for all, one per route/link, or a batch ``(B, R)`` / ``(B, L)``
    (then the result is ``(B, size)``).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> s = initial_state(Dynamics.of(two_user(), latency=1))
    >>> s.shape, s[:2].tolist(), float(s[-1])
    ((14,), [0.0, 0.0], 100.0)
    """
    R, L = dyn.routes, dyn.links
    u = np.log(np.asarray(1.0 if rates is None else rates, float))
    y = np.log(dyn.link_values(np.exp(INITIAL[1]) if werner is None else werner))
    lam = dyn.link_values(INITIAL[2] if prices is None else prices)
    shape = np.broadcast_shapes(u.shape[:-1] if u.ndim > 1 else (), y.shape[:-1] if y.ndim > 1 else (),
                                lam.shape[:-1] if lam.ndim > 1 else ())
    u = np.broadcast_to(u, shape + (R,))
    y = np.broadcast_to(y, shape + (L,))
    lam = np.broadcast_to(lam, shape + (L,))
    return np.concatenate([u, y, lam] + [y, lam] * dyn.latency, axis=-1)


def step(dyn: Dynamics, state: np.ndarray) -> np.ndarray:
    """One QPrimalDual iteration (module docstring) of a state or of a batch of states ``(B, size)``.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> from qnum.solvers.repeater.primaldual import qprimaldual
    >>> sc = two_user()
    >>> dyn = Dynamics.of(sc)
    >>> s = initial_state(dyn)
    >>> for _ in range(500):
    ...     s = step(dyn, s)
    >>> run = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=500)
    >>> bool(np.allclose(np.exp(s[:2]), run.rates, rtol=1e-12))
    True
    """
    u, y, lam = dyn.split(state)
    yd, lamd = dyn.delayed(state)
    A, d, om = dyn.A, dyn.d, dyn.omega
    a = dyn.a[:, None] if isinstance(dyn.a, np.ndarray) else dyn.a
    b = dyn.b[:, None] if isinstance(dyn.b, np.ndarray) else dyn.b
    gz = marginal(dyn.utility, yd @ A + dyn.log_decay)
    price = (lamd / d) @ A
    u2 = u + a * (om - price * np.exp(u))
    y2 = np.minimum(y + a * ((om * gz) @ A.T - lam * np.exp(y)), Y_CAP)
    lam2 = np.maximum(0.0, lam + b * (np.exp(u2) @ A.T / d + np.exp(y2) - 1.0))
    parts = [u2, y2, lam2]
    if dyn.latency:
        L = dyn.links
        parts += [y, lam, state[..., dyn.base_size:dyn.size - 2 * L]]
    return np.concatenate(parts, axis=-1)


def iterate(dyn: Dynamics, state: np.ndarray, iters: int, record_every: int | None = None):
    """Apply :func:`step` ``iters`` times; returns ``(final_state, times, recorded_states)``.

    ``recorded_states`` has the state at iteration 0, every ``record_every``-th and the last
    (``record_every=None``: the first and the last only). Works on batches.
    """
    times, rows = [0], [np.array(state, float, copy=True)]
    s = rows[0]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, iters + 1):
            s = step(dyn, s)
            if t == iters or (record_every and t % record_every == 0):
                times.append(t)
                rows.append(s)
    return s, np.array(times), np.array(rows)


def jacobian(dyn: Dynamics, state: np.ndarray) -> np.ndarray:
    """The Jacobian ``∂step(s)/∂s`` of one iteration at ``state`` (analytic), shape ``(size, size)``.

    Where a clamp is active (``y`` at its cap −1e-6, or ``λ`` at 0) that component's row is
    zero (the map is flat there; the one-sided derivative at the kink is not represented).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> dyn = Dynamics.of(two_user(), latency=1)
    >>> s = initial_state(dyn) + 0.01
    >>> J = jacobian(dyn, s)
    >>> fd = np.column_stack([(step(dyn, s + h) - step(dyn, s - h)) / 2e-7
    ...                       for h in 1e-7 * np.eye(dyn.size)])
    >>> bool(np.allclose(J, fd, rtol=1e-5, atol=1e-6))
    True
    """
    if isinstance(dyn.a, np.ndarray) or isinstance(dyn.b, np.ndarray):
        raise OptionError("a", dyn.a, "the Jacobian needs one step pair (numbers, not a batch)")
    state = np.asarray(state, float)
    R, L, n = dyn.routes, dyn.links, dyn.size
    A, d, om, a, b = dyn.A, dyn.d, dyn.omega, dyn.a, dyn.b
    iu, iy, il = np.arange(R), R + np.arange(L), R + L + np.arange(L)
    if dyn.latency:
        base = dyn.base_size + 2 * L * (dyn.latency - 1)
        iyd, ild = base + np.arange(L), base + L + np.arange(L)
    else:
        iyd, ild = iy, il
    u, y, lam = dyn.split(state)
    yd, lamd = dyn.delayed(state)
    Zd = yd @ A + dyn.log_decay
    gz, g2 = marginal(dyn.utility, Zd), second_derivative(dyn.utility, Zd)
    price = (lamd / d) @ A
    eu, ey = np.exp(u), np.exp(y)
    u2 = u + a * (om - price * eu)
    y_raw = y + a * ((om * gz) @ A.T - lam * ey)
    y2 = np.minimum(y_raw, Y_CAP)
    lam_raw = lam + b * (np.exp(u2) @ A.T / d + np.exp(y2) - 1.0)
    J = np.zeros((n, n))
    Ju = np.zeros((R, n))
    Ju[:, iu] = np.diag(1.0 - a * price * eu)
    Ju[:, ild] += -a * (eu[:, None] * A.T) / d[None, :]
    Jy = np.zeros((L, n))
    Jy[:, iy] += np.diag(1.0 - a * lam * ey)
    Jy[:, iyd] += a * (A * (om * g2)[None, :]) @ A.T
    Jy[:, il] += np.diag(-a * ey)
    Jy[y_raw >= Y_CAP] = 0.0
    Jl = np.zeros((L, n))
    Jl[:, il] = np.eye(L)
    Jl += b * (((A * np.exp(u2)[None, :]) / d[:, None]) @ Ju + np.exp(y2)[:, None] * Jy)
    Jl[lam_raw <= 0.0] = 0.0
    J[iu], J[iy], J[il] = Ju, Jy, Jl
    if dyn.latency:
        h = dyn.base_size
        J[h + np.arange(L), iy] = 1.0
        J[h + L + np.arange(L), il] = 1.0
        rest = np.arange(h + 2 * L, n)
        J[rest, rest - 2 * L] = 1.0
    return J


def spectral_radius(J: np.ndarray) -> float:
    """Largest eigenvalue modulus of ``J`` (``< 1``: the fixed point is locally asymptotically stable).

    Examples
    --------
    >>> spectral_radius(np.array([[0.5, 1.0], [0.0, -0.9]]))
    0.9
    """
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(J, float)))))


def equilibrium(dyn: Dynamics, rates, werner, tol: float = 1e-12, max_newton: int = 50) -> np.ndarray:
    """The fixed point of the map near ``(rates, werner)``, by Newton's method (state without history).

    ``werner`` is per link of the map or of the scenario (see :meth:`Dynamics.link_values`).
    The prices start at the value the ``y`` equation gives at that point,
    ``λ_l = Σ_{r ∋ l} ω_r G'(Z_r) / w_l``. The fixed point does not depend on the steps or the
    latency; it is computed on the τ = 0 map and returned as the base state ``(u, y, λ)``
    (use :func:`augment` for a delayed map). Raises ``RuntimeError`` if Newton does not reach
    ``tol`` (in the max norm of ``step(s) − s``).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> from qnum.solvers.repeater.branch_and_bound import solve_global
    >>> sc = two_user()
    >>> opt = solve_global(sc)
    >>> dyn = Dynamics.of(sc)
    >>> s = equilibrium(dyn, list(opt.values["rates"].values()), list(opt.values["werner"].values()))
    >>> np.round(np.exp(s[:2]), 2).tolist()              # the optimum's rates (58.10 pairs/s)
    [58.1, 58.1]
    """
    d0 = dyn.with_steps(latency=0)
    R, L = d0.routes, d0.links
    u = np.log(np.asarray(rates, float) * np.ones(R))
    y = np.log(d0.link_values(werner) * np.ones(L))
    lam = (d0.omega * marginal(d0.utility, y @ d0.A + d0.log_decay)) @ d0.A.T / np.exp(y)
    s = np.concatenate([u, y, lam])
    for k in range(max_newton):
        res = step(d0, s) - s
        err = float(np.max(np.abs(res)))
        log.debug("equilibrium: Newton %d, residual %.3g", k, err)
        if err <= tol:
            return s
        J = jacobian(d0, s) - np.eye(d0.size)
        s = s - np.linalg.solve(J, res)
        s[R:R + L] = np.minimum(s[R:R + L], Y_CAP)
        s[R + L:] = np.maximum(s[R + L:], 0.0)
    res = float(np.max(np.abs(step(d0, s) - s)))
    if res <= tol:
        return s
    raise RuntimeError(f"Newton did not reach the fixed point: residual {res:.3g} after {max_newton} steps")


def augment(dyn: Dynamics, base_state: np.ndarray) -> np.ndarray:
    """A base state ``(u, y, λ)`` with its history filled with itself (a fixed point stays one)."""
    u, y, lam = dyn.split(np.asarray(base_state, float))
    return np.concatenate([u, y, lam] + [y, lam] * dyn.latency, axis=-1)


@dataclass(frozen=True)
class StabilityReport:
    """What :func:`local_stability` returns for one map at one equilibrium.

    Attributes
    ----------
    spectral_radius : float
        ``ρ`` of the iteration map's Jacobian (< 1: locally asymptotically stable).
    locally_stable : bool
        ``spectral_radius < 1``.
    rates, werner, prices : numpy.ndarray
        The equilibrium.
    fidelity : numpy.ndarray
        Route fidelities ``(3 W_r + 1)/4`` there.
    concave_at_equilibrium : bool
        qnum's condition (a): ``G''(Z_r) < 0`` for every route.
    lagrangian_hessian_max : float
        qnum's condition (b): largest eigenvalue of ``A diag(ω G''(Z)) Aᵀ − diag(λ ∘ w)``
        (negative: the Lagrangian is locally strictly concave in the log-Werner variables).
    residual : float
        ``max |step(s) − s|`` at the equilibrium.
    """

    spectral_radius: float
    locally_stable: bool
    rates: np.ndarray
    werner: np.ndarray
    prices: np.ndarray
    fidelity: np.ndarray
    concave_at_equilibrium: bool
    lagrangian_hessian_max: float
    residual: float


def local_stability(dyn: Dynamics, base_state: np.ndarray) -> StabilityReport:
    """Linearize ``dyn`` at the fixed point ``base_state`` (from :func:`equilibrium`); see :class:`StabilityReport`.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> sc = two_user()
    >>> dyn = Dynamics.of(sc)
    >>> s = equilibrium(dyn, [58.0, 58.0], [0.88, 0.88, 0.88])
    >>> rep = local_stability(dyn, s)
    >>> rep.locally_stable, rep.concave_at_equilibrium, rep.residual < 1e-10
    (True, True, True)
    >>> local_stability(dyn.with_steps(a=0.001 * 200, b=0.5 * 200), s).locally_stable   # steps too large
    False
    """
    u, y, lam = dyn.split(np.asarray(base_state, float))
    full = augment(dyn, base_state)
    rho = spectral_radius(jacobian(dyn, full))
    Z = y @ dyn.A + dyn.log_decay
    g2 = second_derivative(dyn.utility, Z)
    H = (dyn.A * (dyn.omega * g2)[None, :]) @ dyn.A.T - np.diag(lam * np.exp(y))
    W = np.exp(Z)
    residual = float(np.max(np.abs(step(dyn, full) - full)))
    log.debug("local stability: rho %.6f, residual %.3g", rho, residual)
    return StabilityReport(rho, rho < 1.0, np.exp(u), np.exp(y), lam.copy(), (3.0 * W + 1.0) / 4.0,
                           bool(np.all(g2 < 0)), float(np.max(np.linalg.eigvalsh(H))), residual)
