"""Precompute the QPrimalDual gallery studies (notebooks/qnum.ipynb) into notebooks/data/qnum_*.json.

Run: ``python benchmarks/gallery_qnum.py [starts|stability|region|effort|size_rho|all]`` (default all).
Each study writes one JSON file with its results and a ``meta`` block (command, date, machine,
load average, CPU seconds). Studies:

* ``starts`` — QPrimalDual from 24 random starts (concave utility: negativity) against the
  certified optimum: relative gap and capacity overshoot per recorded iteration.
* ``stability`` — equilibria of the non-concave utilities (and the negativity for reference),
  spectral radius of the iteration map's Jacobian there, qnum's two conditions, and a
  simulation from near the equilibrium as a check.
* ``region`` — step-size multiplier × latency grid: each cell simulated and classified
  (converged / oscillating / diverged, definitions in :func:`classify`), and the spectral
  radius at the equilibrium for the same cell.
* ``size_rho`` — spectral radius at the default steps and the largest stable step multiplier
  against the number of dumbbell pairs.
* ``effort`` — iterations and CPU seconds for QPrimalDual to reach 1 % of the optimum against
  the number of routes (dumbbell and NSFNet, negativity and distillable entanglement).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from qnum.networks.repeater import dumbbell, from_links, nsfnet
from qnum.solvers.repeater.branch_and_bound import solve_global
from qnum.solvers.repeater.primaldual import qprimaldual
from qnum.solvers.repeater.stability import Dynamics, equilibrium, initial_state, iterate, local_stability

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "data"
A0, B0 = 0.001, 0.5          # QPrimalDual's default steps


def _meta(study, cpu0):
    return {"command": f"python benchmarks/gallery_qnum.py {study}",
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                       f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
            "load_average": [round(v, 2) for v in os.getloadavg()],
            "cpu_seconds": round(time.process_time() - cpu0, 1)}


def _write(study, data, cpu0):
    OUT.mkdir(parents=True, exist_ok=True)
    data["meta"] = _meta(study, cpu0)
    path = OUT / f"qnum_{study}.json"
    path.write_text(json.dumps(data, indent=1))
    print(f"wrote {path} ({data['meta']['cpu_seconds']} CPU s)", flush=True)


def _certified(sc, rel_gap=1e-7, time_limit_s=120.0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve_global(sc, rel_gap=rel_gap, time_limit_s=time_limit_s)


def _eq(sc, dyn, opt):
    return equilibrium(dyn, list(opt.values["rates"].values()), list(opt.values["werner"].values()))


def _scores(sc, dyn, states, optimum):
    """Relative gap |U − U*|/|U*| and capacity overshoot of (a batch of) recorded states."""
    R, L = dyn.routes, dyn.links
    st = np.asarray(states)
    x, w = np.exp(st[..., :R]), np.exp(st[..., R:R + L])
    with np.errstate(all="ignore"):
        flat_x, flat_w = x.reshape(-1, R), w.reshape(-1, L)
        U = np.array([sc.objective(a, b) if np.all(np.isfinite(a)) and np.all(np.isfinite(b)) else -np.inf
                      for a, b in zip(flat_x, flat_w)])
        over = np.max(flat_x @ sc.incidence.T / sc.capacity_scale + flat_w - 1.0, axis=1)
        gap = np.abs(U - optimum) / abs(optimum)
    gap = np.where(np.isfinite(gap), gap, np.inf)
    over = np.where(np.isfinite(over), np.maximum(over, 0.0), np.inf)
    return gap.reshape(x.shape[:-1]), over.reshape(x.shape[:-1])


def _num(v):
    """JSON-safe float (inf / nan as strings)."""
    v = float(v)
    return v if np.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")


# ---------------------------------------------------------------------------------------- starts
def starts(n_starts=24, iters=30000, every=100):
    """QPrimalDual from random starts on concave (negativity) instances."""
    cpu0 = time.process_time()
    rng = np.random.default_rng(2026)
    out = {"n_starts": n_starts, "iters": iters, "record_every": every,
           "sampling": "x_r = 10^U[-1, 3] pairs/s, w_l = U[0.4, 0.99], λ_l = 10^U[0, 3] (qnum's choice)",
           "instances": []}
    for name, sc in [("dumbbell-8 negativity", dumbbell(8, utility="negativity")),
                     ("nsfnet-10 negativity (seed 1)", nsfnet(10, seed=1, utility="negativity")),
                     ("nsfnet-20 negativity (seed 2)", nsfnet(20, seed=2, utility="negativity"))]:
        opt = _certified(sc)
        dyn = Dynamics.of(sc, drop_unused=False)
        R, L = dyn.routes, dyn.links
        x0 = 10.0 ** rng.uniform(-1, 3, (n_starts, R))
        w0 = rng.uniform(0.4, 0.99, (n_starts, L))
        p0 = 10.0 ** rng.uniform(0, 3, (n_starts, L))
        _, times, states = iterate(dyn, initial_state(dyn, x0, w0, p0), iters, record_every=every)
        gap, over = _scores(sc, dyn, states, opt.objective)          # (T, B)
        err = np.maximum(gap, over)
        inside = err <= 1e-2
        # first recorded iteration from which a start stays within 1 % (gap and overshoot)
        t1 = []
        for j in range(n_starts):
            bad = np.flatnonzero(~inside[:, j])
            t1.append(None if not inside[-1, j] else int(times[bad[-1] + 1]) if bad.size else 0)
        out["instances"].append({
            "name": name, "routes": R, "links": L, "optimum": opt.objective, "bound": opt.bound,
            "status": str(opt.status), "times": times.tolist(),
            "gap_min": [_num(v) for v in err.min(axis=1)], "gap_median": [_num(v) for v in np.median(err, axis=1)],
            "gap_max": [_num(v) for v in err.max(axis=1)],
            "final_gap": [_num(v) for v in gap[-1]], "final_overshoot": [_num(v) for v in over[-1]],
            "iterations_to_1pct": t1})
        print(name, "worst final gap", float(np.max(gap[-1])), flush=True)
    _write("starts", out, cpu0)


# ------------------------------------------------------------------------------------- stability
def chain(hops=10, weight=4.0, utility="secret-key"):
    """A ``hops``-link route (weight ``weight``) sharing its first link with a 1-link route (qnum's test case)."""
    links = {f"l{i}": 2.0 for i in range(hops)}
    return from_links(links, [([f"l{i}" for i in range(hops)], weight, "long"), (["l0"], 1.0, "short")], utility)


STABILITY_CASES = [
    ("two-user distillable", lambda: __import__("qnum.networks.repeater", fromlist=["two_user"]).two_user()),
    ("dumbbell-8 distillable", lambda: dumbbell(8)),
    ("nsfnet-10 distillable (seed 1)", lambda: nsfnet(10, seed=1)),
    ("nsfnet-20 distillable (seed 0)", lambda: nsfnet(20, seed=0)),
    ("nsfnet-20 secret key (seed 0)", lambda: nsfnet(20, seed=0, utility="secret-key")),
    ("nsfnet-20 secret key (seed 2)", lambda: nsfnet(20, seed=2, utility="secret-key")),
    ("chain-6, weight 4, secret key", lambda: chain(6)),
    ("chain-10, weight 4, distillable", lambda: chain(10, utility="distillable")),
    ("chain-10, weight 4, secret key", lambda: chain(10)),
    ("nsfnet-20 negativity (seed 2)", lambda: nsfnet(20, seed=2, utility="negativity")),
]


def stability(check_iters=20000):
    """Equilibria, spectral radius at the default steps, qnum's conditions, and a simulation check."""
    cpu0 = time.process_time()
    rows = []
    for name, build in STABILITY_CASES:
        sc = build()
        opt = _certified(sc)
        dyn = Dynamics.of(sc)
        s = _eq(sc, dyn, opt)
        rep = local_stability(dyn, s)
        # largest step multiplier (of both defaults) that keeps ρ < 1, by bisection on a log scale
        lo, hi = 1e-3, 64.0
        if local_stability(dyn.with_steps(a=A0 * hi, b=B0 * hi), s).locally_stable:
            lo = hi
        else:
            for _ in range(30):
                mid = np.sqrt(lo * hi)
                lo, hi = (mid, hi) if local_stability(dyn.with_steps(a=A0 * mid, b=B0 * mid), s).locally_stable \
                    else (lo, mid)
        # simulation check: from 1e-4 (relative) off the equilibrium, does the error shrink or grow?
        pert = s * (1 + 1e-4 * np.random.default_rng(0).standard_normal(s.size))
        x, _, _ = iterate(dyn, pert, check_iters)
        e0, e1 = np.linalg.norm(pert - s), np.linalg.norm(x - s)
        # and from QPrimalDual's default start (qnum's qprimaldual, 2·10^4 iterations)
        run = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=20000, utility=sc.utility)
        with np.errstate(all="ignore"):
            start_gap = abs(run.utility - opt.objective) / abs(opt.objective)
        rows.append({"instance": name, "utility": sc.utility, "routes": dyn.routes, "links": dyn.links,
                     "optimum": opt.objective, "max_fidelity": float(rep.fidelity.max()),
                     "concave_at_equilibrium": rep.concave_at_equilibrium,
                     "lagrangian_hessian_max": rep.lagrangian_hessian_max,
                     "spectral_radius": rep.spectral_radius, "locally_stable": rep.locally_stable,
                     "largest_stable_step_multiplier": float(lo) if lo < 64 else ">= 64",
                     "perturbation_growth": _num(e1 / e0), "default_start_final_gap": _num(start_gap)})
        print(rows[-1], flush=True)
    _write("stability", {"check_iters": check_iters, "rows": rows}, cpu0)


