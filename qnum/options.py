"""Options mean the same everywhere: declarations of methods, policies and options, and their checks.

Each family declares its solve methods (:class:`Method`: which of ``tol`` / ``time_limit``
it honours, which solver options it takes), its built-in policies (:class:`Policy`) and its
simulate options (:class:`Option`: type, range, default, the policies it applies to). The
front-end (:mod:`qnum.api`, the CLI, the sweep engine) checks every option against these
declarations before anything runs, so no option is silently ignored and none silently
changes the algorithm: an option a method or policy does not use is an
:class:`~qnum.errors.OptionError` naming the option and the method or policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qnum.errors import OptionError

#: the name under which options declare that they apply to the user's own policies
CUSTOM = "custom"


@dataclass(frozen=True)
class Option:
    """One option: its type, range and default, and the policies (or methods) it applies to.

    Parameters
    ----------
    name : str
        Python keyword (``hop_delay``); the CLI flag is ``--hop-delay``.
    type : {"int", "float", "str", "bool", "object"}
        ``object`` options (arrays, realizations) exist in Python only, not on the CLI.
    help : str
        One line for ``--help`` and the docs.
    default : object
        Value used when the option is not given (documented; None: the algorithm's own).
    minimum, maximum : float, optional
        Inclusive bounds, or exclusive with ``exclusive_minimum`` / ``exclusive_maximum``.
    choices : tuple, optional
        Allowed values for ``str`` options.
    applies_to : tuple of str, optional
        Policy (or method) names that use the option; None: all of them. Include
        :data:`CUSTOM` for options the user's own policies receive.

    Examples
    --------
    >>> slots = Option("slots", "int", "time slots", default=100_000, minimum=1)
    >>> slots.check(5000)
    5000
    >>> slots.check(0)
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: slots = 0: must be an integer >= 1
    """

    name: str
    type: str
    help: str
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple | None = None
    applies_to: tuple | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def applies(self, name: str) -> bool:
        return self.applies_to is None or name in self.applies_to

    def check(self, value, where: str | None = None):
        """The validated value (ints stay ints); :class:`OptionError` naming the option otherwise."""
        field = where or self.name
        if self.type == "object":
            return value
        if self.type == "bool":
            if not isinstance(value, bool):
                raise OptionError(field, value, "must be true or false")
            return value
        if self.type == "str":
            if not isinstance(value, str) or (self.choices is not None and value not in self.choices):
                allowed = f"one of {', '.join(self.choices)}" if self.choices else "a string"
                raise OptionError(field, value, f"must be {allowed}")
            return value
        if self.type == "int":
            if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise OptionError(field, value, "must be an integer" + self._range_text())
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
                raise OptionError(field, value, "must be a finite number" + self._range_text())
            value = float(value)
        if self.minimum is not None and (value < self.minimum or (self.exclusive_minimum and value == self.minimum)):
            raise OptionError(field, value, f"must be {'an integer' if self.type == 'int' else 'a number'}"
                              + self._range_text())
        if self.maximum is not None and (value > self.maximum or (self.exclusive_maximum and value == self.maximum)):
            raise OptionError(field, value, f"must be {'an integer' if self.type == 'int' else 'a number'}"
                              + self._range_text())
        return value

    def _range_text(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.exclusive_maximum else '<='} {self.maximum:g}")
        return (" " + " and ".join(parts)) if parts else ""


@dataclass(frozen=True)
class Method:
    """A solve method: what it does, whether its bound is certified, which options it honours.

    Parameters
    ----------
    description : str
    honours : tuple of str
        Which of ``"tol"`` and ``"time_limit"`` the method honours (others are refused).
    certified : bool
        Whether the returned bound is a proof for the whole problem (False for local and
        heuristic methods, which are labelled as such).
    solver_options : tuple of Option
        Extra keyword options of this method (e.g. a CVXPY solver name).
    """

    description: str
    honours: tuple = ("tol", "time_limit")
    certified: bool = True
    solver_options: tuple = ()


@dataclass(frozen=True)
class Policy:
    """A built-in online policy: what it is (``description`` names the paper or says "qnum's")."""

    description: str


#: the two options every solve takes; a method honours them or refuses them
TOL = Option("tol", "float", "target relative gap of the certificate (method default when omitted)",
             minimum=0.0, maximum=1.0, exclusive_minimum=True, exclusive_maximum=True)
TIME_LIMIT = Option("time_limit", "float", "seconds; on expiry the best point found is returned with its "
                    "honest bound and status time_limit", minimum=0.0, exclusive_minimum=True)


def check_solve_options(kind: str, methods: dict, method: str, tol, time_limit, solver_options: dict):
    """Validate a solve's method and options against the family's declarations.

    Returns ``(tol, time_limit, solver_options)`` with checked values.

    Examples
    --------
    >>> methods = {"auto": Method("best"), "exact": Method("exact", honours=("tol",))}
    >>> check_solve_options("demo", methods, "exact", 1e-6, None, {})
    (1e-06, None, {})
    >>> check_solve_options("demo", methods, "exact", None, 5.0, {})
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: time_limit = 5.0: method 'exact' of kind 'demo' does not honour a time limit; ...
    """
    if not isinstance(method, str) or method not in methods:
        raise OptionError("method", method, f"kind {kind!r} has methods {', '.join(methods)}")
    spec = methods[method]
    values = {"tol": tol, "time_limit": time_limit}
    for option in (TOL, TIME_LIMIT):
        value = values[option.name]
        if value is None:
            continue
        values[option.name] = option.check(value)
        if option.name not in spec.honours:
            others = [m for m, s in methods.items() if option.name in s.honours]
            what = "a tolerance" if option.name == "tol" else "a time limit"
            raise OptionError(option.name, value, f"method {method!r} of kind {kind!r} does not honour {what}; "
                              f"methods that do: {', '.join(others) or 'none'}")
    allowed = {o.name: o for o in spec.solver_options}
    checked = {}
    for key, value in solver_options.items():
        if key not in allowed:
            raise OptionError(key, value, f"not an option of method {method!r} of kind {kind!r}"
                              + (f"; its options: {', '.join(allowed)}" if allowed else " (it takes none)"))
        checked[key] = allowed[key].check(value)
    return values["tol"], values["time_limit"], checked


def check_simulate_options(kind: str, options_spec: dict, policy_name: str, builtin: bool, given: dict) -> dict:
    """Validate simulate options for one policy (built-in name, or :data:`CUSTOM` for the user's).

    Returns the checked options (only those given; the family fills in defaults).

    Examples
    --------
    >>> spec = {"slots": Option("slots", "int", "slots", minimum=1),
    ...         "beta": Option("beta", "float", "step", minimum=0, maximum=1, applies_to=("pf",))}
    >>> check_simulate_options("demo", spec, "pf", True, {"slots": 10, "beta": 0.5})
    {'slots': 10, 'beta': 0.5}
    >>> check_simulate_options("demo", spec, "rr", True, {"beta": 0.5})
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: beta = 0.5: applies to policy pf of kind 'demo' only, not to 'rr'
    """
    key_name = policy_name if builtin else CUSTOM
    out = {}
    for key, value in given.items():
        if key not in options_spec:
            raise OptionError(key, value, f"not a simulate option of kind {kind!r}; its options: "
                              f"{', '.join(options_spec) or 'none'}")
        option = options_spec[key]
        if not option.applies(key_name):
            users = ", ".join("your own policies" if p == CUSTOM else p for p in option.applies_to)
            who = repr(policy_name) if builtin else f"your own policy {policy_name!r}"
            raise OptionError(key, value, f"applies to policy {users} of kind {kind!r} only, not to {who}")
        out[key] = option.check(value)
    return out
