"""LP diving: an integer assignment that stays close to the LP optimum.

On dense models with lumpy items (a few accounts worth a fifth of a territory's target) and
two balance attributes, rounding the LP and repairing it by chains of moves lands several
percent above the bound, and HiGHS' branch and bound improves on that only slowly. Diving
keeps the LP in charge of the repair instead::

    solve the LP relaxation (simplex)
    repeat  (at most ``dive_rounds`` times)
        F = items the LP splits;  stop when F is empty (the LP solution is integral)
        fix the ``ceil(|F| / 4)`` items of F with the largest share to that slot
            (column lower bound 1), and re-solve the LP by the dual simplex, warm-started
        if the LP became infeasible: undo, fix only the most confident item, and if that
            too is infeasible forbid its slot (column upper bound 0) instead

Every re-solve moves the unfixed items to re-balance the territories around the items just
fixed, so the integer solution found costs little more than the LP. The LP keeps only each
item's 12 slots of least reduced cost at the bound's optimum (and the slots that optimum
uses), which holds that optimum: on the example (2,500 x 40) the dive takes 1.2-1.7 s instead
of 4.5 s. With potential and workload the run ends exactly where the full LP's dive led
(seeds 0-3); with potential and account count 0.34-0.89% above the bound instead of
0.50-1.03%. With 8 slots, seed 0 of the workload row ended 1.74% above it. Work is counted in dive
rounds and simplex iterations (``WorkBudget.dive_rounds``, ``lp_iterations``), never in
seconds.
"""

from __future__ import annotations

import numpy as np

from spmopt.solver import IncrementalLp
from spmopt.territory.highs_model import build_submip, shares_of
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.state import Budget

__all__ = ["DIVE_SLOTS", "dive_slots", "lp_dive"]

_ONE = 1 - 1e-6


#: slots per item the dive's LP keeps: those of least reduced cost at the bound's LP
#: optimum, and every slot that optimum uses
DIVE_SLOTS = 12


def lp_dive(
    model: AlignmentModel,
    budget: Budget,
    reduced: np.ndarray | None = None,
    shares: np.ndarray | None = None,
) -> tuple[np.ndarray | None, str]:
    """Dive from the LP relaxation towards an integer assignment (see the module docstring).

    With the bound's ``reduced`` costs (n, P) and LP ``shares`` (n, P), the dive's LP keeps
    each item's :data:`DIVE_SLOTS` slots of least reduced cost and the slots the LP optimum
    uses, so it starts at the same optimum with fewer columns.

    Returns the last LP solution as (n, P) shares (integral when the dive ended so; the primal
    phase rounds and repairs it) and a note on the dive, or None when no LP solution was found.
    """
    n = model.n
    allowed = dive_slots(model, reduced, shares)
    sub = build_submip(model, np.arange(n), allowed, np.zeros(n, dtype=int), integer=False)
    h = IncrementalLp(sub.lp)
    col_item = sub.col_item
    ncol = col_item.size
    rounds = 0
    undone = 0
    status = "round budget spent"
    x = _solve(h, budget)
    last = x
    while x is not None and rounds < budget.work.dive_rounds and not budget.clock.expired():
        share = x[:ncol]
        best = np.zeros(n)
        np.maximum.at(best, col_item, share)
        split = best < _ONE
        if not split.any():
            status = "integral"
            break
        rounds += 1
        # candidate fixings: each split item's largest-share column, most confident first
        cols = np.nonzero(split[col_item] & (share > 1e-9))[0]
        order = np.lexsort((cols, -share[cols]))  # deterministic tie-break by column
        chosen: list[int] = []
        seen: set[int] = set()
        for j in cols[order].tolist():
            it = int(col_item[j])
            if it in seen:
                continue
            seen.add(it)
            chosen.append(j)
        batch = chosen[: max(1, int(np.ceil(len(chosen) / 4)))]
        new = _fix(h, batch, budget)
        if new is None and len(batch) > 1:
            _unfix(h, batch)
            undone += 1
            batch = batch[:1]
            new = _fix(h, batch, budget)
        if new is None:
            _unfix(h, batch)
            undone += 1
            h.set_bounds(batch[:1], 0.0, 0.0)
            new = _solve(h, budget)  # forbid that slot instead
        x = new
        if x is not None:
            last = x
        else:
            status = "stuck: the LP is infeasible however the next item is fixed"
    if last is None:
        return None, "dive: the LP relaxation was not solved"
    return shares_of(
        sub, last, model.cand.shape
    ), f"dive {rounds} rounds ({undone} undone, {status})"


def dive_slots(
    model: AlignmentModel, reduced: np.ndarray | None, shares: np.ndarray | None
) -> np.ndarray:
    """The (n, P) mask of the slots the dive's LP keeps: each item's :data:`DIVE_SLOTS` of
    least ``reduced`` cost and every slot with a positive LP share (all valid slots without
    reduced costs)."""
    allowed = model.valid()
    if reduced is None or DIVE_SLOTS >= allowed.shape[1]:
        return allowed
    r = np.where(allowed, reduced, np.inf)
    kth = np.partition(r, DIVE_SLOTS - 1, axis=1)[:, DIVE_SLOTS - 1]
    keep = r <= kth[:, None]
    if shares is not None:
        keep |= shares > 1e-9
    return allowed & keep


def _solve(h: IncrementalLp, budget: Budget) -> np.ndarray | None:
    sol = h.solve(budget.solver())
    budget.clock.note(sol.info.time_capped)
    return sol.x


def _fix(h: IncrementalLp, cols: list[int], budget: Budget) -> np.ndarray | None:
    h.set_bounds(cols, 1.0, 1.0)
    return _solve(h, budget)


def _unfix(h: IncrementalLp, cols: list[int]) -> None:
    h.set_bounds(cols, 0.0, 1.0)
