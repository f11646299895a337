"""QNUM CLI contract: qnum solve FILE --json and exit status 2 on bad input."""

import json

import pytest

from qnum.cli import main
from qnum.networks.repeater import dumbbell, nsfnet, two_user

GOOD = {"kind": "qnum", "links": [{"name": "u1", "length_km": 2.0},
                                  {"name": "u2", "length_km": 2.0},
                                  {"name": "s", "length_km": 2.0}],
        "routes": [{"links": ["u1", "s"], "weight": 1.0}, {"links": ["u2", "s"], "weight": 1.0}],
        "utility": "distillable", "attempt_time_s": 0.001, "attenuation_db_per_km": 0.2,
        "efficiency": 1.0}


def _run(tmp_path, data, capsys):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data))
    try:
        rc = main(["solve", str(p), "--json"])
    except SystemExit as e:
        rc = e.code
    return rc, capsys.readouterr()


def test_solve_json(tmp_path, capsys):
    rc, out = _run(tmp_path, GOOD, capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert d["status"] == "optimal" and d["utility"] <= d["bound"] <= d["utility"] * (1 + 1e-6)
    assert d["utility"] == pytest.approx(6.4217, abs=2e-4)
    assert d["rates"] == pytest.approx([58.10, 58.10], abs=0.01)
    assert d["fidelity"] == pytest.approx([0.9112, 0.9112], abs=1e-4)
    assert set(d["werner"]) == {"u1", "u2", "s"}


@pytest.mark.parametrize("patch", [
    {"routes": [{"links": ["u1", "zz"]}]},
    {"routes": [{"links": []}]},
    {"links": [{"name": "u1", "length_km": -1.0}], "routes": [{"links": ["u1"]}]},
    {"utility": "nope"},
    {"routes": [{"links": ["u1"], "weight": 0}]},
])
def test_bad_input_exit_2(tmp_path, capsys, patch):
    rc, out = _run(tmp_path, {**GOOD, **patch}, capsys)
    assert rc == 2
    assert "Traceback" not in out.err


def test_simulate_qprimaldual(tmp_path, capsys):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    try:
        main(["simulate", str(p), "--policy", "qprimaldual", "--json"])
    except SystemExit as e:
        assert e.code in (0, None)
    d = json.loads(capsys.readouterr().out)
    assert abs(d["utility"] - 6.4217) <= 0.01 * 6.4217


def _cli(args, capsys):
    try:
        rc = main(args)
    except SystemExit as e:
        rc = e.code
    return rc, capsys.readouterr()


@pytest.mark.parametrize("policy", ["qprimaldual-local", "qprimaldual-pi", "max-fidelity"])
def test_simulate_variants_and_max_fidelity_below_optimum(tmp_path, capsys, policy):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    rc, out = _cli(["simulate", str(p), "--policy", policy, "--json", "--slots", "100000", "--hop-delay", "1"]
                   if policy.startswith("qprimaldual") else ["simulate", str(p), "--policy", policy, "--json"], capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert d["utility"] <= 6.4217 + 1e-3 and set(d["werner"]) == {"u1", "u2", "s"}
    assert d["max_capacity_violation"] <= 1e-3


def test_solve_method_convex_and_bad_method(tmp_path, capsys):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    rc, out = _cli(["solve", str(p), "--json", "--method", "convex"], capsys)
    d = json.loads(out.out)
    assert rc in (0, None) and d["status"] == "optimal" and d["concave_at_optimum"] is True
    assert d["utility"] == pytest.approx(6.4217, abs=2e-4)
    rc, out = _cli(["solve", str(p), "--json", "--method", "simplex"], capsys)
    assert rc == 2 and "--method" in out.err and "Traceback" not in out.err


@pytest.mark.parametrize("args,flag", [(["--hop-delay", "-1"], "hop_delay"), (["--pi-gain", "-2"], "pi_gain")])
def test_bad_dynamics_options_exit_2(tmp_path, capsys, args, flag):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    rc, out = _cli(["simulate", str(p), "--policy", "qprimaldual", "--json", *args], capsys)
    assert rc == 2 and flag in out.err and "Traceback" not in out.err


def test_dynamics_options_rejected_for_other_kinds(capsys):
    from pathlib import Path
    import qnum
    example = Path(qnum.__file__).parent / "data" / "rwa" / "dser-wss-os.json"
    rc, out = _cli(["simulate", str(example), "--policy", "dser", "--json", "--hop-delay", "2"], capsys)
    assert rc == 2 and "--hop-delay" in out.err


@pytest.mark.parametrize("name,builder", [("two-user.json", lambda: two_user()), ("dumbbell-8.json", lambda: dumbbell(8)),
                                          ("nsfnet-20.json", lambda: nsfnet(20))])
def test_shipped_scenarios_are_the_builders_instances(name, builder, capsys):
    """Every shipped QNUM file solves from the CLI to the optimum of the builder it was written from."""
    from pathlib import Path

    import qnum
    from qnum.solvers.repeater.branch_and_bound import solve_global
    path = Path(qnum.__file__).parent / "data" / "qnum" / name
    rc, out = _cli(["solve", str(path), "--json"], capsys)
    d = json.loads(out.out)
    assert rc in (0, None) and d["status"] == "optimal"
    sc = builder()
    assert d["utility"] == pytest.approx(solve_global(sc).objective, rel=1e-9)
    assert json.loads(path.read_text())["routes"] == sc.to_dict()["routes"]


def test_pumping_only_flag_rejected_for_qnum(tmp_path, capsys):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    rc, out = _cli(["simulate", str(p), "--policy", "qprimaldual", "--json", "--beta", "0.5"], capsys)
    assert rc == 2 and "--beta" in out.err and "Traceback" not in out.err
