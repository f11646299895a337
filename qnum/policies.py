"""The user's own online algorithm: how a policy is written, loaded and called.

A **policy** is either

- a function ``decide(observation) -> decision``, or
- an object with a method ``decide(observation) -> decision`` and, optionally,
  ``reset(setup)`` — called once before the run with the family's static setup (what a
  controller knows before it starts: the scenario) — and a ``name`` attribute.

What an ``observation`` holds and what a ``decision`` must be is the family's **policy
protocol**, documented in its plug-in module (:mod:`qnum.families.pumping`,
:mod:`qnum.families.rwa`, :mod:`qnum.families.mqce`, :mod:`qnum.families.repeater`): only
what a real controller would know at that step. A decision that breaks the model stops the
run with a :class:`~qnum.errors.PolicyError` naming the step and the resource.

From the shell a policy is named by ``path/to/file.py:NAME`` or ``package.module:NAME``;
``NAME`` is a function, an object, or a class (instantiated without arguments). Worked
examples ship in :mod:`qnum.examples`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qnum.errors import OptionError


@dataclass(frozen=True)
class UserPolicy:
    """A user policy, normalized: ``name``, ``decide(observation)`` and ``reset(setup)``."""

    name: str
    decide: Callable[[Any], Any]
    reset: Callable[[Any], None]
    source: Any = None


def _no_reset(setup) -> None:
    return None


def as_policy(obj) -> UserPolicy:
    """Normalize a function, an object with ``decide``, or a class into a :class:`UserPolicy`.

    Examples
    --------
    >>> def greedy(observation):
    ...     return []
    >>> as_policy(greedy).name
    'greedy'
    >>> as_policy(42)
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: policy = 42: must be a built-in policy name, a function decide(observation), ...
    """
    if isinstance(obj, UserPolicy):
        return obj
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise OptionError("policy", obj.__name__,
                              f"a policy class must be constructible without arguments ({exc})") from None
    decide = getattr(obj, "decide", None)
    if callable(decide):
        name = getattr(obj, "name", None) or type(obj).__name__
        reset = getattr(obj, "reset", None)
        return UserPolicy(str(name), decide, reset if callable(reset) else _no_reset, obj)
    if callable(obj):
        name = getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__
        return UserPolicy(str(name), obj, _no_reset, obj)
    raise OptionError("policy", obj, "must be a built-in policy name, a function decide(observation), or an object "
                      "with a decide(observation) method")


def is_policy_spec(text: str) -> bool:
    """Whether a string names a user policy (``file.py:NAME`` or ``module:NAME``) rather than a built-in."""
    return isinstance(text, str) and ":" in text


def load_policy(spec: str) -> UserPolicy:
    """Load ``path/to/file.py:NAME`` or ``package.module:NAME`` as a :class:`UserPolicy`.

    Examples
    --------
    >>> load_policy("qnum.examples.pumping_policy:MaxWeightScheduler").name
    'max-weight'
    >>> load_policy("no/such/file.py:X")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: --policy = 'no/such/file.py:X': no such file: no/such/file.py
    """
    if not is_policy_spec(spec):
        raise OptionError("--policy", spec, "a user policy is named path/to/file.py:NAME or package.module:NAME")
    target, _, name = spec.rpartition(":")
    if not target or not name.isidentifier():
        raise OptionError("--policy", spec, "must be path/to/file.py:NAME or package.module:NAME with NAME an "
                          "identifier")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise OptionError("--policy", spec, f"no such file: {target}")
        module_name = f"qnum_user_policy_{abs(hash(str(path.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise OptionError("--policy", spec, f"{target} is not a Python file (name it path/to/file.py:NAME)")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's file: report, do not crash
            sys.modules.pop(module_name, None)
            raise OptionError("--policy", spec, f"importing {target} failed: {type(exc).__name__}: {exc}") from None
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise OptionError("--policy", spec, f"cannot import module {target!r}: {exc}") from None
        except Exception as exc:  # noqa: BLE001
            raise OptionError("--policy", spec, f"importing {target} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        public = sorted(n for n in vars(module) if not n.startswith("_"))
        raise OptionError("--policy", spec, f"{target} defines no {name!r}; it defines: {', '.join(public[:12])}")
    return as_policy(getattr(module, name))
