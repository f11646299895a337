"""QNUM concave case as a CVXPY model: the convex reformulation in log variables.

Variables (Kar & Wehner's change of variables) ``u_r = log x_r`` and ``y_l = log w_l``:

    maximize    Σ_r ω_r (u_r + t_r)
    subject to  Σ_{r ∋ l} e^{u_r} + d_l e^{y_l} ≤ d_l       (link capacity, convex)
                y ≤ 0,   Z_r = Σ_{l ∈ r} y_l + o_r ≥ z_0     (E > 0; o_r = decoherence)
                t_r ≤ Ĝ(Z_r)                                 (route quality)

with ``G(z) = log E(e^z)`` and ``Ĝ`` its concave envelope on the route's feasible range
``[z_0, o_r]``. ``G`` is concave below an inflection point (everywhere for the negativity;
below F ≈ 0.97 for the distillable entanglement and the secret key fraction), so ``Ĝ = G``
there and the model is the exact convex reformulation wherever the optimum's fidelities lie
below it.

How ``t_r ≤ Ĝ(Z_r)`` is written:

* negativity, exactly (qnum's DCP form): ``G(z) = log((3e^z − 1)/4)``, and
  ``t ≤ G(z)`` ⇔ ``4e^t + 1 ≤ 3e^z`` ⇔ ``log(e^{t + log 4 − z} + e^{−z}) ≤ log 3``;
* the others by tangent cuts ``t_r ≤ Ĝ(z_k) + Ĝ'(z_k)(Z_r − z_k)`` (valid for any points
  z_k since ``Ĝ`` is concave), refined around the current solution (Kelley's method)
  until the model's bound and the true utility of its point agree to ``rel_gap``. The
  cut points are CVXPY parameters, so refinements re-solve without recompiling.

Certificate: the model's optimum is an upper bound (it relaxes ``G`` to ``Ĝ`` and ``Ĝ`` to
its cuts), to the conic solver's tolerance (~1e-8 relative; should the point's true value
exceed it, the bound is raised to that value); the point, polished by SLSQP and with rates
scaled to be exactly feasible, gives the lower bound.
:meth:`ConvexQNUM.solve` reports whether the concavity condition holds on each route's
feasible fidelity range (``concave_on_range``) and at the optimum
(``concave_at_optimum``: every route's fidelity below ``envelope_exact_below_fidelity``, the
tangent point up to which the envelope equals G); when it fails at the optimum the envelope is not exact there, the
status is FEASIBLE with the proven bound, and the message points to
:func:`qnum.solvers.repeater.branch_and_bound.solve_global`, which branches to a certified global optimum.
"""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np

from qnum.networks.repeater import RepeaterScenario
from qnum.physics.werner import fidelity_from_werner
from qnum.solution import Solution, Status
from qnum.solvers.repeater.branch_and_bound import Envelope, _Problem

#: tangent cuts per route (parameters of the compiled problem)
CUTS = 12
#: Default certificate tolerance: a little above the conic solver's own accuracy (Clarabel's
#: default 1e-8; tighter settings make it stop "inaccurate" on these exponential cones). The
#: objective (Σ log rates) is flat along rate trades, so rates are accurate to ~1e-4 relative;
#: :func:`qnum.solvers.repeater.branch_and_bound.solve_global` polishes its point with SLSQP instead.
REL_GAP = 1e-7


