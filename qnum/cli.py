"""The ``qnum`` command: solve, simulate, compare and bench every problem family; run sweeps.

The command knows no family by name: methods, policies and options come from the family
registry (:mod:`qnum.families`). Invalid input exits with status 2 and one line naming the
field and the value, never a traceback; solver trouble is a status in the output.

Conventions: ``-v`` / ``-vv`` log solver progress (INFO, then DEBUG) of the ``qnum`` logger on
stderr, ``-q`` keeps warnings only (and no elapsed-time line or progress bar); stdout holds the
result alone (``--json``: one JSON document with ``schema_version`` and an ``environment``
block); ``-o FILE.json`` / ``-o FILE.csv`` writes the full output / the labelled values (or the
time series) to a file; ``qnum info`` lists versions and solvers; ``qnum schema`` prints JSON
Schemas of the scenario files and outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
from pathlib import Path

from qnum.errors import InputError, OptionError
from qnum.solution import finite_or_none


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error contract (``qnum: error: ...``, exit 2)."""

    def error(self, message):  # noqa: D401 - argparse hook
        self.exit(2, f"qnum: error: {message}\n")


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return finite_or_none(float(obj))
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "value"):
        return obj.value
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")



def label_text(label) -> str:
    """A label as the JSON and CSV outputs spell it: a pair ``(0, 1)`` is ``"0-1"``, ``("u1", "u3")`` ``"u1-u3"``.

    Examples
    --------
    >>> label_text((0, 1)), label_text(("u1", "u3")), label_text("route0"), label_text(7)
    ('0-1', 'u1-u3', 'route0', '7')
    """
    if isinstance(label, str):
        return label
    if isinstance(label, tuple):
        return "-".join(map(str, label))
    if label is None or isinstance(label, (bool, float)):
        return json.dumps(label)            # true / null / 1.5: as the json encoder spells such keys
    return str(label)


