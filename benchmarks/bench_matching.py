"""Slots per second of the pumping simulation on the shipped Table-I matching file (issue 13: >= 10,000).

The matching oracle lists the 25 matchings of at most K = 2 pairs once (exact argmax per
slot); the integer-program oracle it replaced ran ~200 slots/s. Usage::

    python3 benchmarks/bench_matching.py [SLOTS]      # default 100000, policy pf
"""

from __future__ import annotations

import sys
import time

import qnum


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    slots = int(argv[0]) if argv else 100_000
    sc = qnum.load_scenario(qnum.data_path("pumping/table_i_matching_maxmin.json"))
    for policy in ("pf", "greedy", "rr"):
        start = time.perf_counter()
        qnum.simulate(sc, policy, slots=slots)
        seconds = time.perf_counter() - start
        print(f"{policy:7s} {slots} slots in {seconds:6.2f} s: {slots / seconds:9.0f} slots/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
