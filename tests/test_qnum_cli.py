"""QNUM CLI contract: qnum solve FILE --json and exit status 2 on bad input."""

import json

import pytest

from qnum.cli import main

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
