"""Scenario types, builders for the papers' networks, and scenario files.

Each family has one module (``pumping``, ...); :mod:`qnum.networks.io` reads and
writes scenario files of every kind. :func:`load_topology` reads a researcher's network
(GraphML, GML, node-link JSON, CSV, ``topohub:<key>``, built-ins) and :func:`from_topology`
builds any family's scenario on it; both are imported on first use.

Examples
--------
>>> from qnum.networks import load_topology
>>> g = load_topology("nsfnet")
>>> g.number_of_nodes(), g.number_of_edges()
(14, 21)
"""

from qnum.networks import channels, pumping
from qnum.networks.pumping import PumpingScenario

__all__ = ["channels", "pumping", "PumpingScenario", "load_topology", "from_topology"]


def __getattr__(name):
    # lazy: reading a topology pulls in networkx readers (and topohub) that a solve does not need
    if name == "load_topology":
        from qnum.networks.topology import load_topology

        return load_topology
    if name == "from_topology":
        from qnum.networks.from_topology import from_topology

        return from_topology
    raise AttributeError(f"module 'qnum.networks' has no attribute {name!r}")
