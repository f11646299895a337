"""Bench rows: the common row format of ``qnum bench`` and its text table."""

from __future__ import annotations

import math

#: Columns every bench row has, in table order.
BENCH_COLUMNS = ("family", "instance", "method", "status", "objective", "bound", "gap_to_optimum",
                 "relative_gap_to_optimum", "seconds")


def bench_row(family, instance, method, status, objective=None, bound=None, gap_to_optimum=None,
              relative_gap_to_optimum=None, seconds=None, **metrics) -> dict:
    """One row of the bench output, family metrics appended.

    Examples
    --------
    >>> bench_row("pumping", "x", "pf", "ok", objective=1.0, gap_to_optimum=0.1, seconds=0.5, slots=10)["slots"]
    10
    """
    row = dict(family=family, instance=instance, method=method, status=str(status), objective=objective,
               bound=bound, gap_to_optimum=gap_to_optimum, relative_gap_to_optimum=relative_gap_to_optimum,
               seconds=seconds)
    row.update(metrics)
    return row


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if "." in f"{value:.4f}" else f"{value:.4f}"
    return str(value)


def format_table(rows, columns=BENCH_COLUMNS, extra: int = 3) -> str:
    """Aligned text table of bench rows: the common columns plus a few family metrics.

    Examples
    --------
    >>> print(format_table([bench_row("f", "i", "m", "optimal", objective=1.5, seconds=0.25)]))
    family  instance  method  status   objective  bound  gap_to_optimum  relative_gap_to_optimum  seconds
    f       i         m       optimal  1.5        -      -               -                        0.25
    """
    if not rows:
        return "(no rows)"
    cols = list(columns)
    for row in rows:
        for key in row:
            if key not in cols and len(cols) < len(columns) + extra and not isinstance(row[key], (list, dict)):
                cols.append(key)
    cells = [cols] + [[_fmt(row.get(c)) for c in cols] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(cols))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)
