"""Scenario files: parse JSON or TOML into a dict (each scenario type's ``from_dict`` reads it), and
the key checks every reader shares."""

from __future__ import annotations

import json
from pathlib import Path

from qnum.errors import ScenarioError


def read_scenario_data(path) -> dict:
    """Parse a scenario file (``.json``, or ``.toml``) into a dict; errors name the file.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.json")
    >>> _ = open(p, "w").write('{"kind": "pumping"}')
    >>> read_scenario_data(p)["kind"]
    'pumping'
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("file", str(path), "no such file")
    text = path.read_text()
    if path.suffix.lower() == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError("file", str(path), f"is not valid TOML: {exc}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError("file", str(path), f"is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError("file", str(path), "must hold one JSON/TOML object")
    if "kind" not in data:
        raise ScenarioError("kind", None, f"{path} has no \"kind\" key")
    return data


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
