"""qnum: optimal baselines and online-algorithm verification for quantum networks.

One contract for every problem family::

    import qnum
    sc  = qnum.load_scenario("file.json")          # any kind
    sol = qnum.solve(sc)                             # Solution: certified optimum
    tr  = qnum.simulate(sc, policy="pf")             # Trace: a built-in policy or your own
    rep = qnum.compare(tr, sol)                      # Report: gap over time, to_frame(), plot()

Subpackages: :mod:`qnum.physics` (pure physics), :mod:`qnum.networks` (scenarios and their
readers), :mod:`qnum.utility` (utility families), :mod:`qnum.models` (inspectable offline
models), :mod:`qnum.solvers` (offline backends and online algorithms, one subpackage per
family), :mod:`qnum.bench` (comparisons, tables, plots), :mod:`qnum.families` (the
registry), :mod:`qnum.sweep` (parameter sweeps). Everything is imported on first use, so
``import qnum`` stays light.
"""

import logging as _logging

__version__ = "0.2.0"

# library logging convention: modules log to children of the "qnum" logger; nothing is printed
# unless the application (the qnum command's -v, or the user's logging.basicConfig) adds a handler
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

_API = {"load_scenario", "scenario_from_dict", "solve", "simulate", "compare", "data_path"}
_LAZY = {"Solution": "qnum.solution", "Status": "qnum.solution", "Trace": "qnum.trace",
         "Report": "qnum.bench.report", "InputError": "qnum.errors", "ScenarioError": "qnum.errors",
         "OptionError": "qnum.errors", "PolicyError": "qnum.errors"}
_SUBPACKAGES = {"physics", "networks", "utility", "models", "solvers", "bench", "families", "sweep", "options",
                "policies", "examples", "errors", "solution", "trace", "api", "schema", "environment"}

__all__ = sorted(_API | set(_LAZY) | {"__version__"})


def __getattr__(name):
    import importlib

    if name in _API:
        return getattr(importlib.import_module("qnum.api"), name)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"qnum.{name}")
    raise AttributeError(f"module 'qnum' has no attribute {name!r}")
