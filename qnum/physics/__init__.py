"""Pure, vectorized physics: fiber loss, binary entropy, QKD key rates.

No solver is imported here; every function accepts numpy arrays and broadcasts.
"""

from qnum.physics.fiber import transmissivity, db_to_transmissivity
from qnum.physics.qkd import QBER_THRESHOLD, bbm92_key_rate, binary_entropy, secret_fraction

__all__ = [
    "transmissivity",
    "db_to_transmissivity",
    "binary_entropy",
    "secret_fraction",
    "bbm92_key_rate",
    "QBER_THRESHOLD",
]
