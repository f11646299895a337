"""Run a sweep: execute each run (in-process, local processes or Dask) and journal its row.

One interface, three executors: :class:`InProcess` (debugging), :class:`Processes`
(default, ``concurrent.futures`` with one single-threaded worker per core) and
:class:`Dask` (an existing scheduler or a ``LocalCluster``; dask is imported only here).
Every executor yields finished rows in completion order; :func:`run_sweep` journals them
(see :mod:`qnum.sweep.store`) and skips runs already in the journal, so re-running the
same command resumes a killed sweep.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
import traceback

from qnum.errors import ScenarioError
from qnum.solution import finite_or_none
from qnum.sweep.spec import build_scenario, option_parameters

#: environment variables that cap solver / BLAS threads in worker processes
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS", "NUMBA_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_env():
    """Set the BLAS/OpenMP thread variables to 1 while worker processes start, then restore
    them: each worker then runs single-threaded, so workers do not oversubscribe the cores."""
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    os.environ.update({v: "1" for v in THREAD_VARS})
    try:
        yield
    finally:
        for var, val in saved.items():
            if val is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = val


class RunTimeout(Exception):
    """A run exceeded its time limit."""


def _numbers(out: dict, keys) -> dict:
    res = {}
    for key, value in out.items():
        if keys is not None and key not in keys:
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            res[key] = float(value) if math.isfinite(value) else None
        elif value is None and keys is not None:
            res[key] = None
    return res


def _alarm(seconds):
    """Context: raise RunTimeout after ``seconds`` (main thread only; else a no-op)."""
    class _Ctx:
        def __enter__(self):
            self.on = bool(seconds) and threading.current_thread() is threading.main_thread()
            if self.on:
                def handler(signum, frame):
                    raise RunTimeout(f"run exceeded its time limit of {seconds} s")
                self.old = signal.signal(signal.SIGALRM, handler)
                signal.setitimer(signal.ITIMER_REAL, seconds)

        def __exit__(self, *exc):
            if self.on:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, self.old)
            return False
    return _Ctx()


def _split_options(fam, run: dict, time_limit):
    """(solve options, simulate options) of a run: the sweep's options and varied run options,
    the seed for policies that take one, and the run's time limit for methods that honour one."""
    from qnum.options import CUSTOM
    from qnum.policies import is_policy_spec

    given = {**run["options"], **option_parameters(fam, run)}
    solve = {k: given[k] for k in ("method", "tol", "time_limit") if k in given}
    simulate = {k: v for k, v in given.items() if k not in solve}
    method = fam.METHODS[solve.get("method", "auto")] if solve.get("method", "auto") in fam.METHODS else None
    limit = solve.get("time_limit", time_limit)
    if limit is not None and method is not None and "time_limit" in method.honours:
        solve["time_limit"] = limit
    policy = run["policy"]
    name = CUSTOM if policy is not None and is_policy_spec(policy) else policy
    seed_option = fam.SIMULATE_OPTIONS.get("seed")
    if policy is not None and seed_option is not None and seed_option.applies(name):
        simulate.setdefault("seed", run["seed"])
    return solve, simulate


