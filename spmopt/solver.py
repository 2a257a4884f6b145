"""The one place that talks to pyomo and HiGHS.

Model code builds a pyomo model (or a :class:`highspy.Highs` instance from arrays, for large
models) and hands it here with a :class:`SolverOptions`; it never names a solver itself. What comes
back is a :class:`SolveInfo` with the status, the incumbent objective, the best bound and the gap,
whether the solve was proven optimal, stopped at its time limit with an incumbent, or infeasible.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from spmopt.errors import ConfigError

__all__ = ["SolveInfo", "SolverOptions", "relative_gap", "solve_highs", "solve_pyomo"]

Status = Literal["optimal", "feasible", "time_limit", "infeasible", "unbounded", "error"]


@dataclass(frozen=True)
class SolverOptions:
    """Settings of a MIP/LP solve.

    Parameters
    ----------
    solver : str
        Solver name. Only ``"highs"`` (HiGHS through pyomo or highspy) is supported.
    time_limit : float or None
        Wall-clock limit in seconds; ``None`` for none. At the limit the best solution found so far
        is returned with its gap.
    mip_rel_gap : float
        Relative gap ``|incumbent - bound| / |incumbent|`` at which a MIP stops as optimal.
    threads : int or None
        Solver threads; ``None`` lets HiGHS choose.
    seed : int
        Solver random seed (makes runs repeatable).
    verbose : bool
        Print the solver log.
    extra : dict
        Further HiGHS options passed through unchanged (e.g. ``{"mip_heuristic_effort": 0.2}``).
    """

    solver: str = "highs"
    time_limit: float | None = 60.0
    mip_rel_gap: float = 1e-4
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.solver != "highs":
            raise ConfigError(
                f"SolverOptions.solver={self.solver!r} is not supported; allowed: 'highs'"
            )
        if self.time_limit is not None and not self.time_limit > 0:
            raise ConfigError(
                f"SolverOptions.time_limit={self.time_limit!r}: give seconds > 0 or None"
            )
        if not 0 <= self.mip_rel_gap < 1:
            raise ConfigError(f"SolverOptions.mip_rel_gap={self.mip_rel_gap!r}: must be in [0, 1)")

    def highs_options(self) -> dict[str, Any]:
        """The options as HiGHS names them."""
        opts: dict[str, Any] = {
            "mip_rel_gap": float(self.mip_rel_gap),
            "random_seed": int(self.seed),
            "output_flag": bool(self.verbose),
        }
        if self.time_limit is not None:
            opts["time_limit"] = float(self.time_limit)
        if self.threads is not None:
            opts["threads"] = int(self.threads)
        opts.update(self.extra)
        return opts


@dataclass(frozen=True)
class SolveInfo:
    """Outcome of one solve.

    Attributes
    ----------
    status : str
        ``optimal`` (within ``mip_rel_gap``), ``feasible`` (a solution, optimality not proven),
        ``time_limit`` (stopped at the limit with an incumbent), ``infeasible``, ``unbounded`` or
        ``error`` (stopped with no solution, e.g. a time limit before any incumbent).
    objective : float or None
        Objective of the incumbent.
    bound : float or None
        Best proven bound on the objective.
    gap : float or None
        Relative gap between incumbent and bound.
    seconds : float
        Wall time of the solve.
    message : str
        The solver's own termination text.
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str = ""

    @property
    def has_solution(self) -> bool:
        """Whether a solution (optimal or not) can be read."""
        return self.status in ("optimal", "feasible", "time_limit")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``, or None when either is unknown."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    if not math.isfinite(objective):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve_pyomo(model: Any, options: SolverOptions | None = None) -> SolveInfo:
    """Solve a pyomo model with HiGHS and load the solution when there is one.

    Parameters
    ----------
    model : pyomo.environ.ConcreteModel
        A model with one active objective.
    options : SolverOptions, optional

    Returns
    -------
    SolveInfo
        When ``has_solution`` is true the model's variables hold the incumbent.
    """
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    options = options or SolverOptions()
    opt = SolverFactory("highs")
    kwargs: dict[str, Any] = {
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "rel_gap": options.mip_rel_gap,
        "tee": options.verbose,
        "solver_options": {
            k: v
            for k, v in options.highs_options().items()
            if k not in ("mip_rel_gap", "time_limit", "output_flag")
        },
    }
    if options.time_limit is not None:
        kwargs["time_limit"] = options.time_limit
    if options.threads is not None:
        kwargs["threads"] = options.threads
    t0 = time.perf_counter()
    res = opt.solve(model, **kwargs)
    seconds = time.perf_counter() - t0
    tc = res.termination_condition
    has_sol = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    objective = res.incumbent_objective if has_sol else None
    bound = res.objective_bound
    bound = float(bound) if bound is not None and math.isfinite(bound) else None
    status: Status
    if tc == TerminationCondition.convergenceCriteriaSatisfied and has_sol:
        status = "optimal"
    elif tc == TerminationCondition.maxTimeLimit and has_sol:
        status = "time_limit"
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.locallyInfeasible):
        status = "infeasible"
    elif tc == TerminationCondition.infeasibleOrUnbounded:
        status = "infeasible"
    elif tc == TerminationCondition.unbounded:
        status = "unbounded"
    elif has_sol:
        status = "feasible"
    else:
        status = "error"
    if has_sol:
        res.solution_loader.load_vars()
    if status == "optimal" and bound is None:
        bound = objective
    return SolveInfo(
        status=status,
        objective=None if objective is None else float(objective),
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=seconds,
        message=str(tc.name),
    )


def solve_highs(h: Any, options: SolverOptions | None = None) -> SolveInfo:
    """Run a :class:`highspy.Highs` instance already holding a model built from arrays.

    The solution stays in ``h`` (``h.getSolution()``) when ``has_solution`` is true.
    """
    import highspy

    options = options or SolverOptions()
    for k, v in options.highs_options().items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    is_mip = h.getNumCol() > 0 and any(
        t != highspy.HighsVarType.kContinuous for t in (h.getLp().integrality_ or [])
    )
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = float(info.objective_function_value) if has_sol else None
    if is_mip:
        b = info.mip_dual_bound
        bound = float(b) if math.isfinite(b) else None
    else:
        bound = objective if ms == highspy.HighsModelStatus.kOptimal else None
    MS = highspy.HighsModelStatus
    status: Status
    if ms == MS.kOptimal:
        status = "optimal"
    elif ms == MS.kTimeLimit and has_sol:
        status = "time_limit"
    elif ms == MS.kInfeasible:
        status = "infeasible"
    elif ms in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        status = "unbounded" if ms == MS.kUnbounded else "infeasible"
    elif has_sol:
        status = "feasible"
    else:
        status = "error"
    return SolveInfo(
        status=status,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=seconds,
        message=h.modelStatusToString(ms),
    )
