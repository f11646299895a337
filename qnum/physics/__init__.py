"""Pure, vectorized physics: fiber loss, binary entropy, QKD key rates.

No solver is imported here; every function accepts numpy arrays and broadcasts.
"""

from qnum.physics.bbm92_cw import cw_key_rate, cw_key_rate_channels, optimal_channel_count
from qnum.physics.capacitance import decay_length_km, plob_capacitance
from qnum.physics.fiber import db_to_transmissivity, transmissivity
from qnum.physics.qkd import QBER_THRESHOLD, bbm92_key_rate, binary_entropy, secret_fraction
from qnum.physics.werner import (
    distillable,
    fidelity_from_werner,
    link_capacity_scale,
    negativity,
    secret_key,
    werner_from_fidelity,
)

__all__ = [
    "cw_key_rate",
    "cw_key_rate_channels",
    "optimal_channel_count",
    "transmissivity",
    "db_to_transmissivity",
    "binary_entropy",
    "secret_fraction",
    "bbm92_key_rate",
    "QBER_THRESHOLD",
    "plob_capacitance",
    "decay_length_km",
    "distillable",
    "fidelity_from_werner",
    "link_capacity_scale",
    "negativity",
    "secret_key",
    "werner_from_fidelity",
]
