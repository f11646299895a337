"""QNUM offline optimum: NSFNet timings and how the certified global solve grows with routes.

Run: ``python benchmarks/bench_qnum.py`` (prints a markdown table).
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


if __name__ == "__main__":
    main(*(tuple(int(v) for v in a.split(",")) for a in sys.argv[1:]))
