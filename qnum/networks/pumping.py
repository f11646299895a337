"""Pumping scenarios: one entangled-photon source, N QKD nodes, at most K pairs per slot.

A :class:`PumpingScenario` holds validated data only: the per-state, per-pair secret key
rates (bit/s), the state probabilities, the capacity K, how pumped pairs share the source
(independently, or with a per-count factor f_k), which topologies are allowed, the pair
weights, the default α, and the channel process. Builders cover SKR matrices, distance +
QBER matrices (the PF paper's 5-node Table I/II network is built in), the paper's 4-node
example, and seeded random networks.

Pairs are unordered ``(i, j)`` with ``i < j`` in lexicographic order, the order of
``numpy.triu_indices(N, 1)``; every per-pair vector uses it.

Scenario file (JSON or TOML), read by :meth:`PumpingScenario.from_dict`::

    {"kind": "pumping", "nodes": N, "capacity": K, "alpha": 1 | "maxmin",
     "states": [{"prob": p, "skr": N x N symmetric matrix (bit/s)}, ...],
     "sharing": {"per_count_factor": [f_1, ..., f_K]},        (optional)
     "topologies": "at-most-k" | "matching" | [[[i, j], ...], ...],   (optional)
     "weights": N x N symmetric matrix,                       (optional)
     "channel": "iid" | "fixed" | {"process": "markov", "transition": [[...]]},  (optional)
     "name": "label"}                                          (optional)

or, instead of ``states``, the physical form (SKRs from BBM92,
``s = R 10^(-a d / 10) max(0, 1 - 2 h(Q))``), which also allows the paper's
perturbed-QBER channel ``{"process": "perturbed-qber", "period_slots": 100, "delta": 0.005}``::

    {"distance_km": N x N, "qber": N x N, "qber_states": [N x N, ...] (optional),
     "probabilities": [...] (optional), "attenuation_db_per_km": 0.2, "repetition_rate_hz": 1e9}

``states`` may also come with ``distance_km``, ``qber`` (and the loss and source rate):
the explicit SKRs plus the link data they came from, which is what
:meth:`PumpingScenario.to_dict` writes, so a file round-trips exactly.
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from qnum.errors import ScenarioError
from qnum.networks.channels import FixedChannel, IIDChannel, PerturbedQBERChannel, channel_from_dict
from qnum.networks.display import ScenarioDisplay
from qnum.networks.io import check_keys, require
from qnum.physics import bbm92_key_rate, transmissivity
from qnum.utility import parse_alpha

AT_MOST_K = "at-most-k"
MATCHING = "matching"
TOPOLOGY_FAMILIES = (AT_MOST_K, MATCHING)

#: Stand-in repetition rate of the source (the PF paper does not give R): 1e9 /s.
DEFAULT_REPETITION_RATE_HZ = 1e9

#: PF paper Table I: distances between the 5 QKD nodes, km.
TABLE_I_DISTANCE_KM = np.array([
    [0, 50, 80, 20, 100],
    [50, 0, 30, 60, 90],
    [80, 30, 0, 70, 40],
    [20, 60, 70, 0, 10],
    [100, 90, 40, 10, 0],
], dtype=float)

#: PF paper Table II: QBER of each link.
TABLE_II_QBER = np.array([
    [0, 0.02, 0.03, 0.005, 0.04],
    [0.02, 0, 0.015, 0.025, 0.035],
    [0.03, 0.015, 0, 0.03, 0.02],
    [0.005, 0.025, 0.03, 0, 0.005],
    [0.04, 0.035, 0.02, 0.005, 0],
])

#: Stand-in SKR matrix of the paper's 4-node example (kbit/s; the paper's is missing).
FOUR_NODE_SKR_KBPS = np.array([
    [0, 10, 6, 2],
    [10, 0, 4, 3],
    [6, 4, 0, 8],
    [2, 3, 8, 0],
], dtype=float)


def pair_list(nodes: int) -> list[tuple[int, int]]:
    """All unordered pairs ``(i, j)``, ``i < j``, in the canonical order.

    Examples
    --------
    >>> pair_list(3)
    [(0, 1), (0, 2), (1, 2)]
    """
    i, j = np.triu_indices(nodes, 1)
    return list(zip(i.tolist(), j.tolist()))


def matrix_to_pairs(matrix, nodes: int, field: str, *, nonnegative: bool = True) -> np.ndarray:
    """Upper triangle of a symmetric N x N matrix as a per-pair vector, validated.

    Examples
    --------
    >>> matrix_to_pairs([[0, 1, 2], [1, 0, 3], [2, 3, 0]], 3, "skr").tolist()
    [1.0, 2.0, 3.0]
    """
    try:
        A = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(field, matrix, "must be an N x N matrix of numbers") from None
    if A.shape != (nodes, nodes):
        raise ScenarioError(field, np.shape(matrix), f"must be a {nodes}x{nodes} matrix (nodes = {nodes})")
    if not np.all(np.isfinite(A)):
        raise ScenarioError(field, A.tolist(), "entries must be finite")
    if not np.allclose(A, A.T, rtol=1e-12, atol=0.0):
        i, j = np.argwhere(~np.isclose(A, A.T, rtol=1e-12, atol=0.0))[0]
        raise ScenarioError(f"{field}[{i}][{j}]", float(A[i, j]),
                            f"matrix must be symmetric, but [{j}][{i}] = {float(A[j, i])}")
    if nonnegative and np.any(A < 0):
        i, j = np.argwhere(A < 0)[0]
        raise ScenarioError(f"{field}[{i}][{j}]", float(A[i, j]), "must be >= 0")
    if np.any(np.diag(A) != 0):
        i = int(np.flatnonzero(np.diag(A) != 0)[0])
        raise ScenarioError(f"{field}[{i}][{i}]", float(A[i, i]), "the diagonal must be 0 (a node has no link "
                            "to itself)")
    return A[np.triu_indices(nodes, 1)].copy()


def pairs_to_matrix(values, nodes: int) -> np.ndarray:
    """Per-pair vector back to a symmetric N x N matrix with zero diagonal.

    Examples
    --------
    >>> pairs_to_matrix([1.0, 2.0, 3.0], 3).tolist()
    [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]]
    """
    A = np.zeros((nodes, nodes))
    i, j = np.triu_indices(nodes, 1)
    A[i, j] = values
    A[j, i] = values
    return A


@dataclass(frozen=True, eq=False)
class PhysicalLinks:
    """Physical link data behind the SKRs: distances (km), nominal QBER, loss, source rate (read-only)."""

    distance_km: np.ndarray
    qber: np.ndarray
    attenuation_db_per_km: float
    repetition_rate_hz: float

    def __post_init__(self):
        for key in ("distance_km", "qber"):
            value = np.array(getattr(self, key), dtype=float)
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        object.__setattr__(self, "attenuation_db_per_km", float(self.attenuation_db_per_km))
        object.__setattr__(self, "repetition_rate_hz", float(self.repetition_rate_hz))

    @cached_property
    def qber_vector(self) -> np.ndarray:
        return self.qber[np.triu_indices(self.qber.shape[0], 1)]

    @cached_property
    def transmissivity_vector(self) -> np.ndarray:
        d = self.distance_km[np.triu_indices(self.distance_km.shape[0], 1)]
        return transmissivity(d, self.attenuation_db_per_km)


@dataclass(frozen=True, eq=False, repr=False)
class PumpingScenario(ScenarioDisplay):
    """Validated pumping scenario: immutable after construction (derive variants with :meth:`replace`).

    Parameters
    ----------
    nodes : int
        Number of QKD nodes N >= 2.
    capacity : int
        K, the most pairs the source pumps in one slot, ``1 <= K <= N(N-1)/2``.
    skr : array_like, shape (S, M)
        SKR of each pair (canonical order, M = N(N-1)/2) in each state, bit/s, >= 0.
    probabilities : array_like, shape (S,)
        Stationary probability of each channel state; sums to 1.
    per_count_factor : array_like of length K, optional
        Sharing: each pumped pair's SKR is multiplied by ``f_k`` when k pairs are pumped.
        None means independent SKRs (``f_k = 1``).
    topologies : "at-most-k", "matching", or a list of topologies
        The allowed topologies: any set of at most K pairs; at most K pairs forming a
        matching; or an explicit list, each topology a list of pairs ``(i, j)``. The
        empty topology (pump nothing) is always allowed.
    weights : array_like, shape (M,), optional
        Utility weights ``w_e >= 0`` (default 1). Weight 0 leaves a pair out.
    alpha : float or "maxmin"
        Default α of the α-fair utility for this scenario.
    channel : channel process, optional
        Default: fixed for one state, i.i.d. otherwise.
    physical : PhysicalLinks, optional
        Physical data the SKRs came from (needed by the perturbed-QBER channel).
    name : str
        Label used in reports.

    Examples
    --------
    >>> sc = PumpingScenario(3, 1, [[1.0, 2.0, 3.0]], [1.0])
    >>> sc.num_pairs, sc.pairs
    (3, [(0, 1), (0, 2), (1, 2)])
    >>> PumpingScenario(3, 4, [[1.0, 2.0, 3.0]], [1.0])
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: capacity = 4: must be an integer in [1, 3] (the number of node pairs)
    >>> sc.capacity = 2
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'capacity'
    """

    kind: ClassVar[str] = "pumping"

    nodes: int
    capacity: int
    skr: Any
    probabilities: Any
    _: KW_ONLY
    per_count_factor: Any = None
    topologies: Any = AT_MOST_K
    weights: Any = None
    alpha: Any = 1.0
    channel: Any = None
    physical: PhysicalLinks | None = None
    name: str = "pumping"

    def __post_init__(self):
        nodes, capacity = self.nodes, self.capacity
        if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
            raise ScenarioError("nodes", nodes, "must be an integer >= 2")
        setattr_ = object.__setattr__
        setattr_(self, "nodes", int(nodes))
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) \
                or not 1 <= capacity <= self.num_pairs:
            raise ScenarioError("capacity", capacity,
                                f"must be an integer in [1, {self.num_pairs}] (the number of node pairs)")
        setattr_(self, "capacity", int(capacity))
        setattr_(self, "skr", self._validate_skr(self.skr))
        setattr_(self, "probabilities", self._validate_probabilities(self.probabilities))
        setattr_(self, "per_count_factor", self._validate_factor(self.per_count_factor))
        setattr_(self, "topologies", self._validate_topologies(self.topologies))
        setattr_(self, "weights", self._validate_weights(self.weights))
        alpha = parse_alpha(self.alpha)
        if math.isfinite(alpha) and alpha > MAX_ALPHA:
            raise ScenarioError("alpha", float(alpha), f'must be in [0, {MAX_ALPHA:g}] or "maxmin" (beyond that the '
                                'alpha-fair optimum is numerically max-min: use "maxmin")')
        setattr_(self, "alpha", alpha)
        if self.physical is not None and not isinstance(self.physical, PhysicalLinks):
            raise ScenarioError("physical", self.physical, "must be a PhysicalLinks (distance and QBER data)")
        setattr_(self, "name", str(self.name))
        if self.channel is None:
            setattr_(self, "channel", FixedChannel() if self.num_states == 1 else IIDChannel())
        self.channel.validate(self)

    @classmethod
    def from_dict(cls, data: dict) -> PumpingScenario:
        """Validated scenario from the file form (module docstring); unknown keys are rejected.

        Examples
        --------
        >>> sc = PumpingScenario.from_dict({"kind": "pumping", "nodes": 2, "capacity": 1,
        ...                                 "states": [{"prob": 1.0, "skr": [[0, 3], [3, 0]]}]})
        >>> sc.skr.tolist()
        [[3.0]]
        >>> PumpingScenario.from_dict({"kind": "pumping", "nodes": 2, "capacity": 1, "state": []})
        ...                                                     # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qnum.errors.ScenarioError: state = []: unknown key; allowed keys: alpha, ..., weights
        """
        if not isinstance(data, dict):
            raise ScenarioError("scenario", data, "must be an object (a dict)")
        check_keys(data, _KEYS)
        if data.get("kind", cls.kind) != cls.kind:
            raise ScenarioError("kind", data["kind"], f"a PumpingScenario needs kind = {cls.kind!r}")
        nodes = require(data, "nodes")
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 2:
            raise ScenarioError("nodes", nodes, "must be an integer >= 2")
        from qnum.limits import dense_square

        dense_square("nodes", nodes, 4, "the N x N SKR, distance and QBER matrices", value=nodes)
        physical = _PHYSICAL_KEYS & set(data)
        if "states" not in data:
            if not physical:
                raise ScenarioError("states", None, 'required key is missing (or give "distance_km" + "qber")')
            return _from_physical(data, nodes)
        derived = physical & {"qber_states", "probabilities"}
        if derived:
            key = sorted(derived)[0]
            raise ScenarioError(key, data[key], 'give either "states" (SKR matrices) or "distance_km" + "qber" '
                                '(+ "qber_states", "probabilities"), not both')
        states = data["states"]
        if not isinstance(states, list) or not states:
            raise ScenarioError("states", states, "must be a non-empty list of {\"prob\": p, \"skr\": matrix}")
        probs, skr = [], []
        for c, st in enumerate(states):
            if not isinstance(st, dict):
                raise ScenarioError(f"states[{c}]", st, "must be an object {\"prob\": p, \"skr\": matrix}")
            check_keys(st, {"prob", "skr"}, where=f"states[{c}].")
            p = require(st, "prob", where=f"states[{c}].")
            if isinstance(p, bool) or not isinstance(p, (int, float)):
                raise ScenarioError(f"states[{c}].prob", p, "must be a number")
            probs.append(float(p))
            skr.append(matrix_to_pairs(require(st, "skr", where=f"states[{c}]."), nodes, f"states[{c}].skr"))
        links = None
        if physical:
            # explicit SKRs with the link data they came from (what to_dict writes)
            distance = _square(require(data, "distance_km"), nodes, "distance_km")
            qber = _square(require(data, "qber"), nodes, "qber")
            links = PhysicalLinks(distance, qber,
                                  _number(data, "attenuation_db_per_km", 0.2, MAX_ATTENUATION_DB_PER_KM),
                                  _number(data, "repetition_rate_hz", DEFAULT_REPETITION_RATE_HZ,
                                          MAX_REPETITION_RATE_HZ))
            # the link data must be where the SKRs came from: BBM92 at the nominal QBER gives one state
            nominal = bbm92_key_rate(links.repetition_rate_hz, links.transmissivity_vector, links.qber_vector)
            if not any(np.allclose(state, nominal, rtol=1e-9, atol=0.0) for state in skr):
                raise ScenarioError("states", "...", "no state's SKRs equal BBM92 of distance_km + qber (the "
                                    "nominal state); give either \"states\" or \"distance_km\" + \"qber\", or "
                                    "both consistent (as to_dict writes them)")
        return cls(nodes, require(data, "capacity"), skr, probs, physical=links, **_common_options(data))

    def to_dict(self) -> dict:
        """File form: explicit SKR states (plus the physical link data when there is some).

        ``PumpingScenario.from_dict(sc.to_dict())`` gives the same scenario.

        Examples
        --------
        >>> sc = table_i(channel="perturbed")
        >>> again = PumpingScenario.from_dict(sc.to_dict())
        >>> again.to_dict() == sc.to_dict(), again.channel.name
        (True, 'perturbed-qber')
        """
        states = [{"prob": float(p), "skr": pairs_to_matrix(s, self.nodes).tolist()}
                  for p, s in zip(self.probabilities, self.skr)]
        out = {"kind": self.kind, "name": self.name, "nodes": self.nodes, "capacity": self.capacity,
               "alpha": "maxmin" if math.isinf(self.alpha) else self.alpha, "states": states,
               "topologies": self._topologies_as_pairs(), "channel": self.channel.to_dict()}
        if self.per_count_factor is not None:
            out["sharing"] = {"per_count_factor": self.per_count_factor.tolist()}
        if not np.all(self.weights == 1.0):
            out["weights"] = pairs_to_matrix(self.weights, self.nodes).tolist()
        if self.physical is not None:
            out.update(distance_km=self.physical.distance_km.tolist(), qber=self.physical.qber.tolist(),
                       attenuation_db_per_km=self.physical.attenuation_db_per_km,
                       repetition_rate_hz=self.physical.repetition_rate_hz)
        return out

    # -- validation -------------------------------------------------------------------
    def _validate_skr(self, skr) -> np.ndarray:
        try:
            S = np.array(skr, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError("skr", skr, "must be a (states x pairs) array of numbers") from None
        if S.ndim == 1:
            S = S[None, :]
        if S.ndim != 2 or S.shape[1] != self.num_pairs or S.shape[0] < 1:
            raise ScenarioError("skr", S.shape, f"must have shape (states, {self.num_pairs})")
        bad = ~(np.isfinite(S) & (S >= 0) & (S <= MAX_SKR))
        if np.any(bad):
            c, e = np.argwhere(bad)[0]
            raise ScenarioError(f"states[{c}].skr{list(self.pair(e))}", float(S[c, e]),
                                f"SKR must be a number in [0, {MAX_SKR:g}] (bit/s)")
        S.setflags(write=False)
        return S

    def _validate_probabilities(self, probabilities) -> np.ndarray:
        try:
            p = np.array(probabilities, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ScenarioError("probabilities", probabilities, "must be a list of numbers") from None
        if p.size != self.skr.shape[0]:
            raise ScenarioError("probabilities", p.tolist(), f"need one per state ({self.skr.shape[0]})")
        if np.any(~np.isfinite(p)) or np.any(p < 0):
            raise ScenarioError("probabilities", p.tolist(), "must be finite and >= 0")
        if abs(p.sum() - 1.0) > 1e-9:
            raise ScenarioError("probabilities", p.tolist(), f"must sum to 1 (they sum to {p.sum():.12g})")
        p.setflags(write=False)
        return p

    def _validate_factor(self, factor):
        if factor is None:
            return None
        try:
            f = np.array(factor, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ScenarioError("sharing.per_count_factor", factor, "must be a list of numbers") from None
        if f.size != self.capacity:
            raise ScenarioError("sharing.per_count_factor", f.tolist(),
                                f"needs one factor per pumped-pair count 1..K (K = {self.capacity})")
        if np.any(~np.isfinite(f)) or np.any(f < 0) or np.any(f > 1):
            raise ScenarioError("sharing.per_count_factor", f.tolist(), "factors must be numbers in [0, 1] (the "
                                "share of a pair's SKR when k pairs are pumped)")
        if np.all(f == 1.0):
            return None  # independent sharing, stated once
        f.setflags(write=False)
        return f

    def _validate_topologies(self, topologies):
        if isinstance(topologies, str):
            if topologies not in TOPOLOGY_FAMILIES:
                raise ScenarioError("topologies", topologies,
                                    f'must be "{AT_MOST_K}", "{MATCHING}" or a list of topologies')
            return topologies
        try:
            listed = [list(top) for top in topologies]
        except TypeError:
            raise ScenarioError("topologies", topologies, "must be a family name or a list of lists of pairs") from None
        if not listed:
            raise ScenarioError("topologies", topologies, "an explicit list needs at least one topology")
        result = []
        for t, top in enumerate(listed):
            idx = []
            for pair in top:
                try:
                    i, j = (int(v) for v in pair)
                except (TypeError, ValueError):
                    raise ScenarioError(f"topologies[{t}]", top, "each pair must be [i, j]") from None
                idx.append(self.pair_index(i, j, field=f"topologies[{t}]"))
            if len(set(idx)) != len(idx):
                raise ScenarioError(f"topologies[{t}]", top, "lists a pair twice")
            if len(idx) > self.capacity:
                raise ScenarioError(f"topologies[{t}]", top,
                                    f"has {len(idx)} pairs, more than capacity K = {self.capacity}")
            result.append(tuple(sorted(idx)))
        if len(set(result)) != len(result):
            raise ScenarioError("topologies", topologies, "lists the same topology twice")
        return tuple(result)

    def _validate_weights(self, weights) -> np.ndarray:
        if weights is None:
            w = np.ones(self.num_pairs)
        else:
            try:
                w = np.array(weights, dtype=float)
            except (TypeError, ValueError):
                raise ScenarioError("weights", weights, "must be a list of numbers or an N x N matrix") from None
            if w.ndim == 2:
                w = matrix_to_pairs(w, self.nodes, "weights")
            if w.shape != (self.num_pairs,):
                raise ScenarioError("weights", w.shape,
                                    f"need one weight per pair ({self.num_pairs}) or an N x N matrix")
            if np.any(~np.isfinite(w)) or np.any(w < 0):
                raise ScenarioError("weights", w.tolist(), "weights must be finite and >= 0")
        w.setflags(write=False)
        return w

    # -- views ------------------------------------------------------------------------
    @property
    def num_pairs(self) -> int:
        """M = N(N-1)/2, the number of node pairs."""
        return self.nodes * (self.nodes - 1) // 2

    @property
    def num_states(self) -> int:
        return self.skr.shape[0]

    @cached_property
    def pairs(self) -> list[tuple[int, int]]:
        """Canonical pair list (index e -> (i, j))."""
        return pair_list(self.nodes)

    def pair(self, index: int) -> tuple[int, int]:
        """The pair ``(i, j)`` at a canonical index."""
        return self.pairs[index]

    def pair_index(self, i: int, j: int, field: str = "pair") -> int:
        """Canonical index of the unordered pair {i, j}.

        Examples
        --------
        >>> PumpingScenario(4, 1, [[1.0] * 6], [1.0]).pair_index(3, 1)
        4
        """
        if not (0 <= i < self.nodes and 0 <= j < self.nodes) or i == j:
            raise ScenarioError(field, [i, j], f"pair needs two different nodes in [0, {self.nodes - 1}]")
        i, j = min(i, j), max(i, j)
        return i * self.nodes - i * (i + 1) // 2 + (j - i - 1)

    def vector(self, per_pair: dict) -> np.ndarray:
        """A per-pair dict ``{(i, j): value}`` (a solution's or a trace's rates) as an
        array in the canonical pair order.

        Examples
        --------
        >>> PumpingScenario(3, 1, [[1.0, 2.0, 3.0]], [1.0]).vector({(1, 2): 5.0, (0, 1): 1.0, (0, 2): 0.0})
        array([1., 0., 5.])
        """
        missing = [pair for pair in self.pairs if pair not in per_pair]
        if missing:
            raise ScenarioError("per_pair", sorted(per_pair)[:5], f"has no value for pair {missing[0]}")
        return np.array([per_pair[pair] for pair in self.pairs], dtype=float)

    @property
    def count_factor(self) -> np.ndarray:
        """Per-count factors ``f_1..f_K`` (all ones for independent sharing)."""
        return np.ones(self.capacity) if self.per_count_factor is None else np.asarray(self.per_count_factor)

    @property
    def independent(self) -> bool:
        """True when pumped pairs do not share (no per-count factor)."""
        return self.per_count_factor is None

    @property
    def mean_skr(self) -> np.ndarray:
        """Stationary mean SKR of each pair, bit/s."""
        return self.probabilities @ self.skr

    def replace(self, **changes) -> PumpingScenario:
        """A copy with some fields changed (validated again); the scenario itself never changes.

        Examples
        --------
        >>> sc = PumpingScenario(3, 1, [[1.0, 2.0, 3.0]], [1.0])
        >>> sc.replace(capacity=2).capacity, sc.capacity
        (2, 1)
        """
        fields = dict(nodes=self.nodes, capacity=self.capacity, skr=self.skr, probabilities=self.probabilities,
                      per_count_factor=self.per_count_factor, topologies=self._topologies_as_pairs(),
                      weights=self.weights, alpha=self.alpha, channel=self.channel, physical=self.physical,
                      name=self.name)
        unknown = set(changes) - set(fields)
        if unknown:
            key = sorted(unknown)[0]
            raise ScenarioError(key, changes[key], f"not a field of PumpingScenario; fields: {', '.join(fields)}")
        fields.update(changes)
        if "skr" in changes and "channel" not in changes and len(np.atleast_2d(changes["skr"])) != self.num_states:
            fields["channel"] = None
        return PumpingScenario(**fields)

    def _topologies_as_pairs(self):
        if isinstance(self.topologies, str):
            return self.topologies
        return [[self.pair(e) for e in top] for top in self.topologies]

    def with_states(self, skr, probabilities, name=None) -> PumpingScenario:
        """Same network with other channel states (i.i.d. unless one state).

        Used to compare an online run on a realized channel with the hindsight optimum
        over the states it actually saw (their empirical frequencies).
        """
        skr = np.atleast_2d(np.asarray(skr, dtype=float))
        keep = np.asarray(probabilities) > 0
        return self.replace(skr=skr[keep], probabilities=np.asarray(probabilities)[keep], channel=None,
                            name=name or self.name)

    def __repr__(self) -> str:
        share = "independent" if self.independent else f"f={self.per_count_factor.tolist()}"
        fam = self.topologies if isinstance(self.topologies, str) else f"{len(self.topologies)} listed"
        return (f"PumpingScenario({self.name!r}, N={self.nodes}, K={self.capacity}, states={self.num_states}, "
                f"topologies={fam}, sharing={share}, channel={self.channel.name})")


# -- builders -----------------------------------------------------------------------------

def from_skr_matrices(matrices, probabilities=None, capacity=1, **kwargs) -> PumpingScenario:
    """Scenario from one symmetric N x N SKR matrix (bit/s) per channel state.

    Examples
    --------
    >>> sc = from_skr_matrices([[[0, 5], [5, 0]]], capacity=1)
    >>> sc.skr.tolist(), sc.probabilities.tolist()
    ([[5.0]], [1.0])
    """
    mats = [np.asarray(m, dtype=float) for m in matrices]
    if not mats:
        raise ScenarioError("states", matrices, "need at least one channel state")
    nodes = mats[0].shape[0] if mats[0].ndim == 2 else -1
    if nodes < 2:
        raise ScenarioError("states[0].skr", np.shape(mats[0]), "must be an N x N matrix with N >= 2")
    skr = np.array([matrix_to_pairs(m, nodes, f"states[{c}].skr") for c, m in enumerate(mats)])
    if probabilities is None:
        probabilities = np.full(len(mats), 1.0 / len(mats))
    return PumpingScenario(nodes, capacity, skr, probabilities, **kwargs)


def from_distance_qber(distance_km, qber, capacity=1, *, attenuation_db_per_km=0.2,
                       repetition_rate_hz=DEFAULT_REPETITION_RATE_HZ, qber_states=None,
                       probabilities=None, **kwargs) -> PumpingScenario:
    """Scenario whose SKRs follow BBM92: ``s_ij = R * 10^(-a d_ij / 10) * max(0, 1 - 2 h(Q_ij))``.

    Parameters
    ----------
    distance_km, qber : array_like, N x N symmetric
        Link lengths (km) and nominal QBERs (in [0, 0.5]).
    capacity : int
        K.
    attenuation_db_per_km : float
        Fiber attenuation (the PF paper uses 0.2 dB/km).
    repetition_rate_hz : float
        Source repetition rate R; default 1e9 /s is qnum's stand-in (not in the paper).
    qber_states : list of N x N matrices, optional
        QBER matrix of each channel state (default: one state with ``qber``).
    probabilities : array_like, optional
        State probabilities (default uniform).

    Examples
    --------
    >>> sc = from_distance_qber(TABLE_I_DISTANCE_KM, TABLE_II_QBER, capacity=2)
    >>> round(float(sc.skr[0, sc.pair_index(3, 4)]) / 1e6, 2)  # 10 km, Q = 0.005: Mbit/s
    573.65
    """
    nodes = np.shape(distance_km)[0]
    d = matrix_to_pairs(distance_km, nodes, "distance_km")
    q_nominal = _floats(qber, "qber")
    matrix_to_pairs(q_nominal, nodes, "qber")
    if qber_states is not None and (not isinstance(qber_states, (list, tuple, np.ndarray)) or len(qber_states) == 0):
        raise ScenarioError("qber_states", qber_states, "must be a non-empty list of N x N QBER matrices")
    q_states = [q_nominal] if qber_states is None else [_floats(q, f"qber_states[{c}]")
                                                        for c, q in enumerate(qber_states)]
    eta = transmissivity(d, attenuation_db_per_km)
    skr = []
    for c, q in enumerate(q_states):
        qv = matrix_to_pairs(q, nodes, f"qber_states[{c}]" if qber_states is not None else "qber")
        if np.any(qv > 0.5):
            e = int(np.argmax(qv > 0.5))
            raise ScenarioError(f"qber{list(pair_list(nodes)[e])}", qv[e], "QBER must lie in [0, 0.5]")
        skr.append(bbm92_key_rate(repetition_rate_hz, eta, qv))
    if probabilities is None:
        probabilities = np.full(len(skr), 1.0 / len(skr))
    physical = PhysicalLinks(np.asarray(distance_km, dtype=float), q_nominal, float(attenuation_db_per_km),
                             float(repetition_rate_hz))
    return PumpingScenario(nodes, capacity, np.array(skr), probabilities, physical=physical, **kwargs)


def table_i(capacity: int = 2, channel: str = "fixed", *, seed: int = 2025, alpha=1.0) -> PumpingScenario:
    """The PF paper's 5-node network (Table I distances, Table II QBERs, 0.2 dB/km).

    Parameters
    ----------
    capacity : int
        K (the paper's value is not given; K = 2 is qnum's stand-in).
    channel : {"fixed", "iid3", "perturbed"}
        ``"fixed"``: the nominal QBERs forever. ``"iid3"``: three i.i.d. states — the
        nominal QBERs (probability 0.5) and two seeded perturbations of every link by
        U[-0.02, 0.02] clipped to [0, 0.11] (probabilities 0.3, 0.2); a qnum stand-in.
        ``"perturbed"``: the paper's perturbed-QBER process (stand-in T = 100 slots,
        delta = 0.005, random walk).
    seed : int
        Seed of the "iid3" perturbations.

    Examples
    --------
    >>> table_i().num_pairs, table_i(channel="iid3").num_states
    (10, 3)
    """
    kwargs = dict(capacity=capacity, alpha=alpha, repetition_rate_hz=DEFAULT_REPETITION_RATE_HZ)
    if channel == "fixed":
        return from_distance_qber(TABLE_I_DISTANCE_KM, TABLE_II_QBER, name="table-i-fixed", **kwargs)
    if channel == "iid3":
        rng = np.random.default_rng(seed)
        states = [TABLE_II_QBER]
        for _ in range(2):
            noise = rng.uniform(-0.02, 0.02, TABLE_II_QBER.shape)
            noise = np.triu(noise, 1) + np.triu(noise, 1).T
            states.append(np.clip(TABLE_II_QBER + noise, 0.0, 0.11) * (1 - np.eye(5)))
        return from_distance_qber(TABLE_I_DISTANCE_KM, TABLE_II_QBER, qber_states=states,
                                  probabilities=[0.5, 0.3, 0.2], channel=IIDChannel(), name="table-i-iid3", **kwargs)
    if channel == "perturbed":
        return from_distance_qber(TABLE_I_DISTANCE_KM, TABLE_II_QBER, channel=PerturbedQBERChannel(),
                                  name="table-i-perturbed", **kwargs)
    raise ScenarioError("channel", channel, 'must be "fixed", "iid3" or "perturbed"')


def four_node_example(alpha=1.0) -> PumpingScenario:
    """The PF paper's 4-node, K = 2 example with qnum's stand-in numbers.

    SKR matrix ``FOUR_NODE_SKR_KBPS`` (kbit/s, stored in bit/s) and per-count factor
    f = (1, 0.6): each pumped pair gets 60 % of its SKR when two pairs are pumped. The
    PF optimum is then ``r* = 0.2 * S_e`` for every pair (equal time shares).

    Examples
    --------
    >>> sc = four_node_example()
    >>> sc.capacity, sc.per_count_factor.tolist()
    (2, [1.0, 0.6])
    """
    return from_skr_matrices([FOUR_NODE_SKR_KBPS * 1e3], capacity=2, per_count_factor=[1.0, 0.6],
                             alpha=alpha, name="four-node")


def random_network(nodes: int, capacity: int, states: int = 1, *, seed=None, side_km: float = 100.0,
                   qber_range=(0.005, 0.05), attenuation_db_per_km: float = 0.2,
                   repetition_rate_hz: float = DEFAULT_REPETITION_RATE_HZ, topologies=AT_MOST_K,
                   per_count_factor=None, alpha=1.0, name=None) -> PumpingScenario:
    """Seeded random network: nodes uniform in a square, QBER uniform per link and state.

    State probabilities are drawn from a flat Dirichlet. All ranges are qnum's choices.

    Examples
    --------
    >>> a = random_network(6, 2, states=3, seed=7)
    >>> b = random_network(6, 2, states=3, seed=7)
    >>> bool(np.array_equal(a.skr, b.skr)), a.num_states
    (True, 3)
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, side_km, size=(nodes, 2))
    dist = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)
    lo, hi = qber_range
    q_states = []
    for _ in range(states):
        q = rng.uniform(lo, hi, size=(nodes, nodes))
        q = np.triu(q, 1) + np.triu(q, 1).T
        q_states.append(q)
    probabilities = rng.dirichlet(np.ones(states)) if states > 1 else [1.0]
    return from_distance_qber(dist, q_states[0], capacity, attenuation_db_per_km=attenuation_db_per_km,
                              repetition_rate_hz=repetition_rate_hz, qber_states=q_states,
                              probabilities=probabilities, topologies=topologies,
                              per_count_factor=per_count_factor, alpha=alpha,
                              name=name or f"random-n{nodes}-k{capacity}-s{states}")


