"""The MIP solver behind the rwa integer programs: solver choice, one result shape, model export.

Both rwa ILP methods (``all-paths``, :mod:`qnum.solvers.rwa.allpaths`; ``k-paths``,
:class:`qnum.models.rwa.RWAModel`) solve Pyomo models through :func:`mip_solve`, which takes the
solver option ``solver`` (a Pyomo solver name, default ``appsi_highs``) and returns a
:class:`MipResult` whatever the interface: Pyomo's APPSI interface for ``appsi_highs``, the
``SolverFactory`` interface for the others. qnum passes each solver the relative MIP gap
(``tol``), the time left and, where the solver has one, a 1e-9 feasibility tolerance
(:data:`SOLVER_OPTIONS` lists the option names qnum uses for each solver it knows; it refuses the
others rather than run them without a time limit or gap). :func:`check_solver` refuses a solver
that is not installed with an :class:`~qnum.errors.OptionError` naming it and the available ones,
before any model is built. :func:`export_model` writes a model as MPS or LP (``export`` option)
for re-solving elsewhere.

Examples
--------
>>> import pyomo.environ as pyo
>>> m = pyo.ConcreteModel()
>>> m.x = pyo.Var([0, 1], domain=pyo.Binary)
>>> m.c = pyo.Constraint(expr=m.x[0] + m.x[1] <= 1)
>>> m.obj = pyo.Objective(expr=m.x[0] + 2 * m.x[1], sense=pyo.maximize)
>>> res = mip_solve(m, "appsi_highs", tol=1e-6)
>>> res.termination, res.best_feasible_objective, res.best_objective_bound
('optimal', 2.0, 2.0)
>>> res.load_vars(); pyo.value(m.x[1])
1.0
"""

from __future__ import annotations

import logging
import math
import os

from qnum.errors import OptionError
from qnum.options import Option

log = logging.getLogger(__name__)

#: the default solver (Pyomo's APPSI interface to HiGHS)
DEFAULT_SOLVER = "appsi_highs"
#: feasibility tolerance asked of every solver that takes one (the bound's safety margin uses it)
FEAS_TOL = 1e-9
#: feasibility tolerance assumed for a solver qnum cannot set it on (its usual default)
DEFAULT_FEAS_TOL = 1e-6

#: Per Pyomo solver name: the names of its options for (relative gap, time limit in s, feasibility
#: tolerances set to FEAS_TOL). qnum knows these solvers; only the HiGHS ones are installed with
#: qnum and tested, the others are passed their documented option names.
SOLVER_OPTIONS = {
    "appsi_highs": ("mip_rel_gap", "time_limit", ("mip_feasibility_tolerance", "primal_feasibility_tolerance")),
    "highs": ("mip_rel_gap", "time_limit", ("mip_feasibility_tolerance", "primal_feasibility_tolerance")),
    "gurobi": ("MIPGap", "TimeLimit", ("FeasibilityTol", "IntFeasTol")),
    "gurobi_direct": ("MIPGap", "TimeLimit", ("FeasibilityTol", "IntFeasTol")),
    "cplex": ("mip_tolerances_mipgap", "timelimit", ("simplex_tolerances_feasibility", "mip_tolerances_integrality")),
    "cplex_direct": ("mip_tolerances_mipgap", "timelimit",
                     ("simplex_tolerances_feasibility", "mip_tolerances_integrality")),
    "scip": ("limits/gap", "limits/time", ("numerics/feastol",)),
    "cbc": ("ratio", "sec", ()),
    "glpk": ("mipgap", "tmlim", ()),
}

#: the ``solver`` option of the rwa ILP methods (declared in their METHODS entries)
SOLVER_OPTION = Option("solver", "str", "Pyomo MIP solver name (installed: checked before the model is built)",
                       default=DEFAULT_SOLVER)
#: the ``export`` option of the rwa ILP methods
EXPORT_OPTION = Option("export", "str", "write the model to this path (.mps or .lp) for re-solving elsewhere; "
                       "stage 1 (most requests served) there, the last stage-2 model beside it as "
                       "NAME.stage2.mps / .lp; the solve still runs")


def available_solvers() -> list:
    """The solvers of :data:`SOLVER_OPTIONS` that Pyomo finds on this machine.

    Examples
    --------
    >>> "appsi_highs" in available_solvers()
    True
    """
    return [name for name in SOLVER_OPTIONS if _available(name)]


def _available(name) -> bool:
    import pyomo.environ as pyo

    return bool(pyo.SolverFactory(name).available(exception_flag=False))


def check_solver(name) -> str:
    """``name`` if Pyomo has it and it is installed; :class:`OptionError` naming the available ones otherwise.

    Examples
    --------
    >>> check_solver("appsi_highs")
    'appsi_highs'
    >>> check_solver("nosuch")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: solver = 'nosuch': ...
    """
    if name not in SOLVER_OPTIONS:
        raise OptionError("solver", name, f"qnum passes a gap and a time limit to {', '.join(SOLVER_OPTIONS)} only; "
                          f"installed here: {', '.join(available_solvers()) or 'none'}")
    if not _available(name):
        raise OptionError("solver", name, f"is not installed (Pyomo cannot run it); installed here: "
                          f"{', '.join(available_solvers()) or 'none'}")
    return name


