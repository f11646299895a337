"""DSER online entanglement routing: Tell-PS paths + FRFQoS channel allocation.

Each add event runs Tell-PS for both users under the current locks and allocates
channel pairs with FRFQoS (DSER Sec. 3.3), one of four cases:

- ``satisfaction``: free pairs meet the QoS demand; the fewest pairs that meet it
  (at most the optimal channel count) are allocated;
- ``partial``: free pairs exist but cannot meet the demand; all usable ones (up to the
  cap) are allocated and the request waits in the QoS queue for an upgrade;
- ``competition``: no free pair, but an active connection holds more pairs than its own
  demand needs; one surplus pair is moved to the new request;
- ``infeasible``: no path or no usable pair; the reason is recorded and the request waits
  in the QoS priority queue (highest demand first) until a delete frees resources.

A delete unlocks the connection's resources (TDM ports when their last user leaves) and
reconfigures: queued requests are retried, partial ones upgraded. Exact thresholds of the
paper are not recoverable; this is qnum's reading of the text (REFERENCE.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qnum.errors import ScenarioError
from qnum.networks.optical import LockState, OpticalNetwork, lock, tell_ps, unlock
from qnum.physics.bbm92_cw import cw_key_rate_channels, optimal_channel_count


@dataclass
class Connection:
    users: tuple
    hops_a: list
    hops_b: list
    loss_a: dict
    loss_b: dict
    pairs: list = field(default_factory=list)  # [(k, o)]
    demand: float = 0.0


class OnlineRouter:
    """Shared online engine; ``policy`` is "dser" or "frfs".

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=4))
    >>> r = OnlineRouter(net, "dser")
    >>> r.add(("u1", "u3"), demand=1e5)["case"]
    'satisfaction'
    >>> r.add(("u2", "u5"))["case"]
    'infeasible'
    >>> r.delete(("u1", "u3"))["reconfigured"]
    [('u2', 'u5')]
    """

    def __init__(self, net: OpticalNetwork, policy: str = "dser", physics=None, n_cap=None):
        if policy not in ("dser", "frfs"):
            raise ScenarioError("policy", policy, "must be 'dser' or 'frfs'")
        self.net, self.policy, self.physics = net, policy, dict(physics or {})
        self.locks = LockState()
        self.active: dict = {}
        self.queue: list = []  # [(users, demand)]
        self.n_cap = n_cap
        self.requested: set = set()  # requests added and not yet deleted (any outcome)

    # ------------------------------------------------------------ helpers
    def rate(self, conn: Connection) -> float:
        if not conn.pairs:
            return 0.0
        offs_a = [k if o == 0 else -k for k, o in conn.pairs]
        la = sum(conn.loss_a[x] for x in offs_a) / len(offs_a)
        lb = sum(conn.loss_b[-x] for x in offs_a) / len(offs_a)
        return float(cw_key_rate_channels(len(conn.pairs), la, lb, **self.physics))

    def _cap(self, conn):
        if self.n_cap is not None:
            return min(self.n_cap, self.net.n_pairs)
        la = min(conn.loss_a.values())
        lb = min(conn.loss_b.values())
        return optimal_channel_count(la, lb, max_pairs=self.net.n_pairs, **self.physics)[0]

    def _free_pairs(self, pa, pb):
        out = []
        for k in range(1, self.net.n_pairs + 1):
            if k in self.locks.pairs:
                continue
            for o in (0, 1):
                oa = k if o == 0 else -k
                if oa in pa["channels"] and -oa in pb["channels"]:
                    out.append((k, o))
                    break
        return out

    def _take(self, conn, pair):
        k, o = pair
        oa = k if o == 0 else -k
        lock(self.net, self.locks, conn.hops_a, [oa])
        lock(self.net, self.locks, conn.hops_b, [-oa])
        self.locks.pairs.add(k)
        conn.pairs.append(pair)

    def _release(self, conn, pair):
        k, o = pair
        oa = k if o == 0 else -k
        unlock(self.net, self.locks, conn.hops_a, [oa])
        unlock(self.net, self.locks, conn.hops_b, [-oa])
        self.locks.pairs.discard(k)
        conn.pairs.remove(pair)

    def _needed(self, conn, limit):
        """Fewest pairs meeting the demand (the cap when it cannot be met)."""
        if conn.demand <= 0:
            return limit
        la, lb = min(conn.loss_a.values()), min(conn.loss_b.values())
        for n in range(1, limit + 1):
            if cw_key_rate_channels(n, la, lb, **self.physics) >= conn.demand:
                return n
        return limit

    # ------------------------------------------------------------ events
    def add(self, users, demand: float = 0.0, *, _requeue=True) -> dict:
        users = tuple(users)
        for u in users:
            if u not in self.net.devices or self.net.devices[u].type != "USER":
                raise ScenarioError("events.users", u, "names an unknown user")
        if users in self.active:
            raise ScenarioError("events.users", list(users), "connection already active")
        self.requested.add(users)
        got = self._paths_ok(users)
        pa, pb = got if got is not None else (None, None)
        if pa is None or pb is None or not self._free_pairs(pa, pb):
            if self.policy == "dser":
                conn = self._compete(users, demand)
                if conn is not None:
                    self.active[users] = conn
                    return {"event": "add", "users": users, "case": "competition",
                            "pairs": list(conn.pairs), "key_rate": self.rate(conn)}
            reason = ("no free path (ports locked or unreachable)" if pa is None or pb is None
                      else "no free channel pair on the path")
            return self._infeasible(users, demand, reason, _requeue)
        conn = Connection(users, pa["hops"], pb["hops"], pa["loss_dB"], pb["loss_dB"], demand=demand)
        cap = self._cap(conn)
        free = self._free_pairs(pa, pb)
        want = cap if self.policy == "frfs" else self._needed(conn, cap)
        for pair in free[:want]:
            self._take(conn, pair)
        met = demand <= 0 or self.rate(conn) >= demand
        case = "satisfaction" if (met or self.policy == "frfs") else "partial"
        if not conn.pairs:
            return self._infeasible(users, demand, "no usable channel pair", _requeue)
        self.active[users] = conn
        if case == "partial" and _requeue and all(q[0] != users for q in self.queue):
            self.queue.append((users, demand))
        return {"event": "add", "users": users, "case": case, "pairs": list(conn.pairs),
                "key_rate": self.rate(conn)}

    def _paths_ok(self, users):
        """Tell-PS for both users under the current locks, jointly lockable, or None."""
        from qnum.networks.optical import can_lock

        pa = tell_ps(self.net, users[0], self.locks)
        pb = tell_ps(self.net, users[1], self.locks) if pa else None
        if pa is None or pb is None:
            return None
        probe = LockState({k: list(v) for k, v in self.locks.tdm.items()}, set(self.locks.wdm))
        lock(self.net, probe, pa["hops"], [])
        return (pa, pb) if can_lock(self.net, probe, pb["hops"], []) else None

    def _compete(self, users, demand):
        """Move one surplus channel pair from the connection holding the most pairs
        beyond its own need (it keeps at least one) to the new request."""
        donors = sorted((c for c in self.active.values() if len(c.pairs) > 1),
                        key=lambda c: -(len(c.pairs) - self._needed(c, len(c.pairs))))
        for d in donors:
            for pair in reversed(list(d.pairs)):
                self._release(d, pair)
                got = self._paths_ok(users)
                if got is not None:
                    pa, pb = got
                    free = self._free_pairs(pa, pb)
                    if free:
                        conn = Connection(users, pa["hops"], pb["hops"], pa["loss_dB"],
                                          pb["loss_dB"], demand=demand)
                        self._take(conn, free[0])
                        if demand > 0 and self.rate(conn) < demand and \
                                all(q[0] != users for q in self.queue):
                            self.queue.append((users, demand))
                        return conn
                self._take(d, pair)
        return None

    def _infeasible(self, users, demand, reason, requeue):
        if requeue and self.policy == "dser" and all(q[0] != users for q in self.queue):
            self.queue.append((users, demand))
        return {"event": "add", "users": users, "case": "infeasible", "reason": reason,
                "pairs": [], "key_rate": 0.0}

    def delete(self, users) -> dict:
        users = tuple(users)
        if users not in self.active:
            if users in self.requested:  # waiting or rejected, never served: withdraw it
                self.requested.discard(users)
                self.queue = [q for q in self.queue if q[0] != users]
                return {"event": "delete", "users": users, "reconfigured": []}
            raise ScenarioError("events.users", list(users), "delete of an inactive connection")
        conn = self.active.pop(users)
        self.requested.discard(users)
        for pair in list(conn.pairs):
            self._release(conn, pair)
        self.queue = [q for q in self.queue if q[0] != users]
        done = []
        if self.policy == "dser":  # reconfiguration: QoS queue, highest demand first
            for q in sorted(self.queue, key=lambda q: -q[1]):
                qu, dem = q
                if qu in self.active:  # partial: try to upgrade
                    c = self.active[qu]
                    before = len(c.pairs)
                    pa_now = tell_ps(self.net, qu[0], self.locks)
                    pb_now = tell_ps(self.net, qu[1], self.locks)
                    if pa_now and pb_now and pa_now["hops"] == c.hops_a and pb_now["hops"] == c.hops_b:
                        for pair in self._free_pairs(pa_now, pb_now)[: self._needed(c, self._cap(c)) - before]:
                            self._take(c, pair)
                    if len(c.pairs) > before:
                        done.append(qu)
                    if self.rate(c) >= dem:
                        self.queue.remove(q)
                else:
                    ev = self.add(qu, dem, _requeue=False)
                    if ev["case"] != "infeasible":
                        done.append(qu)
                        if ev["case"] != "partial":
                            self.queue.remove(q)
                        else:
                            pass
        return {"event": "delete", "users": users, "reconfigured": done}

    def allocation(self) -> dict:
        """``{users: {"pairs", "key_rate", "hops_a", "hops_b"}}`` of active connections."""
        return {u: {"pairs": list(c.pairs), "key_rate": self.rate(c),
                    "hops_a": c.hops_a, "hops_b": c.hops_b} for u, c in self.active.items()}

    def flow_tables(self) -> dict:
        """Entanglement flow table per device: rules (input port, output port, offset)."""
        tables = {}
        for c in self.active.values():
            for hops, sign in ((c.hops_a, 1), (c.hops_b, -1)):
                for k, o in c.pairs:
                    off = sign * (k if o == 0 else -k)
                    for dev, i, oport in hops:
                        tables.setdefault(dev, set()).add((i, oport, off))
        return {d: sorted(t) for d, t in tables.items()}


def run_events(net, events, policy="dser", physics=None, n_cap=None):
    """Process ``[{"op": "add"|"delete", "users": [a, b], "qos": float}]`` in order.

    Returns the router and per-event records: the router's own record of the event (case,
    reason, channel pairs, reconfigured requests), ``index`` (0-based), ``t``, ``served``,
    ``total_key_rate`` and ``allocation`` (:meth:`OnlineRouter.allocation` after the event).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=4))
    >>> router, records = run_events(net, [{"op": "add", "users": ["u1", "u3"], "qos": 1e5}])
    >>> records[0]["case"], list(records[0]["allocation"])
    ('satisfaction', [('u1', 'u3')])
    """
    router = OnlineRouter(net, policy, physics, n_cap)
    trace = []
    for i, ev in enumerate(events):
        if ev["op"] == "add":
            rec = router.add(tuple(ev["users"]), float(ev.get("qos", 0.0)))
        else:
            rec = router.delete(tuple(ev["users"]))
        alloc = router.allocation()
        rec = {"index": i, "t": ev.get("t", i), **{k: v for k, v in rec.items()},
               "served": len(alloc), "total_key_rate": sum(a["key_rate"] for a in alloc.values()),
               "allocation": alloc}
        trace.append(rec)
    return router, trace
