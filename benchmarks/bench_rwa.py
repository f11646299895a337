"""Routing-and-wavelength benchmark (issue 4): DSER and FRFS vs the RWA ILP optimum,
ILP timing on the paper-size network, Tell-PS timing. Not part of the test suite.

Usage::

    python benchmarks/bench_rwa.py [OUT_DIR]

Prints the bench table and timing lines; writes rwa_table.md, rwa_served.png and
rwa_trace.png (key rate per event, like DSER's Fig. 11) under OUT_DIR (default benchmarks/),
and the larger random study (NSFNet switch fabric, WSS and OS switches, 20 seeds each, 12
random add/delete events on 28 users, 16 channels): rwa_nsfnet_table.md and
rwa_nsfnet_served.png.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import qnum
from qnum.bench.run import run_bench
from qnum.bench.table import format_table
from qnum.families import family
from qnum.models.rwa import RWAModel
from qnum.networks.optical import LockState, dser_network, network_from_dict, tell_ps
from qnum.networks.rwa import RWAScenario, dser_sequence, random_events


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = run_bench([family("rwa")], qnum.solve, qnum.simulate)
    table = format_table(rows)
    print(table)
    (out / "rwa_table.md").write_text(table + "\n")

    # ILP: paper-style network, 8 user pairs, 40 channels (20 pairs), WSS + OS and WSS + WSS
    for fwd in ("OS", "WSS"):
        net = network_from_dict(dser_network("WSS", fwd, n_pairs=20))
        reqs = [tuple(e["users"]) for e in dser_sequence(2)]
        m = RWAModel.for_requests(net, reqs)
        sol = m.solve(time_limit=60)
        print(f"ILP WSS+{fwd}, 8 pairs, 40 channels: status {sol.status}, build {m.build_seconds:.3f} s,"
              f" solve {sol.seconds:.3f} s, served {sol.values.get('served')}, gap {sol.relative_gap}")

    # ILP: NSFNet fabric (14 OS switches), 40 channels, 20 random requests
    import random

    from qnum.models.rwa import validate_allocation
    from qnum.networks.optical import nsfnet_network
    net = network_from_dict(nsfnet_network(20, seed=1))
    rng, reqs = random.Random(1), set()
    while len(reqs) < 20:
        a, b = rng.sample(range(1, 29), 2)
        reqs.add((f"u{min(a, b)}", f"u{max(a, b)}"))
    m = RWAModel.for_requests(net, sorted(reqs))
    sol = m.solve(time_limit=60)
    print(f"ILP NSFNet 14 OS, 40 channels, 20 requests: status {sol.status}, build {m.build_seconds:.2f} s,"
          f" solve {sol.seconds:.2f} s, served {sol.values.get('served')},"
          f" valid {validate_allocation(net, sol.values.get('allocation', {})) == []}")

    # Tell-PS on a ~100-port network (4 WSS fabric devices with 24 users each)
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=20, users_per_device=24))
    ports = sum(d.ports for d in net.devices.values())
    users = net.users
    t0 = time.perf_counter()
    for u in users * 5:
        tell_ps(net, u, LockState())
    per = (time.perf_counter() - t0) / (5 * len(users))
    print(f"Tell-PS: {ports} ports, {1e3 * per:.3f} ms per query")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = sorted({r["instance"] for r in rows})
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for j, meth in enumerate(("optimum", "dser", "frfs")):
        vals = [next(r["served"] for r in rows if r["instance"] == i and r["method"] == meth) for i in inst]
        ax.bar(np.arange(len(inst)) + 0.27 * (j - 1), vals, 0.27, label=meth)
    ax.set_xticks(range(len(inst)), inst, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("served requests")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "rwa_served.png", dpi=110)

    sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"first": "WSS", "forwarding": "OS", "n_pairs": 20},
                                "events": dser_sequence(1)})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for pol in ("dser", "frfs"):
        tr = qnum.simulate(sc, pol)
        ax.step(tr.times, tr.objective, where="post", label=pol)
    opt = [qnum.solve(sc.replace(events=sc.to_dict()["events"][: i + 1])).objective or 0.0
           for i in range(len(sc.events))]
    ax.step(range(1, len(opt) + 1), opt, where="post", label="optimum", linestyle="--")
    ax.set_xlabel("event")
    ax.set_ylabel("total key rate (bit/s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "rwa_trace.png", dpi=110)


def nsfnet_study(out: Path, seeds=range(20)) -> None:
    """Optimum vs DSER vs FRFS on the final active sets of random NSFNet-fabric instances."""
    from qnum.families.rwa import bench_metrics
    from qnum.networks.optical import nsfnet_network
    lines = ["| fabric | seed | active | served opt / dser / frfs | key rate opt | dser | frfs "
             "| jain opt / dser / frfs | ILP s |",
             "|---|---|---|---|---|---|---|---|---|"]
    summary = {}
    for switch in ("WSS", "OS"):
        for s in seeds:
            sc = RWAScenario.from_dict({"kind": "rwa", "name": f"nsfnet-{switch}-s{s}",
                                        "network": nsfnet_network(8, seed=s, switch=switch),
                                        "events": random_events(12, 28, seed=s)})
            sol = qnum.solve(sc, time_limit=60)
            opt = {**bench_metrics(sc, sol), "seconds": sol.seconds}
            on = {p: bench_metrics(sc, qnum.simulate(sc, p)) for p in ("dser", "frfs")}
            acc = summary.setdefault(switch, {"opt": 0, "dser": 0, "frfs": 0, "rate_dser": [], "rate_frfs": [], "n": 0})
            acc["n"] += 1
            acc["opt"] += opt["served"]
            for p in ("dser", "frfs"):
                acc[p] += on[p]["served"]
                ratio = on[p]["total_key_rate"] / opt["total_key_rate"] if opt["total_key_rate"] else 1.0
                acc["rate_" + p].append(ratio)
            lines.append(f"| {switch} | {s} | {len(sc.active_requests())} | {opt['served']} / {on['dser']['served']} / "
                         f"{on['frfs']['served']} | {opt['total_key_rate']:.4g} | {on['dser']['total_key_rate']:.4g} | "
                         f"{on['frfs']['total_key_rate']:.4g} | {opt['jain']:.2f} / {on['dser']['jain']:.2f} / "
                         f"{on['frfs']['jain']:.2f} | {opt['seconds']:.2f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    for switch, acc in summary.items():
        text += (f"\n{switch} fabric, {acc['n']} seeds: served optimum {acc['opt']}, DSER {acc['dser']}, FRFS "
                 f"{acc['frfs']}; key rate / optimum's (median) DSER {np.median(acc['rate_dser']):.2f}, "
                 f"FRFS {np.median(acc['rate_frfs']):.2f}\n")
    print(text)
    (out / "rwa_nsfnet_table.md").write_text(text)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.2))
    names = list(summary)
    for j, meth in enumerate(("opt", "dser", "frfs")):
        ax.bar(np.arange(len(names)) + 0.27 * (j - 1), [summary[n][meth] for n in names], 0.27,
               label={"opt": "optimum"}.get(meth, meth))
    ax.set_xticks(range(len(names)), [f"NSFNet, {n} switches" for n in names])
    ax.set_ylabel(f"served requests, {len(list(seeds))} seeds")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "rwa_nsfnet_served.png", dpi=110)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    main(target)
    nsfnet_study(target)
