"""Routing-and-wavelength benchmark (issue 4): DSER and FRFS vs the RWA ILP optimum,
ILP timing on the paper-size network, Tell-PS timing. Not part of the test suite.

Usage::

    python benchmarks/bench_rwa.py [OUT_DIR]
    python benchmarks/bench_rwa.py --study mesh [--seeds N] [OUT_DIR]

Prints the bench table and timing lines; writes rwa_table.md, rwa_served.png and
rwa_trace.png (key rate per event, like DSER's Fig. 11) under OUT_DIR (default benchmarks/),
and the larger random study (NSFNet switch fabric, WSS and OS switches, 20 seeds each, 12
random add/delete events on 28 users, 16 channels): rwa_nsfnet_table.md and
rwa_nsfnet_served.png.

``--study mesh`` runs only the random-mesh study (:func:`mesh_study`): on ``--seeds`` random
meshes (default 40), how often and by how much the k = 3 candidate-path heuristic falls short of
the certified all-path optimum (served, then key rate), and DSER / FRFS (the paper's, one preset
pair) against the optimum; it writes ``rwa_mesh_table.md`` under OUT_DIR and
``notebooks/data/rwa_mesh_study.json`` (read by the gallery notebook ``notebooks/rwa.ipynb``).
"""

from __future__ import annotations

import os
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


MESH_TYPES = ("OS", "WSS")


def random_mesh(seed: int, n_switches: int = 6, extra_edges: int = 3, users_per_switch: int = 2,
                n_pairs: int = 4) -> dict:
    """qnum's random meshed network (network dict): EPS -> WSS -> 3 of ``n_switches`` switches.

    The switches form a random spanning tree plus ``extra_edges`` random chords (a mesh), each
    switch OS (TDM, 1 dB) or WSS (WDM, 5 dB) at random and crossconnecting any port to any other;
    fibres between switches 2-30 km, to users 2-20 km (uniform, seeded). Stand-in for "random
    meshes": the DSER paper evaluates no random topology.
    """
    rng = np.random.default_rng(seed)
    nodes = list(range(n_switches))
    edges = set()
    for i in range(1, n_switches):
        edges.add((int(rng.integers(0, i)), i))
    while len(edges) < n_switches - 1 + extra_edges:
        a, b = sorted(int(x) for x in rng.choice(n_switches, 2, replace=False))
        edges.add((a, b))
    feeds = sorted(int(x) for x in rng.choice(n_switches, 3, replace=False))
    deg = {i: sum(i in e for e in edges) + users_per_switch + (i in feeds) for i in nodes}
    kinds = {i: MESH_TYPES[int(rng.integers(0, 2))] for i in nodes}
    C = 2 * n_pairs
    devices = {"src": {"type": "EPS", "ports": 1}, "mux": {"type": "WSS", "ports": len(feeds) + 1}}
    for i in nodes:
        il = 1.0 if kinds[i] == "OS" else 5.0
        devices[f"s{i}"] = {"type": kinds[i], "ports": deg[i],
                            "loss_dB": [[[None if p == q else il] * C for q in range(deg[i])] for p in range(deg[i])]}
    links = [{"a": ["src", 0], "b": ["mux", 0], "length_km": 0.0}]
    nxt = {i: 0 for i in nodes}

    def port(i):
        nxt[i] += 1
        return nxt[i] - 1

    for j, i in enumerate(feeds):
        links.append({"a": ["mux", j + 1], "b": [f"s{i}", port(i)], "length_km": 1.0})
    for a, b in sorted(edges):
        links.append({"a": [f"s{a}", port(a)], "b": [f"s{b}", port(b)], "length_km": float(rng.uniform(2, 30))})
    u = 0
    for i in nodes:
        for _ in range(users_per_switch):
            u += 1
            devices[f"u{u}"] = {"type": "USER", "ports": 1}
            links.append({"a": [f"s{i}", port(i)], "b": [f"u{u}", 0], "length_km": float(rng.uniform(2, 20))})
    return {"n_pairs": n_pairs, "source": "src", "devices": devices, "links": links}


