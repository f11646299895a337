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
from scipy.special import roots_legendre

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
        raise ValueError(f"nodes = {nodes}: need at least 2 points")
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
        raise ValueError(f"p = {p}: needs 0 < p < 1 (with p = 0 relays are free and α̃ = 1)")
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
