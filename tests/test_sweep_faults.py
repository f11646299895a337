"""Sweeps under faults, on a real ``dask scheduler`` + ``dask worker`` cluster started here.

No worker at the start, every worker lost mid-sweep, the scheduler killed mid-sweep: each
ends in bounded time with a message on stderr and the documented exit status, the finished
runs stay in the journal, and running the same command again completes the sweep with the
same results as an uninterrupted run. ``--retry-failed`` runs failed runs again on resume.
"""

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
from qnum.sweep.runner import run_sweep
from qnum.sweep.store import JOURNAL, Journal

ROOT = Path(__file__).resolve().parents[1]
TIMING = ["wall_s", "seconds"]

#: 16 simulate runs of ~0.1-0.3 s each: long enough to kill something mid-sweep
SWEEP = {"family": "pumping", "action": "simulate", "policy": "pf", "seeds": [1, 2, 3, 4],
         "metrics": ["objective"], "options": {"slots": 15_000}, "base": {"builder": "random", "nodes": 3},
         "parameters": {"capacity": [1, 2], "alpha": [1.0, 2.0]}}


def _start(args, tmp_path, name):
    """A dask CLI process in its own session (so it and its children can be killed together)."""
    log = open(tmp_path / f"{name}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]], cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc


def _kill(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@pytest.fixture
def cluster(tmp_path):
    """Start processes of a local cluster on 127.0.0.1 (random ports); kill them all at the end."""
    pytest.importorskip("dask.distributed")
    procs = []
    sched_file = tmp_path / "scheduler.json"

    class Cluster:
        def scheduler(self):
            proc = _start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                           "--scheduler-file", str(sched_file)], tmp_path, "scheduler")
            procs.append(proc)
            deadline = time.time() + 30
            while time.time() < deadline:
                if sched_file.exists():
                    try:
                        return proc, json.loads(sched_file.read_text())["address"]
                    except ValueError:  # half written
                        pass
                time.sleep(0.05)
            raise AssertionError("the dask scheduler did not start within 30 s")

        def worker(self, address):
            proc = _start(["worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                           "--death-timeout", "20"], tmp_path, f"worker{len(procs)}")
            procs.append(proc)
            return proc

    yield Cluster()
    for proc in procs:
        _kill(proc)


def _sweep_cmd(tmp_path, *extra):
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SWEEP))
    return [sys.executable, "-m", "qnum", "sweep", str(f), "--out", str(tmp_path / "out"), *extra]