def _clean(obj):
    """Replace non-finite floats by None and tuple keys by strings so the output is strict JSON."""
    import numpy as np

    if isinstance(obj, float):
        return finite_or_none(obj)
    if isinstance(obj, dict):
        return {label_text(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.floating):
        return finite_or_none(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def dump_json(obj) -> str:
    """Strict JSON text (NaN/inf become null).

    Examples
    --------
    >>> dump_json({"a": float("nan"), (0, 1): 2})
    '{"a": null, "0-1": 2}'
    """
    try:
        # most outputs are plain already: the C encoder, strict about NaN and about keys, is the fast path
        return json.dumps(obj, default=_json_default, allow_nan=False)
    except (TypeError, ValueError):            # a tuple key or a non-finite float somewhere: clean, then encode
        return json.dumps(_clean(obj), default=_json_default, allow_nan=False)


# -- options from the registry ------------------------------------------------------------------

def _registry():
    from qnum.families import family, kinds

    return [family(k) for k in kinds()]


def _simulate_options(plugins) -> dict:
    """name -> (Option, [kinds]) over every family's CLI-typed simulate options."""
    out = {}
    for plugin in plugins:
        for name, option in plugin.SIMULATE_OPTIONS.items():
            if option.type == "object":
                continue
            out.setdefault(name, (option, []))[1].append(plugin.KIND)
    return out


def _convert(option, text):
    """CLI text -> the option's Python type (range checks happen in qnum.options)."""
    if option.type == "int":
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise OptionError(option.flag, text, "must be an integer") from None
            return value
    if option.type == "float":
        try:
            return float(text)
        except ValueError:
            raise OptionError(option.flag, text, "must be a number") from None
    if option.type == "bool":
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise OptionError(option.flag, text, "must be true or false")
    return text


def _add_solve_arguments(parser, plugins) -> None:
    methods = "; ".join(f"{p.KIND}: {', '.join(p.METHODS)}" for p in plugins)
    parser.add_argument("--method", default="auto", help=f"solution method (default auto). {methods} "
                        "(described below)")
    parser.add_argument("--tol", default=None, help="target relative gap in (0, 1) (default: the method's own)")
    parser.add_argument("--time-limit", dest="time_limit", default=None,
                        help="seconds; on expiry the best point found is returned with its honest bound and "
                             "status time_limit")
    parser.add_argument("--solver", default=None, metavar="NAME",
                        help="the solver a method hands its model to (e.g. a CVXPY solver name); only for "
                             "methods that take the solver option")
    parser.add_argument("--solver-option", dest="solver_option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option of the method (repeatable); VALUE is read as a JSON number, true/false "
                             "or null, else as a string")


def _entry(name: str, text: str) -> str:
    """One ``--help`` entry: the name, then its description wrapped at 100 columns."""
    import textwrap

    return textwrap.fill(text, width=100, initial_indent=f"    {name:<18} ", subsequent_indent=" " * 23)


def _methods_epilog(plugins) -> str:
    lines = ["methods by kind (--method; the options a method takes, for --solver / --solver-option, in "
             "brackets):"]
    for p in plugins:
        lines.append(f"  {p.KIND}:")
        for name, method in p.METHODS.items():
            opts = ", ".join(o.name for o in method.solver_options)
            lines.append(_entry(name, method.description + (f" [{opts}]" if opts else "")))
    return "\n".join(lines)


def _policies_epilog(plugins) -> str:
    lines = ["policies by kind (--policy):"]
    for p in plugins:
        lines.append(f"  {p.KIND}:")
        lines += [_entry(name, policy.description) for name, policy in p.POLICIES.items()]
        lines.append(_entry("(your own)", f"path/to/file.py:NAME or package.module:NAME, e.g. {p.EXAMPLE_POLICY}"))
    return "\n".join(lines)


def _add_common_arguments(parser, top=False) -> None:
    """``-v`` / ``-q``: on the top-level parser and on every command (``qnum solve f -v`` works too)."""
    default = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("-v", "--verbose", action="count", help="log progress on stderr: -v INFO (solver "
                        "progress), -vv DEBUG", **({"default": 0} if top else default))
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings only on stderr (no progress line)",
                        **({"default": False} if top else default))


def _add_input_arguments(parser) -> None:
    parser.add_argument("file", help="scenario file (.json, .toml or .npz), or a network (.graphml, .gml, .csv, "
                        "topohub:KEY, nsfnet, usnet) with --kind")
    parser.add_argument("--kind", default=None, help="the scenario kind, for files that do not say it (a "
                        "topology file)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="also write the output to FILE: .json the full JSON output, .csv the labelled "
                             "values (solve) or the time series (simulate, compare)")


def _add_simulate_arguments(parser, plugins, required=True) -> None:
    policies = "; ".join(f"{p.KIND}: {', '.join(p.POLICIES)}" for p in plugins)
    parser.add_argument("--policy", required=required,
                        help=f"online policy: a built-in name ({policies}) or your own as "
                             "path/to/file.py:NAME or package.module:NAME")
    for name, (option, kinds) in _simulate_options(plugins).items():
        parser.add_argument(option.flag, dest=f"sim_{name}", default=None, metavar=option.type.upper(),
                            help=f"{option.help} (kind {', '.join(kinds)})")


def _parser() -> argparse.ArgumentParser:
    import qnum

    plugins = _registry()
    parser = _Parser(prog="qnum", description="Optimal baselines and online-algorithm verification for quantum "
                     "networks.")
    parser.add_argument("--version", action="version", version=f"qnum {qnum.__version__}")
    parser.add_argument("--max-memory-gb", dest="max_memory_gb", default=None, metavar="GB",
                        help="memory one request may use before it is refused (default 4; also "
                             "QNUM_MAX_MEMORY_GB); see qnum.limits")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an internal error (also: environment QNUM_DEBUG=1)")
    _add_common_arguments(parser, top=True)
    sub = _Subparsers(parser.add_subparsers(dest="command", required=True, parser_class=_Parser))
    raw = argparse.RawDescriptionHelpFormatter

    solve = sub.add_parser("solve", help="offline optimum of a scenario file, with a certified bound",
                           epilog=_methods_epilog(plugins), formatter_class=raw)
    _add_input_arguments(solve)
    _add_solve_arguments(solve, plugins)

    sim = sub.add_parser("simulate", help="run an online policy (built-in or your own) on a scenario file",
                         epilog=_policies_epilog(plugins), formatter_class=raw)
    _add_input_arguments(sim)
    _add_simulate_arguments(sim, plugins)

    comp = sub.add_parser("compare", help="an online policy against the certified optimum: gap over time",
                          epilog=_policies_epilog(plugins) + "\n\n" + _methods_epilog(plugins), formatter_class=raw)
    _add_input_arguments(comp)
    comp.add_argument("--plot", default=None, metavar="PNG", help="write the gap plot to this file")
    _add_simulate_arguments(comp, plugins)
    _add_solve_arguments(comp, plugins)

    info = sub.add_parser("info", help="versions of qnum, Python and the solver packages; solvers available")
    info.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    schema = sub.add_parser("schema", help="JSON Schema of a scenario kind's file, or of an output (--output)")
    schema.add_argument("kind", nargs="?", help=f"scenario kind: {', '.join(p.KIND for p in plugins)}")
    schema.add_argument("--output", dest="schema_output", default=None,
                        help="an output instead: solution, trace, report, bench, sweep-row")

    bench = sub.add_parser("bench", help="every family's built-in instances: optimum vs online, table + plots")
    every = ", ".join(p.KIND for p in plugins)
    bench.add_argument("families", nargs="*", help=f"kinds to run (default: all of {every})")
    bench.add_argument("--json", action="store_true", help="print a JSON list of rows on stdout")
    bench.add_argument("--out", default="qnum-bench", help="directory for plots (default ./qnum-bench)")
    bench.add_argument("--no-plots", action="store_true", help="do not write plots")
    bench.add_argument("--slots", default=None, help="slots of slotted online runs (default 100000; kinds "
                       "whose bench runs take slots only)")
    bench.add_argument("--seed", default=None, help="seed of random online runs (default 1; kinds whose bench "
                       "runs take a seed only)")
    _add_sweep_parsers(sub)
    return parser


class _Subparsers:
    """``add_subparsers``' action with ``-v`` / ``-q`` added to every command."""

    def __init__(self, action):
        self.action = action

    def add_parser(self, *args, **kwargs):
        parser = self.action.add_parser(*args, **kwargs)
        _add_common_arguments(parser)
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
    sweep.add_argument("--dry-run", action="store_true",
                       help="validate the sweep (and build its first scenario), print the number of runs, run none")
    sweep.add_argument("--example", help="run a shipped example sweep instead of FILE")
    sweep.add_argument("--executor", choices=["inprocess", "processes", "dask"], default=None,
                       help="where runs execute (default processes; dask with --scheduler/--dask-local)")
    sweep.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    sweep.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://host:port")
    sweep.add_argument("--dask-local", type=int, default=None, metavar="N",
                       help="start a Dask LocalCluster of N workers")
    sweep.add_argument("--worker-timeout", type=float, default=None, metavar="S",
                       help="Dask: seconds to wait for a worker when there is none (at the start, or all lost "
                            "mid-sweep) before stopping (default 60); finished runs are kept")
    sweep.add_argument("--retry-failed", action="store_true",
                       help="on resume, run again the runs recorded as error or timeout")
    sweep.add_argument("--force", action="store_true",
                       help="run even when --out holds runs of another sweep (refused otherwise)")
    sweep.add_argument("--time-limit", type=float, default=None, help="seconds per run (over it: status timeout)")
    sweep.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bar on stderr (default: when stderr is a terminal)")

    plot = sub.add_parser("plot", help="summary table (mean, 95%% CI over seeds) and PNG plots of a sweep")
    plot.add_argument("dir", help="sweep results directory")
    plot.add_argument("--out", default=None, help="where to write summary.csv and plots (default DIR)")


# -- commands -----------------------------------------------------------------------------------

def _number(flag, text, kind):
    if text is None:
        return None
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise OptionError(flag, text, f"must be {'an integer' if kind == 'int' else 'a number'}") from None


def _load(path, kind=None):
    from qnum.api import load_scenario
    from qnum.families import family_of

    scenario = load_scenario(path, kind=kind)          # an unknown kind is refused there, naming the kinds
    return scenario, family_of(scenario)


def solver_option_value(text: str):
    """The value of ``--solver-option KEY=VALUE``: a JSON number, true/false or null, else the string.

    Examples
    --------
    >>> solver_option_value("3"), solver_option_value("1e-8"), solver_option_value("true")
    (3, 1e-08, True)
    >>> solver_option_value("CLARABEL"), solver_option_value('"3"')
    ('CLARABEL', '3')
    """
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, (dict, list)) or (isinstance(value, float) and not math.isfinite(value)):
        return text
    return value


