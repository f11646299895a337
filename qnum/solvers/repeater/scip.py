"""The QNUM global optimum by SCIP (``--method scip``): an independent cross-check of qnum's branch and bound.

The problem of :mod:`qnum.families.repeater` written directly in SCIP's expression language
(pyscipopt, the optional extra ``qnum[scip]``) and solved by SCIP's spatial branch and bound, with
no code shared with qnum's solvers except the scenario's arrays: log-rate variables ``u_r``,
log-Werner variables ``y_l``, and per route an epigraph variable ``t_r <= log E(W_r)`` with the
utility written out in closed form in the fidelity ``F = (3 W + 1) / 4``:

- distillable entanglement (hashing bound): ``E = 1 + F log2 F + (1 - F) log2((1 - F) / 3)``;
- secret key fraction: ``E = 1 - 2 h((1 - W) / 2)``;
- negativity: ``E = (3 W - 1) / 4``;

``W_r = exp(o_r + Σ_{l ∈ r} y_l)`` (``o_r`` the route's decoherence), capacities
``Σ_{r ∋ l} e^{u_r} + d_l e^{y_l} <= d_l``, objective ``Σ_r ω_r (u_r + t_r)``.

SCIP's dual bound is the certificate (``bound``). Its point satisfies the constraints to
SCIP's feasibility tolerance only, so qnum scales the rates down until every capacity holds
exactly and reports the objective recomputed at that point (never above SCIP's dual bound).
Variable bounds (qnum's choice, stated here): ``u_r >= -30`` (rates of at least e^-30 pair/s,
far below any optimum of a scenario qnum accepts; a rate at that limit is reported in the
message and the status is ``feasible``, as the bound then holds for the restricted problem
only), ``y_l >= log w_0`` with ``w_0`` just below the Werner parameter where the utility
reaches 0 (a route needs ``W_r > w_0``, so every link on it does), and ``E >= 1e-12``.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from qnum.errors import OptionError
from qnum.solution import Solution, Status

log = logging.getLogger(__name__)

#: a Werner parameter just below each utility's zero (hashing: F = 0.81071 ↔ W = 0.747614;
#: 1 − 2h((1 − W)/2) = 0 at W = 0.779944; negativity at W = 1/3): a valid lower bound of every
#: used link's Werner parameter
W_ZERO_BELOW = {"distillable": 0.7476, "secret-key": 0.7799, "negativity": 1 / 3}

#: lower bound of the log-rate variables (see the module docstring)
LOG_RATE_MIN = -30.0

#: SCIP's default relative gap for this method, and its default time limit (s)
SCIP_TOL = 1e-6
SCIP_TIME_LIMIT = 120.0


def _pyscipopt():
    try:
        import pyscipopt
    except ImportError:
        raise OptionError("method", "scip", "needs the SCIP solver: pip install 'qnum[scip]' (pyscipopt)") from None
    return pyscipopt


def build_model(sc, *, tol: float = SCIP_TOL, time_limit: float = SCIP_TIME_LIMIT):
    """The SCIP model of a QNUM scenario: ``(model, u, y)`` (log-rate and log-Werner variables).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> model, u, y = build_model(two_user())
    >>> len(u), len(y), model.getNConss()
    (2, 3, 7)
    """
    scip = _pyscipopt()
    A, d, om = sc.incidence, sc.capacity_scale, sc.weights
    L, R = A.shape
    w0 = W_ZERO_BELOW[sc.utility]
    m = scip.Model("qnum")
    m.hideOutput()
    m.setParam("limits/gap", float(tol))
    m.setParam("limits/time", float(time_limit))
    u = [m.addVar(f"u{r}", lb=LOG_RATE_MIN, ub=float(np.log(d.max()))) for r in range(R)]
    y = [m.addVar(f"y{l}", lb=math.log(w0), ub=-1e-9) for l in range(L)]
    t = [m.addVar(f"t{r}", lb=-60, ub=0) for r in range(R)]
    for l in range(L):
        m.addCons(scip.quicksum(scip.exp(u[r]) for r in range(R) if A[l, r]) + float(d[l]) * scip.exp(y[l])
                  <= float(d[l]))
    ln2 = math.log(2)
    for r in range(R):
        W = scip.exp(scip.quicksum(y[l] for l in range(L) if A[l, r]) + float(sc.route_log_decay[r]))
        F = (3 * W + 1) / 4
        if sc.utility == "distillable":        # hashing bound
            E = 1 + F * scip.log(F) / ln2 + (1 - F) * scip.log((1 - F) / 3) / ln2
        elif sc.utility == "secret-key":       # 1 − 2 h((1 − W)/2)
            e = (1 - W) / 2
            E = 1 + 2 * (e * scip.log(e) + (1 - e) * scip.log(1 - e)) / ln2
        else:                                  # negativity
            E = (3 * W - 1) / 4
        m.addCons(E >= 1e-12)
        m.addCons(t[r] <= scip.log(E))
    m.setObjective(scip.quicksum(float(om[r]) * (u[r] + t[r]) for r in range(R)), "maximize")
    return m, u, y


def _objective(sc, x, w) -> float:
    """Σ ω_r log(x_r E(W_r)) at a point, from the physics (-inf where E <= 0)."""
    from qnum.physics.werner import UTILITIES

    W = np.array([math.exp(sc.route_log_decay[r]) * math.prod(w[list(links)]) for r, links in enumerate(sc.routes)])
    E = UTILITIES[sc.utility](W)
    if np.any(E <= 0) or np.any(x <= 0):
        return -math.inf
    return float(sc.weights @ (np.log(x) + np.log(E)))


def solve_scip(sc, tol: float | None = None, time_limit: float | None = None) -> Solution:
    """Global optimum of a QNUM scenario by SCIP, certified by SCIP's dual bound.

    Status OPTIMAL (``converged``) when the relative gap of the reported point (rates scaled to
    exact feasibility) to SCIP's dual bound is within ``tol``; TIME_LIMIT when SCIP's time
    limit expires (with its best point, if any, and its dual bound); INFEASIBLE when SCIP
    proves that no route can reach positive utility; FEASIBLE otherwise (e.g. a rate at the
    variable bound ``e^-30``, see the module docstring).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> s = solve_scip(two_user())
    >>> str(s.status), round(s.objective, 4), s.bound >= s.objective, s.solver
    ('optimal', 6.4217, True, 'scip')
    """
    tol = SCIP_TOL if tol is None else tol
    time_limit = SCIP_TIME_LIMIT if time_limit is None else time_limit
    t0 = time.perf_counter()
    m, u, y = build_model(sc, tol=0.5 * tol, time_limit=time_limit)
    log.info("SCIP: %d routes, %d links, utility %s, gap %g, time limit %g s", len(u), len(y), sc.utility,
             0.5 * tol, time_limit)
    m.optimize()
    status = m.getStatus()
    dual = m.getDualbound()
    seconds = time.perf_counter() - t0
    log.info("SCIP: status %s after %d nodes in %.2f s, dual bound %.8g", status, m.getNNodes(), seconds, dual)
    bound = float(dual) if math.isfinite(dual) and abs(dual) < 1e19 else None
    if status == "infeasible":
        return Solution(Status.INFEASIBLE, None, None, {}, "scip", seconds, "SCIP: infeasible (no route can reach "
                        "positive utility)", termination="infeasible")
    if m.getNSols() == 0:
        st = Status.TIME_LIMIT if status == "timelimit" else Status.ERROR
        return Solution(st, None, bound, {}, "scip", seconds, f"SCIP status {status}, no point found",
                        termination="time_limit" if status == "timelimit" else "solver_error")
    best = m.getBestSol()
    uu = np.array([m.getSolVal(best, v) for v in u])
    yy = np.minimum(np.array([m.getSolVal(best, v) for v in y]), 0.0)
    x, w = np.exp(uu), np.exp(yy)
    # SCIP's point meets the capacities to its feasibility tolerance: scale the rates down to
    # meet them exactly (w < 1 stays as it is)
    A, d = sc.incidence, sc.capacity_scale
    load = A @ x
    room = d * (1.0 - w)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, room / np.where(load > 0, load, 1.0), np.inf)
    scale = min(1.0, float(np.min(ratio)))
    x = x * scale * (1 - 1e-12)
    objective = _objective(sc, x, w)
    if bound is not None:
        bound = max(bound, objective)
    message = f"SCIP status {status}, {m.getNNodes()} nodes"
    at_floor = np.flatnonzero(uu <= LOG_RATE_MIN + 1e-6)
    gap_ok = bound is not None and math.isfinite(objective) and \
        bound - objective <= tol * max(abs(objective), abs(bound))
    if at_floor.size:
        message += f"; routes {at_floor.tolist()} at the rate floor e^{LOG_RATE_MIN:g}: bound of the restricted problem"
        st, termination = Status.FEASIBLE, "stalled"
    elif status == "timelimit" and not gap_ok:
        st, termination = Status.TIME_LIMIT, "time_limit"
    elif gap_ok:
        st, termination = Status.OPTIMAL, "converged"
    else:
        st, termination = Status.FEASIBLE, "stalled"
        message += f"; relative gap above the requested {tol:g} after rescaling the rates to exact feasibility"
    values = {**sc.labelled(x, w), "nodes": int(m.getNNodes())}
    return Solution(st, objective, bound, values, "scip", seconds, message, termination=termination)
