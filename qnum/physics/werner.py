"""Werner-state physics for QNUM: fidelity, link rate trade-off, swapping, utilities.

qnum's modelling choices (REFERENCE §3): single-click generation with rate
``g = d (1 - w)``, ``d = 3 c eta / (2 T)``, ``eta`` the transmissivity over half the
link; swapping multiplies Werner parameters; decoherence multiplies by ``exp(-Gamma t)``.
"""

from __future__ import annotations

import numpy as np

HASHING_THRESHOLD_F = 0.8107  # hashing yield > 0 only above this fidelity (approx.)


def fidelity_from_werner(w):
    """Fidelity of a Werner state with parameter ``w``.

    Examples
    --------
    >>> float(fidelity_from_werner(1.0))
    1.0
    """
    return (1.0 + 3.0 * np.asarray(w, dtype=float)) / 4.0


def werner_from_fidelity(f):
    """Werner parameter of a Werner state with fidelity ``f``.

    Examples
    --------
    >>> float(werner_from_fidelity(0.25))
    0.0
    """
    return (4.0 * np.asarray(f, dtype=float) - 1.0) / 3.0


def link_capacity_scale(length_km, attempt_time_s=1e-3, attenuation_db_per_km=0.2,
                        efficiency=1.0):
    """``d = 3 c eta / (2 T)`` with ``eta`` the transmissivity over half the link (pairs/s).

    Examples
    --------
    >>> round(float(link_capacity_scale(0.0)), 6)
    1500.0
    """
    eta = 10.0 ** (-attenuation_db_per_km * np.asarray(length_km, dtype=float) / 2.0 / 10.0)
    return 3.0 * efficiency * eta / (2.0 * attempt_time_s)


def link_rate(w, d):
    """Single-click rate ``g = d (1 - w)`` (pairs/s) at link Werner parameter ``w``.

    Examples
    --------
    >>> round(float(link_rate(0.9, 1000.0)), 6)
    100.0
    """
    return np.asarray(d, dtype=float) * (1.0 - np.asarray(w, dtype=float))


def swap(*ws):
    """Werner parameter after swapping along links with parameters ``ws``.

    Examples
    --------
    >>> swap(0.5, 0.5)
    0.25
    """
    out = 1.0
    for w in ws:
        out = out * w
    return out


def decohere(w, gamma_per_s, t_s):
    """Memory decoherence ``w exp(-Gamma t)``.

    Examples
    --------
    >>> float(decohere(1.0, 0.0, 3.0))
    1.0
    """
    return w * np.exp(-gamma_per_s * t_s)


def _xlogx(p):
    p = np.asarray(p, dtype=float)
    return np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)


def distillable(w):
    """Hashing bound ``1 - H(F, (1-F)/3 x3)`` (ebits per pair), may be negative.

    Examples
    --------
    >>> float(distillable(1.0))
    1.0
    """
    f = fidelity_from_werner(w)
    return 1.0 + _xlogx(f) + 3.0 * _xlogx((1.0 - f) / 3.0)


def distillable_derivative(w):
    """``dE/dw`` of :func:`distillable`.

    Examples
    --------
    >>> round(float(distillable_derivative(0.9)), 4) > 0
    True
    """
    f = np.asarray(fidelity_from_werner(w))
    q = (1.0 - f) / 3.0
    with np.errstate(divide="ignore"):      # w = 1 (q = 0): the derivative is +inf, as it should be
        dEdf = np.log2(f) - np.log2(q)
    return dEdf * 0.75


def secret_key(w):
    """Six-state/BB84-like secret key fraction ``1 - 2 h(e)`` with QBER ``e = (1-w)/2``
    (qnum's stand-in); may be negative.

    Examples
    --------
    >>> float(secret_key(1.0))
    1.0
    """
    e = (1.0 - np.asarray(w, dtype=float)) / 2.0
    h = -_xlogx(e) - _xlogx(1.0 - e)
    return 1.0 - 2.0 * h


def negativity(w):
    """Negativity ``max(0, (3w - 1)/4)`` of a two-qubit Werner state.

    Examples
    --------
    >>> float(negativity(1.0))
    0.5
    """
    return np.maximum(0.0, (3.0 * np.asarray(w, dtype=float) - 1.0) / 4.0)


UTILITIES = {"distillable": distillable, "secret-key": secret_key, "negativity": negativity}
