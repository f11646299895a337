"""QNUM local solve (scipy SLSQP) in log variables (Kar & Wehner change of variables), for comparison.

Variables ``u_r = log x_r`` and ``y_l = log w_l``; constraints
``sum_{r through l} exp(u_r) + d_l exp(y_l) <= d_l`` are convex; the objective
``sum_r omega_r (u_r + log E(exp(Z_r)))`` with ``Z_r = sum_{l in r} y_l`` is concave where
``log E(e^Z)`` is concave. Solved with scipy SLSQP from one start and checked by KKT
stationarity: a local optimum, uncertified. The certified solves are the CVXPY convex model
(:mod:`qnum.models.qnum`, concave case) and the branch and bound
(:mod:`qnum.solvers.qnum_global`, any case).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import minimize

from qnum.physics.werner import UTILITIES, fidelity_from_werner, link_capacity_scale
from qnum.solution import Solution, Status


def validate_inputs(links: dict, routes, utility: str) -> None:
    """Reject bad QNUM input, naming the field: link lengths, routes, weights, utility.

    Examples
    --------
    >>> validate_inputs({"a": 1.0}, [(["b"], 1.0)], "distillable")
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: routes[0].links = 'b': unknown link; known links: a
    """
    from qnum.networks.repeater import from_links   # one validator: the scenario's
    from_links(links, routes, utility)


def solve_qnum(links, routes, utility="distillable", attempt_time_s=1e-3,
               attenuation_db_per_km=0.2, efficiency=1.0, log_decay=None):
    """Solve a QNUM scenario; ``links`` maps name -> length_km, ``routes`` is a list of
    ``(link_names, weight)``; ``log_decay`` (per route, ``-Γ t_r``) the decoherence factor.

    Examples
    --------
    >>> s = solve_qnum({"u1": 2.0, "u2": 2.0, "s": 2.0},
    ...                [(["u1", "s"], 1.0), (["u2", "s"], 1.0)])
    >>> round(s.objective, 3)
    6.422
    """
    validate_inputs(links, routes, utility)
    E = UTILITIES[utility]
    names = list(links)
    L, R = len(names), len(routes)
    d = np.array([float(link_capacity_scale(links[n], attempt_time_s,
                                            attenuation_db_per_km, efficiency)) for n in names])
    A = np.zeros((L, R))
    for r, (rl, _) in enumerate(routes):
        for l in rl:
            A[names.index(l), r] = 1.0
    om = np.array([float(wt) for _, wt in routes])
    off = np.zeros(R) if log_decay is None else np.asarray(log_decay, float)
    t0 = time.perf_counter()

    def obj(v):
        u, y = v[:R], v[R:]
        Z = A.T @ y + off
        e = E(np.exp(Z))
        if np.any(e <= 0):
            return 1e6 + float(np.sum(np.maximum(0, -e)))
        return -float(om @ (u + np.log(e)))

    cons = {"type": "ineq", "fun": lambda v: d - A @ np.exp(v[:R]) - d * np.exp(v[R:])}
    bnds = [(None, None)] * R + [(None, 0.0)] * L
    best = None
    for y0 in (-0.01, -0.03, -0.1):
        y = np.full(L, y0)
        cnt = np.maximum(A.sum(axis=1), 1)
        x = np.min(np.where(A > 0, (d * (1 - np.exp(y)) / cnt)[:, None], np.inf), axis=0)
        v0 = np.concatenate([np.log(x * 0.9), y])
        res = minimize(obj, v0, method="SLSQP", bounds=bnds, constraints=[cons],
                       options={"ftol": 1e-13, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    sec = time.perf_counter() - t0
    if best.fun >= 1e6 - 1:
        return Solution(status=Status.INFEASIBLE, objective=None, bound=None, values={},
                        solver="scipy-slsqp", seconds=sec)
    u, y = best.x[:R], best.x[R:]
    Wr = np.exp(A.T @ y + off)
    # No dual bound is computed yet, so the point is reported as feasible, not certified
    # optimal (the tests check KKT stationarity and the known value independently).
    return Solution(status=Status.FEASIBLE, objective=-float(best.fun), bound=None,
                    message="local SLSQP solve in log variables; no certified bound yet",
                    values={"rates": np.exp(u).tolist(), "werner": dict(zip(names, np.exp(y).tolist())),
                            "fidelity": fidelity_from_werner(Wr).tolist()},
                    solver="scipy-slsqp", seconds=sec)
