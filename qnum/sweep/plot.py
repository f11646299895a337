"""Sweep summaries: mean and 95% confidence intervals over seeds, as tables and PNG plots."""

from __future__ import annotations

import math
from pathlib import Path

#: row columns that are neither parameters nor metrics
META = ("run_id", "index", "seed", "status", "error", "solver_status", "solver", "wall_s", "family", "action",
        "policy", "qnum_version")


def _parameters(directory, frame) -> list[str]:
    import json

    meta = Path(directory) / "sweep.json"
    if meta.exists():
        return [p for p in json.loads(meta.read_text()).get("parameters", []) if p in frame.columns]
    return []


def summarize(frame, parameters):
    """Mean, std, count and 95% CI half-width (Student t) of each metric per parameter point.

    Only runs with status ``"ok"`` enter the statistics (``runs``); ``failed`` counts the others.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"run_id": list("abcd"), "capacity": [1, 1, 2, 2], "seed": [0, 1, 0, 1],
    ...                    "utility": [1.0, 3.0, 5.0, 5.0], "status": ["ok"] * 4})
    >>> s = summarize(df, ["capacity"])
    >>> s[["capacity", "utility_mean", "utility_n"]].values.tolist()
    [[1.0, 2.0, 2.0], [2.0, 5.0, 2.0]]
    >>> round(float(s["utility_ci95"][0]), 3)
    12.706
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    metrics = [c for c in frame.columns if c not in META and c not in parameters
               and pd.api.types.is_numeric_dtype(frame[c])]
    groups = [((), frame)] if not parameters else frame.groupby(parameters, dropna=False, sort=True)
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["status"] == "ok"] if "status" in group else group
        row = dict(zip(parameters, key))
        row["runs"] = len(ok)
        row["failed"] = len(group) - len(ok)
        for m in metrics:
            x = ok[m].astype(float).dropna().to_numpy()
            n = len(x)
            mean = float(np.mean(x)) if n else math.nan
            std = float(np.std(x, ddof=1)) if n > 1 else math.nan
            half = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
            row.update({f"{m}_mean": mean, f"{m}_std": std, f"{m}_n": n, f"{m}_ci95": half})
        rows.append(row)
    out = pd.DataFrame(rows)
    return out


def plot_sweep(directory, out=None) -> list[Path]:
    """Write ``summary.csv`` and one PNG per metric under ``out`` (default ``DIR``); return the paths.

    Each plot shows a metric's mean with its 95% CI against the first numeric parameter,
    one line per combination of the other parameters.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from qnum.sweep.store import load_results

    frame = load_results(directory)
    params = _parameters(directory, frame)
    summary = summarize(frame, params)
    out = Path(out or directory)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "summary.csv"]
    summary.to_csv(written[0], index=False)
    metrics = [c[:-5] for c in summary.columns if c.endswith("_mean")]
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(summary[p])]
    x = numeric[0] if numeric else None
    others = [p for p in params if p != x]
    for m in metrics:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        groups = summary.groupby(others, sort=True) if others else [((), summary)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{k}={v}" for k, v in zip(others, key)) or None
            xs = g[x] if x else range(len(g))
            ax.errorbar(xs, g[f"{m}_mean"], yerr=g[f"{m}_ci95"].fillna(0), marker="o", capsize=3, label=label)
        ax.set_xlabel(x or "point")
        ax.set_ylabel(f"{m} (mean, 95% CI)")
        if others and len(summary) > 1:
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"{m}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
