"""``qnum bench``: every family's built-in instances, the optimum against the online policies.

Family-agnostic: each family plug-in says which instances, alternative methods and policies
to run (:mod:`qnum.families`); every row's ``gap_to_optimum`` is the one definition of
:mod:`qnum.bench.report` — the optimum's objective minus the row's objective, both the
family's objective — and ``relative_gap_to_optimum`` divides it by ``|optimum|``.
"""

from __future__ import annotations

import os
import sys

from qnum.bench.report import compare
from qnum.bench.table import bench_row
from qnum.solution import finite_or_none


def run_bench(plugins, solve, simulate, *, slots: int = 100_000, seed: int = 1, out=None, progress=False) -> list:
    """Rows for every instance of every plug-in: ``optimum`` (method auto), the alternative
    methods, and every bench policy against it; plots under ``out`` when given.

    ``solve`` and ``simulate`` are :func:`qnum.solve` and :func:`qnum.simulate` (passed in, so
    the bench layer imports no family).
    """
    rows = []
    for plugin in plugins:
        kind = plugin.KIND
        for name, scenario in plugin.bench_instances().items():
            if progress:
                print(f"qnum bench: {kind} {name}", file=sys.stderr)
            opt = solve(scenario)
            rows.append(_solution_row(plugin, scenario, name, "optimum", opt, opt))
            for method in plugin.BENCH_METHODS:
                rows.append(_solution_row(plugin, scenario, name, method, solve(scenario, method), opt))
            reports = []
            for policy in plugin.BENCH_POLICIES:
                trace = simulate(scenario, policy, **plugin.BENCH_SIMULATE_OPTIONS(slots, seed))
                report = compare(trace, opt)
                reports.append(report)
                rows.append(bench_row(kind, name, policy, trace.status, objective=trace.final_objective,
                                      gap_to_optimum=finite_or_none(report.final_gap),
                                      relative_gap_to_optimum=finite_or_none(report.final_relative_gap),
                                      seconds=trace.seconds, distance=report.final_distance,
                                      violation=trace.violation, **_metrics(plugin, scenario, trace)))
            if out and reports:
                _plot(reports, os.path.join(out, f"{kind}-{name}.png"))
    return rows


def _solution_row(plugin, scenario, name, method, sol, opt) -> dict:
    gap = None
    relative = None
    if sol.objective is not None and opt.objective is not None:
        gap = opt.objective - sol.objective
        relative = gap / abs(opt.objective) if opt.objective else gap
    return bench_row(plugin.KIND, name, method, sol.status, objective=sol.objective, bound=sol.bound,
                     gap_to_optimum=finite_or_none(gap), relative_gap_to_optimum=finite_or_none(relative),
                     seconds=sol.seconds, solver=sol.solver, **_metrics(plugin, scenario, sol))


def _metrics(plugin, scenario, result) -> dict:
    extra = getattr(plugin, "bench_metrics", None)
    return dict(extra(scenario, result)) if extra is not None else {}


def _plot(reports, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    for report in reports:
        report.plot(ax=ax)
    fig.suptitle(os.path.basename(path)[:-4] + ": online policies vs the optimum", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
