"""The routing-and-wavelength scenario: an optical network, request events, physics; its file reader.

Scenario file (JSON or TOML; ``kind = "rwa"``)::

    {"kind": "rwa", "name": "...",
     "network": {...},           # qnum.networks.optical.network_from_dict, or
     "builder": {"first": "WSS", "forwarding": "OS", "n_pairs": 4},   # dser_network keywords
     "physics": {"t_cc_s": 1e-10, "channel_brightness": 1e8, ...},   # optional
     "n_cap": 4,                 # optional channel-pair cap per request (default: optimal count)
     "objective": "total",       # after max served: total | proportional | maxmin
     "events": [{"t": 0, "op": "add", "users": ["u1", "u3"], "qos": 1e5},
                {"t": 5, "op": "delete", "users": ["u1", "u3"]}]}

:class:`RWAScenario` is immutable after validation (its network, events and physics are
read-only); derive variants with :meth:`RWAScenario.replace`. :func:`random_events` and
:func:`dser_sequence` build request sequences.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from qnum.errors import ScenarioError
from qnum.networks.display import ScenarioDisplay
from qnum.networks.io import check_keys, require
from qnum.networks.optical import OpticalNetwork, ReadOnlyDict, dser_network, network_from_dict

#: stage-2 objectives (after maximizing the number of served requests)
OBJECTIVES = ("total", "proportional", "maxmin")

#: keyword arguments of :func:`qnum.physics.bbm92_cw.cw_key_rate_channels` a scenario may set
PHYSICS_KEYS = ("q", "f", "eta_det", "dark_counts", "t_cc_s", "t_delta_s", "e_pol", "dead_time_s",
                "detectors", "channel_brightness")

_KEYS = {"kind", "name", "network", "builder", "physics", "n_cap", "objective", "events"}
_BUILDER_KEYS = {"first", "forwarding", "n_pairs", "users_per_device", "fibre_km", "case"}


@dataclass(frozen=True, eq=False)
class RWAScenario(ScenarioDisplay):
    """Validated, immutable RWA scenario: network, add/delete events, physics, cap, objective.

    Build it with :meth:`from_dict` (the file form, module docstring) or
    :func:`qnum.load_scenario`; derive variants with :meth:`replace`.

    Attributes
    ----------
    name : str
    net : OpticalNetwork
        The device-level network (read-only).
    events : tuple of dict
        Read-only ``{"t", "op", "users": (a, b), "qos"}`` in order (``qos`` in bit/s, 0 for deletes).
    physics : dict
        Read-only keyword arguments of the key-rate model.
    n_cap : int or None
        Channel-pair cap per request (None: the optimal channel count).
    objective : {"total", "proportional", "maxmin"}
        What is maximized after the number of served requests.

    Examples
    --------
    >>> sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"n_pairs": 2},
    ...     "events": [{"op": "add", "users": ["u1", "u3"], "qos": 1e5}]})
    >>> sc.kind, sc.active_requests(), sc.events[0]["users"]
    ('rwa', [('u1', 'u3')], ('u1', 'u3'))
    >>> RWAScenario.from_dict(sc.to_dict()).to_dict() == sc.to_dict()
    True
    >>> sc.replace(objective="maxmin").objective
    'maxmin'
    >>> sc.events[0]["qos"] = 0
    Traceback (most recent call last):
    ...
    TypeError: read-only mapping: derive a new scenario with replace() instead
    """

    kind = "rwa"

    name: str
    net: OpticalNetwork
    events: tuple
    physics: dict = field(default_factory=dict)
    n_cap: int | None = None
    objective: str = "total"
    network_spec: dict = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "events", tuple(ReadOnlyDict(ev) for ev in self.events))
        object.__setattr__(self, "physics", ReadOnlyDict(self.physics))
        if self.network_spec is not None:
            object.__setattr__(self, "network_spec", ReadOnlyDict(copy.deepcopy(dict(self.network_spec))))

    @classmethod
    def from_dict(cls, data: dict) -> RWAScenario:
        """Validate the file form (module docstring); unknown keys are rejected by name.

        Examples
        --------
        >>> RWAScenario.from_dict({"kind": "rwa", "builder": {"n_pairs": 2},
        ...     "events": [{"op": "add", "users": ["u1", "u9"]}]})
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: events[0].users = 'u9': names an unknown user
        >>> RWAScenario.from_dict({"kind": "rwa", "builder": {"n_pairs": 2, "size": 3},
        ...                        "events": []})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: builder.size = 3: unknown key; allowed keys: case, fibre_km, first, ...
        """
        if not isinstance(data, dict):
            raise ScenarioError("scenario", data, "must be an object (a dict)")
        check_keys(data, _KEYS)
        if data.get("kind", "rwa") != "rwa":
            raise ScenarioError("kind", data["kind"], "must be 'rwa' for an RWA scenario")
        if "network" in data and "builder" in data:
            raise ScenarioError("builder", data["builder"], "give either \"network\" or \"builder\", not both")
        if "network" in data:
            if not isinstance(data["network"], dict):
                raise ScenarioError("network", data["network"], "must be an object")
            spec = {"network": copy.deepcopy(data["network"])}
            net = network_from_dict(data["network"])
        else:
            b = data.get("builder", {})
            if not isinstance(b, dict):
                raise ScenarioError("builder", b, "must be an object of dser_network keywords")
            check_keys(b, _BUILDER_KEYS, "builder.")
            spec = {"builder": copy.deepcopy(b)}
            try:
                net = network_from_dict(dser_network(**b))
            except TypeError as exc:
                raise ScenarioError("builder", b, f"invalid builder arguments ({exc})") from None
        physics = data.get("physics", {})
        if not isinstance(physics, dict):
            raise ScenarioError("physics", physics, "must be an object")
        check_keys(physics, set(PHYSICS_KEYS), "physics.")
        for key, value in physics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
                    or value == float("inf"):
                raise ScenarioError(f"physics.{key}", value, "must be a finite number >= 0")
        events = _events(net, require(data, "events"))
        n_cap = data.get("n_cap")
        if n_cap is not None and (isinstance(n_cap, bool) or not isinstance(n_cap, int) or n_cap < 1):
            raise ScenarioError("n_cap", n_cap, "must be an integer >= 1")
        objective = data.get("objective", "total")
        if objective not in OBJECTIVES:
            raise ScenarioError("objective", objective, "must be one of " + ", ".join(OBJECTIVES))
        name = data.get("name", "rwa")
        if not isinstance(name, str):
            raise ScenarioError("name", name, "must be a string")
        return cls(name, net, events, dict(physics), n_cap, objective, spec)

    def to_dict(self) -> dict:
        """The file form (plain JSON); ``from_dict(to_dict())`` rebuilds an equal scenario.

        Examples
        --------
        >>> from qnum.api import data_path, load_scenario
        >>> load_scenario(data_path("rwa/dser-wss-os.json")).to_dict()["builder"]
        {'first': 'WSS', 'forwarding': 'OS', 'n_pairs': 8}
        """
        out = {"kind": "rwa", "name": self.name}
        out.update(copy.deepcopy(dict(self.network_spec)))
        if self.physics:
            out["physics"] = dict(self.physics)
        if self.n_cap is not None:
            out["n_cap"] = self.n_cap
        out["objective"] = self.objective
        out["events"] = [{"t": ev["t"], "op": ev["op"], "users": list(ev["users"]),
                          **({"qos": ev["qos"]} if ev["op"] == "add" else {})} for ev in self.events]
        return out

    def replace(self, **changes) -> RWAScenario:
        """A new validated scenario with some file keys changed (``name``, ``network`` or
        ``builder``, ``physics``, ``n_cap``, ``objective``, ``events``).

        Examples
        --------
        >>> sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"n_pairs": 2}, "events": []})
        >>> sc.replace(builder={"n_pairs": 3}).net.n_pairs
        3
        >>> sc.replace(n_cap=0)
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: n_cap = 0: must be an integer >= 1
        """
        data = self.to_dict()
        if "network" in changes:
            data.pop("builder", None)
        if "builder" in changes:
            data.pop("network", None)
        data.update(changes)
        if data.get("n_cap") is None:
            data.pop("n_cap", None)
        return type(self).from_dict(data)

    def active_requests(self, upto: int | None = None) -> list:
        """Requests added and not deleted after event index ``upto`` (0-based; default: all events).

        Examples
        --------
        >>> sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"n_pairs": 2}, "events": [
        ...     {"op": "add", "users": ["u1", "u3"]}, {"op": "delete", "users": ["u1", "u3"]}]})
        >>> sc.active_requests(0), sc.active_requests()
        ([('u1', 'u3')], [])
        """
        active = []
        for ev in self.events[: None if upto is None else upto + 1]:
            if ev["op"] == "add":
                active.append(ev["users"])
            else:
                active.remove(ev["users"])
        return active


def _events(net: OpticalNetwork, raw) -> list:
    """Validated events: ops, known and distinct users (two strings), times finite, >= 0 and in order
    (a missing ``t`` is the event's index, or the previous time when that is later), ``qos`` finite and
    >= 0, no double add, no delete of an inactive pair."""
    if not isinstance(raw, (list, tuple)):
        raise ScenarioError("events", raw, "must be a list of {\"t\", \"op\", \"users\", \"qos\"}")
    users, active, events, last_t = set(net.users), set(), [], None
    for i, ev in enumerate(raw):
        if not isinstance(ev, dict):
            raise ScenarioError(f"events[{i}]", ev, "must be an object {\"t\", \"op\", \"users\", \"qos\"}")
        check_keys(ev, {"t", "op", "users", "qos"}, f"events[{i}].")
        op = require(ev, "op", f"events[{i}].")
        if op not in ("add", "delete"):
            raise ScenarioError(f"events[{i}].op", op, "must be 'add' or 'delete'")
        pair = require(ev, "users", f"events[{i}].")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(u, str) for u in pair) \
                or pair[0] == pair[1]:
            raise ScenarioError(f"events[{i}].users", pair, "must be two distinct user names")
        for u in pair:
            if u not in users:
                raise ScenarioError(f"events[{i}].users", u, "names an unknown user")
        t = ev.get("t", i if last_t is None else max(i, last_t))
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t < float("inf"):
            raise ScenarioError(f"events[{i}].t", t, "must be a finite number >= 0")
        if last_t is not None and t < last_t:
            raise ScenarioError(f"events[{i}].t", t, f"events must be in time order (the previous event is at "
                                f"t = {last_t:g})")
        last_t = t
        qos = ev.get("qos", 0.0)
        if op == "delete" and "qos" in ev:
            raise ScenarioError(f"events[{i}].qos", qos, "a delete event has no QoS demand")
        if isinstance(qos, bool) or not isinstance(qos, (int, float)) or not 0 <= qos < float("inf"):
            raise ScenarioError(f"events[{i}].qos", qos, "must be a finite number >= 0 (bit/s)")
        key = tuple(pair)
        if op == "add":
            if key in active or key[::-1] in active:
                raise ScenarioError(f"events[{i}].users", list(pair), "connection already active (a connection "
                                    "is an unordered user pair)")
            active.add(key)
        else:
            if key not in active and key[::-1] in active:
                key = key[::-1]                   # the same connection, named in the other order
            if key not in active:
                raise ScenarioError(f"events[{i}].users", list(pair), "delete of an inactive connection")
            active.discard(key)
        events.append({"t": t, "op": op, "users": key, "qos": float(qos)})
    return events


def random_events(n_requests: int = 6, n_users: int = 8, seed: int = 0, delete_prob: float = 0.3) -> list:
    """Seeded add/delete sequence over users ``u1..u{n_users}`` (distinct pairs), file form.

    Examples
    --------
    >>> ev = random_events(4, seed=1)
    >>> sum(e["op"] == "add" for e in ev), ev[0]["op"]
    (4, 'add')
    """
    rng = random.Random(seed)
    active, events, t = [], [], 0
    while sum(e["op"] == "add" for e in events) < n_requests:
        if active and rng.random() < delete_prob:
            u = active.pop(rng.randrange(len(active)))
            events.append({"t": t, "op": "delete", "users": list(u)})
        else:
            a, b = rng.sample(range(1, n_users + 1), 2)
            u = (f"u{min(a, b)}", f"u{max(a, b)}")
            if u in active:
                continue
            active.append(u)
            events.append({"t": t, "op": "add", "users": list(u), "qos": rng.choice([0.0, 5e4, 2e5])})
        t += 1
    return events


def dser_sequence(which: int) -> list:
    """qnum's stand-ins for the DSER paper's request sequences 1 and 2 (file form).

    Sequence 1 adds four requests, deletes one and adds another; sequence 2 adds eight user
    pairs covering all users.

    Examples
    --------
    >>> [len(dser_sequence(1)), len(dser_sequence(2))]
    [6, 8]
    """
    if which == 1:
        return [{"t": 0, "op": "add", "users": ["u1", "u3"], "qos": 1e5},
                {"t": 1, "op": "add", "users": ["u5", "u7"], "qos": 2e5},
                {"t": 2, "op": "add", "users": ["u2", "u6"], "qos": 5e4},
                {"t": 3, "op": "add", "users": ["u4", "u8"], "qos": 1e5},
                {"t": 4, "op": "delete", "users": ["u1", "u3"]},
                {"t": 5, "op": "add", "users": ["u2", "u4"], "qos": 1e5}]
    if which == 2:
        pairs = [("u1", "u2"), ("u3", "u4"), ("u5", "u6"), ("u7", "u8"),
                 ("u1", "u5"), ("u2", "u6"), ("u3", "u7"), ("u4", "u8")]
        return [{"t": i, "op": "add", "users": list(p), "qos": 1e5} for i, p in enumerate(pairs)]
    raise ScenarioError("sequence", which, "must be 1 or 2")
