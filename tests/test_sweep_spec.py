"""Sweep files: parsing, grid expansion, validation errors (before any run), CLI exit 2."""

import itertools
import json

import pytest

from qnum.cli import main
from qnum.errors import ScenarioError
from qnum.sweep import example_names, example_path, load_sweep, parse_sweep

BASE = {"family": "pumping", "base": {"builder": "random", "nodes": 3}}


def sweep(**kw):
    return parse_sweep({**BASE, **kw})


def test_grid_expansion_is_cartesian_product_times_seeds():
    spec = sweep(action="solve", seeds=[3, 4], parameters={"capacity": [1, 2, 3], "alpha": {"linspace": [1, 2, 2]},
                                                           "side_km": {"values": [50, 80]}})
    runs = spec.runs()
    assert len(runs) == 3 * 2 * 2 * 2
    got = [(r["params"]["capacity"], r["params"]["alpha"], r["params"]["side_km"], r["seed"]) for r in runs]
    assert got == list(itertools.product([1, 2, 3], [1.0, 2.0], [50, 80], [3, 4]))
    assert len({r["run_id"] for r in runs}) == len(runs)
    assert [r["index"] for r in runs] == list(range(len(runs)))
    # deterministic ids: parsing again gives the same runs
    assert [r["run_id"] for r in spec.runs()] == [r["run_id"] for r in runs]


def test_random_draws_are_seeded_and_in_range():
    a = sweep(replications=2, draws=5, sample_seed=7, parameters={"side_km": {"uniform": [10, 20]},
                                                                   "capacity": {"integers": [1, 3]}}).runs()
    b = sweep(replications=2, draws=5, sample_seed=7, parameters={"side_km": {"uniform": [10, 20]},
                                                                   "capacity": {"integers": [1, 3]}}).runs()
    c = sweep(replications=2, draws=5, sample_seed=8, parameters={"side_km": {"uniform": [10, 20]},
                                                                   "capacity": {"integers": [1, 3]}}).runs()
    assert len(a) == 10 and [r["seed"] for r in a[:2]] == [0, 1]
    assert [r["params"] for r in a] == [r["params"] for r in b] != [r["params"] for r in c]
    assert all(10 <= r["params"]["side_km"] <= 20 and r["params"]["capacity"] in (1, 2, 3) for r in a)


def test_scenario_key_parameters_with_inline_base():
    data = {"kind": "pumping", "nodes": 2, "capacity": 1, "states": [{"prob": 1.0, "skr": [[0, 3], [3, 0]]}]}
    spec = parse_sweep({"family": "pumping", "base": {"scenario": data}, "parameters": {"alpha": [1, 2]}})
    assert [r["params"]["alpha"] for r in spec.runs()] == [1, 2]


def test_base_scenario_may_name_a_topology():
    spec = parse_sweep({"family": "mqce", "base": {"scenario": {"topology": "nsfnet", "alpha": 0.2}},
                        "action": "solve", "parameters": {"alpha": [0.1, 0.3]}})
    runs = spec.runs()
    assert [r["params"]["alpha"] for r in runs] == [0.1, 0.3]
    assert "topology" not in spec.base["scenario"] and spec.base["scenario"]["kind"] == "mqce"


@pytest.mark.parametrize("kw, field", [
    ({"parameters": {"nodez": [3]}}, "parameters.nodez"),
    ({"parameters": {"capacity": []}}, "parameters.capacity"),
    ({"parameters": {"capacity": {"range": [3, 1]}}}, "parameters.capacity.range"),
    ({"parameters": {"capacity": {"uniform": [3, 1]}}}, "parameters.capacity.uniform"),
    ({"action": "simulate", "policy": "nope"}, "policy"),
    ({"action": "optimize"}, "action"),
    ({"seeds": []}, "seeds"),
    ({"metrics": "utility"}, "metrics"),
    ({"options": {"slotz": 3}}, "options.slotz"),
    ({"base": {"builder": "ring"}}, "base.builder"),
    ({"base": {"builder": "random", "nodes": 1}}, "nodes"),
    ({"family": "routing"}, "family"),
    ({"colour": 1}, "colour"),
    ({"draws": 5, "parameters": {"capacity": [1, 2]}}, "draws"),      # draws without a random parameter
])
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(ScenarioError) as info:
        sweep(**kw)
    assert info.value.field == field


def test_examples_ship_and_parse():
    names = example_names()
    assert {"pumping-gap", "pumping-table-i"} <= set(names)
    for name in names:
        assert load_sweep(example_path(name)).runs()


def test_cli_list_examples(capsys):
    assert main(["sweep", "--list-examples"]) == 0
    assert capsys.readouterr().out.split() == example_names()


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({**BASE, "parameters": {"capacity": []}}))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "parameters.capacity" in err and "empty grid" in err
    assert not (tmp_path / "o").exists()
    assert main(["sweep", "--example", "nope", "--out", str(tmp_path / "o")]) == 2
    assert main(["sweep", "--example", "pumping-gap"]) == 2  # no --out


def test_cli_unreachable_scheduler_exits_2(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    f = tmp_path / "s.json"
    f.write_text(json.dumps({**BASE, "action": "solve"}))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert not (tmp_path / "o" / "runs.jsonl").exists()


def test_every_registered_family_ships_a_sweep_example():
    from qnum.families import kinds

    covered = {load_sweep(example_path(name)).family for name in example_names()}
    missing = sorted(set(kinds()) - covered)
    assert not missing, f"add a sweep example to qnum/data/sweeps/ for: {missing}"