def execute_run(run: dict, time_limit=None) -> dict:
    """Execute one run and return its journal row; never raises for a failing run.

    ``both`` records the solve's and the online run's numbers and the gap of
    :func:`qnum.compare` (the family's objective at the online point against the optimum).

    Examples
    --------
    >>> from qnum.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"family": "pumping", "action": "both", "policy": "pf",
    ...                     "options": {"slots": 200}, "metrics": ["objective"],
    ...                     "base": {"builder": "random", "nodes": 3, "capacity": 1}})
    >>> row = execute_run(spec.runs()[0])
    >>> row["status"], sorted(row["metrics"])
    ('ok', ['gap', 'relative_gap', 'simulate_objective', 'solve_objective'])
    """
    import qnum
    from qnum.api import compare, simulate, solve
    from qnum.families import family

    start = time.perf_counter()
    row = {"run_id": run["run_id"], "index": run["index"], "family": run["family"], "action": run["action"],
           "policy": run["policy"], "params": run["params"], "seed": run["seed"], "metrics": {},
           "status": "ok", "error": None, "solver_status": None, "solver": None,
           "qnum_version": qnum.__version__}
    try:
        fam = family(run["family"])
        solve_options, simulate_options = _split_options(fam, run, time_limit)
        limit = solve_options.get("time_limit", time_limit)
        with _alarm(limit):
            scenario = build_scenario(run)
            keys = run["metrics"]
            if run["action"] in ("solve", "both"):
                method = solve_options.pop("method", "auto")
                sol = solve(scenario, method, **solve_options)
                sol_json = fam.solution_json(scenario, sol)
                row["solver_status"] = sol_json.get("status")
                row["solver"] = sol_json.get("solver")
            if run["action"] in ("simulate", "both"):
                trace = simulate(scenario, run["policy"], **simulate_options)
                sim_json = fam.trace_json(scenario, trace)
        if run["action"] == "solve":
            row["metrics"] = _numbers(sol_json, keys)
        elif run["action"] == "simulate":
            row["metrics"] = _numbers(sim_json, keys)
        else:
            metrics = {f"solve_{k}": v for k, v in _numbers(sol_json, keys).items()}
            metrics.update({f"simulate_{k}": v for k, v in _numbers(sim_json, keys).items()})
            report = compare(trace, sol)
            metrics["gap"] = finite_or_none(report.final_gap)
            metrics["relative_gap"] = finite_or_none(report.final_relative_gap)
            row["metrics"] = metrics
    except RunTimeout as exc:
        row["status"], row["error"] = "timeout", str(exc)
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, not raised
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            row["error"] += f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})"
    row["wall_s"] = time.perf_counter() - start
    return row


def limit_threads() -> None:
    """Cap BLAS/OpenMP/solver threads at one (called in each worker process)."""
    for var in THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    if "numba" in sys.modules:      # already started: the variable alone no longer applies
        sys.modules["numba"].set_num_threads(1)


def _worker_init() -> None:
    """Initializer of :class:`Processes` workers: one thread each, and exit when the sweep process dies.

    Without the parent watch, a sweep killed with SIGKILL would leave its workers running.
    """
    limit_threads()
    parent = os.getppid()
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="qnum-parent-watch").start()


def crashed_row(run: dict, error: str = "worker process died while running it", status: str = "error",
                wall_s=None) -> dict:
    """The journal row of a run whose worker died (segfault, out of memory, time-limit watchdog)."""
    import qnum

    return {"run_id": run["run_id"], "index": run["index"], "family": run["family"], "action": run["action"],
            "policy": run["policy"], "params": run["params"], "seed": run["seed"], "metrics": {},
            "status": status, "error": error, "solver_status": None,
            "solver": None, "qnum_version": qnum.__version__, "wall_s": wall_s}


def _execute_in_worker(run, time_limit):
    """``execute_run`` in a worker process, which exits if the run ignores its limit.

    The SIGALRM limit cannot interrupt a solver stuck inside C code; the watchdog ends the
    worker process after ``time_limit`` plus a grace of max(1 s, limit / 2), and the pool
    records the run as timed out (see :class:`Processes`).
    """
    if not time_limit:
        return execute_run(run, time_limit)
    timer = threading.Timer(time_limit + max(1.0, 0.5 * time_limit), os._exit, args=(70,))
    timer.daemon = True
    timer.start()
    try:
        return execute_run(run, time_limit)
    finally:
        timer.cancel()


# -- executors ---------------------------------------------------------------------------

class InProcess:
    """Run in this process, one after another (debugging; exceptions stay readable)."""

    name = "inprocess"

    def __init__(self, workers=None):
        self.workers = 1

    def map_unordered(self, runs, time_limit=None):
        for run in runs:
            yield execute_run(run, time_limit)

    def close(self):
        pass


