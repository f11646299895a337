"""Scenario and sweep files: parse JSON or TOML into plain data (each reader checks its own keys),
and the key checks every reader shares.

Every file is read through :func:`parse_file`: bytes that are not UTF-8, nesting deeper
than :data:`MAX_DEPTH`, integers beyond :data:`MAX_INT` and non-finite numbers (JSON's
``NaN`` / ``Infinity``, TOML's ``nan`` / ``inf``) are refused there, naming the file and
the path of the offending value, before any reader or solver sees the data.
"""

from __future__ import annotations

import json
from pathlib import Path

from qnum.errors import ScenarioError
from qnum.networks.plain import MAX_DEPTH, MAX_INT, check_plain  # noqa: F401 - part of this module's interface

#: largest file read (bytes); the shipped files are below 100 kB
MAX_FILE_BYTES = 64 * 2 ** 20


def parse_file(path, field: str = "file"):
    """Parse a ``.json`` or ``.toml`` file into plain data, refusing what no reader can use.

    Errors are :class:`~qnum.errors.ScenarioError` naming ``field`` and the file (or the path
    of the offending value inside it).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.json")
    >>> _ = open(p, "w").write('{"kind": "pumping", "alpha": NaN}')
    >>> parse_file(p)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: alpha = nan: must be a finite number
    >>> _ = open(p, "wb").write(b'{"kind": "\\xe9"}')
    >>> parse_file(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: file = '...s.json': is not UTF-8 text (invalid byte 0xe9 at position 10)
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        from qnum.networks.binary import read_npz

        return read_npz(path, field)
    if not path.is_file():
        raise ScenarioError(field, str(path), "no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(field, str(path), f"is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(field, str(path), f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(field, str(path), f"is not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at "
                            f"position {exc.start})") from None
    if "\x00" in text:
        raise ScenarioError(field, str(path), "is a binary file (it holds NUL bytes), not JSON or TOML text")
    depth = _bracket_depth(text)
    if depth > MAX_DEPTH:
        raise ScenarioError(field, str(path), f"nests lists/objects {depth} deep; the limit is {MAX_DEPTH}")
    toml = path.suffix.lower() == ".toml"
    try:
        if toml:
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except RecursionError:
        raise ScenarioError(field, str(path), f"nests lists/objects too deep; the limit is {MAX_DEPTH}") from None
    except ValueError as exc:        # JSONDecodeError, TOMLDecodeError, too many digits
        what = "TOML" if toml else "JSON"
        if "integer string conversion" in str(exc):
            raise ScenarioError(field, str(path), "holds an integer of more than 4300 digits") from None
        raise ScenarioError(field, str(path), f"is not valid {what}: {exc}") from None
    check_plain(data)
    return data


#: every byte but the four brackets, deleted by bytes.translate before the depth scan
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _bracket_depth(text: str) -> int:
    """Upper bound of the nesting depth (brackets inside strings counted too: only ever more).

    The brackets are ASCII, so they are picked out of the UTF-8 bytes in one C-level pass and
    only they are scanned (a 4 MB file of numbers holds a few thousand).
    """
    depth = best = 0
    for ch in text.encode("utf-8").translate(None, _NOT_BRACKETS):
        if ch in b"[{":
            depth += 1
            if depth > best:
                best = depth
                if best > MAX_DEPTH:
                    return best
        else:
            depth = max(0, depth - 1)
    return best


def read_scenario_data(path) -> dict:
    """Parse a scenario file (``.json``, ``.toml``, or the ``.npz`` form of :mod:`qnum.networks.binary`) into a dict.

    Errors name the file. A ``"topology"`` path in it stays as written: readers resolve it
    against the file's directory (``base_dir`` of :func:`qnum.networks.from_topology.expand`).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.json")
    >>> _ = open(p, "w").write('{"kind": "pumping"}')
    >>> read_scenario_data(p)["kind"]
    'pumping'
    """
    return scenario_data(parse_file(path), path)


def scenario_data(data, path) -> dict:
    """``data`` parsed from the file ``path``, checked to be a scenario: an object with a ``"kind"``."""
    if not isinstance(data, dict):
        raise ScenarioError("file", str(path), "must hold one JSON/TOML object")
    if "kind" not in data:
        if looks_like_node_link(data):
            raise ScenarioError("kind", None, f"{path} is a network (node-link data), not a scenario: give the kind "
                                "to build on it (--kind / load_scenario(path, kind=...))")
        raise ScenarioError("kind", None, f"{path} has no \"kind\" key")
    return data


def looks_like_node_link(data) -> bool:
    """True when ``data`` is a networkx node-link dict (``nodes`` and ``edges``/``links`` lists, no ``kind``).

    Examples
    --------
    >>> looks_like_node_link({"nodes": [{"id": 0}], "edges": []}), looks_like_node_link({"kind": "qnum"})
    (True, False)
    """
    return isinstance(data, dict) and "kind" not in data and isinstance(data.get("nodes"), list) \
        and isinstance(data.get("edges", data.get("links")), list)


def check_keys(data: dict, allowed, where: str = "") -> None:
    """Reject unknown keys, naming them and listing the allowed ones.

    Examples
    --------
    >>> check_keys({"kind": 1, "nodez": 2}, {"kind", "nodes"})
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: nodez = 2: unknown key; allowed keys: kind, nodes
    """
    for key in data:
        if key not in allowed:
            raise ScenarioError(f"{where}{key}", data[key], f"unknown key; allowed keys: {', '.join(sorted(allowed))}")


def require(data: dict, key: str, where: str = ""):
    """``data[key]``, or a ScenarioError naming the missing key."""
    if key not in data:
        raise ScenarioError(f"{where}{key}", None, "required key is missing")
    return data[key]
