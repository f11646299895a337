"""The QNUM family's plug-in (kind "qnum"): repeater networks, route rates and link fidelities.

Problem (Panigrahy et al., "A Framework for Distributed Resource Allocation in Quantum
Networks"; REFERENCE.md §3): choose a rate ``x_r`` per route and a Werner parameter ``w_l``
per link to

    maximize    Σ_r ω_r log(x_r E(W_r)),    W_r = e^{o_r} Π_{l ∈ r} w_l
    subject to  Σ_{r ∋ l} x_r / d_l + w_l ≤ 1      for every link l,

with ``E`` the utility (distillable entanglement, secret key fraction or negativity) and
``o_r`` the route's decoherence. Scenario files: :meth:`RepeaterScenario.from_dict
<qnum.networks.repeater.RepeaterScenario.from_dict>`.

Solve methods (:data:`METHODS`): ``global`` (envelope branch and bound,
:mod:`qnum.solvers.repeater.branch_and_bound`, certified for every utility; ``auto``),
``convex`` (the CVXPY model :mod:`qnum.models.repeater`, exact in the concave case), ``local``
(SLSQP, uncertified), ``scip`` (SCIP's spatial branch and bound, :mod:`qnum.solvers.repeater.scip`,
an independent cross-check of ``global``; optional extra ``qnum[scip]``). Solution values:
``rates`` and ``fidelity`` by route name, ``werner`` by link name.

Online policies (:data:`POLICIES`): QPrimalDual at message level and its variants, and three
static baselines (one-point traces). The user's own controller follows :data:`POLICY_PROTOCOL`:

>>> import qnum
>>> sc = qnum.load_scenario(qnum.data_path("qnum/two-user.json"))
>>> def fixed(obs):            # equal shares of each link at w = 0.95 (the server link is shared)
...     return {"rates": {r: 0.02 * 1432.49 for r in obs.rates},
...             "werner": {link: 0.95 for link in obs.werner}}
>>> tr = qnum.simulate(sc, fixed, slots=5)
>>> rep = qnum.compare(tr, qnum.solve(sc))
>>> tr.feasible, bool(0 < rep.final_relative_gap < 1)
(True, True)
"""

from __future__ import annotations

import math

import numpy as np

from qnum.networks.repeater import RepeaterScenario, dumbbell, nsfnet, two_user
from qnum.options import CUSTOM, Method, Option, Policy
from qnum.solution import Solution
from qnum.trace import Trace

KIND = "qnum"
DESCRIPTION = ("QNUM over repeater networks: route rates and link Werner parameters maximizing Σ ω log(x E(W)) "
               "(Panigrahy et al., QPrimalDual)")
SCENARIO_TYPE = RepeaterScenario
OBJECTIVE = ("Σ_r ω_r log(x_r E(W_r)), W_r = e^{o_r} Π_{l ∈ r} w_l: the weighted log of each route's rate "
             "times its utility E (distillable entanglement, secret key fraction or negativity) at the "
             "route's Werner parameter; -inf when a route's E <= 0")
TIME_AXIS = "iteration"

#: default certificate tolerance of ``global`` (relative gap) and its default time limit (s)
GLOBAL_TOL = 1e-4
GLOBAL_TIME_LIMIT = 120.0

METHODS = {
    "auto": Method("global: the certified envelope branch and bound, for every utility"),
    "global": Method("envelope branch and bound over route log-Werner sums (certified for every utility); "
                     f"tol = relative gap (default {GLOBAL_TOL:g}), time_limit checked between boxes "
                     f"(default {GLOBAL_TIME_LIMIT:g} s)"),
    "convex": Method("CVXPY convex model in log variables with tangent cuts (Clarabel): optimal in the concave "
                     "case, otherwise the envelope bound with status feasible; tol = relative gap (default "
                     "1e-7), time_limit passed to Clarabel and checked between cut rounds; solver = another "
                     "CVXPY solver with exponential cones (e.g. SCS)",
                     solver_options=(Option("solver", "str", "CVXPY solver name with exponential cones "
                                                             "(default CLARABEL)"),)),
    "local": Method("scipy SLSQP from three starts: a local optimum, no bound", honours=(), certified=False),
    "scip": Method("SCIP's spatial branch and bound on the same problem written independently in SCIP's "
                   "expression language (pyscipopt, the optional extra qnum[scip]): a cross-check of global, "
                   "certified by SCIP's dual bound; tol = relative gap (default 1e-6), time_limit = SCIP's "
                   "(default 120 s)"),
}

