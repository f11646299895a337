"""qnum: optimal baselines and online-algorithm verification for quantum networks.

Subpackages: :mod:`qnum.physics` (pure physics), :mod:`qnum.networks` (scenarios),
:mod:`qnum.utility` (utility families), :mod:`qnum.models` (offline models),
:mod:`qnum.solvers` (offline backends and online algorithms), :mod:`qnum.bench`
(online-versus-offline comparisons, plots).
"""

__version__ = "0.1.0"

from qnum import bench, models, networks, physics, solvers, utility  # noqa: E402
from qnum.solution import Solution, Status  # noqa: E402

__all__ = ["bench", "models", "networks", "physics", "solvers", "utility", "Solution", "Status", "__version__"]
