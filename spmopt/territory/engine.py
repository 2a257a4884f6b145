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

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from spmopt.solver import SolveInfo, SolverOptions, relative_gap
from spmopt.territory.build import AlignmentSettings, ModelGroup
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
from spmopt.territory.phases.compromise import (
    counting_bounds,
    on_candidates_of,
    priced_without_cap,
    widened,
)

__all__ = [
    "EngineResult",
    "best_compromise",
    "finish",
    "proven_by_counting",
    "solve_group",
    "solve_model",
]


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
    counted = counting_bounds(model)
    if max(counted) > 0:  # proven infeasible by counting alone: no repair can succeed
        return finish(
            proven_by_counting(model, counted, budget), options, clock, "best compromise (proven)"
        )
    state = bound(model, SolveState(model=model, counted_lower=0.0), budget)
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


def proven_by_counting(
    model: AlignmentModel, counted: tuple[float, float], budget: Budget
) -> SolveState:
    """The compromise when counting proves that no assignment violates the rows by less than
    ``z0 = max(counted)`` (:func:`~spmopt.territory.phases.compromise.counting_bounds`: the
    bound from locked or outsized items, and the one from the disruption the bands force).

    When the disruption the bands force is what breaks the cap, the bands are met with moves
    priced instead of capped (:func:`~spmopt.territory.phases.compromise.
    priced_without_cap`), which leaves the cap as the one row violated. Otherwise (locked or
    outsized accounts) every row is widened to just past ``z0`` and solved as usual, which
    meets the proof when it is tight. Either way the bound and primal phases run on that
    model, and the compromise phase trades the rows against each other from its answer.
    """
    items, moves = counted
    z0 = max(counted)
    if moves > 0 and moves >= items * (1 - 1e-9):
        relaxed = priced_without_cap(model)
    else:
        relaxed = widened(model, z0 * (1 + 1e-3) + 1e-6)
    st = bound(relaxed, SolveState(model=relaxed), budget)
    if not st.proven_infeasible:
        st = primal(st.model, st, budget)
    back = on_candidates_of(model, st.model)
    state = SolveState(
        model=back,
        dual=st.dual,
        reduced=st.reduced,
        start=st.start,
        best_effort=st.slot if st.slot is not None else st.best_effort,
        proven_infeasible=True,
        counted_lower=z0,
        log=st.log,
    )
    # each bisection step re-solves a restricted LP and chains over every item: a few steps
    # bring most of the gain from a start that already meets the relaxed rows
    work = replace(budget.work, compromise_steps=min(budget.work.compromise_steps, 3))
    return compromise(back, state, replace(budget, work=work))


def best_compromise(
    model: AlignmentModel, options: SolverOptions, *, work: WorkBudget | None = None
) -> EngineResult:
    """The compromise of a model known to be infeasible: :func:`proven_by_counting` when
    counting proves it, else the bound and compromise phases."""
    clock = Clock(options.time_limit)
    budget = Budget(work or WorkBudget(), clock, options)
    counted = counting_bounds(model)
    if max(counted) > 0:
        return finish(proven_by_counting(model, counted, budget), options, clock, "best compromise")
    state = bound(model, SolveState(model=model, counted_lower=0.0), budget)
    state = compromise(state.model, state, budget)
    return finish(state, options, clock, "best compromise")


def solve_group(
    group: ModelGroup,
    settings: AlignmentSettings,
    options: SolverOptions,
    work: WorkBudget,
    tolerance: dict[str, float],
) -> tuple[EngineResult, str | None]:
    """Solve one group of a :class:`~spmopt.territory.build.BuiltAlignment`.

    Pre-solve problems go straight to the best compromise; ``method="mip"`` runs the plain
    pyomo MIP; contiguity runs cut generation (:mod:`spmopt.territory.contiguity`), falling back
    to the best assignment without contiguity, said as such. Returns the result and, when the
    rows cannot all be met, the diagnosis in words.
    """
    from spmopt.territory.diagnose import describe

    model, kind, label = group.model, group.kind, group.label

    def words(res: EngineResult) -> str:
        return (
            describe(res.model, res.compromise, tolerance, kind, label)
            if (res.compromise is not None)
            else ""
        )

    if group.problems:
        res = best_compromise(model, options, work=work)
        return res, "\n".join([*group.problems, words(res)]).strip()
    if settings.contiguity:
        from spmopt.territory.contiguity import solve_contiguous

        assert group.neighbours is not None
        res = solve_contiguous(model, group.neighbours, options)
        if res.slot is not None:
            return res, None
        # always an answer: the best assignment without contiguity, said as such
        alt = solve_model(model, options, work=work)
        why = (
            "without contiguity too: " + words(alt)
            if alt.compromise is not None
            else "without contiguity the bands can be met; the assignment returned meets them "
            "but leaves some territories in pieces"
        )
        info = SolveInfo(
            "infeasible",
            alt.info.objective,
            None,
            None,
            res.info.seconds + alt.info.seconds,
            res.info.message,
            time_capped=res.info.time_capped or alt.info.time_capped,
        )
        diag = f"contiguous territories within the bands were not found ({res.info.message}); "
        return EngineResult(alt.slot, info, alt.model, alt.dual, alt.compromise), diag + why
    if settings.method == "mip":
        from spmopt.territory.mip import solve_pyomo_mip

        res = solve_pyomo_mip(model, options)
        if res.slot is None:
            res = best_compromise(model, options, work=work)
    else:
        res = solve_model(
            model, options, exact_phase=False if settings.method == "heuristic" else None, work=work
        )
    if res.info.status == "infeasible":
        return res, words(res) or res.info.message
    return res, None