# ---------------------------------------------------------------------------------------- region
def classify(gap, over, window, finite=True):
    """A run's class from its recorded relative gap and overshoot (arrays over the recorded iterations).

    With ``err = max(relative gap, overshoot)`` over the last ``window`` recorded points:
    converged — every ``err <= 1e-3``; diverged — the final state is not finite (``finite``
    False: a rate, Werner parameter or price overflowed) or every ``err > 0.5`` (the run stays far
    from the optimum: it ran away, or sits at E <= 0 where the utility is −inf); oscillating — the
    rest (bounded, not settled: it keeps moving, possibly through points with E <= 0).
    """
    err = np.maximum(gap, over)[-window:]
    if not finite or np.all(err > 0.5):
        return "diverged"
    if np.all(err <= 1e-3):
        return "converged"
    return "oscillating"


REGION_MULTIPLIERS = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
REGION_LATENCIES = [0, 1, 2, 3, 4, 5, 6, 8, 10]


def region(iters=60000, every=200):
    """Step multiplier × latency: simulated class and spectral radius at the equilibrium."""
    cpu0 = time.process_time()
    out = {"multipliers": REGION_MULTIPLIERS, "latencies": REGION_LATENCIES, "iters": iters,
           "record_every": every, "window": 30, "instances": []}
    for name, sc in [("dumbbell-8 distillable", dumbbell(8)),
                     ("nsfnet-20 secret key (seed 2)", nsfnet(20, seed=2, utility="secret-key"))]:
        opt = _certified(sc)
        base = Dynamics.of(sc)
        s = _eq(sc, base, opt)
        mult = np.array(REGION_MULTIPLIERS, float)
        cls = [[None] * len(REGION_LATENCIES) for _ in mult]
        rho = [[None] * len(REGION_LATENCIES) for _ in mult]
        for j, tau in enumerate(REGION_LATENCIES):
            # all multipliers at once: a batch of states, one step pair per state
            full = Dynamics.of(sc, a=A0 * mult, b=B0 * mult, latency=tau, drop_unused=False)
            start = np.repeat(initial_state(full)[None, :], len(mult), axis=0)
            _, _, states = iterate(full, start, iters, record_every=every)
            gap, over = _scores(sc, full, states, opt.objective)          # (T, B)
            for i, m in enumerate(mult):
                rho[i][j] = local_stability(base.with_steps(a=A0 * m, b=B0 * m, latency=tau), s).spectral_radius
                cls[i][j] = classify(gap[:, i], over[:, i], out["window"], bool(np.all(np.isfinite(states[-1, i]))))
            print(name, "latency", tau, [row[j] for row in cls], flush=True)
        # the rescaled steps (a, b divided by 1 + latency) of qnum's documentation, for comparison
        rescaled = []
        for tau in REGION_LATENCIES:
            full = Dynamics.of(sc, a=A0 / (1 + tau), b=B0 / (1 + tau), latency=tau, drop_unused=False)
            _, _, states = iterate(full, initial_state(full), iters, record_every=every)
            gap, over = _scores(sc, full, states, opt.objective)
            rescaled.append({"latency": tau, "class": classify(gap, over, out["window"],
                                                               bool(np.all(np.isfinite(states[-1])))),
                             "spectral_radius": local_stability(base.with_steps(a=A0 / (1 + tau), b=B0 / (1 + tau),
                                                                                latency=tau), s).spectral_radius,
                             "final_gap": _num(gap[-1])})
        out["instances"].append({"name": name, "optimum": opt.objective, "classes": cls, "spectral_radius": rho,
                                 "rescaled": rescaled})
    _write("region", out, cpu0)