# -- the file reader's helpers (PumpingScenario.from_dict) -----------------------------------

#: largest finite fairness alpha a scenario accepts (the conic models lose accuracy beyond it)
MAX_ALPHA = 10.0
#: largest SKR (bit/s) a scenario accepts: far above any source, far below float overflow in the models
MAX_SKR = 1e15
#: largest link length (km) and attenuation (dB/km) a physical pumping scenario accepts
MAX_DISTANCE_KM = 1e5
MAX_ATTENUATION_DB_PER_KM = 100.0
#: largest source repetition rate (Hz) a physical pumping scenario accepts
MAX_REPETITION_RATE_HZ = 1e15

_KEYS = {"kind", "name", "nodes", "capacity", "alpha", "states", "sharing", "topologies", "weights", "channel",
         "distance_km", "qber", "qber_states", "probabilities", "attenuation_db_per_km", "repetition_rate_hz"}
_PHYSICAL_KEYS = {"distance_km", "qber", "qber_states", "probabilities", "attenuation_db_per_km",
                  "repetition_rate_hz"}


def _common_options(data: dict) -> dict:
    factor = None
    sharing = data.get("sharing")
    if sharing is not None and sharing != "independent":
        if not isinstance(sharing, dict):
            raise ScenarioError("sharing", sharing, 'must be "independent" or {"per_count_factor": [...]}')
        check_keys(sharing, {"per_count_factor"}, where="sharing.")
        factor = require(sharing, "per_count_factor", where="sharing.")
    channel = data.get("channel")
    name = data.get("name", "pumping")
    if not isinstance(name, str):
        raise ScenarioError("name", name, "must be a string")
    return dict(per_count_factor=factor, topologies=data.get("topologies", AT_MOST_K), weights=data.get("weights"),
                alpha=data.get("alpha", 1.0), channel=channel_from_dict(channel) if channel is not None else None,
                name=name)


