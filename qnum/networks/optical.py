"""Device-level entanglement distribution networks: devices, fibres, ITU grid, locks, Tell-PS.

A network is a set of devices (entangled photon source ``EPS``, ``WSS``, ``DWDM``,
optical switches ``OS``/``AOS``, beam splitters ``BS`` and ``USER`` terminals), each with
a pass-through loss tensor ``loss_dB[in_port, out_port, channel]`` (``inf`` where there
is no connection), joined by fibres between (device, port) pairs. Channels are the
signed offsets ``±k`` of the ITU 100 GHz grid about the centre (default 193.40 THz); a
channel pair ``k`` is ``(+k, -k)``. TDM devices (OS, AOS) lock ports per crossconnect
(shared by users of the same crossconnect, counted); WDM devices (WSS, DWDM) lock
(port, channel); BS and EPS lock nothing (the source's channel pair is locked in
:class:`LockState`).

Stand-in parameters (qnum's, not DSER's unrecoverable tables): WSS IL 5 dB, DWDM 2 dB,
OS 1 dB, BS 10·log10(N) + 0.5 dB, fibre 0.2 dB/km.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.io import check_keys, require

DEVICE_TYPES = {"EPS": None, "WSS": "WDM", "DWDM": "WDM", "OS": "TDM", "AOS": "TDM",
                "BS": None, "USER": None}
GRID_SPACING_THZ = 0.1


def channel_frequency_THz(offset, centre_THz: float = 193.40):
    """Frequency of signed channel offset(s) on the 100 GHz ITU grid.

    Examples
    --------
    >>> channel_frequency_THz([-1, 1]).round(2).tolist()
    [193.3, 193.5]
    """
    return centre_THz + GRID_SPACING_THZ * np.asarray(offset, float)


def channel_offsets(n_pairs: int) -> list[int]:
    """Signed offsets ``[-K..-1, 1..K]`` for ``K = n_pairs`` channel pairs.

    Examples
    --------
    >>> channel_offsets(2)
    [-2, -1, 1, 2]
    """
    return list(range(-n_pairs, 0)) + list(range(1, n_pairs + 1))


class ReadOnlyDict(dict):
    """A dict that refuses changes after construction (picklable, JSON-serializable).

    Examples
    --------
    >>> d = ReadOnlyDict({"a": 1})
    >>> d["b"] = 2
    Traceback (most recent call last):
    ...
    TypeError: read-only mapping: derive a new scenario with replace() instead
    """

    def _refuse(self, *args, **kwargs):
        raise TypeError("read-only mapping: derive a new scenario with replace() instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))


@dataclass(frozen=True)
class Device:
    """One device: type, port count and loss tensor (ports × ports × channels, dB; read-only)."""

    name: str
    type: str
    ports: int
    loss_dB: np.ndarray

    def __post_init__(self):
        loss = np.array(self.loss_dB, dtype=float)
        loss.setflags(write=False)
        object.__setattr__(self, "loss_dB", loss)

    @property
    def mux(self):
        """``"WDM"``, ``"TDM"`` or None."""
        return DEVICE_TYPES[self.type]


@dataclass(frozen=True, eq=False)
class OpticalNetwork:
    """Validated device-level network with fibre links, users and a channel set (immutable).

    Examples
    --------
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> sorted(net.users)[:2], net.n_channels
    (['u1', 'u2'], 4)
    """

    devices: dict
    links: dict  # (dev, port) -> (dev, port, loss_dB)
    n_pairs: int
    source: str
    centre_THz: float = 193.40

    def __post_init__(self):
        object.__setattr__(self, "devices", ReadOnlyDict(self.devices))
        object.__setattr__(self, "links", ReadOnlyDict(self.links))

    @property
    def offsets(self):
        return channel_offsets(self.n_pairs)

    @property
    def n_channels(self):
        return 2 * self.n_pairs

    @property
    def users(self):
        return [n for n, d in self.devices.items() if d.type == "USER"]

    def channel_index(self, offset: int) -> int:
        return self.offsets.index(offset)


#: qnum's stand-in insertion loss of a DWDM (de)multiplexer per channel, dB
DWDM_IL_DB = 2.0


def make_device(name, dtype, ports, n_channels, loss_dB=None, *, il_dB=None):
    """Build and validate a device; a default tensor follows the device semantics table.

    Examples
    --------
    >>> make_device("x", "FOO", 2, 4)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: devices.x.type = 'FOO': unknown device type; one of AOS, BS, DWDM, EPS, OS, USER, WSS
    """
    if dtype not in DEVICE_TYPES:
        raise ScenarioError(f"devices.{name}.type", dtype,
                            "unknown device type; one of " + ", ".join(sorted(DEVICE_TYPES)))
    if not isinstance(ports, int) or ports < 1:
        raise ScenarioError(f"devices.{name}.ports", ports, "must be an integer >= 1")
    if loss_dB is None:
        t = np.full((ports, ports, n_channels), np.inf)
        if dtype in ("WSS", "OS", "AOS", "BS"):  # port 0 common, 1.. outputs (and back)
            il = {"WSS": 5.0, "OS": 1.0, "AOS": 1.0,
                  "BS": 10 * math.log10(max(ports - 1, 1)) + 0.5}[dtype] if il_dB is None else il_dB
            t[0, 1:, :] = il
            t[1:, 0, :] = il
        elif dtype == "DWDM":  # common port 0 -> port p carries channel p-1 only
            il = DWDM_IL_DB if il_dB is None else il_dB
            for p in range(1, ports):
                if p - 1 < n_channels:
                    t[0, p, p - 1] = il
                    t[p, 0, p - 1] = il
        loss_dB = t
    loss_dB = np.asarray(loss_dB, float)
    if loss_dB.shape != (ports, ports, n_channels):
        raise ScenarioError(f"devices.{name}.loss_dB", list(loss_dB.shape),
                            f"shape must be (ports, ports, channels) = {(ports, ports, n_channels)}")
    return Device(name, dtype, ports, loss_dB)


def _port(devices, end, where):
    """A fibre end ``[device, port]`` checked against the devices: ``(device, port)``."""
    if not isinstance(end, (list, tuple)) or len(end) != 2 or not isinstance(end[0], str):
        raise ScenarioError(where, end, "must be [device name, port number]")
    name, port = end
    if name not in devices:
        raise ScenarioError(where, name, "link to a missing device")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < devices[name].ports:
        raise ScenarioError(where, list(end), f"port out of range (device has {devices[name].ports} ports)")
    return name, port


def _number(value, where, minimum=0.0, strict=False):
    """A finite real number >= ``minimum`` (> when ``strict``) as float, else a ScenarioError."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value > minimum if strict else value >= minimum))
    if not ok:
        raise ScenarioError(where, value, f"must be a finite number {'>' if strict else '>='} {minimum:g}")
    return float(value)


