"""Precomputed studies for the PF-paper gallery notebook (notebooks/pumping.ipynb). Not part of the test suite.

Usage::

    python benchmarks/gallery_pumping.py [theorem1 | sharing | fig3 | all] [--quick]

Writes small JSON files into ``notebooks/data/`` that the notebook loads:

- ``pumping_theorem1.json``: PF-PS running averages against the certified PF optimum on the
  5-node network (Tables I/II, K = 2), fixed, i.i.d. and Markov channels, several seeds;
  the gap ``U* - Σ log r̄_t`` at log-spaced slots, against the optimum over the rate region
  of the stationary law (qnum's reading of Theorem 1) and against the hindsight optimum
  of the realized state frequencies.
- ``pumping_sharing.json``: the PF optimum and PF-PS for per-count factors f_2 in [0.4, 1]
  (f_k < 1: pumping two pairs lowers each pair's SKR; the paper gives no formula, these
  are qnum's stand-ins).
- ``pumping_fig3.json``: the Fig. 3 ordering investigation: PF-PS, G-PS and four readings of
  RR-PS under several readings of the time-varying channel, of the averaging and of the
  plotted metric; the ordering of the three schedulers for each reading.

Every file carries the command, the date, the machine, the load average and the CPU seconds.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's qnum, not an installed one
import qnum  # noqa: E402
from qnum.networks.channels import MarkovChannel, PerturbedQBERChannel  # noqa: E402
from qnum.networks.pumping import table_i  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "notebooks" / "data"
#: stand-in stickiness of the Markov channel: P = RHO * I + (1 - RHO) * 1 π^T (stationary law π,
#: mean sojourn 1 / ((1 - RHO)(1 - π_c)) slots); qnum's choice, the paper gives no chain
MARKOV_RHO = 0.95


def jain(rates) -> float:
    """Jain's fairness index (Σx)² / (n Σx²) of a rate vector (1: all equal, 1/n: one pair has all)."""
    r = np.asarray(rates, dtype=float)
    return float(r.sum() ** 2 / (r.size * np.sum(r ** 2))) if np.any(r > 0) else 0.0


