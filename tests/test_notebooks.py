"""Every gallery notebook in notebooks/ runs top to bottom, shows its figures and prints what it promises.

Per notebook, from its metadata ``nb.metadata["qnum"]``:

- ``expected_outputs``: strings its outputs must contain after execution;
- ``min_images`` (default 1): the least number of ``image/png`` outputs after execution.

Besides, the notebook opens (first three markdown cells) with the claims table whose header row is
:data:`CLAIMS_HEADER`, and the *committed* file already holds figures, so a reader on a code host
sees them without running anything. Executed with nbclient (kernel python3, cwd notebooks/).
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
CLAIMS_HEADER = "| Claim | Where in the paper | qnum | Verdict |"

#: Fallback for a notebook whose metadata has no "qnum" entry yet (text its outputs must contain).
EXPECTED = {
    "mqce.ipynb": ["alpha = 0 capacitances equal MST bottlenecks: True", "alpha thresholds [0.9047", "alpha* = 0.136"],
    "pumping.ipynb": ["optimal"],
    "qnum.ipynb": ["optimal 6.4217", "concave below F =", "negativity: convex optimal", "local variant: relative gap"],
    "rwa.ipynb": ["optimal served 3", "n_opt, R(n_opt) at 15/15 dB: (8,"],
}

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def _images(nb) -> int:
    return sum("image/png" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def _text(nb) -> str:
    parts = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            parts.append(o.get("text", ""))
            parts.append(o.get("data", {}).get("text/plain", ""))
            parts.append(o.get("data", {}).get("text/markdown", ""))
            parts.append(o.get("data", {}).get("text/html", ""))
    return "".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _spec(nb, name):
    meta = nb.metadata.get("qnum")
    if meta is None:
        return EXPECTED.get(name, []), 1
    return list(meta.get("expected_outputs", [])), int(meta.get("min_images", 1))


def _opens_with_claims_table(nb) -> bool:
    want = [c.strip() for c in CLAIMS_HEADER.strip("|").split("|")]
    for cell in [c for c in nb.cells if c.cell_type == "markdown"][:3]:
        for line in cell.source.splitlines():
            line = line.strip()
            if line.startswith("|") and line.endswith("|") and [c.strip() for c in line[1:-1].split("|")] == want:
                return True
    return False


@pytest.mark.parametrize("name", NAMES)
def test_notebook_opens_with_claims_table(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert _opens_with_claims_table(nb), f"{name}: no claims table {CLAIMS_HEADER!r} in its first 3 markdown cells"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_shows_figures(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    _, min_images = _spec(nb, name)
    assert _images(nb) >= min_images, (f"{name}: the committed file holds {_images(nb)} figures, wants {min_images} "
                                       "(execute it with nbclient and save it with nbformat.write)")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, monkeypatch):
    # The kernel imports qnum from this checkout, not from whatever copy is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    expected, min_images = _spec(nb, name)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = _text(nb)
    for text in expected:
        assert text in outputs, f"{name}: expected {text!r} in the outputs"
    assert _images(nb) >= min_images, f"{name}: {_images(nb)} figures after execution, wants >= {min_images}"
