"""What a result was computed with: package versions and the solvers available (``qnum info``, JSON outputs).

Every JSON output of the ``qnum`` command carries :func:`environment` (qnum, Python, the
platform and the versions of the numerical and solver packages), so a result file says what
produced it. Versions are read from the installed distributions' metadata, without importing
the packages, so the block costs a few milliseconds; :func:`backends` imports CVXPY and Pyomo
to ask which solvers are usable (``qnum info`` only).

Examples
--------
>>> env = environment()
>>> env["qnum"] == __import__("qnum").__version__ and env["python"].count(".") == 2
True
"""

from __future__ import annotations

import logging
import platform
from functools import lru_cache

#: distributions whose versions every JSON output records (None when not installed)
PACKAGES = ("numpy", "scipy", "cvxpy", "clarabel", "pyomo", "highspy", "numba", "pandas", "networkx", "dask",
            "pyscipopt", "topohub")

#: Pyomo solver names ``qnum info`` probes (qnum's own routing ILP uses ``appsi_highs``)
PYOMO_SOLVERS = ("appsi_highs", "highs", "gurobi", "cplex", "cbc", "glpk", "scip")


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None.

    Examples
    --------
    >>> package_version("numpy") is not None, package_version("no-such-package-qnum")
    (True, None)
    """
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def environment() -> dict:
    """qnum, Python, platform and package versions, as plain JSON (cached per process).

    Examples
    --------
    >>> sorted(environment())[:3]
    ['clarabel', 'cvxpy', 'dask']
    """
    import qnum

    out = {"qnum": qnum.__version__, "python": platform.python_version(), "platform": platform.platform()}
    out.update({name: package_version(name) for name in PACKAGES})
    return out


def backends() -> dict:
    """Solvers usable from this installation: ``cvxpy`` (CVXPY's installed solvers) and ``pyomo``.

    Imports CVXPY and Pyomo (about a second). A package that is missing gives an empty list.

    Examples
    --------
    >>> "CLARABEL" in backends()["cvxpy"]
    True
    """
    out = {"cvxpy": [], "pyomo": []}
    try:
        import cvxpy as cp

        out["cvxpy"] = sorted(cp.installed_solvers())
    except ImportError:
        pass
    try:
        import pyomo.environ  # noqa: F401 - registers the solver plug-ins
        from pyomo.opt import SolverFactory
    except ImportError:
        return out
    pyomo_log = logging.getLogger("pyomo")
    level = pyomo_log.level
    pyomo_log.setLevel(logging.CRITICAL)      # an unknown solver name logs a traceback at WARNING
    try:
        for name in PYOMO_SOLVERS:
            try:
                if SolverFactory(name).available(exception_flag=False):
                    out["pyomo"].append(name)
            except Exception:  # noqa: BLE001, S112 - a broken plug-in is simply not available
                continue
    finally:
        pyomo_log.setLevel(level)
    return out
