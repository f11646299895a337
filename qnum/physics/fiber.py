"""Optical fiber loss: transmissivity from length (km) and attenuation (dB/km)."""

from __future__ import annotations

import numpy as np

from qnum.errors import ScenarioError


def db_to_transmissivity(loss_db):
    """Transmissivity ``10**(-loss_db / 10)`` of a loss given in dB.

    Examples
    --------
    >>> float(db_to_transmissivity(10.0))
    0.1
    """
    return np.power(10.0, -np.asarray(loss_db, dtype=float) / 10.0)


def transmissivity(length_km, attenuation_db_per_km: float = 0.2):
    """Fiber transmissivity ``eta = 10**(-a * d / 10)``.

    Parameters
    ----------
    length_km : array_like
        Fiber length(s) in km, ``>= 0``.
    attenuation_db_per_km : float
        Attenuation coefficient ``a`` in dB/km, ``>= 0`` (0.2 dB/km is standard fiber).

    Returns
    -------
    numpy.ndarray or float
        Transmissivity in [0, 1], same shape as ``length_km``.

    Examples
    --------
    >>> round(float(transmissivity(50.0, 0.2)), 6)
    0.1
    >>> transmissivity([0.0, 100.0]).round(4).tolist()
    [1.0, 0.01]
    """
    d = np.asarray(length_km, dtype=float)
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        raise ScenarioError("length_km", length_km, "lengths must be finite and >= 0")
    if not np.isfinite(attenuation_db_per_km) or attenuation_db_per_km < 0:
        raise ScenarioError("attenuation_db_per_km", attenuation_db_per_km, "must be finite and >= 0")
    return db_to_transmissivity(attenuation_db_per_km * d)
