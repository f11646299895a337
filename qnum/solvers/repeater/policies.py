"""QNUM online runs as traces: QPrimalDual (message level, its variants), the baselines, and the user's controllers.

:func:`run_builtin` runs a built-in policy of :mod:`qnum.families.repeater` and
:func:`run_user` a user's rate/fidelity controller (the protocol is
:data:`qnum.families.repeater.POLICY_PROTOCOL`); both return a :class:`~qnum.trace.Trace` on
the ``iteration`` axis whose objective is the QNUM utility ``Σ_r ω_r log(x_r E(W_r))`` at
the online point (:meth:`~qnum.networks.repeater.RepeaterScenario.objective`) and whose
violation is the normalized capacity overshoot ``max(0, max_l Σ_{r ∋ l} x_r / d_l + w_l − 1)``.
A final point is called feasible when its overshoot is at most :data:`FEASIBILITY_TOL`
(0.1 % of a link's capacity: primal-dual dynamics stopped after finitely many iterations
still overshoot a little, and that is reported, not hidden).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from qnum.errors import PolicyError
from qnum.networks.repeater import RepeaterScenario
from qnum.trace import Trace

#: proportional gain of ``qprimaldual-pi`` unless ``pi_gain`` is given (qnum's choice: it damps
#: the delayed loop on NSFNet, where the plain update overshoots; RESULTS.md)
DEFAULT_PI_GAIN = 100.0

#: iterations (controller slots) simulated unless ``slots`` is given
DEFAULT_ITERS = 20000

#: a final point whose normalized capacity overshoot is at most this is feasible
FEASIBILITY_TOL = 1e-3

#: a user decision overshooting a link's normalized capacity by more than this breaks the model
DECISION_TOL = 1e-9

#: where every controller starts: QPrimalDual's initial iterate (x_r = 1 pair/s, w_l = e^-0.05)
INITIAL_RATE = 1.0
INITIAL_WERNER = math.exp(-0.05)


def _record_every(slots: int, record_every) -> int:
    return int(record_every) if record_every is not None else max(1, slots // 200)


def _trace(sc: RepeaterScenario, policy: str, times, objective, rates, werner, t0, info, message="",
           violations=None) -> Trace:
    rates, werner = np.atleast_2d(rates), np.atleast_2d(werner)
    if violations is None:
        over = np.max(rates @ sc.incidence.T / sc.capacity_scale + werner - 1.0, axis=1)
        violations = np.maximum(over, 0.0)
    final_violation = float(violations[-1])
    feasible = bool(final_violation <= FEASIBILITY_TOL)
    if not feasible:
        message = "; ".join(filter(None, [f"final point overshoots a link's capacity by {final_violation:.3g} of "
                                          f"it (more than {FEASIBILITY_TOL:g}): infeasible", message]))
    return Trace("qnum", policy, "iteration", times=times, objective=objective,
                 final=sc.labelled(rates[-1], werner[-1]),
                 states={"rates": rates, "werner": werner},
                 labels={"rates": list(sc.route_names), "werner": list(sc.link_names)},
                 point_key="rates", feasible=feasible, violation=final_violation, violations=violations,
                 info=info, seconds=time.perf_counter() - t0, message=message)


def run_builtin(sc: RepeaterScenario, policy: str, *, slots: int = DEFAULT_ITERS, hop_delay: int = 0,
                pi_gain: float | None = None, record_every: int | None = None) -> Trace:
    """Run a built-in policy; options are those of :data:`qnum.families.repeater.SIMULATE_OPTIONS`.

    QPrimalDual variants record every ``record_every`` iterations (default ``slots // 200``);
    baselines are one-point traces at iteration 0 (they take no options).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> tr = run_builtin(two_user(), "qprimaldual")
    >>> round(tr.final_objective, 3), tr.feasible, int(tr.times[-1])
    (6.422, True, 20000)
    >>> tr = run_builtin(two_user(), "fixed-fidelity")
    >>> len(tr), round(tr.final["rates"]["route0"], 2)
    (1, 28.65)
    """
    t0 = time.perf_counter()
    if policy.startswith("qprimaldual"):
        from qnum.solvers.repeater.messages import qprimaldual_messages

        gain = (DEFAULT_PI_GAIN if pi_gain is None else float(pi_gain)) if policy == "qprimaldual-pi" else 0.0
        every = _record_every(slots, record_every)
        run = qprimaldual_messages(sc, iters=slots, hop_delay=hop_delay, pi_gain=gain, record_every=every,
                                   variant="local" if policy == "qprimaldual-local" else "exact")
        info = {"slots": slots, "hop_delay": hop_delay, "record_every": every,
                "variant": "local" if policy == "qprimaldual-local" else "exact"}
        if policy == "qprimaldual-pi":
            info["pi_gain"] = gain
        return _trace(sc, policy, run.times, run.objective, run.rates_history, run.werner_history, t0, info,
                      violations=run.violations)
    from qnum.physics.werner import werner_from_fidelity
    from qnum.solvers.repeater import baselines

    if policy == "max-fidelity":
        _, x, w = baselines.max_fidelity(sc)
        info = {"demand_fraction": baselines.DEFAULT_DEMAND_FRACTION}
    else:
        run = baselines.fixed_fidelity_equal_shares if policy == "fixed-fidelity" else baselines.rate_only_num
        _, x = run(sc)
        w = np.full(len(sc.link_names), float(werner_from_fidelity(baselines.DEFAULT_LINK_FIDELITY)))
        info = {"link_fidelity": baselines.DEFAULT_LINK_FIDELITY}
    return _trace(sc, policy, [0], [sc.objective(x, w)], x, w, t0, info)


@dataclass(frozen=True)
class ControllerSetup:
    """What a user controller's ``reset(setup)`` receives: the static network.

    Attributes
    ----------
    routes, links : list of str
        Route and link names (the order of array decisions).
    route_links : dict
        ``{route: [link names]}``.
    capacity_scale : dict
        ``{link: d_l}``, pairs/s at Werner parameter 0 (a link carries Σ x_r / d_l + w_l ≤ 1).
    weights : dict
        ``{route: ω_r}``.
    utility : str
        ``"distillable"``, ``"secret-key"`` or ``"negativity"``.
    incidence : numpy.ndarray
        Links × routes, 1 where a route uses a link (read-only).
    iterations : int
        Iterations of the run.
    initial_rates, initial_werner : dict
        The state before the first decision (x_r = 1 pair/s, w_l = e^-0.05, QPrimalDual's start).
    """

    routes: list
    links: list
    route_links: dict
    capacity_scale: dict
    weights: dict
    utility: str
    incidence: np.ndarray
    iterations: int
    initial_rates: dict
    initial_werner: dict


@dataclass(frozen=True)
class ControllerObservation:
    """What a user controller's ``decide(observation)`` gets at iteration ``t``: the network in the
    state of its previous decision.

    Attributes
    ----------
    iteration : int
        t = 1, 2, ...
    rates : dict
        ``{route: x_r}``, the controller's own last rates.
    werner : dict
        ``{link: w_l}``, its own last Werner parameters.
    load : dict
        ``{link: Σ_{r ∋ l} x_r / d_l + w_l}``, what each link measures (≤ 1 is within capacity).
    log_werner : dict
        ``{route: Z_r = log W_r}``, the route's log-Werner sum with decoherence (ACK-carried).
    marginal : dict
        ``{route: G'(Z_r)}``, G(z) = log E(e^z) (ACK-carried; inf where E(W_r) <= 0).
    """

    iteration: int
    rates: dict
    werner: dict
    load: dict
    log_werner: dict
    marginal: dict


def controller_setup(sc: RepeaterScenario, slots: int) -> ControllerSetup:
    """The :class:`ControllerSetup` of a scenario (protocol in :data:`qnum.families.repeater.POLICY_PROTOCOL`).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> s = controller_setup(two_user(), 100)
    >>> s.routes, s.route_links["route0"], round(s.capacity_scale["s"], 2)
    (['route0', 'route1'], ['u1', 's'], 1432.49)
    """
    A = sc.incidence
    A.setflags(write=False)
    return ControllerSetup(routes=list(sc.route_names), links=list(sc.link_names),
                           route_links=dict(zip(sc.route_names, sc.route_link_names())),
                           capacity_scale=dict(zip(sc.link_names, sc.capacity_scale.tolist())),
                           weights=dict(zip(sc.route_names, sc.weights.tolist())),
                           utility=sc.utility, incidence=A, iterations=slots,
                           initial_rates={r: INITIAL_RATE for r in sc.route_names},
                           initial_werner={link: INITIAL_WERNER for link in sc.link_names})


def _values(decision, key, names, t, low, high, what):
    """The decision's ``key`` as an array in ``names`` order, validated (PolicyError naming the item)."""
    step = f"iteration {t}"
    raw = decision[key]
    if isinstance(raw, dict):
        for name in raw:
            if name not in names:
                raise PolicyError(step, name, f"unknown {what} in decision[{key!r}]; {what}s: {', '.join(names)}")
        missing = [n for n in names if n not in raw]
        if missing:
            raise PolicyError(step, missing[0], f"no value for this {what} in decision[{key!r}]")
        items = [raw[n] for n in names]
    else:
        try:
            items = list(np.asarray(raw, dtype=object).reshape(-1)) if np.ndim(raw) == 1 else None
        except Exception:  # noqa: BLE001 - whatever the policy returned, it is not an array
            items = None
        if items is None or len(items) != len(names):
            raise PolicyError(step, key, f"must be a dict {{{what}: value}} or {len(names)} numbers in {what} order")
    out = np.empty(len(names))
    for name, value in zip(names, items):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise PolicyError(step, name, f"{key} value {value!r} is not a number")
        value = float(value)
        if not math.isfinite(value) or not (value > low if key == "rates" else low <= value < high):
            rule = "a finite number > 0" if key == "rates" else "a number in [0, 1)"
            raise PolicyError(step, name, f"{key} value {value!r} must be {rule}")
        out[names.index(name)] = value
    return out


def run_user(sc: RepeaterScenario, user, *, slots: int = DEFAULT_ITERS, record_every: int | None = None,
             on_violation: str = "error") -> Trace:
    """Run a user's rate/fidelity controller (a :class:`~qnum.policies.UserPolicy`) for ``slots`` iterations.

    Each iteration ``t = 1 .. slots`` the controller gets the observation of the network in
    the state of its previous decision and returns the next one (protocol:
    :data:`qnum.families.repeater.POLICY_PROTOCOL`). A decision that is not one (a missing or
    unknown route or link, a non-finite number, a rate <= 0, a Werner parameter outside
    [0, 1)) raises :class:`~qnum.errors.PolicyError` naming the iteration and the route or
    link; so does a link overshooting its capacity by more than :data:`DECISION_TOL`, unless
    ``on_violation="record"`` (then the overshoot is recorded in the trace's violations).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> from qnum.policies import as_policy
    >>> def half(obs):
    ...     return {"rates": {r: 10.0 for r in obs.rates}, "werner": {l: 0.9 for l in obs.werner}}
    >>> tr = run_user(two_user(), as_policy(half), slots=10)
    >>> int(tr.times[-1]), tr.feasible, tr.final["werner"]["s"]
    (10, True, 0.9)
    """
    from qnum.solvers.repeater.branch_and_bound import log_utility

    t0 = time.perf_counter()
    routes, links = list(sc.route_names), list(sc.link_names)
    A, d, off = sc.incidence, sc.capacity_scale, sc.route_log_decay
    every = _record_every(slots, record_every)
    user.reset(controller_setup(sc, slots))
    x = np.full(len(routes), INITIAL_RATE)
    w = np.full(len(links), INITIAL_WERNER)
    times, objective, violations, xs, ws = [], [], [], [], []
    worst, violating = 0.0, 0

    def record(t, over):
        times.append(t)
        objective.append(sc.objective(x, w))
        violations.append(max(float(np.max(over)), 0.0))
        xs.append(x.copy())
        ws.append(w.copy())

    over = A @ x / d + w - 1.0
    record(0, over)
    for t in range(1, slots + 1):
        with np.errstate(divide="ignore"):
            Z = A.T @ np.log(w) + off
        _, dg = log_utility(sc.utility, Z)
        observation = ControllerObservation(
            iteration=t, rates=dict(zip(routes, x.tolist())), werner=dict(zip(links, w.tolist())),
            load=dict(zip(links, (over + 1.0).tolist())), log_werner=dict(zip(routes, Z.tolist())),
            marginal=dict(zip(routes, dg.tolist())))
        decision = user.decide(observation)
        if not isinstance(decision, dict):
            raise PolicyError(f"iteration {t}", decision, "a decision must be a dict {\"rates\": ..., \"werner\": ...}")
        for key in decision:
            if key not in ("rates", "werner"):
                raise PolicyError(f"iteration {t}", key, "unknown key of a decision (it has \"rates\" and \"werner\")")
        for key in ("rates", "werner"):
            if key not in decision:
                raise PolicyError(f"iteration {t}", key, "missing from the decision")
        x = _values(decision, "rates", routes, t, 0.0, math.inf, "route")
        w = _values(decision, "werner", links, t, 0.0, 1.0, "link")
        over = A @ x / d + w - 1.0
        bad = int(np.argmax(over))
        if over[bad] > DECISION_TOL:
            if on_violation == "error":
                raise PolicyError(f"iteration {t}", links[bad],
                                  f"over capacity: sum_r x_r/d_l + w_l - 1 = {over[bad]:.3g} > {DECISION_TOL:g} "
                                  "(run with on_violation=\"record\" to record it instead)")
            violating += 1
            worst = max(worst, float(over[bad]))
        if t % every == 0 or t == slots:
            record(t, over)
    info = {"slots": slots, "record_every": every, "on_violation": on_violation,
            "violating_iterations": violating, "max_violation": worst}
    message = (f"{violating} of {slots} iterations over capacity (worst {worst:.3g})" if violating else "")
    return _trace(sc, user.name, times, objective, np.array(xs), np.array(ws), t0, info, message=message,
                  violations=np.array(violations))
