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


def format_number(value) -> str:
    """A number as people read it: 6 significant digits, no numpy or enum reprs; ``-`` for None.

    Examples
    --------
    >>> import numpy as np
    >>> format_number(np.float64(2000.0002753960541)), format_number(1e-10), format_number(3), format_number(None)
    ('2000', '1e-10', '3', '-')
    >>> format_number(float("inf")), format_number(True), format_number(0.1 + 0.2)
    ('inf', 'true', '0.3')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):   # numpy scalars
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return f"{value:.6g}"
    if hasattr(value, "value") and isinstance(value.value, str):   # enums
        return value.value
    return str(value)


def _fmt(value) -> str:
    return format_number(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or type(value).__module__ == "numpy"


def _text_table(header, rows) -> str:
    """Aligned columns: text left-aligned, numbers right-aligned."""
    cells = [list(header)] + [[_fmt(v) for v in row] for row in rows]
    numeric = [bool(rows) and all(_is_number(row[k]) or row[k] is None for row in rows) for k in range(len(header))]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric)).rstrip()
                     for r in cells)


def format_table(rows, columns=BENCH_COLUMNS, extra: int = 3) -> str:
    """Aligned text table of bench rows: the common columns plus a few family metrics.

    Examples
    --------
    >>> print(format_table([bench_row("f", "i", "m", "optimal", objective=1.5, seconds=0.25)]))
    family  instance  method  status   objective  bound  gap_to_optimum  relative_gap_to_optimum  seconds
    f       i         m       optimal        1.5      -               -                        -     0.25
    """
    if not rows:
        return "(no rows)"
    cols = list(columns)
    for row in rows:
        for key in row:
            if key not in cols and len(cols) < len(columns) + extra and not isinstance(row[key], (list, dict)):
                cols.append(key)
    return _text_table(cols, [[row.get(c) for c in cols] for row in rows])


#: rows of a probability table below this are summarized in human output (``--json`` keeps all)
NEGLIGIBLE_PROB = 1e-6


def _scalar(value) -> bool:
    return not isinstance(value, (list, tuple, dict)) and not (hasattr(value, "ndim") and value.ndim)


def _compact(value) -> str:
    """A nested value on one line: pairs as ``a-b``, lists space-separated, dicts as ``k=v``."""
    if _scalar(value):
        return _fmt(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())
    if all(_scalar(v) for v in value) and len(value) <= 4:
        return "-".join(_fmt(v) for v in value)
    return " ".join(_compact(v) for v in value)


def _rows_of(value):
    """(header, rows, notes) of a labelled value, or None when it is best printed on one line."""
    if isinstance(value, dict):
        if all(_scalar(v) for v in value.values()):
            return ["label", "value"], [[_compact(k) if isinstance(k, tuple) else k, v] for k, v in value.items()], []
        if all(isinstance(v, dict) for v in value.values()):
            cols = list(dict.fromkeys(c for v in value.values() for c in v))
            return (["label"] + cols, [[_compact(k) if isinstance(k, tuple) else k]
                                       + [v.get(c) if _scalar(v.get(c)) else _compact(v.get(c)) for c in cols]
                                       for k, v in value.items()], [])
        return None
    if not value:
        return None
    if all(isinstance(v, (list, tuple)) and all(_scalar(x) for x in v) for v in value):
        width = max(len(v) for v in value)
        return [""] * width, [list(v) + [None] * (width - len(v)) for v in value], []
    if all(isinstance(v, dict) for v in value):
        flat = []
        for row in value:
            nested = [k for k, v in row.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
            # cells stay raw here; format_output compacts only the rows it prints (a schedule has ~10^4)
            base = {k: v for k, v in row.items() if k not in nested}
            if len(nested) == 1:
                flat += [{**base, **inner} for inner in row[nested[0]]]
            else:
                flat.append({**base, **{k: f"[{len(row[k])} entries]" for k in nested}})
        notes = []
        if flat and all(isinstance(r.get("prob"), (int, float)) for r in flat):
            small = [r for r in flat if r["prob"] < NEGLIGIBLE_PROB]
            if small and len(small) < len(flat):
                flat = [r for r in flat if r["prob"] >= NEGLIGIBLE_PROB]
                total = sum(r["prob"] for r in small)
                notes.append(f"{len(small)} rows with prob < {NEGLIGIBLE_PROB:g} (total {total:.3g}) not shown")
        cols = list(dict.fromkeys(c for r in flat for c in r))
        return cols, [[r.get(c) for c in cols] for r in flat], notes
    return None


def format_output(out: dict, max_rows: int = 20) -> str:
    """Human-readable text of a command's JSON output: aligned summary lines, then one aligned table
    per labelled quantity (quantities with the same labels side by side), long tables cut at
    ``max_rows`` rows with a note (the ``--json`` output and ``-o FILE`` keep everything).

    Examples
    --------
    >>> print(format_output({"status": "optimal", "objective": 6.421707012345678,
    ...                      "rates": {"r0": 58.104431578550525, "r1": 58.1}, "fidelity": {"r0": 0.9112, "r1": 0.91},
    ...                      "werner": {"u1": 0.959438127}}))
    status     optimal
    objective  6.42171
    <BLANKLINE>
    label    rates  fidelity
    r0     58.1044    0.9112
    r1        58.1      0.91
    <BLANKLINE>
    label    werner
    u1     0.959438
    """
    scalars = [(k, v) for k, v in out.items() if _scalar(v)]
    width = max((len(k) for k, _ in scalars), default=0)
    parts = ["\n".join(f"{k.ljust(width)}  {_fmt(v)}".rstrip() for k, v in scalars)] if scalars else []
    groups: dict = {}
    for key, value in out.items():
        if _scalar(value):
            continue
        if isinstance(value, dict) and value and all(_is_number(v) or v is None for v in value.values()):
            groups.setdefault(("labels", tuple(map(str, value))), []).append(key)
        elif isinstance(value, dict) and value and all(_scalar(v) for v in value.values()):
            groups.setdefault(("record", key), []).append(key)
        else:
            groups.setdefault(("key", key), []).append(key)
    for (what, _), keys in groups.items():
        if what == "record":
            record = out[keys[0]]
            inner = max(len(str(k)) for k in record)
            parts.append(f"{keys[0]}:\n" + "\n".join(f"  {str(k).ljust(inner)}  {_fmt(v)}".rstrip()
                                                      for k, v in record.items()))
            continue
        if what == "labels":
            labels = list(out[keys[0]])
            header = ["label"] + keys
            rows = [[_compact(label) if isinstance(label, tuple) else label] + [out[k][label] for k in keys]
                    for label in labels]
            notes = []
        else:
            key = keys[0]
            table = _rows_of(out[key])
            value = out[key]
            if isinstance(value, list) and len(value) > 1 and all(
                    isinstance(v, list) and len(v) == len(value[0]) and all(_scalar(x) for x in v) for v in value):
                parts.append(f"{key}: [{len(value)} x {len(value[0])} matrix; --json has it]")
                continue
            if table is None:
                text = _compact(out[key])
                parts.append(f"{key}: {text if len(text) <= 200 else text[:200] + ' ... (--json has all)'}")
                continue
            header, rows, notes = table
            if header[0] in ("label", ""):
                header = [key] + header[1:]          # the quantity's name heads its label column
            else:
                notes = [f"{key}:"] + notes          # a table of records: its name above it
        more = len(rows) - max_rows
        title = [n for n in notes if n.endswith(":")]
        notes = [n for n in notes if not n.endswith(":")]
        if more > 0:
            notes.append(f"... {more} more rows (--json or -o FILE.json / FILE.csv has all)")
        shown = [[v if _scalar(v) else _compact(v) for v in row] for row in rows[:max_rows]]
        parts.append("\n".join(title + [_text_table(header, shown)] + notes))
    return "\n\n".join(parts)
