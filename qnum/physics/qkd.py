"""QKD key-rate physics: binary entropy and the asymptotic BBM92 secret key rate."""

from __future__ import annotations

import numpy as np

from qnum.errors import ScenarioError

#: QBER at which the BBM92 secret fraction ``1 - 2 h(Q)`` reaches zero (≈ 0.110028).
QBER_THRESHOLD = 0.11002786443835955


def binary_entropy(p):
    """Binary entropy ``h(p) = -p log2 p - (1-p) log2(1-p)`` in bits, exact at 0 and 1.

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1].

    Examples
    --------
    >>> binary_entropy([0.0, 0.5, 1.0]).tolist()
    [0.0, 1.0, 0.0]
    >>> round(float(binary_entropy(0.11)), 6)
    0.499916
    """
    p = np.asarray(p, dtype=float)
    if np.any(~((p >= 0) & (p <= 1))):
        raise ScenarioError("p", p, "probabilities must lie in [0, 1]")
    # xlogy-style: 0 * log 0 = 0 exactly, no warnings.
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
        q = 1.0 - p
        b = np.where(q > 0, -q * np.log2(np.where(q > 0, q, 1.0)), 0.0)
    return a + b


def secret_fraction(qber):
    """BBM92 asymptotic secret fraction ``max(0, 1 - 2 h(Q))``.

    Parameters
    ----------
    qber : array_like
        Quantum bit error rate(s) in [0, 0.5].

    Examples
    --------
    >>> round(float(secret_fraction(0.02)), 6)
    0.717119
    >>> float(secret_fraction(0.2))
    0.0
    """
    q = np.asarray(qber, dtype=float)
    if np.any(~((q >= 0) & (q <= 0.5))):
        bad = q[~((q >= 0) & (q <= 0.5))]
        raise ScenarioError("qber", bad.tolist(), "QBER must lie in [0, 0.5]")
    return np.maximum(0.0, 1.0 - 2.0 * binary_entropy(q))


def bbm92_key_rate(repetition_rate_hz, transmissivity, qber):
    """Asymptotic entanglement-based BBM92 secret key rate ``R * eta * max(0, 1 - 2 h(Q))``.

    Parameters
    ----------
    repetition_rate_hz : float or array_like
        Source repetition rate R in 1/s (> 0).
    transmissivity : array_like
        End-to-end channel transmissivity eta in [0, 1].
    qber : array_like
        QBER in [0, 0.5].

    Returns
    -------
    numpy.ndarray
        Secret key rate in bit/s, broadcast over the inputs.

    Examples
    --------
    >>> from qnum.physics import transmissivity
    >>> rate = bbm92_key_rate(1e9, transmissivity(50.0, 0.2), 0.02)
    >>> round(float(rate) / 1e6, 3)  # Mbit/s
    71.712
    """
    rep = np.asarray(repetition_rate_hz, dtype=float)
    if np.any(~np.isfinite(rep)) or np.any(rep <= 0):
        raise ScenarioError("repetition_rate_hz", repetition_rate_hz, "must be finite and > 0")
    eta = np.asarray(transmissivity, dtype=float)
    if np.any(~((eta >= 0) & (eta <= 1))):
        raise ScenarioError("transmissivity", transmissivity, "must lie in [0, 1]")
    return rep * eta * secret_fraction(qber)