def check_export(path) -> str:
    """``path`` if it ends with .mps or .lp and its directory exists; :class:`OptionError` otherwise.

    Examples
    --------
    >>> check_export("/nonexistent-dir/model.mps")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: export = '/nonexistent-dir/model.mps': its directory does not exist
    >>> check_export("model.txt")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: export = 'model.txt': must end with .mps or .lp
    """
    if not isinstance(path, str) or os.path.splitext(path)[1].lower() not in (".mps", ".lp"):
        raise OptionError("export", path, "must end with .mps or .lp")
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise OptionError("export", path, "its directory does not exist")
    return path


def stage_path(path: str, stage: int) -> str:
    """Where stage ``stage`` of an export goes: ``path`` for stage 1, ``NAME.stage2.EXT`` for stage 2.

    Examples
    --------
    >>> stage_path("out/rwa.mps", 1), stage_path("out/rwa.mps", 2)
    ('out/rwa.mps', 'out/rwa.stage2.mps')
    """
    if stage == 1:
        return path
    root, ext = os.path.splitext(path)
    return f"{root}.stage{stage}{ext}"


def export_model(model, path: str, stage: int) -> str:
    """Write ``model`` (its active objective) as MPS or LP, by the extension; returns the path written."""
    target = stage_path(path, stage)
    model.write(target, io_options={"symbolic_solver_labels": True})   # the format from the extension
    log.info("exported stage %d model to %s", stage, target)
    return target


class MipResult:
    """One solve's outcome: ``termination`` (``optimal``, ``time_limit``, ``infeasible``,
    ``iteration_limit`` or the solver's own word), ``best_feasible_objective`` and
    ``best_objective_bound`` (None when absent), ``feas_tol`` (the feasibility tolerance the
    solver ran with) and ``load_vars()`` (loads the incumbent into the model)."""

    def __init__(self, termination, best_feasible_objective, best_objective_bound, load, feas_tol):
        self.termination = termination
        self.best_feasible_objective = best_feasible_objective
        self.best_objective_bound = best_objective_bound
        self._load = load
        self.feas_tol = feas_tol

    def load_vars(self) -> None:
        self._load()


def mip_solve(model, solver: str = DEFAULT_SOLVER, *, tol: float = 1e-6, time_left: float | None = None) -> MipResult:
    """Solve a Pyomo MIP with ``solver`` (maximize or minimize, one active objective)."""
    gap_name, time_name, feas_names = SOLVER_OPTIONS[solver]
    if solver == "appsi_highs":
        return _appsi_highs(model, tol, time_left)
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC

    options = {gap_name: tol, **{n: FEAS_TOL for n in feas_names}}
    if time_left is not None:
        options[time_name] = max(time_left, 0.01) if solver != "glpk" else max(1, math.ceil(time_left))
    res = pyo.SolverFactory(solver).solve(model, load_solutions=False, options=options)
    tc = res.solver.termination_condition
    words = {TC.optimal: "optimal", TC.maxTimeLimit: "time_limit", TC.infeasible: "infeasible",
             TC.maxIterations: "iteration_limit"}
    termination = words.get(tc, str(tc))
    has_point = len(res.solution) > 0
    obj = next(model.component_data_objects(pyo.Objective, active=True))
    maximize = obj.sense == pyo.maximize
    incumbent = None
    if has_point:
        model.solutions.load_from(res)
        incumbent = float(pyo.value(obj))
    bound = res.problem.upper_bound if maximize else res.problem.lower_bound
    bound = float(bound) if bound is not None and math.isfinite(float(bound)) else None
    if bound is None and termination == "optimal" and incumbent is not None:
        # "optimal" only means within the relative gap tol: the optimum may lie that far beyond the incumbent
        slack = tol * max(abs(incumbent), 1e-300)
        bound = incumbent + slack if maximize else incumbent - slack
    return MipResult(termination, incumbent, bound, lambda: None, FEAS_TOL if feas_names else DEFAULT_FEAS_TOL)


def _appsi_highs(model, tol, time_left) -> MipResult:
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.config.load_solution = False
    opt.config.mip_gap = tol
    opt.highs_options = {"mip_feasibility_tolerance": FEAS_TOL, "primal_feasibility_tolerance": FEAS_TOL}
    if time_left is not None:
        opt.config.time_limit = max(time_left, 0.01)
    res = opt.solve(model)
    words = {TC.optimal: "optimal", TC.maxTimeLimit: "time_limit", TC.infeasible: "infeasible",
             TC.maxIterations: "iteration_limit"}
    bound = res.best_objective_bound
    bound = float(bound) if bound is not None and math.isfinite(bound) else None
    return MipResult(words.get(res.termination_condition, str(res.termination_condition)),
                     res.best_feasible_objective, bound, res.solution_loader.load_vars, FEAS_TOL)
