"""Exact phase: the MIP left after reduced-cost fixing, solved to the gap asked.

A slot whose reduced cost (LP or Lagrangian, at the bound's multipliers) exceeds the item's
best by more than ``upper - lower`` is in no solution better than the incumbent, so it is
dropped; what remains (usually a few percent of the columns) is solved by HiGHS warm-started
from the incumbent within ``exact_nodes`` nodes. Its bound is valid for the full model. On
pruned models every territory is priced for every item first: territories within the slack
that are not candidates join the model, so the proof holds for the unpruned problem too; when
too many would, the phase is skipped and says so.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from spmopt.solver import relative_gap
from spmopt.territory.highs_model import build_submip, solve_submip
from spmopt.territory.lagrangian import full_reduced_costs
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.state import Budget, SolveState

__all__ = ["EXACT_MAX_COLUMNS", "exact"]

EXACT_MAX_COLUMNS = 8_000


def _full_keep(
    model: AlignmentModel, state: SolveState, slack: float
) -> tuple[AlignmentModel, np.ndarray] | None:
    """On a pruned model: every (item, territory) within ``slack`` of the item's best reduced
    cost over all territories, as a model whose candidates are exactly those (None when there
    are more than :data:`EXACT_MAX_COLUMNS`)."""
    assert state.dual is not None and state.slot is not None
    n = model.n
    inc_k = model.territory_of(state.slot)
    lists: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    moves: list[np.ndarray] = []
    total = 0
    for i0 in range(0, n, 4096):
        i1 = min(n, i0 + 4096)
        r, c, mv = full_reduced_costs(model, state.dual, i0, i1)
        d = r - np.min(r, axis=1, keepdims=True)
        keep = (d <= slack) & np.isfinite(r)
        keep[np.arange(i1 - i0), inc_k[i0:i1]] = True
        total += int(keep.sum())
        if total > EXACT_MAX_COLUMNS:
            return None
        width = int(keep.sum(axis=1).max())
        order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
        rr = np.arange(i1 - i0)[:, None]
        ok = keep[rr, order]
        lists.append(np.where(ok, order, -1))
        costs.append(np.where(ok, c[rr, order], np.inf))
        moves.append(np.where(ok, mv[rr, order], 0.0))
    P = max(x.shape[1] for x in lists)

    def pad(blocks: list[np.ndarray], fill: float) -> np.ndarray:
        return np.vstack(
            [np.pad(b, ((0, 0), (0, P - b.shape[1])), constant_values=fill) for b in blocks]
        )

    wide = replace(
        model, cand=pad(lists, -1).astype(int), cost=pad(costs, np.inf), move=pad(moves, 0.0)
    )
    return wide, wide.slot_of(inc_k)


def exact(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """Reduced-cost fixing and the exact MIP on what is left (see the module docstring)."""
    t0 = time.perf_counter()
    if state.slot is None or state.reduced is None:
        return state
    gap = relative_gap(state.upper, state.lower)
    if gap is not None and gap <= budget.options.mip_rel_gap:
        return state.logged("exact", t0, "skipped: the gap is already closed")
    if budget.clock.expired():
        return state.logged("exact", t0, "skipped: the time cap was reached")
    slack = (state.upper - state.lower) * (1 + 1e-7) + 1e-9 * max(1.0, abs(state.upper))
    work_model, incumbent = model, state.slot
    if model.dense:
        r = np.where(model.valid(), state.reduced, np.inf)
        d = r - (0.0 if state.shares is not None else r.min(axis=1, keepdims=True))
        keep = (d <= slack) & np.isfinite(r)
    else:
        wide = _full_keep(model, state, slack)
        if wide is None:
            return state.logged(
                "exact", t0, f"skipped: more than {EXACT_MAX_COLUMNS:,} columns survive fixing"
            )
        work_model, incumbent = wide
        keep = work_model.valid()
    keep[np.arange(model.n), incumbent] = True
    if int(keep.sum()) > EXACT_MAX_COLUMNS:
        return state.logged(
            "exact", t0, f"skipped: {int(keep.sum()):,} columns survive reduced-cost fixing"
        )
    free = np.nonzero(keep.sum(axis=1) > 1)[0]
    sub = build_submip(work_model, free, keep, incumbent)
    info, slot = solve_submip(sub, budget.solver(nodes=budget.work.exact_nodes), start=incumbent)
    budget.clock.note(info.time_capped)
    lower = state.lower
    if slot is not None and work_model.is_feasible(slot, tol=1e-6):
        k = work_model.territory_of(slot)
        mapped = model.slot_of(k)
        if (mapped >= 0).all():
            state = state.offer(mapped)
        elif work_model.objective(slot) < state.upper:
            # the better assignment uses territories outside the pruned candidates: widen
            state = replace(work_model_state(state, work_model), slot=None, upper=np.inf).offer(
                slot
            )
    if info.status == "infeasible":
        lower = state.upper  # nothing strictly better exists among the kept slots
    elif info.bound is not None and info.status != "error":
        lower = max(lower, min(info.bound, state.upper))
    state = replace(state, lower=lower)
    return state.logged(
        "exact",
        t0,
        f"{int(keep.sum()):,} columns after reduced-cost fixing; HiGHS {info.message}",
    )


def work_model_state(state: SolveState, model: AlignmentModel) -> SolveState:
    """``state`` on a widened ``model`` (reduced costs and shares no longer apply)."""
    return replace(state, model=model, reduced=None, shares=None, start=None)
