"""MkDocs hooks of the qnum site: the gallery notebooks and the claims tables generated from them.

The gallery notebooks live in ``notebooks/`` (the test suite executes them there); this hook adds
each ``notebooks/<name>.ipynb`` to the site as ``gallery/<name>.ipynb`` (rendered by mkdocs-jupyter
as committed, never executed by the build), and replaces the marker ``<!-- qnum:claims -->`` in
``gallery/index.md`` by tables generated from the notebooks' claims tables (the markdown table
whose header row is ``| Claim | Where in the paper | qnum | Verdict |``), so the index cannot drift
from the notebooks. A notebook without a claims table, or a verdict outside the four allowed, is a
warning, which fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.qnum")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MARKER = "<!-- qnum:claims -->"
HEADER = "| Claim | Where in the paper | qnum | Verdict |"
VERDICTS = ("reproduced", "partly", "differs", "not reproduced")

#: notebook stem -> the paper it reproduces (bibliographic reference, shown in the generated table)
PAPERS = {
    "pumping": "S. Bhambay, N. Joshi, T. Vasantam, N. Walton, *The Proportional Fair Scheduler in "
               "Wavelength-Multiplexed Quantum Networks*, IEEE QCE 2025, arXiv:2507.13999",
    "rwa": "Han, Liu, Tang et al., *Differentiated Service Entanglement Routing for Quantum Networks*, "
           "Quantum Sci. Technol. 2025, arXiv:2401.17503",
    "qnum": "N. K. Panigrahy, L. Bacciottini, C. V. Hollot, E. A. Van Milligen, M. Guedes de Andrade, "
            "N. S. V. Rao, G. Vardoyan, D. Towsley, *A Framework for Distributed Resource Allocation in "
            "Quantum Networks*, arXiv:2510.09371",
    "mqce": "L. Cirigliano, V. Brosco, C. Castellano, C. Conti, L. Pilozzi, *Optimal quantum key distribution "
            "networks: capacitance versus security*, npj Quantum Information 2024, arXiv:2312.04221",
}


def notebook_paths() -> list[Path]:
    """The gallery notebooks, in the order of :data:`PAPERS` (then any other, by name)."""
    found = {p.stem: p for p in NOTEBOOKS.glob("*.ipynb")}
    return [found[s] for s in PAPERS if s in found] + [found[s] for s in sorted(found) if s not in PAPERS]


def verdict_of(cell: str) -> str | None:
    """The verdict a claims-table cell starts with (markdown emphasis ignored), or None.

    >>> verdict_of("**partly**: only the ordering")
    'partly'
    >>> verdict_of("Not reproduced (no data)")
    'not reproduced'
    >>> verdict_of("maybe") is None
    True
    """
    text = re.sub(r"[*_`]", "", cell).strip().lower()
    for verdict in ("not reproduced", "reproduced", "partly", "differs"):
        if text.startswith(verdict):
            return verdict
    return None


def claims(path: Path) -> list[tuple[str, str, str]] | None:
    """``[(claim, where, verdict cell), ...]`` of a notebook's claims table, or None without one.

    The table is the first markdown table, in the notebook's first three markdown cells, whose
    header row is :data:`HEADER` (spacing inside the row ignored).
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = [c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"][:3]
    want = _cells(HEADER)
    for cell in markdown:
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).splitlines()
        for i, line in enumerate(lines):
            if _cells(line) != want:
                continue
            rows = []
            for row in lines[i + 2:]:
                if not row.strip().startswith("|"):
                    break
                parts = _cells(row)
                if len(parts) >= 4:
                    rows.append((parts[0], parts[1], parts[3]))
            return rows
    return None


def _cells(line: str) -> list[str]:
    line = line.strip()
    if not (line.startswith("|") and line.endswith("|")):
        return []
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def claims_markdown() -> str:
    """The generated gallery tables: counts by verdict per paper, then each paper's claims."""
    summary = ["| Paper | Notebook | " + " | ".join(VERDICTS) + " | claims |",
               "|---|---|" + "---:|" * (len(VERDICTS) + 1)]
    details = []
    for path in notebook_paths():
        stem = path.stem
        rows = claims(path)
        if rows is None:
            log.warning("gallery: notebooks/%s has no claims table (a markdown table with header %s in its "
                        "first three markdown cells)", path.name, HEADER)
            continue
        counts = dict.fromkeys(VERDICTS, 0)
        lines = [f"### {stem}: {PAPERS.get(stem, stem)}", "", "| Claim | Where in the paper | Verdict |",
                 "|---|---|---|"]
        for claim, where, verdict_cell in rows:
            verdict = verdict_of(verdict_cell)
            if verdict is None:
                log.warning("gallery: notebooks/%s claim %r has verdict %r, not one of %s", path.name, claim,
                            verdict_cell, ", ".join(VERDICTS))
                continue
            counts[verdict] += 1
            lines.append(f"| {claim} | {where} | {verdict_cell} |")
        summary.append(f"| {PAPERS.get(stem, stem)} | [{stem}]({stem}.ipynb) | "
                       + " | ".join(str(counts[v]) for v in VERDICTS) + f" | {sum(counts.values())} |")
        details += lines + [""]
    return "\n".join(summary + [""] + details)


@event_priority(100)  # before mkdocs-jupyter wraps the .ipynb files
def _add_notebooks(files, config):
    """Add ``notebooks/<name>.ipynb`` as the page ``gallery/<name>.ipynb``."""
    for path in notebook_paths():
        uri = f"gallery/{path.name}"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


@event_priority(-100)  # after mkdocs-jupyter
def _fix_wrapped_notebooks(files, config):
    """Give mkdocs-jupyter's wrappers of the generated files their source path.

    Its wrapper recomputes ``abs_src_path`` from ``src_dir``, which a generated file has not;
    the wrapped file knows the path.
    """
    for f in files:
        inner = f.__dict__.get("file")
        if inner is not None and getattr(inner, "generated_by", None) and inner.abs_src_path:
            f.__dict__["abs_src_path"] = inner.abs_src_path
    return files


on_files = CombinedEvent(_add_notebooks, _fix_wrapped_notebooks)


def on_page_markdown(markdown, page, config, files):
    """Replace the claims marker of the gallery index by the generated tables."""
    if MARKER in markdown:
        return markdown.replace(MARKER, claims_markdown())
    return markdown


def on_serve(server, config, builder):
    """``mkdocs serve`` rebuilds when a notebook changes."""
    server.watch(str(NOTEBOOKS))
    return server
