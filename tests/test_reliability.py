"""Reliability (issue 13): size guards, the internal-error contract, physical ranges of the readers,
the tabulated matching oracle, sweep output folders, declared Python version and constraints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib

import qnum
from qnum.cli import main
from qnum.errors import InputError, LimitError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]


def _cli(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _write(tmp_path, data, name="s.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


# -- size guards ----------------------------------------------------------------------------------

def test_absurd_slots_are_refused_before_allocating(capsys):
    status, _, err = _cli(["simulate", str(qnum.data_path("pumping/four_node.json")), "--policy", "pf",
                           "--slots", str(10 ** 11)], capsys)
    assert status == 2
    assert err.startswith("qnum: error: slots = 100000000000: needs about 745 GiB") and "limit is 4 GiB" in err


def test_bench_negative_and_float_slots_exit_2(capsys):
    for slots in ("-5", "1e11"):
        status, _, err = _cli(["bench", "pumping", "--slots", slots, "--no-plots"], capsys)
        assert status == 2 and err.startswith("qnum: error: --slots"), err


def test_the_memory_limit_can_be_raised(monkeypatch):
    from qnum import limits

    monkeypatch.setenv("QNUM_MAX_MEMORY_GB", "4")
    with pytest.raises(LimitError):
        limits.pumping_simulation(10 ** 9, 10, 1)
    monkeypatch.setenv("QNUM_MAX_MEMORY_GB", "16")
    limits.pumping_simulation(10 ** 9, 10, 1)           # 7.5 GiB of slots: allowed now (nothing allocated)
    monkeypatch.setenv("QNUM_MAX_MEMORY_GB", "-1")
    with pytest.raises(InputError, match="QNUM_MAX_MEMORY_GB"):
        limits.limit("memory")


def test_max_memory_gb_option(capsys, monkeypatch):
    monkeypatch.setenv("QNUM_MAX_MEMORY_GB", "4")       # main() overwrites it; restored after the test
    path = str(qnum.data_path("pumping/four_node.json"))
    status, _, err = _cli(["--max-memory-gb", "0.000001", "simulate", path, "--policy", "pf", "--slots", "1000"],
                          capsys)
    assert status == 2 and "the limit is 1e-06 GiB" in err


def test_a_million_mqce_users_are_refused(tmp_path):
    coords = np.random.default_rng(0).uniform(0, 100, (10 ** 6, 2)).round(3).tolist()
    with pytest.raises(LimitError, match=r"coordinates = '1000000 users': needs about \d+ GiB"):
        qnum.load_scenario({"kind": "mqce", "coordinates": coords, "decay_length_km": 1.0})


def test_sweep_grid_size_is_refused(tmp_path, capsys):
    sweep = {"family": "pumping", "action": "solve", "replications": 10 ** 10, "base": {"builder": "random"}}
    status, _, err = _cli(["sweep", _write(tmp_path, sweep), "--dry-run"], capsys)
    assert status == 2 and "replications = 10000000000: 10000000000 runs" in err
    sweep = {"family": "pumping", "action": "solve", "base": {"builder": "random"},
             "parameters": {"capacity": {"range": [1, 3, 0]}}}
    status, _, err = _cli(["sweep", _write(tmp_path, sweep), "--dry-run"], capsys)
    assert status == 2 and "step must not be 0" in err
    sweep["parameters"] = {"capacity": [1, 2], "alpha": {"linspace": [0, 1, 10 ** 4]},
                           "nodes": {"linspace": [3, 4, 10 ** 3]}}
    status, _, err = _cli(["sweep", _write(tmp_path, sweep), "--dry-run"], capsys)
    assert status == 2 and "20000000 runs in the sweep" in err


# -- internal errors ------------------------------------------------------------------------------

def test_internal_error_is_one_line_and_exit_1(capsys, monkeypatch):
    import qnum.cli as cli

    def boom(args):
        raise ZeroDivisionError("Fraction(1, 0)")

    monkeypatch.setitem(cli._COMMANDS, "solve", boom)
    status, out, err = _cli(["solve", "x.json"], capsys)
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("qnum: internal error: ZeroDivisionError: Fraction(1, 0)")
    status, _, err = _cli(["--debug", "solve", "x.json"], capsys)
    assert status == 1 and "Traceback" in err
    monkeypatch.setenv("QNUM_DEBUG", "1")
    assert "Traceback" in _cli(["solve", "x.json"], capsys)[2]


# -- physical ranges at the input boundary ----------------------------------------------------------

def _pumping():
    return json.loads(qnum.data_path("pumping/four_node.json").read_text())


def _repeater():
    return json.loads(qnum.data_path("qnum/two-user.json").read_text())


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(alpha=1e308), "alpha = 1e+308"),
    (lambda d: d["states"][0]["skr"][0].__setitem__(0, 5.0), "states[0].skr[0][0] = 5.0"),
    (lambda d: d["sharing"].update(per_count_factor=[1e308, 1e308]), "sharing.per_count_factor"),
    (lambda d: d["states"][0]["skr"].__setitem__(1, [1, 2]), "states[0].skr"),
    (lambda d: d.update(channel={"process": "fixed", "extra": 1}), "channel.extra = 1: unknown key"),
    (lambda d: d.update(nodes=10 ** 30), "nodes"),
])
def test_pumping_reader_ranges(mutate, field):
    data = _pumping()
    mutate(data)
    with pytest.raises(InputError) as info:
        qnum.load_scenario(data)
    assert str(info.value).startswith(field), str(info.value)
    assert "np." not in str(info.value) and "__init__" not in str(info.value)


@pytest.mark.parametrize("key, value", [("efficiency", 1.5), ("attempt_time_s", 1e-320), ("attempt_time_s", 1e308),
                                        ("decoherence_rate_per_s", 1e308), ("attenuation_db_per_km", 1e308),
                                        ("fiber_speed_km_per_s", 4e5)])
def test_repeater_reader_ranges(key, value):
    data = _repeater()
    data[key] = value
    with pytest.raises(ScenarioError, match=f"^{key} = "):
        qnum.load_scenario(data)


@pytest.mark.parametrize("where, value", [("length_km", -2.0), ("length_km", 1e308), ("weight", 1e308)])
def test_repeater_link_and_route_ranges(where, value):
    data = _repeater()
    (data["links"] if where == "length_km" else data["routes"])[0][where] = value
    with pytest.raises(ScenarioError, match=rf"\[0\]\.{where} = "):
        qnum.load_scenario(data)


@pytest.mark.parametrize("change, field", [
    ({"coordinates": [[1e308, 0], [0, 1e308], [0, 0]]}, "coordinates[0][0] = 1e+308"),
    ({"decay_length_km": 1e-308}, "decay_length_km = 1e-308: every link's capacitance is 0"),
    ({"decay_length_km": 1e308}, "decay_length_km = 1e+308"),
])
def test_mqce_reader_ranges(change, field):
    data = {"kind": "mqce", "coordinates": [[0, 0], [1, 0], [0, 1]], "decay_length_km": 1.0, **change}
    with pytest.raises(ScenarioError) as info:
        qnum.load_scenario(data)
    assert str(info.value).startswith(field), str(info.value)


# -- the tabulated matching oracle is exact ---------------------------------------------------------

def test_matching_table_equals_the_integer_program():
    from qnum.networks.pumping import PumpingScenario
    from qnum.solvers.pumping.oracles import TopologyOracle, best_matching

    rng = np.random.default_rng(3)
    for factor in (None, [1.0, 0.7], [1.0, 0.4, 0.3]):
        k = 2 if factor is None else len(factor)
        sc = PumpingScenario(5, k, [[1.0] * 10], [1.0], topologies="matching", per_count_factor=factor)
        oracle = TopologyOracle(sc)
        assert oracle.table is not None
        i, j = np.triu_indices(5, 1)
        for _ in range(60):
            gains = rng.exponential(1.0, 10) * (rng.random(10) < 0.8)
            idx, value = oracle.best(gains)
            _, exact = best_matching(gains, sc.count_factor, i, j, 5)
            assert value == pytest.approx(exact, rel=1e-9, abs=1e-12)
            nodes = [v for e in idx for v in sc.pair(e)]
            assert len(set(nodes)) == len(nodes) and len(idx) <= k
            assert value == pytest.approx(sc.count_factor[len(idx) - 1] * gains[idx].sum() if len(idx) else 0.0)


def test_matching_simulation_uses_the_listed_matchings_not_an_integer_program():
    # the speed itself is measured in benchmarks/bench_matching.py (~52,000 slots/s vs 194 before);
    # here: the Table-I matching file is small enough for the exact table, so no MILP runs per slot
    from qnum.solvers.pumping.oracles import MATCHING_TABLE_LIMIT, TopologyOracle

    sc = qnum.load_scenario(qnum.data_path("pumping/table_i_matching_maxmin.json"))
    oracle = TopologyOracle(sc)
    assert oracle.table is not None and 0 < len(oracle.table_tops) <= MATCHING_TABLE_LIMIT


# -- sweeps: output folder, executor flags ------------------------------------------------------------

def test_out_holding_another_sweep_is_refused(tmp_path, capsys):
    out = str(tmp_path / "out")
    one = {"family": "pumping", "action": "simulate", "policy": "pf", "options": {"slots": 20},
           "base": {"builder": "random", "nodes": 3}, "parameters": {"capacity": [1]}}
    assert _cli(["sweep", _write(tmp_path, one, "a.json"), "--out", out, "--executor", "inprocess"], capsys)[0] == 0
    two = {**one, "parameters": {"capacity": [2]}}
    status, _, err = _cli(["sweep", _write(tmp_path, two, "b.json"), "--out", out, "--executor", "inprocess"], capsys)
    assert status == 2 and "holds 1 runs of another sweep" in err
    status, out_text, _ = _cli(["sweep", str(tmp_path / "b.json"), "--out", out, "--executor", "inprocess",
                                "--force"], capsys)
    assert status == 0 and out_text.startswith("2 runs")


def test_conflicting_executor_flags_and_unwritable_out(tmp_path, capsys):
    sweep = _write(tmp_path, {"family": "pumping", "action": "solve", "base": {"builder": "random", "nodes": 3}})
    status, _, err = _cli(["sweep", sweep, "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1",
                           "--dask-local", "1"], capsys)
    assert status == 2 and "--dask-local = 1: cannot be combined with --scheduler" in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = _cli(["sweep", sweep, "--out", str(blocker / "sub"), "--executor", "inprocess"], capsys)
    assert status == 2 and "--out" in err and "cannot be written" in err


# -- declared support ----------------------------------------------------------------------------------

def test_requires_python_tells_the_truth():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    low = tuple(int(x) for x in re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"]).groups())
    uses_tomllib = any("tomllib" in p.read_text() for p in (ROOT / "qnum").rglob("*.py"))
    assert not uses_tomllib or low >= (3, 11), "tomllib is in the standard library from Python 3.11"
    assert sys.version_info[:2] >= low


def test_constraints_pin_every_dependency_within_the_declared_ranges():
    # constraints.txt reproduces the measured environment; a fresh install may be newer (CI checks both)
    from packaging.requirements import Requirement

    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    lower = {k.lower().replace("_", "-"): v for k, v in pins.items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(text)
        name = req.name.lower().replace("_", "-")
        assert name in lower, f"constraints.txt does not pin {req.name}"
        assert req.specifier.contains(lower[name], prereleases=True), f"{req.name}=={lower[name]} outside {text}"


def test_cli_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "qnum", "solve", "/no/such.json"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr == "qnum: error: file = '/no/such.json': no such file\n"
