"""Scenario files in a binary form (``.npz``): large instances beside JSON/TOML, read without parsing text.

A ``.npz`` scenario holds the same plain data as the JSON form: one entry ``scenario.json`` (the
scenario dict as UTF-8 JSON text, in a 1-d ``uint8`` array) in which every numeric list that
was moved out is replaced by a reference string ``"@npz:NAME"``, and one numeric array per
reference. Reading substitutes each array back as the nested list it was, so a family's
``from_dict`` validates exactly what it would have seen from the JSON file; the format is
qnum's (no paper defines one).

Safety: arrays are loaded with ``allow_pickle=False`` (object arrays are refused), must be
boolean, integer or float, and finite; the header goes through the same checks as a JSON file
(:func:`qnum.networks.plain.check_plain`: depth, integer range, non-finite numbers). Errors are
:class:`~qnum.errors.ScenarioError` naming the file or the entry.

Examples
--------
>>> import os, tempfile
>>> from qnum.networks.pumping import random_network
>>> sc = random_network(6, 2, states=3, seed=7)
>>> p = os.path.join(tempfile.mkdtemp(), "s.npz")
>>> write_npz(sc.to_dict(), p)
>>> read_npz(p) == sc.to_dict()
True
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import numpy as np

from qnum.errors import ScenarioError

log = logging.getLogger(__name__)

#: the entry holding the scenario dict (JSON text with ``"@npz:NAME"`` references)
HEADER = "scenario.json"
#: prefix of a reference string in the header
REF = "@npz:"
#: numeric lists with fewer numbers than this stay in the header
MIN_ARRAY_NUMBERS = 64
#: largest total size of the arrays, uncompressed (bytes; qnum's limit: a pumping scenario with
#: N = 2,000 nodes and 20 states is 0.64 GB). Checked from the zip directory before anything is read.
MAX_NPZ_BYTES = 4 * 2 ** 30


def _leaf_types(value) -> set:
    """The Python types of the non-list items of a nested list."""
    types, stack = set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            types.add(type(item))
    return types


def _as_array(value):
    """A numeric rectangular ndarray of ``value`` (a list) whose ``tolist()`` gives ``value`` back, or None.

    Only lists whose numbers all have one Python type (all float, all int or all bool) qualify: a
    mixed ``[0, 1.5]`` would come back as ``[0.0, 1.5]`` and an integer check could then differ.
    """
    kind = {frozenset({float}): "f", frozenset({int}): "i", frozenset({bool}): "b"}.get(frozenset(_leaf_types(value)))
    if kind is None:
        return None
    try:
        arr = np.array(value)
    except (ValueError, TypeError, OverflowError):       # ragged lists, ints beyond int64
        return None
    if arr.dtype.kind != kind or arr.ndim == 0:
        return None
    return arr


def write_npz(data: dict, path, min_numbers: int = MIN_ARRAY_NUMBERS) -> None:
    """Write a scenario dict (a family's ``to_dict()``) as a ``.npz`` scenario file.

    Every rectangular numeric list with at least ``min_numbers`` numbers is stored as an
    array; the rest stays in the JSON header.

    Parameters
    ----------
    data : dict
        Plain scenario data (what the JSON file would hold).
    path : str or Path
        Output file; numpy appends ``.npz`` when the name lacks it.
    min_numbers : int
        Smallest numeric list moved out of the header.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.npz")
    >>> write_npz({"kind": "mqce", "coordinates": [[0.0, 0.0], [1.0, 0.0]], "decay_length_km": 1.0}, p,
    ...           min_numbers=1)
    >>> sorted(np.load(p).files)
    ['a0', 'scenario.json']
    """
    arrays = {}

    def move(value):
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            arr = _as_array(value) if value and not isinstance(value[0], (str, dict)) else None
            if arr is not None and arr.size >= min_numbers:
                name = f"a{len(arrays)}"
                arrays[name] = arr
                return REF + name
            return [move(v) for v in value]
        return value

    header = json.dumps(move(data), allow_nan=False).encode("utf-8")
    np.savez(path, **{HEADER: np.frombuffer(header, dtype=np.uint8)}, **arrays)


def read_npz(path, field: str = "file") -> dict:
    """Read a ``.npz`` scenario file into the plain dict its JSON form would give.

    Parameters
    ----------
    path : str or Path
    field : str
        Name used in error messages for the file.

    Raises
    ------
    ScenarioError
        Not a readable npz; no header; an object array; a non-numeric or non-finite array;
        a reference to a missing array; the header's own checks (:func:`qnum.networks.plain.check_plain`).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "bad.npz")
    >>> np.savez(p, **{HEADER: np.frombuffer(b'{"kind": "mqce", "coordinates": "@npz:a0"}', np.uint8)},
    ...          a0=np.array([[0.0, np.nan]]))
    >>> read_npz(p)
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: coordinates[0][1] = nan: must be a finite number
    """
    from qnum.networks.plain import MAX_INT, check_plain

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(field, str(path), "no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            size = sum(info.file_size for info in zf.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise ScenarioError(field, str(path), f"is not a readable .npz file: {exc}") from None
    if size > MAX_NPZ_BYTES:
        raise ScenarioError(field, str(path), f"holds {size} bytes uncompressed; the limit is {MAX_NPZ_BYTES} bytes")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ScenarioError(field, str(path), f"is not a readable .npz file: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ScenarioError(field, str(path), "is a single .npy array, not a .npz scenario")
    with npz:
        if HEADER not in npz.files:
            raise ScenarioError(field, str(path), f"has no {HEADER!r} entry (the scenario header)")
        try:
            raw = npz[HEADER]
            header = json.loads(raw.astype(np.uint8, copy=False).tobytes().decode("utf-8"))
        except ValueError as exc:          # pickled object arrays, bad UTF-8, bad JSON
            raise ScenarioError(f"{field}:{HEADER}", str(path), f"is not a JSON header: {exc}") from None
        check_plain(header)
        if not isinstance(header, dict):
            raise ScenarioError(field, str(path), "must hold one JSON object in its header")
        used = set()

        def fill(value, where):
            if isinstance(value, dict):
                return {k: fill(v, f"{where}.{k}" if where else k) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v, f"{where}[{i}]") for i, v in enumerate(value)]
            if isinstance(value, str) and value.startswith(REF):
                name = value[len(REF):]
                if name not in npz.files or name == HEADER:
                    raise ScenarioError(where, value, f"refers to no array in {path.name}")
                try:
                    arr = npz[name]
                except ValueError as exc:  # object arrays need pickle: refused
                    raise ScenarioError(where, value, f"array cannot be read without pickle: {exc}") from None
                if arr.dtype.kind not in "biuf" or arr.ndim == 0:
                    raise ScenarioError(where, value, f"must be a numeric array (dtype {arr.dtype}, "
                                        f"{arr.ndim} dimensions)")
                if arr.dtype.kind == "f":
                    bad = ~np.isfinite(arr)
                    if bad.any():
                        idx = np.argwhere(bad)[0]
                        raise ScenarioError(where + "".join(f"[{int(i)}]" for i in idx), float(arr[tuple(idx)]),
                                            "must be a finite number")
                if arr.dtype.kind == "u" and arr.size and int(arr.max()) > MAX_INT:
                    raise ScenarioError(where, int(arr.max()), "integer too large (limit 2**63 - 1)")
                used.add(name)
                return arr.tolist()
            return value

        data = fill(header, "")
    log.debug("read %s: %d arrays", path, len(used))
    return data
