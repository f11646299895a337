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
  (:func:`mst_bottlenecks`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.integrate import quad

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
    f = lambda d: float(plob_capacitance(d, decay_length)) * float(square_distance_pdf(d, side))
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