def _floats(value, field: str) -> np.ndarray:
    """An array of floats, or a ScenarioError naming the field (ragged lists, strings, objects)."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(field, value, "must be a matrix (list of lists) of numbers") from None


def _square(matrix, nodes: int, field: str) -> np.ndarray:
    try:
        A = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(field, matrix, "must be an N x N matrix of numbers") from None
    if A.shape != (nodes, nodes):
        raise ScenarioError(field, A.shape, f"must be a {nodes}x{nodes} matrix (nodes = {nodes})")
    values = matrix_to_pairs(A, nodes, field)          # symmetric, finite, >= 0, zero diagonal
    if field == "distance_km" and np.any(values > MAX_DISTANCE_KM):
        raise ScenarioError(field, float(values.max()), f"link lengths must be at most {MAX_DISTANCE_KM:g} km")
    return A


def _number(data: dict, key: str, default: float, maximum: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= maximum:
        raise ScenarioError(key, value, f"must be a number in (0, {maximum:g}]")
    return float(value)


def _from_physical(data: dict, nodes: int) -> PumpingScenario:
    """The physical file form: distances and QBERs; SKRs from BBM92 (see from_distance_qber)."""
    distance = _square(require(data, "distance_km"), nodes, "distance_km")
    return from_distance_qber(distance, require(data, "qber"), require(data, "capacity"),
                              attenuation_db_per_km=_number(data, "attenuation_db_per_km", 0.2,
                                                            MAX_ATTENUATION_DB_PER_KM),
                              repetition_rate_hz=_number(data, "repetition_rate_hz", DEFAULT_REPETITION_RATE_HZ,
                                                         MAX_REPETITION_RATE_HZ),
                              qber_states=data.get("qber_states"), probabilities=data.get("probabilities"),
                              **_common_options(data))
