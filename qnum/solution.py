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

    def to_frame(self, key: str | None = None):
        """pandas DataFrame of the labelled values, one row per label (pair, route, link, request, node).

        Every entry of ``values`` that maps labels to numbers becomes a column (``rates``,
        ``fidelity``, ``werner``, ``key_rates``, ``efficiency``, ...), joined on the label; a label
        a quantity does not have (a link in the ``rates`` column) is NaN. The index is named
        ``pair`` when every label is a pair, else ``label``. Scalars (``nodes``, ``served``) are in
        :meth:`to_dict`; nested values (a schedule, an allocation) stay in ``values``. With ``key``,
        only that entry.

        Examples
        --------
        >>> sol = Solution(Status.OPTIMAL, 1.0, 1.0, values={"rates": {(0, 1): 2.0, (0, 2): 1.5}, "nodes": 3})
        >>> frame = sol.to_frame()
        >>> frame.index.name, frame.index.tolist(), frame["rates"].tolist()
        ('pair', [(0, 1), (0, 2)], [2.0, 1.5])
        """
        import pandas as pd

        if key is not None and key not in self.values:
            from qnum.errors import OptionError

            raise OptionError("key", key, f"not a key of this solution's values ({', '.join(self.values)})")
        columns = {name: value for name, value in self.values.items()
                   if (key is None or name == key) and _labelled_numbers(value)}
        labels = list(dict.fromkeys(label for value in columns.values() for label in value))
        index = pd.Index(labels, tupleize_cols=False, dtype=object,
                         name="pair" if labels and all(isinstance(x, tuple) and len(x) == 2 for x in labels)
                         else "label")
        return pd.DataFrame({name: [float(value[label]) if label in value else float("nan") for label in labels]
                             for name, value in columns.items()}, index=index)

    def __repr__(self) -> str:
        return (f"Solution(kind={self.family!r}, status={Status(self.status).value!r}, "
                f"objective={_num(self.objective)}, bound={_num(self.bound)}, "
                f"relative_gap={_num(self.relative_gap, 3)}, solver={self.solver!r}, "
                f"values=[{', '.join(self.values)}])")

    def _repr_html_(self) -> str:
        rows = [("kind", self.family or "-"), ("status", Status(self.status).value), ("termination", self.termination),
                ("objective", _num(self.objective)), ("bound", _num(self.bound)),
                ("relative gap", _num(self.relative_gap, 3)), ("solver", self.solver),
                ("seconds", _num(self.seconds, 3)), ("message", self.message)]
        frame = self.to_frame()
        table = frame.head(20).to_html(float_format=lambda x: f"{x:.6g}") if len(frame.columns) else ""
        more = f"<p>{len(frame) - 20} more rows: <code>.to_frame()</code></p>" if len(frame) > 20 else ""
        return html_summary("Solution", rows) + table + more


def _labelled_numbers(value) -> bool:
    """True for a non-empty dict mapping labels to (real, non-bool) numbers."""
    import numbers

    return isinstance(value, dict) and bool(value) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value.values())


def _num(x, digits: int = 6) -> str:
    """A number for a repr: ``digits`` significant digits, None as ``None``."""
    return "None" if x is None else f"{float(x):.{digits}g}"


def html_summary(title: str, rows) -> str:
    """A two-column HTML table (the notebooks' view of a result); text is escaped.

    Examples
    --------
    >>> html = html_summary("Demo", [("status", "<ok>")])
    >>> html.startswith("<table><caption>Demo</caption><tr>"), "&lt;ok&gt;</td>" in html
    (True, True)
    """
    from html import escape

    cells = "".join(f'<tr><th style="text-align:left">{escape(str(k))}</th>'
                    f'<td style="text-align:left">{escape(str(v))}</td></tr>' for k, v in rows)
    return f"<table><caption>{escape(title)}</caption>{cells}</table>"


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
