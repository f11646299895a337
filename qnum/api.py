"""The front-end every family shares: load a scenario, solve it, run an online policy, compare.

    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("pumping/four_node.json"))
    >>> sol = qnum.solve(sc)                       # certified optimum: a Solution
    >>> tr = qnum.simulate(sc, "pf", slots=5000)   # an online run: a Trace
    >>> rep = qnum.compare(tr, sol)                # a Report: gap over time
    >>> str(sol.status), rep.time_axis
    ('optimal', 'slot')

The same five lines work for every kind (``pumping``, ``rwa``, ``mqce``, ``qnum``); the
family is read off the scenario and only its plug-in is imported
(:mod:`qnum.families`). Methods, policies and options are checked against the family's
declarations before anything runs (:mod:`qnum.options`).
"""

from __future__ import annotations

from pathlib import Path

from qnum.bench.report import Report, compare
from qnum.errors import OptionError, ScenarioError
from qnum.families import family, family_of
from qnum.options import check_simulate_options, check_solve_options
from qnum.policies import UserPolicy, as_policy, is_policy_spec, load_policy

__all__ = ["load_scenario", "scenario_from_dict", "solve", "simulate", "compare", "Report", "data_path"]


def scenario_from_dict(data: dict, base_dir=None):
    """A validated scenario of any kind from its dict form (the scenario-file content).

    A dict with a ``"topology"`` key (a built-in name, ``"topohub:<key>"`` or a topology file,
    relative to ``base_dir`` when given) is built by the family's topology builder
    (:mod:`qnum.networks.from_topology`; its other keys are the builder's parameters).

    Examples
    --------
    >>> scenario_from_dict({"kind": "mqce", "coordinates": [[0, 0], [1, 0]], "decay_length_km": 1.0}).kind
    'mqce'
    >>> scenario_from_dict({"kind": "qnum", "topology": "nsfnet", "n_pairs": 4}).route_names
    ('10-9', '13-14', '14-3', '3-8')
    """
    if not isinstance(data, dict):
        raise ScenarioError("scenario", data, "must be an object (a dict) with a \"kind\" key")
    if "kind" not in data:
        raise ScenarioError("kind", None, "the scenario has no \"kind\" key")
    if "topology" in data:
        family(data["kind"])                      # an unknown kind: the registry's error
        from qnum.networks.from_topology import expand

        return expand(data, base_dir)
    return family(data["kind"]).SCENARIO_TYPE.from_dict(data)


def load_scenario(source, kind: str | None = None):
    """Read a scenario of any kind: a scenario file (``.json`` / ``.toml`` / ``.npz``), a dict, or a topology.

    A topology — a ``.graphml`` / ``.gml`` / ``.csv`` file, a node-link ``.json`` without a
    ``"kind"`` key, ``"topohub:<key>"``, ``"nsfnet"`` / ``"usnet"`` or a networkx graph — needs
    ``kind`` and gives that family's default scenario on it
    (:func:`qnum.networks.from_topology.from_topology`). A scenario file may also name a
    topology itself (``{"kind": ..., "topology": ...}``), then ``kind`` is not needed; when
    given, it must match the file's.

    Examples
    --------
    >>> load_scenario(data_path("qnum/two-user.json")).kind
    'qnum'
    >>> load_scenario("nsfnet", kind="mqce").nodes
    14
    >>> load_scenario("nsfnet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: kind = None: 'nsfnet' is a network, not a scenario: give the kind to build on it ...
    """
    from qnum.networks.sources import is_topology_source

    if kind is not None:
        family(kind)                              # an unknown kind: the registry's error, naming the kinds
    if not isinstance(source, dict) and is_topology_source(source):
        return _network_scenario(source, kind)
    if isinstance(source, dict):
        scenario = scenario_from_dict(source)
    else:
        from qnum.networks.io import looks_like_node_link, parse_file, scenario_data

        data = parse_file(source)                   # once: a .json file is a scenario or a node-link network
        if looks_like_node_link(data):
            return _network_scenario(source, kind)
        scenario = scenario_from_dict(scenario_data(data, source), base_dir=Path(source).parent)
    if kind is not None and scenario.kind != kind:
        raise ScenarioError("kind", kind, f"the scenario is of kind {scenario.kind!r}")
    return scenario


