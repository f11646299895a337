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
Lagrangian dual bound of :mod:`qnum.solvers.pumping.dual` at the barrier's price
estimate ``λ_c = 1 / (t · slack_c)``; the solve stops when that certified gap is below
the tolerance.

α = 0 is a linear program whose optimum is the top-K pairs of each state, solved
exactly with its dual certificate.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.errors import OptionError
from qnum.solvers.pumping.dual import dual_bound
from qnum.utility import marginal_utility, utility

log = logging.getLogger(__name__)

#: seconds between two INFO progress lines of the interior-point method
PROGRESS_EVERY = 1.0

ENGINES = ("auto", "numpy", "compiled")

#: pair-state entries (M·S) from which ``engine="auto"`` compiles the passes
COMPILED_FROM = 500_000


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
                    max_iter: int = 200, time_limit: float | None = None,
                    candidates: int | None = None, engine: str = "auto") -> SeparableResult:
    """Certified optimum of the separable α-fair pumping problem (α > 0 finite).

    A primal-dual interior-point method (Mehrotra predictor-corrector) whose Newton
    system is solved in ``O(M k^2)`` through the per-pair and coupling structure (module
    docstring), k the number of candidate states per pair.

    *Candidate states.* At the optimum a pair is served only in the states where its
    time is cheapest, ``ρ_c = λ_c / a_ce``: the best response fills states in increasing
    ρ. For large instances the method therefore starts with each pair's ``k`` cheapest
    states under a price estimate, solves that smaller problem, and certifies the
    result with the exact dual bound of the *full* problem; if the certificate fails it
    re-selects candidates under the new prices, first as many, then twice as many states
    each round, up to all of them (qnum's choice). Each round starts its prices from the
    previous round's (the first from the price estimate of equal time shares). Any point
    it returns is feasible for the full problem and any bound it returns is the full
    problem's, so the shortcut never affects correctness.

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
        Cap on interior-point iterations per round.
    time_limit : float, optional
        Seconds; the best certified point so far is returned when it runs out.
    candidates : int, optional
        Initial candidate states per pair (default: all states for small instances,
        4 when M·S exceeds 5·10^4).
    engine : {"auto", "numpy", "compiled"}
        Who does the per-entry arithmetic: numpy, or the fused numba passes of
        :mod:`qnum.solvers.pumping.kernels` (same iterates up to round-off, a few passes
        over memory per iteration instead of dozens). ``auto``: compiled when M·S is at
        least :data:`COMPILED_FROM`, where numba's start-up is small beside the solve.

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
    >>> bool(res.bound - res.objective <= 1e-6 * abs(res.objective))
    True
    """
    start = time.perf_counter()
    a_in = np.ascontiguousarray(a, dtype=float)
    w_in = np.ascontiguousarray(weights, dtype=float)
    M, S = a_in.shape
    if engine not in ENGINES:
        raise OptionError("engine", engine, f"must be one of {', '.join(ENGINES)}")
    compiled = engine == "compiled" or (engine == "auto" and M * S >= COMPILED_FROM)
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
    fixed = active & ~coupled[None, :]             # states with <= K useful pairs: pump them all
    fixed_rate = (a * fixed).sum(axis=1)
    bidx = np.flatnonzero(coupled)

    def feasible(y_full):
        """Clip to the box and scale any state that exceeds K back onto its constraint."""
        y_full = np.clip(y_full, 0.0, 1.0) * active
        load = y_full.sum(axis=0)
        over = coupled & (load > capacity)
        if over.any():
            y_full[:, over] *= capacity / load[over]
        y_full[fixed] = 1.0
        return y_full

    def objective(r):
        return float(np.sum(w_in * utility(r, alpha))) if np.all(r > 0) or alpha < 1 else -math.inf

    def certify(y_red, idx, prices_scaled):
        """Best feasible point (the iterate ``y_red`` on states ``idx``, or the repaired dual
        best response) and the exact dual bound of the full problem, in the caller's units:
        ``(objective, bound, point, prices)``, ``point()`` giving the (M, S) time shares.
        The coupling prices are per unit time share, so the per-pair rescaling leaves them
        unchanged."""
        prices = np.maximum(prices_scaled, 0.0) * weight_unit
        if not compiled:
            bnd, response = dual_bound(a_in, w_in, prices, capacity, alpha, with_response=True)
            best_f, best_y = -math.inf, None
            for candidate in (feasible(_scatter(y_red, idx, M, S)), feasible(response)):
                f = objective((a_in * candidate).sum(axis=1))
                if f > best_f:
                    best_f, best_y = f, candidate
            return best_f, bnd, lambda: best_y, prices
        value, response_load = kernels.dual_value_and_loads(a_in, w_in, prices, alpha)
        bnd = float(capacity * prices.sum() + value)
        # the iterate, repaired as feasible() does, without forming an (M, S) array
        shares = np.clip(y_red, 0.0, 1.0) * (np.take_along_axis(a_in, idx, axis=1) > 0)
        factor = _overload_factor(np.bincount(idx.ravel(), weights=shares.ravel(), minlength=S), coupled, capacity)
        shares *= factor[idx]
        f_iterate = objective(fixed_rate_in + np.einsum("ij,ij->i", np.take_along_axis(a_in, idx, axis=1), shares))
        # the best response, repaired the same way
        factor_response = _overload_factor(response_load, coupled, capacity)
        f_response = objective(kernels.response_rates(a_in, w_in, prices, alpha, factor_response, ~coupled,
                                                      np.empty((0, S))))
        if f_iterate >= f_response:
            def point():
                y_full = _scatter(shares, idx, M, S)
                y_full[fixed] = 1.0
                return y_full
            return f_iterate, bnd, point, prices

        def point():
            y_full = np.empty((M, S))
            kernels.response_rates(a_in, w_in, prices, alpha, factor_response, ~coupled, y_full)
            return y_full
        return f_response, bnd, point, prices

    if compiled:
        from qnum.solvers.pumping import kernels
    fixed_rate_in = (a_in * fixed).sum(axis=1)
    if bidx.size == 0:  # nothing to decide: every useful pair is pumped in every state
        f, bnd, point, prices = certify(np.zeros((M, 1)), np.zeros((M, 1), dtype=np.int64), np.zeros(S))
        return SeparableResult(point(), f, bnd, prices, 0, True, "no capacity constraint can bind")

    # Initial price estimate: with equal time shares K / (useful pairs) in every state,
    # the price of state c is the (K+1)-th largest marginal gain w U'(r) a_ce there.
    usable = a * coupled[None, :]
    del a
    share = capacity / np.maximum(per_state, 1)
    r0 = fixed_rate + usable @ np.where(coupled, share, 0.0)
    gain = (w * marginal_utility(r0, alpha))[:, None] * usable
    prices = np.zeros(S)
    prices[bidx] = np.partition(gain[:, bidx], M - capacity - 1, axis=0)[M - capacity - 1] if M > capacity else 0.0
    del gain
    k = S if (candidates is None and M * S <= 50_000) else min(S, candidates or 4)
    interior_point = _interior_point_compiled if compiled else _interior_point

    def gap_in_scaled_units(y_red, idx, prices_scaled):
        f, bnd = certify(y_red, idx, prices_scaled)[:2]
        return (bnd - f) / weight_unit, tol * max(abs(f), abs(bnd)) / weight_unit

    best = None
    total_iterations = 0
    retried = False
    while True:
        idx = kernels.cheapest_states(usable, prices, k) if compiled else _cheapest_states(usable, prices, k)
        budget = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
        y_red, lam, iters, message = interior_point(
            np.take_along_axis(usable, idx, axis=1), idx, w, capacity, alpha, fixed_rate, bidx, S,
            tol, max_iter, budget, lambda yv, lv, idx=idx: gap_in_scaled_units(yv, idx, lv), prices[bidx])
        total_iterations += iters
        prices = np.zeros(S)
        prices[bidx] = lam
        f, bnd, point, prices_true = certify(y_red, idx, prices)
        log.info("separable interior point: %d candidate states per pair, %d iterations (%s); utility %.8g, "
                 "certified bound %.8g", k, iters, message, f, bnd)
        if best is None or bnd - f < best[1] - best[0]:
            best = (f, bnd, point, prices_true)
        converged = best[1] - best[0] <= tol * max(abs(best[0]), abs(best[1]))
        out_of_time = time_limit is not None and time.perf_counter() - start > time_limit
        if converged or k >= S or out_of_time:
            break
        # First retry: as many states, now the cheapest under this round's (near-optimal)
        # prices; after that twice as many each round, up to all of them.
        if retried:
            k = min(S, 2 * k)
        retried = True
    f, bnd, point, prices_true = best
    y_full = point()
    if converged:
        message = "certified gap below tolerance"
    elif out_of_time:
        message = "time limit"
    return SeparableResult(y_full, f, bnd, prices_true, total_iterations, converged, message)