# ---------------------------------------------------------------------------------------- effort
def effort(max_iters=80000, every=50):
    """Iterations and CPU seconds of qnum's qprimaldual to stay within 1 % of the optimum, vs routes."""
    cpu0 = time.process_time()
    rows = []
    cases = [("dumbbell", n, ut, (lambda n=n, ut=ut: dumbbell(n, utility=ut)))
             for ut in ("negativity", "distillable") for n in (2, 4, 8, 16, 32, 64, 128)]
    cases += [("nsfnet", n, ut, (lambda n=n, ut=ut: nsfnet(n, seed=0, utility=ut)))
              for ut in ("negativity", "distillable") for n in (5, 10, 20, 40, 91)]
    for family, n, ut, build in cases:
        sc = build()
        opt = _certified(sc, rel_gap=1e-6)
        t0 = time.process_time()
        run = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=max_iters, utility=ut,
                          record_every=every)
        cpu = time.process_time() - t0
        with np.errstate(all="ignore"):
            err = np.maximum(np.abs(run.objective - opt.objective) / abs(opt.objective), run.violations)
        ok = np.where(np.isfinite(err), err, np.inf) <= 1e-2
        reach = None
        if ok[-1]:
            bad = np.flatnonzero(~ok)
            reach = int(run.times[bad[-1] + 1]) if bad.size else 0
        rows.append({"family": family, "pairs": n, "utility": ut, "routes": len(sc.routes),
                     "links": int(np.sum(sc.incidence.sum(axis=1) > 0)), "optimum": opt.objective,
                     "optimum_status": str(opt.status), "iterations_to_1pct": reach,
                     "cpu_s_per_iteration": cpu / max_iters,
                     "cpu_s_to_1pct": None if reach is None else cpu / max_iters * reach})
        print(rows[-1], flush=True)
    _write("effort", {"max_iters": max_iters, "record_every": every, "rows": rows}, cpu0)


