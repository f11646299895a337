"""What the ``qnum`` command costs beside the solve: start-up, loading a large file, end to end vs CVXPY.

Not part of the test suite. Usage::

    python benchmarks/bench_cli.py [--runs N] [--tree DIR] [--vs-tree DIR] [--out DIR]

Every figure is a whole process, timed from outside (CPU = user + system seconds of the child,
from ``getrusage(RUSAGE_CHILDREN)``; wall from ``perf_counter``), run ``N`` times after one
warm-up with the commands of a comparison alternated (A B A B ...) and the ratio taken pair by
pair, so a machine whose speed drifts (shared, loaded) still gives comparable ratios; medians
are printed. ``--tree`` is the source tree whose ``qnum`` runs (default: this checkout, put
first on ``PYTHONPATH`` so an installed copy is not picked up); ``--vs-tree`` adds an A/B of
the same commands against a second tree (e.g. a scratch copy with a proposed change).

Rows (issue 14's targets):

* ``python -c pass`` — the interpreter's own floor;
* ``qnum --help`` and ``qnum solve`` of the shipped Table I file — start-up, target <= 0.6 s;
* loading + validating a 200,000-number scenario file (pumping, N = 100, 20 states: twenty
  100 x 100 SKR matrices) as JSON and as ``.npz`` (:mod:`qnum.networks.binary`), in-process,
  target <= 0.2 s;
* ``qnum solve`` of that file end to end against a straightforward CVXPY + Clarabel script
  on the same file (``python benchmarks/bench_cli.py cvxpy FILE``: json, numpy, cvxpy, the
  compact at-most-K formulation with each pair's SKRs rescaled so Clarabel converges),
  target >= 10x; both objectives are printed and compared.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def cvxpy_script(path: str) -> None:
    """A straightforward CVXPY + Clarabel solve of a pumping scenario file (α = 1, at most K pairs).

    The rate region: ``r_e = Σ_s p_s y_se s_se`` with ``0 <= y <= 1`` and ``Σ_e y_se <= K`` in every
    state ``s`` (the compact form of "any K pairs per slot" with independent SKRs); each pair's SKRs
    are divided by its mean SKR ``Σ_s p_s s_se`` (the log of that scale added back): Clarabel fails
    (SolverError) on the raw bit/s scale and also with each pair's largest SKR as the scale on this
    file. Prints one JSON line: status, objective, seconds.
    """
    import cvxpy as cp
    import numpy as np

    t0 = time.perf_counter()
    with open(path) as fh:
        data = json.load(fh)
    n, k = data["nodes"], data["capacity"]
    iu = np.triu_indices(n, 1)
    p = np.array([st["prob"] for st in data["states"]])
    skr = np.array([np.asarray(st["skr"], dtype=float)[iu] for st in data["states"]])
    scale = p @ skr
    a = p[:, None] * skr / scale[None, :]
    y = cp.Variable(a.shape, nonneg=True)
    prob = cp.Problem(cp.Maximize(cp.sum(cp.log(cp.sum(cp.multiply(a, y), axis=0)))),
                      [y <= 1, cp.sum(y, axis=1) <= k])
    prob.solve(solver="CLARABEL")
    value = float(prob.value) + float(np.sum(np.log(scale)))
    print(json.dumps({"status": prob.status, "objective": value, "seconds": time.perf_counter() - t0}))


def write_files(out: Path) -> tuple[Path, Path]:
    """The 200,000-number pumping file (N = 100, K = 10, S = 20, seed 2025) as JSON and as npz."""
    from qnum.networks.binary import write_npz
    from qnum.networks.pumping import random_network

    sc = random_network(100, 10, 20, seed=2025)
    data = sc.to_dict()
    for key in ("distance_km", "qber", "attenuation_db_per_km", "repetition_rate_hz"):
        data.pop(key, None)        # the SKR states alone: 20 x 100 x 100 = 200,000 numbers
    js, npz = out / "pumping-n100-s20.json", out / "pumping-n100-s20.npz"
    js.write_text(json.dumps(data))
    write_npz(data, npz)
    return js, npz


def run(cmd, env, cwd) -> tuple[float, float, str]:
    """(CPU s, wall s, stdout) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(map(str, cmd))} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout


