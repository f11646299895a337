"""Every notebook in notebooks/ runs from top to bottom and prints what it promises."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: Text each notebook's outputs must contain (a notebook not listed only has to run).
EXPECTED = {
    "mqce.ipynb": ["alpha = 0 capacitances equal MST bottlenecks: True", "alpha thresholds [0.9047", "alpha* = 0.136"],
    "pumping.ipynb": ["optimal"],
    "qnum.ipynb": ["optimal 6.4217", "concave below F =", "negativity: convex optimal", "local variant: relative gap"],
    "rwa.ipynb": ["optimal served 3", "n_opt, R(n_opt) at 15/15 dB: (8,"],
}


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_executes(name):
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for text in EXPECTED.get(name, []):
        assert text in outputs, f"{name}: expected {text!r} in the outputs"
