"""Everything that solves: offline backends and the online algorithms.

One module (or a few) per family; shared pieces (schedules, oracles, the conic-solver
hand-off) live beside them. The pumping schedulers are reachable here too::

    >>> import qnum
    >>> qnum.solvers.simulate_pumping.__name__
    'simulate'
"""

_LAZY = {"simulate_pumping": ("qnum.solvers.pumping.online", "simulate")}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'qnum.solvers' has no attribute {name!r}")