class ConvexQNUM:
    """CVXPY model of a QNUM scenario's concave(-envelope) reformulation.

    Parameters
    ----------
    scenario : RepeaterScenario
    cuts : int
        Tangent cuts per route for the utilities written by cuts.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> m = ConvexQNUM(two_user())
    >>> s = m.solve()
    >>> str(s.status), round(s.objective, 4), s.values["concave_at_optimum"]
    ('optimal', 6.4217, True)
    >>> s.values["concave_on_range"], round(s.values["concave_below_fidelity"], 3)
    (False, 0.969)
    """

    def __init__(self, scenario: RepeaterScenario, cuts: int = CUTS):
        self.scenario = scenario
        self.problem_data = pb = _Problem.of(scenario)
        L, R = pb.A.shape
        self.hi = pb.offset.copy()                       # log W_r ≤ o_r (all w_l ≤ 1)
        self.envelopes = [Envelope(pb.utility, pb.z0, h, pb.zc) if h > pb.z0 else None for h in self.hi]
        self.envelope = Envelope(pb.utility, pb.z0, np.maximum(self.hi, pb.z0), pb.zc)   # all routes at once
        self.u = cp.Variable(R, name="log_rate")
        self.y = cp.Variable(L, name="log_werner")
        self.t = cp.Variable(R, name="route_quality")
        Z = pb.A.T @ self.y + pb.offset
        # capacities divided by d_l: rates of ~1e4 pairs/s otherwise upset the conic solver
        cons = [(pb.A / pb.d[:, None]) @ cp.exp(self.u) + cp.exp(self.y) <= 1.0,
                self.y <= 0, Z >= pb.z0,
                # redundant bounds (implied by the rows above) that keep the interior-point
                # iterates in range: a route's rate is below its tightest link's capacity,
                # each link's log-Werner above the utility's threshold
                self.u <= np.log(np.min(np.where(pb.A > 0, pb.d[:, None], np.inf), axis=0)),
                self.y >= pb.z0 - np.max(pb.offset)]
        self.exact = pb.utility == "negativity"
        if self.exact:
            # t ≤ log((3 e^Z − 1)/4)  ⇔  log(e^{t + log 4 − Z} + e^{−Z}) ≤ log 3, per route
            cons += [cp.log_sum_exp(cp.hstack([self.t[r] + np.log(4.0) - Z[r], -Z[r]])) <= np.log(3.0)
                     for r in range(R)]
        else:
            # t_r ≤ Ĝ(z_k) + Ĝ'(z_k)(Z_r − z_k) = c_rk + s_rk Z_r for every cut k, with the
            # intercepts c and slopes s as parameters (DPP: parameter × affine)
            self.cut_intercept = cp.Parameter((R, cuts), name="cut_intercept")
            self.cut_slope = cp.Parameter((R, cuts), name="cut_slope")
            ones = np.ones((1, cuts))
            cons.append(cp.reshape(self.t, (R, 1), order="F") @ ones
                        <= self.cut_intercept + cp.multiply(self.cut_slope, cp.reshape(Z, (R, 1), order="F") @ ones))
        self.cuts = cuts
        self.problem = cp.Problem(cp.Maximize(pb.omega @ (self.u + self.t)), cons)

    def concavity(self):
        """(concave on every route's feasible range?, fidelity below which G is concave)."""
        pb = self.problem_data
        return bool(np.all(self.hi <= pb.zc)), float(fidelity_from_werner(np.exp(pb.zc)))

    def _set_cuts(self, centres, width):
        pb = self.problem_data
        R = len(self.hi)
        at = np.empty((R, self.cuts))
        val = np.empty_like(at)
        slope = np.empty_like(at)
        for r, env in enumerate(self.envelopes):
            # cuts keep away from z0, where G' → ∞ would wreck the conic solver's scaling
            lo = pb.z0 + 0.01 * (self.hi[r] - pb.z0)
            pts = np.clip(centres[r] + width[r] * np.linspace(-1.0, 1.0, self.cuts), lo, self.hi[r])
            g, dg = env.value(pts)
            at[r], val[r], slope[r] = pts, g, dg
        self.cut_intercept.value, self.cut_slope.value = val - slope * at, slope

    def solve(self, rel_gap: float = REL_GAP, max_rounds: int = 40, solver: str = "CLARABEL",
              time_limit_s: float | None = None) -> Solution:
        """Solve (refining cuts as needed) and certify; see the module docstring.

        Status OPTIMAL (termination ``converged``) when the bound and the true utility agree
        to ``rel_gap`` (only possible when the concavity condition holds at the optimum);
        FEASIBLE with the bound otherwise (``stalled``: the envelope, not the cuts, leaves
        the gap, or the conic solver's accuracy does; ``iteration_limit`` after
        ``max_rounds``); TIME_LIMIT when ``time_limit_s`` expires — the remaining time is
        passed to Clarabel and checked between rounds; the best point of the finished rounds
        is returned with the smallest of their bounds (no point, no bound if the first round
        did not finish); ERROR if the conic solver fails.

        Values: ``rates`` and ``fidelity`` by route name, ``werner`` by link name, the
        concavity report (``concave_on_range``, ``concave_at_optimum``,
        ``concave_below_fidelity``, ``envelope_exact_below_fidelity`` by route name) and
        ``rounds``.
        """
        t0 = time.perf_counter()
        deadline = None if time_limit_s is None else t0 + time_limit_s
        pb = self.problem_data
        sc = self.scenario
        R = len(self.hi)
        concave_range, f_concave = self.concavity()

        def failed(status, message, termination):
            return Solution(status=status, objective=None, bound=None, values={}, message=message,
                            solver="cvxpy-" + solver.lower(), seconds=time.perf_counter() - t0,
                            termination=termination)

        dead = pb.dead_routes_message()
        if dead:
            return failed(Status.INFEASIBLE, dead, "infeasible")
        width = 0.5 * (self.hi - pb.z0)
        if not self.exact:
            # first round: cuts spread over the whole range of each route
            self._set_cuts(pb.z0 + width, width)
        best = None
        bound = np.inf
        rounds = 0
        termination = "converged"
        while True:
            options = {}
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    termination = "time_limit"
                    break
                if solver == "CLARABEL":
                    options["time_limit"] = left
            rounds += 1
            try:
                self.problem.solve(solver=solver, **options)
            except cp.error.SolverError as exc:
                if deadline is not None and time.perf_counter() > deadline:
                    termination = "time_limit"
                    break
                return failed(Status.ERROR, f"conic solver failed: {exc}; solve_global needs no conic solver",
                              "solver_error")
            if self.problem.status != "optimal" or self.u.value is None:
                # an inaccurate solve gives no trustworthy bound
                if deadline is not None and time.perf_counter() > deadline:
                    termination = "time_limit"
                    break
                return failed(Status.ERROR, f"conic solver status {self.problem.status}; "
                                            "solve_global needs no conic solver", "solver_error")
            bound = min(bound, float(self.problem.value))
            # the conic point refined by SLSQP on the envelope objective (the conic solver's
            # exponential-cone accuracy leaves rates ~1e-4 off along the objective's flat directions)
            v = pb.repaired(pb.polished(np.concatenate([self.u.value, self.y.value]), self.envelope))
            value = pb.true_value(v[:R], v[R:])
            if best is None or value > best[1]:
                best = (v, value)
            if self.exact or bound - best[1] <= rel_gap * max(abs(best[1]), abs(bound)):
                break
            if rounds >= max_rounds:
                termination = "iteration_limit"
                break
            Z = pb.A.T @ self.y.value + pb.offset
            # stop refining once the cuts match the envelope at the model's point: what gap
            # remains is the envelope's (concavity fails there), not the cuts'
            env_at = self.envelope.value(Z)[0]
            if float(pb.omega @ (self.t.value - env_at)) <= 0.1 * rel_gap * max(abs(bound), 1.0):
                termination = "stalled"
                break
            width = np.maximum(width / 4.0, 1e-9)
            self._set_cuts(Z, width)
        if best is None:
            return failed(Status.TIME_LIMIT, f"time limit {time_limit_s:g} s reached before the first conic solve "
                          "finished", "time_limit")
        v, value = best
        bound = max(bound, value)
        Z = pb.A.T @ v[R:] + pb.offset
        # the envelope equals G up to its tangent point t: exact there, an overestimate above
        exact_below = [float(fidelity_from_werner(np.exp(env.t))) for env in self.envelopes]
        above = [r for r, env in enumerate(self.envelopes) if Z[r] > env.t + 1e-12]
        at_opt = not above
        ok = bound - value <= rel_gap * max(abs(value), abs(bound))
        msg = f"{rounds} conic solve(s)"
        if above:
            F = fidelity_from_werner(np.exp(Z))
            r = above[0]
            msg += (f"; the concavity condition fails at the optimum: route {r} has F = {F[r]:.4f} above "
                    f"F = {exact_below[r]:.4f}, where the concave envelope of its utility departs from it "
                    f"(G is concave only below F = {f_concave:.4f}); this is the envelope bound, use "
                    "solve_global for the certified global optimum")
        if ok:
            status, termination = Status.OPTIMAL, "converged"
        elif termination == "time_limit":
            status = Status.TIME_LIMIT
        else:
            status = Status.FEASIBLE
            if termination == "converged":      # the exact (negativity) model short of rel_gap
                termination = "stalled"
        return Solution(status=status, objective=value, bound=bound,
                        values={**sc.labelled(np.exp(v[:R]), np.exp(v[R:])),
                                "concave_on_range": concave_range, "concave_at_optimum": at_opt,
                                "concave_below_fidelity": f_concave,
                                "envelope_exact_below_fidelity": dict(zip(sc.route_names, exact_below)),
                                "rounds": rounds},
                        solver="cvxpy-" + solver.lower(), seconds=time.perf_counter() - t0, message=msg,
                        termination=termination)


def solve_convex(scenario: RepeaterScenario, rel_gap: float = REL_GAP, time_limit_s: float | None = None,
                 solver: str = "CLARABEL") -> Solution:
    """Build and solve :class:`ConvexQNUM` (the concave case's certified convex solve).

    ``time_limit_s`` counts from the call (the CVXPY compilation included); ``solver`` is a CVXPY
    solver with exponential cones (Clarabel; SCS); see :meth:`ConvexQNUM.solve`.

    Examples
    --------
    >>> from qnum.networks.repeater import dumbbell
    >>> s = solve_convex(dumbbell(2, utility="negativity"))
    >>> str(s.status), s.values["concave_on_range"]
    ('optimal', True)
    """
    t0 = time.perf_counter()
    model = ConvexQNUM(scenario)
    left = None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - t0), 0.0)
    solution = model.solve(rel_gap=rel_gap, time_limit_s=left, solver=solver)
    solution.seconds = time.perf_counter() - t0
    return solution
