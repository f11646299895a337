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
        Free text from the solver, e.g. why it stopped.
    sense : {"max", "min"}
        Optimization sense; it fixes the sign of the gap.

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
        """Plain-JSON view (labels as lists, non-finite numbers as None)."""
        return {
            "status": self.status.value,
            "objective": _finite(self.objective),
            "bound": _finite(self.bound),
            "gap": _finite(self.gap),
            "relative_gap": _finite(self.relative_gap),
            "solver": self.solver,
            "seconds": self.seconds,
            "message": self.message,
        }


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


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
