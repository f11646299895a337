"""QNUM from the command line: qnum solve / simulate / compare FILE --json, exit status 2 on bad input."""

import json

import pytest

from qnum.cli import main
from qnum.networks.repeater import dumbbell, nsfnet, two_user

GOOD = {"kind": "qnum", "links": [{"name": "u1", "length_km": 2.0},
                                  {"name": "u2", "length_km": 2.0},
                                  {"name": "s", "length_km": 2.0}],
        "routes": [{"links": ["u1", "s"], "weight": 1.0, "name": "alice"},
                   {"links": ["u2", "s"], "weight": 1.0, "name": "bob"}],
        "utility": "distillable", "attempt_time_s": 0.001, "attenuation_db_per_km": 0.2,
        "efficiency": 1.0}


def _cli(args, capsys):
    try:
        rc = main(args)
    except SystemExit as e:
        rc = e.code
    return rc, capsys.readouterr()


@pytest.fixture
def good_file(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    return str(p)


def test_solve_json(good_file, capsys):
    rc, out = _cli(["solve", good_file, "--json"], capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert d["status"] == "optimal" and d["termination"] == "converged" and "utility" not in d
    assert d["objective"] <= d["bound"] <= d["objective"] * (1 + 1e-6)
    assert d["objective"] == pytest.approx(6.4217, abs=2e-4)
    assert d["rates"] == pytest.approx({"alice": 58.10, "bob": 58.10}, abs=0.01)
    assert d["fidelity"] == pytest.approx({"alice": 0.9112, "bob": 0.9112}, abs=1e-4)
    assert set(d["werner"]) == {"u1", "u2", "s"}


@pytest.mark.parametrize("patch, field", [
    ({"routes": [{"links": ["u1", "zz"]}]}, "routes[0].links"),
    ({"routes": [{"links": []}]}, "routes[0].links"),
    ({"links": [{"name": "u1", "length_km": -1.0}], "routes": [{"links": ["u1"]}]}, "links[0].length_km"),
    ({"utility": "nope"}, "utility"),
    ({"routes": [{"links": ["u1"], "weight": 0}]}, "routes[0].weight"),
    ({"utilty": "distillable"}, "utilty"),
    ({"routes": [{"links": ["u1"], "wieght": 2.0}]}, "routes[0].wieght"),
    ({"routes": [{"links": ["u1"], "name": "a"}, {"links": ["u2"], "name": "a"}]}, "routes[1].name"),
])
def test_bad_input_exit_2_names_the_field(tmp_path, capsys, patch, field):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({**GOOD, **patch}))
    rc, out = _cli(["solve", str(p), "--json"], capsys)
    assert rc == 2 and out.err.startswith(f"qnum: error: {field} = ") and "Traceback" not in out.err


def test_simulate_qprimaldual(good_file, capsys):
    rc, out = _cli(["simulate", good_file, "--policy", "qprimaldual", "--json"], capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert abs(d["objective"] - 6.4217) <= 0.01 * 6.4217 and d["feasible"] and d["time_axis"] == "iteration"
    assert set(d["rates"]) == {"alice", "bob"} and d["steps"] == 20000


@pytest.mark.parametrize("policy", ["qprimaldual-local", "qprimaldual-pi", "max-fidelity"])
def test_simulate_variants_and_max_fidelity_below_optimum(good_file, capsys, policy):
    args = ["simulate", good_file, "--policy", policy, "--json"]
    if policy.startswith("qprimaldual"):
        args += ["--slots", "100000", "--hop-delay", "1"]
    rc, out = _cli(args, capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert d["objective"] <= 6.4217 + 1e-3 and set(d["werner"]) == {"u1", "u2", "s"}
    assert d["violation"] <= 1e-3 and d["feasible"]


def test_solve_method_convex_and_bad_method(good_file, capsys):
    rc, out = _cli(["solve", good_file, "--json", "--method", "convex"], capsys)
    d = json.loads(out.out)
    assert rc in (0, None) and d["status"] == "optimal" and d["concave_at_optimum"] is True
    assert d["objective"] == pytest.approx(6.4217, abs=2e-4)
    rc, out = _cli(["solve", good_file, "--json", "--method", "simplex"], capsys)
    assert rc == 2 and "method = 'simplex'" in out.err and "Traceback" not in out.err


@pytest.mark.parametrize("args, field", [
    (["--policy", "qprimaldual", "--hop-delay", "-1"], "hop_delay"),
    (["--policy", "qprimaldual-pi", "--pi-gain", "-2"], "pi_gain"),
    (["--policy", "qprimaldual", "--pi-gain", "5"], "pi_gain"),          # plain qprimaldual has no PI prices
    (["--policy", "max-fidelity", "--slots", "100"], "slots"),           # baselines take no options
    (["--policy", "fixed-fidelity", "--hop-delay", "1"], "hop_delay"),
    (["--policy", "qprimaldual", "--on-violation", "record"], "on_violation"),
])
def test_bad_or_misplaced_dynamics_options_exit_2(good_file, capsys, args, field):
    rc, out = _cli(["simulate", good_file, "--json", *args], capsys)
    assert rc == 2 and out.err.startswith(f"qnum: error: {field} = ") and "Traceback" not in out.err


def test_tol_and_time_limit_from_the_command_line(capsys):
    from qnum.api import data_path

    path = str(data_path("qnum/nsfnet-20.json"))
    rc, out = _cli(["solve", path, "--json", "--time-limit", "0.01"], capsys)
    d = json.loads(out.out)
    assert rc in (0, None) and d["status"] == "time_limit" and d["termination"] == "time_limit"
    assert d["seconds"] < 0.5 and d["bound"] >= d["objective"]
    rc, out = _cli(["solve", path, "--json", "--method", "local", "--tol", "1e-3"], capsys)
    assert rc == 2 and "tol = 0.001: method 'local'" in out.err


@pytest.mark.parametrize("name,builder", [("two-user.json", two_user), ("dumbbell-8.json", lambda: dumbbell(8)),
                                          ("nsfnet-20.json", lambda: nsfnet(20))])
def test_shipped_scenarios_are_the_builders_instances(name, builder, capsys):
    """Every shipped QNUM file solves from the CLI to the optimum of the builder it was written from."""
    from qnum.api import data_path
    from qnum.networks.repeater import RepeaterScenario
    from qnum.solvers.repeater.branch_and_bound import solve_global

    path = data_path(f"qnum/{name}")
    rc, out = _cli(["solve", str(path), "--json"], capsys)
    d = json.loads(out.out)
    assert rc in (0, None) and d["status"] == "optimal"
    sc = builder()
    assert d["objective"] == pytest.approx(solve_global(sc).objective, rel=1e-9)
    assert RepeaterScenario.from_dict(json.loads(path.read_text())) == sc


def test_pumping_only_flag_rejected_for_qnum(good_file, capsys):
    rc, out = _cli(["simulate", good_file, "--policy", "qprimaldual", "--json", "--beta", "0.5"], capsys)
    assert rc == 2 and "--beta" in out.err and "Traceback" not in out.err


def test_compare_a_user_policy_file(good_file, tmp_path, capsys):
    policy = tmp_path / "mine.py"
    policy.write_text(
        "def fixed(obs):\n"
        "    return {'rates': [20.0, 20.0], 'werner': [0.95, 0.95, 0.95]}\n")
    rc, out = _cli(["compare", good_file, "--policy", f"{policy}:fixed", "--json", "--slots", "50"], capsys)
    assert rc in (0, None)
    d = json.loads(out.out)
    assert d["policy"] == "fixed" and d["steps"] == 50 and d["feasible"]
    assert 0 < d["relative_gap"] < 1 and d["optimum"] == pytest.approx(6.4217, abs=2e-4)
