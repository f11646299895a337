"""QPrimalDual as a message-level simulation: q-datagrams forward, ACKs back, per-link latency.

Time runs in controller slots. Every slot each route's source emits a q-datagram that travels
its route link by link (link ``l`` takes ``hop_delay[l]`` slots to cross); as it passes a link
it picks up that link's log-Werner parameter ``y_l`` and price ``λ_l / d_l``. At the
destination the accumulated ``Z_r = Σ y_l + o_r`` gives the route's marginal utility
``ω_r G'(Z_r)``; an ACK carries it and the accumulated path price back along the route, so
each link learns the marginal when the ACK passes it and the source learns the path price one
round trip after emission. Links measure their own load from the pairs arriving (the source's
rate, delayed by the forward propagation to the link). Every controller thus acts on
information as old as the messages that carry it — different for every (route, link) — which
the simulation reproduces exactly with history buffers of ``y``, ``λ`` and the rates.

Controllers (per slot, from their delayed view):

* source of route r:  ``u_r += a (ω_r − x_r · price_r)``;
* link l:  ``y_l += a (Σ_{r ∋ l} ω_r G'(Z_r) − λ_l e^{y_l})`` (``y_l < 0``) and
  ``λ_l ← max(0, λ_l + b e_l + k_P (e_l − e_l^{prev}))`` with the normalized excess load
  ``e_l = Σ_{r ∋ l} x_r / d_l + e^{y_l} − 1`` — ``k_P = 0`` is the plain (integral) price
  update, ``k_P > 0`` adds proportional-integral congestion control.

Variants (``variant``):

* ``"exact"`` — the marginal uses the route's true accumulated ``Z_r`` (ACK-carried);
* ``"local"`` — a link approximates the route-wide ``Z_r`` by ``|r| · y_l`` (as if every link
  of the route had its own Werner parameter), so it needs no ACK for the marginal; only the
  path price still travels. Its fixed point differs from the optimum (reported as a gap).

Decoherence is always accounted for through the scenario's ``route_log_decay`` (``o_r``).
With ``hop_delay = 0`` the dynamics coincide with :func:`qnum.solvers.repeater.primaldual.qprimaldual`
iterate by iterate (tested).
"""

from __future__ import annotations

import numpy as np

from qnum.networks.repeater import RepeaterScenario
from qnum.solvers.repeater.primaldual import INITIAL, Y_CAP, DynamicsRun, _Recorder, marginal

VARIANTS = ("exact", "local")


def hop_delays(scenario: RepeaterScenario, slot_s: float) -> np.ndarray:
    """Slots each link's classical messages take: ``ceil(length / (v · slot))`` (0 for 0 km).

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> hop_delays(two_user(), 5e-6).tolist()        # 2 km at 2e5 km/s = 10 µs
    [2, 2, 2]
    """
    if not slot_s > 0:
        raise ValueError(f"slot_s = {slot_s}: must be > 0")
    return np.ceil(np.asarray(scenario.link_lengths_km, float)
                   / (scenario.fiber_speed_km_per_s * slot_s) - 1e-12).astype(int)


def _delay_tables(routes, delta):
    """Gather tables: (route, link, delay) triples of what each controller sees and when."""
    price, flow, marg = [], [], []
    for r, links in enumerate(routes):
        dl = [int(delta[l]) for l in links]
        total = sum(dl)
        before = np.concatenate([[0], np.cumsum(dl)])          # slots from the source to link i
        for i, l in enumerate(links):
            # sampled at link i on the way out, back at the source one round trip after emission
            price.append((r, l, 2 * total - before[i]))
            # pairs reach link i after the forward propagation
            flow.append((r, l, before[i]))
            # the ACK leaves the destination after Z_r was assembled, reaches link i later
            back = total - before[i + 1]
            for j, lj in enumerate(links):
                marg.append((r, l, lj, back + total - before[j]))
    return np.array(price, int).reshape(-1, 3), np.array(flow, int).reshape(-1, 3), np.array(marg, int).reshape(-1, 4)


