"""The one result type of every offline solve: status, objective, certified bound, gap.

Every family's model returns a :class:`Solution`. Infeasibility and solver trouble are
statuses, not exceptions. ``bound`` is a proven bound on the optimum (an upper bound for
maximization), so ``gap = bound - objective`` certifies how far the returned point can
be from the optimum.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

#: why a solve stopped (``Solution.termination``)
TERMINATIONS = ("converged", "time_limit", "iteration_limit", "node_limit", "infeasible", "unbounded",
                "solver_error", "no_bound", "stalled")


class Status(str, enum.Enum):
    """Termination status of an offline solve (values are the JSON strings)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"

    def __str__(self) -> str:  # print "optimal", not "Status.OPTIMAL"
        return self.value


_DEFAULT_TERMINATION = {Status.OPTIMAL: "converged", Status.FEASIBLE: "stalled", Status.INFEASIBLE: "infeasible",
                        Status.UNBOUNDED: "unbounded", Status.TIME_LIMIT: "time_limit", Status.ERROR: "solver_error"}


@dataclass
class Solution:
    """Result of an offline solve, for every family.

    Parameters
    ----------
    status : Status
        Termination status.
    objective : float or None
        Objective value of the returned point, in the family's utility units.
    bound : float or None
        Proven bound on the optimal objective (upper bound for maximization).
    values : dict
        Decision values keyed by meaningful labels, e.g. ``values["rates"][(0, 1)]``.
    solver : str
        Name of the method that produced the point.
    seconds : float
        Wall time of the solve.
    message : str
        Free text from the solver.
    sense : {"max", "min"}
        Optimization sense; it fixes the sign of the gap.
    family : str
        Kind of the scenario solved (``"pumping"``, ``"rwa"``, ``"mqce"``, ``"qnum"``).
    termination : str
        Why the solver stopped, apart from what the point is (``status``): one of
        :data:`TERMINATIONS` — ``converged`` (the requested gap was reached; an exact
        method always says so), ``time_limit``, ``iteration_limit``, ``node_limit``,
        ``infeasible``, ``unbounded``, ``solver_error``, ``no_bound`` (a local or heuristic
        method that proves nothing), ``stalled`` (no further progress; the bound is honest).

    Examples
    --------
    >>> sol = Solution(Status.OPTIMAL, objective=2.0, bound=2.0000001, solver="demo")
    >>> round(sol.gap, 7), sol.relative_gap < 1e-6
    (1e-07, True)
    >>> sol.to_dict()["status"]
    'optimal'
    """

    status: Status
    objective: float | None = None
    bound: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    solver: str = ""
    seconds: float = 0.0
    message: str = ""
    sense: str = "max"
    family: str = ""
    termination: str = ""

    def __post_init__(self):
        if self.termination and self.termination not in TERMINATIONS:
            raise ValueError(f"termination = {self.termination!r}: must be one of {', '.join(TERMINATIONS)}")
        if not self.termination:
            self.termination = _DEFAULT_TERMINATION[Status(self.status)]

    @property
    def gap(self) -> float | None:
        """Absolute certified gap ``|bound - objective|`` (None without a bound)."""
        if self.objective is None or self.bound is None:
            return None
        diff = self.bound - self.objective if self.sense == "max" else self.objective - self.bound
        return max(diff, 0.0)

    @property
    def relative_gap(self) -> float | None:
        """Certified gap relative to the objective: ``gap / max(|objective|, |bound|)``.

        See :func:`relative_gap`.
        """
        if self.objective is None or self.bound is None:
            return None
        return relative_gap(self.objective, self.bound)

    @property
    def ok(self) -> bool:
        """True when the solve returned a point (optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the summary fields (non-finite numbers as None); the family's
        ``solution_json`` adds its labelled values."""
        return {
            "kind": self.family or None,
            "status": Status(self.status).value,
            "termination": self.termination,
            "objective": finite_or_none(self.objective),
            "bound": finite_or_none(self.bound),
            "gap": finite_or_none(self.gap),
            "relative_gap": finite_or_none(self.relative_gap),
            "solver": self.solver,
            "seconds": self.seconds,
            "message": self.message,
        }

    def __repr__(self) -> str:
        def num(x):
            return "None" if x is None else f"{x:.8g}"
        return (f"Solution(kind={self.family!r}, status={Status(self.status).value!r}, "
                f"objective={num(self.objective)}, "
                f"bound={num(self.bound)}, relative_gap={num(self.relative_gap)}, solver={self.solver!r}, "
                f"values=[{', '.join(self.values)}])")


def relative_gap(objective: float, bound: float) -> float:
    """``|bound - objective| / max(|objective|, |bound|)`` (0 when both are 0).

    Scale-free, so it means the same for a throughput in bit/s and for an α = 2 utility
    of order 1e-6.

    Examples
    --------
    >>> relative_gap(99.0, 100.0)
    0.01
    """
    scale = max(abs(objective), abs(bound))
    if scale == 0:
        return 0.0
    return abs(bound - objective) / scale


def finite_or_none(x):
    """``float(x)``, or None for None and non-finite numbers (the JSON form of every reported number).

    Examples
    --------
    >>> finite_or_none(2), finite_or_none(float("inf")), finite_or_none(None)
    (2.0, None, None)
    """
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
