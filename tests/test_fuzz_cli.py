"""Property-based fuzzing of the command line's input contract (issue 13).

Every shipped scenario and sweep file is mutated (types swapped, keys deleted and added,
NaN / inf / huge / negative numbers, ragged matrices, deep nesting, random bytes, cut
text) and run through ``qnum.cli.main`` in-process. The contract: exit 0 or 2, never a
traceback or an internal error; exit 2 ends with one line ``qnum: error: ...``; exit 0
with ``--json`` prints one JSON document. Each case has a time bound.

``QNUM_FUZZ_EXAMPLES`` sets the number of cases per test (default 150; CI is
deterministic), ``QNUM_FUZZ_RANDOM=1`` draws new cases each run and ``QNUM_FUZZ_LOG=FILE``
appends each case's exit status and command (``benchmarks/bench_fuzz.py`` uses all three).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import signal
from pathlib import Path

import pytest
import tomllib

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qnum.cli import main  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "qnum" / "data"
#: kinds whose shipped scenarios are fuzzed
FUZZED_KINDS = ("pumping", "mqce", "qnum", "rwa")
SCENARIOS = sorted(p for kind in FUZZED_KINDS for p in (DATA / kind).iterdir() if p.suffix in (".json", ".toml"))
SWEEPS = sorted((DATA / "sweeps").glob("*.toml"))
EXAMPLES = int(os.environ.get("QNUM_FUZZ_EXAMPLES", "150"))
#: seconds one case may take (a valid mutated scenario is solved with --time-limit 2)
CASE_SECONDS = 30

#: what is run on a mutated scenario, per kind: small sizes and time limits
COMMANDS = {
    "pumping": [["solve", "--json", "--time-limit", "2"], ["simulate", "--policy", "pf", "--slots", "50", "--json"]],
    "rwa": [["solve", "--json", "--time-limit", "2"], ["simulate", "--policy", "frfs", "--json"]],
    "mqce": [["solve", "--json", "--time-limit", "2"], ["simulate", "--policy", "mst", "--json"]],
    "qnum": [["solve", "--json", "--time-limit", "2"],
             ["simulate", "--policy", "qprimaldual", "--slots", "50", "--json"]],
}

HOSTILE = [None, True, "", "x", "noon", [], {}, [[1, 2], [3]], [1, "a"], {"a": 1}, 0, -1, -5.0, 0.5, 1.5, 2,
           1e308, -1e308, 1e-320, 10 ** 30, float("nan"), float("inf"), float("-inf"), "1e308", "maxmin"]


def _load(path: Path):
    text = path.read_text()
    return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)


def _paths(data, prefix=()):
    """Every (path, value) in the data, the root included."""
    out = [(prefix, data)]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:6]):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated(draw, files):
    """(path of the source file, bytes of a mutated copy)."""
    source = draw(st.sampled_from(files))
    data = _load(source)
    how = draw(st.sampled_from(["value", "value", "value", "delete", "add", "number", "deep", "bytes", "cut"]))
    if how == "bytes":
        return source, draw(st.binary(max_size=200))
    text = json.dumps(data)
    if how == "cut":
        return source, text[: draw(st.integers(0, len(text)))].encode()
    data = copy.deepcopy(data)
    paths = [p for p, _ in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "add":
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "wieght", "utilty", "kind", "nodes", "x" * 300]))] = \
                draw(st.sampled_from(HOSTILE))
        else:
            target.append(draw(st.sampled_from(HOSTILE)))
    elif how == "number":
        old = parent[last]
        if isinstance(old, (int, float)) and not isinstance(old, bool):
            parent[last] = draw(st.sampled_from([-old, old * 1e6, old * 1e300 if old else 1e300, -1e-300, 0,
                                                 old + 0.5, 10 ** 20, -(10 ** 20)]))
        else:
            parent[last] = draw(st.floats(allow_nan=True, allow_infinity=True))
    elif how == "deep":                               # written as text: json.dumps would recurse
        depth = draw(st.integers(20, 100_000))
        parent[last] = "@DEEP@"
        return source, json.dumps(data).replace('"@DEEP@"', "[" * depth + "1" + "]" * depth).encode()
    else:
        parent[last] = draw(st.sampled_from(HOSTILE))
    return source, json.dumps(data).encode()          # Python's JSON: NaN / Infinity tokens kept


class _Slow(BaseException):
    pass


def _alarm(signum, frame):
    raise _Slow


def run_cli(argv):
    """(exit status, stdout, stderr) of ``qnum argv`` run in-process with a time bound."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:
                status = exc.code
    except _Slow:
        pytest.fail(f"qnum {' '.join(argv)} took more than {CASE_SECONDS} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return status, out.getvalue(), err.getvalue()


def check_contract(argv, status, stdout, stderr, blob=b""):
    log = os.environ.get("QNUM_FUZZ_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{status}\t{argv[0]}\t{' '.join(argv[2:])}\n")
    where = f"qnum {' '.join(argv)}\ninput: {blob[:300]!r}\nstderr: {stderr[-600:]}"
    assert status in (0, 2), where
    assert "Traceback" not in stderr and "internal error" not in stderr, where
    if status == 2:
        assert stderr.rstrip().splitlines()[-1].startswith("qnum: error: "), where
        assert "np.float64" not in stderr and "__init__()" not in stderr, where
    elif "--json" in argv:
        json.loads(stdout)


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("QNUM_FUZZ_RANDOM"),
                     database=None,
                     suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(case=mutated(SCENARIOS), pick=st.integers(0, 1))
def test_mutated_scenarios_keep_the_contract(case, pick, tmp_path_factory):
    source, blob = case
    kind = source.parent.name
    path = tmp_path_factory.mktemp("fuzz") / "scenario.json"
    path.write_bytes(blob)
    command = COMMANDS[kind][pick]
    argv = [command[0], str(path), *command[1:]]
    check_contract(argv, *run_cli(argv), blob)


@_SETTINGS
@given(case=mutated(SWEEPS))
def test_mutated_sweeps_keep_the_contract(case, tmp_path_factory):
    _, blob = case
    path = tmp_path_factory.mktemp("fuzz") / "sweep.json"
    path.write_bytes(blob)
    argv = ["sweep", str(path), "--dry-run"]
    check_contract(argv, *run_cli(argv), blob)


@pytest.mark.parametrize("blob", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"kind": "pumping", "nodes": ' + b"9" * 5000 + b"}", bytes(range(256)),
                                  '{"kind": "pumping", "name": "\xe9"}'.encode("latin-1"),
                                  b'{"kind": "pumping", "nodes": 4, "alpha": NaN}'])
@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_hostile_files_exit_2_naming_the_file(blob, suffix, tmp_path):
    path = tmp_path / f"scenario{suffix}"
    path.write_bytes(blob)
    argv = ["solve", str(path)]
    status, _, stderr = run_cli(argv)
    check_contract(argv, status, "", stderr, blob)
    assert status == 2
