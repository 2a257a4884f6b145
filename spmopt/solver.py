"""The one place that talks to pyomo and HiGHS.

Model code states its model once, as arrays (:class:`LinearMip`: bounds, integrality, sparse rows,
objective), and hands it here with a :class:`SolverOptions`; it never names a solver itself.
:meth:`LinearMip.solve` runs HiGHS through ``highspy`` (fast to build: a million columns in well
under a second) or through a pyomo model built from the same arrays (for users who want to inspect
or extend it with pyomo); both run the same HiGHS search. What comes back is a :class:`MipSolution`
whose :class:`SolveInfo` holds the status, the incumbent objective, the best bound and the gap:
proven optimal, stopped at a limit with an incumbent, or infeasible.

Work limits (``node_limit``, ``iteration_limit``) make a solve repeatable on any machine, idle or
busy; ``time_limit`` is a wall-clock safety cap, and a result says when it bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from spmopt.errors import ConfigError

__all__ = [
    "Backend",
    "IncrementalLp",
    "LinearMip",
    "MipSolution",
    "SolveInfo",
    "SolverOptions",
    "relative_gap",
    "solve_highs",
    "solve_pyomo",
]

Status = Literal["optimal", "feasible", "time_limit", "infeasible", "unbounded", "error"]
Backend = Literal["auto", "highspy", "pyomo"]


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
        Solver threads; ``None`` lets HiGHS choose. The territory engine also solves its
        neighbourhood MIPs ahead on up to this many threads (``None``: the usable cores); the
        answer does not depend on it.
    seed : int
        Solver random seed (makes runs repeatable).
    verbose : bool
        Print the solver log.
    node_limit : int or None
        Most branch-and-bound nodes of a MIP (HiGHS ``mip_max_nodes``): a work limit, so the
        result does not depend on the machine's speed or load.
    iteration_limit : int or None
        Most simplex iterations of an LP (HiGHS ``simplex_iteration_limit``), a work limit.
    extra : dict
        Further HiGHS options passed through unchanged (e.g. ``{"mip_heuristic_effort": 0.2}``).
    """

    solver: str = "highs"
    time_limit: float | None = 60.0
    mip_rel_gap: float = 1e-4
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    node_limit: int | None = None
    iteration_limit: int | None = None
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
        for key in ("node_limit", "iteration_limit"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, int | np.integer) or v < 0):
                raise ConfigError(f"SolverOptions.{key}={v!r}: give a whole number >= 0 or None")

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
        if self.node_limit is not None:
            opts["mip_max_nodes"] = int(self.node_limit)
        if self.iteration_limit is not None:
            opts["simplex_iteration_limit"] = int(self.iteration_limit)
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
        ``error`` (stopped with no solution, e.g. a time limit before any incumbent). A work
        limit (nodes, iterations) that stops a solve with an incumbent gives ``feasible``.
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
    time_capped : bool
        Whether the wall-clock ``time_limit`` stopped the solve (its result may then differ
        between machines).
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str = ""
    time_capped: bool = False

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
        time_capped=tc == TerminationCondition.maxTimeLimit,
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
        time_capped=ms == MS.kTimeLimit,
    )


@dataclass(frozen=True)
class MipSolution:
    """What a :meth:`LinearMip.solve` returns.

    Attributes
    ----------
    info : SolveInfo
    x : ndarray or None
        Column values (None without a solution).
    row_dual, col_dual : ndarray or None
        Row duals and reduced costs of an LP solved to optimality (None for a MIP or when the
        backend does not report them).
    iterations : int
        Simplex iterations (LP) or branch-and-bound nodes (MIP) the solve used: its work.
    """

    info: SolveInfo
    x: np.ndarray | None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    iterations: int = 0


@dataclass(frozen=True)
class LinearMip:
    """``min c'x + offset  s.t.  row_lo <= A x <= row_hi,  lb <= x <= ub,  x_j integer where
    integer[j]``: one model, stated as arrays, for either backend.

    Parameters
    ----------
    c, lb, ub : ndarray, (n,)
        Objective coefficients and column bounds (``inf`` for none).
    integer : ndarray of bool, (n,)
        Integrality of each column.
    A : scipy sparse matrix, (m, n)
    row_lo, row_hi : ndarray, (m,)
        Row bounds (``-inf``/``inf`` for none).
    offset : float
        Constant added to the objective (so that a solver's gap is measured on the whole of it).
    """

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sp.spmatrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    offset: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.A.shape[0]), int(self.A.shape[1]))

    @property
    def is_mip(self) -> bool:
        return bool(np.asarray(self.integer, dtype=bool).any())

    def solve(
        self,
        options: SolverOptions | None = None,
        backend: Backend = "highspy",
        *,
        start: np.ndarray | None = None,
        simplex: bool = False,
    ) -> MipSolution:
        """Solve with HiGHS.

        Parameters
        ----------
        options : SolverOptions, optional
        backend : {"highspy", "pyomo", "auto"}
            ``auto`` uses pyomo up to 2,000 columns and highspy arrays above (pyomo's build
            time dominates large models).
        start : ndarray, optional
            A (possibly partial: NaN for unknown) MIP start, highspy only.
        simplex : bool
            Solve an LP by the simplex method (a basic solution, few fractional columns).
        """
        options = options or SolverOptions()
        if backend == "auto":
            backend = "pyomo" if self.shape[1] <= 2_000 else "highspy"
        if backend == "pyomo":
            return _solve_pyomo_arrays(self, options)
        if backend != "highspy":
            raise ConfigError(f"backend={backend!r}; allowed: 'auto', 'highspy', 'pyomo'")
        return _solve_highspy_arrays(self, options, start, simplex)


