"""The qnum command: the scenario-file contract, JSON output, exit status 2 on bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from qnum.api import data_path
from qnum.cli import main
from qnum.networks.pumping import FOUR_NODE_SKR_KBPS, pairs_to_matrix, table_i


def write(tmp_path, data, name="s.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def four_node_file(tmp_path, **extra):
    data = {"kind": "pumping", "nodes": 4, "capacity": 2, "alpha": 1,
            "states": [{"prob": 1.0, "skr": (FOUR_NODE_SKR_KBPS * 1e3).tolist()}],
            "sharing": {"per_count_factor": [1.0, 0.6]}}
    data.update(extra)
    return write(tmp_path, data)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_solve_json_contract(tmp_path, capsys):
    code, out, _ = run(capsys, "solve", four_node_file(tmp_path), "--json")
    assert code == 0
    res = json.loads(out)
    assert res["status"] == "optimal"
    rates = {(i, j): r for i, j, r in res["rates"]}
    for (i, j), r in rates.items():
        assert r == pytest.approx(0.2 * FOUR_NODE_SKR_KBPS[i, j] * 1e3, rel=1e-5)
    assert res["objective"] == pytest.approx(sum(np.log(list(rates.values()))), rel=1e-9)
    assert res["bound"] >= res["objective"] and res["bound"] - res["objective"] < 1e-4
    assert res["schedule"][0]["topologies"]


def test_solve_maxmin_and_matching(tmp_path, capsys):
    sc = table_i()
    states = [{"prob": 1.0, "skr": pairs_to_matrix(sc.skr[0], 5).tolist()}]
    path = write(tmp_path, {"kind": "pumping", "nodes": 5, "capacity": 2, "alpha": "maxmin", "states": states,
                            "topologies": "matching"})
    code, out, _ = run(capsys, "solve", path, "--json")
    res = json.loads(out)
    assert code == 0 and res["status"] == "optimal"
    assert res["objective"] == pytest.approx(min(r for _, _, r in res["rates"]), rel=1e-9)


def test_simulate_json(tmp_path, capsys):
    code, out, _ = run(capsys, "simulate", four_node_file(tmp_path), "--policy", "pf", "--slots", "20000",
                       "--seed", "3", "--json")
    res = json.loads(out)
    assert code == 0 and res["steps"] == 20000 and res["time_axis"] == "slot"
    for i, j, r in res["rates"]:
        assert r == pytest.approx(0.2 * FOUR_NODE_SKR_KBPS[i, j] * 1e3, rel=5e-3)
    code, out, _ = run(capsys, "simulate", four_node_file(tmp_path), "--policy", "rr", "--beta", "0.01",
                       "--slots", "500", "--json")
    assert code == 0 and "constant beta=0.01" in json.loads(out)["message"]


@pytest.mark.parametrize("change, needle", [
    ({"capacity": 0}, "capacity"),
    ({"capacity": 7}, "capacity"),
    ({"alpha": -1}, "alpha"),
    ({"nodez": 4}, "nodez"),
    ({"states": [{"prob": 0.5, "skr": (FOUR_NODE_SKR_KBPS * 1e3).tolist()}]}, "sum to 1"),
    ({"states": [{"prob": 1.0, "skr": [[0, 1, 2, 3], [2, 0, 1, 1], [2, 1, 0, 1], [3, 1, 1, 0]]}]}, "symmetric"),
    ({"states": [{"prob": 1.0, "skr": [[0, -1, 2, 3], [-1, 0, 1, 1], [2, 1, 0, 1], [3, 1, 1, 0]]}]}, ">= 0"),
    ({"topologies": "rings"}, "topologies"),
    ({"sharing": {"per_count_factor": [1.0]}}, "per_count_factor"),
])
def test_bad_input_exits_2_naming_the_field(tmp_path, capsys, change, needle):
    code, out, err = run(capsys, "solve", four_node_file(tmp_path, **change), "--json")
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err


def test_unknown_kind_missing_file_and_bad_policy(tmp_path, capsys):
    assert run(capsys, "solve", write(tmp_path, {"kind": "teleport"}))[0] == 2
    assert run(capsys, "solve", str(tmp_path / "none.json"))[0] == 2
    code, _, err = run(capsys, "simulate", four_node_file(tmp_path), "--policy", "best")
    assert code == 2 and "policy = 'best'" in err
    code, _, err = run(capsys, "simulate", four_node_file(tmp_path), "--policy", "pf", "--beta", "2")
    assert code == 2 and "beta = 2.0" in err


def test_bench_json_rows(capsys):
    code, out, _ = run(capsys, "bench", "pumping", "--json", "--slots", "3000", "--no-plots")
    doc = json.loads(out)
    rows = doc["rows"]
    assert code == 0 and doc["schema_version"] and doc["environment"]["numpy"]
    needed = {"family", "instance", "method", "status", "objective", "bound", "gap_to_optimum", "seconds"}
    assert all(needed <= set(r) for r in rows)
    methods = {(r["instance"], r["method"]) for r in rows}
    assert ("table-i-fixed", "optimum") in methods and ("four-node", "rr") in methods
    for r in rows:
        if r["method"] == "optimum":
            assert r["status"] == "optimal" and r["bound"] >= r["objective"] - 1e-9
        else:
            assert r["gap_to_optimum"] >= -0.5


def test_module_entry_point_exit_status(tmp_path):
    bad = write(tmp_path, {"kind": "pumping", "nodes": 1})
    proc = subprocess.run([sys.executable, "-m", "qnum", "solve", bad], capture_output=True, text=True)
    assert proc.returncode == 2 and "nodes" in proc.stderr and "Traceback" not in proc.stderr


def test_toml_scenario_with_markov_channel(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('kind = "pumping"\nnodes = 3\ncapacity = 1\nalpha = 1\n'
                    'channel = {process = "markov", transition = [[0.9, 0.1], [0.2, 0.8]]}\n'
                    '[[states]]\nprob = 0.6666666666666666\nskr = [[0, 4, 2], [4, 0, 1], [2, 1, 0]]\n'
                    '[[states]]\nprob = 0.3333333333333333\nskr = [[0, 1, 2], [1, 0, 4], [2, 4, 0]]\n')
    code, out, _ = run(capsys, "solve", str(path), "--json")
    opt = json.loads(out)
    assert code == 0 and opt["status"] == "optimal"
    code, out, _ = run(capsys, "simulate", str(path), "--policy", "pf", "--slots", "30000", "--json")
    assert code == 0 and abs(json.loads(out)["objective"] - opt["objective"]) < 0.05


def test_physical_file_form_with_perturbed_channel(tmp_path, capsys):
    from qnum.networks.pumping import TABLE_I_DISTANCE_KM, TABLE_II_QBER

    data = {"kind": "pumping", "nodes": 5, "capacity": 2, "distance_km": TABLE_I_DISTANCE_KM.tolist(),
            "qber": TABLE_II_QBER.tolist(), "channel": {"process": "perturbed-qber", "period_slots": 50}}
    path = write(tmp_path, data)
    code, out, _ = run(capsys, "solve", path, "--json")
    assert code == 0 and json.loads(out)["objective"] == pytest.approx(162.0651634, rel=1e-8)   # = table_i()
    code, out, _ = run(capsys, "simulate", path, "--policy", "pf", "--slots", "2000", "--json")
    assert code == 0 and json.loads(out)["steps"] == 2000
    data["states"] = [{"prob": 1.0, "skr": TABLE_II_QBER.tolist()}]
    code, _, err = run(capsys, "solve", write(tmp_path, data, "both.json"))
    assert code == 2 and "no state's SKRs equal BBM92 of distance_km + qber" in err
    bad = dict(data)
    del bad["states"]
    bad["qber"] = (TABLE_II_QBER * 20).tolist()
    code, _, err = run(capsys, "solve", write(tmp_path, bad, "bad.json"))
    assert code == 2 and "QBER" in err


def test_shipped_example_scenarios_solve(capsys):
    from pathlib import Path

    import qnum

    examples = sorted((Path(qnum.__file__).parent / "data" / "pumping").glob("*.json"))
    assert len(examples) >= 3
    for path in examples:
        code, out, _ = run(capsys, "solve", str(path), "--json")
        assert code == 0 and json.loads(out)["status"] == "optimal", path.name


@pytest.mark.parametrize("name", ["pumping/table_i_matching_maxmin.json", "rwa/dser-wss-os-maxmin.toml"])
def test_json_stdout_is_one_json_document_even_when_a_solver_prints_a_banner(name):
    from pathlib import Path

    import qnum

    path = Path(qnum.__file__).parent / "data" / name
    proc = subprocess.run([sys.executable, "-m", "qnum", "solve", str(path), "--json"], capture_output=True,
                          text=True, check=True)
    assert json.loads(proc.stdout)["status"] == "optimal"


def test_bench_refuses_slots_and_seed_where_no_run_takes_them(capsys):
    code, out, err = run(capsys, "bench", "rwa", "--slots", "5000", "--no-plots")
    assert code == 2 and out == "" and err.strip() == "qnum: error: --slots = '5000': no bench run of kind rwa takes it"
    assert run(capsys, "bench", "mqce", "qnum", "--seed", "3", "--no-plots")[0] == 2


def test_closed_stdout_stops_quietly():
    """`qnum solve F | head -1`: the reader goes away; qnum stops with 141 and prints no error."""
    proc = subprocess.Popen([sys.executable, "-m", "qnum", "solve", str(data_path("qnum/two-user.json"))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                       # before qnum writes anything: its first write meets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


def test_json_keys_are_spelled_alike_whichever_encoder_path_runs():
    """dump_json encodes strict documents directly and cleans others first: a key is spelled the same either way."""
    from qnum.cli import dump_json

    plain = {True: 1, None: 2, 1.5: 3, 7: 4}
    assert json.loads(dump_json(plain)) | {"0-1": None} == json.loads(dump_json({**plain, (0, 1): float("nan")}))
