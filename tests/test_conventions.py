"""The conventions researchers expect: logging and quiet modes, -o FILE, readable output, --help, qnum info,
solver names and options, SCIP as a cross-check, no leaked numpy warnings, notebook views, a citable
package, JSON Schemas of the scenario files and outputs."""

import json
import math
import re
import subprocess
import sys
import warnings
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

import qnum
from qnum.cli import main
from qnum.families import family, kinds

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(str(resources.files("qnum") / "data"))
SHIPPED = [p for kind in kinds() for p in sorted((DATA / kind).glob("*")) if p.suffix in (".json", ".toml")]


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_file(path: Path) -> dict:
    return tomllib.loads(path.read_text()) if path.suffix == ".toml" else json.loads(path.read_text())


# -- logging: -v / -vv / -q ---------------------------------------------------------------------

def test_verbose_logs_branch_and_bound_progress_on_stderr_and_stdout_stays_json(capsys):
    code, out, err = run(capsys, "solve", str(DATA / "qnum/nsfnet-20.json"), "--json", "-v")
    assert code == 0 and json.loads(out)["status"] == "optimal"
    lines = err.splitlines()
    assert any("QNUM branch and bound: 20 routes, 21 links" in line for line in lines)
    done = [line for line in lines if "QNUM branch and bound: converged after" in line]
    assert len(done) == 1 and f"after {json.loads(out)['nodes']} boxes" in done[0]
    assert all(line.startswith("qnum INFO qnum.solvers.repeater.branch_and_bound") for line in lines)
    # -vv adds the boxes (DEBUG); the global flag may come before the command
    code, out, err = run(capsys, "-vv", "solve", str(DATA / "qnum/nsfnet-20.json"), "--json")
    nodes = json.loads(out)["nodes"]
    assert code == 0 and sum("DEBUG" in line and " box " in line for line in err.splitlines()) == nodes - 1


@pytest.mark.parametrize("name, needle", [("pumping/table_i_perturbed.json", "separable interior point"),
                                          ("pumping/table_i_matching_maxmin.json", "column generation")])
def test_verbose_logs_pumping_progress(capsys, name, needle):
    code, _, err = run(capsys, "solve", str(DATA / name), "-v", "--json")
    assert code == 0 and needle in err


def test_default_and_quiet_print_nothing_on_stderr(capsys):
    for flags in ([], ["-q"]):
        code, out, err = run(capsys, "solve", str(DATA / "qnum/two-user.json"), *flags)
        assert code == 0 and err == "" and "optimal" in out
    code, out, err = run(capsys, "solve", str(DATA / "qnum/two-user.json"), "-q", "-v")
    assert code == 2 and out == "" and err.startswith("qnum: error: -q") and err.count("\n") == 1