def _solver_options(args) -> dict:
    options = {}
    if getattr(args, "solver", None) is not None:
        options["solver"] = args.solver
    for item in getattr(args, "solver_option", []):
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise OptionError("--solver-option", item, "must be KEY=VALUE")
        key = key.strip().replace("-", "_")
        if key in ("tol", "time_limit", "method"):
            raise OptionError("--solver-option", item, f"give {key} as --{key.replace('_', '-')}")
        if key in options:
            raise OptionError("--solver-option", item, f"{key} is given twice")
        options[key] = solver_option_value(text)
    return options


def _solve_arguments(args):
    """(method, tol, time_limit, solver options) of the command line, as qnum.solve takes them."""
    return (args.method, _number("--tol", args.tol, "float"), _number("--time-limit", args.time_limit, "float"),
            _solver_options(args))


def _solve(args, scenario):
    from qnum.api import solve

    method, tol, time_limit, options = _solve_arguments(args)
    return solve(scenario, method, tol=tol, time_limit=time_limit, **options)


def _simulate(args, scenario, plugin):
    from qnum.api import resolve_policy, simulate

    specs = plugin.SIMULATE_OPTIONS
    options = {}
    for key, value in vars(args).items():
        if not key.startswith("sim_") or value is None:
            continue
        name = key[4:]
        if name not in specs:
            flag = "--" + name.replace("_", "-")
            raise OptionError(flag, value, f"not an option of kind {plugin.KIND!r}; its options: "
                              f"{', '.join('--' + n.replace('_', '-') for n in specs) or 'none'}")
        options[name] = _convert(specs[name], value)
    return simulate(scenario, resolve_policy(args.policy), **options)


def _cmd_solve(args):
    scenario, plugin = _load(args.file, args.kind)
    solution = _solve(args, scenario)
    return plugin.solution_json(scenario, solution), solution.to_frame


def _cmd_simulate(args):
    scenario, plugin = _load(args.file, args.kind)
    trace = _simulate(args, scenario, plugin)
    return plugin.trace_json(scenario, trace), trace.to_frame


def _cmd_compare(args):
    from qnum.api import compare
    from qnum.options import check_solve_options

    scenario, plugin = _load(args.file, args.kind)
    method, tol, time_limit, options = _solve_arguments(args)
    check_solve_options(plugin.KIND, plugin.METHODS, method, tol, time_limit, options)   # before the simulation
    trace = _simulate(args, scenario, plugin)       # a bad policy or option fails before the solve
    solution = _solve(args, scenario)
    report = compare(trace, solution)
    if args.plot:
        _save_plot(report.plot(), args.plot)
    return {**report.to_dict(), "solution": solution.to_dict(), "trace": trace.to_dict()}, report.to_frame


#: the formats of ``-o FILE``, by extension
OUTPUT_FORMATS = {".json": "the full JSON output", ".csv": "the labelled values (solve) or the time series"}


def _check_output_path(path):
    """``-o FILE``'s format from its extension; an unknown one is refused before anything runs."""
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise OptionError("-o", path, f"unknown extension {suffix or '(none)'!r}: use .json (the full output) "
                          "or .csv (the labelled values or time series)")
    target = Path(path)
    if target.is_dir():
        raise OptionError("-o", path, "is a directory: name a file")
    if not target.parent.is_dir():
        # refused before a possibly long solve, not after it
        raise OptionError("-o", path, f"no directory {str(target.parent)!r} to write into")
    return suffix


def _write_output(path, suffix, document, frame) -> None:
    try:
        if suffix == ".json":
            Path(path).write_text(dump_json(document) + "\n", encoding="utf-8")
        else:
            table = frame()
            if table.index.name is not None:
                table.index = table.index.map(label_text)          # the labels as the JSON output spells them
            table.to_csv(path, index=table.index.name is not None)
    except OSError as exc:
        raise OptionError("-o", path, f"cannot write the file: {exc.strerror or exc}") from None


def with_provenance(out):
    """A JSON output with ``schema_version`` first and the ``environment`` block last.

    Examples
    --------
    >>> doc = with_provenance({"status": "optimal"})
    >>> list(doc)[0], doc["status"], sorted(doc["environment"])[:2]
    ('schema_version', 'optimal', ['clarabel', 'cvxpy'])
    """
    from qnum.environment import environment
    from qnum.schema import SCHEMA_VERSION

    if isinstance(out, list):
        return {"schema_version": SCHEMA_VERSION, "rows": out, "environment": environment()}
    return {"schema_version": SCHEMA_VERSION, **out, "environment": environment()}


def _cmd_info(args) -> dict:
    from qnum.environment import backends, environment

    return {**environment(), "solvers": backends()}


