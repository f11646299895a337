"""QNUM offline optimum: NSFNet timings and how the certified global solve grows with routes.

Run: ``python benchmarks/bench_qnum.py [PAIRS SEEDS]`` (global solve table),
``python benchmarks/bench_qnum.py dynamics [ITERS]`` (QPrimalDual timing),
``python benchmarks/bench_qnum.py germany50 [PAIRS SEEDS]`` (certified solve on Germany50,
600 s limit), ``python benchmarks/bench_qnum.py scale [ROUNDS]`` (QPrimalDual 10^4 iterations
at 1,000 and 10,000 routes, message level at 1,000 routes),
``python benchmarks/bench_qnum.py convex`` (the CVXPY convex model on NSFNet 20 pairs) and
``python benchmarks/bench_qnum.py latency`` (message-level QPrimalDual: slots to converge vs
per-link latency, plain and PI prices) and
``python benchmarks/bench_qnum.py scip [PAIRS,UTILITY,SEED ...] [--limit SECONDS]`` (SCIP side by side with
the certified global solve on the same NSFNet instances; SCIP gets ``--limit`` CPU seconds, default 600);
all print markdown.
Targets (issue 5): NSFNet 20 pairs — concave optimum <= 2 s; non-concave global optimum to
relative gap <= 1e-4 within 120 s.
"""

import sys
import warnings

from qnum.networks.repeater import nsfnet
from qnum.solvers.repeater.branch_and_bound import solve_global


def certified_table(build, pairs, seeds, **limits):
    """Certified solve of ``build(n, seed=, utility=)`` for every utility, pair count and seed."""
    warnings.simplefilter("ignore")
    print("| utility | pairs | seed | status | termination | utility | rel. gap | boxes | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for utility in ("negativity", "distillable", "secret-key"):
        for n in pairs:
            for seed in seeds:
                s = solve_global(build(n, seed=seed, utility=utility), rel_gap=1e-4, **limits)
                print(f"| {utility} | {n} | {seed} | {s.status} | {s.termination} | {s.objective:.6f} "
                      f"| {s.relative_gap:.1e} | {s.values['nodes']} | {s.seconds:.2f} |", flush=True)


def main(pairs=(5, 10, 20, 30, 40), seeds=(0, 1, 2)):
    """Certified solve on NSFNet (default limits: 120 s)."""
    certified_table(nsfnet, pairs, seeds)


def dynamics(iters=10000, seeds=(0, 1, 2)):
    """QPrimalDual: wall time of ``iters`` iterations on NSFNet 20 pairs, gap to the optimum."""
    import time

    from qnum.solvers.repeater.primaldual import qprimaldual
    print("\n| utility | seed | QPrimalDual iterations | seconds | utility | relative gap to optimum "
          "| max capacity violation |")
    print("|---|---|---|---|---|---|---|")
    for utility in ("distillable", "negativity", "secret-key"):
        for seed in seeds:
            sc = nsfnet(20, seed=seed, utility=utility)
            opt = solve_global(sc, rel_gap=1e-6)
            t0 = time.perf_counter()
            run = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=iters, utility=utility)
            U, x, w = run.utility, run.rates, run.werner
            sec = time.perf_counter() - t0
            print(f"| {utility} | {seed} | {iters} | {sec:.2f} | {U:.6f} | {(opt.objective - U) / opt.objective:.1e} "
                  f"| {max(sc.incidence @ x / (sc.capacity_scale * (1 - w)) - 1):.1e} |")


def convex(seeds=(0, 1, 2)):
    """The CVXPY convex model vs the branch and bound on NSFNet 20 pairs."""
    from qnum.models.repeater import ConvexQNUM
    warnings.simplefilter("ignore")
    print("| utility | seed | convex status | envelope exact at optimum | conic solves | convex s (build + solve) "
          "| B&B status | B&B s | convex − B&B (relative) |")
    print("|---|---|---|---|---|---|---|---|---|")
    import time
    for utility in ("negativity", "distillable", "secret-key"):
        for seed in seeds:
            sc = nsfnet(20, seed=seed, utility=utility)
            t0 = time.perf_counter()
            c = ConvexQNUM(sc).solve()
            tc = time.perf_counter() - t0
            g = solve_global(sc, rel_gap=1e-4)
            print(f"| {utility} | {seed} | {c.status} | {c.values['concave_at_optimum']} | {c.values['rounds']} "
                  f"| {tc:.3f} | {g.status} | {g.seconds:.2f} | {(c.objective - g.objective) / abs(g.objective):.1e} |",
                  flush=True)


def latency():
    """Slots until the utility stays within 1 % of the optimum with capacity violation ≤ 1 %."""
    from qnum.networks.repeater import dumbbell
    from qnum.solvers.repeater.messages import qprimaldual_messages
    warnings.simplefilter("ignore")
    print("| instance | hop delay (slots/link) | prices | slots to 1 % | final relative gap | final max violation |")
    print("|---|---|---|---|---|---|")
    for name, sc in (("dumbbell-8 distillable", dumbbell(8)), ("nsfnet-10 distillable", nsfnet(10))):
        opt = solve_global(sc, rel_gap=1e-6).objective
        for delay in (0, 1, 2):
            iters = 20000 * (1 + 5 * delay)
            for label, gain in (("integral", 0.0), ("PI k_P = 100", 100.0)):
                run = qprimaldual_messages(sc, iters=iters, hop_delay=delay, pi_gain=gain, record_every=100)
                U, x, w = run.utility, run.rates, run.werner
                ok = [abs(opt - u) <= 0.01 * abs(opt) and v <= 0.01 for u, v in zip(run.objective, run.violations)]
                # first slot from which every later recorded point stays within 1 %
                first = next((int(run.times[i]) for i in range(len(ok)) if all(ok[i:])), None)
                viol = max(sc.incidence @ x / (sc.capacity_scale * (1 - w)) - 1)
                print(f"| {name} | {delay} | {label} | {first if first is not None else f'> {iters}'} "
                      f"| {(opt - U) / abs(opt):.1e} | {viol:.1e} |", flush=True)


