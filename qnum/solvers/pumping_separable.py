"""Specialized solver for α-fair pumping with independent SKRs over "at most K" topologies.

Problem (compact form; see :mod:`qnum.models.pumping` for why it is exact)::

    max Σ_e w_e U_α(r_e),  r_e = Σ_c a_ce y_ce,  a_ce = π_c s_ce,
    0 <= y_ce <= 1,  Σ_e y_ce <= K  for each channel state c.

For fixed prices on the S coupling constraints the problem splits per pair, and the
Newton system of a log-barrier method inherits that structure: per pair the Hessian is a
diagonal plus a rank-one term, and the S coupling constraints add S rank-one terms across
pairs. Sherman–Morrison per pair and Woodbury for the coupling give the Newton step in
``O(M S^2)`` flops (M pairs, S states) instead of a sparse factorization of an
``M S``-variable conic program. Every outer iteration certifies its point with the exact
Lagrangian dual bound of :mod:`qnum.solvers.pumping_dual` at the barrier's price
estimate ``λ_c = 1 / (t · slack_c)``; the solve stops when that certified gap is below
the tolerance.

α = 0 is a linear program whose optimum is the top-K pairs of each state, solved
exactly with its dual certificate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.solvers.pumping_dual import dual_bound
from qnum.utility import marginal_utility, utility


@dataclass
class SeparableResult:
    """Outcome of :func:`solve_separable` (arrays in the caller's pair order)."""

    y: np.ndarray
    objective: float
    bound: float
    prices: np.ndarray
    iterations: int
    converged: bool
    message: str


def solve_throughput(a, weights, capacity: int) -> SeparableResult:
    """α = 0: in every state pump the K pairs with the largest ``w_e a_ce`` (exact).

    The dual prices ``λ_c`` = the (K+1)-th largest value certify optimality: the dual
    bound equals the objective.

    Examples
    --------
    >>> a = np.array([[3.0], [1.0], [2.0]])
    >>> res = solve_throughput(a, np.ones(3), 2)
    >>> res.y[:, 0].tolist(), res.objective, res.bound
    ([1.0, 0.0, 1.0], 5.0, 5.0)
    """
    value = weights[:, None] * a
    M, S = value.shape
    y = np.zeros_like(value)
    prices = np.zeros(S)
    if capacity < M:
        top = np.argpartition(-value, capacity - 1, axis=0)[:capacity]
        np.put_along_axis(y, top, 1.0, axis=0)
        prices = np.partition(value, M - capacity - 1, axis=0)[M - capacity - 1]
    else:
        y[:] = 1.0
    y[value <= 0] = 0.0
    objective = float((value * y).sum())
    bound = float(capacity * prices.sum() + np.maximum(value - prices[None, :], 0.0).sum())
    return SeparableResult(y, objective, bound, prices, 1, True, "top-K per state")


def solve_separable(a, weights, capacity: int, alpha: float, *, tol: float = 1e-6,
                    max_iter: int = 200, time_limit: float | None = None) -> SeparableResult:
    """Certified optimum of the separable α-fair pumping problem (α > 0 finite).

    A primal-dual interior-point method (Mehrotra predictor-corrector) whose Newton
    system is solved in ``O(M S^2)`` through the per-pair and coupling structure
    (module docstring). Each pair's rates are rescaled to a maximum of 1 first, which
    leaves the optimal time shares unchanged and keeps the iterates well conditioned.

    Parameters
    ----------
    a : numpy.ndarray, shape (M, S)
        ``π_c s_ce``: rate per unit time share of each pair in each state (>= 0).
    weights : numpy.ndarray, shape (M,)
        Positive utility weights; every pair needs some ``a_ce > 0``.
    capacity : int
        K.
    alpha : float
        α in (0, inf).
    tol : float
        Target relative gap ``(bound - objective) / max(|objective|, |bound|)``.
    max_iter : int
        Cap on interior-point iterations.
    time_limit : float, optional
        Seconds; the best certified point so far is returned when it runs out.

    Returns
    -------
    SeparableResult
        Time shares ``y`` (M, S), objective, certified bound, prices λ (S,), all in the
        caller's units.

    Examples
    --------
    >>> a = np.array([[1.0], [1.0], [4.0]])
    >>> res = solve_separable(a, np.ones(3), 1, 1.0)
    >>> np.round(res.y[:, 0], 4).tolist()   # PF: equal time shares 1/3
    [0.3333, 0.3333, 0.3333]
    >>> bool(res.bound - res.objective <= 1e-6 * max(1, abs(res.objective)))
    True
    """
    start = time.perf_counter()
    a_in = np.asarray(a, dtype=float)
    w_in = np.asarray(weights, dtype=float)
    M, S = a_in.shape
    # Per-pair rescaling r = scale * r': w U(scale r') = w scale^(1-α) U(r') (+ w log scale at α = 1).
    scale = a_in.max(axis=1)
    if np.any(scale <= 0):
        raise ValueError("every pair needs a positive rate in some state")
    a = a_in / scale[:, None]
    w = w_in if alpha == 1.0 else w_in * np.power(scale, 1.0 - alpha)
    # A global factor brings the weights to order 1 (α = 2 utilities of bit/s rates are
    # ~1e-8); prices of the scaled problem are this factor times the true prices.
    weight_unit = float(np.mean(w))
    w = w / weight_unit

    active = a > 0
    per_state = active.sum(axis=0)
    coupled = per_state > capacity                 # states whose K-constraint can bind
    free = active & coupled[None, :]               # variables the interior-point method moves
    fixed = active & ~coupled[None, :]             # states with <= K useful pairs: pump them all
    fixed_rate = (a * fixed).sum(axis=1)
    free_f = free.astype(float)
    a_free = a * free_f
    bidx = np.flatnonzero(coupled)
    nb = bidx.size

    def rates(yv):
        return fixed_rate + (a_free * yv).sum(axis=1)

    def full_y(yv):
        out = yv * free_f
        out[fixed] = 1.0
        return out

    def feasible(yv):
        """Clip to the box and scale any state that exceeds K back onto its constraint."""
        yv = np.clip(yv, 0.0, 1.0) * free_f
        load = yv[:, bidx].sum(axis=0)
        over = load > capacity
        if over.any():
            yv[:, bidx[over]] *= capacity / load[over]
        return full_y(yv)

    def certify(yv, lam_b):
        """Best feasible point (the iterate, or the repaired dual best response) and the
        exact dual bound, in the caller's units. The coupling prices are per unit time
        share, so the per-pair rescaling leaves them unchanged."""
        prices = np.zeros(S)
        prices[bidx] = np.maximum(lam_b, 0.0) * weight_unit
        bnd, response = dual_bound(a_in, w_in, prices, capacity, alpha, with_response=True)
        best_f, best_y = -math.inf, None
        for candidate in (feasible(yv), feasible(response)):
            r = (a_in * candidate).sum(axis=1)
            f = float(np.sum(w_in * utility(r, alpha))) if np.all(r > 0) or alpha < 1 else -math.inf
            if f > best_f:
                best_f, best_y = f, candidate
        return best_f, bnd, best_y, prices

    if nb == 0:  # nothing to decide: every useful pair is pumped in every state
        f, bnd, y_full, prices = certify(np.zeros_like(a), np.zeros(0))
        return SeparableResult(y_full, f, bnd, prices, 0, True, "no capacity constraint can bind")

    # -- starting point: strictly interior, duals balanced -------------------------------
    # Entries that are not free carry pseudo values y = 1/2, zl = zu = 0 and a zero rate
    # coefficient: every update below leaves them unchanged, so no array needs a mask.
    nonfree = ~free
    half_nonfree = 0.5 * nonfree.sum(axis=0)[bidx]
    y = np.where(free, np.minimum(0.5, capacity / (2.0 * np.maximum(per_state, 1)))[None, :], 0.5)

    def load(yv):
        return yv.sum(axis=0)[bidx] - half_nonfree

    sig = capacity - load(y)
    grad_u = (w * marginal_utility(rates(y), alpha))[:, None] * a_free       # ∇F (to maximize)
    # Balanced complementarity y*zl = (1-y)*zu = sig*lam = mu0 at the start.
    mu0 = float(np.mean(grad_u[free])) * float(np.mean(y[free]))
    zl = free_f * (mu0 / y)
    zu = free_f * (mu0 / (1.0 - y))
    lam = mu0 / sig
    lam_full = np.zeros(S)
    m = 2 * int(free.sum()) + nb
    best = None
    message = "iteration cap reached"
    converged = False

    def solve_newton(r, y_inv, y1_inv, rd, rlo, rup, rsig, rp):
        """Newton direction of the perturbed KKT system.

        With B = ∇²(-F) + Z_lo/Y + Z_up/(1-Y) (per pair: diagonal + rank one) the
        system is the saddle point [B E; Eᵀ -σ/λ][Δy; Δλ] = [g; h], E the state-column
        indicator. Eliminating Δy gives the S x S system (Eᵀ B⁻¹ E + σ/λ) Δλ = Eᵀ B⁻¹ g − h,
        which stays well conditioned as the slacks σ go to zero (a Woodbury update of B
        by the coupling does not: it subtracts two huge, nearly equal terms).
        """
        curv = w * alpha * np.power(r, -alpha - 1.0)
        dinv = free_f / (zl * y_inv + zu * y1_inv + nonfree)
        g = -rd - rlo * y_inv + rup * y1_inv
        h = -rp + rsig / lam
        u = np.sqrt(curv)[:, None] * a_free
        z = dinv * u
        q = 1.0 + np.einsum("ij,ij->i", u, z)

        def apply_b_inverse(v):
            return dinv * v - z * (np.einsum("ij,ij->i", z, v) / q)[:, None]

        zb = z[:, bidx]
        schur = -(zb / q[:, None]).T @ zb
        schur[np.diag_indices_from(schur)] += dinv.sum(axis=0)[bidx] + sig / lam
        Bg = apply_b_inverse(g)
        dlam = np.linalg.solve(schur, Bg.sum(axis=0)[bidx] - h)
        lam_cols = np.zeros(S)
        lam_cols[bidx] = dlam
        dy = Bg - apply_b_inverse(free_f * lam_cols[None, :])
        dsig = (-rsig - sig * dlam) / lam
        dzl = (-rlo - zl * dy) * y_inv
        dzu = (-rup + zu * dy) * y1_inv
        return dy, dzl, dzu, dsig, dlam

    def max_step(v, dv) -> float:
        """Largest step keeping v + step * dv >= 0 (entries with dv >= 0 never bind)."""
        ratio = np.divide(v, -dv, out=np.full_like(v, np.inf), where=dv < 0)
        return min(1.0, float(ratio.min()))

    iterations = 0
    for iterations in range(1, max_iter + 1):
        r = rates(y)
        y_inv, y1 = 1.0 / y, 1.0 - y
        y1_inv = 1.0 / y1
        lam_full[bidx] = lam
        rd = (-(w * marginal_utility(r, alpha))[:, None] * a_free - zl + zu + lam_full[None, :]) * free_f
        rp = load(y) + sig - capacity
        comp = float(np.einsum("ij,ij->", y, zl) + np.einsum("ij,ij->", y1, zu) + sig @ lam)
        mu = comp / m
        # -- certificate ------------------------------------------------------------
        f_now = float(np.sum(w * utility(r, alpha)))
        if comp <= 10.0 * tol * abs(f_now) or iterations % 10 == 0:
            f, bnd, y_full, prices = certify(np.where(free, y, 0.0), lam)
            if best is None or bnd - f < best[1] - best[0]:
                best = (f, bnd, y_full, prices)
            if bnd - f <= tol * max(abs(f), abs(bnd)):
                converged = True
                message = "certified gap below tolerance"
                break
        if time_limit and time.perf_counter() - start > time_limit:
            message = "time limit"
            break
        # -- predictor (affine scaling) --------------------------------------------
        rlo, rup, rsig = y * zl, y1 * zu, sig * lam
        dy, dzl, dzu, dsig, dlam = solve_newton(r, y_inv, y1_inv, rd, rlo, rup, rsig, rp)
        ap = min(max_step(y, dy), max_step(y1, -dy), max_step(sig, dsig))
        ad = min(max_step(zl, dzl), max_step(zu, dzu), max_step(lam, dlam))
        comp_aff = float(np.einsum("ij,ij->", y + ap * dy, zl + ad * dzl)
                         + np.einsum("ij,ij->", y1 - ap * dy, zu + ad * dzu)
                         + (sig + ap * dsig) @ (lam + ad * dlam))
        tau = (comp_aff / comp) ** 3 * mu
        # -- corrector --------------------------------------------------------------
        rlo = (y * zl - tau + dy * dzl) * free_f
        rup = (y1 * zu - tau - dy * dzu) * free_f
        rsig = sig * lam - tau + dsig * dlam
        dy, dzl, dzu, dsig, dlam = solve_newton(r, y_inv, y1_inv, rd, rlo, rup, rsig, rp)
        ap = 0.99 * min(max_step(y, dy), max_step(y1, -dy), max_step(sig, dsig))
        ad = 0.99 * min(max_step(zl, dzl), max_step(zu, dzu), max_step(lam, dlam))
        # Separate primal and dual step lengths (as IPOPT does for bound multipliers):
        # the dual residual is recomputed from the new y at the next iteration.
        y += ap * dy
        sig = sig + ap * dsig
        zl += ad * dzl
        zu += ad * dzu
        lam = lam + ad * dlam
    if best is None or not converged:
        f, bnd, y_full, prices = certify(y, lam)
        if best is None or bnd - f < best[1] - best[0]:
            best = (f, bnd, y_full, prices)
    f, bnd, y_full, prices = best
    return SeparableResult(y_full, f, bnd, prices, iterations, converged, message)
