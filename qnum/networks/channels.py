"""Channel processes for the pumping family: which channel state holds in each slot.

A channel process turns a scenario into a *realization*: a table of per-pair SKR vectors
(one row per realized state) and the state index of every slot. The finite-state
processes (fixed, i.i.d., Markov) realize the scenario's own states; the perturbed-QBER
process of the PF paper creates new states as it goes (every ``period_slots`` slots each
link's QBER moves by U[-delta, delta] and is clipped to [0, 0.11]).

The offline rate region depends only on the stationary distribution of the states, so a
Markov chain has the same region as i.i.d. draws with its stationary probabilities.

Channel processes and realizations are immutable (frozen, read-only arrays), like the
scenarios that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from qnum.errors import ScenarioError
from qnum.physics import bbm92_key_rate


def as_generator(seed) -> np.random.Generator:
    """``numpy.random.Generator`` from an int seed, a Generator, or None.

    Examples
    --------
    >>> bool(as_generator(1).integers(10) == as_generator(1).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


@dataclass(frozen=True, eq=False)
class Realization:
    """A realized channel: SKR table (states x pairs, bit/s) and the state of each slot (read-only).

    Examples
    --------
    >>> real = Realization([[1.0, 2.0], [3.0, 4.0]], [0, 1, 1, 1])
    >>> real.frequencies().tolist(), real.slots
    ([0.25, 0.75], 4)
    """

    skr: Any
    state_of_slot: Any

    def __post_init__(self):
        try:
            skr = np.array(self.skr, dtype=float)
            states = np.array(self.state_of_slot).reshape(-1)
        except (TypeError, ValueError):
            raise ScenarioError("realization", type(self.skr).__name__, "needs an SKR table (states x pairs) of "
                                "numbers and an integer state per slot") from None
        if skr.ndim == 1:
            skr = skr[None, :]
        if skr.ndim != 2 or skr.shape[0] < 1 or not np.all(np.isfinite(skr)) or np.any(skr < 0):
            raise ScenarioError("realization.skr", skr.shape, "must be a (states x pairs) table of finite SKRs >= 0")
        if states.size and (not np.issubdtype(states.dtype, np.integer) or states.min() < 0
                            or states.max() >= skr.shape[0]):
            raise ScenarioError("realization.state_of_slot", states[:5].tolist(),
                                f"must be integer row indices of the SKR table in [0, {skr.shape[0] - 1}]")
        states = states.astype(np.int64)
        skr.setflags(write=False)
        states.setflags(write=False)
        object.__setattr__(self, "skr", skr)
        object.__setattr__(self, "state_of_slot", states)

    @property
    def slots(self) -> int:
        """Number of slots realized."""
        return int(self.state_of_slot.size)

    def frequencies(self) -> np.ndarray:
        """Empirical frequency of each row of ``skr`` over the slots."""
        counts = np.bincount(self.state_of_slot, minlength=self.skr.shape[0])
        return counts / counts.sum()


@dataclass(frozen=True)
class FixedChannel:
    """One channel state forever (the scenario must have exactly one state)."""

    name: ClassVar[str] = "fixed"

    def validate(self, scenario) -> None:
        if scenario.num_states != 1:
            raise ScenarioError("channel", "fixed", f"a fixed channel needs exactly 1 state, got {scenario.num_states}")

    def realize(self, scenario, slots: int, seed=None) -> Realization:
        return Realization(scenario.skr, np.zeros(slots, dtype=np.int64))

    def to_dict(self) -> dict:
        return {"process": "fixed"}


@dataclass(frozen=True)
class IIDChannel:
    """Each slot's state drawn independently from the scenario's probabilities."""

    name: ClassVar[str] = "iid"

    def validate(self, scenario) -> None:
        pass

    def realize(self, scenario, slots: int, seed=None) -> Realization:
        rng = as_generator(seed)
        if scenario.num_states == 1:
            return Realization(scenario.skr, np.zeros(slots, dtype=np.int64))
        states = rng.choice(scenario.num_states, size=slots, p=scenario.probabilities)
        return Realization(scenario.skr, states.astype(np.int64))

    def to_dict(self) -> dict:
        return {"process": "iid"}


@dataclass(frozen=True, eq=False)
class MarkovChannel:
    """A Markov chain over the scenario's states with a given transition matrix.

    The scenario's probabilities must be the chain's stationary distribution (checked),
    so that the offline optimum over the rate region is the long-run optimum.
    """

    name: ClassVar[str] = "markov"
    transition: Any

    def __post_init__(self):
        try:
            P = np.array(self.transition, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError("channel.transition", self.transition, "must be a square matrix of numbers") from None
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ScenarioError("channel.transition", self.transition, "must be a square matrix")
        if np.any(~np.isfinite(P)) or np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-9):
            raise ScenarioError("channel.transition", P.tolist(), "rows must be probabilities summing to 1")
        P.setflags(write=False)
        object.__setattr__(self, "transition", P)

    def stationary(self) -> np.ndarray:
        """Stationary distribution (left eigenvector for eigenvalue 1)."""
        S = self.transition.shape[0]
        A = np.vstack([self.transition.T - np.eye(S), np.ones(S)])
        b = np.zeros(S + 1)
        b[-1] = 1.0
        return np.linalg.lstsq(A, b, rcond=None)[0]

    def validate(self, scenario) -> None:
        if self.transition.shape[0] != scenario.num_states:
            raise ScenarioError("channel.transition", self.transition.shape,
                                f"must be {scenario.num_states}x{scenario.num_states} (one row per state)")
        pi = self.stationary()
        if not np.allclose(pi, scenario.probabilities, atol=1e-6):
            raise ScenarioError("probabilities", scenario.probabilities.tolist(),
                                f"must equal the Markov chain's stationary distribution {np.round(pi, 6).tolist()}")

    def realize(self, scenario, slots: int, seed=None) -> Realization:
        rng = as_generator(seed)
        cumulative = np.cumsum(self.transition, axis=1)
        draws = rng.random(slots)
        states = np.empty(slots, dtype=np.int64)
        state = rng.choice(len(cumulative), p=scenario.probabilities)
        for t in range(slots):
            states[t] = state
            state = min(int(np.searchsorted(cumulative[state], draws[t], side="right")), len(cumulative) - 1)
        return Realization(scenario.skr, states)

    def to_dict(self) -> dict:
        return {"process": "markov", "transition": self.transition.tolist()}


@dataclass(frozen=True)
class PerturbedQBERChannel:
    """The PF paper's time-varying channel: QBER perturbed every ``period_slots`` slots.

    Every ``period_slots`` slots a U[-delta, delta] variation is added to each link's QBER
    and the result is clipped to ``[qber_min, qber_max]`` (default [0, 0.11], where the
    BBM92 secret fraction reaches zero). ``mode="walk"`` perturbs the current value (a
    random walk), ``mode="iid"`` perturbs the nominal value each time. The SKR follows
    from the scenario's physical link data. Stand-in parameters (the paper's are not
    given): ``period_slots=100``, ``delta=0.005`` — qnum's choice, see REFERENCE.md §1.
    """

    name: ClassVar[str] = "perturbed-qber"
    period_slots: int = 100
    delta: float = 0.005
    mode: str = "walk"
    qber_min: float = 0.0
    qber_max: float = 0.11

    def __post_init__(self):
        period_slots = self.period_slots
        if not isinstance(period_slots, (int, np.integer)) or isinstance(period_slots, bool) or period_slots < 1:
            raise ScenarioError("channel.period_slots", period_slots, "must be an integer >= 1")
        for key in ("delta", "qber_min", "qber_max"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not np.isfinite(value):
                raise ScenarioError(f"channel.{key}", value, "must be a finite number")
        if self.delta < 0:
            raise ScenarioError("channel.delta", self.delta, "must be finite and >= 0")
        if self.mode not in ("walk", "iid"):
            raise ScenarioError("channel.mode", self.mode, 'must be "walk" or "iid"')
        if not (0 <= self.qber_min <= self.qber_max <= 0.5):
            raise ScenarioError("channel.qber_max", self.qber_max, "need 0 <= qber_min <= qber_max <= 0.5")
        for key, value in (("period_slots", int(period_slots)), ("delta", float(self.delta)),
                           ("qber_min", float(self.qber_min)), ("qber_max", float(self.qber_max))):
            object.__setattr__(self, key, value)

    def validate(self, scenario) -> None:
        if scenario.physical is None:
            raise ScenarioError("channel", "perturbed-qber",
                                "needs physical link data (build the scenario from distance and QBER matrices)")

    def realize(self, scenario, slots: int, seed=None) -> Realization:
        rng = as_generator(seed)
        phys = scenario.physical
        epochs = -(-slots // self.period_slots)
        nominal = phys.qber_vector
        qber = np.empty((epochs, nominal.size))
        current = nominal.copy()
        for k in range(epochs):
            base = current if self.mode == "walk" else nominal
            current = np.clip(base + rng.uniform(-self.delta, self.delta, nominal.size), self.qber_min, self.qber_max)
            qber[k] = current
        skr = bbm92_key_rate(phys.repetition_rate_hz, phys.transmissivity_vector[None, :], qber)
        return Realization(skr, np.arange(slots, dtype=np.int64) // self.period_slots)

    def to_dict(self) -> dict:
        return {"process": "perturbed-qber", "period_slots": self.period_slots, "delta": self.delta,
                "mode": self.mode, "qber_min": self.qber_min, "qber_max": self.qber_max}


def channel_from_dict(spec) -> object:
    """Channel process from its file form (``"fixed"``, ``"iid"`` or a dict with ``process``).

    Examples
    --------
    >>> channel_from_dict({"process": "perturbed-qber", "period_slots": 50}).period_slots
    50
    >>> channel_from_dict("iid").name
    'iid'
    """
    if isinstance(spec, str):
        spec = {"process": spec}
    if not isinstance(spec, dict) or "process" not in spec:
        raise ScenarioError("channel", spec, 'must be "fixed", "iid", or an object with a "process" key')
    spec = dict(spec)
    kind = spec.pop("process")
    makers = {"fixed": FixedChannel, "iid": IIDChannel, "markov": MarkovChannel,
              "perturbed-qber": PerturbedQBERChannel}
    if not isinstance(kind, str) or kind not in makers:
        raise ScenarioError("channel.process", kind, f"must be one of {', '.join(sorted(makers))}")
    import dataclasses

    fields = [f for f in dataclasses.fields(makers[kind]) if f.init]
    names = {f.name for f in fields}
    for key in spec:
        if key not in names:
            raise ScenarioError(f"channel.{key}", spec[key], f"unknown key for process {kind!r}; allowed keys: "
                                + ", ".join(["process", *sorted(names)]))
    for f in fields:
        if f.name not in spec and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ScenarioError(f"channel.{f.name}", None, f"required key of process {kind!r} is missing")
    return makers[kind](**spec)