def rnd(x, digits: int = 8):
    """Round floats (and arrays / lists of them) to ``digits`` significant digits for compact JSON."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [rnd(v, digits) for v in x]
    x = float(x)
    return float(f"{x:.{digits}g}") if np.isfinite(x) else (None if np.isnan(x) else (1e308 if x > 0 else -1e308))


def meta(args, cpu: float) -> dict:
    cpu_model = platform.processor() or ""
    if Path("/proc/cpuinfo").exists():
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), cpu_model)
    machine = (f"{platform.machine()} {cpu_model}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}, {platform.system()} {platform.release()}").replace("  ", " ")
    return {"command": "python benchmarks/gallery_pumping.py " + " ".join(args),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "machine": machine,
            "load_average": [round(v, 2) for v in os.getloadavg()],
            "cpu_seconds": round(cpu, 1), "qnum_version": qnum.__version__}


def markov_table_i() -> object:
    """The 3-state i.i.d. stand-in of Tables I/II with a sticky Markov chain of the same stationary law."""
    sc = table_i(2, "iid3")
    pi = sc.probabilities
    P = MARKOV_RHO * np.eye(pi.size) + (1 - MARKOV_RHO) * np.outer(np.ones(pi.size), pi)
    return sc.replace(channel=MarkovChannel(P), name="table-i-markov")


# -- Theorem 1 ------------------------------------------------------------------------------

def theorem1(quick: bool) -> dict:
    slots = 20_000 if quick else 200_000
    seeds = [1, 2] if quick else [1, 2, 3, 4, 5]
    scenarios = {"fixed": table_i(2, "fixed"), "iid": table_i(2, "iid3"), "markov": markov_table_i()}
    out = {"slots": slots, "seeds": seeds, "markov_rho": MARKOV_RHO, "channels": {}}
    for name, sc in scenarios.items():
        opt = qnum.solve(sc)
        blind = qnum.solve(sc.with_states(sc.mean_skr, [1.0]))     # one state with the mean SKRs
        entry = {"optimum": opt.objective, "bound": opt.bound, "status": opt.status,
                 "mean_skr_optimum": blind.objective, "probabilities": sc.probabilities.tolist(),
                 "runs": []}
        if name == "markov":
            entry["transition"] = sc.channel.transition.tolist()
        for seed in seeds if name != "fixed" else seeds[:1]:
            real = sc.channel.realize(sc, slots, seed)
            hind = qnum.solve(sc.with_states(real.skr, real.frequencies()))
            tr = qnum.simulate(sc, "pf", slots=slots, realization=real, checkpoints=120)
            entry["runs"].append({"seed": seed, "hindsight_optimum": hind.objective,
                                  "frequencies": rnd(real.frequencies()), "slots": rnd(tr.times),
                                  "objective": rnd(tr.objective, 12)})
        out["channels"][name] = entry
        print(f"theorem1 {name}: optimum {opt.objective:.6f} (mean-SKR optimum {blind.objective:.6f}); final "
              f"gaps {[round(entry['optimum'] - r['objective'][-1], 6) for r in entry['runs']]}", flush=True)
    return out


# -- sharing --------------------------------------------------------------------------------

def sharing(quick: bool) -> dict:
    factors = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4] if not quick else [1.0, 0.6, 0.5]
    slots = 20_000
    base = table_i(2, "fixed")
    k1 = qnum.solve(base.replace(capacity=1))
    rows = []
    for f2 in factors:
        sc = base if f2 == 1.0 else base.replace(per_count_factor=[1.0, f2])
        opt = qnum.solve(sc)
        rates = sc.vector(opt.values["rates"])
        row = {"f2": f2, "optimum": opt.objective, "bound": opt.bound, "status": opt.status, "solver": opt.solver,
               "throughput": float(rates.sum()), "jain": jain(rates), "rates": rnd(rates)}
        for policy in ("pf", "rr", "greedy"):
            tr = qnum.simulate(sc, policy, slots=slots, seed=1)
            r = sc.vector(tr.final["rates"])
            counts = np.array(list(tr.final["pumped_slots"].values()))
            row[policy] = {"objective": tr.objective[-1], "throughput": float(r.sum()), "jain": jain(r),
                           "pumped_per_slot": float(counts.sum() / slots)}
        rows.append(row)
        print(f"sharing f2={f2}: optimum {opt.objective:.6f} ({opt.solver}), PF-PS {row['pf']['objective']:.6f}, "
              f"pairs pumped per slot {row['pf']['pumped_per_slot']:.3f}", flush=True)
    return {"slots": slots, "scenario": base.name, "capacity_1_optimum": k1.objective, "rows": rows}


# -- Fig. 3 ordering ------------------------------------------------------------------------

class RoundRobinPairs:
    """Time round robin over pairs: K consecutive pairs per slot, cyclically (ignores SKRs and averages)."""

    name = "rr-cyclic-pairs"

    def reset(self, setup):
        self.next = 0

    def decide(self, obs):
        M = len(obs.pairs)
        chosen = [obs.pairs[(self.next + k) % M] for k in range(obs.capacity)]
        self.next = (self.next + obs.capacity) % M
        return chosen


class RoundRobinTopologies:
    """Round robin over every topology of the feasible set 𝒢 (at most K pairs, the empty one included)."""

    name = "rr-cyclic-topologies"

    def reset(self, setup):
        self.next = 0
        self.tops = None

    def decide(self, obs):
        if self.tops is None:
            self.tops = [list(c) for k in range(obs.capacity + 1) for c in itertools.combinations(obs.pairs, k)]
        top = self.tops[self.next]
        self.next = (self.next + 1) % len(self.tops)
        return top


class RoundRobinSkipZero:
    """RR-PS (eq. 9: the K largest 1/r̄) over the pairs whose SKR is > 0 in this slot only."""

    name = "rr-eq9-skip-zero"

    def decide(self, obs):
        live = [e for e in range(len(obs.pairs)) if obs.skr[e] > 0]
        live.sort(key=lambda e: obs.averages[e])
        return [obs.pairs[e] for e in live[:obs.capacity]]


RR_VARIANTS = {"rr-eq9": "rr", "rr-eq9-skip-zero": RoundRobinSkipZero, "rr-cyclic-pairs": RoundRobinPairs,
               "rr-cyclic-topologies": RoundRobinTopologies}

#: the plotted-metric readings: name -> function of the rate vector (bit/s)
METRICS = {
    "sum log r": lambda r: float(np.sum(np.log(np.maximum(r, 1e-300)))),
    "sum log(1+r), r in bit/s": lambda r: float(np.sum(np.log1p(r))),
    "sum log(1+r), r in Mbit/s": lambda r: float(np.sum(np.log1p(r / 1e6))),
    "sum log(1+r), r in Gbit/s": lambda r: float(np.sum(np.log1p(r / 1e9))),
    "throughput": lambda r: float(np.sum(r)),
    "min rate": lambda r: float(np.min(r)),
    "Jain index": jain,
}


def channel_readings(quick: bool) -> list[dict]:
    fixed = [{"channel": "fixed", "mode": None, "delta": 0.0, "period": None}]
    varying = [{"channel": "perturbed", "mode": mode, "delta": d, "period": 100}
               for mode, d in [("walk", 0.005), ("walk", 0.02), ("walk", 0.05), ("iid", 0.005), ("iid", 0.05),
                               ("iid", 0.1)]]
    if not quick:
        varying += [{"channel": "perturbed", "mode": "walk", "delta": 0.05, "period": 10},
                    {"channel": "perturbed", "mode": "iid", "delta": 0.1, "period": 1}]
    else:
        varying = varying[:3]
    return fixed + varying


def fig3(quick: bool) -> dict:
    slots = 5_000 if quick else 20_000
    horizons = [1_000, 5_000] if quick else [1_000, 10_000, 20_000]
    base = table_i(2, "fixed")
    readings = []
    for ch, beta, f2 in itertools.product(channel_readings(quick), [None, 0.01], [1.0, 0.6]):
        sc = base if f2 == 1.0 else base.replace(per_count_factor=[1.0, f2])
        if ch["channel"] == "perturbed":
            sc = sc.replace(channel=PerturbedQBERChannel(period_slots=ch["period"], delta=ch["delta"], mode=ch["mode"]))
        real = sc.channel.realize(sc, slots, 1)
        # slots x pairs with an SKR under 1 % of the pair's nominal SKR (QBER near the 0.11 cut-off)
        zero = float(np.mean(real.skr[real.state_of_slot] < 0.01 * base.skr[0]))
        runs = {}
        for name, policy in {"PF": "pf", "G": "greedy", **RR_VARIANTS}.items():
            pol = policy() if isinstance(policy, type) else policy
            step = {} if beta is None else {"beta": beta}
            tr = qnum.simulate(sc, pol, slots=slots, realization=real, checkpoints=60, **step)
            times = np.asarray(tr.times)
            rates = np.asarray(tr.states["rates"])
            at = {h: rates[int(np.searchsorted(times, h))] for h in horizons}
            runs[name] = {m: [f(at[h]) for h in horizons] for m, f in METRICS.items()}
            if f2 == 1.0 and (ch["mode"] is None or (ch["mode"] == "walk" and ch["period"] == 100
                                                     and ch["delta"] in (0.005, 0.05))):
                runs[name]["series"] = {"slots": rnd(times), "sum log r": rnd(tr.objective, 10),
                                        "sum log(1+r), r in Mbit/s": rnd(np.log1p(rates / 1e6).sum(axis=1)),
                                        "throughput": rnd(rates.sum(axis=1)),
                                        "jain": rnd([jain(r) for r in rates])}
        readings.append({"channel": ch, "beta": beta, "f2": f2, "zero_skr_fraction": zero, "runs": runs})
        label = (f"{ch['channel']} {ch['mode'] or ''} d={ch['delta']} T={ch['period']} "
                 f"{'cumulative' if beta is None else f'beta={beta}'} f2={f2}")
        order = sorted(["PF", "G", "rr-eq9"], key=lambda n: -runs[n]["sum log r"][-1])
        print(f"fig3 {label}: near-zero-SKR fraction {zero:.3f}; sum log r order {' > '.join(order)}", flush=True)
    return {"slots": slots, "horizons": horizons, "metrics": list(METRICS), "rr_variants": list(RR_VARIANTS),
            "readings": readings}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", default="all", choices=["theorem1", "sharing", "fig3", "all"])
    parser.add_argument("--quick", action="store_true", help="fewer slots and readings (a smoke run)")
    parser.add_argument("--out", default=str(OUT), help="output directory (default notebooks/data)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    studies = {"theorem1": theorem1, "sharing": sharing, "fig3": fig3}
    for name in (studies if args.study == "all" else [args.study]):
        t0 = time.process_time()
        data = studies[name](args.quick)
        data["meta"] = meta(sys.argv[1:] if argv is None else argv, time.process_time() - t0)
        path = out / f"pumping_{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {data['meta']['cpu_seconds']} CPU s)", flush=True)


if __name__ == "__main__":
    main()