class IncrementalLp:
    """A :class:`LinearMip`'s LP relaxation held by one HiGHS instance for a sequence of
    re-solves that change column bounds (diving, fixing), each warm-started from the last
    basis by the dual simplex.

    Parameters
    ----------
    mip : LinearMip
        The model; integrality is ignored.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> lp = LinearMip(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
    ...                integer=np.zeros(2, bool), A=sp.csr_matrix([[1.0, 1.0]]),
    ...                row_lo=np.array([1.0]), row_hi=np.array([1.0]))
    >>> inc = IncrementalLp(lp)
    >>> inc.solve().info.objective
    1.0
    >>> inc.set_bounds([0], 0.0, 0.0)
    >>> inc.solve().info.objective
    2.0
    """

    def __init__(self, mip: LinearMip) -> None:
        relaxed = replace(mip, integer=np.zeros(mip.shape[1], dtype=bool))
        self._h = _highs_of(relaxed)
        self._h.setOptionValue("solver", "simplex")

    def set_bounds(self, cols: Sequence[int], lower: float, upper: float) -> None:
        """Set the bounds of the columns ``cols`` to ``[lower, upper]`` (kept until changed)."""
        for j in cols:
            self._h.changeColBounds(int(j), float(lower), float(upper))

    def solve(self, options: SolverOptions | None = None) -> MipSolution:
        """Re-solve from the last basis; ``x`` is None unless an optimum was found."""
        info = solve_highs(self._h, options)
        iterations = int(self._h.getInfo().simplex_iteration_count)
        if info.status != "optimal":
            return MipSolution(info, None, iterations=iterations)
        x = np.asarray(self._h.getSolution().col_value, float)
        return MipSolution(info, x, iterations=iterations)


def _highs_of(mip: LinearMip) -> Any:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    m, n = mip.shape
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(mip.c, float)
    lp.col_lower_ = np.asarray(mip.lb, float)
    lp.col_upper_ = np.asarray(mip.ub, float)
    lp.row_lower_ = np.asarray(mip.row_lo, float)
    lp.row_upper_ = np.asarray(mip.row_hi, float)
    lp.offset_ = float(mip.offset)
    csc = sp.csc_matrix(mip.A)
    csc.sum_duplicates()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    if mip.is_mip:
        integer = np.asarray(mip.integer, dtype=bool)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integer
        ]
    h.passModel(lp)
    return h


def _solve_highspy_arrays(
    mip: LinearMip, options: SolverOptions, start: np.ndarray | None, simplex: bool
) -> MipSolution:
    h = _highs_of(mip)
    if simplex:
        h.setOptionValue("solver", "simplex")
    if start is not None and mip.is_mip:
        x0 = np.asarray(start, float)
        known = np.nonzero(np.isfinite(x0))[0].astype(np.int32)
        h.setSolution(int(known.size), known, x0[known])
    info = solve_highs(h, options)
    if not info.has_solution:
        return MipSolution(info, None)
    sol = h.getSolution()
    hinfo = h.getInfo()
    x = np.asarray(sol.col_value, float)
    if mip.is_mip:
        return MipSolution(info, x, iterations=int(hinfo.mip_node_count))
    dual_ok = bool(getattr(sol, "dual_valid", False))
    return MipSolution(
        info,
        x,
        row_dual=np.asarray(sol.row_dual, float) if dual_ok else None,
        col_dual=np.asarray(sol.col_dual, float) if dual_ok else None,
        iterations=int(hinfo.simplex_iteration_count),
    )


def _solve_pyomo_arrays(mip: LinearMip, options: SolverOptions) -> MipSolution:
    import pyomo.environ as pyo

    m, n = mip.shape
    integer = np.asarray(mip.integer, dtype=bool)
    model = pyo.ConcreteModel(name="linear_mip")
    model.J = pyo.RangeSet(0, n - 1)

    def dom(_: object, j: int) -> object:
        return pyo.Integers if integer[j] else pyo.Reals

    def bnd(_: object, j: int) -> tuple[float | None, float | None]:
        lo, hi = float(mip.lb[j]), float(mip.ub[j])
        return (None if np.isinf(lo) else lo, None if np.isinf(hi) else hi)

    model.x = pyo.Var(model.J, domain=dom, bounds=bnd)
    model.obj = pyo.Objective(
        expr=float(mip.offset)
        + sum(float(mip.c[j]) * model.x[j] for j in range(n) if mip.c[j] != 0.0),
        sense=pyo.minimize,
    )
    A = sp.csr_matrix(mip.A)
    A.sum_duplicates()
    model.rows = pyo.ConstraintList()
    for i in range(m):
        s, e = A.indptr[i], A.indptr[i + 1]
        if s == e:
            continue
        body = sum(float(v) * model.x[int(j)] for j, v in zip(A.indices[s:e], A.data[s:e]))
        lo, hi = float(mip.row_lo[i]), float(mip.row_hi[i])
        if np.isinf(lo) and np.isinf(hi):
            continue
        model.rows.add(
            pyo.inequality(None if np.isinf(lo) else lo, body, None if np.isinf(hi) else hi)
        )
    info = solve_pyomo(model, options)
    if not info.has_solution:
        return MipSolution(info, None)
    x = np.array([pyo.value(model.x[j]) if model.x[j].value is not None else 0.0 for j in range(n)])
    return MipSolution(info, x)
