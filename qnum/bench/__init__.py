"""Family-agnostic comparisons: :func:`compare` (online vs offline, :class:`Report`), the bench
table and the ``qnum bench`` runner. Imported on first use::

    >>> import qnum
    >>> qnum.bench.compare.__name__
    'compare'
"""

_LAZY = {"compare": "qnum.bench.report", "Report": "qnum.bench.report"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qnum.bench' has no attribute {name!r}")