def test_library_logging_is_silent_without_a_handler():
    code = ("import qnum, logging\n"
            "sc = qnum.load_scenario(qnum.data_path('qnum/two-user.json'))\n"
            "logging.getLogger('qnum').setLevel(logging.INFO)\n"
            "qnum.solve(sc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout == "" and proc.stderr == ""


# -- -o FILE ------------------------------------------------------------------------------------

def test_output_json_file_is_the_json_document(tmp_path, capsys):
    target = tmp_path / "out.json"
    code, out, _ = run(capsys, "solve", str(DATA / "qnum/two-user.json"), "--json", "-o", str(target))
    assert code == 0
    printed, written = json.loads(out), json.loads(target.read_text())
    assert {k: v for k, v in written.items() if k != "seconds"} == {k: v for k, v in printed.items() if k != "seconds"}


def test_output_csv_of_a_solve_is_the_labelled_values(tmp_path, capsys):
    target = tmp_path / "values.csv"
    code, out, _ = run(capsys, "solve", str(DATA / "qnum/two-user.json"), "-o", str(target))
    assert code == 0 and f"written to {target}" in out
    frame = pd.read_csv(target, index_col=0)
    sol = qnum.solve(qnum.load_scenario(DATA / "qnum/two-user.json"))
    assert sorted(frame.index) == sorted(list(sol.values["rates"]) + list(sol.values["werner"]))
    for route, rate in sol.values["rates"].items():
        assert frame.loc[route, "rates"] == pytest.approx(rate, rel=1e-6)
        assert math.isnan(frame.loc[route, "werner"])
    for link, w in sol.values["werner"].items():
        assert frame.loc[link, "werner"] == pytest.approx(w, rel=1e-6)


def test_output_csv_spells_pair_labels_as_the_json_output_does(tmp_path, capsys):
    target = tmp_path / "values.csv"
    assert run(capsys, "solve", str(DATA / "pumping/four_node.json"), "-o", str(target))[0] == 0
    frame = pd.read_csv(target, index_col=0)
    code, out, _ = run(capsys, "solve", str(DATA / "pumping/four_node.json"), "--json")
    rates = {f"{i}-{j}": r for i, j, r in json.loads(out)["rates"]}
    assert frame.index.name == "pair" and sorted(frame.index) == sorted(rates)
    for label, rate in rates.items():
        assert frame.loc[label, "rates"] == pytest.approx(rate, rel=1e-9)


def test_output_csv_of_simulate_and_compare_is_the_time_series(tmp_path, capsys):
    path = str(DATA / "pumping/four_node.json")
    sim, comp = tmp_path / "sim.csv", tmp_path / "comp.csv"
    assert run(capsys, "simulate", path, "--policy", "pf", "--slots", "2000", "-o", str(sim))[0] == 0
    assert run(capsys, "compare", path, "--policy", "pf", "--slots", "2000", "-o", str(comp))[0] == 0
    s, c = pd.read_csv(sim), pd.read_csv(comp)
    assert s["slot"].iloc[-1] == 2000 and list(c.columns[:3]) == ["slot", "objective", "optimum"]
    np.testing.assert_allclose(c["gap"], c["optimum"] - c["objective"], rtol=1e-12)
    np.testing.assert_allclose(s["objective"], c["objective"], rtol=1e-12)   # the same seeded run


def test_unknown_output_extension_exits_2_before_running(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)               # a short path: an error message abbreviates long values
    code, out, err = run(capsys, "solve", str(DATA / "qnum/nsfnet-20.json"), "-o", "x.xlsx")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "unknown extension '.xlsx'" in err and "x.xlsx" in err
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("target, problem", [("missing-dir/x.json", "no directory"), (".", "unknown extension"),
                                             ("dir.json", "is a directory")])
def test_unwritable_output_exits_2_before_running(tmp_path, capsys, target, problem):
    (tmp_path / "dir.json").mkdir()
    code, out, err = run(capsys, "solve", str(DATA / "qnum/nsfnet-20.json"), "-o", str(tmp_path / target))
    assert code == 2 and out == "" and err.count("\n") == 1 and problem in err


# -- readable human output ------------------------------------------------------------------------

#: a repr, or a decimal with more than 7 significant digits (leading zeros of 0.000345343 do not count)
_REPRS = re.compile(r"np\.float64|np\.int64|array\(|Status\.|TerminationCondition|object at 0x")
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")


class _Leaks:
    """``search(text)``: the first repr or over-long decimal in ``text`` (a match-like object), else None."""

    @staticmethod
    def search(text):
        found = _REPRS.search(text)
        if found:
            return found
        for m in _DECIMAL.finditer(text):
            if len(m.group(0).replace(".", "").lstrip("0")) > 7:
                return m
        return None


REPR_LEAKS = _Leaks()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_human_output_has_no_reprs_or_long_floats(path, capsys):
    code, out, err = run(capsys, "solve", str(path))
    assert code == 0, err
    assert not REPR_LEAKS.search(out), REPR_LEAKS.search(out).group(0)
    assert all(len(line) <= 200 for line in out.splitlines())


def test_human_output_aligns_the_labelled_values(capsys):
    code, out, _ = run(capsys, "solve", str(DATA / "qnum/two-user.json"))
    assert code == 0
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split() == ["label", "rates", "fidelity"]
    assert len({len(line) for line in table}) == 1          # aligned columns
    sol = qnum.solve(qnum.load_scenario(DATA / "qnum/two-user.json"))
    assert table[1].split() == ["route0", f"{sol.values['rates']['route0']:.6g}",
                                f"{sol.values['fidelity']['route0']:.6g}"]


def test_pumping_schedule_hides_negligible_topologies_and_says_so(capsys):
    code, out, _ = run(capsys, "solve", str(DATA / "pumping/four_node.json"))
    sol = family("pumping").solution_json(*(lambda sc: (sc, qnum.solve(sc)))(
        qnum.load_scenario(DATA / "pumping/four_node.json")))
    probs = [t["prob"] for st in sol["schedule"] for t in st["topologies"]]
    small = sum(p < 1e-6 for p in probs)
    assert small > 0 and f"{small} rows with prob < 1e-06" in out
    assert out.count("0.333333") == len(probs) - small


# -- --help, qnum info ----------------------------------------------------------------------------

def test_solve_help_lists_every_method_and_simulate_help_every_policy(capsys):
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    solve_help = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    simulate_help = capsys.readouterr().out
    for kind in kinds():
        plugin = family(kind)
        for method in plugin.METHODS:
            assert re.search(rf"^\s+{re.escape(method)}\s", solve_help, re.M), (kind, method)
        for policy in plugin.POLICIES:
            assert re.search(rf"^\s+{re.escape(policy)}\s", simulate_help, re.M), (kind, policy)


def test_info_reports_versions_and_solvers(capsys):
    import cvxpy as cp

    code, out, _ = run(capsys, "info", "--json")
    info = json.loads(out)
    assert code == 0 and info["qnum"] == qnum.__version__ and info["python"] == ".".join(map(str, sys.version_info[:3]))
    for name in ("numpy", "scipy", "cvxpy", "pyomo", "highspy", "numba", "dask", "pyscipopt", "topohub"):
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = None
        assert info[name] == expected, name
    assert info["solvers"]["cvxpy"] == sorted(cp.installed_solvers())
    assert "appsi_highs" in info["solvers"]["pyomo"]            # the routing ILP's solver
    code, out, _ = run(capsys, "info")
    assert code == 0 and "CVXPY solvers installed: " in out and "Pyomo solvers available: " in out


# -- --solver and --solver-option -----------------------------------------------------------------

def test_solver_name_and_options_reach_the_method(capsys):
    path = str(DATA / "pumping/four_node.json")
    code, out, _ = run(capsys, "solve", path, "--method", "cvxpy", "--solver", "scs", "--json")
    first = json.loads(out)
    assert code == 0 and first["solver"] == "cvxpy/SCS" and first["status"] == "optimal"
    code, out, _ = run(capsys, "solve", path, "--method", "cvxpy", "--solver-option", "solver=SCS", "--json")
    assert code == 0 and json.loads(out)["solver"] == "cvxpy/SCS"
    code, out, _ = run(capsys, "solve", path, "--method", "cvxpy", "--json")
    assert json.loads(out)["solver"] == "cvxpy/CLARABEL"
    assert json.loads(out)["objective"] == pytest.approx(first["objective"], rel=1e-5)


@pytest.mark.parametrize("argv, needle", [
    (["qnum/two-user.json", "--solver", "CLARABEL"], "solver = 'CLARABEL': not an option of method 'auto' of kind "
                                                     "'qnum' (it takes none)"),
    (["pumping/four_node.json", "--method", "cvxpy", "--solver", "NOSUCH"], "is not an installed CVXPY solver; "
                                                                           "installed: "),
    (["pumping/four_node.json", "--method", "cvxpy", "--solver-option", "max_iters=10"], "max_iters = 10: not an "
                                                                                        "option of method 'cvxpy'"),
    (["pumping/four_node.json", "--solver-option", "solver"], "--solver-option = 'solver': must be KEY=VALUE"),
    (["pumping/four_node.json", "--solver-option", "tol=1e-3"], "give tol as --tol"),
])
def test_solver_option_refusals_exit_2_naming_the_option(capsys, argv, needle):
    code, out, err = run(capsys, "solve", str(DATA / argv[0]), *argv[1:])
    assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_kind_is_passed_to_load_scenario(capsys):
    code, out, _ = run(capsys, "solve", str(DATA / "qnum/two-user.json"), "--kind", "qnum", "--json")
    assert code == 0 and json.loads(out)["kind"] == "qnum"
    code, out, err = run(capsys, "solve", str(DATA / "qnum/two-user.json"), "--kind", "teleport")
    assert code == 2 and out == "" and "teleport" in err


# -- SCIP as a cross-check ------------------------------------------------------------------------

def test_scip_method_agrees_with_global_and_passes_the_validator():
    pytest.importorskip("pyscipopt")
    from qnum.physics.werner import UTILITIES
    from qnum.solvers.repeater.scip import W_ZERO_BELOW

    for utility, w0 in W_ZERO_BELOW.items():       # the variable bounds cut off no point of positive utility
        assert UTILITIES[utility](np.array([w0]))[0] <= 0
    plugin = family("qnum")
    assert plugin.METHODS["scip"].certified
    sc = qnum.load_scenario(DATA / "qnum/two-user.json")
    g = qnum.solve(sc, "global", tol=1e-7)
    s = qnum.solve(sc, "scip", tol=1e-6, time_limit=60)
    assert str(s.status) == "optimal" and s.solver == "scip" and s.family == "qnum"
    assert s.objective == pytest.approx(g.objective, rel=1e-6)
    assert s.bound >= g.objective - 1e-9 and g.bound >= s.objective - 1e-9       # neither bound is contradicted
    objective, problems = plugin.validate_point(sc, s.values)
    assert problems == [] and objective == pytest.approx(s.objective, rel=1e-12)
    assert set(s.values) >= {"rates", "werner", "fidelity"}


def test_scip_on_a_larger_shipped_scenario_is_consistent_within_its_time_limit():
    pytest.importorskip("pyscipopt")
    sc = qnum.load_scenario(DATA / "qnum/dumbbell-8.json")
    g = qnum.solve(sc, "global")
    s = qnum.solve(sc, "scip", time_limit=5.0)
    assert str(s.status) in ("optimal", "time_limit") and s.seconds < 30
    assert s.bound >= g.objective * (1 - 1e-6)            # SCIP's dual bound does not cut off qnum's optimum
    assert g.bound >= s.objective * (1 - 1e-9)            # qnum's bound is not beaten by SCIP's point
    assert family("qnum").validate_point(sc, s.values)[1] == []


def test_scip_missing_is_a_clear_option_error(monkeypatch):
    from qnum.errors import OptionError

    monkeypatch.setitem(sys.modules, "pyscipopt", None)      # as if the extra were not installed
    with pytest.raises(OptionError, match=r"method = 'scip': needs the SCIP solver: pip install 'qnum\[scip\]'"):
        qnum.solve(qnum.load_scenario(DATA / "qnum/two-user.json"), "scip")


# -- no numpy warnings leak from the solvers ------------------------------------------------------

def _warning_cases():
    from qnum.networks.repeater import nsfnet

    cases = [(p.name, qnum.load_scenario(p), "auto") for p in SHIPPED]
    cases += [(p.name, qnum.load_scenario(p), m) for p in sorted((DATA / "qnum").glob("*.json"))
              for m in ("local", "convex")]
    cases.append(("nsfnet-20-secret-key", nsfnet(20, utility="secret-key"), "global"))   # leaked overflow before
    return cases


def test_no_warning_escapes_a_solve_of_any_shipped_file():
    leaked = []
    for name, sc, method in _warning_cases():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = qnum.solve(sc, method)
        assert sol.ok, (name, method, sol.status)
        leaked += [f"{name} ({method}): {w.category.__name__}: {w.message} at {Path(w.filename).name}:{w.lineno}"
                   for w in caught]
    assert not leaked, "\n".join(leaked)


# -- notebook views -------------------------------------------------------------------------------

def test_solution_trace_report_views():
    sc = qnum.load_scenario(DATA / "qnum/two-user.json")
    sol = qnum.solve(sc)
    tr = qnum.simulate(sc, "qprimaldual", slots=2000)
    rep = qnum.compare(tr, sol)
    for obj in (sol, tr, rep):
        text, html = repr(obj), obj._repr_html_()
        assert len(text) < 300 and "\n" not in text and not REPR_LEAKS.search(text), text
        assert html.startswith("<table>") and "object at 0x" not in html and "array(" not in html
    assert "status='optimal'" in repr(sol) and "values=[rates, werner, fidelity, nodes]" in repr(sol)
    assert "optimal" in sol._repr_html_() and "route0" in sol._repr_html_()
    frame = sol.to_frame()
    assert frame.index.name == "label" and list(frame.columns) == ["rates", "werner", "fidelity"]
    assert frame.loc["route1", "fidelity"] == sol.values["fidelity"]["route1"]
    assert sol.to_frame("werner").shape == (3, 1)
    pumping = qnum.solve(qnum.load_scenario(DATA / "pumping/four_node.json"))
    pf = pumping.to_frame()
    assert pf.index.name == "pair" and list(pf.index) == list(pumping.values["rates"])
    assert len(tr.to_frame()) == len(tr) and len(rep.to_frame()) == len(tr)


# -- a citable, typed package ---------------------------------------------------------------------

def test_citation_is_valid_cff_and_its_version_is_the_package_version():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license"} <= set(cff)
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    assert str(cff["version"]) == qnum.__version__
    assert cff["license"] == "MIT" and "MIT License" in (ROOT / "LICENSE").read_text()


def test_changelog_lists_every_release_and_unreleased():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert [m for m in re.findall(r"^## \[([^\]]+)\]", text, re.M)] == ["Unreleased", qnum.__version__, "0.1.0"]


def test_py_typed_ships_as_package_data():
    assert (ROOT / "qnum" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["qnum"]


# -- JSON Schemas ---------------------------------------------------------------------------------

def test_every_schema_is_a_valid_draft_2020_12_schema():
    from qnum.schema import OUTPUTS, output_schema, scenario_schema

    for schema in [scenario_schema(k) for k in kinds()] + [output_schema(n) for n in OUTPUTS]:
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_files_validate_and_a_misspelled_key_does_not(path):
    from qnum.schema import scenario_schema

    data = read_file(path)
    schema = scenario_schema(data["kind"])
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "nodez": 1}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "kind": "other"}, schema)