class Processes:
    """Local worker processes (default): ``ProcessPoolExecutor``, one single-threaded worker per core."""

    name = "processes"

    def __init__(self, workers=None):
        self.workers = workers or os.cpu_count() or 1
        self._pool = None

    def _start(self):
        from concurrent.futures import ProcessPoolExecutor

        with _single_threaded_env():  # inherited by the workers at start
            self._pool = ProcessPoolExecutor(self.workers, initializer=_worker_init)

    def map_unordered(self, runs, time_limit=None):
        """Yield rows as runs finish; a run that kills its worker process is recorded as an error.

        After a worker dies, the runs that were in flight are retried one at a time in a
        fresh pool, so the culprit is identified and recorded and the others complete.
        """
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        self._start()
        queue = list(runs)[::-1]
        suspects = []  # runs in flight when a worker died: retried alone
        pending = {}
        while queue or suspects or pending:
            window = 1 if suspects else 4 * self.workers
            while len(pending) < window and (suspects or queue):
                run = suspects.pop() if suspects else queue.pop()
                pending[self._pool.submit(_execute_in_worker, run, time_limit)] = (run, time.perf_counter())
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            broken = []
            for fut in done:
                run, started = pending.pop(fut)
                try:
                    row = fut.result()
                except BrokenProcessPool:
                    broken.append(run)
                    continue
                yield row
            if broken:
                alone = len(broken) == 1 and not pending and window == 1
                broken.extend(run for run, _ in pending.values())
                pending = {}
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._start()
                if alone:
                    elapsed = time.perf_counter() - started
                    if time_limit and elapsed >= time_limit:
                        yield crashed_row(broken[0], f"run exceeded its time limit of {time_limit} s "
                                          "(worker ended by the watchdog)", "timeout", elapsed)
                    else:
                        yield crashed_row(broken[0], wall_s=elapsed)
                else:
                    suspects.extend(broken)

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class SweepStopped(Exception):
    """The sweep cannot go on (its Dask workers or scheduler are gone); the finished runs are journaled.

    The ``qnum sweep`` command reports it on stderr and exits with status 1; running the same
    command again resumes.
    """


def _say(message: str) -> None:
    print(f"qnum sweep: {message}", file=sys.stderr, flush=True)


_THREADS_LIMITED = False


def _execute_on_dask(run, time_limit):
    """``execute_run`` on a Dask worker, capping the worker's threads at its first run.

    Capping here rather than once at connection also covers workers that join mid-sweep.
    """
    global _THREADS_LIMITED
    if not _THREADS_LIMITED:
        limit_threads()
        _THREADS_LIMITED = True
    return execute_run(run, time_limit)