POLICIES = {
    "qprimaldual": Policy("QPrimalDual (Panigrahy et al.) at message level: q-datagrams and ACKs carry "
                          "log-Werner sums, exact route marginals and path prices"),
    "qprimaldual-local": Policy("QPrimalDual's local variant (Panigrahy et al.): a link approximates its "
                                "routes' log-Werner sum by |r| y_l, no ACK-carried marginal"),
    "qprimaldual-pi": Policy("QPrimalDual with proportional-integral link prices (Panigrahy et al.'s "
                             "congestion-control extension; gain pi_gain, qnum's default 100)"),
    "fixed-fidelity": Policy("baseline: every link at fidelity 0.97 (qnum's stand-in), equal rate shares"),
    "rate-only": Policy("baseline: links at fidelity 0.97 (qnum's stand-in), proportional-fair rates "
                        "(classical NUM)"),
    "max-fidelity": Policy("baseline: demanded rates (qnum's stand-in: 1/2 of the rate-only rates), every link "
                           "at the highest Werner parameter they leave room for"),
}

_DYNAMICS = ("qprimaldual", "qprimaldual-local", "qprimaldual-pi")

SIMULATE_OPTIONS = {
    "slots": Option("slots", "int", "iterations (controller slots) to run", default=20000, minimum=1,
                    applies_to=_DYNAMICS + (CUSTOM,)),
    "hop_delay": Option("hop_delay", "int", "slots a classical message takes to cross each link", default=0,
                        minimum=0, applies_to=_DYNAMICS),
    "pi_gain": Option("pi_gain", "float", "proportional gain of the PI link prices", default=100.0, minimum=0.0,
                      applies_to=("qprimaldual-pi",)),
    "record_every": Option("record_every", "int", "iterations between recorded points (default slots // 200)",
                           minimum=1, applies_to=_DYNAMICS + (CUSTOM,)),
    "on_violation": Option("on_violation", "str", "a decision over a link's capacity: stop with an error, or "
                           "record it in the trace's violations", default="error", choices=("error", "record"),
                           applies_to=(CUSTOM,)),
}

POLICY_PROTOCOL = """\
A QNUM policy is a rate/fidelity controller, run for ``slots`` iterations.

reset(setup), once before the run; ``setup`` (qnum.solvers.repeater.policies.ControllerSetup)
has the static network as attributes:
    routes           route names (the order of array decisions)
    links            link names (the order of array decisions)
    route_links      {route: [link names]}
    capacity_scale   {link: d_l}, pairs/s at Werner parameter 0 (a link carries
                     Σ_{r ∋ l} x_r / d_l + w_l ≤ 1)
    weights          {route: ω_r}
    utility          "distillable" | "secret-key" | "negativity"
    incidence        numpy array (links × routes), 1 where a route uses a link
    iterations       the number of iterations of the run
    initial_rates, initial_werner   the state before the first decision
                     (x_r = 1 pair/s, w_l = e^-0.05, QPrimalDual's start)

decide(observation) at iterations t = 1, 2, ...; ``observation``
(qnum.solvers.repeater.policies.ControllerObservation) has what the network reports in the
state of the previous decision, as attributes:
    iteration    t
    rates        {route: x_r}, the controller's own last rates
    werner       {link: w_l}, its own last Werner parameters
    load         {link: Σ_{r ∋ l} x_r / d_l + w_l}, what each link measures (≤ 1 is within capacity)
    log_werner   {route: Z_r = log W_r}, the route's log-Werner sum with decoherence (ACK-carried)
    marginal     {route: G'(Z_r)}, G(z) = log E(e^z) (ACK-carried; inf where E(W_r) <= 0)

It returns {"rates": {route: x_r > 0}, "werner": {link: 0 <= w_l < 1}}; each of the two may
instead be a sequence of numbers in the setup's route / link order. Every route and link must
be given, finite and in range, and no link may exceed its capacity by more than 1e-9
(Σ x_r / d_l + w_l − 1); otherwise the run stops with PolicyError("iteration t", route or link,
reason) — unless on_violation="record", which records the overshoot in the trace's violations.
The trace's objective is the QNUM utility at each decision; its final point is feasible when the
overshoot is at most 1e-3. Options: slots, record_every, on_violation.
"""


