"""Sweep results on disk: an append-only, fsynced journal and an atomically written table.

Each finished run is one JSON line in ``DIR/runs.jsonl``, flushed and fsynced before the
next is started, so a sweep killed at any moment loses at most the runs in flight. The
reader ignores a truncated last line (and the writer cuts it off before appending), and
keeps the last row of a run id (a run retried with ``--retry-failed`` replaces its failure).
``DIR/results.parquet`` (``results.csv`` without pyarrow) is the consolidated table, written
to a temporary file and renamed into place.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

JOURNAL = "runs.jsonl"
PARQUET = "results.parquet"
CSV = "results.csv"


class Journal:
    """Append-only run journal under a directory.

    Examples
    --------
    >>> import tempfile
    >>> j = Journal(tempfile.mkdtemp())
    >>> j.append({"run_id": "a", "index": 0, "x": 1.0})
    >>> _ = open(j.path, "a").write('{"run_id": "b", "ind')   # a half-written line
    >>> [r["run_id"] for r in j.read()]
    ['a']
    >>> j.repair(); j.append({"run_id": "c", "index": 1}); [r["run_id"] for r in j.read()]
    ['a', 'c']
    >>> j.append({"run_id": "a", "index": 0, "x": 2.0}); [(r["run_id"], r.get("x")) for r in j.read()]
    [('a', 2.0), ('c', None)]
    """

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / JOURNAL
        self._fh = None

    def read(self) -> list[dict]:
        """Complete rows: the last row of each run id, at the place of its first, in file order."""
        if not self.path.exists():
            return []
        rows, place = [], {}
        with open(self.path, "rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # truncated last line of a killed writer
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                run_id = row.get("run_id")
                if run_id in place:
                    rows[place[run_id]] = row
                else:
                    place[run_id] = len(rows)
                    rows.append(row)
        return rows

    def repair(self) -> None:
        """Cut a truncated last line so that new lines start on a line boundary."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as fh:
            data = fh.read()
            end = data.rfind(b"\n") + 1
            if end != len(data):
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())

    def append(self, row: dict) -> None:
        """Write one row as a JSON line; flushed and fsynced before returning."""
        if self._fh is None:
            self._fh = open(self.path, "ab")
        self._fh.write((json.dumps(_clean(row), allow_nan=False) + "\n").encode())
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _clean(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


_ROW_KEYS = ("status", "error", "solver_status", "solver", "wall_s", "family", "action", "policy", "qnum_version")


def rows_to_frame(rows: list[dict]):
    """Rows (journal form) -> DataFrame, sorted by run index, params and metrics as columns."""
    import pandas as pd

    flat = []
    for row in rows:
        out = {"run_id": row["run_id"], "index": row.get("index")}
        out.update(row.get("params", {}))
        out["seed"] = row.get("seed")
        for key, value in row.get("metrics", {}).items():  # a metric named like a parameter: result_<name>
            out[f"result_{key}" if key in out or key in _ROW_KEYS else key] = value
        for key in _ROW_KEYS:
            out[key] = row.get(key)
        flat.append(out)
    frame = pd.DataFrame(flat)
    for col in frame.columns:  # mixed-type columns (alpha = [1, "maxmin"], list values) as text
        if frame[col].dtype == object:
            kinds = {("num" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__)
                     for v in frame[col] if v is not None}
            if len(kinds) > 1 or kinds & {"list", "dict"}:
                frame[col] = [v if v is None or isinstance(v, str) else json.dumps(v) for v in frame[col]]
    if len(frame):
        frame = frame.sort_values("index", kind="stable").reset_index(drop=True)
    return frame


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def consolidate(directory):
    """Write ``results.parquet`` (or ``results.csv``) from the journal, atomically; return the frame."""
    directory = Path(directory)
    frame = rows_to_frame(Journal(directory).read())
    try:
        import pyarrow  # noqa: F401

        _atomic_write(directory / PARQUET, lambda p: frame.to_parquet(p, index=False))
    except Exception as exc:  # noqa: BLE001 - no pyarrow, or a column it cannot type: CSV instead
        import sys

        print(f"qnum sweep: warning: writing {CSV} instead of {PARQUET} ({type(exc).__name__}: {exc})",
              file=sys.stderr)
        for leftover in directory.glob(f".{PARQUET}.*.tmp"):
            leftover.unlink(missing_ok=True)
        _atomic_write(directory / CSV, lambda p: frame.to_csv(p, index=False))
    return frame


def load_results(directory):
    """All finished runs of a sweep directory as a pandas DataFrame (one row per run).

    Reads the journal (the source of truth, so a killed sweep's finished runs are
    included) and refreshes ``results.parquet``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> Journal(d).append({"run_id": "a", "index": 0, "params": {"capacity": 2}, "seed": 1,
    ...                    "metrics": {"utility": 3.5}, "status": "ok"})
    >>> df = load_results(d)
    >>> df[["capacity", "seed", "utility", "status"]].values.tolist()
    [[2, 1, 3.5, 'ok']]
    """
    directory = Path(directory)
    if not (directory / JOURNAL).exists():
        from qnum.errors import ScenarioError

        raise ScenarioError("directory", str(directory), f"holds no sweep results ({JOURNAL})")
    return consolidate(directory)
