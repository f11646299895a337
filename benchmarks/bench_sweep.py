"""Sweep-engine performance: engine overhead per run and runs/s with 1 and 2 workers. Not part of the tests.

Usage::

    python benchmarks/bench_sweep.py [RUNS] [pumping|mqce]     # default 1000 pumping

The sweep: offline solves (``action = "solve"``), one run per seed, of seeded pumping random
networks (N = 6, K = 2, one state) or of MQCE instances with N = 100 users in a square of
side 10 λ0 (the issue's study). Engine overhead per run = (sweep wall time
- sum of the runs' own wall times) / runs, i.e. expansion, hashing, dispatch, the fsynced
journal line, progress and the final parquet write.
"""

from __future__ import annotations

import sys
import tempfile
import time

from qnum.sweep import parse_sweep
from qnum.sweep.runner import Dask, InProcess, Processes, run_sweep


def spec(runs: int, family: str = "pumping"):
    if family == "mqce":
        return parse_sweep({"family": "mqce", "action": "solve", "replications": runs,
                            "metrics": ["avg_capacitance", "avg_hops"],
                            "base": {"builder": "square", "nodes": 100, "side_km": 10.0}})
    return parse_sweep({"family": "pumping", "action": "solve", "replications": runs, "metrics": ["utility"],
                        "base": {"builder": "random", "nodes": 6, "capacity": 2}})


def measure(label, executor, runs, family="pumping"):
    sp = spec(runs, family)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        df = run_sweep(sp, out, executor, progress=False)
        wall = time.perf_counter() - t0
    assert len(df) == runs and (df["status"] == "ok").all()
    work = float(df["wall_s"].sum())
    workers = getattr(executor, "workers", 1)
    overhead_ms = (wall * workers - work) / runs * 1e3
    print(f"{label:<22} runs={runs} wall={wall:6.2f} s  runs/s={runs / wall:7.1f}  "
          f"mean run={work / runs * 1e3:5.1f} ms  engine overhead/run={overhead_ms:5.2f} ms "
          f"(worker-time not spent in runs)", flush=True)


def main(runs: int = 1000, family: str = "pumping") -> None:
    print(f"family {family}", flush=True)
    measure("in-process", InProcess(), runs, family)
    measure("processes, 1 worker", Processes(1), runs, family)
    measure("processes, 2 workers", Processes(2), runs, family)
    try:
        measure("dask local, 2 workers", Dask(2), runs, family)
    except Exception as exc:  # noqa: BLE001
        print(f"dask: skipped ({exc})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, sys.argv[2] if len(sys.argv) > 2 else "pumping")
