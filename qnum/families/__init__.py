"""Registry of problem families: how the CLI and the bench find each family's code.

A family is a module that defines, at top level:

``KIND``
    The scenario-file ``"kind"`` it reads (e.g. ``"pumping"``).
``BENCH_NAME``
    Its name on the ``qnum bench`` command line (e.g. ``"pumping"``).
``POLICIES``
    Tuple of online policy names ``qnum simulate --policy`` accepts (may be empty).
``scenario_from_dict(data: dict)``
    Validated scenario from a parsed file; raises :class:`qnum.errors.ScenarioError`.
``solve_json(scenario, options: dict) -> dict``
    Offline optimum as a JSON-ready dict (at least ``status``).
``simulate_json(scenario, policy: str, options: dict) -> dict``
    Online run as a JSON-ready dict.
``bench_rows(options: dict) -> list[dict]``
    Rows in the bench format (``family``, ``instance``, ``method``, ``status``,
    ``objective``, ``bound``, ``gap_to_optimum``, ``seconds`` plus family metrics);
    writes plots under ``options["out"]`` when it is set.

Modules are imported only when used, so ``qnum --help`` stays fast. Adding a family is
one line in ``FAMILY_MODULES``.
"""

from __future__ import annotations

import importlib

from qnum.errors import ScenarioError

#: bench name -> module path. Order is the order ``qnum bench`` runs them.
FAMILY_MODULES = {
    "pumping": "qnum.families.pumping",
    "rwa": "qnum.families.rwa",
    "mqce": "qnum.families.mqce",
    "qnum": "qnum.families.repeater",
}


def family_names() -> list[str]:
    """Bench names of every registered family.

    Examples
    --------
    >>> "pumping" in family_names()
    True
    """
    return list(FAMILY_MODULES)


def family(name: str):
    """The module of the family with this bench name."""
    if name not in FAMILY_MODULES:
        raise ScenarioError("family", name, f"must be one of {family_names()}")
    return importlib.import_module(FAMILY_MODULES[name])


def family_for_kind(kind) -> object:
    """The module of the family that reads scenario files of this ``kind``.

    Examples
    --------
    >>> family_for_kind("pumping").KIND
    'pumping'
    """
    kinds = {}
    for name in FAMILY_MODULES:
        module = family(name)
        kinds[module.KIND] = module
    if kind not in kinds:
        raise ScenarioError("kind", kind, f"must be one of {sorted(kinds)}")
    return kinds[kind]
