"""Pumping scenarios: validation at construction, builders, channel processes."""

import numpy as np
import pytest

from qnum.errors import ScenarioError
from qnum.networks.channels import MarkovChannel, PerturbedQBERChannel
from qnum.networks.pumping import (
    TABLE_I_DISTANCE_KM,
    TABLE_II_QBER,
    PumpingScenario,
    from_distance_qber,
    from_skr_matrices,
    random_network,
    table_i,
)
from qnum.physics import bbm92_key_rate, transmissivity


def test_table_i_skr_follows_bbm92():
    sc = table_i()
    e = sc.pair_index(0, 4)
    expected = bbm92_key_rate(1e9, transmissivity(100.0, 0.2), 0.04)
    assert sc.skr[0, e] == pytest.approx(expected)
    assert sc.num_pairs == 10 and sc.capacity == 2


def test_pair_index_roundtrip():
    sc = random_network(7, 2, seed=0)
    for e, (i, j) in enumerate(sc.pairs):
        assert sc.pair_index(i, j) == e == sc.pair_index(j, i)


@pytest.mark.parametrize("kwargs, field", [
    (dict(capacity=0), "capacity"),
    (dict(capacity=11), "capacity"),
    (dict(probabilities=[0.5]), "probabilities"),
    (dict(alpha=-1), "alpha"),
    (dict(per_count_factor=[1.0]), "per_count_factor"),
    (dict(topologies="triangles"), "topologies"),
    (dict(topologies=[[[0, 1], [0, 1]]]), "topologies"),
    (dict(topologies=[[[0, 1], [2, 3], [1, 4]]]), "topologies"),
])
def test_bad_scenarios_name_the_field(kwargs, field):
    base = dict(nodes=5, capacity=2, skr=np.ones((1, 10)), probabilities=[1.0])
    base.update(kwargs)
    with pytest.raises(ScenarioError, match=field):
        PumpingScenario(**base)


def test_asymmetric_or_negative_skr_rejected():
    with pytest.raises(ScenarioError, match="symmetric"):
        from_skr_matrices([[[0, 1], [2, 0]]])
    with pytest.raises(ScenarioError, match=">= 0"):
        from_skr_matrices([[[0, -1], [-1, 0]]])


def test_probabilities_must_sum_to_one():
    with pytest.raises(ScenarioError, match="sum to 1"):
        from_skr_matrices([[[0, 1], [1, 0]], [[0, 2], [2, 0]]], probabilities=[0.5, 0.6])


def test_qber_above_half_rejected():
    q = TABLE_II_QBER.copy()
    q[0, 1] = q[1, 0] = 0.6
    with pytest.raises(ScenarioError, match="QBER"):
        from_distance_qber(TABLE_I_DISTANCE_KM, q, 2)


def test_markov_channel_needs_stationary_probabilities():
    skr = np.ones((2, 1))
    P = [[0.9, 0.1], [0.2, 0.8]]   # stationary (2/3, 1/3)
    PumpingScenario(2, 1, skr, [2 / 3, 1 / 3], channel=MarkovChannel(P))
    with pytest.raises(ScenarioError, match="stationary"):
        PumpingScenario(2, 1, skr, [0.5, 0.5], channel=MarkovChannel(P))


def test_markov_realization_frequencies_approach_stationary():
    sc = PumpingScenario(2, 1, np.ones((2, 1)), [2 / 3, 1 / 3], channel=MarkovChannel([[0.9, 0.1], [0.2, 0.8]]))
    freq = sc.channel.realize(sc, 200_000, seed=3).frequencies()
    np.testing.assert_allclose(freq, [2 / 3, 1 / 3], atol=0.01)


def test_perturbed_qber_stays_clipped_and_changes_every_period():
    sc = table_i(channel="perturbed")
    ch = PerturbedQBERChannel(period_slots=10, delta=0.05)
    real = ch.realize(sc, 1000, seed=1)
    assert real.skr.shape == (100, 10)
    assert np.all(np.diff(real.state_of_slot)[np.arange(1, 1000) % 10 != 0] == 0)
    # QBER clipped to [0, 0.11] means SKR never exceeds the Q = 0 rate and never hits 0
    cap = bbm92_key_rate(1e9, sc.physical.transmissivity_vector, 0.0)
    assert np.all(real.skr <= cap + 1e-6) and np.all(real.skr > 0)


def test_seeded_random_networks_are_reproducible():
    a, b = random_network(8, 3, 4, seed=5), random_network(8, 3, 4, seed=5)
    np.testing.assert_array_equal(a.skr, b.skr)
    assert not np.array_equal(a.skr, random_network(8, 3, 4, seed=6).skr)
