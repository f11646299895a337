"""QNUM local solve (scipy SLSQP) in log variables (Kar & Wehner change of variables), for comparison.

Variables ``u_r = log x_r`` and ``y_l = log w_l``; constraints
``sum_{r through l} exp(u_r) + d_l exp(y_l) <= d_l`` are convex; the objective
``sum_r omega_r (u_r + log E(exp(Z_r + o_r)))`` (``o_r`` the route's decoherence) is concave
where ``log E(e^Z)`` is concave. SLSQP on the true objective from three uniform starts, the
best point kept: a local optimum, uncertified. The certified solves are the CVXPY convex model
(:mod:`qnum.models.repeater`, concave case) and the branch and bound
(:mod:`qnum.solvers.repeater.branch_and_bound`, any case), which polishes its incumbents with the same
SLSQP step (:meth:`qnum.solvers.repeater.branch_and_bound._Problem.polished`).
"""

from __future__ import annotations

import time

import numpy as np

from qnum.networks.repeater import RepeaterScenario, from_links
from qnum.solution import Solution, Status
from qnum.solvers.repeater.branch_and_bound import _Problem


def solve_local(scenario: RepeaterScenario) -> Solution:
    """Local optimum of a scenario (no bound, termination ``no_bound``); status INFEASIBLE when
    no start reaches E > 0 (which proves nothing either).

    Values: ``rates`` and ``fidelity`` by route name, ``werner`` by link name.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> round(solve_local(two_user()).objective, 3)
    6.422
    """
    t0 = time.perf_counter()
    pb = _Problem.of(scenario)
    A, d = pb.A, pb.d
    R = A.shape[1]
    per_link = np.maximum(A.sum(axis=1), 1)
    best = None
    for y0 in (-0.01, -0.03, -0.1):
        y = np.full(A.shape[0], y0)
        x = np.min(np.where(A > 0, (d * (1 - np.exp(y)) / per_link)[:, None], np.inf), axis=0)
        v = pb.repaired(pb.polished(np.concatenate([np.log(0.9 * x), y])))
        value = pb.true_value(v[:R], v[R:])
        if best is None or value > best[1]:
            best = (v, value)
    v, value = best
    sec = time.perf_counter() - t0
    if not np.isfinite(value):
        return Solution(status=Status.INFEASIBLE, objective=None, bound=None, values={},
                        solver="scipy-slsqp", seconds=sec,
                        message="no start reached positive utility on every route", termination="no_bound")
    return Solution(status=Status.FEASIBLE, objective=value, bound=None,
                    message="local SLSQP solve in log variables; no certified bound",
                    values=scenario.labelled(np.exp(v[:R]), np.exp(v[R:])),
                    solver="scipy-slsqp", seconds=sec, termination="no_bound")


def solve_qnum(links, routes, utility="distillable", **physics) -> Solution:
    """:func:`solve_local` of ``from_links(links, routes, utility, **physics)``; ``links`` maps
    name -> length_km, ``routes`` is a list of ``(link_names, weight)``.

    Examples
    --------
    >>> s = solve_qnum({"u1": 2.0, "u2": 2.0, "s": 2.0},
    ...                [(["u1", "s"], 1.0), (["u2", "s"], 1.0)])
    >>> round(s.objective, 3)
    6.422
    >>> solve_qnum({"a": 1.0}, [(["b"], 1.0)])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: routes[0].links = 'b': unknown link; known links: a
    """
    return solve_local(from_links(links, routes, utility, **physics))
