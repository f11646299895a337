"""Long fuzzing run of the command line's input contract (the CI runs 150 cases per test).

Runs ``tests/test_fuzz_cli.py`` with fresh random cases and prints the outcome counts
(exit status per command). Usage::

    python3 benchmarks/bench_fuzz.py [CASES_PER_TEST]   # default 2000

A failure prints hypothesis's shrunk falsifying input; exit status is pytest's.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cases = int(argv[0]) if argv else 2000
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "outcomes.tsv"
        env = {**os.environ, "QNUM_FUZZ_EXAMPLES": str(cases), "QNUM_FUZZ_RANDOM": "1", "QNUM_FUZZ_LOG": str(log)}
        start = time.perf_counter()
        status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-W", "ignore",
                                  str(ROOT / "tests" / "test_fuzz_cli.py")], cwd=ROOT, env=env)
        seconds = time.perf_counter() - start
        lines = log.read_text().splitlines() if log.exists() else []
    counts = collections.Counter((line.split("\t")[1], line.split("\t")[0]) for line in lines)
    print(f"\n{len(lines)} cases in {seconds:.0f} s (pytest exit {status})")
    print("| command | exit 0 | exit 2 | other |\n| --- | ---: | ---: | ---: |")
    for command in sorted({c for c, _ in counts}):
        other = sum(n for (c, s), n in counts.items() if c == command and s not in ("0", "2"))
        print(f"| {command} | {counts[(command, '0')]} | {counts[(command, '2')]} | {other} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