def test_schema_command_prints_the_schemas(capsys):
    from qnum.schema import output_schema, scenario_schema

    code, out, _ = run(capsys, "schema", "rwa")
    assert code == 0 and json.loads(out) == scenario_schema("rwa")
    code, out, _ = run(capsys, "schema", "--output", "trace")
    assert code == 0 and json.loads(out) == output_schema("trace")
    code, out, err = run(capsys, "schema", "--output", "traces")
    assert code == 2 and out == "" and "traces" in err
    code, out, err = run(capsys, "schema")
    assert code == 2 and out == ""


def test_cli_json_outputs_validate_against_their_schemas(capsys):
    from qnum.schema import SCHEMA_VERSION, output_schema

    path = str(DATA / "qnum/two-user.json")
    for argv, name in ((["solve", path], "solution"),
                       (["simulate", path, "--policy", "qprimaldual", "--slots", "500"], "trace"),
                       (["compare", path, "--policy", "qprimaldual", "--slots", "500"], "report"),
                       (["bench", "mqce", "--no-plots"], "bench")):
        code, out, _ = run(capsys, *argv, "--json")
        doc = json.loads(out)
        assert code == 0 and doc["schema_version"] == SCHEMA_VERSION and doc["environment"]["qnum"] == qnum.__version__
        jsonschema.validate(doc, output_schema(name))
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({k: v for k, v in doc.items() if k != "environment"}, output_schema(name))


def test_sweep_rows_and_manifest_carry_the_schema(tmp_path):
    from qnum.schema import SCHEMA_VERSION, output_schema
    from qnum.sweep import example_path, load_sweep
    from qnum.sweep.runner import make_executor, run_sweep

    spec = load_sweep(example_path("qnum-two-routes"))
    run_sweep(spec, tmp_path, make_executor("inprocess", None, None, None, None), progress=False)
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION and manifest["environment"]["qnum"] == qnum.__version__
    rows = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert rows
    for row in rows:
        jsonschema.validate(row, output_schema("sweep-row"))


def test_compare_refuses_a_bad_solve_option_before_simulating(tmp_path, capsys, monkeypatch):
    """The simulation can be long: a solve option the method does not take is refused before it starts."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spy.py").write_text(
        "import pathlib\n"
        "def decide(observation):\n"
        "    pathlib.Path('simulated').touch()\n"
        "    return [0]\n")
    code, out, err = run(capsys, "compare", str(DATA / "pumping/four_node.json"), "--policy", "spy.py:decide",
                         "--solver-option", "foo=1")
    assert code == 2 and "foo = 1" in err and not (tmp_path / "simulated").exists()