def _progress(iterations, f_now, comp, dual_gap, start, next_report):
    """Log an iteration (DEBUG always, INFO every :data:`PROGRESS_EVERY` s); the next INFO time."""
    now = time.perf_counter()
    info = now >= next_report
    if info or log.isEnabledFor(logging.DEBUG):
        # f_now is the objective of the internally rescaled problem, not the user's utility (reported at the end)
        log.log(logging.INFO if info else logging.DEBUG, "interior point %.1f s: iteration %d, rescaled utility "
                "%.8g, complementarity gap %.3g, dual residual %.3g", now - start, iterations, f_now, comp, dual_gap)
    return now + PROGRESS_EVERY if info else next_report


def _certificate_check(comp, f_now, dual_gap, grad_scale, tol, check_below, certify, free, y, lam_full):
    """When to certify the full problem, and whether to stop: ``(stop message or None, next check_below)``.

    The full-problem certificate costs a sort of all M × S prices, so it runs only once the
    complementarity gap ``comp`` is below ``check_below · tol · |f|``, and then again only after
    ``comp`` has shrunk by another factor of 4. Both engines share this rule.
    """
    if comp > check_below * tol * abs(f_now):
        return None, check_below
    gap, allowed = certify(np.where(free, y, 0.0), lam_full)
    if gap <= allowed:
        return "certified gap below tolerance", check_below
    # The candidate problem is solved far past what the full problem's bound allows: the
    # missing gap is in states outside the candidates.
    if comp <= 1e-3 * tol * abs(f_now) or (comp <= 0.01 * gap and dual_gap <= 1e-3 * grad_scale):
        return "candidate states do not hold the optimum", check_below
    return None, comp / (4.0 * tol * abs(f_now))