def germany50_table(pairs=(100,), seeds=(0,)):
    """Certified solve on Germany50 (SNDlib), every utility, 600 s limit per instance."""
    from qnum.networks.topologies import germany50

    certified_table(germany50, pairs, seeds, time_limit_s=600, max_nodes=10**6)


def scale():
    """QPrimalDual wall time at 1,000 and 10,000 routes (Germany50, random pairs with repeats)."""
    import time

    import numpy as np

    from qnum.networks.repeater import from_graph
    from qnum.networks.topologies import germany50_graph
    from qnum.solvers.repeater.messages import qprimaldual_messages
    from qnum.solvers.repeater.primaldual import qprimaldual
    g = germany50_graph(0.01)
    nodes = sorted(g)
    import os

    print(f"load average {os.getloadavg()[0]:.1f}\n")
    print("| routes | model | iterations | build s | run s (wall) | run s (CPU) |")
    print("|---|---|---|---|---|---|")
    for R, model, iters in ((1000, "array", 10000), (10000, "array", 10000), (1000, "messages", 20000)):
        rng = np.random.default_rng(0)
        pairs = [tuple(nodes[i] for i in rng.choice(len(nodes), 2, replace=False)) for _ in range(R)]
        t0 = time.perf_counter()
        sc = from_graph(g, pairs)
        t1, c1 = time.perf_counter(), time.process_time()
        if model == "array":
            qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=iters, utility=sc.utility)
        else:
            qprimaldual_messages(sc, iters=iters, hop_delay=1)
        print(f"| {R} | {model} | {iters} | {t1 - t0:.2f} | {time.perf_counter() - t1:.2f} "
              f"| {time.process_time() - c1:.2f} |", flush=True)


SCIP_DEFAULT = ("40,secret-key,0", "40,distillable,0", "20,secret-key,0", "10,secret-key,0", "40,negativity,0",
                "20,distillable,0", "10,distillable,0", "20,negativity,0", "10,negativity,0")


def scip_table(instances=SCIP_DEFAULT, limit=600.0):
    """SCIP (the tests' own model, ``tests/test_qnum_scip.py``) against ``solve_global`` on NSFNet instances.

    Each instance is ``"PAIRS,UTILITY,SEED"``. SCIP's clock is set to CPU time (``timing/clocktype`` 1) so
    that its ``limit`` means the same on a loaded machine; qnum's solve is timed in CPU seconds too
    (``time.process_time``), gap target 1e-4, its default 120 s limit.
    """
    import pathlib
    import time

    import pyscipopt

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
    import test_qnum_scip  # the SCIP formulation is the tests' own, imported, not copied

    models = []

    class CPUClockModel(pyscipopt.Model):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.setParam("timing/clocktype", 1)
            models.append(self)

    pyscipopt.Model = CPUClockModel
    warnings.simplefilter("ignore")
    print("| pairs | utility | seed | qnum status | qnum utility | qnum gap | qnum CPU s | SCIP status "
          "| SCIP primal | SCIP dual | SCIP gap | SCIP nodes | SCIP CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in instances:
        n, utility, seed = spec.split(",")
        sc = nsfnet(int(n), seed=int(seed), utility=utility)
        c0 = time.process_time()
        g = solve_global(sc, rel_gap=1e-4)
        cq = time.process_time() - c0
        c0 = time.process_time()
        try:
            status, obj, dual = test_qnum_scip.scip_optimum(sc, time_limit=limit)
        except Warning as e:  # pyscipopt raises Warning when no primal solution exists at the limit
            status, obj, dual = f"no point ({type(e).__name__})", float("nan"), models[-1].getDualbound()
        cs = time.process_time() - c0
        m = models[-1]
        gap = abs(dual - obj) / max(abs(obj), 1e-12)
        print(f"| {n} | {utility} | {seed} | {g.status} | {g.objective:.6f} | {g.relative_gap:.1e} | {cq:.2f} "
              f"| {status} | {obj:.6f} | {dual:.6f} | {gap:.1e} | {m.getNNodes()} | {cs:.1f} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["convex"]:
        convex()
    elif sys.argv[1:2] == ["latency"]:
        latency()
    elif sys.argv[1:2] == ["germany50"]:
        germany50_table(*(tuple(int(v) for v in a.split(",")) for a in sys.argv[2:]))
    elif sys.argv[1:2] == ["scip"]:
        args = sys.argv[2:]
        lim = 600.0
        if "--limit" in args:
            i = args.index("--limit")
            lim = float(args[i + 1])
            del args[i:i + 2]
        scip_table(tuple(args) or SCIP_DEFAULT, lim)
    elif sys.argv[1:2] == ["scale"]:
        scale()
    elif sys.argv[1:2] == ["dynamics"]:
        dynamics(*(int(v) for v in sys.argv[2:3]))
    else:
        main(*(tuple(int(v) for v in a.split(",")) for a in sys.argv[1:]))
