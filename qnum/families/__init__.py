"""The family registry: one place that maps a scenario kind to the module that knows it.

A **family plug-in** is a module here (``pumping``, ``rwa``, ``mqce``, ``repeater``) that
defines, at top level:

``KIND`` : str
    The scenario-file ``"kind"`` and the family's name on the command line and in sweeps.
``DESCRIPTION`` : str
    One line: the problem and the paper it comes from.
``SCENARIO_TYPE`` : type
    The immutable scenario class: class attribute ``kind``, ``from_dict(data)`` (classmethod,
    raises :class:`~qnum.errors.ScenarioError`), ``to_dict()``, ``replace(**changes)``.
``OBJECTIVE`` : str
    The definition of the objective the optimum maximizes, which every trace of the family
    evaluates at its online point (so ``qnum.compare`` means one thing per family).
``TIME_AXIS`` : str
    What a trace's time counts (``slot``, ``iteration``, ``event``, ``design``).
``METHODS`` : dict of str -> :class:`~qnum.options.Method`
    Solve methods, ``"auto"`` first.
``POLICIES`` : dict of str -> :class:`~qnum.options.Policy`
    Built-in online policies (the papers' algorithms and baselines).
``SIMULATE_OPTIONS`` : dict of str -> :class:`~qnum.options.Option`
    Options of ``simulate``, each saying which policies it applies to.
``POLICY_PROTOCOL`` : str
    What a user policy's ``decide(observation)`` receives and must return.
``solve(scenario, method, *, tol, time_limit, **solver_options) -> Solution``
    Options already checked against ``METHODS``; ``method`` is never ``"auto"``'s alias of
    an unknown name.
``simulate(scenario, policy, **options) -> Trace``
    ``policy`` is a built-in name or a :class:`~qnum.policies.UserPolicy`; options checked.
``solution_json(scenario, solution) -> dict`` and ``trace_json(scenario, trace) -> dict``
    The JSON of ``qnum solve`` / ``qnum simulate``: ``solution.to_dict()`` /
    ``trace.to_dict()`` plus the family's labelled quantities.
``bench_instances() -> dict``
    Built-in instances of ``qnum bench``, name -> scenario.
``BENCH_METHODS``, ``BENCH_POLICIES`` : tuple of str
    Alternative methods and the policies ``qnum bench`` runs against the ``auto`` optimum.
``BENCH_SIMULATE_OPTIONS(slots, seed) -> dict``
    Simulate options the bench passes (e.g. ``slots`` for slotted families, nothing for designs).
``SWEEP_BUILDERS`` : dict of str -> function
    Builders a sweep's ``base.builder`` can name (keyword arguments -> scenario dict).
``validate_point(scenario, point) -> (objective, problems)``
    The family's independent validator of a labelled point (a Solution's ``values`` or a
    Trace's ``final``): the objective recomputed from the point by code the solvers do not
    share, and the list of every constraint the point violates (empty when feasible).
``EXAMPLE_POLICY`` : str
    The shipped worked example of a user policy (``"qnum.examples.<module>:<Name>"``).

Optional: ``bench_metrics(scenario, result) -> dict`` (extra numeric columns for a bench row
of a Solution or a Trace).

Only the family asked for is imported: plug-ins import their solvers inside functions, so a
pumping solve never imports Pyomo, Dask or SCIP (nor numba below 500,000 pair-state entries,
where the separable method switches to its compiled passes).
"""

from __future__ import annotations

import importlib

from qnum.errors import OptionError, ScenarioError

#: kind -> plug-in module. Order is the order ``qnum bench`` runs them.
FAMILY_MODULES = {
    "pumping": "qnum.families.pumping",
    "rwa": "qnum.families.rwa",
    "mqce": "qnum.families.mqce",
    "qnum": "qnum.families.repeater",
}

#: attributes every plug-in must define (checked when it is loaded)
REQUIRED = ("KIND", "DESCRIPTION", "SCENARIO_TYPE", "OBJECTIVE", "TIME_AXIS", "METHODS", "POLICIES",
            "SIMULATE_OPTIONS", "POLICY_PROTOCOL", "solve", "simulate", "solution_json", "trace_json",
            "bench_instances", "BENCH_METHODS", "BENCH_POLICIES", "BENCH_SIMULATE_OPTIONS", "SWEEP_BUILDERS",
            "EXAMPLE_POLICY", "validate_point")

_LOADED: dict = {}


def kinds() -> list[str]:
    """Every registered kind, in bench order.

    Examples
    --------
    >>> kinds()
    ['pumping', 'rwa', 'mqce', 'qnum']
    """
    return list(FAMILY_MODULES)


def family(kind):
    """The plug-in module of a kind (imported on first use and checked against :data:`REQUIRED`).

    Examples
    --------
    >>> family("pumping").KIND
    'pumping'
    >>> family("pumpin")
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: kind = 'pumpin': must be one of pumping, rwa, mqce, qnum
    """
    if not isinstance(kind, str) or kind not in FAMILY_MODULES:
        raise ScenarioError("kind", kind, f"must be one of {', '.join(FAMILY_MODULES)}")
    if kind not in _LOADED:
        module = importlib.import_module(FAMILY_MODULES[kind])
        missing = [name for name in REQUIRED if not hasattr(module, name)]
        if missing or module.KIND != kind or getattr(module.SCENARIO_TYPE, "kind", None) != kind:
            raise RuntimeError(f"family plug-in {module.__name__} is incomplete: missing {missing}, or KIND / "
                               f"SCENARIO_TYPE.kind differ from {kind!r}")
        if next(iter(module.METHODS)) != "auto":
            raise RuntimeError(f"family plug-in {module.__name__}: METHODS must start with 'auto'")
        _LOADED[kind] = module
    return _LOADED[kind]


def family_of(scenario):
    """The plug-in of a scenario object (by its type's ``kind``).

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> family_of(four_node_example()).KIND
    'pumping'
    """
    kind = getattr(type(scenario), "kind", None)
    if kind not in FAMILY_MODULES:
        raise OptionError("scenario", type(scenario).__name__, "is not a qnum scenario; build one with "
                          "qnum.load_scenario or a builder of qnum.networks")
    module = family(kind)
    if not isinstance(scenario, module.SCENARIO_TYPE):
        raise OptionError("scenario", type(scenario).__name__, f"is not a {module.SCENARIO_TYPE.__name__}")
    return module