def _network_scenario(source, kind):
    """The ``kind`` family's default scenario on the network ``source``; a network without a kind is an error."""
    if kind is None:
        from qnum.families import kinds

        raise ScenarioError("kind", None, f"{str(source)!r} is a network, not a scenario: give the kind to build "
                            f"on it (one of {', '.join(kinds())})")
    from qnum.networks.from_topology import from_topology

    return from_topology(kind, source)


def data_path(name: str) -> Path:
    """Path of a scenario file shipped with qnum (``qnum/data/<name>``).

    Examples
    --------
    >>> data_path("rwa/dser-wss-os.json").name
    'dser-wss-os.json'
    """
    from importlib import resources

    path = Path(str(resources.files("qnum") / "data" / name))
    if not path.is_file():
        raise ScenarioError("file", name, "is not a scenario file shipped with qnum")
    return path


def solve(scenario, method: str = "auto", *, tol: float | None = None, time_limit: float | None = None,
          **solver_options):
    """Offline optimum of a scenario, with a certified bound.

    Parameters
    ----------
    scenario : a qnum scenario (any kind)
    method : str
        ``"auto"`` (the family's best certified method for this scenario) or one of the
        family's ``METHODS``.
    tol : float, optional
        Target relative gap in (0, 1); the method's default when omitted.
    time_limit : float, optional
        Seconds; on expiry the best point found is returned with its honest bound and status
        ``time_limit``.
    **solver_options
        Options of the chosen method (see the family's ``METHODS``).

    Returns
    -------
    Solution
        Status, objective, bound, gap, labelled decision values; ``termination`` says why the
        solver stopped.

    Raises
    ------
    OptionError
        An unknown method, an option the method does not honour, an invalid value.
    """
    module = family_of(scenario)
    tol, time_limit, solver_options = check_solve_options(module.KIND, module.METHODS, method, tol, time_limit,
                                                          solver_options)
    solution = module.solve(scenario, method, tol=tol, time_limit=time_limit, **solver_options)
    if not solution.family:
        solution.family = module.KIND
    return solution


def simulate(scenario, policy, **options):
    """Run an online policy on a scenario: a built-in name or the user's own policy.

    Parameters
    ----------
    scenario : a qnum scenario (any kind)
    policy : str or policy
        A built-in policy of the family (``POLICIES``), ``"path/file.py:NAME"`` /
        ``"module:NAME"``, or a policy object or function (:mod:`qnum.policies`; the
        family's ``POLICY_PROTOCOL`` says what it receives and returns).
    **options
        The family's ``SIMULATE_OPTIONS`` that apply to this policy.

    Returns
    -------
    Trace
    """
    module = family_of(scenario)
    if isinstance(policy, str) and not is_policy_spec(policy):
        if policy not in module.POLICIES:
            raise OptionError("policy", policy, f"kind {module.KIND!r} has policies {', '.join(module.POLICIES)}, "
                              "or give your own (file.py:NAME, module:NAME, or a policy object)")
        checked = check_simulate_options(module.KIND, module.SIMULATE_OPTIONS, policy, True, options)
        return module.simulate(scenario, policy, **checked)
    user = resolve_policy(policy)
    checked = check_simulate_options(module.KIND, module.SIMULATE_OPTIONS, user.name, False, options)
    return module.simulate(scenario, user, **checked)


def resolve_policy(policy):
    """A built-in name unchanged, or the user's policy loaded (``file.py:NAME``, ``module:NAME``) or normalized."""
    if isinstance(policy, UserPolicy) or (isinstance(policy, str) and not is_policy_spec(policy)):
        return policy
    return load_policy(policy) if isinstance(policy, str) else as_policy(policy)
