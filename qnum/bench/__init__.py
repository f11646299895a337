"""Online-versus-offline comparisons: traces, gap tables, plots, and ``qnum bench``.

``qnum.bench.compare(trace, solution)`` is reachable here, imported on first use::

    >>> import qnum
    >>> qnum.bench.compare.__name__
    'compare'
"""

_LAZY = {"compare": "qnum.bench.compare", "ConvergenceReport": "qnum.bench.compare"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qnum.bench' has no attribute {name!r}")
