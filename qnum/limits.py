"""Size guards: estimate the memory and work of a request before allocating, and refuse it early.

A request whose estimate exceeds a limit raises :class:`~qnum.errors.LimitError` (exit 2
on the command line) naming the field, the estimate and the limit, before anything big is
allocated. The limits are deliberately generous for the problems qnum solves; raise them
when you mean it:

- memory: :data:`DEFAULT_MEMORY_GB` GiB per request — ``QNUM_MAX_MEMORY_GB`` or ``qnum
  --max-memory-gb``;
- runs in one sweep: :data:`DEFAULT_SWEEP_RUNS` — ``QNUM_MAX_SWEEP_RUNS``;
- work of one slotted simulation (slots × pairs): :data:`DEFAULT_WORK` —
  ``QNUM_MAX_WORK``.

Estimates count the big arrays only (8 bytes a number) and are lower bounds of the real
footprint; a request below the limit may still be slow, and long runs show progress.

Examples
--------
>>> from qnum.limits import check_memory
>>> check_memory("nodes", 10 ** 6, 8 * 10 ** 12, "the N x N distance matrix")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
qnum.errors.LimitError: nodes = 1000000: needs about 7451 GiB of memory (the N x N distance matrix); the limit ...
"""

from __future__ import annotations

import math
import os

from qnum.errors import LimitError, OptionError

#: memory one request may use (GiB) unless raised
DEFAULT_MEMORY_GB = 4.0
#: runs one sweep may hold unless raised (each run is a row of results.parquet and a line of runs.jsonl)
DEFAULT_SWEEP_RUNS = 1_000_000
#: slots x pairs of one slotted simulation unless raised — qnum's choice: about 17 minutes of the PF
#: scheduler, the slowest built-in (97 M pair-updates/s measured at N = 100, 2026-12-01; greedy 520 M/s,
#: RR 130 M/s); far more than any study in the papers
DEFAULT_WORK = 10 ** 11

_ENV = {"memory": "QNUM_MAX_MEMORY_GB", "runs": "QNUM_MAX_SWEEP_RUNS", "work": "QNUM_MAX_WORK"}
_DEFAULTS = {"memory": DEFAULT_MEMORY_GB, "runs": DEFAULT_SWEEP_RUNS, "work": DEFAULT_WORK}


def limit(name: str) -> float:
    """The current limit ``name`` (``"memory"`` in GiB, ``"runs"``, ``"work"``), from the environment.

    Examples
    --------
    >>> limit("memory") > 0
    True
    """
    env = _ENV[name]
    text = os.environ.get(env)
    if text is None or text == "":
        return _DEFAULTS[name]
    try:
        value = float(text)
    except ValueError:
        raise OptionError(env, text, "must be a number > 0") from None
    if not (math.isfinite(value) and value > 0):
        raise OptionError(env, text, "must be a finite number > 0")
    return value


def set_memory_limit(gb) -> None:
    """Set the memory limit (GiB) for this process and the processes it starts (``--max-memory-gb``).

    Examples
    --------
    >>> set_memory_limit(-1)
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: --max-memory-gb = -1: must be a finite number > 0 (GiB)
    """
    if isinstance(gb, bool) or not isinstance(gb, (int, float)) or not (math.isfinite(gb) and gb > 0):
        raise OptionError("--max-memory-gb", gb, "must be a finite number > 0 (GiB)")
    os.environ[_ENV["memory"]] = repr(float(gb))


def _gib(nbytes: float) -> str:
    g = nbytes / 2 ** 30
    return f"{g:.3g}" if g >= 1e6 else f"{g:.0f}" if g >= 10 else f"{g:.2g}"


def check_memory(field: str, value, nbytes: float, what: str) -> None:
    """Refuse a request estimated at ``nbytes`` bytes (``what`` says what is allocated).

    Examples
    --------
    >>> check_memory("nodes", 100, 8 * 100 ** 2, "the N x N matrix")
    """
    cap = limit("memory")
    if nbytes > cap * 2 ** 30:
        raise LimitError(field, value, f"needs about {_gib(nbytes)} GiB of memory ({what}); the limit is {cap:g} GiB "
                         f"(raise it with --max-memory-gb or {_ENV['memory']})")


def check_count(field: str, value, count: float, name: str, what: str) -> None:
    """Refuse a request of ``count`` units of limit ``name`` (``"runs"`` or ``"work"``).

    Examples
    --------
    >>> check_count("parameters", "...", 10 ** 10, "runs", "runs in the sweep grid")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.LimitError: parameters = '...': 10000000000 runs in the sweep grid; the limit is 1000000 (raise ...
    """
    cap = limit(name)
    if count > cap:
        raise LimitError(field, value, f"{count:.0f} {what}; the limit is {cap:.0f} (raise it with {_ENV[name]})")


def pumping_simulation(slots: int, pairs: int, states: int, record_topologies: bool = False, k: int = 1) -> None:
    """Guard of a slotted pumping simulation: the channel realization (slots), the work (slots x pairs).

    Examples
    --------
    >>> pumping_simulation(10 ** 11, 10, 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.LimitError: slots = 100000000000: needs about 745 GiB of memory (the channel state of every slot, ...
    """
    check_memory("slots", slots, 8.0 * slots * (1 + (2 * k if record_topologies else 0)) + 8.0 * states * pairs,
                 "the channel state of every slot, 8 bytes a slot")
    check_count("slots", slots, float(slots) * pairs, "work", f"pair-updates (slots x {pairs} pairs)")


def dense_square(field: str, nodes: int, copies: int, what: str, value=None) -> None:
    """Guard of ``copies`` dense N x N float arrays (``nodes`` = N).

    Examples
    --------
    >>> dense_square("coordinates", 10 ** 6, 3, "distances and capacitances")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.LimitError: coordinates = '1000000 users': needs about 22352 GiB of memory ...
    """
    check_memory(field, f"{nodes} users" if value is None else value, 8.0 * copies * float(nodes) ** 2, what)