def _print_info(out: dict) -> None:
    from qnum.bench.table import format_number

    solvers = out["solvers"]
    width = max(len(k) for k in out)
    for key, value in out.items():
        if key != "solvers":
            print(f"{key.ljust(width)}  {format_number(value) if value is not None else 'not installed'}")
    print(f"\nCVXPY solvers installed: {', '.join(solvers['cvxpy']) or 'none'}")
    print(f"Pyomo solvers available: {', '.join(solvers['pyomo']) or 'none'}")


def _cmd_schema(args) -> int:
    from qnum.schema import output_schema, scenario_schema

    if (args.kind is None) == (args.schema_output is None):
        raise OptionError("KIND", args.kind, "give a scenario kind or --output NAME (one of them)")
    schema = scenario_schema(args.kind) if args.kind is not None else output_schema(args.schema_output)
    print(json.dumps(schema, indent=2))
    return 0


def _save_plot(fig, path) -> None:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=110)
    except (OSError, ValueError) as exc:
        raise OptionError("--plot", path, f"cannot write the plot: {exc}") from None
    finally:
        plt.close(fig)


def _cmd_bench(args) -> list[dict]:
    from qnum.api import simulate, solve
    from qnum.bench.run import run_bench
    from qnum.bench.table import format_table
    from qnum.families import family

    plugins = [family(k) for k in (args.families or _kinds())]   # every name checked before any run
    slots = _number("--slots", args.slots or "100000", "int")
    seed = _number("--seed", args.seed or "1", "int")
    if slots < 1:
        raise OptionError("--slots", slots, "must be an integer >= 1")
    for flag, key, given in (("--slots", "slots", args.slots), ("--seed", "seed", args.seed)):
        if given is not None and not any(key in p.BENCH_SIMULATE_OPTIONS(slots, seed) for p in plugins):
            raise OptionError(flag, given, f"no bench run of kind {', '.join(p.KIND for p in plugins)} takes it")
    out = None if args.no_plots else args.out
    rows = run_bench(plugins, solve, simulate, slots=slots, seed=seed, out=out,
                     progress=not (args.json or args.quiet))
    if not args.json:
        print(format_table(rows))
        if out:
            print(f"\nplots written under {out}/")
    return rows


def _kinds():
    from qnum.families import kinds

    return kinds()


def _cmd_sweep(args) -> int:
    from qnum.sweep import example_names, example_path, load_sweep
    from qnum.sweep.runner import SweepStopped, make_executor, run_sweep

    if args.list_examples:
        print("\n".join(example_names()))
        return 0
    if (args.file is None) == (args.example is None):
        raise OptionError("FILE", args.file, "give a sweep file or --example NAME (one of them)")
    if args.dry_run:
        spec = load_sweep(example_path(args.example) if args.example else args.file)
        print(f"{len(spec.runs())} runs; none run (--dry-run)")
        return 0
    if not args.out:
        raise OptionError("--out", None, "required: the results directory")
    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise OptionError("--time-limit", args.time_limit, "must be a finite number > 0 (seconds)")
    spec = load_sweep(example_path(args.example) if args.example else args.file)
    executor = make_executor(args.executor or "processes", args.workers, args.scheduler, args.dask_local,
                             args.worker_timeout)
    try:
        frame = run_sweep(spec, args.out, executor, time_limit=args.time_limit, progress=args.progress,
                          force=args.force, retry_failed=args.retry_failed)
    except SweepStopped as exc:
        print(f"qnum sweep: stopped: {exc}", file=sys.stderr)
        return 1
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


_COMMANDS = {"solve": _cmd_solve, "simulate": _cmd_simulate, "compare": _cmd_compare}


