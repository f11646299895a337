"""Architecture guard rails: import layering, no import cycles, only the family asked for is imported."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "qnum"

#: layer of each top-level part; a module may import its own layer or lower ones only
LAYERS = {
    "errors": 0, "solution": 0, "trace": 0, "options": 0, "policies": 0, "limits": 0, "physics": 0, "utility": 0,
    "environment": 0,
    "networks": 1,
    "models": 2, "solvers": 2,
    "bench": 3, "schema": 3,
    "families": 4,
    "api": 5,
    "cli": 6, "sweep": 6, "examples": 6, "__main__": 6,
}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(path):
    """Every qnum module a file imports (top-level and inside functions)."""
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("qnum"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qnum") and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _part(module: str):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_layers_only_import_downwards():
    known = {name for name, _ in _modules()}
    bad = []
    for name, path in _modules():
        part = _part(name)
        if part is None:          # qnum/__init__.py: lazy re-exports only
            continue
        for target in _imports(path):
            while target not in known and "." in target:   # "from qnum.x import func" -> qnum.x
                target = target.rsplit(".", 1)[0]
            tpart = _part(target)
            if tpart is None or tpart not in LAYERS or part not in LAYERS:
                continue
            if LAYERS[tpart] > LAYERS[part]:
                bad.append(f"{name} -> {target}")
    assert not bad, "imports against the layering: " + "; ".join(bad)


def test_every_part_has_a_layer():
    parts = {_part(name) for name, _ in _modules()} - {None}
    assert parts <= set(LAYERS), f"unlayered parts: {parts - set(LAYERS)}"


def test_no_import_cycles_between_modules():
    import networkx as nx

    known = {name for name, _ in _modules()}
    graph = nx.DiGraph()
    for name, path in _modules():
        if name.count(".") == 0 or path.name == "__init__.py":   # packages re-export lazily
            continue
        for target in _imports(path):
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name and not (ROOT.parent / target.replace(".", "/")).is_dir():
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_a_pumping_solve_imports_no_other_family_machinery():
    # Table I with independent SKRs: the separable interior-point method, no CVXPY, and at this size
    # not even scipy or networkx (start-up is most of a small command-line solve). (Methods that
    # use CVXPY import it, and CVXPY itself imports pyscipopt when it is installed.)
    code = (
        "import sys, qnum\n"
        "sc = qnum.load_scenario(qnum.data_path('pumping/table_i_perturbed.json'))\n"
        "sol = qnum.solve(sc)\n"
        "rep = qnum.compare(qnum.simulate(sc, 'pf', slots=100), sol)\n"
        "heavy = [m for m in ('pyomo', 'numba', 'dask', 'pyscipopt', 'distributed', 'cvxpy', 'scipy', 'networkx')\n"
        "         if m in sys.modules]\n"
        "print(sol.status, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "optimal []"


def test_a_bad_kind_is_reported_without_importing_solvers(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"kind": "pumpin"}')
    code = (f"import sys\nfrom qnum.cli import main\nrc = main(['solve', {str(path)!r}])\n"
            "print(rc, [m for m in ('pyomo', 'numba', 'cvxpy', 'pyscipopt') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "2 []"
    assert proc.stderr.strip() == "qnum: error: kind = 'pumpin': must be one of pumping, rwa, mqce, qnum"


def test_the_code_is_clean_under_the_projects_ruff_configuration():
    root = ROOT.parent
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "qnum", "tests", "benchmarks"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