def _run_until(cmd, journal, rows, then, bound):
    """Start the sweep, call ``then()`` once the journal holds ``rows`` rows; return (status, stderr, s
    from ``then`` to the exit)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= rows:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the sweep ended before the fault: {proc.communicate()}"
    then()
    t0 = time.time()
    try:
        _, err = proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"the sweep did not stop within {bound} s of the fault: {proc.communicate()}") from None
    return proc.returncode, err, time.time() - t0


def _comparable(df):
    return df.drop(columns=[c for c in TIMING if c in df.columns]).sort_values("index").reset_index(drop=True)


def test_no_worker_then_workers_lost_then_scheduler_killed_then_resume(tmp_path, cluster):
    journal = tmp_path / "out" / JOURNAL
    sched, address = cluster.scheduler()
    cmd = _sweep_cmd(tmp_path, "--scheduler", address, "--worker-timeout", "2")

    # 1. no worker at all: a message, a bounded wait, exit 2, nothing run
    t0 = time.time()
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "no Dask worker at " + address in res.stderr and "waiting up to 2 s" in res.stderr
    assert f"qnum: error: --scheduler = '{address}': has no worker: none joined within 2 s" in res.stderr
    assert time.time() - t0 < 30 and "Traceback" not in res.stderr
    assert not Journal(tmp_path / "out").read()

    # 2. the only worker killed mid-sweep: a message, exit 1 within the bound, finished runs kept
    worker = cluster.worker(address)
    status, err, after = _run_until(cmd, journal, 3, lambda: _kill(worker), bound=30)
    assert status == 1, err
    assert "every Dask worker at " + address + " is lost; waiting up to 2 s" in err
    assert "qnum sweep: stopped: no Dask worker at " in err and "run the same command to resume" in err
    assert after < 2 + 10 and "Traceback" not in err
    first = Journal(tmp_path / "out").read()
    assert 3 <= len(first) < 16 and {r["status"] for r in first} == {"ok"}
    assert len(load_results(tmp_path / "out")) == len(first)  # results.parquet holds the finished runs

    # 3. resume on a new worker; the scheduler killed mid-sweep: exit 1 at once, more runs kept
    cluster.worker(address)
    status, err, after = _run_until(cmd, journal, len(first) + 2, lambda: _kill(sched), bound=30)
    assert status == 1, err
    assert "qnum sweep: stopped: lost the connection to the Dask scheduler at " + address in err
    assert after < 15 and "Traceback" not in err
    second = Journal(tmp_path / "out").read()
    assert len(first) + 2 <= len(second) < 16 and {r["status"] for r in second} == {"ok"}
    assert second[:len(first)] == first  # finished runs were not redone

    # 4. resume anywhere (here in-process): completes, equal to an uninterrupted sweep
    res = subprocess.run(_sweep_cmd(tmp_path, "--executor", "inprocess"), cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "16 runs (0 failed)" in res.stdout
    rows = Journal(tmp_path / "out").read()
    assert rows[:len(second)] == second and len(rows) == 16
    assert (tmp_path / "out" / JOURNAL).read_bytes().count(b"\n") == 16  # no run twice
    reference = run_sweep(parse_sweep(SWEEP), tmp_path / "ref")
    pd.testing.assert_frame_equal(_comparable(load_results(tmp_path / "out")), _comparable(reference), rtol=1e-9)


def test_worker_joining_during_the_wait_lets_the_sweep_finish(tmp_path, cluster):
    _, address = cluster.scheduler()
    worker = cluster.worker(address)
    cmd = _sweep_cmd(tmp_path, "--scheduler", address, "--worker-timeout", "40")

    def replace():
        _kill(worker)
        time.sleep(5)          # the loss is noticed (and said) before the new worker can join
        cluster.worker(address)

    status, err, _ = _run_until(cmd, tmp_path / "out" / JOURNAL, 2, replace, bound=60)
    assert status == 0, err
    assert "is lost; waiting up to 40 s" in err and "a Dask worker joined; the sweep goes on" in err
    df = load_results(tmp_path / "out")
    assert len(df) == 16 and set(df["status"]) == {"ok"}  # the run in flight was redone on the new worker


def test_retry_failed_runs_again_only_the_failed_runs(tmp_path, capsys):
    f = tmp_path / "s.json"
    data = dict(SWEEP, seeds=[1, 2], options={"slots": 25_000}, parameters={"capacity": [1, 0]})
    f.write_text(json.dumps(data))
    out = tmp_path / "out"
    base = ["sweep", str(f), "--out", str(out), "--executor", "inprocess"]
    assert main([*base, "--time-limit", "0.03"]) == 0   # capacity 1 times out, capacity 0 is invalid
    first = Journal(out).read()
    assert [r["status"] for r in first] == ["timeout", "timeout", "error", "error"]
    # a plain resume runs nothing
    before = (out / JOURNAL).read_bytes()
    assert main(base) == 0 and (out / JOURNAL).read_bytes() == before
    # --retry-failed runs the four again (without the time limit now): the timed-out runs pass,
    # the invalid ones fail again; each new row replaces the old one
    assert main([*base, "--retry-failed"]) == 0
    assert "running 4 failed runs again (--retry-failed)" in capsys.readouterr().err
    rows = Journal(out).read()
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error"]
    assert [r["run_id"] for r in rows] == [r["run_id"] for r in first]
    assert (out / JOURNAL).read_bytes().count(b"\n") == 8
    df = load_results(out)
    assert df["status"].tolist() == ["ok", "ok", "error", "error"]
    assert df["objective"].notna().tolist() == [True, True, False, False]
    reference = run_sweep(parse_sweep(dict(data, parameters={"capacity": [1]})), tmp_path / "r")
    assert df["objective"].iloc[:2].tolist() == reference["objective"].tolist()
    # the ok runs are never run again
    assert main([*base, "--retry-failed"]) == 0
    assert "running 2 failed runs again" in capsys.readouterr().err
    assert (out / JOURNAL).read_bytes().count(b"\n") == 10


def test_worker_timeout_flag_is_checked(tmp_path, capsys):
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SWEEP))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--executor", "inprocess",
                 "--worker-timeout", "5"]) == 2
    assert "--worker-timeout = 5.0: applies only to Dask" in capsys.readouterr().err
    for bad in ("0", "-1", "inf", "nan"):
        assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1",
                     "--worker-timeout", bad]) == 2
        assert f"--worker-timeout = {float(bad)}: must be a finite number > 0" in capsys.readouterr().err


# -- long single commands: an elapsed-time line on a terminal's stderr, never on stdout ------------------------

class _Tty:
    """A text stream that says it is a terminal (what stderr is for a user at a shell)."""

    def __init__(self):
        self.parts = []

    def isatty(self):
        return True

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass


def test_long_command_shows_elapsed_time_on_a_terminal_only(monkeypatch, capsys):
    from qnum import cli

    monkeypatch.setattr(cli.elapsed_line.__init__, "__defaults__", (None, 0.0, 0.02))  # show at once
    scenario = str(ROOT / "qnum" / "data" / "pumping" / "four_node.json")
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["simulate", scenario, "--policy", "pf", "--slots", "10000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)          # stdout: exactly the JSON document
    assert out["steps"] == 10000
    text = "".join(tty.parts)
    assert f"qnum: simulate {scenario} running, " in text and text.endswith("\r\x1b[K")  # erased at the end
    monkeypatch.setattr(sys, "stderr", __import__("io").StringIO())                      # not a terminal
    assert main(["simulate", scenario, "--policy", "pf", "--slots", "10000", "--json"]) == 0
    assert sys.stderr.getvalue() == ""
