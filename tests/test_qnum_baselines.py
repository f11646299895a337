"""QNUM baselines: never above the certified optimum; PF rates never below equal shares."""

import numpy as np
import pytest

from qnum.networks.repeater import dumbbell, nsfnet, two_user
from qnum.solvers.repeater.baselines import fixed_fidelity_equal_shares, rate_only_num
from qnum.solvers.repeater.branch_and_bound import solve_global


@pytest.mark.parametrize("sc", [two_user(), dumbbell(6, backbone_km=20), nsfnet(10, seed=3),
                                nsfnet(8, seed=1, utility="negativity")],
                         ids=["two-user", "dumbbell", "nsfnet", "nsfnet-negativity"])
def test_baselines_below_optimum(sc):
    opt = solve_global(sc)
    for fidelity in (0.95, 0.97, 0.99):
        u_eq, x_eq = fixed_fidelity_equal_shares(sc, fidelity)
        u_pf, x_pf = rate_only_num(sc, fidelity)
        assert u_eq <= u_pf + 1e-6 * abs(u_pf)           # PF is optimal for fixed fidelity
        assert u_pf <= opt.bound                          # fidelity optimization can only help
        cap = sc.capacity_scale * (1 - (4 * fidelity - 1) / 3)
        assert np.all(sc.incidence @ x_pf <= cap * (1 + 1e-12))
        assert np.all(sc.incidence @ x_eq <= cap * (1 + 1e-12))
