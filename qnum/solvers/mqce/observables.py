"""Observables of an MQCE optimum (paper's Figs. 2–6 quantities).

All averages run over unordered pairs of distinct users.
"""

from __future__ import annotations

import numpy as np


def observables(result) -> dict:
    """Average capacitance Q*, average topological length L*, minimum capacitance, link
    density, degree distribution and modified betweenness of an MQCE result.

    ``result`` must come from a solve with ``build_edges=True``.

    Examples
    --------
    >>> from qnum.networks.relay import from_coordinates
    >>> from qnum.solvers.mqce.fast import solve_fast
    >>> sc = from_coordinates([[0, 0], [1, 0], [2, 0]], 1.0, p_malicious=0.01, alpha=0.1)
    >>> obs = observables(solve_fast(sc))
    >>> obs["link_density"], obs["degree_counts"], obs["betweenness"]
    (0.6666666666666666, [0, 2, 1], [0, 1, 0])
    """
    if result.edges is None:
        raise ValueError("observables need the MQCE network: solve with build_edges=True")
    n = result.hops.shape[0]
    iu = np.triu_indices(n, 1)
    degree = np.zeros(n, dtype=np.int64)
    for i, j in result.edges:
        degree[i] += 1
        degree[j] += 1
    return {
        "avg_capacitance": float(np.mean(result.capacitance[iu])),
        "avg_hops": float(np.mean(result.hops[iu])),
        "min_capacitance": float(np.min(result.capacitance[iu])),
        "link_density": len(result.edges) / (n * (n - 1) / 2),
        "degrees": degree.tolist(),
        "degree_counts": np.bincount(degree, minlength=int(degree.max()) + 1).tolist(),
        "betweenness": result.betweenness.tolist(),
    }
