"""CW-pumped polarization-entangled source with BBM92: coincidences, QBER, key rate.

Model of Neumann et al., PRA 104, 022406 (2021) as summarized in REFERENCE.md §2 (the
model DSER's Appendix B follows). Every function broadcasts over numpy arrays.
"""

from __future__ import annotations

import numpy as np

from qnum.physics.qkd import binary_entropy

__all__ = ["cw_coincidences", "cw_key_rate", "cw_key_rate_channels", "optimal_channel_count"]


def _transmission(loss_dB, eta_det):
    return np.asarray(eta_det, float) * 10.0 ** (-np.asarray(loss_dB, float) / 10.0)


def cw_coincidences(brightness, loss_a_dB, loss_b_dB, *, eta_det=1.0, dark_counts=100.0,
                    t_cc_s=100e-12, t_delta_s=100e-12, e_pol=0.01, dead_time_s=0.0,
                    detectors=4):
    """Singles, coincidences and QBER of a CW pair source seen by two parties.

    Parameters
    ----------
    brightness : array_like
        Pairs per second B at the source.
    loss_a_dB, loss_b_dB : array_like
        Total loss to each party in dB, detector efficiency included (REFERENCE.md's
        oracle values use this convention).
    eta_det : float
        Extra detector efficiency multiplying the transmission (1.0: already in the loss).
    dark_counts : float
        Dark counts per second per party.
    t_cc_s, t_delta_s : float
        Coincidence window and timing imprecision (FWHM) in seconds.
    e_pol : float
        Polarization error probability.
    dead_time_s : float
        Detector dead time; 0 disables the saturation correction.
    detectors : int
        Detectors per party sharing the dead time.

    Returns
    -------
    dict
        ``singles_a``, ``singles_b``, ``true``, ``accidental``, ``measured``,
        ``erroneous``, ``eta_t`` and ``qber`` (arrays).

    Examples
    --------
    >>> c = cw_coincidences(1e8, 15.0, 15.0)
    >>> round(float(c["eta_t"]), 4)
    0.761
    >>> 0 < float(c["qber"]) < 0.11
    True
    """
    b = np.asarray(brightness, float)
    eta_a = _transmission(loss_a_dB, eta_det)
    eta_b = _transmission(loss_b_dB, eta_det)
    if dead_time_s > 0:
        eta_a = eta_a / (1.0 + b * eta_a * dead_time_s / detectors)
        eta_b = eta_b / (1.0 + b * eta_b * dead_time_s / detectors)
    s_a = b * eta_a + dark_counts
    s_b = b * eta_b + dark_counts
    cc_t = b * eta_a * eta_b
    cc_acc = -np.expm1(-s_a * t_cc_s) * -np.expm1(-s_b * t_cc_s) / t_cc_s
    # imported on use: scipy.special costs ~0.3 s of every start-up otherwise
    from scipy.special import erf

    eta_t = erf(np.sqrt(np.log(2.0)) * t_cc_s / t_delta_s)
    cc_m = eta_t * cc_t + cc_acc
    cc_err = eta_t * cc_t * e_pol + 0.5 * cc_acc
    with np.errstate(invalid="ignore", divide="ignore"):
        qber = np.where(cc_m > 0, cc_err / np.where(cc_m > 0, cc_m, 1.0), 0.5)
    return {"singles_a": s_a, "singles_b": s_b, "true": cc_t, "accidental": cc_acc,
            "measured": cc_m, "erroneous": cc_err, "eta_t": eta_t, "qber": qber}


def cw_key_rate(brightness, loss_a_dB, loss_b_dB, *, q=0.5, f=1.1, **kwargs):
    """Secret key rate (bits/s) R = q·CC_m·[1 − f·h(E) − h(E)], clipped at 0.

    Keyword arguments go to :func:`cw_coincidences`.

    Examples
    --------
    >>> r = cw_key_rate([1e8, 8e8], 15.0, 15.0)
    >>> bool(r[1] > r[0] > 0)
    True
    >>> float(cw_key_rate(1e8, 80.0, 80.0))
    0.0
    """
    c = cw_coincidences(brightness, loss_a_dB, loss_b_dB, **kwargs)
    h = binary_entropy(np.clip(c["qber"], 0.0, 0.5))
    return np.maximum(q * c["measured"] * (1.0 - f * h - h), 0.0)


def cw_key_rate_channels(n_pairs, loss_a_dB, loss_b_dB, *, channel_brightness=1e8, **kwargs):
    """Key rate with ``n_pairs`` channel pairs of brightness B_ch on the same detectors.

    True coincidences grow ∝ n and accidentals ∝ n², so the rate peaks at a finite n.

    Examples
    --------
    >>> r = cw_key_rate_channels([1, 8], 15.0, 15.0)
    >>> round(float(r[0]), -3), round(float(r[1]), -4)
    (29000.0, 110000.0)
    """
    n = np.asarray(n_pairs, float)
    return cw_key_rate(n * channel_brightness, loss_a_dB, loss_b_dB, **kwargs)


def optimal_channel_count(loss_a_dB, loss_b_dB, *, max_pairs=40, **kwargs):
    """Channel-pair count n in 1..max_pairs maximizing :func:`cw_key_rate_channels`.

    Returns
    -------
    (int, float)
        ``n_opt`` and the key rate there.

    Examples
    --------
    >>> optimal_channel_count(15.0, 15.0)[0]
    8
    >>> optimal_channel_count(15.0, 15.0, t_cc_s=500e-12)[0]
    2
    """
    n = np.arange(1, int(max_pairs) + 1)
    r = cw_key_rate_channels(n, loss_a_dB, loss_b_dB, **kwargs)
    i = int(np.argmax(r))
    return int(n[i]), float(r[i])
