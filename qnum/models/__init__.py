"""Declarative offline models: scenario -> formulation you can inspect, then solve().

One module per family; the main classes are also reachable here, imported on first use
(so ``import qnum`` stays light)::

    >>> import qnum
    >>> qnum.models.AlphaFair.__name__
    'AlphaFair'
"""

_LAZY = {"AlphaFair": "qnum.models.pumping"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qnum.models' has no attribute {name!r}")