def env_for(tree: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def paired(label, a, b, runs, cwd) -> list:
    """Alternate A and B (``(cmd, env)`` each) ``runs`` times after one warm-up; print medians and the ratio."""
    for cmd, env in (a, b):
        run(cmd, env, cwd)
    ra, rb = [], []
    for _ in range(runs):
        ra.append(run(*a, cwd))
        rb.append(run(*b, cwd))
    ca, wa = statistics.median(r[0] for r in ra), statistics.median(r[1] for r in ra)
    cb, wb = statistics.median(r[0] for r in rb), statistics.median(r[1] for r in rb)
    ratio_c = statistics.median(x[0] / y[0] for x, y in zip(ra, rb))
    ratio_w = statistics.median(x[1] / y[1] for x, y in zip(ra, rb))
    print(f"| {label} | {ca:.3f} | {wa:.3f} | {cb:.3f} | {wb:.3f} | {ratio_c:.3f} | {ratio_w:.3f} |", flush=True)
    return [ra, rb]


def load_times(tree: Path, files, repeats=5) -> str:
    """Median in-process CPU seconds of ``load_scenario`` (JSON) / read_npz + scenario_from_dict (npz)."""
    code = (
        "import sys, time, statistics\n"
        "from qnum.api import load_scenario, scenario_from_dict\n"
        "from qnum.networks.binary import read_npz\n"
        "out = []\n"
        "for f in sys.argv[2:]:\n"
        "    load = (lambda: scenario_from_dict(read_npz(f))) if f.endswith('.npz') else (lambda: load_scenario(f))\n"
        "    load()\n"
        "    ts = []\n"
        "    for _ in range(int(sys.argv[1])):\n"
        "        t = time.process_time(); load(); ts.append(time.process_time() - t)\n"
        "    out.append(f'{statistics.median(ts):.3f}')\n"
        "print(' '.join(out))\n")
    # run from the files' folder: ``python -c`` puts the working directory first on sys.path
    _, _, stdout = run([sys.executable, "-c", code, str(repeats), *map(str, files)], env_for(tree),
                       Path(files[0]).parent)
    return stdout.strip()


def main(argv) -> None:
    runs, tree, vs_tree, out = 5, ROOT, None, None
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag == "--runs":
            runs = int(args.pop(0))
        elif flag == "--tree":
            tree = Path(args.pop(0)).resolve()
        elif flag == "--vs-tree":
            vs_tree = Path(args.pop(0)).resolve()
        elif flag == "--out":
            out = Path(args.pop(0))
        else:
            raise SystemExit(f"unknown argument {flag!r}")
    out = Path(out or tempfile.mkdtemp(prefix="qnum-bench-cli-"))
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(tree))
    js, npz = write_files(out)
    py, env = sys.executable, env_for(tree)
    table_i = str(tree / "qnum" / "data" / "pumping" / "table_i_perturbed.json")
    print(f"load average {os.getloadavg()[0]:.2f}; tree {tree}; files in {out}; {runs} runs each after a warm-up\n")
    print("| A vs B | A CPU s | A wall s | B CPU s | B wall s | A/B CPU | A/B wall |")
    print("|---|---|---|---|---|---|---|")
    floor = ([py, "-c", "pass"], env)
    paired("`qnum --help` vs `python -c pass`", ([py, "-m", "qnum", "--help"], env), floor, runs, out)
    paired("`qnum solve table_i_perturbed.json --json` vs `python -c pass`",
           ([py, "-m", "qnum", "solve", table_i, "--json"], env), floor, runs, out)
    solve = ([py, "-m", "qnum", "solve", str(js), "--json"], env)
    cvx = ([py, str(HERE / "bench_cli.py"), "cvxpy", str(js)], env)
    ra, rb = paired("`qnum solve --json` N = 100 (JSON file) vs CVXPY + Clarabel script", solve, cvx, runs, out)
    qn, cv = json.loads(ra[-1][2]), json.loads(rb[-1][2])
    if vs_tree is not None:
        other = env_for(vs_tree)
        paired("`qnum --help`: tree vs --vs-tree", ([py, "-m", "qnum", "--help"], env),
               ([py, "-m", "qnum", "--help"], other), runs, out)
        paired("`qnum solve --json` N = 100: tree vs --vs-tree", solve,
               ([py, "-m", "qnum", "solve", str(js), "--json"], other), runs, out)
    print(f"\nN = 100 objectives: qnum {qn['objective']:.6f} ({qn['status']}, certified relative gap "
          f"{qn['relative_gap']:.1e}, solve {qn['seconds']:.3f} s in-process); CVXPY {cv['objective']:.6f} "
          f"({cv['status']}); relative difference {abs(qn['objective'] - cv['objective']) / abs(qn['objective']):.1e}")
    for name, where in (("tree", tree), ("--vs-tree", vs_tree)):
        if where is not None:
            j, z = load_times(where, [js, npz]).split()
            print(f"load + validate, 200,000 numbers ({name}; median CPU s in-process, 5 runs): JSON {j} s "
                  f"({js.stat().st_size / 1e6:.1f} MB), npz {z} s ({npz.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["cvxpy"]:
        cvxpy_script(sys.argv[2])
    else:
        main(sys.argv[1:])
