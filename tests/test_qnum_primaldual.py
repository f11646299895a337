"""QPrimalDual reaches the certified optimum within 1% on the two-user example."""

import numpy as np

from qnum.physics.werner import link_capacity_scale
from qnum.solvers.qnum_convex import solve_qnum
from qnum.solvers.qnum_primaldual import qprimaldual


def test_two_user_within_1_percent():
    opt = solve_qnum({"u1": 2.0, "u2": 2.0, "s": 2.0},
                     [(["u1", "s"], 1.0), (["u2", "s"], 1.0)]).objective
    d = np.full(3, float(link_capacity_scale(2.0)))
    A = np.array([[1, 0], [0, 1], [1, 1.0]])
    U, x, w = qprimaldual(d, A, np.ones(2))
    assert abs(U - opt) <= 0.01 * abs(opt)
    load = A @ x / d + w - 1
    assert np.all(load < 1e-3)