def qprimaldual_messages(scenario: RepeaterScenario, iters=20000, a=0.001, b=0.5, hop_delay=0,
                         variant="exact", pi_gain=0.0, scale_steps=True, record_every=None) -> DynamicsRun:
    """Run the message-level dynamics; returns a :class:`~qnum.solvers.repeater.primaldual.DynamicsRun`.

    Parameters
    ----------
    scenario : RepeaterScenario
    iters : int
        Slots simulated.
    a, b : float
        Primal and dual steps (divided by ``1 + longest round trip`` when ``scale_steps``,
        which keeps the delayed loop stable on the instances of the tests).
    hop_delay : int or array of int
        Slots to cross each link (see :func:`hop_delays`).
    variant : {"exact", "local"}
    pi_gain : float
        Proportional gain ``k_P`` of the price controller (0: plain integral update).
    record_every : int, optional
        Slots between recorded iterates (None: the last one only); the history holds the
        utility, the normalized capacity overshoot, the rates and the Werner parameters.

    Examples
    --------
    >>> from qnum.networks.repeater import two_user
    >>> run = qprimaldual_messages(two_user(), iters=20000)
    >>> round(run.utility, 3), run.times.tolist()
    (6.422, [20000])
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant = {variant!r}: must be one of {', '.join(VARIANTS)}")
    d, A, om = scenario.capacity_scale, scenario.incidence, scenario.weights
    off = scenario.route_log_decay
    L, R = A.shape
    raw = np.asarray(hop_delay)
    if raw.ndim > 1 or (raw.ndim == 1 and raw.shape != (L,)):
        raise ValueError(f"hop_delay = {hop_delay}: one integer, or one per link ({L})")
    if raw.dtype.kind not in "iu" and not np.all(np.isfinite(raw) & (raw == np.round(raw))):
        raise ValueError(f"hop_delay = {hop_delay}: slots must be whole numbers")
    delta = np.broadcast_to(raw.astype(int), (L,))
    if np.any(delta < 0):
        raise ValueError(f"hop_delay = {hop_delay}: must be >= 0")
    price, flow, marg = _delay_tables(scenario.routes, delta)
    H = int(max(price[:, 2].max(initial=0), flow[:, 2].max(initial=0), marg[:, 3].max(initial=0))) + 1
    if scale_steps:
        a, b = a / H, b / H
    hops = A.sum(axis=0)
    # sums in the order qprimaldual uses (route then link for route sums, link then route for
    # link sums), so that without latency the two agree to the last bit
    price = price[np.lexsort((price[:, 1], price[:, 0]))]
    flow = flow[np.lexsort((flow[:, 0], flow[:, 1]))]
    # the (route, link) pairs whose link needs the route's marginal, sorted by link then route
    pr, pl = np.nonzero(A.T)
    order = np.lexsort((pr, pl))
    pr, pl = pr[order], pl[order]
    pair_of = {(int(r), int(l)): i for i, (r, l) in enumerate(zip(pr, pl))}
    marg = marg[np.lexsort((marg[:, 2], marg[:, 1], marg[:, 0]))]
    marg_pair = np.array([pair_of[(int(r), int(l))] for r, l in marg[:, :2]], int)
    u, y, lam = np.full(R, INITIAL[0]), np.full(L, INITIAL[1]), np.full(L, INITIAL[2])
    U_hist, Y_hist, P_hist = np.tile(u, (H, 1)), np.tile(y, (H, 1)), np.tile(lam / d, (H, 1))
    excess_prev = np.zeros(L)
    rec = _Recorder(d, A, om, off, scenario.utility, iters, record_every)
    if record_every is not None or iters == 0:
        rec.add(0, u, y)
    P = pr.size
    for t in range(iters):
        now = t % H
        Y_hist[now], P_hist[now] = y, lam / d          # start-of-slot link state
        # sources: path prices from the ACKs
        path_price = np.bincount(price[:, 0], weights=P_hist[(now - price[:, 2]) % H, price[:, 1]], minlength=R)
        # links: marginal utilities of their routes, per (route, link) pair
        if variant == "exact":
            Z = np.bincount(marg_pair, weights=Y_hist[(now - marg[:, 3]) % H, marg[:, 2]], minlength=P) + off[pr]
        else:
            Z = hops[pr] * y[pl] + off[pr]
        dg = marginal(scenario.utility, Z)              # below E = 0: 5.0 pushes the fidelity up
        pull = np.bincount(pl, weights=om[pr] * dg, minlength=L)   # routes through each link
        u = u + a * (om - path_price * np.exp(u))
        y = np.minimum(y + a * (pull - lam * np.exp(y)), Y_CAP)
        U_hist[now] = u                                # rates sent during this slot
        # links: measured load of the pairs arriving now, and their own new Werner parameter
        arriving = np.bincount(flow[:, 1], weights=np.exp(U_hist[(now - flow[:, 2]) % H, flow[:, 0]]), minlength=L)
        excess = arriving / d + np.exp(y) - 1.0
        lam = np.maximum(0.0, lam + b * excess + pi_gain * (excess - excess_prev))
        excess_prev = excess
        if rec.wants(t + 1):
            rec.add(t + 1, u, y)
    return rec.run()
