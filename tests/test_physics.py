"""Physics: fiber loss, binary entropy, BBM92 key rate."""

import numpy as np
import pytest

from qnum.errors import ScenarioError
from qnum.physics import QBER_THRESHOLD, bbm92_key_rate, binary_entropy, secret_fraction, transmissivity


def test_binary_entropy_exact_at_ends_and_symmetric():
    p = np.linspace(0, 1, 101)
    h = binary_entropy(p)
    assert h[0] == 0.0 and h[-1] == 0.0 and h[50] == 1.0
    np.testing.assert_allclose(h, h[::-1], atol=1e-15)
    inner = p[1:-1]
    np.testing.assert_allclose(h[1:-1], -inner * np.log2(inner) - (1 - inner) * np.log2(1 - inner), rtol=1e-14)


def test_secret_fraction_vanishes_at_threshold():
    assert abs(1 - 2 * binary_entropy(QBER_THRESHOLD)) < 1e-12
    assert secret_fraction(QBER_THRESHOLD + 1e-6) == 0.0
    assert secret_fraction(0.11) > 0


def test_transmissivity_and_key_rate():
    assert transmissivity(100.0, 0.2) == pytest.approx(0.01)
    rate = bbm92_key_rate(1e9, transmissivity(20.0, 0.2), 0.005)
    assert rate == pytest.approx(1e9 * 10 ** (-0.4) * (1 - 2 * binary_entropy(0.005)))


@pytest.mark.parametrize("bad", [-0.01, 0.51, np.nan])
def test_qber_out_of_range_is_rejected(bad):
    with pytest.raises(ScenarioError, match="qber"):
        secret_fraction(bad)


def test_negative_length_rejected():
    with pytest.raises(ScenarioError, match="length_km"):
        transmissivity(-1.0)
