"""Every `--json` command on every shipped scenario prints exactly one JSON document on stdout, valid
against its output schema (:mod:`qnum.schema`).

Run as real processes (a solver library printing from C++ writes to file descriptor 1, which an
in-process capture would not see), two at a time.
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from qnum.families import family, kinds
from qnum.schema import output_schema

try:
    import jsonschema
except ImportError:          # the schema check needs the test extra's jsonschema; the JSON check does not
    jsonschema = None

#: the output schema of each command's --json document (qnum.schema)
SCHEMAS = {"solve": "solution", "simulate": "trace", "compare": "report", "bench": "bench"}

DATA = Path(str(resources.files("qnum") / "data"))
KIND_DIRS = {"pumping": "pumping", "rwa": "rwa", "mqce": "mqce", "qnum": "qnum"}


def _commands():
    """solve on every shipped file, every policy once per kind, compare once per kind, a bench."""
    commands = []
    for kind in kinds():
        plugin = family(kind)
        files = [p for p in sorted((DATA / KIND_DIRS[kind]).glob("*")) if p.suffix in (".json", ".toml")]
        commands += [["solve", str(path)] for path in files]
        slots = plugin.SIMULATE_OPTIONS.get("slots")
        for policy in plugin.POLICIES:
            flags = ["--slots=500"] if slots is not None and slots.applies(policy) else []
            commands.append(["simulate", str(files[0]), "--policy", policy, *flags])
        policy = plugin.BENCH_POLICIES[0]
        flags = ["--slots=500"] if slots is not None and slots.applies(policy) else []
        commands.append(["compare", str(files[0]), "--policy", policy, *flags])
    commands.append(["bench", "pumping", "mqce", "--slots", "500", "--no-plots"])
    return commands


def _run(argv):
    proc = subprocess.run([sys.executable, "-m", "qnum", *argv, "--json"], capture_output=True, text=True)
    return argv, proc


def test_every_json_command_prints_one_json_document():
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_run, _commands()))
    bad = []
    for argv, proc in results:
        if proc.returncode == 2:     # refused input (e.g. the alpha policy on a max-min scenario)
            if proc.stdout or proc.stderr.count("\n") != 1 or not proc.stderr.startswith("qnum: error: "):
                bad.append(f"{' '.join(argv)}: exit 2 must print one error line and nothing on stdout")
            continue
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError:
            bad.append(f"{' '.join(argv)}: exit {proc.returncode}, stdout starts {proc.stdout[:120]!r}, "
                       f"stderr ends {proc.stderr[-300:]!r}")
            continue
        if proc.returncode != 0:
            bad.append(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr[-300:]!r}")
            continue
        if jsonschema is not None:
            try:
                jsonschema.validate(doc, output_schema(SCHEMAS[argv[0]]))
            except jsonschema.ValidationError as exc:
                bad.append(f"{' '.join(argv)}: not a valid {SCHEMAS[argv[0]]} document: {exc.message}")
    assert not bad, "\n".join(bad)
