"""A worked example of your own trusted-relay network design, benchmarked against the MQCE optimum.

The protocol (:data:`qnum.families.mqce.POLICY_PROTOCOL`) in words: a design is decided
once, before any key is distributed, so qnum calls your policy's ``reset(setup)`` and then
``decide(observation)`` once, both with the static setup a network planner knows — the
number of users, the read-only matrix of link capacitances (bits per channel use, ``-inf``
where there is no fiber), the probability ``p`` that a relay is malicious, the trade-off
``alpha``, the hop penalty ``alpha * log(1 - p)``, the users' coordinates (or None), the
usable links and the user pairs. It returns the network: a list of links ``(i, j)``. qnum
checks every link exists in the fiber graph, routes every pair on its best path *inside*
your network, and scores the design with the optimum's own functional — the mean over
pairs of ``(1 - alpha) * C(path) + alpha * k * log(1 - p)`` — so :func:`qnum.compare` gives
the gap to the optimal (MQCE) network. (You may instead return a dict
``{(i, j): [i, ..., j]}`` fixing each pair's path.) A pair your network leaves unconnected
makes the trace infeasible; a link that does not exist stops the run with a
:class:`~qnum.errors.PolicyError` naming it.

:class:`NearestNeighbourDesign` links every user to its ``k`` strongest neighbours (largest
capacitance) and adds a maximum-capacitance spanning tree so that every pair stays
connected.

>>> import qnum
>>> from qnum.examples.mqce_policy import NearestNeighbourDesign
>>> from qnum.networks.relay import random_square
>>> sc = random_square(20, 10.0, alpha=0.1, seed=1)      # L = 10 λ0, p = 0.1, security weight 0.1
>>> optimum = qnum.solve(sc)
>>> trace = qnum.simulate(sc, NearestNeighbourDesign())
>>> report = qnum.compare(trace, optimum)
>>> report.policy, trace.feasible, round(report.final_relative_gap, 3)
('nearest-neighbours', True, 0.008)
>>> round(qnum.compare(qnum.simulate(sc, "fully-connected"), optimum).final_relative_gap, 3)
0.402

Here 3 neighbours per user come within 1 % of the optimal network, while the fully
connected network the paper compares against loses 40 %.

From the shell: ``qnum compare FILE --policy qnum.examples.mqce_policy:NearestNeighbourDesign``.
"""

from __future__ import annotations

import numpy as np


class NearestNeighbourDesign:
    """Each user links to its ``k`` strongest neighbours, plus a maximum spanning tree.

    Parameters
    ----------
    k : int
        Neighbours per user (default 3).

    Examples
    --------
    >>> from qnum.policies import load_policy
    >>> load_policy("qnum.examples.mqce_policy:NearestNeighbourDesign").name
    'nearest-neighbours'
    """

    name = "nearest-neighbours"

    def __init__(self, k: int = 3):
        self.k = int(k)

    def reset(self, setup) -> None:
        """Called once before ``decide`` with the same static setup; nothing to prepare here."""

    def decide(self, observation) -> list[tuple[int, int]]:
        """The network: links (i, j), i < j."""
        C = observation.capacitance
        links = set()
        for i in range(observation.nodes):
            finite = np.flatnonzero(np.isfinite(C[i]))
            strongest = finite[np.argsort(-C[i, finite], kind="stable")[: self.k]]
            links.update((min(i, int(j)), max(i, int(j))) for j in strongest)
        return sorted(links | set(_maximum_spanning_tree(C)))


def _maximum_spanning_tree(C) -> list[tuple[int, int]]:
    """Prim's algorithm on the capacitances (the fiber graph is connected)."""
    n = C.shape[0]
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = C[0].copy()
    parent = np.zeros(n, dtype=int)
    tree = []
    for _ in range(n - 1):
        v = int(np.argmax(np.where(in_tree, -np.inf, best)))
        tree.append((min(v, int(parent[v])), max(v, int(parent[v]))))
        in_tree[v] = True
        closer = ~in_tree & (C[v] > best)
        best[closer] = C[v][closer]
        parent[closer] = v
    return tree
