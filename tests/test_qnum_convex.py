"""QNUM concave solve: the issue's known value and bad input."""

import numpy as np
import pytest

from qnum.errors import ScenarioError
from qnum.physics.werner import distillable, fidelity_from_werner
from qnum.solvers.qnum_convex import solve_qnum

LINKS = {"u1": 2.0, "u2": 2.0, "s": 2.0}
ROUTES = [(["u1", "s"], 1.0), (["u2", "s"], 1.0)]


def test_known_value():
    s = solve_qnum(LINKS, ROUTES)
    assert s.objective == pytest.approx(6.4217, abs=2e-4)
    assert s.values["rates"] == pytest.approx([58.10, 58.10], abs=0.01)
    assert s.values["fidelity"] == pytest.approx([0.9112, 0.9112], abs=1e-4)


def test_hashing_threshold():
    assert distillable((4 * 0.812 - 1) / 3) > 0 > distillable((4 * 0.810 - 1) / 3)
    assert float(fidelity_from_werner(1.0)) == 1.0


@pytest.mark.parametrize("links,routes,utility", [
    (LINKS, [(["u1", "zz"], 1.0)], "distillable"),
    (LINKS, [([], 1.0)], "distillable"),
    ({"u1": -1.0}, [(["u1"], 1.0)], "distillable"),
    (LINKS, ROUTES, "nope"),
    (LINKS, [(["u1"], 0.0)], "distillable"),
])
def test_bad_input(links, routes, utility):
    with pytest.raises(ScenarioError):
        solve_qnum(links, routes, utility)

