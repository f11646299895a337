"""Sweep execution: results, recorded errors and timeouts, kill-and-resume, executors agree (incl. Dask)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from qnum.cli import main
from qnum.sweep import load_results, parse_sweep
from qnum.sweep.runner import InProcess, Processes, run_sweep
from qnum.sweep.store import JOURNAL, Journal

ROOT = Path(__file__).resolve().parents[1]
TIMING = ["wall_s", "solve_seconds", "simulate_seconds", "seconds"]


def small(**kw):
    data = {"family": "pumping", "action": "both", "policy": "pf", "seeds": [1, 2], "metrics": ["objective"],
            "options": {"slots": 300}, "base": {"builder": "random", "nodes": 3},
            "parameters": {"capacity": [1, 2], "alpha": [1.0, 2.0]}}
    data.update(kw)
    return data


def comparable(df):
    return df.drop(columns=[c for c in TIMING if c in df.columns]).sort_values("index").reset_index(drop=True)


def test_rows_metrics_and_gap(tmp_path):
    df = run_sweep(parse_sweep(small()), tmp_path)
    assert len(df) == 8 and set(df["status"]) == {"ok"}
    assert sorted(df.columns) == sorted(["run_id", "index", "capacity", "alpha", "seed", "solve_objective",
                                         "simulate_objective", "gap", "relative_gap", "status", "error",
                                         "solver_status", "solver", "wall_s", "family", "action", "policy",
                                         "qnum_version"])
    assert (df["gap"] - (df["solve_objective"] - df["simulate_objective"])).abs().max() < 1e-12
    assert (df["gap"] >= -1e-6 * df["solve_objective"].abs()).all()  # the optimum bounds the online run
    assert df[["capacity", "alpha", "seed"]].drop_duplicates().shape[0] == 8
    # one call loads it, and the consolidated file matches
    assert comparable(load_results(tmp_path)).equals(comparable(df))
    assert pd.read_parquet(tmp_path / "results.parquet").shape == df.shape
    # running again redoes nothing
    before = (tmp_path / JOURNAL).read_bytes()
    run_sweep(parse_sweep(small()), tmp_path)
    assert (tmp_path / JOURNAL).read_bytes() == before


def test_failing_and_timed_out_runs_are_recorded(tmp_path):
    # capacity 0 fails inside the run (the first run is fine, so parsing accepts the sweep)
    spec = parse_sweep(small(action="simulate", parameters={"capacity": [1, 0]}))
    df = run_sweep(spec, tmp_path / "a")
    assert list(df["status"]) == ["ok", "ok", "error", "error"]
    assert df["error"].iloc[2].startswith("ScenarioError") and "capacity" in df["error"].iloc[2]
    assert df["objective"].isna().tolist() == [False, False, True, True]
    spec = parse_sweep(small(action="simulate", seeds=[1], options={"slots": 3_000_000}, parameters={}))
    df = run_sweep(spec, tmp_path / "b", time_limit=0.3)
    assert list(df["status"]) == ["timeout"] and "time limit" in df["error"].iloc[0]
    assert df["wall_s"].iloc[0] < 5


def test_processes_equal_inprocess(tmp_path):
    a = run_sweep(parse_sweep(small()), tmp_path / "a", InProcess())
    b = run_sweep(parse_sweep(small()), tmp_path / "b", Processes(2))
    pd.testing.assert_frame_equal(comparable(a), comparable(b), rtol=1e-9)


def test_dask_local_cluster_equals_inprocess(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    f = tmp_path / "s.json"
    f.write_text(json.dumps(small()))
    assert main(["sweep", str(f), "--out", str(tmp_path / "d"), "--dask-local", "2"]) == 0
    assert "8 runs (0 failed)" in capsys.readouterr().out
    a = run_sweep(parse_sweep(small()), tmp_path / "a", InProcess())
    pd.testing.assert_frame_equal(comparable(a), comparable(load_results(tmp_path / "d")), rtol=1e-9)


def _kill_midway(cmd, journal, min_rows):
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= min_rows:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    orphans = True
    for _ in range(100):  # worker processes notice their parent died and exit
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            orphans = False
            break
        time.sleep(0.1)
    if orphans:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not orphans, "worker processes outlived the killed sweep by 10 s"
    return len(Journal(journal.parent).read())


@pytest.mark.parametrize("executor", ["inprocess", "processes"])
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, executor):
    data = small(action="simulate", seeds=[1, 2, 3, 4, 5], options={"slots": 20_000},
                 parameters={"capacity": [1, 2, 3]})
    f = tmp_path / "s.json"
    f.write_text(json.dumps(data))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "qnum", "sweep", str(f), "--out", str(out), "--executor", executor,
           "--workers", "2"]
    done = _kill_midway(cmd, out / JOURNAL, 3)
    assert 3 <= done < 15
    assert not (out / "results.parquet").exists()
    # a killed run may have left a half line; simulate the worst case explicitly too
    with open(out / JOURNAL, "ab") as fh:
        fh.write(b'{"run_id": "trunc')
    ids_before = [r["run_id"] for r in Journal(out).read()]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    resumed = load_results(out)
    rows = Journal(out).read()
    assert [r["run_id"] for r in rows[:len(ids_before)]] == ids_before  # finished runs not redone
    assert len(rows) == len(resumed) == 15 and resumed["run_id"].is_unique
    lines = (out / JOURNAL).read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    uninterrupted = run_sweep(parse_sweep(data), tmp_path / "ref")
    pd.testing.assert_frame_equal(comparable(resumed), comparable(uninterrupted), rtol=1e-9)


def test_plot_writes_summary_and_pngs(tmp_path, capsys):
    run_sweep(parse_sweep(small()), tmp_path)
    assert main(["plot", str(tmp_path)]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == 4 and (summary["runs"] == 2).all()
    df = load_results(tmp_path)
    m = df[(df.capacity == 2) & (df.alpha == 1.0)]["gap"].mean()
    assert summary[(summary.capacity == 2) & (summary.alpha == 1.0)]["gap_mean"].iloc[0] == pytest.approx(m)
    for name in ("gap", "solve_objective", "simulate_objective"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    assert main(["plot", str(tmp_path / "none")]) == 2


def test_crashed_worker_is_recorded_and_others_complete(tmp_path, monkeypatch):
    import multiprocessing

    from qnum.sweep import runner

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("needs the fork start method to inject the crash")
    real = runner.execute_run

    def crashing(run, time_limit=None):
        if run["seed"] == 2 and run["params"]["capacity"] == 2:
            os._exit(3)
        return real(run, time_limit)

    monkeypatch.setattr(runner, "execute_run", crashing)
    df = run_sweep(parse_sweep(small(action="simulate")),
                   tmp_path, Processes(2))
    assert len(df) == 8 and df["run_id"].is_unique
    bad = df[df["status"] != "ok"]
    assert len(bad) == 2 and set(bad["capacity"]) == {2} and set(bad["seed"]) == {2}
    assert (bad["error"] == "worker process died while running it").all()


def test_scenario_key_of_builder_output_can_vary(tmp_path):
    df = run_sweep(parse_sweep(small(action="solve", policy=None, seeds=[1], parameters={"channel": ["fixed"],
                                                                             "capacity": [1, 2]})), tmp_path)
    assert list(df["status"]) == ["ok", "ok"] and list(df["channel"]) == ["fixed", "fixed"]


@pytest.mark.parametrize("name", __import__("qnum.sweep", fromlist=["x"]).example_names())
def test_every_example_runs_inprocess_and_on_dask_scheduler(tmp_path, name, capsys):
    distributed = pytest.importorskip("dask.distributed")
    assert main(["sweep", "--example", name, "--out", str(tmp_path / "a"), "--executor", "inprocess"]) == 0
    local = load_results(tmp_path / "a")
    assert len(local) and (local["status"] == "ok").all()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster:
        assert main(["sweep", "--example", name, "--out", str(tmp_path / "d"),
                     "--scheduler", cluster.scheduler_address]) == 0
    remote = load_results(tmp_path / "d")
    drop = [c for c in local.columns if c.endswith("seconds") or c == "wall_s"]
    pd.testing.assert_frame_equal(comparable(local).drop(columns=drop, errors="ignore"),
                                  comparable(remote).drop(columns=drop, errors="ignore"), rtol=1e-6)


def test_run_stuck_past_its_limit_is_ended_by_the_watchdog(tmp_path, monkeypatch):
    import multiprocessing

    from qnum.sweep import runner

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("needs the fork start method to inject the hang")
    real = runner.execute_run

    def hanging(run, time_limit=None):  # ignores its limit, like a solver stuck in C code
        if run["seed"] == 2 and run["params"]["capacity"] == 1 and run["params"]["alpha"] == 2.0:
            time.sleep(60)
        return real(run, time_limit)

    monkeypatch.setattr(runner, "execute_run", hanging)
    t0 = time.time()
    df = run_sweep(parse_sweep(small(action="simulate")), tmp_path, Processes(2), time_limit=0.5)
    assert time.time() - t0 < 20
    assert len(df) == 8 and list(df["status"]).count("ok") == 7
    bad = df[df["status"] != "ok"].iloc[0]
    assert bad["status"] == "timeout" and "watchdog" in bad["error"] and bad["seed"] == 2


def test_run_option_parameters_reach_the_family(tmp_path):
    spec = parse_sweep(small(action="simulate", metrics=None, seeds=[1], parameters={"slots": [100, 250],
                                                                                      "alpha": [2.0]}))
    df = run_sweep(spec, tmp_path)
    # the run reports its steps; alpha, echoed and named like a parameter, comes back as result_alpha
    assert df["steps"].tolist() == [100.0, 250.0] and df["slots"].tolist() == [100, 250]
    assert df["result_alpha"].tolist() == [2.0, 2.0]


def test_summary_keeps_points_where_every_run_failed(tmp_path):
    from qnum.sweep.plot import plot_sweep

    run_sweep(parse_sweep(small(action="simulate", parameters={"capacity": [1, 0], "alpha": [1.0, 2.0]})), tmp_path)
    plot_sweep(tmp_path)
    s = pd.read_csv(tmp_path / "summary.csv")
    assert s[["capacity", "alpha", "runs", "failed"]].values.tolist() == [[0, 1.0, 0, 2], [0, 2.0, 0, 2],
                                                                          [1, 1.0, 2, 0], [1, 2.0, 2, 0]]
    assert s["objective_mean"].isna().tolist() == [True, True, False, False]


def test_base_scenario_file_relative_to_the_sweep_file(tmp_path):
    import shutil

    from qnum.sweep import load_sweep

    src = ROOT / "qnum" / "data" / "pumping" / "four_node.json"
    (tmp_path / "scen").mkdir()
    shutil.copy(src, tmp_path / "scen" / "net.json")
    f = tmp_path / "s.toml"
    f.write_text('family = "pumping"\naction = "solve"\nmetrics = ["objective"]\n'
                 '[base]\nfile = "scen/net.json"\n[parameters]\nalpha = [1.0, 2.0]\n')
    df = run_sweep(load_sweep(f), tmp_path / "out")
    assert list(df["status"]) == ["ok", "ok"] and list(df["alpha"]) == [1.0, 2.0]
    assert df["objective"].iloc[0] > 0 > df["objective"].iloc[1]  # α = 2 utilities are negative


def test_mixed_type_parameter_values_are_stored(tmp_path):
    spec = parse_sweep(small(action="solve", policy=None, seeds=[1], parameters={"alpha": [1.0, "maxmin"]}))
    df = run_sweep(spec, tmp_path)
    assert list(df["status"]) == ["ok", "ok"] and list(df["alpha"]) == ["1.0", "maxmin"]
    assert pd.read_parquet(tmp_path / "results.parquet")["alpha"].tolist() == ["1.0", "maxmin"]

