"""Scenario types, builders for the papers' networks, and scenario files.

Each family has one module (``pumping``, ...); :mod:`qnum.networks.io` reads and
writes scenario files of every kind.
"""

from qnum.networks import channels, pumping
from qnum.networks.pumping import PumpingScenario

__all__ = ["channels", "pumping", "PumpingScenario"]