def main(argv=None) -> int:
    """Entry point of the ``qnum`` command; returns the exit status.

    0 success; 2 invalid input (one line ``qnum: error: field = value: problem`` on stderr);
    1 an internal error (one line ``qnum: internal error: ...``; the traceback with
    ``--debug`` or ``QNUM_DEBUG=1``), or a sweep stopped because its Dask workers or
    scheduler are gone (``qnum sweep: stopped: ...``; finished runs kept); 130 interrupted;
    141 the reader of stdout went away (``qnum ... | head``), quietly.
    """
    args = _parser().parse_args(argv)
    handler = _configure_logging(args.verbose, args.quiet)
    try:
        return _run(args)
    except InputError as exc:
        print(f"qnum: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qnum: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our stdout went away (`qnum ... | head`): stop quietly, as a Unix filter does
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - the one place every other failure (MemoryError too) becomes exit 1
        return _internal_error(exc, args.debug)
    finally:
        logger = logging.getLogger("qnum")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def _configure_logging(verbose: int, quiet: bool) -> logging.Handler:
    """The ``qnum`` logger to stderr: WARNING by default and with ``-q``, INFO with ``-v``, DEBUG with ``-vv``."""
    level = logging.WARNING if quiet or not verbose else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("qnum %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("qnum")
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def _internal_error(exc: BaseException, debug: bool) -> int:
    import os
    import traceback

    if debug or os.environ.get("QNUM_DEBUG", "") not in ("", "0"):
        traceback.print_exception(exc, file=sys.stderr)
    text = " ".join(str(exc).split())[:300] or "(no message)"
    what = "out of memory" if isinstance(exc, MemoryError) else type(exc).__name__
    print(f"qnum: internal error: {what}: {text} (this is a bug in qnum: please report it with the input; "
          "--debug prints the traceback)", file=sys.stderr)
    return 1


class elapsed_line:  # noqa: N801 - used as a context manager, like contextlib's
    """Context: on a terminal, one self-erasing stderr line with the elapsed time of a long command.

    Shown only when ``stream`` is a TTY, from ``after`` seconds on, rewritten every ``every``
    seconds and erased at the end; stdout is never touched (``--json`` stays one document).
    The families report no fraction done, so the line tells that the command is alive and
    how long it has run, not how much is left.

    Examples
    --------
    >>> import io, time
    >>> class Tty(io.StringIO):
    ...     def isatty(self):
    ...         return True
    >>> err = Tty()
    >>> with elapsed_line("simulate f.json", err, after=0.01, every=0.01):
    ...     time.sleep(0.2)
    >>> "qnum: simulate f.json running, 0." in err.getvalue() and err.getvalue().endswith("\\r\\x1b[K")
    True
    >>> quiet = io.StringIO()     # not a terminal: nothing written
    >>> with elapsed_line("solve f.json", quiet, after=0.0, every=0.01):
    ...     time.sleep(0.05)
    >>> quiet.getvalue()
    ''
    """

    def __init__(self, label: str, stream=None, after: float = 2.0, every: float = 1.0):
        self.label, self.stream, self.after, self.every = label, stream or sys.stderr, after, every
        self._thread = None

    def __enter__(self):
        import threading

        if not self.stream.isatty():
            return self
        self._stop = threading.Event()
        self._shown = False
        self._thread = threading.Thread(target=self._tick, daemon=True, name="qnum-elapsed")
        self._thread.start()
        return self

    def _tick(self):
        import time

        start = time.monotonic()
        if self._stop.wait(self.after):
            return
        while True:
            self.stream.write(f"\r\x1b[Kqnum: {self.label} running, {time.monotonic() - start:.1f} s "
                              "(Ctrl-C stops it)")
            self.stream.flush()
            self._shown = True
            if self._stop.wait(self.every):
                return

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
        return False


def _run(args) -> int:
    if args.verbose and args.quiet:
        raise OptionError("-q", True, "cannot be combined with -v")
    if args.max_memory_gb is not None:
        from qnum.limits import set_memory_limit

        set_memory_limit(_number("--max-memory-gb", args.max_memory_gb, "float"))
    if args.command == "sweep":
        if args.quiet and args.progress is None:
            args.progress = False
        return _cmd_sweep(args)
    if args.command == "plot":
        return _cmd_plot(args)
    if args.command == "schema":
        return _cmd_schema(args)
    if args.command == "info":
        out = _cmd_info(args)
        if args.json:
            print(dump_json(with_provenance(out)))
        else:
            _print_info(out)
        return 0
    if args.command == "bench":
        out = _cmd_bench(args)
        if args.json:
            print(dump_json(with_provenance(out)))
        return 0
    suffix = _check_output_path(args.output)
    stream = None if not args.quiet else _NotATerminal()
    with elapsed_line(f"{args.command} {args.file}", stream):
        out, frame = _COMMANDS[args.command](args)
    document = with_provenance(out)
    if suffix:
        _write_output(args.output, suffix, document, frame)
    if args.json:
        print(dump_json(document))
    else:
        from qnum.bench.table import format_output

        print(format_output(json.loads(dump_json(out))))
        if suffix:
            print(f"\nwritten to {args.output}")
    return 0


class _NotATerminal:
    """A stream that is never a terminal (``-q``: no elapsed-time line)."""

    def isatty(self):
        return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