#: the shipped worked example of a user controller
EXAMPLE_POLICY = "qnum.examples.repeater_policy:DualGradientController"


def solve(scenario: RepeaterScenario, method: str, *, tol=None, time_limit=None, **solver_options) -> Solution:
    """Offline optimum by ``method`` (:data:`METHODS`); options already checked by :func:`qnum.solve`.

    Examples
    --------
    >>> s = solve(two_user(), "global", tol=1e-6)
    >>> str(s.status), s.family, round(s.values["rates"]["route0"], 2)
    ('optimal', 'qnum', 58.1)
    """
    if method in ("auto", "global"):
        from qnum.solvers.repeater.branch_and_bound import solve_global

        sol = solve_global(scenario, rel_gap=GLOBAL_TOL if tol is None else tol,
                           time_limit_s=GLOBAL_TIME_LIMIT if time_limit is None else time_limit)
    elif method == "scip":
        from qnum.solvers.repeater.scip import solve_scip

        sol = solve_scip(scenario, tol=tol, time_limit=time_limit)
    elif method == "convex":
        from qnum.models.repeater import REL_GAP, solve_convex

        solver = solver_options.get("solver")
        if solver is not None:
            from qnum.solvers.conic import checked_solver_name

            solver = checked_solver_name(solver)
        sol = solve_convex(scenario, rel_gap=REL_GAP if tol is None else tol, time_limit_s=time_limit,
                           solver=solver or "CLARABEL")
    else:
        from qnum.solvers.repeater.local import solve_local

        sol = solve_local(scenario)
    sol.family = KIND
    return sol


def simulate(scenario: RepeaterScenario, policy, **options) -> Trace:
    """Run a built-in policy (a name of :data:`POLICIES`) or a user's controller
    (:class:`~qnum.policies.UserPolicy`, :data:`POLICY_PROTOCOL`); options already checked.

    Examples
    --------
    >>> tr = simulate(two_user(), "qprimaldual-pi", slots=5000, pi_gain=50.0)
    >>> tr.time_axis, tr.point_key, tr.labels["werner"]
    ('iteration', 'rates', ['u1', 'u2', 's'])
    """
    from qnum.solvers.repeater.policies import run_builtin, run_user

    slots = options.get("slots", SIMULATE_OPTIONS["slots"].default)
    if isinstance(policy, str):
        if policy not in _DYNAMICS:
            return run_builtin(scenario, policy)
        return run_builtin(scenario, policy, slots=slots, hop_delay=options.get("hop_delay", 0),
                           pi_gain=options.get("pi_gain"), record_every=options.get("record_every"))
    return run_user(scenario, policy, slots=slots, record_every=options.get("record_every"),
                    on_violation=options.get("on_violation", SIMULATE_OPTIONS["on_violation"].default))


