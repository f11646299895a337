"""Online versus offline: one definition of the gap, over time and at the end, for every family.

:func:`compare` takes a :class:`~qnum.trace.Trace` and the :class:`~qnum.solution.Solution`
of the same scenario and returns a :class:`Report`:

- ``gap[t] = optimum − objective[t]``: the family's objective (the one its optimum
  maximizes, evaluated by the family at the online point) against the optimum's objective;
  it can dip below 0 when the online run sees a luckier channel than the stationary
  optimum assumes, or when an infeasible online point overshoots capacity;
- ``relative_gap[t] = gap[t] / |optimum|`` (``gap`` itself when the optimum is 0);
- ``distance[t] = ‖x_t − x*‖ / ‖x*‖`` over the labels of the family's point (the trace's
  ``point_key``: rates per pair or route, efficiency per pair, ...), when it has one;
- :meth:`Report.time_to` — the first time from which the relative gap stays within a
  threshold.

The optimum's certified ``bound`` is carried along: ``bound − objective[t]`` is a gap no
online point can beat, whatever the optimum's own residual gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnum.errors import OptionError
from qnum.solution import Status, finite_or_none


@dataclass(frozen=True)
class Report:
    """An online run against the optimum of the same scenario.

    Attributes
    ----------
    family, policy, time_axis : str
    times : numpy.ndarray
        Recorded times of the trace.
    objective : numpy.ndarray
        The family's objective at the online point at those times.
    optimum : float
        Objective of the offline solution (NaN when the solve returned no point).
    bound : float
        Its certified bound (NaN without one).
    optimum_status : str
        The solve's status.
    gap, relative_gap : numpy.ndarray
        ``optimum − objective`` and that divided by ``|optimum|`` (module docstring).
    distance : numpy.ndarray or None
        Relative distance of the online point to the optimal point over time.
    feasible : bool
        Whether the online run's final point is feasible.
    violation : float or None
        Its largest constraint violation (the family's unit).
    """

    family: str
    policy: str
    time_axis: str
    times: np.ndarray
    objective: np.ndarray
    optimum: float
    bound: float
    optimum_status: str
    gap: np.ndarray
    relative_gap: np.ndarray
    distance: np.ndarray | None
    feasible: bool
    violation: float | None

    @property
    def final_objective(self) -> float:
        return float(self.objective[-1])

    @property
    def final_gap(self) -> float:
        return float(self.gap[-1])

    @property
    def final_relative_gap(self) -> float:
        return float(self.relative_gap[-1])

    @property
    def final_distance(self) -> float | None:
        return None if self.distance is None else float(self.distance[-1])

    def time_to(self, relative_gap: float) -> int | None:
        """First recorded time from which ``|relative_gap|`` stays ≤ the threshold (None if never).

        Examples
        --------
        >>> rep = _demo()
        >>> rep.time_to(0.05), rep.time_to(1e-9)
        (3, None)
        """
        if not (isinstance(relative_gap, (int, float)) and math.isfinite(relative_gap) and relative_gap >= 0):
            raise OptionError("relative_gap", relative_gap, "must be a finite number >= 0")
        within = np.abs(self.relative_gap) <= relative_gap
        if not within.size or not within[-1]:
            return None
        outside = np.flatnonzero(~within)
        start = 0 if outside.size == 0 else int(outside[-1]) + 1
        return int(self.times[start])

    def to_dict(self, thresholds=(1e-1, 1e-2, 1e-3)) -> dict:
        """Plain-JSON summary: ``optimum``, ``online``, ``gap``, ``relative_gap``, ``distance``,
        ``time_to_relative_gap`` per threshold, feasibility."""
        return {"kind": self.family, "policy": self.policy, "time_axis": self.time_axis,
                "optimum": finite_or_none(self.optimum), "bound": finite_or_none(self.bound),
                "optimum_status": self.optimum_status, "online": finite_or_none(self.final_objective),
                "gap": finite_or_none(self.final_gap), "relative_gap": finite_or_none(self.final_relative_gap),
                "distance": finite_or_none(self.final_distance), "feasible": bool(self.feasible),
                "violation": finite_or_none(self.violation), "steps": int(self.times[-1]),
                "time_to_relative_gap": {f"{t:g}": self.time_to(t) for t in thresholds}}

    def to_frame(self):
        """pandas DataFrame, one row per recorded time: time, objective, optimum, gap,
        relative_gap, distance."""
        import pandas as pd

        data = {self.time_axis: self.times, "objective": self.objective,
                "optimum": np.full(self.times.size, self.optimum), "gap": self.gap,
                "relative_gap": self.relative_gap}
        if self.distance is not None:
            data["distance"] = self.distance
        return pd.DataFrame(data)

    def plot(self, ax=None):
        """Objective against the optimum (left) and |relative gap| (right, log scales).

        Returns the matplotlib figure.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
        else:
            fig = ax[0].figure
        log_x = self.times.size > 1 and self.times[0] > 0 and self.times[-1] / max(self.times[0], 1) > 50
        marker = "o" if self.times.size < 3 else None
        ax[0].plot(self.times, self.objective, marker=marker, label=self.policy)
        if math.isfinite(self.optimum):
            ax[0].axhline(self.optimum, color="k", ls="--", lw=1, label="optimum")
        ax[0].set_ylabel("objective")
        ax[1].plot(self.times, np.maximum(np.abs(self.relative_gap), 1e-12), marker=marker, label=self.policy)
        ax[1].set_yscale("log")
        ax[1].set_ylabel("|relative gap|")
        for a in ax:
            if log_x:
                a.set_xscale("log")
            a.set_xlabel(self.time_axis)
            a.grid(True, which="both", alpha=0.3)
            a.legend(fontsize=8)
        fig.suptitle(f"{self.family}: {self.policy} vs optimum", fontsize=10)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return (f"Report(kind={self.family!r}, policy={self.policy!r}, optimum={self.optimum:.6g}, "
                f"online={self.final_objective:.6g}, relative_gap={self.final_relative_gap:.3g}, "
                f"{self.time_axis}s={int(self.times[-1])}, feasible={self.feasible})")

    def _repr_html_(self) -> str:
        """A compact summary table (notebooks): optimum, online, gaps, time to 1e-2 and 1e-3."""
        from qnum.solution import html_summary

        def num(x, digits=6):
            return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"

        rows = [("kind", self.family), ("policy", self.policy), ("optimum", num(self.optimum)),
                ("certified bound", num(self.bound)), ("optimum status", self.optimum_status),
                ("online (final)", num(self.final_objective)), ("gap", num(self.final_gap)),
                ("relative gap", num(self.final_relative_gap, 3)), ("distance to the optimal point",
                                                                   num(self.final_distance, 3)),
                (f"{self.time_axis}s", int(self.times[-1])),
                (f"{self.time_axis} to relative gap 1e-2", self.time_to(1e-2) or "-"),
                (f"{self.time_axis} to relative gap 1e-3", self.time_to(1e-3) or "-"),
                ("feasible", self.feasible)]
        return html_summary("Report", rows)


def compare(trace, solution) -> Report:
    """Compare an online :class:`~qnum.trace.Trace` with the offline optimum of the same scenario.

    Parameters
    ----------
    trace : Trace
        From :func:`qnum.simulate` (a built-in policy or the user's own).
    solution : Solution
        From :func:`qnum.solve` on the same scenario.

    Returns
    -------
    Report
        Gap, relative gap and point distance over time (module docstring).

    Examples
    --------
    >>> import qnum
    >>> from qnum.networks.pumping import four_node_example
    >>> sc = four_node_example()
    >>> rep = qnum.compare(qnum.simulate(sc, "pf", slots=20_000, seed=1), qnum.solve(sc))
    >>> bool(abs(rep.final_relative_gap) < 1e-2)
    True
    """
    if solution.family and trace.family and solution.family != trace.family:
        raise OptionError("solution", solution.family, f"is of kind {solution.family!r} but the trace is of kind "
                          f"{trace.family!r}: compare a run with the optimum of the same scenario")
    has_point = solution.objective is not None and Status(solution.status) in (
        Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
    optimum = float(solution.objective) if has_point else math.nan
    bound = float(solution.bound) if solution.bound is not None else math.nan
    gap = optimum - trace.objective
    scale = abs(optimum)
    with np.errstate(invalid="ignore"):
        relative = gap / scale if scale > 0 else gap.copy()
    distance = None
    key = trace.point_key
    if has_point and key is not None and key in solution.values and key in trace.states:
        distance = _distance(trace.states[key], trace.labels.get(key), solution.values[key])
    return Report(trace.family, trace.policy, trace.time_axis, trace.times, trace.objective, optimum, bound,
                  Status(solution.status).value, gap, relative, distance, trace.feasible, trace.violation)


def _distance(history, labels, optimal) -> np.ndarray | None:
    """‖x_t − x*‖ / ‖x*‖ with x* read by label from the solution's values."""
    if isinstance(optimal, dict):
        if labels is None or any(label not in optimal for label in labels):
            return None
        target = np.array([optimal[label] for label in labels], dtype=float)
    else:
        target = np.asarray(optimal, dtype=float)
    if history.ndim != 2 or target.shape != (history.shape[1],):
        return None
    norm = float(np.linalg.norm(target))
    return np.linalg.norm(history - target[None, :], axis=1) / (norm if norm > 0 else 1.0)


def _demo() -> Report:
    """A small report for the doctests."""
    t = np.array([1, 2, 3, 4])
    obj = np.array([0.5, 0.9, 0.97, 0.99])
    return Report("demo", "mine", "iteration", t, obj, 1.0, 1.0, "optimal", 1.0 - obj, 1.0 - obj, None, True, None)
