"""One place that hands CVXPY problems to a solver: HiGHS for LPs, Clarabel otherwise.

Certified bounds are computed by qnum itself from the returned point, so the solver's
accuracy only decides how small the certified gap gets; tight Clarabel tolerances make
1e-6 relative gaps reachable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import warnings

import cvxpy as cp

log = logging.getLogger(__name__)

#: Clarabel settings used for every conic solve (defaults are 1e-8; we want headroom).
CLARABEL_OPTIONS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 400}
SCS_OPTIONS = {"eps_abs": 1e-8, "eps_rel": 1e-8, "max_iters": 20_000}


#: each solver's name for a wall-clock limit in seconds
TIME_LIMIT_OPTION = {"CLARABEL": "time_limit", "HIGHS": "time_limit", "SCS": "time_limit_secs"}


def solve_problem(problem: cp.Problem, *, linear: bool, solver: str | None = None,
                  time_limit: float | None = None) -> str:
    """Solve a CVXPY problem; returns CVXPY's status, or ``"solver_error: ..."``.

    Parameters
    ----------
    problem : cvxpy.Problem
    linear : bool
        True for linear programs (solved with HiGHS: vertex solutions, exact duals).
    solver : str, optional
        Override the solver name.
    time_limit : float, optional
        Seconds for the whole hand-off (fallback attempts share it), passed to the solver
        as its own time limit (Clarabel, HiGHS, SCS; other solvers run without one). On
        expiry CVXPY reports ``user_limit``, with the solver's last iterate when it has one.

    Examples
    --------
    >>> x = cp.Variable()
    >>> prob = cp.Problem(cp.Maximize(x), [x <= 2])
    >>> solve_problem(prob, linear=True), round(float(x.value), 9)
    ('optimal', 2.0)
    """
    name = solver or ("HIGHS" if linear else "CLARABEL")
    attempts = [(name, CLARABEL_OPTIONS if name == "CLARABEL" else {})]
    if solver is None and not linear:
        # Clarabel can stall on badly scaled masters ("InsufficientProgress"); SCS at a
        # high accuracy is the fallback. qnum repairs feasibility and certifies the point
        # itself, so a less accurate solver only widens the certified gap.
        attempts += [("CLARABEL", {}), ("SCS", SCS_OPTIONS)]
    message = ""
    start = time.perf_counter()
    for attempt, options in attempts:
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - start)
            if left <= 0:
                return message or "solver_error: time limit reached before the solve"
            if attempt in TIME_LIMIT_OPTION:
                options = {**options, TIME_LIMIT_OPTION[attempt]: left}
        log.debug("CVXPY: %s with %s", attempt, options)
        try:
            # CVXPY warns "Solution may be inaccurate" on an optimal_inaccurate status; that status is
            # returned to the caller, who certifies the point itself, so it becomes a log line, not a warning.
            with solver_output_to_stderr(), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                problem.solve(solver=attempt, **options)
            for w in caught:
                log.info("CVXPY (%s): %s", attempt, w.message)
            log.debug("CVXPY: %s returned %s in %.3f s", attempt, problem.status, time.perf_counter() - start)
            return str(problem.status)
        except cp.error.SolverError as exc:
            message = f"solver_error: {exc}"
            log.info("CVXPY: %s failed (%s)", attempt, " ".join(str(exc).split())[:200])
    return message


def checked_solver_name(name: str) -> str:
    """A user-named CVXPY solver, upper-cased, or :class:`~qnum.errors.OptionError` listing the installed ones.

    Examples
    --------
    >>> checked_solver_name("clarabel")
    'CLARABEL'
    >>> checked_solver_name("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: solver = 'nope': is not an installed CVXPY solver; installed: ...
    """
    from qnum.errors import OptionError

    if name.upper() not in cp.installed_solvers():
        raise OptionError("solver", name, f"is not an installed CVXPY solver; installed: "
                          f"{', '.join(cp.installed_solvers())}")
    return name.upper()


@contextlib.contextmanager
def solver_output_to_stderr():
    """Send what compiled solvers write to the process's stdout (file descriptor 1) to stderr.

    Some solver builds print a banner from C++ whatever their verbosity option (HiGHS 1.16
    through CVXPY: "Running HiGHS 1.16.0 ... Copyright ..."), which would break ``--json``
    output; qnum's own stdout stays untouched. The redirection is at the file-descriptor level,
    whatever Python's ``sys.stdout`` is: when ``sys.stderr`` is not file descriptor 2 either (a
    notebook kernel, a capture), descriptor 1 goes to the null device for the solve, so the
    banner does not land among a notebook's outputs.

    Examples
    --------
    >>> with solver_output_to_stderr():
    ...     _ = os.write(1, b"banner ")      # lands on stderr
    """
    try:
        os.fstat(1)
    except OSError:                                 # no descriptor 1 at all: nothing to redirect
        yield
        return
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stdout.flush()
    null = None if _is_descriptor(sys.stderr, 2) else os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    try:
        os.dup2(2 if null is None else null, 1)
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        if null is not None:
            os.close(null)


def _is_descriptor(stream, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False


def _flush_c_stdio() -> None:
    """Flush the C library's stdout buffer so buffered solver output goes where it was redirected."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass
