"""Precompute the MQCE gallery's heavy studies (N-scans, α sweeps) into notebooks/data/mqce_*.json.

The notebook ``notebooks/mqce.ipynb`` loads these files; each file records the command, the
date, the machine, the load average and the CPU seconds it took. Parameters the paper's
extracted text lost (the exact N, L/λ0 and α of each figure) are qnum's stand-ins, listed
in each file under ``"stand_ins"``.

Usage: python benchmarks/gallery_mqce.py [study ...]
       studies: fig2 fig3b nscan mst alphastar (default: all). Seeded; reruns give the same numbers.

Studies
-------
fig2      α sweeps of Q*, L*, link density, min C at five L/λ0 (paper Fig. 2, Fig. 3(c), Fig. 4 vs α).
fig3b     Q* and min C of the MQCE network and of the fully connected one across L/λ0 (Fig. 3(b)).
nscan     link density, L*, Q*, min C against N at several α (Figs. 4–5), three L/λ0.
mst       longest link of the Euclidean MST against N (eq. 28's input), many seeds (each seed's value kept).
alphastar mean degree and L* against α at L = 30 λ0 for several N (the eq. 27 threshold α*).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform

from qnum.networks.relay import random_square
from qnum.solvers.mqce.fast import solve_alpha_sweep, solve_fast

OUT = Path(__file__).resolve().parents[1] / "notebooks" / "data"
P = 0.1                                   # malicious probability: qnum's stand-in for every study


def _machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.system()}


def _stats(results, n):
    iu = np.triu_indices(n, 1)
    out = []
    for r in results:
        cap = r.capacitance[iu]
        out.append({"Q": float(cap.mean()), "L": float(r.hops[iu].mean()), "minC": float(cap.min()),
                    "density": None if r.edges is None else len(r.edges) / len(cap)})
    return out


def _sweep(sc, alphas, edges=True, chunk=12):
    res = []
    for i in range(0, len(alphas), chunk):      # bounded memory: ≈ 25·chunk·N² bytes
        res += _stats(solve_alpha_sweep(sc, alphas[i:i + chunk], build_edges=edges), sc.nodes)
    return res


def _mean(rows, key):
    return [float(np.mean([r[i][key] for r in rows])) for i in range(len(rows[0]))]


def fig2():
    n, seeds = 400, 4
    sides = [0.01, 0.1, 1.0, 10.0, 30.0]
    alphas = sorted(set(np.round(np.concatenate([np.linspace(0, 1, 41), np.geomspace(1e-3, 0.02, 8)]), 6)))
    out = {"N": n, "p": P, "seeds": seeds, "alphas": alphas, "sides": {},
           "stand_ins": "N = 400, p = 0.1, 4 seeds, L/λ0 = 0.01, 0.1, 1, 10, 30 (the paper's values did not survive "
                        "extraction)"}
    for side in sides:
        rows = [_sweep(random_square(n, side, 1.0, P, 0.5, seed=s), alphas) for s in range(seeds)]
        out["sides"][str(side)] = {k: _mean(rows, k) for k in ("Q", "L", "minC", "density")}
        print(f"fig2 L = {side}: done", flush=True)
    return out


def fig3b():
    n, seeds = 200, 4
    sides = [float(x) for x in np.round(np.geomspace(0.01, 300, 19), 6)]
    alphas = [0.05, 0.2, 0.5]
    out = {"N": n, "p": P, "seeds": seeds, "alphas": alphas, "sides": sides,
           "FC": {"Q": [], "minC": []}, "MQCE": {str(a): {"Q": [], "minC": [], "L": []} for a in alphas},
           "stand_ins": "N = 200, p = 0.1, α = 0.05, 0.2, 0.5, 4 seeds (the paper's values did not survive extraction)"}
    iu = np.triu_indices(n, 1)
    for side in sides:
        fc_q, fc_min, rows = [], [], []
        for s in range(seeds):
            sc = random_square(n, side, 1.0, P, 0.5, seed=s)
            fc_q.append(float(sc.capacitance[iu].mean()))
            fc_min.append(float(sc.capacitance[iu].min()))
            rows.append(_stats(solve_alpha_sweep(sc, alphas), n))
        out["FC"]["Q"].append(float(np.mean(fc_q)))
        out["FC"]["minC"].append(float(np.mean(fc_min)))
        for i, a in enumerate(alphas):
            for key in ("Q", "minC", "L"):
                out["MQCE"][str(a)][key].append(float(np.mean([r[i][key] for r in rows])))
    print("fig3b: done", flush=True)
    return out


def nscan():
    sizes = [50, 100, 200, 400, 800, 1600]
    seeds = {50: 8, 100: 8, 200: 6, 400: 4, 800: 2, 1600: 1}
    alphas = [0.0, 0.01, 0.05, 0.1, 0.3, 0.6]
    out = {"sizes": sizes, "seeds": {str(k): v for k, v in seeds.items()}, "alphas": alphas, "p": P, "sides": {},
           "stand_ins": "p = 0.1, L/λ0 = 0.01, 1 and 10, α = 0, 0.01, 0.05, 0.1, 0.3, 0.6; seeds fall with N "
                        "(8 at N ≤ 100, 1 at N = 1600) (the paper's values did not survive extraction)"}
    for side in (0.01, 1.0, 10.0):
        block = {"density": [], "L": [], "Q": [], "minC": []}
        for n in sizes:
            rows = [_sweep(random_square(n, side, 1.0, P, 0.5, seed=100 + s), alphas, chunk=6)
                    for s in range(seeds[n])]
            for key in block:
                block[key].append(_mean(rows, key))
            print(f"nscan L = {side} N = {n}: done", flush=True)
        out["sides"][str(side)] = block          # block[key][size index][alpha index]
    return out


def mst():
    sizes = [50, 100, 200, 400, 800, 1600, 3200]
    out = {"sizes": sizes, "seeds": [], "mean_longest": [], "sem_longest": [], "longest": [],
           "note": "unit square; the longest link of the Euclidean minimum spanning tree (= the MST of maximal "
                   "capacitance: C falls with distance)"}
    for n in sizes:
        m = 60 if n <= 400 else (20 if n <= 1600 else 8)
        vals = [float(minimum_spanning_tree(squareform(pdist(np.random.default_rng(1000 + s).uniform(0, 1, (n, 2)))))
                      .data.max()) for s in range(m)]
        out["seeds"].append(m)
        out["mean_longest"].append(float(np.mean(vals)))
        out["sem_longest"].append(float(np.std(vals, ddof=1) / np.sqrt(m)))
        out["longest"].append(vals)
    print("mst: done", flush=True)
    return out


def alphastar():
    side = 30.0
    sizes = [100, 200, 400, 800, 1600]
    seeds = {100: 4, 200: 3, 400: 2, 800: 1, 1600: 1}
    alphas = [float(a) for a in np.round(np.linspace(0.005, 0.3, 24), 4)]
    out = {"side": side, "p": P, "sizes": sizes, "alphas": alphas, "seeds": {str(k): v for k, v in seeds.items()},
           "degree": [], "L": [],
           "stand_ins": "L = 30 λ0, p = 0.1 (the paper's Fig. 2(d) values did not survive extraction)"}
    for n in sizes:
        rows = [_sweep(random_square(n, side, 1.0, P, 0.5, seed=200 + s), alphas, chunk=6) for s in range(seeds[n])]
        out["degree"].append([d * (n - 1) for d in _mean(rows, "density")])
        out["L"].append(_mean(rows, "L"))
        print(f"alphastar N = {n}: done", flush=True)
    return out


STUDIES = {"fig2": fig2, "fig3b": fig3b, "nscan": nscan, "mst": mst, "alphastar": alphastar}


def main(argv):
    names = argv or list(STUDIES)
    for name in names:
        if name not in STUDIES:
            sys.exit(f"study = {name!r}: not one of {', '.join(STUDIES)}")
    solve_fast(random_square(10, 10.0, 1.0, P, 0.5, seed=0))      # load (or compile) the kernels first
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        load = os.getloadavg()
        t0, w0 = time.process_time(), time.perf_counter()
        data = STUDIES[name]()
        data["provenance"] = {
            "command": f"python benchmarks/gallery_mqce.py {name}",
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "machine": _machine(), "load_average_at_start": [round(x, 2) for x in load],
            "cpu_seconds": round(time.process_time() - t0, 1), "wall_seconds": round(time.perf_counter() - w0, 1)}
        path = OUT / f"mqce_{name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"{name}: wrote {path.name} ({data['provenance']['cpu_seconds']} CPU s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
