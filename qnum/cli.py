"""The ``qnum`` command: solve, simulate, compare and bench every problem family; run sweeps.

The command knows no family by name: methods, policies and options come from the family
registry (:mod:`qnum.families`). Invalid input exits with status 2 and one line naming the
field and the value, never a traceback; solver trouble is a status in the output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

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



def _clean(obj):
    """Replace non-finite floats by None and tuple keys by strings so the output is strict JSON."""
    import numpy as np

    if isinstance(obj, float):
        return finite_or_none(obj)
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else "-".join(map(str, k)) if isinstance(k, tuple) else str(k)): _clean(v)
                for k, v in obj.items()}
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
    parser.add_argument("--method", default="auto", help=f"solution method (default auto). {methods}")
    parser.add_argument("--tol", default=None, help="target relative gap in (0, 1) (default: the method's own)")
    parser.add_argument("--time-limit", dest="time_limit", default=None,
                        help="seconds; on expiry the best point found is returned with its honest bound and "
                             "status time_limit")


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
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    solve = sub.add_parser("solve", help="offline optimum of a scenario file, with a certified bound")
    solve.add_argument("file", help="scenario file (.json or .toml)")
    solve.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_solve_arguments(solve, plugins)

    sim = sub.add_parser("simulate", help="run an online policy (built-in or your own) on a scenario file")
    sim.add_argument("file", help="scenario file (.json or .toml)")
    sim.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_simulate_arguments(sim, plugins)

    comp = sub.add_parser("compare", help="an online policy against the certified optimum: gap over time")
    comp.add_argument("file", help="scenario file (.json or .toml)")
    comp.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    comp.add_argument("--plot", default=None, metavar="PNG", help="write the gap plot to this file")
    _add_simulate_arguments(comp, plugins)
    _add_solve_arguments(comp, plugins)

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


def _load(path):
    from qnum.api import load_scenario
    from qnum.families import family_of

    scenario = load_scenario(path)
    return scenario, family_of(scenario)


def _solve(args, scenario):
    from qnum.api import solve

    return solve(scenario, args.method, tol=_number("--tol", args.tol, "float"),
                 time_limit=_number("--time-limit", args.time_limit, "float"))


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
    scenario, plugin = _load(args.file)
    return plugin.solution_json(scenario, _solve(args, scenario))


def _cmd_simulate(args):
    scenario, plugin = _load(args.file)
    return plugin.trace_json(scenario, _simulate(args, scenario, plugin))


def _cmd_compare(args):
    from qnum.api import compare

    scenario, plugin = _load(args.file)
    trace = _simulate(args, scenario, plugin)       # a bad policy or option fails before the solve
    solution = _solve(args, scenario)
    report = compare(trace, solution)
    if args.plot:
        _save_plot(report.plot(), args.plot)
    return {**report.to_dict(), "solution": solution.to_dict(), "trace": trace.to_dict()}


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
    rows = run_bench(plugins, solve, simulate, slots=slots, seed=seed, out=out, progress=not args.json)
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
    scheduler are gone (``qnum sweep: stopped: ...``; finished runs kept); 130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except InputError as exc:
        print(f"qnum: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qnum: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place every other failure (MemoryError too) becomes exit 1
        return _internal_error(exc, args.debug)


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
    if args.max_memory_gb is not None:
        from qnum.limits import set_memory_limit

        set_memory_limit(_number("--max-memory-gb", args.max_memory_gb, "float"))
    if args.command == "sweep":
        return _cmd_sweep(args)
    if args.command == "plot":
        return _cmd_plot(args)
    if args.command == "bench":
        out = _cmd_bench(args)
    else:
        with elapsed_line(f"{args.command} {args.file}"):
            out = _COMMANDS[args.command](args)
    if args.json:
        print(dump_json(out))
    elif args.command != "bench":
        _print_human(out)
    return 0


def _print_human(out: dict) -> None:
    for key, value in out.items():
        if isinstance(value, (list, dict)) and len(value) > 12:
            print(f"{key}: [{len(value)} entries; use --json for all]")
        elif isinstance(value, float):
            print(f"{key}: {value:.8g}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
