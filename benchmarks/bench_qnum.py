"""QNUM offline optimum: NSFNet timings and how the certified global solve grows with routes.

Run: ``python benchmarks/bench_qnum.py [PAIRS SEEDS]`` (global solve table) and
``python benchmarks/bench_qnum.py dynamics [ITERS]`` (QPrimalDual timing); both print markdown.
Targets (issue 5): NSFNet 20 pairs — concave optimum <= 2 s; non-concave global optimum to
relative gap <= 1e-4 within 120 s.
"""

import sys
import warnings

from qnum.networks.repeater import nsfnet
from qnum.solvers.qnum_global import solve_global


def main(pairs=(5, 10, 20, 30, 40), seeds=(0, 1, 2)):
    warnings.simplefilter("ignore")
    print("| utility | pairs | seed | status | utility | rel. gap | boxes | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for utility in ("negativity", "distillable", "secret-key"):
        for n in pairs:
            for seed in seeds:
                s = solve_global(nsfnet(n, seed=seed, utility=utility), rel_gap=1e-4)
                print(f"| {utility} | {n} | {seed} | {s.status} | {s.objective:.6f} | {s.relative_gap:.1e} "
                      f"| {s.values['nodes']} | {s.seconds:.2f} |", flush=True)


def dynamics(iters=10000, seeds=(0, 1, 2)):
    """QPrimalDual: wall time of ``iters`` iterations on NSFNet 20 pairs, gap to the optimum."""
    import time

    from qnum.solvers.qnum_primaldual import qprimaldual
    print("\n| utility | seed | QPrimalDual iterations | seconds | utility | relative gap to optimum | max capacity violation |")
    print("|---|---|---|---|---|---|---|")
    for utility in ("distillable", "negativity", "secret-key"):
        for seed in seeds:
            sc = nsfnet(20, seed=seed, utility=utility)
            opt = solve_global(sc, rel_gap=1e-6)
            t0 = time.perf_counter()
            U, x, w = qprimaldual(sc.capacity_scale, sc.incidence, sc.weights, iters=iters, utility=utility)
            sec = time.perf_counter() - t0
            print(f"| {utility} | {seed} | {iters} | {sec:.2f} | {U:.6f} | {(opt.objective - U) / opt.objective:.1e} "
                  f"| {max(sc.incidence @ x / (sc.capacity_scale * (1 - w)) - 1):.1e} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["dynamics"]:
        dynamics(*(int(v) for v in sys.argv[2:3]))
    else:
        main(*(tuple(int(v) for v in a.split(",")) for a in sys.argv[1:]))
