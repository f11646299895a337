"""The one result type of every online run: what a policy did over time, and where it ended.

Every family's ``simulate`` returns a :class:`Trace`, for the built-in algorithms and for the
user's own policies alike; a static baseline (a design computed once) is a one-point trace.
:func:`qnum.compare` turns a trace and a :class:`~qnum.solution.Solution` into a
:class:`~qnum.bench.report.Report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qnum.solution import finite_or_none

#: the time axes a trace can have
TIME_AXES = ("slot", "iteration", "event", "design")


@dataclass(frozen=True)
class Trace:
    """What an online algorithm did: its objective and state over time, its final point, its feasibility.

    Parameters
    ----------
    family : str
        Scenario kind (``"pumping"``, ``"rwa"``, ``"mqce"``, ``"qnum"``).
    policy : str
        Name of the policy (a built-in name, or the user's policy's ``name`` / class / function name).
    time_axis : {"slot", "iteration", "event", "design"}
        What ``times`` counts.
    times : numpy.ndarray of int, shape (T,)
        Recorded times (increasing).
    objective : numpy.ndarray of float, shape (T,)
        The family's objective (the one its optimum maximizes) at the online point at each time.
    final : dict
        The final point, keyed like the family's ``Solution.values`` (labelled, e.g.
        ``final["rates"][(0, 1)]``), plus whatever else the family reports.
    states : dict of str -> numpy.ndarray, optional
        State over time, each of shape (T, n), columns labelled by ``labels[key]``.
    labels : dict of str -> list, optional
        Column labels of each state (node pairs, route names, link names, ...).
    point_key : str, optional
        The state compared with the optimum's ``values[point_key]`` by :func:`qnum.compare`
        (distance of the point); None when the family has no such point.
    feasible : bool
        Whether the final point satisfies the model (capacities, locks, ...).
    violation : float or None
        The final point's largest constraint violation, in the family's documented unit (None
        when the family's policies cannot violate anything).
    violations : numpy.ndarray, optional
        The same over time, shape (T,).
    records : list of dict, optional
        Per-event or per-step records (routers: one per event with its case and reason).
    info : dict, optional
        Family extras (pump counts, the realized channel, options used, ...).
    seconds : float
        Wall time of the run.
    message : str
        Free text (why the run is infeasible, what the step sizes were, ...).

    Examples
    --------
    >>> tr = Trace("demo", "mine", "iteration", times=[1, 2, 3], objective=[0.5, 0.9, 1.0],
    ...            final={"x": {"a": 1.0}})
    >>> tr.final_objective, tr.status, len(tr)
    (1.0, 'ok', 3)
    """

    family: str
    policy: str
    time_axis: str
    times: Any
    objective: Any
    final: dict
    states: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    point_key: str | None = None
    feasible: bool = True
    violation: float | None = None
    violations: Any = None
    records: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""

    def __post_init__(self):
        if self.time_axis not in TIME_AXES:
            raise ValueError(f"time_axis = {self.time_axis!r}: must be one of {', '.join(TIME_AXES)}")
        times = np.asarray(self.times, dtype=np.int64).reshape(-1)
        objective = np.asarray(self.objective, dtype=float).reshape(-1)
        if times.shape != objective.shape or times.size == 0:
            raise ValueError(f"times ({times.size}) and objective ({objective.size}) need the same, non-zero length")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "objective", objective)
        states = {k: np.asarray(v, dtype=float) for k, v in self.states.items()}
        for key, value in states.items():
            if value.shape[0] != times.size:
                raise ValueError(f"states[{key!r}] has {value.shape[0]} rows for {times.size} times")
            if key in self.labels and value.ndim == 2 and value.shape[1] != len(self.labels[key]):
                raise ValueError(f"states[{key!r}] has {value.shape[1]} columns for {len(self.labels[key])} labels")
        object.__setattr__(self, "states", states)
        if self.violations is not None:
            object.__setattr__(self, "violations", np.asarray(self.violations, dtype=float).reshape(-1))
        if self.point_key is not None and self.point_key not in self.final:
            raise ValueError(f"point_key = {self.point_key!r} is not a key of final ({', '.join(self.final)})")

    def __len__(self) -> int:
        return int(self.times.size)

    @property
    def final_objective(self) -> float:
        """The objective at the last recorded time."""
        return float(self.objective[-1])

    @property
    def status(self) -> str:
        """``"ok"`` when the final point is feasible, else ``"infeasible"``."""
        return "ok" if self.feasible else "infeasible"

    def to_dict(self) -> dict:
        """Summary as plain JSON (the family's ``trace_json`` adds its labelled final point)."""
        return {"kind": self.family, "policy": self.policy, "status": self.status, "time_axis": self.time_axis,
                "steps": int(self.times[-1]), "objective": finite_or_none(self.final_objective),
                "feasible": bool(self.feasible), "violation": finite_or_none(self.violation),
                "seconds": self.seconds, "message": self.message}

    def to_frame(self):
        """pandas DataFrame: one row per recorded time (``objective``, ``violation`` and each
        state's columns as ``key[label]``).

        Examples
        --------
        >>> Trace("demo", "mine", "iteration", [1, 2], [0.5, 0.9], final={}).to_frame()
           iteration  objective
        0          1        0.5
        1          2        0.9
        """
        import pandas as pd

        data = {self.time_axis: self.times, "objective": self.objective}
        if self.violations is not None:
            data["violation"] = self.violations
        for key, value in self.states.items():
            cols = self.labels.get(key, range(value.shape[1] if value.ndim == 2 else 1))
            if value.ndim == 1:
                data[key] = value
            else:
                for j, label in enumerate(cols):
                    data[f"{key}[{_label(label)}]"] = value[:, j]
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        return (f"Trace(kind={self.family!r}, policy={self.policy!r}, {self.time_axis}s={int(self.times[-1])}, "
                f"points={len(self)}, objective={self.final_objective:.6g}, feasible={self.feasible}, "
                f"final=[{', '.join(self.final)}])")

    def _repr_html_(self) -> str:
        from qnum.solution import html_summary

        rows = [("kind", self.family), ("policy", self.policy), (f"{self.time_axis}s", int(self.times[-1])),
                ("recorded points", len(self)), ("final objective", f"{self.final_objective:.6g}"),
                ("status", self.status), ("violation", "-" if self.violation is None else f"{self.violation:.3g}"),
                ("seconds", f"{self.seconds:.3g}"), ("final point", ", ".join(self.final)),
                ("message", self.message)]
        return html_summary("Trace", rows)


def _label(label) -> str:
    if isinstance(label, tuple):
        return "-".join(str(x) for x in label)
    return str(label)
