"""Convergence verification: an online trace against the offline optimum, over time.

For each recorded time the report has the utility of the averages, the utility gap to
the optimum and the relative rate distance ``‖r̄_t − r*‖ / ‖r*‖``; it prints as a table
and plots with matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnum.utility import total_utility


@dataclass
class ConvergenceReport:
    """Utility gap and rate distance of an online run over time.

    Attributes
    ----------
    policy : str
    times : numpy.ndarray
        Slots at which the averages were recorded.
    utility : numpy.ndarray
        ``Σ w U_α(r̄_t)`` at those times.
    optimum : float
        Offline optimal utility (same α and weights).
    gap : numpy.ndarray
        ``optimum − utility`` (can dip below 0 by sampling noise on random channels).
    rate_distance : numpy.ndarray
        ``‖r̄_t − r*‖ / ‖r*‖``.
    """

    policy: str
    alpha: float
    times: np.ndarray
    utility: np.ndarray
    optimum: float
    gap: np.ndarray
    rate_distance: np.ndarray

    @property
    def final_gap(self) -> float:
        return float(self.gap[-1])

    @property
    def final_rate_distance(self) -> float:
        return float(self.rate_distance[-1])

    def table(self, rows: int = 8) -> str:
        """A few rows of (slot, utility, gap, rate distance)."""
        pick = np.unique(np.linspace(0, self.times.size - 1, min(rows, self.times.size)).astype(int))
        lines = [f"{'slot':>10}  {'utility':>14}  {'gap':>12}  {'rate dist':>10}"]
        for i in pick:
            lines.append(f"{self.times[i]:>10d}  {self.utility[i]:>14.6g}  {self.gap[i]:>12.4g}  "
                         f"{self.rate_distance[i]:>10.4g}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Utility gap (log scale where positive) and rate distance versus slots."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
        else:
            fig = ax[0].figure
        ax[0].loglog(self.times, np.maximum(np.abs(self.gap), 1e-12), label=self.policy)
        ax[0].set_xlabel("slot")
        ax[0].set_ylabel("|utility gap|")
        ax[1].loglog(self.times, np.maximum(self.rate_distance, 1e-12), label=self.policy)
        ax[1].set_xlabel("slot")
        ax[1].set_ylabel("‖r̄ − r*‖ / ‖r*‖")
        for a in ax:
            a.grid(True, which="both", alpha=0.3)
            a.legend()
        fig.tight_layout()
        return fig


def compare(trace, solution, alpha: float | None = None, weights=None) -> ConvergenceReport:
    """Compare an online trace with an offline :class:`~qnum.solution.Solution`.

    Parameters
    ----------
    trace : Trace
        From :func:`qnum.solvers.pumping.online.simulate`.
    solution : Solution
        Offline optimum with ``values["rate_vector"]``.
    alpha : float, optional
        Utility to measure (default 1, proportional fairness).
    weights : array_like, optional
        Pair weights of that utility (default 1).

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> from qnum.models.pumping import AlphaFair
    >>> from qnum.solvers.pumping.online import simulate
    >>> sc = four_node_example()
    >>> rep = compare(simulate(sc, "pf", 20_000, seed=1), AlphaFair(sc).solve())
    >>> bool(abs(rep.final_gap) < 1e-2)
    True
    """
    alpha = 1.0 if alpha is None else alpha
    r_star = np.asarray(solution.values["rate_vector"])
    util = np.array([total_utility(r, alpha, weights) for r in trace.averages])
    optimum = total_utility(r_star, alpha, weights)
    norm = np.linalg.norm(r_star)
    dist = np.linalg.norm(trace.averages - r_star[None, :], axis=1) / (norm if norm > 0 else 1.0)
    gap = optimum - util
    if math.isinf(optimum):
        gap = np.full_like(util, np.nan)
    return ConvergenceReport(trace.policy, alpha, trace.times, util, optimum, gap, dist)