def mesh_study(out: Path, seeds=range(40), n_requests: int = 5, data: Path | None = None) -> dict:
    """k = 3 candidate paths, DSER and FRFS against the certified all-path optimum on random meshes.

    Each seed: :func:`random_mesh` and ``n_requests`` distinct random user pairs, added in
    that order (the online policies see them in that order; the optimum sees the final set).
    Returns (and writes as JSON to ``data``) the per-seed rows and the summary.
    """
    import json
    import platform
    import random

    from qnum.families.rwa import bench_metrics

    rows = []
    cpu0 = time.process_time()
    for s in seeds:
        net = mesh = random_mesh(s)
        users = [d for d, v in mesh["devices"].items() if v["type"] == "USER"]
        rng, reqs = random.Random(s), []
        while len(reqs) < n_requests:
            a, b = sorted(rng.sample(users, 2), key=lambda x: int(x[1:]))
            if (a, b) not in reqs:
                reqs.append((a, b))
        sc = RWAScenario.from_dict({"kind": "rwa", "name": f"mesh-s{s}", "network": net,
                                    "events": [{"t": i, "op": "add", "users": list(r), "qos": 0} for i, r in
                                               enumerate(reqs)]})
        c0 = time.process_time()
        opt = qnum.solve(sc, "all-paths", time_limit=120)
        c_opt = time.process_time() - c0
        c0 = time.process_time()
        k3 = qnum.solve(sc, "k-paths", k_paths=3, time_limit=120)
        c_k3 = time.process_time() - c0
        row = {"seed": s, "status": str(opt.status), "cpu_all_paths": c_opt, "cpu_k3": c_k3,
               "optimum": bench_metrics(sc, opt), "k3": bench_metrics(sc, k3)}
        for p in ("dser", "frfs"):
            row[p] = bench_metrics(sc, qnum.simulate(sc, p))
        rows.append(row)
        print(f"seed {s}: {row['status']} served opt/k3/dser/frfs {row['optimum']['served']}/{row['k3']['served']}/"
              f"{row['dser']['served']}/{row['frfs']['served']} key rate opt {row['optimum']['total_key_rate']:.4g} "
              f"k3 {row['k3']['total_key_rate']:.4g} dser {row['dser']['total_key_rate']:.4g} "
              f"frfs {row['frfs']['total_key_rate']:.4g} ({c_opt:.2f} s, {c_k3:.2f} s CPU)", flush=True)
    summary = _mesh_summary(rows)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    result = {"command": "python benchmarks/bench_rwa.py --study mesh", "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                              time.gmtime()),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {' '.join(load)} at the end",
              "n_requests": n_requests, "cpu_seconds": time.process_time() - cpu0, "rows": rows, "summary": summary}
    text = _mesh_table(result)
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rwa_mesh_table.md").write_text(text)
    if data is not None:
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _mesh_summary(rows) -> dict:
    """Per heuristic: instances short in served, short in key rate at equal served, mean/max shortfall."""
    out = {"instances": len(rows), "certified": sum(r["status"] == "optimal" for r in rows)}
    for name in ("k3", "dser", "frfs"):
        served_short = [r for r in rows if r[name]["served"] < r["optimum"]["served"]]
        same = [r for r in rows if r[name]["served"] == r["optimum"]["served"] and r["optimum"]["total_key_rate"] > 0]
        ratios = [r[name]["total_key_rate"] / r["optimum"]["total_key_rate"] for r in same]
        short = [1 - x for x in ratios if x < 1 - 1e-9]
        out[name] = {"served_short": len(served_short),
                     "requests_lost": sum(r["optimum"]["served"] - r[name]["served"] for r in served_short),
                     "served_more": sum(r[name]["served"] > r["optimum"]["served"] for r in rows),
                     "equal_served": len(same), "rate_short": len(short),
                     "rate_short_mean": float(np.mean(short)) if short else 0.0,
                     "rate_short_max": float(max(short)) if short else 0.0,
                     "rate_ratio_median": float(np.median(ratios)) if ratios else None}
    return out


def _mesh_table(result) -> str:
    s = result["summary"]
    lines = [f"Random meshes ({s['instances']} seeds, {result['n_requests']} requests each; all-path optimum "
             f"certified on {s['certified']}); {result['command']}, {result['date']}, {result['machine']}, "
             f"{result['cpu_seconds']:.0f} s CPU in all.", "",
             "| method | instances serving fewer than the optimum (requests lost) | at equal served: instances with a "
             "lower key rate | mean / max key-rate shortfall there | median key rate / optimum's |",
             "|---|---|---|---|---|"]
    names = {"k3": "k-paths, k = 3 (heuristic)", "dser": "DSER", "frfs": "FRFS (Li et al., one preset pair)"}
    for key, label in names.items():
        m = s[key]
        med = "-" if m["rate_ratio_median"] is None else f"{m['rate_ratio_median']:.3f}"
        lines.append(f"| {label} | {m['served_short']} ({m['requests_lost']}) | {m['rate_short']} of "
                     f"{m['equal_served']} | {100 * m['rate_short_mean']:.1f} % / {100 * m['rate_short_max']:.1f} % "
                     f"| {med} |")
    cpu = [r["cpu_all_paths"] for r in result["rows"]]
    lines.append("")
    lines.append(f"All-path solve CPU per instance: median {np.median(cpu):.2f} s, max {max(cpu):.2f} s.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(Path(__file__).parent))
    parser.add_argument("--study", choices=("all", "mesh"), default="all")
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    target = Path(args.out)
    if args.study == "mesh":
        mesh_study(target, range(args.seeds),
                   data=Path(__file__).resolve().parents[1] / "notebooks" / "data" / "rwa_mesh_study.json")
    else:
        main(target)
        nsfnet_study(target)