def _int(value, where, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(where, value, f"must be an integer >= {minimum}")
    return value


def _max_pairs(centre_THz):
    """Most channel pairs the grid holds about ``centre_THz`` (every frequency stays > 0)."""
    return max(int(math.ceil(centre_THz / GRID_SPACING_THZ)) - 1, 0)


def _loss_tensor(raw, name, ports, n_channels):
    """A device's ``loss_dB`` nested list: numbers >= 0 or None (no connection), exact shape."""
    where = f"devices.{name}.loss_dB"
    shape = (ports, ports, n_channels)
    if not isinstance(raw, list) or len(raw) != ports:
        raise ScenarioError(where, raw if not isinstance(raw, list) else f"{len(raw)} rows",
                            f"must be a nested list of shape (ports, ports, channels) = {shape}")
    out = np.empty(shape)
    for i, plane in enumerate(raw):
        if not isinstance(plane, list) or len(plane) != ports:
            raise ScenarioError(f"{where}[{i}]", plane, f"must be a list of {ports} rows")
        for j, row in enumerate(plane):
            if not isinstance(row, list) or len(row) != n_channels:
                raise ScenarioError(f"{where}[{i}][{j}]", row,
                                    f"must be a list of {n_channels} losses (one per channel)")
            for c, v in enumerate(row):
                out[i, j, c] = np.inf if v is None else _number(v, f"{where}[{i}][{j}][{c}]")
    return out


def network_from_dict(data: dict) -> OpticalNetwork:
    """Validate a scenario's ``network`` part.

    Keys: ``n_pairs``, ``centre_THz`` (optional), ``source``, ``devices`` (name ->
    {type, ports, loss_dB (optional nested list, None = no connection), il_dB (optional)}),
    ``links`` (list of {a: [dev, port], b: [dev, port], length_km (0), dB_per_km (0.2)}).
    Every key, type and value is checked (unknown keys, numbers that are not finite and
    >= 0, a device port in two fibres) and the memory of the loss tensors is bounded
    (:mod:`qnum.limits`); errors are ScenarioErrors naming the field and value.

    Examples
    --------
    >>> d = {"n_pairs": 1, "source": "s", "devices": {"s": {"type": "EPS", "ports": 1},
    ...      "u": {"type": "USER", "ports": 1}}, "links": [{"a": ["s", 0], "b": ["u", 3]}]}
    >>> network_from_dict(d)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: links[0].b = ['u', 3]: port out of range (device has 1 ports)
    >>> d["links"] = [{"a": ["s", 0], "b": ["u", 0]}, {"a": ["u", 0], "b": ["s", 0], "length_km": 1}]
    >>> network_from_dict(d)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: links[1].a = ['u', 0]: port already in links[0]; a port takes one fibre
    """
    from qnum.limits import check_memory

    if not isinstance(data, dict):
        raise ScenarioError("network", data, "must be an object")
    check_keys(data, {"n_pairs", "centre_THz", "source", "devices", "links"}, "network.")
    n_pairs = _int(require(data, "n_pairs", "network."), "network.n_pairs")
    centre = _number(data.get("centre_THz", 193.40), "network.centre_THz", strict=True)
    if n_pairs > _max_pairs(centre):
        raise ScenarioError("network.n_pairs", n_pairs, f"the 100 GHz grid about {centre:g} THz holds at most "
                            f"{_max_pairs(centre)} channel pairs")
    raw_devices = require(data, "devices", "network.")
    if not isinstance(raw_devices, dict) or not raw_devices:
        raise ScenarioError("network.devices", raw_devices, "must be a non-empty object {name: {type, ports, ...}}")
    for name, spec in raw_devices.items():
        if not isinstance(spec, dict):
            raise ScenarioError(f"devices.{name}", spec, "must be an object {type, ports, loss_dB, il_dB}")
        check_keys(spec, {"type", "ports", "loss_dB", "il_dB"}, f"devices.{name}.")
        _int(require(spec, "ports", f"devices.{name}."), f"devices.{name}.ports")
    check_memory("network.devices", f"{len(raw_devices)} devices",
                 8.0 * 2 * n_pairs * sum(spec["ports"] ** 2 for spec in raw_devices.values()),
                 "the devices' loss tensors, ports x ports x channels")
    devices = {}
    for name, spec in raw_devices.items():
        ports = spec["ports"]
        loss = spec.get("loss_dB")
        if loss is not None:
            loss = _loss_tensor(loss, name, ports, 2 * n_pairs)
        il = spec.get("il_dB")
        if il is not None:
            il = _number(il, f"devices.{name}.il_dB")
        devices[name] = make_device(name, require(spec, "type", f"devices.{name}."), ports, 2 * n_pairs, loss,
                                    il_dB=il)
    raw_links = require(data, "links", "network.")
    if not isinstance(raw_links, list):
        raise ScenarioError("network.links", raw_links, "must be a list of {a, b, length_km, dB_per_km}")
    links, owner = {}, {}
    for i, ln in enumerate(raw_links):
        if not isinstance(ln, dict):
            raise ScenarioError(f"links[{i}]", ln, "must be an object {a, b, length_km, dB_per_km}")
        check_keys(ln, {"a", "b", "length_km", "dB_per_km"}, f"links[{i}].")
        ends = []
        for side in ("a", "b"):
            end = _port(devices, require(ln, side, f"links[{i}]."), f"links[{i}].{side}")
            if end in owner or end in ends:
                raise ScenarioError(f"links[{i}].{side}", list(end),
                                    f"port already in {owner.get(end, f'links[{i}]')}; a port takes one fibre")
            ends.append(end)
        loss = (_number(ln.get("length_km", 0.0), f"links[{i}].length_km")
                * _number(ln.get("dB_per_km", 0.2), f"links[{i}].dB_per_km"))
        a, b = ends
        owner[a] = owner[b] = f"links[{i}]"
        links[a] = (b[0], b[1], loss)
        links[b] = (a[0], a[1], loss)
    source = require(data, "source", "network.")
    if not isinstance(source, str) or source not in devices or devices[source].type != "EPS":
        raise ScenarioError("network.source", source, "must name an EPS device")
    if devices[source].ports != 1:
        # Paths leave the source by its port 0 (the routing semantics page): a second port would be unreachable.
        raise ScenarioError(f"devices.{source}.ports", devices[source].ports,
                            "the source emits into its port 0 only: it must have exactly 1 port")
    return OpticalNetwork(devices, links, n_pairs, source, centre)


#: The DSER paper's five evaluation networks (its Table 2): first stage after the source and
#: the four forwarding devices. Port counts and losses are qnum's stand-ins (``make_device``).
DSER_CASES = {
    1: ("WSS", ("AOS", "AOS", "AOS", "AOS")),     # TDM
    2: ("WSS", ("OS", "OS", "OS", "OS")),         # TDM
    3: ("WSS", ("WSS", "WSS", "WSS", "WSS")),     # TDM + WDM
    4: ("WSS", ("WSS", "OS", "AOS", "AOS")),      # TDM + WDM
    5: ("DWDM", ("DWDM", "AOS", "AOS", "AOS")),   # TDM + WDM, one channel pair per device pair
}


def dser_network(first="WSS", forwarding="OS", n_pairs=4, users_per_device=2,
                 fibre_km=5.0, case=None) -> dict:
    """DSER-style evaluation network as scenario data: EPS → WSS/DWDM → 4 devices → users.

    ``first`` is "WSS" or "DWDM"; ``forwarding`` is the type of the four forwarding
    devices ("OS", "AOS", "WSS", "BS", "DWDM"), one type or a list of four. ``case`` (1–5)
    takes both from the paper's Table 2 (:data:`DSER_CASES`) instead. Behind a DWDM first
    stage, forwarding devices 0 and 1 receive the channel pair ±1 and devices 2 and 3 the
    pair ±2, and a forwarding DWDM passes its one channel to its first user only (qnum's
    stand-in for the paper's fixed demultiplexer wiring: "only a channel pair" per user
    pair in case 5). OS and AOS share the same stand-in parameters (1 dB, TDM), so cases 1
    and 2 behave alike here. Parameters are qnum's stand-ins.

    Examples
    --------
    >>> d = dser_network("DWDM", "OS", n_pairs=2)
    >>> net = network_from_dict(d)
    >>> len(net.users), net.devices["mux"].type
    (8, 'DWDM')
    >>> [network_from_dict(dser_network(case=5)).devices[f"f{j}"].type for j in range(4)]
    ['DWDM', 'AOS', 'AOS', 'AOS']
    """
    if case is not None:
        if isinstance(case, bool) or case not in DSER_CASES:
            raise ScenarioError("builder.case", case, "must be one of 1, 2, 3, 4, 5 (DSER Table 2)")
        first, forwarding = DSER_CASES[case]
    if first not in ("WSS", "DWDM"):
        raise ScenarioError("builder.first", first, "must be 'WSS' or 'DWDM'")
    kinds = [forwarding] * 4 if isinstance(forwarding, str) else forwarding
    forwarders = ("OS", "AOS", "WSS", "BS", "DWDM")
    if not isinstance(kinds, (list, tuple)) or len(kinds) != 4 or any(k not in forwarders for k in kinds):
        raise ScenarioError("builder.forwarding", forwarding,
                            "one device type or a list of four, each one of " + ", ".join(forwarders))
    _int(n_pairs, "builder.n_pairs")
    _int(users_per_device, "builder.users_per_device")
    _number(fibre_km, "builder.fibre_km")
    if first == "DWDM" and n_pairs < 2:
        raise ScenarioError("builder.n_pairs", n_pairs, "a DWDM first stage needs n_pairs >= 2")
    if n_pairs > _max_pairs(193.40):
        raise ScenarioError("builder.n_pairs", n_pairs, f"the 100 GHz grid holds at most {_max_pairs(193.40)} "
                            "channel pairs")
    from qnum.limits import check_memory

    check_memory("builder.users_per_device", users_per_device, 8.0 * 2 * n_pairs * 4 * (users_per_device + 1) ** 2,
                 "the forwarding devices' loss tensors")
    upd = users_per_device
    offsets = channel_offsets(n_pairs)
    devices = {"src": {"type": "EPS", "ports": 1},
               "mux": {"type": first, "ports": 5 if first == "WSS" else 2 * n_pairs + 1}}
    links = [{"a": ["src", 0], "b": ["mux", 0], "length_km": 0.0}]
    u = 0
    for j, kind in enumerate(kinds):
        devices[f"f{j}"] = {"type": kind, "ports": upd + 1}
        # behind a DWDM, DWDM port p carries channel index p - 1: device j gets offset ∓(1 + j // 2)
        mux_port = j + 1 if first != "DWDM" else offsets.index((-1) ** (j + 1) * (1 + j // 2)) + 1
        if kind == "DWDM" and first == "DWDM":
            # a DWDM fed one channel passes it to its port 1 only
            loss = [[[None] * len(offsets) for _ in range(upd + 1)] for _ in range(upd + 1)]
            loss[0][1][mux_port - 1] = loss[1][0][mux_port - 1] = DWDM_IL_DB
            devices[f"f{j}"]["loss_dB"] = loss
        links.append({"a": ["mux", mux_port], "b": [f"f{j}", 0], "length_km": 1.0})
        for p in range(1, upd + 1):
            u += 1
            devices[f"u{u}"] = {"type": "USER", "ports": 1}
            links.append({"a": [f"f{j}", p], "b": [f"u{u}", 0], "length_km": fibre_km * (1 + (u % 3))})
    return {"n_pairs": n_pairs, "source": "src", "devices": devices, "links": links}


def dser_mesh_network(forwarding="OS", n_pairs=4, users_per_device=2, fibre_km=5.0,
                      ring_km=2.0) -> dict:
    """Meshed DSER-style network: EPS → WSS → four forwarding devices joined in a ring → users.

    The Table-2 structure of :func:`dser_network` with two more ports on every forwarding
    device, fibres ``f0–f1–f2–f3–f0`` of ``ring_km`` between them, and every port of a
    forwarding device crossconnectable to every other (IL as in :func:`make_device`). A user
    is then reachable through its own device or around the ring, so lowest-loss paths
    depend on what earlier requests hold (qnum's meshed evaluation network; the paper's are
    trees). ``forwarding`` is "OS", "AOS", "WSS" or "BS".

    Examples
    --------
    >>> net = network_from_dict(dser_mesh_network("OS", n_pairs=2))
    >>> net.devices["f0"].ports, ("f0", 3) in net.links
    (5, True)
    """
    if forwarding not in ("OS", "AOS", "WSS", "BS"):
        raise ScenarioError("builder.forwarding", forwarding, "a meshed network forwards with OS, AOS, WSS or BS")
    upd, C = users_per_device, 2 * n_pairs
    ports = upd + 3
    il = {"WSS": 5.0, "OS": 1.0, "AOS": 1.0, "BS": 10 * math.log10(ports - 1) + 0.5}[forwarding]
    full = [[[None if i == o else il for _ in range(C)] for o in range(ports)] for i in range(ports)]
    devices = {"src": {"type": "EPS", "ports": 1}, "mux": {"type": "WSS", "ports": 5}}
    links = [{"a": ["src", 0], "b": ["mux", 0], "length_km": 0.0}]
    u = 0
    for j in range(4):
        devices[f"f{j}"] = {"type": forwarding, "ports": ports, "loss_dB": full}
        links.append({"a": ["mux", j + 1], "b": [f"f{j}", 0], "length_km": 1.0})
        for p in range(1, upd + 1):
            u += 1
            devices[f"u{u}"] = {"type": "USER", "ports": 1}
            links.append({"a": [f"f{j}", p], "b": [f"u{u}", 0], "length_km": fibre_km * (1 + (u % 3))})
        links.append({"a": [f"f{j}", upd + 1], "b": [f"f{(j + 1) % 4}", upd + 2], "length_km": ring_km})
    return {"n_pairs": n_pairs, "source": "src", "devices": devices, "links": links}


# ----------------------------------------------------------------------------- locks
@dataclass
class LockState:
    """Locks of Definitions A3–A6: TDM crossconnects counted by users, WDM (port, channel).

    ``tdm[(dev, port)] = [(in, out), count]``; ``wdm`` is a set of (dev, port, offset);
    ``pairs`` is the set of channel pairs k taken at the source.
    """

    tdm: dict = field(default_factory=dict)
    wdm: set = field(default_factory=set)
    pairs: set = field(default_factory=set)

    def snapshot(self):
        return ({k: tuple(v) for k, v in self.tdm.items()}, frozenset(self.wdm), frozenset(self.pairs))


def can_lock(net, locks, hops, offsets) -> bool:
    """True if the hops ``[(dev, in, out), ...]`` can carry all ``offsets`` now."""
    for dev, i, o in hops:
        d = net.devices[dev]
        if d.mux == "TDM":
            for p in (i, o):
                held = locks.tdm.get((dev, p))
                if held is not None and tuple(held[0]) != (i, o):
                    return False
        elif d.mux == "WDM":
            if any((dev, p, c) in locks.wdm for p in (i, o) for c in offsets):
                return False
    return True


def lock(net, locks, hops, offsets):
    """Lock a path for ``offsets`` (raises ValueError on conflict; state unchanged)."""
    if not can_lock(net, locks, hops, offsets):
        raise ValueError("resource already locked")
    for dev, i, o in hops:
        d = net.devices[dev]
        if d.mux == "TDM":
            for p in (i, o):
                held = locks.tdm.setdefault((dev, p), [(i, o), 0])
                held[1] += 1
        elif d.mux == "WDM":
            for p in (i, o):
                for c in offsets:
                    locks.wdm.add((dev, p, c))


def unlock(net, locks, hops, offsets):
    """Release what :func:`lock` took; a TDM port unlocks when its last user leaves."""
    for dev, i, o in hops:
        d = net.devices[dev]
        if d.mux == "TDM":
            for p in (i, o):
                held = locks.tdm[(dev, p)]
                held[1] -= 1
                if held[1] == 0:
                    del locks.tdm[(dev, p)]
        elif d.mux == "WDM":
            for p in (i, o):
                for c in offsets:
                    locks.wdm.discard((dev, p, c))


# ----------------------------------------------------------------------------- Tell-PS
def _hop_loss(net, locks, dev, pin, pout):
    """Per-channel loss of crossing ``dev`` from ``pin`` to ``pout`` under ``locks`` (None if TDM-blocked)."""
    d = net.devices[dev]
    w = d.loss_dB[pin, pout, :]
    if d.mux == "TDM":
        for p in (pin, pout):
            held = locks.tdm.get((dev, p))
            if held is not None and tuple(held[0]) != (pin, pout):
                return None
    elif d.mux == "WDM":
        masked = [c for c, off in enumerate(net.offsets)
                  if (dev, pin, off) in locks.wdm or (dev, pout, off) in locks.wdm]
        if masked:
            w = w.copy()
            w[masked] = np.inf
    return w


def path_loss_vector(net: OpticalNetwork, hops, locks: LockState | None = None) -> dict:
    """Per-offset loss (dB) of the port path ``hops`` from the source, under ``locks``.

    ``inf`` where a channel cannot pass (device tensor, or a WDM lock); every offset is
    ``inf`` when a TDM port of the path is held by another crossconnect. With no locks
    this is the path's physical loss, the one its key rate is computed from.

    Examples
    --------
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=1))
    >>> path_loss_vector(net, [("mux", 0, 1), ("f0", 0, 1)])
    {-1: 8.2, 1: 8.2}
    """
    locks = locks or LockState()
    here = net.links[(net.source, 0)]
    vec = np.full(net.n_channels, here[2])
    for dev, pin, pout in hops:
        w = _hop_loss(net, locks, dev, pin, pout)
        vec = vec + (np.inf if w is None else w) + net.links[(dev, pout)][2]
    return dict(zip(net.offsets, vec.tolist()))


def tell_ps(net: OpticalNetwork, user: str, locks: LockState | None = None):
    """Tell-PS (DSER Sec. 3.2): lowest-loss paths from the source to ``user``, per channel.

    Dijkstra whose settled states are (device, input port, channel): each channel
    offset keeps its own lowest-loss path, so a path that is best for some channel is
    never pruned by a path that is better on other channels ("find out the optimal path
    and supported wavelength channels between the requested node and the entangled
    photon source"; Step 6 takes the minimum per channel over the output ports). Locks
    as in Definitions A3–A6: a TDM-locked port is usable only by the same crossconnect, a
    WDM-locked (port, channel) is masked on that channel. qnum's choices: a path enters
    each device at most once (the key-rate validator's rule), and ties go to the
    earlier-found path.

    Returns
    -------
    dict or None
        ``paths``: the distinct per-channel lowest-loss paths, best first, each a dict
        ``hops`` [(device, in_port, out_port)], ``loss_dB`` per channel offset along that
        path under the locks (inf where unusable) and ``channels`` (usable offsets);
        ``hops``, ``loss_dB`` and ``channels`` repeat the first (lowest-loss) path.
        None if the user is unreachable on every channel.

    Examples
    --------
    >>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    >>> r = tell_ps(net, "u1")
    >>> [h[0] for h in r["hops"]], r["channels"], len(r["paths"])
    (['mux', 'f0'], [-2, -1, 1, 2], 1)
    """
    locks = locks or LockState()
    src_out = net.links.get((net.source, 0))
    if src_out is None:
        return None
    best_per_channel = []
    for c in range(net.n_channels):
        found = _dijkstra_channel(net, user, locks, c, src_out)
        if found is not None:
            best_per_channel.append(found)
    if not best_per_channel:
        return None
    paths, seen = [], set()
    for _, hops in sorted(best_per_channel, key=lambda x: x[0]):
        if hops in seen:
            continue
        seen.add(hops)
        loss = path_loss_vector(net, hops, locks)
        paths.append({"hops": list(hops), "loss_dB": loss,
                      "channels": [o for o in net.offsets if math.isfinite(loss[o])]})
    return {**paths[0], "paths": paths}


def _dijkstra_channel(net, user, locks, c, src_out):
    """(loss, hops) of the lowest-loss simple path to ``user`` on channel index ``c``, or None."""
    heap = [(src_out[2], 0, (src_out[0], src_out[1]), ())]
    settled, counter = set(), 1
    while heap:
        loss, _, (dev, pin), hops = heapq.heappop(heap)
        if (dev, pin) in settled:
            continue
        settled.add((dev, pin))
        if dev == user:
            return loss, hops
        d = net.devices[dev]
        if d.type in ("USER", "EPS"):
            continue
        visited = {h[0] for h in hops}
        for pout in range(d.ports):
            nxt = net.links.get((dev, pout))
            if pout == pin or nxt is None or nxt[0] in visited or (nxt[0], nxt[1]) in settled:
                continue
            w = _hop_loss(net, locks, dev, pin, pout)
            if w is None or not math.isfinite(w[c]):
                continue
            heapq.heappush(heap, (loss + float(w[c]) + nxt[2], counter, (nxt[0], nxt[1]),
                                  hops + ((dev, pin, pout),)))
            counter += 1
    return None


NSFNET_EDGES = [(0, 1), (0, 2), (0, 7), (1, 2), (1, 3), (2, 5), (3, 4), (3, 10), (4, 5), (4, 6),
                (5, 9), (5, 13), (6, 7), (7, 8), (8, 9), (8, 11), (8, 12), (10, 11), (10, 12),
                (11, 13), (12, 13)]


def nsfnet_network(n_pairs: int = 20, users_per_node: int = 2, seed: int = 0,
                   switch: str = "OS") -> dict:
    """Seeded switch fabric on the 14-node NSFNet graph, users hanging off every node.

    The source feeds a WSS whose outputs reach switches 0, 6 and 11; every switch
    connects any port to any other (IL 1 dB for OS, 5 dB for WSS); fibre lengths are
    drawn uniformly in [10, 100] km with ``seed``.

    Examples
    --------
    >>> net = network_from_dict(nsfnet_network(n_pairs=2, seed=1))
    >>> len(net.users), sum(d.type == "OS" for d in net.devices.values())
    (28, 14)
    """
    rng = np.random.default_rng(seed)
    C = 2 * n_pairs
    deg = {i: 0 for i in range(14)}
    for a, b in NSFNET_EDGES:
        deg[a] += 1
        deg[b] += 1
    feeds = [0, 6, 11]
    devices = {"src": {"type": "EPS", "ports": 1},
               "wss": {"type": "WSS", "ports": len(feeds) + 1}}
    links = [{"a": ["src", 0], "b": ["wss", 0], "length_km": 0.0}]
    nxt = {i: 0 for i in range(14)}
    il = 1.0 if switch in ("OS", "AOS") else 5.0
    for i in range(14):
        ports = deg[i] + users_per_node + (1 if i in feeds else 0)
        t = np.full((ports, ports, C), il)
        for p in range(ports):
            t[p, p, :] = np.inf
        devices[f"s{i}"] = {"type": switch, "ports": ports,
                            "loss_dB": [[[None if not np.isfinite(v) else float(v) for v in row]
                                         for row in m] for m in t]}
    for j, i in enumerate(feeds):
        links.append({"a": ["wss", j + 1], "b": [f"s{i}", nxt[i]], "length_km": 1.0})
        nxt[i] += 1
    for a, b in NSFNET_EDGES:
        links.append({"a": [f"s{a}", nxt[a]], "b": [f"s{b}", nxt[b]],
                      "length_km": float(rng.uniform(10, 100))})
        nxt[a] += 1
        nxt[b] += 1
    u = 0
    for i in range(14):
        for _ in range(users_per_node):
            u += 1
            devices[f"u{u}"] = {"type": "USER", "ports": 1}
            links.append({"a": [f"s{i}", nxt[i]], "b": [f"u{u}", 0], "length_km": 1.0})
            nxt[i] += 1
    return {"n_pairs": n_pairs, "source": "src", "devices": devices, "links": links}