def _cheapest_states(usable, prices, k):
    """Each pair's k states with the lowest price per unit rate ``λ_c / a_ce`` (M, k)."""
    M, S = usable.shape
    if k >= S:
        return np.broadcast_to(np.arange(S), (M, S)).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(usable > 0, (prices[None, :] + 1e-300) / np.where(usable > 0, usable, 1.0), np.inf)
    idx = np.argpartition(rho, k - 1, axis=1)[:, :k]
    return np.sort(idx, axis=1)


def _overload_factor(load, coupled, capacity):
    """Per state: K / load where a coupled state's time shares exceed K, else 1."""
    over = coupled & (load > capacity)
    return np.where(over, capacity / np.where(over, load, 1.0), 1.0)


def _scatter(y_red, idx, M, S):
    y_full = np.zeros((M, S))
    np.put_along_axis(y_full, idx, y_red, axis=1)
    return y_full


#: largest (pairs x coupled states) whose Schur product is formed densely: below it the dense
#: BLAS product is faster and a command-line solve never imports scipy.sparse (0.37 s); above it
#: the sparse product keeps memory at the candidate entries (a 2,000-node network has 2 M pairs)
DENSE_SCHUR_ENTRIES = 4_000_000


def _coupling_gram(values, rows, cols, weights, M, nb):
    """``Zᵀ diag(weights) Z`` (nb x nb) of the M x nb matrix Z with entries ``values`` at (rows, cols).

    Each (row, column) appears at most once (a pair's candidate states are distinct).

    Examples
    --------
    >>> import numpy as np
    >>> g = _coupling_gram(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), np.array([0, 1, 1]),
    ...                    np.array([1.0, 0.5]), 2, 2)
    >>> g.tolist()
    [[1.0, 2.0], [2.0, 8.5]]
    """
    if M * nb <= DENSE_SCHUR_ENTRIES:
        z = np.zeros((M, nb))
        z[rows, cols] = values
        # einsum, not the BLAS product: this is small, and a multithreaded BLAS spins on a loaded machine
        return np.einsum("ij,ik->jk", z, z * weights[:, None])
    from scipy import sparse  # imported on use: large problems only

    zs = sparse.csr_matrix((values, (rows, cols)), shape=(M, nb))
    return (zs.T @ sparse.diags(weights) @ zs).toarray()