def size_rho():
    """Spectral radius at the default steps and largest stable step multiplier against dumbbell size.

    The multiplier is bisected in [1e-3, 64]: a value of 64 means "at least 64".
    """
    cpu0 = time.process_time()
    rows = []
    for ut in ("negativity", "distillable"):
        for n in (2, 4, 8, 16, 32, 64, 128):
            sc = dumbbell(n, utility=ut)
            opt = _certified(sc)
            dyn = Dynamics.of(sc)
            s = _eq(sc, dyn, opt)
            lo, hi = 1e-3, 64.0
            for _ in range(30):
                mid = np.sqrt(lo * hi)
                lo, hi = (mid, hi) if local_stability(dyn.with_steps(a=A0 * mid, b=B0 * mid), s).locally_stable \
                    else (lo, mid)
            rows.append({"utility": ut, "pairs": n, "routes": dyn.routes,
                         "spectral_radius": local_stability(dyn, s).spectral_radius,
                         "largest_stable_step_multiplier": float(lo)})
            print(rows[-1], flush=True)
    _write("size_rho", {"rows": rows}, cpu0)


STUDIES = {"starts": starts, "stability": stability, "region": region, "effort": effort, "size_rho": size_rho}

if __name__ == "__main__":
    which = sys.argv[1:] or list(STUDIES)
    if which == ["all"]:
        which = list(STUDIES)
    for study in which:
        if study not in STUDIES:
            sys.exit(f"study = {study!r}: must be one of {', '.join(STUDIES)} or all")
        STUDIES[study]()