class Dask:
    """Dask distributed: an existing scheduler (``address``) or a ``LocalCluster`` of ``workers`` processes.

    Dask runs tasks in worker threads, where SIGALRM cannot interrupt a run: the per-run
    time limit reaches the family's solver (``options["time_limit"]``) but is not enforced
    by the engine. A run whose task fails on the cluster (e.g. ``KilledWorker``) is recorded
    as an error.

    Faults: with no worker at the scheduler, the executor waits up to ``worker_timeout``
    seconds for one (saying so on stderr), then refuses with a ScenarioError naming
    ``--scheduler`` (nothing has run). When every worker is lost mid-sweep it waits the same
    bound for one to join (runs resume on it), then raises :class:`SweepStopped`; so does a
    lost connection to the scheduler, at once (the scheduler's tasks are gone with it).
    Runs that were in flight are not journaled, so a later resume runs them.
    """

    name = "dask"

    def __init__(self, workers=None, address=None, connect_timeout: float = 3.0, worker_timeout: float = 60.0):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError("--executor", "dask", "needs dask: pip install 'qnum[dask]'") from None
        self.cluster = None
        self.worker_timeout = worker_timeout
        self._log_levels = {}
        if address is not None:
            if not isinstance(address, str) or "://" not in address:
                raise ScenarioError("--scheduler", address, "must look like tcp://host:port")
            try:
                self.client = Client(address, timeout=f"{connect_timeout}s")
            except (OSError, TimeoutError) as exc:
                raise ScenarioError("--scheduler", address, f"unreachable: {type(exc).__name__}") from None
            self.address = address
            # the client logs a lost scheduler with tracebacks; the executor reports it in one line
            self._log_levels = {name: logging.getLogger(name).level for name in
                                ["distributed", *(n for n in logging.root.manager.loggerDict
                                                  if n.startswith("distributed."))]}
            for name in self._log_levels:
                logging.getLogger(name).setLevel(logging.CRITICAL)
            if not self._live_workers():
                _say(f"no Dask worker at {address}; waiting up to {worker_timeout:g} s for one to join "
                     "(--worker-timeout)")
                try:
                    self.client.wait_for_workers(1, timeout=worker_timeout)
                except TimeoutError:
                    self.close()
                    raise ScenarioError("--scheduler", address, f"has no worker: none joined within "
                                        f"{worker_timeout:g} s (--worker-timeout); start one with "
                                        f"`dask worker {address}`") from None
        else:
            n = workers or os.cpu_count() or 1
            with _single_threaded_env():
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
            self.address = self.cluster.scheduler_address
            try:
                self.client.wait_for_workers(n, timeout=worker_timeout)
            except TimeoutError:
                self.close()
                raise ScenarioError("--dask-local", n, f"its workers did not start within {worker_timeout:g} s "
                                    "(--worker-timeout)") from None
        self.workers = self._live_workers() or 1

    def _live_workers(self) -> int:
        """Workers the scheduler knows now; SweepStopped when the scheduler is gone."""
        if self.client.status == "running":
            try:
                info = self.client.scheduler_info(n_workers=0)
                return int(info.get("n_workers", len(info.get("workers", {}))))
            except Exception:  # noqa: BLE001 - the scheduler went away during the call (comm closed, refused)
                pass
        raise SweepStopped(f"lost the connection to the Dask scheduler at {self.address}")

    def map_unordered(self, runs, time_limit=None):
        """Yield rows as runs finish; SweepStopped when no worker is left for ``worker_timeout`` s
        or the scheduler is lost (then the runs in flight are not journaled)."""
        from dask.distributed import as_completed

        runs = list(runs)
        if not runs:
            return
        futures = self.client.map(_execute_on_dask, runs, time_limit=time_limit, pure=False)
        by_key = {fut.key: run for fut, run in zip(futures, runs)}
        pending = as_completed(futures)
        alone_since = None      # when the last worker was lost
        next_check = 0.0
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            for fut in batch:
                if fut.status == "cancelled":  # the client cancels every future when the scheduler is lost
                    raise SweepStopped(f"lost the connection to the Dask scheduler at {self.address}")
                try:
                    row = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the run crashed its workers
                    row = crashed_row(by_key[fut.key], f"dask: {type(exc).__name__}: {exc}"[:500])
                yield row
                fut.release()
            now = time.monotonic()
            if now < next_check:
                if not batch:
                    time.sleep(0.02)
                continue
            next_check = now + 0.5
            if self._live_workers():
                if alone_since is not None:
                    _say("a Dask worker joined; the sweep goes on")
                    alone_since = None
            elif alone_since is None:
                alone_since = now
                _say(f"every Dask worker at {self.address} is lost; waiting up to {self.worker_timeout:g} s "
                     "for one to join (--worker-timeout)")
            elif now - alone_since >= self.worker_timeout:
                raise SweepStopped(f"no Dask worker at {self.address} for {self.worker_timeout:g} s "
                                   "(--worker-timeout)")

    def close(self):
        self.client.close(timeout=5)
        if self.cluster is not None:
            self.cluster.close()
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)


EXECUTORS = ("inprocess", "processes", "dask")


def make_executor(name="processes", workers=None, scheduler=None, dask_local=None, worker_timeout=None):
    """The executor for the CLI flags; ScenarioError on bad combinations (before any run).

    ``worker_timeout`` (seconds, default 60) bounds the waits of :class:`Dask` for a worker.

    Examples
    --------
    >>> make_executor("inprocess").name
    'inprocess'
    """
    if scheduler is not None and dask_local is not None:
        raise ScenarioError("--dask-local", dask_local, "cannot be combined with --scheduler: give one (a new "
                            "local cluster, or the address of a running scheduler)")
    if scheduler is not None or dask_local is not None:
        if name not in (None, "dask", "processes"):
            raise ScenarioError("--executor", name, "--scheduler/--dask-local need --executor dask")
        name = "dask"
    if name not in EXECUTORS:
        raise ScenarioError("--executor", name, f"must be one of {list(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ScenarioError("--workers", workers, "must be >= 1")
    if dask_local is not None and dask_local < 1:
        raise ScenarioError("--dask-local", dask_local, "must be >= 1")
    if worker_timeout is not None:
        if name != "dask":
            raise ScenarioError("--worker-timeout", worker_timeout, "applies only to Dask (--executor dask, "
                                "--scheduler or --dask-local)")
        if isinstance(worker_timeout, bool) or not (isinstance(worker_timeout, (int, float))
                                                    and math.isfinite(worker_timeout) and worker_timeout > 0):
            raise ScenarioError("--worker-timeout", worker_timeout, "must be a finite number > 0 (seconds)")
    if name == "inprocess":
        return InProcess()
    if name == "processes":
        return Processes(workers)
    return Dask(dask_local or workers, address=scheduler,
                worker_timeout=60.0 if worker_timeout is None else float(worker_timeout))


def _progress(total, initial, enabled):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, unit="run", disable=not enabled, dynamic_ncols=True,
                smoothing=0.1, file=sys.stderr)


