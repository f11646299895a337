"""Parameter sweeps over every problem family: declarative files, local or Dask execution, resumable results.

Typical use::

    qnum sweep sweep.toml --out runs/            # or: --example pumping-gap
    qnum plot runs/                              # summary.csv + PNG plots

or from Python: ``run_sweep(load_sweep(path), "runs/")`` and ``load_results("runs/")``.
The sweep file format is described in :mod:`qnum.sweep.spec`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qnum.sweep.spec import SweepSpec, load_sweep, parse_sweep
from qnum.sweep.store import load_results

__all__ = ["SweepSpec", "load_sweep", "parse_sweep", "load_results", "run_sweep", "make_executor",
           "example_names", "example_path"]


def run_sweep(*args, **kwargs):
    """See :func:`qnum.sweep.runner.run_sweep`."""
    from qnum.sweep.runner import run_sweep as _run

    return _run(*args, **kwargs)


def make_executor(*args, **kwargs):
    """See :func:`qnum.sweep.runner.make_executor`."""
    from qnum.sweep.runner import make_executor as _make

    return _make(*args, **kwargs)


def _examples_dir() -> Path:
    return Path(str(resources.files("qnum") / "data" / "sweeps"))


def example_names() -> list[str]:
    """Names of the sweep examples shipped with qnum (``qnum sweep --list-examples``).

    Examples
    --------
    >>> "pumping-gap" in example_names()
    True
    """
    return sorted(p.stem for p in _examples_dir().glob("*.toml"))


def example_path(name: str) -> Path:
    """Path of a shipped example sweep file; ScenarioError for an unknown name."""
    from qnum.errors import ScenarioError

    path = _examples_dir() / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError("--example", name, f"must be one of {example_names()}")
    return path
