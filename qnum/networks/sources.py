"""What names a network rather than a scenario: built-in names, ``topohub:`` keys, topology files.

Kept apart from :mod:`qnum.networks.topology` so that reading a scenario file does not import
networkx (a third of a small solve's start-up) just to learn that the file is not a network.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the built-in topologies, name -> file under qnum/data/topologies (None: built in code — NSFNet from
#: :data:`qnum.networks.repeater.NSFNET_KM`, Germany50 from :mod:`qnum.networks.topologies`)
BUILTINS = {"nsfnet": None, "usnet": "usnet.json", "germany50": None}
#: prefix of a topohub key
TOPOHUB = "topohub:"


def is_topology_source(source) -> bool:
    """True when ``source`` names a topology rather than a scenario file.

    A topology is a :class:`networkx.Graph`, a built-in name, a ``topohub:`` key or a path ending in
    ``.graphml`` / ``.gml`` / ``.csv``. A ``.json`` file is decided by its content once it is parsed
    (:func:`qnum.load_scenario`: node-link data without a top-level ``"kind"`` is a network).

    Examples
    --------
    >>> is_topology_source("topohub:sndlib/polska"), is_topology_source("usnet"), is_topology_source("s.toml")
    (True, True, False)
    """
    nx = sys.modules.get("networkx")          # a graph object exists only if networkx was imported
    if nx is not None and isinstance(source, nx.Graph):
        return True
    if not isinstance(source, (str, Path)):
        return False
    text = str(source)
    if text.startswith(TOPOHUB) or text.lower() in BUILTINS:
        return True
    suffix = Path(text).suffix.lower()
    # a .json file may be either: qnum.load_scenario parses it once and looks (networks.io.looks_like_node_link)
    return suffix in (".graphml", ".gml", ".csv")
