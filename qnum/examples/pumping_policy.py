"""A worked example of your own pumping scheduler, benchmarked against the certified optimum.

The protocol (:data:`qnum.families.pumping.POLICY_PROTOCOL`) in words: qnum calls your
policy's ``reset(setup)`` once with the scenario, then, every time slot, ``decide(observation)``
with what a real scheduler knows at that moment — the slot number, the average secret key
rate r̄ of every pair so far, the SKR ``s`` every pair would get if pumped in the current
channel state, the pairs, the capacity K, the per-count factors f_k and the allowed
topologies. It returns the node pairs to pump in this slot. qnum checks the decision
(known pairs, none twice, at most K, a matching when the scenario asks for one) and keeps
the averages; :func:`qnum.compare` then measures the run against the optimum.

:class:`MaxWeightScheduler` pumps the pairs with the largest weight ``s_e / r̄_e`` — the
gradient of ``Σ log r̄`` — which is PF-PS (the PF paper's proportional-fair scheduler) in
other words, so it converges to the proportional-fair optimum. With per-count factors it
picks the number of pairs k that maximizes ``f_k`` times the top-k weight sum; with
``topologies = "matching"`` it builds a greedy maximal matching by weight (a heuristic:
the exact best matching is what qnum's built-in ``pf`` computes). It does not handle
explicit topology lists.

>>> import qnum
>>> from qnum.examples.pumping_policy import MaxWeightScheduler
>>> from qnum.networks.pumping import four_node_example
>>> sc = four_node_example()
>>> trace = qnum.simulate(sc, MaxWeightScheduler(), slots=20_000, seed=1)
>>> report = qnum.compare(trace, qnum.solve(sc))
>>> report.policy, bool(abs(report.final_relative_gap) < 1e-3)
('max-weight', True)

From the shell: ``qnum compare FILE --policy qnum.examples.pumping_policy:MaxWeightScheduler``.
"""

from __future__ import annotations

import numpy as np


class MaxWeightScheduler:
    """Pump the pairs with the largest ``s_e / r̄_e`` (PF-PS written as a user policy).

    Examples
    --------
    >>> from qnum.policies import load_policy
    >>> load_policy("qnum.examples.pumping_policy:MaxWeightScheduler").name
    'max-weight'
    """

    name = "max-weight"

    def reset(self, setup) -> None:
        """Called once before the run with the scenario; this scheduler needs nothing from it."""
        if not isinstance(setup.topologies, str):
            raise ValueError("MaxWeightScheduler handles topologies 'at-most-k' and 'matching' only")

    def decide(self, observation) -> list[tuple[int, int]]:
        """The pairs to pump in this slot."""
        weight = observation.skr / observation.averages
        order = np.argsort(-weight, kind="stable")
        order = order[weight[order] > 0]
        if observation.topologies == "matching":
            chosen, used = [], set()
            for e in order:
                i, j = observation.pairs[e]
                if i not in used and j not in used:
                    chosen.append(int(e))
                    used.update((i, j))
        else:
            chosen = order.tolist()
        chosen = chosen[: observation.capacity]
        if not chosen:
            return []
        # f_k times the top-k weight sum: with sharing, pumping fewer pairs can be better
        value = observation.per_count_factor[: len(chosen)] * np.cumsum(weight[chosen])
        k = int(np.argmax(value)) + 1
        return [observation.pairs[e] for e in chosen[:k]]