def _plain(value):
    """Plain JSON: numpy numbers and arrays as Python numbers and lists, dict keys as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def solution_json(scenario: RepeaterScenario, solution: Solution) -> dict:
    """``qnum solve --json``: the summary plus ``rates``/``fidelity`` by route, ``werner`` by link and the
    method's extras (``nodes``, ``rounds``, the concavity report).

    Examples
    --------
    >>> d = solution_json(two_user(), solve(two_user(), "global"))
    >>> round(d["objective"], 4), sorted(d["werner"]), "utility" in d
    (6.4217, ['s', 'u1', 'u2'], False)
    """
    return {**solution.to_dict(), **_plain(solution.values)}


def trace_json(scenario: RepeaterScenario, trace: Trace) -> dict:
    """``qnum simulate --json``: the summary plus the final ``rates``, ``werner`` and ``fidelity`` and the
    run's settings (``info``).

    Examples
    --------
    >>> d = trace_json(two_user(), simulate(two_user(), "fixed-fidelity"))
    >>> d["policy"], round(d["rates"]["route1"], 2), d["feasible"]
    ('fixed-fidelity', 28.65, True)
    """
    return {**trace.to_dict(), **_plain(trace.final), "info": _plain(trace.info)}


def bench_instances() -> dict:
    """Built-in instances: the two-user example, a dumbbell and NSFNet (three utilities)."""
    return {"two-user": two_user(), "dumbbell-8": dumbbell(8),
            "nsfnet-20": nsfnet(20), "nsfnet-20-secret-key": nsfnet(20, utility="secret-key"),
            "nsfnet-20-negativity": nsfnet(20, utility="negativity")}


BENCH_METHODS = ("convex", "local")
BENCH_POLICIES = tuple(POLICIES)


def BENCH_SIMULATE_OPTIONS(slots, seed) -> dict:  # noqa: N802 - a protocol name
    """No options: the bench runs QPrimalDual for its default iterations (not the pumping slot count)."""
    return {}


def validate_point(scenario: RepeaterScenario, point: dict, capacity_tol: float = 1e-9) -> tuple:
    """Independent check of a labelled point (a Solution's ``values`` or a Trace's ``final``).

    Returns ``(objective, problems)``: the utility recomputed from the physics,
    Σ_r ω_r (log x_r + log E(W_r)) with W_r = e^{o_r} Π_{l ∈ r} w_l and E the scenario's
    entanglement measure of a Werner state, and every violation: rates ≤ 0, Werner parameters
    outside [0, 1), a link over capacity (Σ_{r ∋ l} x_r / d_l + w_l > 1 + ``capacity_tol``),
    fidelities that differ from (3 W_r + 1) / 4.

    Examples
    --------
    >>> import qnum
    >>> sc = two_user()
    >>> sol = qnum.solve(sc)
    >>> objective, problems = validate_point(sc, sol.values)
    >>> problems, bool(abs(objective - sol.objective) < 1e-9)
    ([], True)
    """
    from qnum.physics.werner import UTILITIES

    x = np.array([point["rates"][r] for r in scenario.route_names], dtype=float)
    w = np.array([point["werner"][link] for link in scenario.link_names], dtype=float)
    problems = [f"route {r}: rate {v!r} must be > 0" for r, v in zip(scenario.route_names, x) if not v > 0]
    problems += [f"link {name}: Werner parameter {v!r} must lie in [0, 1)" for name, v in zip(scenario.link_names, w)
                 if not 0 <= v < 1]
    load = np.zeros(len(w))
    for r, links in enumerate(scenario.routes):
        for link in links:
            load[link] += x[r] / scenario.capacity_scale[link]
    over = load + w - 1.0
    problems += [f"link {scenario.link_names[link]}: over capacity by {over[link]:.3g}"
                 for link in np.flatnonzero(over > capacity_tol)]
    W = np.array([math.exp(scenario.route_log_decay[r]) * math.prod(w[list(links)])
                  for r, links in enumerate(scenario.routes)])
    if "fidelity" in point:
        F = np.array([point["fidelity"][r] for r in scenario.route_names])
        if not np.allclose(F, (3 * W + 1) / 4, rtol=1e-9, atol=1e-12):
            problems.append("fidelity: differs from (3 W + 1) / 4 of the point's Werner parameters")
    E = UTILITIES[scenario.utility](W)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((x > 0) & (E > 0), np.log(np.where(x > 0, x, 1.0)) + np.log(np.where(E > 0, E, 1.0)), -np.inf)
    return float(scenario.weights @ terms), problems


def bench_metrics(scenario: RepeaterScenario, result) -> dict:
    """Lowest route fidelity of the point (a Solution's or a Trace's final point)."""
    values = result.final if isinstance(result, Trace) else result.values
    fidelity = values.get("fidelity") if isinstance(values, dict) else None
    return {"min_fidelity": float(min(fidelity.values()))} if fidelity else {}


def _sweep_nsfnet(n_pairs: int = 10, seed: int = 0, length_scale: float = 0.01, utility: str = "distillable") -> dict:
    return nsfnet(int(n_pairs), seed=int(seed), length_scale=float(length_scale), utility=utility).to_dict()


def _sweep_dumbbell(n_pairs: int = 4, access_km: float = 15.0, backbone_km: float = 30.0,
                    utility: str = "distillable") -> dict:
    return dumbbell(int(n_pairs), float(access_km), float(backbone_km), utility).to_dict()


#: Builders the sweep engine can name in ``base.builder`` (see :mod:`qnum.sweep.builders`).
SWEEP_BUILDERS = {"nsfnet": _sweep_nsfnet, "dumbbell": _sweep_dumbbell}
