"""DSER online entanglement routing (Tell-PS + FRFQoS) and the FRFS baselines.

The DSER paper's rules, each with the sentence it implements (§3.1, §3.3):

- **Paths.** Tell-PS (:func:`qnum.networks.optical.tell_ps`) for the first user under the
  current locks; the second user's path is searched with the first user's path locked
  ("Finally, lock the internal ports of the time division multiplexing (TDM) forwarding
  devices on the path"). Every per-channel lowest-loss path of the first user is tried,
  best first, until a pair of paths has a matched free channel pair (qnum's choice: the
  paper returns one path per user and is silent on a conflict).
- **Matched channels** (Step 1, Definition 3.5): channel pairs ±k free at the source whose
  +k (or -k) passes the first path and -k (or +k) the second ("match the entangled
  channel pairs using the distance criteria, which is equidistant from the pump
  frequency"); lowest summed loss first (qnum's order).
- **Optimal channel count** (Step 2): "Calculate the optimal count of channels for the
  requested user pair", :func:`~qnum.physics.bbm92_cw.optimal_channel_count` at the
  paths' loss on their best channel (``n_cap``, when the scenario sets it, replaces it).
- **Case 1, satisfaction**: "Allocate the optimal channel count to the user pair" when at
  least that many pairs are matched.
- **Case 2, partial**: "Allocate the current available channel vector to user pair and
  add them into the QoS priority queue Q" (flag established).
- **Case 3, competition** (no matched pair): "find out the paired user nodes with maximum
  request timetag value, which has surplus available channels. Then, the DSER scheme can
  allocate a channel pair to the requested pair from the resources occupied by" them;
  "Afterwards, both user pairs are added to the queue Q". Surplus = more than one channel
  pair (qnum's reading); a donor whose freed pair the new request cannot use is skipped
  for the next-latest one (qnum's choice; the paper is silent).
- **Case 4, infeasible**: "Put into the QoS priority queue Q" (flag not established).
- **Queue order** (Definition 3.3): highest priority to the minimum request timetag.
- **Delete** (§3.1 Case 2): release the connection and drop it from Q; then "If there are
  user pairs with [no connection], search the path information by the tensor-based lowest
  loss path searching algorithm and allocate the channels with the differentiated QoS
  cases. Else, allocate the matched channels to the user pairs with [a connection].
  Meanwhile, the user pair who satisfy the QoS requirements will leave the queue Q."
  Unestablished requests go first (cases 1, 2, 4: a delete frees resources, so qnum runs
  no competition there), then established ones are upgraded on their own paths towards
  their optimal count; a request leaves Q once it holds its optimal count.
- **Key rates** are always those of the channel pairs held, on the physical loss of the
  paths (:func:`qnum.models.rwa.allocation_key_rate`), never Tell-PS's lock-masked losses.

qnum extension (off by default, ``qos_demand=True``): the event's ``qos`` (bit/s) becomes
the demand: the satisfaction count is the fewest pairs meeting it (at most the optimal
count), and a surplus is what a connection holds beyond its demand.

FRFS (Li et al. 2022 as the DSER paper describes it: "providing users the lowest loss path
when presetting a single channel ... only achieves the maximum connections"): Tell-PS
paths, one channel pair per request, arrival order, no queue (a blocked request is
refused). ``frfs-multichannel`` is qnum's earlier greedy variant: the first free pairs up
to the optimal count (or ``n_cap``), no queue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qnum.errors import ScenarioError
from qnum.models.rwa import allocation_key_rate
from qnum.networks.optical import LockState, OpticalNetwork, can_lock, lock, path_loss_vector, tell_ps, unlock
from qnum.physics.bbm92_cw import optimal_channel_count

#: the online routers of this module
POLICIES = ("dser", "frfs", "frfs-multichannel")


@dataclass
class Connection:
    """An active connection: its paths, physical per-offset losses, channel pairs held."""

    users: tuple
    timetag: tuple  # (event t, arrival sequence number)
    hops_a: list
    hops_b: list
    loss_a: dict  # physical loss of path a per offset (no locks)
    loss_b: dict
    pairs: list = field(default_factory=list)  # [(k, o)]
    demand: float = 0.0


@dataclass
class QueueEntry:
    """A request in the QoS priority queue Q (Definition 3.3)."""

    users: tuple
    timetag: tuple
    demand: float
    established: bool


def _offset(pair) -> int:
    k, o = pair
    return k if o == 0 else -k


class OnlineRouter:
    """Online router of one policy (:data:`POLICIES`): add and delete requests event by event.

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    >>> r = OnlineRouter(net, "dser", n_cap=2)
    >>> r.add(("u1", "u3"), t=0)["case"]
    'satisfaction'
    >>> r.add(("u5", "u7"), t=1)["case"], [q.users for q in r.queue]
    ('competition', [('u1', 'u3'), ('u5', 'u7')])
    >>> r.delete(("u5", "u7"))["reconfigured"], r.queue
    ([('u1', 'u3')], [])
    """

    def __init__(self, net: OpticalNetwork, policy: str = "dser", physics=None, n_cap=None,
                 qos_demand: bool = False):
        if policy not in POLICIES:
            raise ScenarioError("policy", policy, "must be one of " + ", ".join(POLICIES))
        if qos_demand and policy != "dser":
            raise ScenarioError("qos_demand", qos_demand, "applies to the dser policy only")
        self.net, self.policy, self.physics = net, policy, dict(physics or {})
        self.n_cap, self.qos_demand = n_cap, bool(qos_demand)
        self.locks = LockState()
        self.active: dict = {}
        self._queue: dict = {}  # users -> QueueEntry
        self._seq = 0
        self.requested: set = set()  # requests added and not yet deleted (any outcome)

    # ------------------------------------------------------------ state
    @property
    def queue(self) -> list:
        """The QoS priority queue Q, highest priority (minimum request timetag) first."""
        return sorted(self._queue.values(), key=lambda q: q.timetag)

    def rate(self, conn: Connection) -> float:
        """Key rate (bit/s) of the channel pairs ``conn`` holds, on its paths' physical loss."""
        entry = {"path_a": conn.hops_a, "path_b": conn.hops_b, "channel_pairs": conn.pairs}
        return allocation_key_rate(self.net, conn.users, entry, **self.physics)

    def _enqueue(self, users, timetag, demand, established):
        self._queue[users] = QueueEntry(users, timetag, demand, established)

    def _optimal(self, conn) -> int:
        """Step 2: the optimal channel count (``n_cap`` replaces it when set)."""
        if self.n_cap is not None:
            return min(self.n_cap, self.net.n_pairs)
        best = [(conn.loss_a[o] + conn.loss_b[-o], conn.loss_a[o], conn.loss_b[-o]) for o in self.net.offsets
                if math.isfinite(conn.loss_a[o]) and math.isfinite(conn.loss_b[-o])]
        _, la, lb = min(best)
        return optimal_channel_count(la, lb, max_pairs=self.net.n_pairs, **self.physics)[0]

    def _target(self, conn) -> int:
        """Pairs a connection should hold: the optimal count, or (qos_demand) the fewest meeting its demand."""
        n_opt = self._optimal(conn)
        if not self.qos_demand or conn.demand <= 0:
            return n_opt
        for n in range(1, n_opt + 1):
            trial = Connection(conn.users, conn.timetag, conn.hops_a, conn.hops_b, conn.loss_a, conn.loss_b,
                               self._best_pairs(conn, n))
            if trial.pairs and self.rate(trial) >= conn.demand:
                return n
        return n_opt

    def _best_pairs(self, conn, n):
        """The ``n`` lowest-loss channel pairs the paths can pass physically (for the demand test)."""
        cand = sorted((conn.loss_a[_offset((k, o))] + conn.loss_b[-_offset((k, o))], (k, o))
                      for k in range(1, self.net.n_pairs + 1) for o in (0, 1)
                      if math.isfinite(conn.loss_a[_offset((k, o))] + conn.loss_b[-_offset((k, o))]))
        out, used = [], set()
        for _, (k, o) in cand:
            if k not in used and len(out) < n:
                out.append((k, o))
                used.add(k)
        return out

    def _matched(self, hops_a, hops_b, loss_a, loss_b) -> list:
        """Definition 3.5: free channel pairs (k, o) passing both paths now, lowest summed loss first."""
        out = []
        for k in range(1, self.net.n_pairs + 1):
            if k in self.locks.pairs:
                continue
            options = []
            for o in (0, 1):
                oa = _offset((k, o))
                total = loss_a[oa] + loss_b[-oa]
                if not math.isfinite(total) or not can_lock(self.net, self.locks, hops_a, [oa]):
                    continue
                probe = LockState({p: list(v) for p, v in self.locks.tdm.items()}, set(self.locks.wdm))
                lock(self.net, probe, hops_a, [oa])
                if can_lock(self.net, probe, hops_b, [-oa]):
                    options.append((total, (k, o)))
            if options:
                out.append(min(options))
        return [pair for _, pair in sorted(out)]

    def _route(self, users):
        """Tell-PS for the first user, then for the second with the first path locked.

        Returns ``(conn, matched)`` for the first pair of paths (best first) with a matched
        free channel pair, else ``(None, reason)``.
        """
        ra = tell_ps(self.net, users[0], self.locks)
        if ra is None:
            return None, f"no free path to {users[0]} (ports locked or unreachable)"
        reason = f"no free path to {users[1]} with the path of {users[0]} locked"
        for pa in ra["paths"]:
            probe = LockState({p: list(v) for p, v in self.locks.tdm.items()}, set(self.locks.wdm))
            lock(self.net, probe, pa["hops"], [])
            rb = tell_ps(self.net, users[1], probe)
            if rb is None:
                continue
            for pb in rb["paths"]:
                matched = self._matched(pa["hops"], pb["hops"], pa["loss_dB"], pb["loss_dB"])
                if matched:
                    conn = Connection(users, None, pa["hops"], pb["hops"],
                                      path_loss_vector(self.net, pa["hops"]), path_loss_vector(self.net, pb["hops"]))
                    return conn, matched
                reason = "no matched free channel pair on the lowest-loss paths"
        return None, reason

    def _take(self, conn, pair):
        oa = _offset(pair)
        lock(self.net, self.locks, conn.hops_a, [oa])
        lock(self.net, self.locks, conn.hops_b, [-oa])
        self.locks.pairs.add(pair[0])
        conn.pairs.append(pair)

    def _release(self, conn, pair):
        oa = _offset(pair)
        unlock(self.net, self.locks, conn.hops_a, [oa])
        unlock(self.net, self.locks, conn.hops_b, [-oa])
        self.locks.pairs.discard(pair[0])
        conn.pairs.remove(pair)

    def _record(self, users, case, conn=None, reason=None) -> dict:
        rec = {"event": "add", "users": users, "case": case,
               "pairs": list(conn.pairs) if conn else [], "key_rate": self.rate(conn) if conn else 0.0}
        if reason:
            rec["reason"] = reason
        return rec

    # ------------------------------------------------------------ events
    def add(self, users, demand: float = 0.0, t=None) -> dict:
        """A request (DSER §3.1 Case 1) at time ``t`` (default: its arrival number); returns its record."""
        users = tuple(users)
        for u in users:
            if u not in self.net.devices or self.net.devices[u].type != "USER":
                raise ScenarioError("events.users", u, "names an unknown user")
        if any(u in self.active or u in self._queue for u in (users, users[::-1])):
            raise ScenarioError("events.users", list(users), "connection already active (a connection is an "
                                "unordered user pair)")
        self.requested.add(users)
        timetag = (self._seq if t is None else t, self._seq)
        self._seq += 1
        return self._admit(users, demand, timetag, competition=self.policy == "dser")

    def _admit(self, users, demand, timetag, competition) -> dict:
        conn, matched = self._route(users)
        if conn is not None:
            conn.timetag, conn.demand = timetag, demand
            if self.policy == "frfs":
                want = 1
            elif self.policy == "frfs-multichannel":
                want = self._optimal(conn)
            else:
                want = self._target(conn)
            for pair in matched[:want]:
                self._take(conn, pair)
            self.active[users] = conn
            if self.policy != "dser":
                return self._record(users, "served", conn)
            if len(matched) >= want:
                self._queue.pop(users, None)
                return self._record(users, "satisfaction", conn)
            self._enqueue(users, timetag, demand, True)
            return self._record(users, "partial", conn)
        reason = matched
        if competition:
            conn = self._compete(users, demand, timetag)
            if conn is not None:
                return self._record(users, "competition", conn)
        if self.policy != "dser":
            return self._record(users, "blocked", reason=reason)
        self._enqueue(users, timetag, demand, False)
        return self._record(users, "infeasible", reason=reason)

    def _surplus(self, conn) -> bool:
        """More than one channel pair (qos_demand: more than its demand needs, and more than one)."""
        if self.qos_demand and conn.demand > 0:
            return len(conn.pairs) > max(1, self._target(conn))
        return len(conn.pairs) > 1

    def _compete(self, users, demand, timetag):
        """Case 3: one channel pair from the latest request (max timetag) with a surplus; both enter Q."""
        donors = sorted((c for c in self.active.values() if self._surplus(c)), key=lambda c: c.timetag,
                        reverse=True)
        for d in donors:
            for pair in reversed(list(d.pairs)):
                self._release(d, pair)
                conn, matched = self._route(users)
                usable = [p for p in matched if p[0] == pair[0]] if conn is not None else []
                if usable:
                    conn.timetag, conn.demand = timetag, demand
                    self._take(conn, usable[0])
                    self.active[users] = conn
                    self._enqueue(d.users, d.timetag, d.demand, True)
                    self._enqueue(users, timetag, demand, True)
                    return conn
                self._take(d, pair)
        return None

    def delete(self, users) -> dict:
        """Delete a request (DSER §3.1 Case 2) and reconfigure from Q; returns its record."""
        users = tuple(users)
        if users not in self.active:
            if users in self.requested:  # waiting or refused, never served: withdraw it
                self.requested.discard(users)
                self._queue.pop(users, None)
                return {"event": "delete", "users": users, "reconfigured": []}
            raise ScenarioError("events.users", list(users), "delete of an inactive connection")
        conn = self.active.pop(users)
        self.requested.discard(users)
        for pair in list(conn.pairs):
            self._release(conn, pair)
        self._queue.pop(users, None)
        done = []
        if self.policy == "dser":
            for q in [q for q in self.queue if not q.established]:
                if self._admit(q.users, q.demand, q.timetag, competition=False)["case"] != "infeasible":
                    done.append(q.users)
            for q in [q for q in self.queue if q.established and q.users not in done]:
                c = self.active[q.users]
                want = self._target(c)
                free = self._matched(c.hops_a, c.hops_b, c.loss_a, c.loss_b)
                for pair in free[: max(want - len(c.pairs), 0)]:
                    self._take(c, pair)
                    if q.users not in done:
                        done.append(q.users)
                if len(c.pairs) >= want:
                    self._queue.pop(q.users)
        return {"event": "delete", "users": users, "reconfigured": done}

    def allocation(self) -> dict:
        """``{users: {"pairs", "key_rate", "hops_a", "hops_b"}}`` of active connections."""
        return {u: {"pairs": list(c.pairs), "key_rate": self.rate(c),
                    "hops_a": c.hops_a, "hops_b": c.hops_b} for u, c in self.active.items()}


