"""α-fair pumping model: maximize Σ_e w_e U_α(r_e) over the secret-key-rate region.

The rate region is ``{Σ_c π_c Σ_G p_c(G) s(G, c)}``, ``p_c`` a distribution over the
allowed topologies in state c. Its exact compact form for "at most K pairs":

*Independent SKRs.* The convex hull of the indicator vectors of sets of at most K pairs
is ``{y : 0 <= y <= 1, Σ_e y_e <= K}`` (the constraint matrix is totally unimodular, so
this polytope is integral and its vertices are exactly those sets). Since the rates are
linear in the indicator, the region is ``r_e = Σ_c π_c s_ce y_ce`` with y in that
polytope for every state, and ``y_ce`` is the probability that pair e is pumped in
state c.

*Per-count factors f_k.* Split each state's time by the number k of pumped pairs:
``q_ck`` = probability of pumping exactly k pairs and ``x_cke`` = probability of pumping
e among them. The hull of k-subset indicators is the hypersimplex
``{0 <= x <= 1, Σ x = k}``, so ``0 <= x_ck· <= q_ck``, ``Σ_e x_cke = k q_ck``,
``Σ_k q_ck <= 1`` and ``r_e = Σ_c π_c s_ce Σ_k f_k x_cke`` is exact.

Matchings and explicit lists have no such compact form here; they are solved by column
generation with a certified Frank–Wolfe bound (:mod:`qnum.solvers.pumping.colgen`).

Build, solve and read back are separate steps: ``model.problem`` is the CVXPY problem of
the compact form, inspectable before ``model.solve()``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from qnum.errors import OptionError, ScenarioError
from qnum.networks.pumping import AT_MOST_K
from qnum.solution import Solution, Status
from qnum.solvers.pumping.oracles import TopologyOracle
from qnum.solvers.pumping.timesharing import Schedule
from qnum.utility import cvxpy_utility, marginal_utility, parse_alpha, total_utility

METHODS = ("auto", "separable", "cvxpy", "column-generation", "enumeration")

#: target relative gap when ``tol`` is not given
DEFAULT_TOL = 1e-6


class AlphaFair:
    """α-fair utility maximization over a pumping scenario's rate region.

    Parameters
    ----------
    scenario : PumpingScenario
    alpha : float or "maxmin", optional
        Defaults to the scenario's α.
    weights : array_like, optional
        Per-pair weights (default: the scenario's).

    Examples
    --------
    >>> from qnum.networks.pumping import four_node_example
    >>> sc = four_node_example()
    >>> sol = AlphaFair(sc).solve()
    >>> sol.status.value, bool(np.allclose(sc.vector(sol.values["rates"]), 0.2 * sc.skr[0], rtol=1e-4))
    ('optimal', True)
    >>> sol.values["rates"][(0, 1)]   # doctest: +ELLIPSIS
    2000.0...
    """

    def __init__(self, scenario, alpha=None, weights=None):
        self.scenario = scenario
        self.alpha = scenario.alpha if alpha is None else parse_alpha(alpha)
        self.weights = scenario.weights if weights is None else scenario.replace(weights=weights).weights
        counted = self.weights > 0
        if not counted.any():
            raise ScenarioError("weights", self.weights.tolist(), "at least one pair needs a positive weight")
        dead = counted & (scenario.skr.max(axis=0) <= 0)
        if dead.any() and self.alpha >= 1:
            pairs = [scenario.pair(e) for e in np.flatnonzero(dead)[:5]]
            raise ScenarioError("states.skr", pairs,
                                f"these pairs have zero SKR in every state, so with alpha = {self.alpha} the "
                                "utility is -inf for every schedule; give them weight 0 to leave them out")
        self._problem = None
        self._vars = None

    # -- the compact CVXPY formulation ---------------------------------------------------
    @property
    def compact(self) -> bool:
        """True when the family has the exact compact form (at most K pairs)."""
        return self.scenario.topologies == AT_MOST_K

    @property
    def problem(self):
        """The CVXPY problem of the compact formulation (built on first access; CVXPY is
        imported only then, so the separable method never loads it)."""
        if self._problem is None:
            self._problem, self._vars = self._build()
        return self._problem

    def _scale(self):
        """Per-pair rate scale (max SKR) that keeps the conic solver well conditioned."""
        return np.maximum(self.scenario.skr.max(axis=0), 1e-300)

    def _build(self):
        import cvxpy as cp

        if not self.compact:
            raise ScenarioError("method", "cvxpy", "the compact formulation needs topologies = \"at-most-k\"; "
                                "use column-generation for matchings and explicit lists")
        sc = self.scenario
        keep = self.weights > 0
        scale = self._scale()
        a = (sc.probabilities[:, None] * sc.skr / scale[None, :])        # (S, M), rescaled
        K = sc.capacity
        if sc.independent:
            y = cp.Variable((sc.num_states, sc.num_pairs), nonneg=True, name="y")
            rate = cp.sum(cp.multiply(a, y), axis=0)
            cons = [y <= 1, cp.sum(y, axis=1) <= K]
            variables = {"y": y, "capacity": cons[1]}
        else:
            f = sc.count_factor
            x = [cp.Variable((sc.num_states, sc.num_pairs), nonneg=True, name=f"x{k}") for k in range(1, K + 1)]
            q = cp.Variable((sc.num_states, K), nonneg=True, name="q")
            cons = [cp.sum(q, axis=1) <= 1]
            for k in range(1, K + 1):
                cons += [x[k - 1] <= q[:, k - 1:k] @ np.ones((1, sc.num_pairs)),
                         cp.sum(x[k - 1], axis=1) == k * q[:, k - 1]]
            rate = sum(f[k - 1] * cp.sum(cp.multiply(a, x[k - 1]), axis=0) for k in range(1, K + 1))
            variables = {"x": x, "q": q}
        r_keep = rate[np.flatnonzero(keep)]
        if math.isinf(self.alpha):
            tau = cp.Variable(name="tau")
            cons.append(r_keep >= cp.multiply(self.weights[keep] / scale[keep], tau))
            objective = cp.Maximize(tau)
        else:
            w = self.weights[keep] if self.alpha == 1.0 else self.weights[keep] * np.power(scale[keep], 1 - self.alpha)
            weight_unit = float(np.mean(w))          # order-1 objective for the conic solver
            w = w / weight_unit
            variables["weight_unit"] = weight_unit
            objective = cp.Maximize(cvxpy_utility(r_keep, self.alpha, w))
        variables["rate"] = rate
        variables["scale"] = scale
        return cp.Problem(objective, cons), variables

    # -- solving -------------------------------------------------------------------------
    def default_method(self) -> str:
        """The method ``solve()`` uses by default for this scenario and α."""
        sc = self.scenario
        if self.compact and sc.independent and not math.isinf(self.alpha):
            return "separable"
        if self.compact:
            return "cvxpy"
        return "column-generation"

    def solve(self, method: str = "auto", *, tol: float | None = None, time_limit: float | None = None,
              solver: str | None = None) -> Solution:
        """Solve to a certified optimum.

        Parameters
        ----------
        method : {"auto", "separable", "cvxpy", "column-generation", "enumeration"}
            ``separable``: the structured interior-point solver (independent SKRs, at
            most K, finite α). ``cvxpy``: the compact formulation with a conic solver.
            ``column-generation``: any family. ``enumeration``: every topology of the
            family as a column (small cases).
        tol : float, optional
            Target relative gap ``(bound - objective) / max(|objective|, |bound|)``
            (default :data:`DEFAULT_TOL`); every method certifies its point against it.
        time_limit : float, optional
            Seconds, honoured by every method: separable and column generation stop
            between iterations, the conic solver of cvxpy and of the masters (column
            generation, enumeration) gets the remaining time. On expiry the best point
            found is returned with its certified bound and status ``time_limit``.
        solver : str, optional
            CVXPY solver name for cvxpy, column-generation and enumeration (default
            CLARABEL, HiGHS for linear programs).

        Returns
        -------
        Solution
            ``values["rates"]`` maps pairs ``(i, j)`` to bit/s (in the canonical pair
            order; ``scenario.vector(values["rates"])`` is the array), ``values["schedule"]``
            the time sharing.
        """
        if method not in METHODS:
            raise OptionError("method", method, f"kind 'pumping' has methods {', '.join(METHODS)}")
        if method == "auto":
            method = self.default_method()
        tol = DEFAULT_TOL if tol is None else tol
        start = time.perf_counter()
        if method == "separable":
            sol = self._solve_separable(tol, time_limit)
        elif method == "cvxpy":
            sol = self._solve_cvxpy(solver, tol, time_limit)
        else:
            sol = self._solve_columns(tol, time_limit, "all" if method == "enumeration" else "generate", solver)
        sol.seconds = time.perf_counter() - start
        sol.family = self.scenario.kind
        return sol

    def _solution(self, status, rates, bound, solver, message, schedule=None, extra=None,
                  termination: str = "") -> Solution:
        sc = self.scenario
        objective = total_utility(rates, self.alpha, self.weights)
        values = {"rates": dict(zip(sc.pairs, rates.tolist())), "schedule": schedule}
        values.update(extra or {})
        if bound is not None and not math.isfinite(bound):
            bound = None
        if bound is not None and bound < objective - 1e-9 * abs(objective):
            # A proven bound cannot lie below a feasible objective: a solver or oracle
            # returned an inaccurate answer. Say so rather than report a false certificate.
            message = f"{message}; bound {bound:.6g} below objective discarded"
            bound = None
        if bound is None and status == Status.OPTIMAL:
            status = Status.FEASIBLE
        if bound is None and status == Status.FEASIBLE:
            termination = "no_bound"
        return Solution(status, objective=objective, bound=bound, values=values, solver=solver, message=message,
                        family=sc.kind, termination=termination)

    def _solve_separable(self, tol, time_limit) -> Solution:
        from qnum.solvers.pumping.separable import solve_separable, solve_throughput

        sc = self.scenario
        if not (self.compact and sc.independent) or math.isinf(self.alpha):
            raise ScenarioError("method", "separable", "needs topologies = \"at-most-k\", independent SKRs "
                                "(no per_count_factor) and a finite alpha")
        keep = (self.weights > 0) & (sc.skr.max(axis=0) > 0)
        a = (sc.probabilities[:, None] * sc.skr).T[keep]
        w = self.weights[keep]
        if self.alpha == 0:
            res = solve_throughput(a, w, sc.capacity)
        else:
            res = solve_separable(a, w, sc.capacity, self.alpha, tol=tol, time_limit=time_limit)
        y = np.zeros((sc.num_pairs, sc.num_states))
        y[keep] = res.y
        rates = (sc.probabilities[:, None] * sc.skr * y.T).sum(axis=0)
        bound = res.bound  # pairs left out (weight 0 or no SKR) add nothing to either side
        if res.converged:
            status, termination = Status.OPTIMAL, "converged"
        elif res.message == "time limit":
            status, termination = Status.TIME_LIMIT, "time_limit"
        else:
            status = Status.FEASIBLE
            termination = "iteration_limit" if res.message == "iteration cap reached" else "stalled"
        schedule = Schedule(sc, [[("marginals", 1.0, y[:, c], None)] for c in range(sc.num_states)])
        prices = dict(enumerate(np.asarray(res.prices, dtype=float).tolist()))
        return self._solution(status, rates, bound, "qnum-separable-ipm", res.message, schedule,
                              {"prices": prices, "iterations": res.iterations}, termination)

    def _solve_cvxpy(self, solver, tol, time_limit=None) -> Solution:
        import cvxpy as cp

        from qnum.solvers.conic import solve_problem

        sc = self.scenario
        start = time.perf_counter()
        prob = self.problem
        linear = self.alpha == 0 or math.isinf(self.alpha)
        budget = None if time_limit is None else max(time_limit - (time.perf_counter() - start), 1e-3)
        status = solve_problem(prob, linear=linear, solver=solver, time_limit=budget)
        name = f"cvxpy/{solver or ('HIGHS' if linear else 'CLARABEL')}"
        out_of_time = time_limit is not None and (prob.status == cp.USER_LIMIT
                                                  or time.perf_counter() - start > time_limit)
        kind = sc.kind
        if status.startswith("solver_error") or self._vars["rate"].value is None:
            if out_of_time:
                return Solution(Status.TIME_LIMIT, solver=name, message=f"time limit before a point: {status}",
                                family=kind, termination="time_limit")
            if prob.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                return Solution(Status.INFEASIBLE, solver=name, message=prob.status, family=kind)
            if prob.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
                return Solution(Status.UNBOUNDED, solver=name, message=prob.status, family=kind)
            return Solution(Status.ERROR, solver=name, message=str(status), family=kind)
        K = sc.capacity
        if sc.independent:
            y = np.clip(self._vars["y"].value, 0.0, 1.0)
            for c in range(sc.num_states):           # round-off: put each state back on Σ y <= K
                if y[c].sum() > K:
                    y[c] *= K / y[c].sum()
            rates = (sc.probabilities[:, None] * sc.skr * y).sum(axis=0)
            parts = [[("marginals", 1.0, y[c], None)] for c in range(sc.num_states)]
        else:
            f = sc.count_factor
            q = np.clip(self._vars["q"].value, 0.0, 1.0)
            parts, rates = [], np.zeros(sc.num_pairs)
            for c in range(sc.num_states):
                if q[c].sum() > 1:
                    q[c] /= q[c].sum()
                block = []
                for k in range(1, K + 1):
                    if q[c, k - 1] <= 1e-12:
                        continue
                    x = np.clip(self._vars["x"][k - 1].value[c], 0.0, q[c, k - 1])
                    x *= k * q[c, k - 1] / max(x.sum(), 1e-300)     # exactly k pairs per set
                    x = np.minimum(x, q[c, k - 1])
                    block.append(("marginals", q[c, k - 1], x, k))
                    rates += sc.probabilities[c] * f[k - 1] * sc.skr[c] * x
                parts.append(block)
        if math.isinf(self.alpha):
            bound = self._maxmin_bound()
        elif sc.independent and self.alpha > 0:
            bound = self._dual_bound()
        else:
            bound = self._frank_wolfe_bound(rates)
        objective = total_utility(rates, self.alpha, self.weights)
        # The bound is qnum's own certificate of the repaired point, so "optimal" means a
        # certified gap within tol, whatever accuracy flag the conic solver raised.
        gap_ok = (math.isfinite(bound) and math.isfinite(objective)
                  and bound - objective <= tol * max(abs(objective), abs(bound)))
        if gap_ok:
            status, termination = Status.OPTIMAL, "converged"
        elif out_of_time:
            status, termination = Status.TIME_LIMIT, "time_limit"
        else:
            status, termination = Status.FEASIBLE, "stalled"
        return self._solution(status, rates, bound, name, str(prob.status), Schedule(sc, parts),
                              termination=termination)

    def _dual_bound(self) -> float:
        """Exact Lagrangian bound at the solver's capacity-constraint prices (independent SKRs)."""
        from qnum.solvers.pumping.dual import dual_bound

        sc = self.scenario
        lam = self._vars["capacity"].dual_value
        if lam is None:
            return math.inf
        keep = (self.weights > 0) & (sc.skr.max(axis=0) > 0)
        a = (sc.probabilities[:, None] * sc.skr).T[keep]
        prices = np.maximum(np.asarray(lam).reshape(-1), 0.0) * self._vars["weight_unit"]
        return dual_bound(a, self.weights[keep], prices, sc.capacity, self.alpha)

    def _frank_wolfe_bound(self, rates) -> float:
        """Certified upper bound at a feasible rate vector (concavity + the oracle)."""
        keep = self.weights > 0
        if np.any(rates[keep] <= 0) and self.alpha > 0:
            return math.inf
        u = np.zeros_like(rates)
        u[keep] = self.weights[keep] * marginal_utility(rates[keep], self.alpha)
        f = total_utility(rates, self.alpha, self.weights)
        return f + TopologyOracle(self.scenario).linear_max(u) - float(u @ rates)

    def _maxmin_bound(self) -> float:
        """LP duality bound for max-min from the capacity/rate constraint duals."""
        cons = self.problem.constraints[-1]
        scale = self._vars["scale"]
        keep = self.weights > 0
        mu = np.zeros(self.scenario.num_pairs)
        if cons.dual_value is None:
            return math.inf
        mu[keep] = np.maximum(np.asarray(cons.dual_value).reshape(-1), 0.0) / scale[keep]
        total = float(mu[keep] @ self.weights[keep])
        if total <= 0:
            return math.inf
        return TopologyOracle(self.scenario).linear_max(mu / total)

    def _solve_columns(self, tol, time_limit, columns, solver) -> Solution:
        from qnum.solvers.pumping.colgen import solve_column_generation

        sc = self.scenario
        res = solve_column_generation(sc, self.alpha, self.weights, tol=tol, time_limit=time_limit,
                                      columns=columns, solver=solver)
        name = "qnum-enumeration" if columns == "all" else "qnum-column-generation"
        if res.rates is None:
            if res.message.startswith("time limit"):
                return Solution(Status.TIME_LIMIT, solver=name, message=res.message, family=sc.kind,
                                termination="time_limit")
            return Solution(Status.ERROR, solver=name, message=res.message, family=sc.kind)
        parts = [[("topology", float(p), top) for top, p in zip(cols, probs) if p > 1e-12]
                 for cols, probs in zip(res.columns, res.probs)]
        if res.converged:
            status, termination = Status.OPTIMAL, "converged"
        elif res.message.startswith("time limit"):
            status, termination = Status.TIME_LIMIT, "time_limit"
        elif res.message == "iteration cap reached":
            status, termination = Status.FEASIBLE, "iteration_limit"
        else:
            status, termination = Status.FEASIBLE, "stalled"
        ncols = sum(len(c) for c in res.columns)
        return self._solution(status, res.rates, res.bound, name, res.message, Schedule(sc, parts),
                              {"iterations": res.iterations, "columns": ncols}, termination)


def round_robin_target(scenario):
    """Scenario whose PF optimum is RR-PS's limit (independent SKRs, at most K pairs; else None).

    RR-PS ignores the channel state, so it time-shares state-blindly: rates
    ``y_e s̄_e`` with ``s̄`` the mean SKR. Its rule is the gradient rule of
    ``Σ_e (1/s̄_e) log r_e`` over that region, i.e. one state with SKR ``s̄`` and
    weights ``1/s̄``.

    Examples
    --------
    >>> from qnum.networks.pumping import table_i
    >>> target = round_robin_target(table_i(2, "iid3"))
    >>> target.num_states, bool(np.allclose(target.weights * target.skr[0], 1.0))
    (1, True)
    """
    if not scenario.independent or scenario.topologies != AT_MOST_K:
        return None
    mean = scenario.mean_skr
    weights = np.where(mean > 0, 1.0 / np.where(mean > 0, mean, 1.0), 0.0)
    return scenario.replace(skr=mean[None, :], probabilities=[1.0], weights=weights, channel=None, alpha=1.0)
