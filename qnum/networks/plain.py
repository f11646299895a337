"""What a plain scenario document is: finite numbers, int64 integers, bounded nesting.

Shared by the text readers (:mod:`qnum.networks.io`) and the binary one
(:mod:`qnum.networks.binary`), so that both refuse the same values with the same messages.
"""

from __future__ import annotations

import math

from qnum.errors import ScenarioError

#: deepest nesting of lists and objects a scenario or sweep file may use (the shipped files use 4)
MAX_DEPTH = 32
#: largest integer magnitude in a file (int64; larger values are no count or seed qnum can use)
MAX_INT = 2 ** 63 - 1


def check_plain(data, where: str = "") -> None:
    """Refuse non-finite numbers, integers beyond :data:`MAX_INT` and nesting beyond :data:`MAX_DEPTH`.

    ``where`` prefixes the reported field (``"base."`` for a sweep's base). Iterative, so any
    depth is checked without recursion.

    Examples
    --------
    >>> check_plain({"a": [1, 2.5, {"b": "x"}]})
    >>> check_plain({"a": [1, float("inf")]})
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: a[1] = inf: must be a finite number
    >>> check_plain({"seed": 10 ** 30})
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: seed = 1000000000000000000000000000000: integer too large (limit 2**63 - 1)
    """
    stack = [(data, where.rstrip("."), 0)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(field or "file", "...", f"nests lists/objects deeper than {MAX_DEPTH}")
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise ScenarioError(field, value, "integer too large (limit 2**63 - 1)")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ScenarioError(field, value, "must be a finite number")
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((item, f"{field}.{key}" if field else str(key), depth + 1))
        elif isinstance(value, (list, tuple)):
            # a list of plain floats (the bulk of a large file) is checked in one C-level pass;
            # anything else (or a non-finite float) is walked item by item, naming the item
            if value and set(map(type, value)) == {float} and all(map(math.isfinite, value)):
                continue
            for i, item in enumerate(value):
                stack.append((item, f"{field}[{i}]", depth + 1))