def _interior_point(a_red, idx, w, capacity, alpha, fixed_rate, bidx, S, tol, max_iter, time_limit, certify,
                    lam_start):
    """Primal-dual interior point on candidate entries ``a_red`` (M, k) in states ``idx``.

    Returns the candidate time shares, the prices of the coupled states, the iteration
    count and a message. ``certify(y_red, prices)`` gives (objective, bound, ...) of the
    full problem and decides when to stop.
    """
    start = time.perf_counter()
    M, k = a_red.shape
    nb = bidx.size
    coupled_col = np.zeros(S, dtype=bool)
    coupled_col[bidx] = True
    free = (a_red > 0) & coupled_col[idx]
    free_f = free.astype(float)
    a_free = a_red * free_f
    nonfree = ~free
    flat_idx = idx.ravel()
    pos = np.full(S, -1)
    pos[bidx] = np.arange(nb)

    def state_sums(v):
        """Σ over candidate entries of each coupled state."""
        return np.bincount(flat_idx, weights=v.ravel(), minlength=S)[bidx]

    def rates(yv):
        return fixed_rate + np.einsum("ij,ij->i", a_free, yv)

    # Entries that are not free carry pseudo values y = 1/2, zl = zu = 0 and a zero rate
    # coefficient: every update below leaves them unchanged, so no array needs a mask.
    half_nonfree = 0.5 * state_sums(nonfree.astype(float))
    per_state = state_sums(free_f)
    y0 = np.zeros(S)
    y0[bidx] = np.minimum(0.5, capacity / (2.0 * np.maximum(per_state, 1)))
    y = np.where(free, y0[idx], 0.5)

    def load(yv):
        return state_sums(yv) - half_nonfree

    sig = capacity - load(y)
    grad_u = (w * marginal_utility(rates(y), alpha))[:, None] * a_free       # ∇F (to maximize)
    # Balanced complementarity y*zl = (1-y)*zu = sig*lam = mu0 at the start.
    mu0 = float(np.mean(grad_u[free])) * float(np.mean(y[free]))
    zl = free_f * (mu0 / y)
    zu = free_f * (mu0 / (1.0 - y))
    lam = np.maximum(mu0 / sig, lam_start)     # warm start from the price estimate
    lam_full = np.zeros(S)
    m = 2 * int(free.sum()) + nb
    rows = np.repeat(np.arange(M), k)
    cols = pos[flat_idx]
    keep_cols = cols >= 0

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

        schur = -_coupling_gram(z.ravel()[keep_cols], rows[keep_cols], cols[keep_cols], 1.0 / q, M, nb)
        schur[np.diag_indices_from(schur)] += state_sums(dinv) + sig / lam
        Bg = apply_b_inverse(g)
        dlam = np.linalg.solve(schur, state_sums(Bg) - h)
        lam_cols = np.zeros(S)
        lam_cols[bidx] = dlam
        dy = Bg - apply_b_inverse(free_f * lam_cols[idx])
        dsig = (-rsig - sig * dlam) / lam
        dzl = (-rlo - zl * dy) * y_inv
        dzu = (-rup + zu * dy) * y1_inv
        return dy, dzl, dzu, dsig, dlam

    def max_step(v, dv) -> float:
        """Largest step keeping v + step * dv >= 0 (entries with dv >= 0 never bind)."""
        ratio = np.divide(v, -dv, out=np.full_like(v, np.inf), where=dv < 0)
        return min(1.0, float(ratio.min()))

    message = "iteration cap reached"
    check_below = 10.0
    iterations = 0
    next_report = start + PROGRESS_EVERY
    while iterations < max_iter:
        iterations += 1
        r = rates(y)
        y_inv, y1 = 1.0 / y, 1.0 - y
        y1_inv = 1.0 / y1
        lam_full[bidx] = lam
        rd = (-(w * marginal_utility(r, alpha))[:, None] * a_free - zl + zu + lam_full[idx]) * free_f
        rp = load(y) + sig - capacity
        comp = float(np.einsum("ij,ij->", y, zl) + np.einsum("ij,ij->", y1, zu) + sig @ lam)
        mu = comp / m
        dual_gap = float(np.abs(rd).max())
        grad_scale = float(np.abs(lam).max()) + 1e-300
        # -- certificate (of the full problem) ----------------------------------------
        f_now = float(np.sum(w * utility(r, alpha)))
        stop, check_below = _certificate_check(comp, f_now, dual_gap, grad_scale, tol, check_below,
                                               certify, free, y, lam_full)
        next_report = _progress(iterations, f_now, comp, dual_gap, start, next_report)
        if stop:
            message = stop
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
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
        # Mehrotra's aggressive centering only once the dual residual is small: with a
        # nonlinear utility, driving complementarity to zero while U'(r) is still far
        # from the prices strands the iterate against the bounds.
        if dual_gap > 1e-3 * grad_scale:
            tau = max(tau, 0.1 * mu)
        # -- corrector --------------------------------------------------------------
        rlo = (y * zl - tau + dy * dzl) * free_f
        rup = (y1 * zu - tau - dy * dzu) * free_f
        rsig = sig * lam - tau + dsig * dlam
        dy, dzl, dzu, dsig, dlam = solve_newton(r, y_inv, y1_inv, rd, rlo, rup, rsig, rp)
        ap = 0.99 * min(max_step(y, dy), max_step(y1, -dy), max_step(sig, dsig))
        ad = 0.99 * min(max_step(zl, dzl), max_step(zu, dzu), max_step(lam, dlam))
        # Trust region on the rates: the Newton model of U'(r) is only good while no
        # rate more than halves or doubles in one step.
        dr = np.einsum("ij,ij->i", a_free, dy)
        shrink = dr < -0.5 * r
        grow = dr > r
        if shrink.any():
            ap = min(ap, float(np.min(-0.5 * r[shrink] / dr[shrink])))
        if grow.any():
            ap = min(ap, float(np.min(r[grow] / dr[grow])))
        # Separate primal and dual step lengths (as IPOPT does for bound multipliers):
        # the dual residual is recomputed from the new y at the next iteration.
        y += ap * dy
        sig = sig + ap * dsig
        zl += ad * dzl
        zu += ad * dzu
        lam = lam + ad * dlam
    return np.where(free, y, 0.0), lam, iterations, message