def run_sweep(spec, out, executor=None, time_limit=None, progress=None, force=False, retry_failed=False):
    """Run every run of ``spec`` not yet journaled under ``out``; return the results DataFrame.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`qnum.sweep.load_sweep` / :func:`qnum.sweep.parse_sweep`.
    out : path
        Results directory (``runs.jsonl`` journal, ``results.parquet``).
    executor : executor object or None
        From :func:`make_executor`; default in-process.
    time_limit : float or None
        Seconds per run; a run over it is recorded with status ``"timeout"``.
    progress : bool or None
        Progress bar on stderr; default only when stderr is a terminal.
    force : bool
        Run even when ``out`` holds runs of another sweep (they stay in its results);
        without it that is a :class:`~qnum.errors.ScenarioError` naming ``--out``.
    retry_failed : bool
        Run again the runs journaled with status ``"error"`` or ``"timeout"`` (their new row
        replaces the old one); without it every journaled run is skipped.

    Raises
    ------
    SweepStopped
        The executor cannot go on (e.g. every Dask worker lost); the finished runs are in the
        journal and in ``results.parquet``, and running again resumes.

    Examples
    --------
    >>> import tempfile
    >>> from qnum.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"family": "pumping", "action": "simulate", "policy": "pf",
    ...                     "options": {"slots": 100}, "seeds": [1, 2],
    ...                     "base": {"builder": "random", "nodes": 3}, "parameters": {"capacity": [1, 2]}})
    >>> df = run_sweep(spec, tempfile.mkdtemp())
    >>> len(df), sorted(set(df["capacity"])), set(df["status"])
    (4, [1, 2], {'ok'})
    """
    import json

    from qnum.sweep.store import Journal, _atomic_write, consolidate

    executor = executor or InProcess()
    try:
        journal = Journal(out)
        journal.repair()
    except OSError as exc:
        executor.close()
        raise ScenarioError("--out", str(out), f"cannot be written: {exc.strerror or exc}") from None
    runs = spec.runs()
    rows = journal.read()
    done = {row["run_id"] for row in rows}
    stale = done - {r["run_id"] for r in runs}
    if stale and not force:
        executor.close()
        journal.close()
        raise ScenarioError("--out", str(out), f"holds {len(stale)} runs of another sweep; give a new directory "
                            "(or --force to add this sweep's runs next to them)")
    if stale:
        print(f"qnum sweep: warning: {out} holds {len(stale)} runs of another sweep; they stay in its results "
              "(--force)", file=sys.stderr)
    from qnum.environment import environment
    from qnum.schema import SCHEMA_VERSION

    meta = json.dumps({"schema_version": SCHEMA_VERSION, "name": spec.name, "family": spec.family,
                       "action": spec.action, "policy": spec.policy, "parameters": spec.parameter_names,
                       "seeds": spec.seeds, "environment": environment()}, indent=1)
    _atomic_write(journal.dir / "sweep.json", lambda p: p.write_text(meta))
    if retry_failed:
        failed = {row["run_id"] for row in rows if row.get("status") in ("error", "timeout")}
        retried = len(failed & {r["run_id"] for r in runs})
        if retried:
            print(f"qnum sweep: running {retried} failed runs again (--retry-failed)", file=sys.stderr)
        done -= failed
    todo = [r for r in runs if r["run_id"] not in done]
    bar = _progress(len(runs), len(runs) - len(todo), sys.stderr.isatty() if progress is None else progress)
    failures = finished = 0
    try:
        for row in executor.map_unordered(todo, time_limit):
            journal.append(row)
            finished += 1
            if row["status"] != "ok":
                failures += 1
            if bar is not None:
                bar.set_postfix(failed=failures, refresh=False)
                bar.update(1)
    except SweepStopped as exc:
        stopped = exc
    else:
        stopped = None
    finally:
        if bar is not None:
            bar.close()
        journal.close()
        executor.close()
    frame = consolidate(out)
    if stopped is not None:
        raise SweepStopped(f"{stopped}; stopped with {len(todo) - finished} of {len(runs)} runs not done "
                           f"({finished} finished now); the finished runs are kept in {out} -- run the same "
                           "command to resume") from None
    return frame
