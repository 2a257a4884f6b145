"""The default solution method: the phases of :mod:`spmopt.territory.phases`, in order.

1. **Bound** (:mod:`~spmopt.territory.phases.bound`): the LP relaxation on dense models, the
   Lagrangian dual with column generation on pruned ones; a bound valid for the full model.
2. **Primal** (:mod:`~spmopt.territory.phases.primal`): round the LP, repair by chains of
   moves and exchanges, single moves and neighbourhood MIPs.
3. **Improve** (:mod:`~spmopt.territory.phases.improve`): boundary MIP and neighbourhood MIPs.
4. **Exact** (:mod:`~spmopt.territory.phases.exact`): reduced-cost fixing, then HiGHS on what
   is left; its bound holds for the full model.
5. **Compromise** (:mod:`~spmopt.territory.phases.compromise`), only when no assignment meets
   every row: the one of least largest violation, then least distance.

Every phase is budgeted by work, so equal inputs and seed give the same assignment on any
machine; the wall-clock ``time_limit`` is a safety cap. The status is ``optimal`` when the gap is
within ``mip_rel_gap``, ``time_limit`` when the cap bound first, ``feasible`` when the work
budget ran out first, ``infeasible`` (with the best compromise) when the rows cannot all be met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from spmopt.solver import SolveInfo, SolverOptions, relative_gap
from spmopt.territory.lagrangian import Dual
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases import (
    Budget,
    Clock,
    Compromise,
    SolveState,
    WorkBudget,
    bound,
    compromise,
    exact,
    improve,
    primal,
)

__all__ = ["EngineResult", "best_compromise", "finish", "solve_model"]


@dataclass(frozen=True)
class EngineResult:
    """The slot chosen per item and the solve outcome.

    ``slot`` meets every row unless ``info.status == "infeasible"``, where it is the best
    compromise (``compromise`` says how far it is off); None only when there is no answer.
    """

    slot: np.ndarray | None
    info: SolveInfo
    model: AlignmentModel
    dual: Dual | None = None
    compromise: Compromise | None = None
    state: SolveState | None = None


def finish(state: SolveState, options: SolverOptions, clock: Clock, method: str) -> EngineResult:
    """The :class:`EngineResult` of a finished run of the phases."""
    model = state.model
    seconds = clock.elapsed()
    trail = "; ".join(f"{p.name}: {p.note}" for p in state.log)
    cap = (
        f" The wall-clock cap of {clock.limit:g} s bound, so the result may differ between "
        "machines; raise time_limit to let the work budget decide."
        if clock.capped
        else ""
    )
    if state.slot is not None:
        upper = float(state.upper)
        lower = float(min(state.lower, upper))
        gap = relative_gap(upper, lower)
        status: Literal["optimal", "time_limit", "feasible"]
        if gap is not None and gap <= options.mip_rel_gap + 1e-12:
            status = "optimal"
        elif clock.capped:
            status = "time_limit"
        else:
            status = "feasible"
        info = SolveInfo(
            status,
            upper,
            lower,
            gap,
            seconds,
            f"{method} ({trail}).{cap}",
            time_capped=clock.capped,
        )
        return EngineResult(state.slot, info, model, state.dual, None, state)
    comp = state.compromise
    slot = comp.slot if comp is not None else state.best_effort
    obj = float(model.objective(slot)) if slot is not None else None
    info = SolveInfo(
        "infeasible",
        obj,
        None,
        None,
        seconds,
        f"{method} ({trail}).{cap}",
        time_capped=clock.capped,
    )
    return EngineResult(slot, info, model, state.dual, comp, state)


def solve_model(
    model: AlignmentModel,
    options: SolverOptions,
    *,
    exact_phase: bool | None = None,
    work: WorkBudget | None = None,
) -> EngineResult:
    """Solve ``model`` by the phases (see the module docstring).

    Parameters
    ----------
    model : AlignmentModel
    options : SolverOptions
        ``time_limit`` is the safety cap of the whole solve; ``mip_rel_gap`` the gap at which
        it stops as optimal.
    exact_phase : bool or None
        Run the exact phase (None: on dense models; True: on pruned ones too, pricing every
        territory so that the proof holds for the unpruned model).
    work : WorkBudget, optional
        Work per phase (the defaults when None).
    """
    clock = Clock(options.time_limit)
    budget = Budget(work or WorkBudget(), clock, options)
    state = bound(model, SolveState(model=model), budget)
    model = state.model
    if not state.proven_infeasible:
        state = primal(model, state, budget)
    if state.slot is not None:
        state = improve(model, state, budget)
        if exact_phase or (exact_phase is None and model.dense):
            state = exact(model, state, budget)
    else:
        state = compromise(model, state, budget)
        if state.slot is not None:  # the compromise search met every row after all
            state = improve(model, state, budget)
    method = (
        "LP bound, rounding and chain repair, boundary and neighbourhood MIPs, "
        "reduced-cost-fixed MIP (HiGHS)"
        if model.dense
        else "Lagrangian bound with column generation, LP rounding and chain repair, "
        "boundary and neighbourhood MIPs (HiGHS)"
    )
    return finish(state, options, clock, method)


def best_compromise(
    model: AlignmentModel, options: SolverOptions, *, work: WorkBudget | None = None
) -> EngineResult:
    """Only the bound and compromise phases: for a model known to be infeasible."""
    clock = Clock(options.time_limit)
    budget = Budget(work or WorkBudget(), clock, options)
    state = bound(model, SolveState(model=model), budget)
    state = compromise(state.model, state, budget)
    return finish(state, options, clock, "best compromise")
