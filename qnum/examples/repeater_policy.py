"""Worked example of a user policy for the QNUM family: a dual-gradient rate/fidelity controller that stays feasible.

The protocol in words (the full list is :data:`qnum.families.repeater.POLICY_PROTOCOL`): a
QNUM controller is asked, iteration after iteration, for a rate per route and a Werner
parameter per link. Before the run, ``reset(setup)`` hands it the static network: route and
link names, which links each route crosses, each link's capacity scale ``d_l`` (a link
carries ``Σ_{r ∋ l} x_r / d_l + w_l ≤ 1``), the route weights and the utility's name. At each
iteration, ``decide(observation)`` sees what the network reports about its previous decision
— the rates and Werner parameters it set, each link's measured load, and, as the ACKs of a
real network carry them, each route's log-Werner sum ``Z_r`` and marginal utility ``G'(Z_r)``
— and returns ``{"rates": {route: x > 0}, "werner": {link: 0 <= w < 1}}``. A decision over a
link's capacity stops the run with a :class:`~qnum.errors.PolicyError` naming the iteration
and the link.

:class:`DualGradientController` keeps a price ``λ_l`` per link and log-variables
``u_r = log x_r``, ``y_l = log w_l``, and moves them along the Lagrangian's gradient as
QPrimalDual does (sources: ``u_r += a (ω_r − x_r Σ_{l ∈ r} λ_l / d_l)``; links:
``y_l += a (Σ_{r ∋ l} ω_r G'(Z_r) − λ_l w_l)``, ``λ_l ← max(0, λ_l + b e_l)`` with ``e_l`` the
link's excess load of the *intended* rates). Unlike QPrimalDual it never sends more than the
links can carry: the rates it announces are the intended ones scaled down until every link
fits, so every iterate is feasible, and the scaling fades away as the prices converge.

Examples
--------
>>> import qnum
>>> sc = qnum.load_scenario(qnum.data_path("qnum/two-user.json"))
>>> tr = qnum.simulate(sc, DualGradientController(), slots=20000)
>>> rep = qnum.compare(tr, qnum.solve(sc))
>>> tr.policy, tr.feasible, float(tr.violations.max()) <= 1e-9
('dual-gradient', True, True)
>>> bool(abs(rep.final_relative_gap) < 1e-3)
True
"""

from __future__ import annotations

import math

import numpy as np


class DualGradientController:
    """Primal-dual gradient steps on the QNUM Lagrangian, announcing only feasible rates.

    Parameters
    ----------
    a, b : float
        Primal and dual step sizes (QPrimalDual's defaults).
    margin : float
        Fraction of each link's room left unused when scaling the rates (keeps every decision
        strictly inside the capacity, whatever the rounding).
    """

    name = "dual-gradient"

    def __init__(self, a: float = 0.001, b: float = 0.5, margin: float = 1e-12):
        self.a, self.b, self.margin = a, b, margin

    def reset(self, setup) -> None:
        """Read the static network; start where the network starts, prices at 100."""
        self.routes, self.links = setup.routes, setup.links
        self.A = np.asarray(setup.incidence, float)
        self.d = np.array([setup.capacity_scale[link] for link in self.links])
        self.omega = np.array([setup.weights[r] for r in self.routes])
        self.u = np.log([setup.initial_rates[r] for r in self.routes])
        self.y = np.log([setup.initial_werner[link] for link in self.links])
        self.lam = np.full(len(self.links), 100.0)

    def decide(self, observation) -> dict:
        """One gradient step from the ACK-carried marginals; the rates scaled to fit every link."""
        marginal = np.array([observation.marginal[r] for r in self.routes])
        marginal = np.where(np.isfinite(marginal), marginal, 5.0)     # below E = 0: push fidelity up
        path_price = self.A.T @ (self.lam / self.d)
        self.u = self.u + self.a * (self.omega - path_price * np.exp(self.u))
        self.y = np.minimum(self.y + self.a * (self.A @ (self.omega * marginal) - self.lam * np.exp(self.y)), -1e-6)
        x, w = np.exp(self.u), np.exp(self.y)
        load = self.A @ x / self.d
        self.lam = np.maximum(0.0, self.lam + self.b * (load + w - 1.0))
        # announce feasible rates: each route at the tightest scale of its links
        with np.errstate(divide="ignore"):
            room = np.where(load > 0, (1.0 - w) * (1.0 - self.margin) / load, math.inf)
        scale = np.min(np.where(self.A > 0, room[:, None], math.inf), axis=0)
        x = x * np.minimum(1.0, scale)
        return {"rates": dict(zip(self.routes, x.tolist())), "werner": dict(zip(self.links, w.tolist()))}
