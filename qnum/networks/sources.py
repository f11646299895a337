"""What names a network rather than a scenario: built-in names, ``topohub:`` keys, topology files.

Kept apart from :mod:`qnum.networks.topology` so that reading a scenario file does not import
networkx (a third of a small solve's start-up) just to learn that the file is not a network.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qnum.errors import ScenarioError

#: the built-in topologies, name -> file under qnum/data/topologies (germany50: :mod:`qnum.networks.topologies`)
BUILTINS = {"nsfnet": "nsfnet.json", "usnet": "usnet.json", "germany50": None}
#: prefix of a topohub key
TOPOHUB = "topohub:"


def is_topology_source(source) -> bool:
    """True when ``source`` names a topology rather than a scenario file.

    A topology is a :class:`networkx.Graph`, a built-in name, a ``topohub:`` key, a path ending in
    ``.graphml`` / ``.gml`` / ``.csv``, or a ``.json`` file of node-link data (no ``"kind"`` key).

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
    if suffix in (".graphml", ".gml", ".csv"):
        return True
    if suffix == ".json" and Path(text).is_file():
        try:
            raw = Path(text).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return False
        if '"kind"' in raw:
            # every scenario file names its kind: skip a second parse of (possibly large) scenario files
            return False
        from qnum.networks.io import looks_like_node_link, parse_file

        try:
            head = parse_file(text)               # depth-limited: a hostile file is the reader's error
        except ScenarioError:
            return False
        return looks_like_node_link(head)
    return False
