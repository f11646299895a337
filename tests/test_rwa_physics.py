"""Oracle values of REFERENCE.md §2 for the CW BBM92 key-rate model."""

import numpy as np
import pytest

from qnum.physics.bbm92_cw import cw_coincidences, cw_key_rate, cw_key_rate_channels, optimal_channel_count


def test_optimal_channel_count_oracle():
    n, r = optimal_channel_count(15.0, 15.0)
    assert n == 8
    assert r == pytest.approx(1.15e5, rel=0.02)
    assert float(cw_key_rate_channels(1, 15.0, 15.0)) == pytest.approx(2.9e4, rel=0.02)
    assert optimal_channel_count(15.0, 15.0, t_cc_s=500e-12)[0] == 2


def test_single_source_optimum_brightness_nearly_loss_independent():
    b = np.logspace(7, 10, 3001)
    for la, lb in [(15, 15), (5, 25), (10, 10)]:
        r = cw_key_rate(b, la, lb)
        assert b[r.argmax()] == pytest.approx(8.2e8, rel=0.05)


def test_coincidence_bookkeeping_and_dead_time():
    c = cw_coincidences(np.array([1e6, 1e9]), 10.0, 20.0)
    assert np.allclose(c["singles_a"], np.array([1e6, 1e9]) * 0.1 + 100)
    assert np.all(c["qber"] >= 0.01 * 0.99) and np.all(c["qber"] <= 0.5)
    # accidentals grow faster than true coincidences
    assert c["accidental"][1] / c["accidental"][0] > 100 * c["true"][1] / c["true"][0]
    r0 = cw_key_rate(1e9, 3.0, 3.0)
    r1 = cw_key_rate(1e9, 3.0, 3.0, dead_time_s=25e-9)
    assert r1 < r0
    assert float(cw_key_rate(1e8, 80.0, 80.0)) == 0.0
