"""Compiled (numba) passes of the separable pumping solver at scale; :mod:`qnum.solvers.pumping.separable` drives them.

The interior-point method of :func:`qnum.solvers.pumping.separable.solve_separable` does
the same arithmetic here as its numpy form, but each pass visits every candidate entry
(pair e, state c) once with the pair's entries in registers: no temporary arrays, no
page faults, a handful of passes per iteration (assemble the Schur complement and the
predictor right-hand side; predictor direction and step lengths; corrector right-hand
side; corrector direction and step lengths; update). The dual certificate
(:func:`dual_value_and_loads`) is the closed form of :mod:`qnum.solvers.pumping.dual`,
one pass over the pairs with a per-pair insertion sort of the S states.

Each pass's body works on a range of pairs (``_*_rows``, writing its sums into arrays it
is given), so a pass can be split across threads; qnum runs one thread: with two numba
threads on the shared 2-core machine a 1,000-node solve took 42.0 s against 25.7 s
(load about 5, where a thread that waits at a join loses its whole time slice).

Entry arrays are (M, k): ``a`` the rate coefficient of each candidate entry (0 where the
entry is not free) and ``col`` its coupled-state position (-1 where not free). Non-free
entries are skipped, so their ``y, zl, zu`` are never read.

Imported only by the solver, and only for instances large enough that numba's start-up
is a small part of the solve (a small pumping solve never imports numba).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_JIT = {"cache": True, "error_model": "numpy"}


@njit(**_JIT)
def _utility(r, alpha):
    if alpha == 1.0:
        return math.log(r)
    return r ** (1.0 - alpha) / (1.0 - alpha)


@njit(**_JIT)
def _assemble_rows(a, col, w, fixed_rate, alpha, y, zl, zu, lam, rate, gain, root_curv, q, lo_row, hi_row,
                   schur, rhs, load, stats):
    """:func:`assemble` on pairs ``lo_row:hi_row``; sums into ``schur, rhs, load`` and
    ``stats = (comp, dual_gap, f)``."""
    k = a.shape[1]
    comp = 0.0
    dual_gap = 0.0
    f = 0.0
    zbuf = np.empty(k)
    gbuf = np.empty(k)
    dbuf = np.empty(k)
    for i in range(lo_row, hi_row):
        r = fixed_rate[i]
        for j in range(k):
            if col[i, j] >= 0:
                r += a[i, j] * y[i, j]
        g_i = w[i] * r ** (-alpha)
        s = math.sqrt(alpha * g_i / r)
        rate[i] = r
        gain[i] = g_i
        root_curv[i] = s
        f += w[i] * _utility(r, alpha)
        qi = 1.0
        zg = 0.0
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            yv = y[i, j]
            y1 = 1.0 - yv
            lo = zl[i, j]
            up = zu[i, j]
            rd = -g_i * a[i, j] - lo + up + lam[c]
            if abs(rd) > dual_gap:
                dual_gap = abs(rd)
            comp += yv * lo + y1 * up
            load[c] += yv
            dinv = 1.0 / (lo * (1.0 / yv) + up * (1.0 / y1))
            z = dinv * s * a[i, j]
            qi += s * a[i, j] * z
            g = -rd - lo + up               # affine scaling: rlo / y = zl, rup / (1 - y) = zu
            zbuf[j] = z
            gbuf[j] = g
            dbuf[j] = dinv
            zg += z * g
        q[i] = qi
        t = zg / qi
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            rhs[c] += dbuf[j] * gbuf[j] - zbuf[j] * t
            schur[c, c] += dbuf[j]
            zj = zbuf[j] / qi
            for jj in range(k):
                cc = col[i, jj]
                if cc >= 0:
                    schur[c, cc] -= zj * zbuf[jj]
    stats[0] = comp
    stats[1] = dual_gap
    stats[2] = f


@njit(**_JIT)
def assemble(a, col, w, fixed_rate, alpha, y, zl, zu, lam, nb, rate, gain, root_curv, q):
    """Pass A: rates and per-pair Newton data; the Schur matrix and the predictor's state sums.

    Writes per pair ``rate``, ``gain = w U'(r)``, ``root_curv = sqrt(w α r^(-α-1))`` and
    ``q = 1 + Σ u z``. Returns ``(schur, rhs, load, comp, dual_gap, f)``: ``schur`` is
    ``Eᵀ B⁻¹ E`` (without the σ/λ diagonal), ``rhs = Eᵀ B⁻¹ g`` for the affine-scaling
    right-hand side, ``load`` the time shares per coupled state, ``comp`` the bound
    complementarity ``Σ y zl + (1-y) zu``, ``dual_gap = max |rd|`` and ``f = Σ w U(r)``.
    """
    schur = np.zeros((nb, nb))
    rhs = np.zeros(nb)
    load = np.zeros(nb)
    stats = np.zeros(3)
    _assemble_rows(a, col, w, fixed_rate, alpha, y, zl, zu, lam, rate, gain, root_curv, q, 0, a.shape[0],
                   schur, rhs, load, stats)
    return schur, rhs, load, stats[0], stats[1], stats[2]


@njit(**_JIT)
def _predictor_rows(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, dy, lo_row, hi_row, out):
    """:func:`predictor` on pairs ``lo_row:hi_row``; ``out = (ap, ad, sums...)``."""
    k = a.shape[1]
    ap = 1.0
    ad = 1.0
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    gbuf = np.empty(k)
    dbuf = np.empty(k)
    for i in range(lo_row, hi_row):
        s = root_curv[i]
        g_i = gain[i]
        zg = 0.0
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            lo = zl[i, j]
            up = zu[i, j]
            rd = -g_i * a[i, j] - lo + up + lam[c]
            dinv = 1.0 / (lo * (1.0 / y[i, j]) + up * (1.0 / (1.0 - y[i, j])))
            v = -rd - lo + up - dlam[c]
            gbuf[j] = v
            dbuf[j] = dinv
            zg += dinv * s * a[i, j] * v
        t = s * zg / q[i]
        for j in range(k):
            if col[i, j] < 0:
                continue
            yv = y[i, j]
            y1 = 1.0 - yv
            lo = zl[i, j]
            up = zu[i, j]
            d = dbuf[j] * (gbuf[j] - a[i, j] * t)
            dy[i, j] = d
            dlo = -lo - lo * d * (1.0 / yv)
            dup = -up + up * d * (1.0 / y1)
            if -d * ap > yv:
                ap = yv / -d
            elif d * ap > y1:
                ap = y1 / d
            if -dlo * ad > lo:
                ad = lo / -dlo
            if -dup * ad > up:
                ad = up / -dup
            s0 += yv * lo
            s1 += d * lo
            s2 += yv * dlo
            s3 += d * dlo
            s4 += y1 * up
            s5 += d * up
            s6 += y1 * dup
            s7 += d * dup
    out[0] = ap
    out[1] = ad
    out[2] = s0
    out[3] = s1
    out[4] = s2
    out[5] = s3
    out[6] = s4
    out[7] = s5
    out[8] = s6
    out[9] = s7


@njit(**_JIT)
def predictor(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, dy):
    """Pass B: affine-scaling direction ``dy`` (written) given ``dlam``; its step bounds and
    the sums that give the complementarity after any step ``(ap, ad)`` in closed form.

    Returns ``(ap_max, ad_max, sums)`` with ``sums = (Σ y zl, Σ dy zl, Σ y dzl, Σ dy dzl,
    Σ y1 zu, Σ dy zu, Σ y1 dzu, Σ dy dzu)``.
    """
    out = np.zeros(10)
    _predictor_rows(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, dy, 0, a.shape[0], out)
    return out[0], out[1], out[2:]


@njit(inline="always", **_JIT)
def _corrector_terms(yv, lo, up, d, gain_a, lam_c, tau):
    """One entry's corrector terms from the predictor step ``d``: ``1/y``, ``1/(1−y)``, the
    second-order complementarity residuals (divided forms use them), the dual residual and the
    diagonal ``(zl/y + zu/(1−y))⁻¹`` — shared by passes C and D."""
    y1 = 1.0 - yv
    iy = 1.0 / yv
    iy1 = 1.0 / y1
    dlo = -lo - lo * d * iy
    dup = -up + up * d * iy1
    rlo = yv * lo - tau + d * dlo
    rup = y1 * up - tau - d * dup
    rd = -gain_a - lo + up + lam_c
    return iy, iy1, rlo, rup, rd, 1.0 / (lo * iy + up * iy1)


@njit(**_JIT)
def _corrector_rhs_rows(a, col, y, zl, zu, lam, gain, root_curv, q, dy, tau, lo_row, hi_row, rhs):
    """:func:`corrector_rhs` on pairs ``lo_row:hi_row``, summed into ``rhs``."""
    k = a.shape[1]
    gbuf = np.empty(k)
    dbuf = np.empty(k)
    for i in range(lo_row, hi_row):
        s = root_curv[i]
        g_i = gain[i]
        zg = 0.0
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            iy, iy1, rlo, rup, rd, dinv = _corrector_terms(y[i, j], zl[i, j], zu[i, j], dy[i, j], g_i * a[i, j],
                                                           lam[c], tau)
            g = -rd - rlo * iy + rup * iy1
            gbuf[j] = g
            dbuf[j] = dinv
            zg += dinv * s * a[i, j] * g
        t = zg / q[i]
        for j in range(k):
            c = col[i, j]
            if c >= 0:
                rhs[c] += dbuf[j] * (gbuf[j] - s * a[i, j] * t)


@njit(**_JIT)
def corrector_rhs(a, col, y, zl, zu, lam, gain, root_curv, q, dy, tau, nb):
    """Pass C: ``Eᵀ B⁻¹ g`` for the corrector (Mehrotra's second-order term from ``dy``)."""
    rhs = np.zeros(nb)
    _corrector_rhs_rows(a, col, y, zl, zu, lam, gain, root_curv, q, dy, tau, 0, a.shape[0], rhs)
    return rhs


@njit(**_JIT)
def _corrector_rows(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, rate, tau, dy, dzl, dzu, lo_row, hi_row,
                    out):
    """:func:`corrector` on pairs ``lo_row:hi_row``; ``out = (ap, ad, trust)``."""
    k = a.shape[1]
    ap = 1.0
    ad = 1.0
    trust = np.inf
    gbuf = np.empty(k)
    rlobuf = np.empty(k)
    rupbuf = np.empty(k)
    ybuf = np.empty(k)
    y1buf = np.empty(k)
    dbuf = np.empty(k)
    for i in range(lo_row, hi_row):
        s = root_curv[i]
        g_i = gain[i]
        zg = 0.0
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            iy, iy1, rlo, rup, rd, dinv = _corrector_terms(y[i, j], zl[i, j], zu[i, j], dy[i, j], g_i * a[i, j],
                                                           lam[c], tau)
            v = -rd - rlo * iy + rup * iy1 - dlam[c]
            gbuf[j] = v
            rlobuf[j] = rlo * iy
            rupbuf[j] = rup * iy1
            ybuf[j] = iy
            y1buf[j] = iy1
            dbuf[j] = dinv
            zg += dinv * s * a[i, j] * v
        t = zg / q[i]
        dr = 0.0
        for j in range(k):
            c = col[i, j]
            if c < 0:
                continue
            yv = y[i, j]
            y1 = 1.0 - yv
            lo = zl[i, j]
            up = zu[i, j]
            d = dbuf[j] * (gbuf[j] - s * a[i, j] * t)
            dlo = -rlobuf[j] - lo * d * ybuf[j]
            dup = -rupbuf[j] + up * d * y1buf[j]
            dy[i, j] = d
            dzl[i, j] = dlo
            dzu[i, j] = dup
            dr += a[i, j] * d
            if -d * ap > yv:
                ap = yv / -d
            elif d * ap > y1:
                ap = y1 / d
            if -dlo * ad > lo:
                ad = lo / -dlo
            if -dup * ad > up:
                ad = up / -dup
        r = rate[i]
        if dr < -0.5 * r:
            trust = min(trust, -0.5 * r / dr)
        elif dr > r:
            trust = min(trust, r / dr)
    out[0] = ap
    out[1] = ad
    out[2] = trust


@njit(**_JIT)
def corrector(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, rate, tau, dy, dzl, dzu):
    """Pass D: corrector direction (``dy`` holds the predictor's on entry and the
    corrector's on exit; ``dzl, dzu`` written) and its step bounds, including the trust
    region on the rates (no rate more than halves or doubles). Returns ``(ap, ad, trust)``."""
    out = np.zeros(3)
    _corrector_rows(a, col, y, zl, zu, lam, dlam, gain, root_curv, q, rate, tau, dy, dzl, dzu, 0, a.shape[0], out)
    return out[0], out[1], out[2]


@njit(**_JIT)
def update(col, y, zl, zu, dy, dzl, dzu, ap, ad):
    """Pass E: ``y += ap dy``, ``zl += ad dzl``, ``zu += ad dzu`` on the free entries, in place."""
    M, k = y.shape
    for i in range(M):
        for j in range(k):
            if col[i, j] >= 0:
                y[i, j] += ap * dy[i, j]
                zl[i, j] += ad * dzl[i, j]
                zu[i, j] += ad * dzu[i, j]


@njit(**_JIT)
def _best_response(a_i, w_i, prices, alpha, order, fill):
    """One pair's inner problem of the dual (see :mod:`qnum.solvers.pumping.dual`): fills
    ``fill`` (time shares per state) and returns ``w U(r) − λ · y``."""
    S = a_i.shape[0]
    n = 0
    for c in range(S):                       # insertion sort of the useful states by ρ = λ / a (stable)
        fill[c] = 0.0
        if a_i[c] <= 0.0:
            continue
        rho = prices[c] / a_i[c]
        p = n
        while p > 0 and prices[order[p - 1]] / a_i[order[p - 1]] > rho:
            order[p] = order[p - 1]
            p -= 1
        order[p] = c
        n += 1
    before = 0.0
    rate = 0.0
    cost = 0.0
    for p in range(n):
        c = order[p]
        rho = prices[c] / a_i[c]
        target = (rho / w_i) ** (-1.0 / alpha) if rho > 0.0 else np.inf
        x = min(max(target - before, 0.0), a_i[c])
        before += a_i[c]
        if x > 0.0:
            rate += x
            cost += rho * x
            fill[c] = x / a_i[c]
        else:
            break                            # targets fall and `before` grows: nothing later fills
    return w_i * _utility(rate, alpha) - cost


@njit(**_JIT)
def dual_value_and_loads(a, w, prices, alpha):
    """``Σ_e max_y [w_e U(a_e · y) − λ · y]`` and the best responses' total time share per state."""
    M, S = a.shape
    load = np.zeros(S)
    value = 0.0
    order = np.empty(S, dtype=np.int64)
    fill = np.empty(S)
    for i in range(M):
        value += _best_response(a[i], w[i], prices, alpha, order, fill)
        for c in range(S):
            load[c] += fill[c]
    return value, load


@njit(**_JIT)
def response_rates(a, w, prices, alpha, factor, pump_all, out_y):
    """Rates of the repaired best response: time shares scaled by ``factor`` per state,
    and 1 wherever ``pump_all[c]`` and ``a > 0``. Fills ``out_y`` (M, S) unless it is empty."""
    M, S = a.shape
    rate = np.empty(M)
    keep = out_y.shape[0] == M
    order = np.empty(S, dtype=np.int64)
    fill = np.empty(S)
    for i in range(M):
        _best_response(a[i], w[i], prices, alpha, order, fill)
        r = 0.0
        for c in range(S):
            if a[i, c] <= 0.0:
                v = 0.0
            elif pump_all[c]:
                v = 1.0
            else:
                v = min(fill[c], 1.0) * factor[c]
            r += a[i, c] * v
            if keep:
                out_y[i, c] = v
        rate[i] = r
    return rate


@njit(**_JIT)
def cheapest_states(a, prices, k):
    """Each pair's k states of lowest ``λ_c / a_ce`` among those with ``a > 0`` (ascending
    state index; padded with unused states when a pair has fewer than k)."""
    M, S = a.shape
    idx = np.empty((M, k), dtype=np.int64)
    key = np.empty(S)
    order = np.empty(S, dtype=np.int64)
    for i in range(M):
        for c in range(S):
            key[c] = (prices[c] + 1e-300) / a[i, c] if a[i, c] > 0.0 else np.inf
            order[c] = c
        for p in range(1, S):                # insertion sort by key (stable)
            c = order[p]
            q = p
            while q > 0 and key[order[q - 1]] > key[c]:
                order[q] = order[q - 1]
                q -= 1
            order[q] = c
        chosen = np.sort(order[:k])
        for j in range(k):
            idx[i, j] = chosen[j]
    return idx
