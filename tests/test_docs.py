"""The documentation site builds in strict mode, shows the gallery's figures, and cannot drift.

- ``mkdocs build --strict`` succeeds (broken links, missing references or anchors, nav files
  missing, a gallery notebook without its claims table all fail it);
- every gallery page shows at least one figure (an ``<img`` in the rendered HTML);
- every method and policy of every family (from the registry) is named on its family page;
- the python blocks of the getting-started page and the tutorial run as written;
- the gallery's generated claims tables count verdicts as the notebooks state them.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
#: scenario kind -> its family page
FAMILY_PAGES = {"pumping": "pumping.md", "rwa": "rwa.md", "mqce": "mqce.md", "qnum": "qnum.md"}
#: pages whose python blocks must run as written (from the repository root)
RUNNABLE_PAGES = ("getting-started.md", "tutorial-own-algorithm.md")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
    assert proc.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems or [proc.stderr[-3000:]])
    return out


def test_site_builds_strict(site):
    assert (site / "index.html").is_file()
    assert (site / "api" / "index.html").is_file()


def test_api_reference_renders_the_contract(site):
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("qnum.api.load_scenario", "qnum.api.solve", "qnum.api.simulate", "qnum.bench.report.compare",
                 "qnum.solution.Solution", "qnum.trace.Trace", "qnum.bench.report.Report", "qnum.errors.InputError",
                 "qnum.networks.pumping.PumpingScenario", "qnum.networks.repeater.RepeaterScenario"):
        assert f'id="{name}"' in html, f"API reference lacks {name}"


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_gallery_page_shows_figures(site, name):
    page = site / "gallery" / name / "index.html"
    assert page.is_file(), f"notebooks/{name}.ipynb is not rendered in the gallery"
    assert "<img" in page.read_text(encoding="utf-8"), f"gallery page {name} shows no figure"


@pytest.mark.parametrize("kind", sorted(FAMILY_PAGES))
def test_family_page_names_every_method_and_policy(kind):
    from qnum.families import family

    plugin = family(kind)
    text = (DOCS / "families" / FAMILY_PAGES[kind]).read_text(encoding="utf-8")
    names = list(plugin.METHODS) + list(plugin.POLICIES) + list(plugin.SIMULATE_OPTIONS)
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/families/{FAMILY_PAGES[kind]} does not name {missing}"


def _blocks(page):
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("page,index", [(p, i) for p in RUNNABLE_PAGES for i in range(len(_blocks(p)))])
def test_page_python_block_runs(page, index, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    source = _blocks(page)[index]
    exec(compile(source, f"docs/{page} python block {index}", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    # the block's documented output (the ```text block right after it) is what it prints
    text = (DOCS / page).read_text(encoding="utf-8")
    after = text.split(source, 1)[1]
    shown = re.match(r"```\s*\n\s*```text\n(.*?)```", after, flags=re.S)
    if shown and "sol.seconds" not in source:
        for line in shown.group(1).splitlines():
            assert line.strip() in printed, f"docs/{page} block {index}: shows {line!r}, prints:\n{printed}"


def _hooks():
    spec = importlib.util.spec_from_file_location("qnum_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notebook(path, table):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title\n\n" + table}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_claims_tables_are_counted_from_the_notebooks(tmp_path, monkeypatch):
    hooks = _hooks()
    _notebook(tmp_path / "pumping.ipynb", "| Claim | Where in the paper | qnum | Verdict |\n|---|---|---|---|\n"
              "| PF optimal | Thm. 1 | gap 1e-6 | reproduced |\n"
              "| RR worst | Fig. 3 | PF > RR > G | **differs**: RR is not worst under any reading |\n"
              "| Markov | Remark 2 | - | partly (one chain) |\n| a \\| b | Sec. 2 | x | not reproduced: no data |\n")
    _notebook(tmp_path / "mqce.ipynb", "no table here")
    monkeypatch.setattr(hooks, "NOTEBOOKS", tmp_path)
    assert [p.stem for p in hooks.notebook_paths()] == ["pumping", "mqce"]
    rows = hooks.claims(tmp_path / "pumping.ipynb")
    assert [hooks.verdict_of(v) for _, _, v in rows] == ["reproduced", "differs", "partly", "not reproduced"]
    assert hooks.claims(tmp_path / "mqce.ipynb") is None
    table = hooks.claims_markdown()
    assert re.search(r"\| \[pumping\]\(pumping\.ipynb\) \| 1 \| 1 \| 1 \| 1 \| 4 \|", table), table
    assert "mqce.ipynb" not in table        # no claims table: left out, and a warning fails the strict build
