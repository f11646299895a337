"""The ``qnum`` command: solve, simulate and bench every problem family.

Invalid input exits with status 2 and a one-line message naming the field and value,
never a traceback. Solver trouble is reported as a status in the output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from qnum.errors import ScenarioError


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return _clean_float(float(obj))
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "value"):
        return obj.value
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def _clean_float(x: float):
    return x if math.isfinite(x) else None


def _clean(obj):
    """Replace non-finite floats by None so the output is strict JSON."""
    if isinstance(obj, float):
        return _clean_float(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.floating):
        return _clean_float(float(obj))
    return obj


def dump_json(obj) -> str:
    """Strict JSON text (NaN/inf become null)."""
    return json.dumps(_clean(obj), default=_json_default, allow_nan=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qnum", description="Optimal baselines and online-algorithm "
                                     "verification for quantum networks.")
    sub = parser.add_subparsers(dest="command", required=True)

    solve = sub.add_parser("solve", help="offline optimum of a scenario file, with a certified bound")
    solve.add_argument("file", help="scenario file (.json or .toml)")
    solve.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    solve.add_argument("--method", default="auto", help="solution method (family-specific; default auto)")
    solve.add_argument("--tol", type=float, default=1e-6, help="target relative gap (default 1e-6)")
    solve.add_argument("--time-limit", type=float, default=None, help="seconds")

    sim = sub.add_parser("simulate", help="run an online algorithm on a scenario file")
    sim.add_argument("file", help="scenario file (.json or .toml)")
    sim.add_argument("--policy", required=True, help="online policy (e.g. pf, greedy, rr)")
    sim.add_argument("--slots", type=int, default=100_000, help="time slots (default 100000)")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("--beta", type=float, default=None,
                     help="constant averaging step in (0, 1]; default: cumulative average")
    sim.add_argument("--hop-delay", type=int, default=None,
                     help="qnum: slots the classical messages take per link (default 0)")
    sim.add_argument("--pi-gain", type=float, default=None,
                     help="qnum: proportional gain of the link price controller")
    sim.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    bench = sub.add_parser("bench", help="every family's built-in instances: optimum vs online, table + plots")
    bench.add_argument("families", nargs="*", help="families to run (default: all)")
    bench.add_argument("--json", action="store_true", help="print a JSON list of rows on stdout")
    bench.add_argument("--out", default="qnum-bench", help="directory for plots (default ./qnum-bench)")
    bench.add_argument("--no-plots", action="store_true", help="do not write plots")
    bench.add_argument("--slots", type=int, default=100_000, help="online slots per run (default 100000)")
    bench.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    _add_sweep_parsers(sub)
    return parser


def _add_sweep_parsers(sub) -> None:
    """``qnum sweep`` and ``qnum plot`` (the sweep engine, :mod:`qnum.sweep`)."""
    from qnum.sweep.spec import __doc__ as sweep_format

    sweep = sub.add_parser("sweep", help="run a parameter sweep (resumable; local processes or Dask)",
                           description="Run every run of a sweep file; results go to DIR/runs.jsonl and "
                           "DIR/results.parquet. Re-running the same command resumes a killed sweep.\n\n"
                           + sweep_format.split("\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.add_argument("file", nargs="?", help="sweep file (.toml or .json)")
    sweep.add_argument("--out", help="results directory (required to run)")
    sweep.add_argument("--list-examples", action="store_true", help="print the shipped example names, one per line")
    sweep.add_argument("--example", help="run a shipped example sweep instead of FILE")
    sweep.add_argument("--executor", choices=["inprocess", "processes", "dask"], default=None,
                       help="where runs execute (default processes; dask with --scheduler/--dask-local)")
    sweep.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    sweep.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://host:port")
    sweep.add_argument("--dask-local", type=int, default=None, metavar="N", help="start a Dask LocalCluster of N workers")
    sweep.add_argument("--time-limit", type=float, default=None, help="seconds per run (over it: status timeout)")
    sweep.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bar on stderr (default: when stderr is a terminal)")

    plot = sub.add_parser("plot", help="summary table (mean, 95%% CI over seeds) and PNG plots of a sweep")
    plot.add_argument("dir", help="sweep results directory")
    plot.add_argument("--out", default=None, help="where to write summary.csv and plots (default DIR)")


def _cmd_sweep(args) -> int:
    from qnum.sweep import example_names, example_path, load_sweep
    from qnum.sweep.runner import make_executor, run_sweep

    if args.list_examples:
        print("\n".join(example_names()))
        return 0
    if (args.file is None) == (args.example is None):
        raise ScenarioError("FILE", args.file, "give a sweep file or --example NAME (one of them)")
    if not args.out:
        raise ScenarioError("--out", None, "required: the results directory")
    if args.time_limit is not None and not args.time_limit > 0:
        raise ScenarioError("--time-limit", args.time_limit, "must be > 0 seconds")
    spec = load_sweep(example_path(args.example) if args.example else args.file)
    executor = make_executor(args.executor or "processes", args.workers, args.scheduler, args.dask_local)
    try:
        frame = run_sweep(spec, args.out, executor, time_limit=args.time_limit, progress=args.progress)
    except KeyboardInterrupt:
        print(f"qnum sweep: interrupted; finished runs are kept in {args.out}/ -- run the same command to resume",
              file=sys.stderr)
        return 130
    failed = int((frame["status"] != "ok").sum()) if len(frame) else 0
    print(f"{len(frame)} runs ({failed} failed) in {args.out}/results.parquet")
    return 0


def _cmd_plot(args) -> int:
    from qnum.sweep.plot import plot_sweep

    paths = plot_sweep(args.dir, args.out)
    print(f"wrote {len(paths)} files: " + ", ".join(str(p) for p in paths))
    return 0


def _cmd_solve(args) -> dict:
    from qnum.families import family_for_kind
    from qnum.networks.io import read_scenario_data

    data = read_scenario_data(args.file)
    fam = family_for_kind(data["kind"])
    scenario = fam.scenario_from_dict(data)
    return fam.solve_json(scenario, {"method": args.method, "tol": args.tol, "time_limit": args.time_limit})


def _cmd_simulate(args) -> dict:
    from qnum.families import family_for_kind
    from qnum.networks.io import read_scenario_data

    if args.slots < 1:
        raise ScenarioError("--slots", args.slots, "must be >= 1")
    if args.beta is not None and not 0 < args.beta <= 1:
        raise ScenarioError("--beta", args.beta, "must lie in (0, 1]")
    data = read_scenario_data(args.file)
    fam = family_for_kind(data["kind"])
    if args.policy not in fam.POLICIES:
        raise ScenarioError("--policy", args.policy, f"kind {fam.KIND!r} has policies {list(fam.POLICIES)}")
    scenario = fam.scenario_from_dict(data)
    options = {"slots": args.slots, "seed": args.seed, "beta": args.beta}
    # family-specific flags are never silently ignored
    if args.beta is not None and fam.KIND != "pumping":
        raise ScenarioError("--beta", args.beta, f"applies to kind 'pumping' only, not {fam.KIND!r}")
    for flag, key, value in (("--hop-delay", "hop_delay", args.hop_delay), ("--pi-gain", "pi_gain", args.pi_gain)):
        if value is not None:
            if fam.KIND != "qnum":
                raise ScenarioError(flag, value, f"applies to kind 'qnum' only, not {fam.KIND!r}")
            options[key] = value
    return fam.simulate_json(scenario, args.policy, options)


def _cmd_bench(args) -> list[dict]:
    from qnum.bench.report import format_table
    from qnum.families import family, family_names

    names = args.families or family_names()
    modules = [family(n) for n in names]  # validates every name before any run starts
    options = {"out": None if args.no_plots else args.out, "slots": args.slots, "seed": args.seed,
               "progress": not args.json}
    rows = []
    for module in modules:
        rows.extend(module.bench_rows(options))
    if not args.json:
        print(format_table(rows))
        if options["out"]:
            print(f"\nplots written under {options['out']}/")
    return rows


def main(argv=None) -> int:
    """Entry point of the ``qnum`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "plot":
            return _cmd_plot(args)
        if args.command == "solve":
            out = _cmd_solve(args)
        elif args.command == "simulate":
            out = _cmd_simulate(args)
        else:
            out = _cmd_bench(args)
            if not args.json:
                return 0
    except ScenarioError as exc:
        print(f"qnum: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(dump_json(out))
    else:
        _print_human(out)
    return 0


def _print_human(out: dict) -> None:
    for key, value in out.items():
        if isinstance(value, (list, dict)) and len(value) > 12:
            print(f"{key}: [{len(value)} entries; use --json for all]")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