def run_events(net, events, policy="dser", physics=None, n_cap=None, qos_demand=False):
    """Process ``[{"op": "add"|"delete", "users": [a, b], "qos": float, "t": float}]`` in order.

    Returns the router and per-event records: the router's own record of the event (case,
    reason, channel pairs, reconfigured requests), ``index`` (0-based), ``t``, ``served``,
    ``total_key_rate``, ``queue`` (Q after the event, highest priority first) and
    ``allocation`` (:meth:`OnlineRouter.allocation` after the event).

    Examples
    --------
    >>> from qnum.networks.optical import dser_network, network_from_dict
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=4))
    >>> router, records = run_events(net, [{"op": "add", "users": ["u1", "u3"], "qos": 1e5}])
    >>> records[0]["case"], list(records[0]["allocation"])
    ('satisfaction', [('u1', 'u3')])
    """
    router = OnlineRouter(net, policy, physics, n_cap, qos_demand)
    trace = []
    for i, ev in enumerate(events):
        t = ev.get("t", i)
        if ev["op"] == "add":
            rec = router.add(tuple(ev["users"]), float(ev.get("qos", 0.0)), t=t)
        else:
            rec = router.delete(tuple(ev["users"]))
        alloc = router.allocation()
        trace.append({"index": i, "t": t, **rec, "served": len(alloc),
                      "total_key_rate": sum(a["key_rate"] for a in alloc.values()),
                      "queue": [q.users for q in router.queue], "allocation": alloc})
    return router, trace
