"""Analytic predictions for MQCE networks (paper, Sec. II and Methods), as qnum derives them.

* :func:`alpha_step` — α above which paths with ``k`` intermediate nodes beat paths with
  ``k + 1`` (small L/λ0, many users): ``(1 − α) log2((k + 1)/k) = α |log(1 − p)|``.
  For ``k = 0`` → 1 the bound is rigorous at any L and N: an intermediate node gains at most
  ``C(d/2) − C(d) = log2(1 + e^{−d/2λ0}) < 1`` bit, so for ``α ≥ alpha_step(1, p)`` every
  optimal path is the direct link and the MQCE network is fully connected (L* = 1).
* :func:`square_distance_pdf` — density of the distance between two uniform points in a
  square of side L (the classical square line-picking law), and
  :func:`fc_average_capacitance` — the fully connected network's average capacitance
  ⟨C⟩ = ∫ C(d) ρ_L(d) dd.
* The α → 0 limit: optimal capacitances are the maximum-spanning-tree bottlenecks
  (:func:`mst_bottlenecks`); the weakest of them is the MST's longest link, predicted by
  :func:`mst_longest_link` (Penrose's law, as the paper's eq. 28 uses it, or qnum's finite-N
  version with the square's boundary) and turned into a capacitance by
  :func:`mst_min_capacitance`.
* The fully connected network's two asymptotic regimes (paper eqs. 20–23):
  :func:`fc_capacitance_small_side` (L ≪ λ0: ⟨C⟩ ≈ log2(λ0/L) + const) and
  :func:`fc_capacitance_large_side` (L ≫ λ0: ⟨C⟩ ≈ 2π ζ(3)/ln 2 · (λ0/L)², set by the few
  links shorter than λ0). The paper's closed forms did not survive extraction; these are
  qnum's derivations of the same limits (docstrings say how) and agree with the paper's text.
* One pair at distance d, relays evenly spaced (paper Sec. III.3, Fig. 3(a)):
  :func:`relay_transition` — the α below which k + 1 relays beat k (eq. 25) — and
  :func:`optimal_relays`, the number of relays of the best evenly spaced path.
* Large L/λ0: :func:`first_transition` — the α below which one pair at distance d prefers
  a relay path (k̃ equally spaced intermediate nodes) to its direct link — and
  :func:`mst_threshold_alpha`, that α for the largest distance √2·L, below which every
  pair takes a long path and the network is close to the MST (the paper's α*, eq. 27).

The text of the paper's eqs. 25–28 did not survive extraction; the two large-L functions and
the finite-N MST law are qnum's derivations from the paper's description (docstrings say how).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.integrate import quad
from scipy.special import roots_legendre, zeta

from qnum.errors import InputError
from qnum.physics.capacitance import plob_capacitance


def alpha_step(k: int, p: float) -> float:
    """α at which optimal paths switch between ``k − 1`` and ``k`` intermediate nodes.

    Examples
    --------
    >>> round(alpha_step(1, 0.1), 4)   # 1 / (1 + |ln 0.9|)
    0.9047
    """
    gain = np.log2((k + 1) / k)
    return float(gain / (gain + abs(np.log1p(-p))))


def square_distance_pdf(d, side):
    """Density of the distance between two uniform random points in a square of side ``side``.

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> round(quad(square_distance_pdf, 0, 2 ** 0.5, args=(1.0,))[0], 6)
    1.0
    """
    s = np.asarray(d, float) / side
    inner = 2 * s * (np.pi - 4 * s + s * s)
    with np.errstate(invalid="ignore", divide="ignore"):
        outer = 2 * s * (4 * np.sqrt(np.maximum(s * s - 1, 0)) - (s * s + 2 - np.pi)
                         - 4 * np.arccos(np.minimum(1 / np.maximum(s, 1e-300), 1.0)))
    dens = np.where(s <= 1, inner, np.where(s <= np.sqrt(2), outer, 0.0))
    return np.where(s >= 0, dens, 0.0) / side


def fc_average_capacitance(side, decay_length):
    """Average link capacitance of the fully connected network in a square of side ``side``.

    Examples
    --------
    >>> round(fc_average_capacitance(10.0, 1.0), 4) > 0
    True
    """
    def f(d):
        return float(plob_capacitance(d, decay_length)) * float(square_distance_pdf(d, side))

    a = quad(f, 0, side, limit=200)[0]
    return a + quad(f, side, side * np.sqrt(2), limit=200)[0]


#: E[ln s] for the distance s between two uniform points of the unit square (closed form of the
#: line-picking law: −25/12 + π/3 + ln(2)/3), and E[s] = (2 + √2 + 5 ln(1 + √2))/15.
SQUARE_MEAN_LOG_DISTANCE = -25 / 12 + np.pi / 3 + np.log(2) / 3
SQUARE_MEAN_DISTANCE = (2 + np.sqrt(2) + 5 * np.log1p(np.sqrt(2))) / 15


def _positive(name, value):
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(name, value, "must be a positive finite number")
    return value


def fc_capacitance_small_side(side, decay_length, terms: int = 1) -> float:
    """Fully connected ⟨C⟩ for L ≪ λ0 (paper eq. 20, qnum's form): ``log2(λ0/L) − E[log2 s]``.

    For d ≪ λ0 the PLOB capacitance is C(d) = −log2(1 − e^{−d/λ0}) ≈ −log2(d/λ0) + d/(2 λ0 ln 2),
    and averaging over the square's distance law (d = L·s, s the unit-square distance)
    gives ⟨C⟩ ≈ log2(λ0/L) − E[ln s]/ln 2 (``terms=1``; E[ln s] = −25/12 + π/3 + ln(2)/3 ≈
    −0.8051, so the constant is ≈ 1.1615), plus E[s]·L/(2 λ0 ln 2) with ``terms=2``
    (E[s] ≈ 0.5214). The paper states the logarithmic law; its constant did not survive
    extraction, so this constant is qnum's computation.

    Examples
    --------
    >>> round(fc_capacitance_small_side(0.01, 1.0), 4)
    7.8054
    >>> abs(fc_capacitance_small_side(0.01, 1.0, terms=2) - fc_average_capacitance(0.01, 1.0)) < 1e-4
    True
    """
    if terms not in (1, 2):
        raise InputError("terms", terms, "must be 1 or 2")
    x = _positive("side", side) / _positive("decay_length", decay_length)
    value = -np.log2(x) - SQUARE_MEAN_LOG_DISTANCE / np.log(2)
    if terms == 2:
        value += SQUARE_MEAN_DISTANCE * x / (2 * np.log(2))
    return float(value)


def fc_capacitance_large_side(side, decay_length, terms: int = 1) -> float:
    """Fully connected ⟨C⟩ for L ≫ λ0 (paper eqs. 21–23, qnum's form): ``2π ζ(3)/ln 2 · (λ0/L)²``.

    Only pairs closer than a few λ0 contribute, and for d ≤ L the square's distance density
    is the polynomial ρ(d) = (2π d/L − 8 d²/L² + 2 d³/L³)/L (eq. 21 keeps its first term,
    2πd/L²). With ∫₀^∞ x^m C(λ0 x) dx = m! ζ(m + 2)/ln 2 (expand −log2(1 − e^{−x}) =
    Σ_n e^{−nx}/(n ln 2)), the three terms give

        ⟨C⟩ ≈ [2π ζ(3) (λ0/L)² − 16 ζ(4) (λ0/L)³ + 12 ζ(5) (λ0/L)⁴] / ln 2,

    ``terms`` = 1, 2 or 3 of them; with all three the error is O(e^{−L/λ0}) (pairs farther
    than L). The paper states the (λ0/L)² decay; its constant did not survive extraction, so
    2π ζ(3)/ln 2 ≈ 10.90 is qnum's.

    Examples
    --------
    >>> round(fc_capacitance_large_side(10.0, 1.0), 4)
    0.109
    >>> abs(fc_capacitance_large_side(30.0, 1.0, terms=3) / fc_average_capacitance(30.0, 1.0) - 1) < 1e-6
    True
    """
    if terms not in (1, 2, 3):
        raise InputError("terms", terms, "must be 1, 2 or 3")
    y = _positive("decay_length", decay_length) / _positive("side", side)
    coeffs = (2 * np.pi * zeta(3), -16 * zeta(4), 12 * zeta(5))
    return float(sum(c * y ** (m + 2) for m, c in enumerate(coeffs[:terms])) / np.log(2))


def relay_transition(k: int, distance: float, decay_length: float, p: float) -> float:
    """α below which k + 1 evenly spaced relays beat k for one pair at ``distance`` (paper eq. 25).

    The path through k evenly spaced relays has capacitance C(d/(k + 1)) and efficiency
    E_k = (1 − α)·C(d/(k + 1)) + α·k·ln(1 − p); E_{k+1} > E_k for
    α < ΔC/(ΔC + |ln(1 − p)|), ΔC = C(d/(k + 2)) − C(d/(k + 1)). As d → 0 this tends to
    :func:`alpha_step` (k + 1, p) (eq. 12); at finite d it is smaller — the broadening of
    the steps. Only a boundary of Fig. 3(a) where the optimum does move from k to k + 1
    relays; at large d the direct link jumps straight to k̃ relays (:func:`first_transition`).

    Examples
    --------
    >>> abs(relay_transition(0, 1e-6, 1.0, 0.1) - alpha_step(1, 0.1)) < 1e-6
    True
    >>> relay_transition(0, 1.0, 1.0, 0.1) < alpha_step(1, 0.1)
    True
    """
    if not 0 < p < 1:
        raise InputError("p", p, "needs 0 < p < 1")
    if k < 0:
        raise InputError("k", k, "must be >= 0")
    gain = float(plob_capacitance(distance / (k + 2), decay_length)
                 - plob_capacitance(distance / (k + 1), decay_length))
    return float(gain / (gain + abs(np.log1p(-p))))


def optimal_relays(distance, alpha, decay_length: float, p: float, k_max: int = 400):
    """Number of evenly spaced relays that maximizes one pair's efficiency (paper Fig. 3(a)).

    argmax over k = 0 … ``k_max`` of (1 − α)·C(d/(k + 1)) + α·k·ln(1 − p), the smallest k on
    ties (as the exact solver). ``distance`` and ``alpha`` broadcast against each other.
    The paper's limit of users dense enough that a relay sits wherever it is wanted.

    Examples
    --------
    >>> int(optimal_relays(0.01, 0.95, 1.0, 0.1)), int(optimal_relays(0.01, 0.85, 1.0, 0.1))
    (0, 1)
    >>> optimal_relays([0.01, 10.0], 0.6, 1.0, 0.1).tolist()   # short pair: 8 relays; far pair: direct
    [8, 0]
    """
    if not 0 < p < 1:
        raise InputError("p", p, "needs 0 < p < 1")
    d, a = np.broadcast_arrays(np.asarray(distance, float), np.asarray(alpha, float))
    k = np.arange(k_max + 1).reshape((-1,) + (1,) * d.ndim)
    cap = plob_capacitance(d[None] / (k + 1), decay_length)
    eff = (1 - a[None]) * cap + a[None] * k * np.log1p(-p)
    return np.argmax(eff, axis=0)


def mst_bottlenecks(capacitance) -> np.ndarray:
    """Best bottleneck capacitance of every pair: the weakest link on the maximum-spanning-tree path.

    Examples
    --------
    >>> C = np.array([[-np.inf, 3., 1.], [3., -np.inf, 2.], [1., 2., -np.inf]])
    >>> float(mst_bottlenecks(C)[0, 2])
    2.0
    """
    C = np.asarray(capacitance, float)
    n = C.shape[0]
    g = nx.Graph()
    g.add_weighted_edges_from((i, j, C[i, j]) for i in range(n) for j in range(i + 1, n) if np.isfinite(C[i, j]))
    tree = nx.maximum_spanning_tree(g)
    out = np.full((n, n), -np.inf)
    for s in range(n):      # walk the tree from s, carrying the weakest link so far
        out[s, s] = np.inf
        stack = [s]
        while stack:
            u = stack.pop()
            for v in tree[u]:
                if out[s, v] == -np.inf:
                    out[s, v] = min(out[s, u], tree[u][v]["weight"])
                    stack.append(v)
    np.fill_diagonal(out, 0.0)
    return out


_GL_NODES, _GL_WEIGHTS = roots_legendre(48)


def _edge_cap(x, r):
    """Area of the part of a radius-``r`` disk beyond a line at distance ``x`` (0 ≤ x) from its centre."""
    x = np.minimum(x, r)
    return r * r * np.arccos(x / r) - x * np.sqrt(r * r - x * x)


def _corner_area(x, y, r):
    """Area of a radius-``r`` disk centred at (x, y), 0 ≤ x, y ≤ r, inside the quadrant [0, ∞)²."""
    lo, hi = np.maximum(y - r, 0.0), y + r
    t = 0.5 * (hi - lo)[..., None] * _GL_NODES + 0.5 * (hi + lo)[..., None]
    w = np.sqrt(np.maximum(r * r - (t - y[..., None]) ** 2, 0.0))
    width = x[..., None] + w - np.maximum(x[..., None] - w, 0.0)
    return 0.5 * (hi - lo) * np.sum(width * _GL_WEIGHTS, axis=-1)


def _expected_isolated(r, n):
    """Expected number of isolated points of n uniform points in the unit square at radius r < 1/2."""
    interior = (1 - 2 * r) ** 2 * np.exp(-n * np.pi * r * r)
    strips = 4 * (1 - 2 * r) * quad(lambda x: np.exp(-n * (np.pi * r * r - _edge_cap(x, r))), 0, r)[0]
    g = 0.5 * r * (_GL_NODES + 1)
    X, Y = np.meshgrid(g, g)
    corners = 4 * np.sum(np.outer(_GL_WEIGHTS, _GL_WEIGHTS) * (r / 2) ** 2 * np.exp(-n * _corner_area(X, Y, r)))
    return n * (interior + strips + corners)


def mst_longest_link(nodes: int, side: float, boundary: bool = True) -> float:
    """Expected length of the longest link of the Euclidean MST of ``nodes`` uniform points.

    ``boundary=False``: Penrose's asymptotic law (Ann. Appl. Probab. 7, 340 (1997)),
    P(N·π·M²/L² − ln N ≤ β) → exp(−e^{−β}), whose mean gives M ≈ L·√((ln N + γ)/(π N))
    (γ = Euler's constant) — the form the paper's eq. 28 rests on. It neglects the square's
    boundary, where points have half the neighbourhood, and underestimates M at moderate N
    (by ≈ 23 % at N = 100, 13 % at N = 1000).

    ``boundary=True`` (qnum's finite-N version): the MST's longest link exceeds r exactly when
    the disk graph of radius r is disconnected, and near the connectivity threshold that
    happens through an isolated point (Penrose), so P(M > r) ≈ 1 − exp(−μ(r)) with μ(r) the
    expected number of isolated points, integrated over the square with the exact area of
    each point's disk inside it (interior, edge strips and corners); E[M] = ∫ P(M > r) dr.

    Examples
    --------
    >>> round(mst_longest_link(1000, 1.0, boundary=False), 4)
    0.0488
    >>> 0.05 < mst_longest_link(1000, 1.0) < 0.06
    True
    """
    if nodes < 2:
        raise InputError("nodes", nodes, "need at least 2 points")
    if not boundary:
        return float(side * np.sqrt((np.log(nodes) + np.euler_gamma) / (np.pi * nodes)))
    r_star = np.sqrt(np.log(nodes) / (np.pi * nodes))
    # P(M > r) is negligible beyond a few r*; the disk-area formulas need r < L/2 (N ≳ 20)
    upper = min(0.5, 8 * r_star)
    def tail(r):
        return 1.0 - np.exp(-_expected_isolated(r, nodes))

    return float(side * quad(tail, 0, upper, limit=200, points=[r_star])[0])


def mst_min_capacitance(nodes: int, side: float, decay_length: float, boundary: bool = True) -> float:
    """Predicted minimum optimal-path capacitance for α → 0: C(longest MST link) (paper eq. 28).

    Examples
    --------
    >>> mst_min_capacitance(500, 10.0, 1.0) < mst_min_capacitance(500, 10.0, 1.0, boundary=False)
    True
    """
    return float(plob_capacitance(mst_longest_link(nodes, side, boundary), decay_length))


def first_transition(distance: float, decay_length: float, p: float, k_max: int | None = None):
    """(α̃, k̃): below α̃ one pair at ``distance`` prefers k̃ equally spaced relays to its direct link.

    With k intermediate nodes spaced evenly the path's capacitance is C(d/(k + 1)), so the
    relay path beats the direct link when (1 − α)·[C(d/(k+1)) − C(d)] > α·k·|ln(1 − p)|,
    i.e. for α < a_k = ΔC_k / (ΔC_k + k |ln(1 − p)|). The direct link stays optimal for
    α ≥ α̃ = max_k a_k, and k̃ = argmax is the number of relays the pair jumps to (paper
    Sec. III.3: k̃ = 1 for d ≲ λ0, growing with d; α̃ → 0 as d → ∞).

    Examples
    --------
    >>> a, k = first_transition(0.01, 1.0, 0.1)      # short pair: the first step, eq. 12
    >>> k, abs(a - alpha_step(1, 0.1)) < 1e-2
    (1, True)
    >>> first_transition(20.0, 1.0, 0.1)[1] > 1
    True
    """
    if not 0 < p < 1:
        raise InputError("p", p, "needs 0 < p < 1 (with p = 0 relays are free and α̃ = 1)")
    k_max = k_max or int(4 * distance / decay_length) + 50
    while True:
        k = np.arange(1, k_max + 1)
        gain = plob_capacitance(distance / (k + 1), decay_length) - plob_capacitance(distance, decay_length)
        a_k = gain / (gain + k * abs(np.log1p(-p)))
        best = int(np.argmax(a_k))
        if best < k_max - 1:         # an interior maximum: a_k falls beyond it
            return float(a_k[best]), int(k[best])
        k_max *= 2


def mst_threshold_alpha(side: float, decay_length: float, p: float) -> float:
    """α* ≈ α̃(√2·L): below it even the farthest pair takes a relay path (paper eq. 27, our form).

    Examples
    --------
    >>> mst_threshold_alpha(100.0, 1.0, 0.1) < mst_threshold_alpha(10.0, 1.0, 0.1)
    True
    """
    return first_transition(np.sqrt(2) * side, decay_length, p)[0]