def _interior_point_compiled(a_red, idx, w, capacity, alpha, fixed_rate, bidx, S, tol, max_iter, time_limit,
                             certify, lam_start):
    """:func:`_interior_point` with its per-entry arithmetic in the fused passes of
    :mod:`qnum.solvers.pumping.kernels` (same iterates up to round-off): the arrays are
    allocated once and written in place, and an iteration reads the (M, k) entry arrays
    five times. Only the S x S Schur systems are solved here."""
    from qnum.solvers.pumping import kernels

    start = time.perf_counter()
    M, k = a_red.shape
    nb = bidx.size
    pos = np.full(S, -1)
    pos[bidx] = np.arange(nb)
    col = pos[idx]
    col[a_red <= 0] = -1
    free = col >= 0
    a = np.where(free, a_red, 0.0)
    col = col.astype(np.int32)
    per_state = np.bincount(col[free], minlength=nb).astype(float)
    y0 = np.minimum(0.5, capacity / (2.0 * np.maximum(per_state, 1)))
    y = np.where(free, y0[np.maximum(col, 0)], 0.5)
    rate, gain, root_curv, q = (np.empty(M) for _ in range(4))
    dy, dzl, dzu = (np.zeros((M, k)) for _ in range(3))
    zl = np.zeros((M, k))
    zu = np.zeros((M, k))
    _, _, load, _, _, _ = kernels.assemble(a, col, w, fixed_rate, alpha, y, zl, zu, np.zeros(nb), nb,
                                           rate, gain, root_curv, q)
    sig = capacity - load
    nfree = int(free.sum())
    mu0 = float(np.sum(gain[:, None] * a)) / nfree * float(np.sum(np.where(free, y, 0.0))) / nfree
    np.divide(mu0, y, out=zl, where=free)
    np.divide(mu0, 1.0 - y, out=zu, where=free)
    lam = np.maximum(mu0 / sig, lam_start)
    lam_full = np.zeros(S)
    m = 2 * nfree + nb

    def max_step(v, dv) -> float:
        neg = dv < 0
        return min(1.0, float(np.min(v[neg] / -dv[neg]))) if neg.any() else 1.0

    message = "iteration cap reached"
    check_below = 10.0
    iterations = 0
    next_report = start + PROGRESS_EVERY
    while iterations < max_iter:
        iterations += 1
        schur, rhs, load, comp, dual_gap, f_now = kernels.assemble(a, col, w, fixed_rate, alpha, y, zl, zu, lam,
                                                                   nb, rate, gain, root_curv, q)
        lam_full[bidx] = lam
        rp = load + sig - capacity
        comp += float(sig @ lam)
        mu = comp / m
        grad_scale = float(np.abs(lam).max()) + 1e-300
        # -- certificate (of the full problem) ----------------------------------------
        stop, check_below = _certificate_check(comp, f_now, dual_gap, grad_scale, tol, check_below,
                                               certify, free, y, lam_full)
        next_report = _progress(iterations, f_now, comp, dual_gap, start, next_report)
        if stop:
            message = stop
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            message = "time limit"
            break
        schur[np.diag_indices(nb)] += sig / lam
        # -- predictor (affine scaling): rsig = σλ, so h = -rp + σ ----------------------
        dlam = np.linalg.solve(schur, rhs + rp - sig)
        ap, ad, sums = kernels.predictor(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, dy)
        dsig = -sig - sig * dlam / lam
        ap = min(ap, max_step(sig, dsig))
        ad = min(ad, max_step(lam, dlam))
        comp_aff = float(sums[0] + ap * sums[1] + ad * sums[2] + ap * ad * sums[3]
                         + sums[4] - ap * sums[5] + ad * sums[6] - ap * ad * sums[7]
                         + (sig + ap * dsig) @ (lam + ad * dlam))
        tau = (comp_aff / comp) ** 3 * mu
        if dual_gap > 1e-3 * grad_scale:
            tau = max(tau, 0.1 * mu)
        # -- corrector --------------------------------------------------------------
        rsig = sig * lam - tau + dsig * dlam
        rhs = kernels.corrector_rhs(a, col, y, zl, zu, lam, gain, root_curv, q, dy, tau, nb)
        dlam = np.linalg.solve(schur, rhs + rp - rsig / lam)
        dsig = (-rsig - sig * dlam) / lam
        ap, ad, trust = kernels.corrector(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, rate, tau, dy, dzl, dzu)
        ap = min(0.99 * min(ap, max_step(sig, dsig)), trust)
        ad = 0.99 * min(ad, max_step(lam, dlam))
        kernels.update(col, y, zl, zu, dy, dzl, dzu, ap, ad)
        sig = sig + ap * dsig
        lam = lam + ad * dlam
    return np.where(free, y, 0.0), lam, iterations, message
