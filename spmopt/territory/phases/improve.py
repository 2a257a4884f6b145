"""Improvement phase: lower the objective of a feasible assignment with small exact MIPs.

0. **Local search**: improving moves and exchanges that keep every row
   (:func:`~spmopt.territory.local_search.local_search`), before and after the MIPs.
1. **Boundary MIP** (pruned models): the items whose two cheapest slots (by reduced cost at
   the bound's multipliers) are closest may move among their close slots, with every
   coupling row; every other item stays. HiGHS solves it warm-started from the incumbent
   within a node budget. Dense models go straight to the neighbourhood MIPs: on the example
   one boundary MIP over 60% of the items took 9-13 s, and without it the neighbourhood MIPs
   end as close to the bound or closer (seeds 0-2, potential ±5% with and without capacity)
   in 2.7-5.3 s.
2. **Neighbourhood MIPs** (dense models, and pruned ones with two or more balance
   attributes up to :data:`NEIGHBOURHOOD_MAX_ITEMS` items; on pruned ones of 100,000 x 200 a
   pass cost 30 s for under 0.1% with one attribute). For each territory in turn, the items
   of it and two other territories may move among them: one tied to it by items the
   incumbent keeps away from their cheapest slot by the bound's reduced costs, one by shared
   cheap choices. Each MIP is warm-started from the incumbent, so the objective never rises,
   and runs with HiGHS's restarts off: on the example's potential and workload row each MIP
   then takes about 1.6x less time and the run ends as close to the bound or closer (seeds
   0-3: 0.48-0.81% above it in 25-35 s, against 0.52-0.88% in 22-39 s with restarts);
   a local search ends each pass. At most ``neighbourhood_passes`` passes over the
   territories, in orders drawn from the seed, until one gains under
   ``neighbourhood_min_gain``. A neighbourhood whose MIP found nothing better is not solved
   again while its territories hold the same items (the same MIP from the same start).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from spmopt.solver import relative_gap
from spmopt.territory.highs_model import build_submip, solve_submip
from spmopt.territory.local_search import local_search
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.primal import territory_neighbours
from spmopt.territory.phases.state import NEIGHBOURHOOD_MAX_ITEMS, Budget, SolveState

__all__ = ["boundary_set", "improve", "improve_by_neighbourhoods"]


def _gap_closed(state: SolveState, budget: Budget) -> bool:
    gap = relative_gap(state.upper, state.lower)
    return gap is not None and gap <= budget.options.mip_rel_gap


def boundary_set(
    r: np.ndarray, frac: float, min_items: int, keep: np.ndarray, max_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """Boundary items (indices) and their allowed (n, P) slots from the reduced costs ``r``:
    the ``frac`` share of items whose second-best slot is closest to their best, each allowed
    every slot within twice that threshold; the incumbent ``keep`` stays reachable."""
    n, P = r.shape
    rows = np.arange(n)
    best_slot = r.argmin(axis=1)
    best = r[rows, best_slot]
    d = r - best[:, None]
    second = np.partition(d, 1, axis=1)[:, 1] if P > 1 else np.full(n, np.inf)
    n_free = int(min(n, max_items, max(min_items, round(frac * n))))
    fin = np.isfinite(second)
    if n_free >= fin.sum():
        free_mask = fin.copy()
        thr = float(second[fin].max()) if fin.any() else 0.0
    else:
        thr = float(np.partition(second[fin], n_free - 1)[n_free - 1])
        free_mask = fin & (second <= thr)
    allowed = d <= max(2.0 * thr, 0.0)
    allowed[rows, best_slot] = True
    allowed[rows, keep] = True
    free_mask |= keep != best_slot
    if frac >= 1.0 and n <= max_items:
        free_mask = np.ones(n, dtype=bool)
        allowed = np.isfinite(r)
    return np.nonzero(free_mask)[0], allowed


def _boundary_rounds(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    assert state.slot is not None and state.reduced is not None
    r = np.where(model.valid(), state.reduced, np.inf)
    frac = 0.06
    max_items = 20_000 // 3
    for _ in range(budget.work.boundary_rounds):
        if _gap_closed(state, budget) or budget.clock.expired():
            break
        free, allowed = boundary_set(r, frac, min(model.n, 60), state.slot, max_items)
        sub = build_submip(model, free, allowed, state.slot)
        opts = budget.solver(
            nodes=budget.work.boundary_nodes, mip_rel_gap=max(budget.options.mip_rel_gap, 1e-4)
        )
        opts = replace(
            opts, extra={**opts.extra, "mip_max_improving_sols": budget.work.boundary_solutions}
        )
        info, slot = solve_submip(sub, opts, start=state.slot)
        budget.clock.note(info.time_capped)
        state = state.offer(slot)
        frac = min(1.0, frac * 2.5)
    return state


class _GuidedGroups:
    """Neighbourhoods led by the bound's reduced costs ``r`` (n, P).

    The group of territory ``k`` holds ``k``, then up to ``size // 2`` territories tied to it
    by items placed away from their cheapest slot (an item of ``k`` whose cheapest slot is
    there, or one of theirs whose cheapest slot is in ``k``, weighted by its reduced cost
    above its best), then the cost-based neighbours of :func:`territory_neighbours` up to
    ``size``. Recomputed from each new incumbent, so a group follows the moves still worth
    undoing. Half and half because each half alone does worse: on the example (2,500 x 40,
    potential ±5%) with workload ±10% the cost-based groups end 1.48% above the bound and
    the mixed ones 0.57%; with account count ±10% the reduced-cost groups alone end 0.82%,
    the mixed ones 0.51%.
    """

    def __init__(self, model: AlignmentModel, r: np.ndarray, size: int) -> None:
        r = np.where(model.valid(), r, np.inf)
        rows = np.arange(model.n)
        self.model, self.size, self.r = model, size, r
        self.r_min = r.min(axis=1)
        self.best_k = model.cand[rows, r.argmin(axis=1)]
        self.base = territory_neighbours(model, size)

    def of(self, k: int, slot: np.ndarray) -> np.ndarray:
        model = self.model
        cur = model.territory_of(slot)
        w = self.r[np.arange(model.n), slot] - self.r_min
        off = (cur != self.best_k) & (cur >= 0) & (self.best_k >= 0) & np.isfinite(w)
        ties = np.zeros(model.K)
        np.add.at(ties, self.best_k[off & (cur == k)], w[off & (cur == k)])
        np.add.at(ties, cur[off & (self.best_k == k)], w[off & (self.best_k == k)])
        ties[k] = 0.0
        order = [j for j in np.argsort(-ties, kind="stable").tolist() if ties[j] > 0]
        group = [k, *order[: self.size // 2]]
        for j in self.base[k][1:].tolist():
            if len(group) >= self.size:
                break
            if j not in group:
                group.append(j)
        return np.array(group, dtype=int)


def _members(
    model: AlignmentModel, group: np.ndarray, slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The mask of the territories ``group`` (K,) and the items ``slot`` places in them."""
    in_g = np.zeros(model.K, dtype=bool)
    in_g[group] = True
    return in_g, np.flatnonzero(in_g[model.territory_of(slot)])


def _neighbourhood_mip(
    model: AlignmentModel,
    members: tuple[np.ndarray, np.ndarray],
    best: np.ndarray,
    budget: Budget,
) -> np.ndarray | None:
    """The items of a group of territories re-optimised among them, warm-started from
    ``best`` (None when HiGHS returns nothing feasible); ``members`` is :func:`_members` of
    the group and ``best``."""
    in_g, free = members
    if free.size == 0:
        return None
    allowed = np.zeros(model.cand.shape, dtype=bool)
    allowed[free] = in_g[model.cand[free].clip(min=0)] & (model.cand[free] >= 0)
    allowed[np.arange(model.n), best] = True
    sub = build_submip(model, free, allowed, best)
    opts = budget.solver(nodes=budget.work.neighbourhood_nodes, mip_rel_gap=1e-4)
    opts = replace(opts, extra={"mip_allow_restart": False, **opts.extra})
    info, slot = solve_submip(sub, opts, start=best)
    budget.clock.note(info.time_capped)
    if slot is None or not model.is_feasible(slot, tol=1e-6):
        return None
    return slot


def _neighbourhood_key(
    group: np.ndarray, free: np.ndarray, slot: np.ndarray
) -> tuple[bytes, bytes]:
    """What the neighbourhood MIP of ``group`` depends on: its territories and the slots of
    the items ``free`` in them (every other item stays where it is and adds a constant)."""
    return np.sort(group).tobytes(), np.stack([free, slot[free]]).tobytes()


def improve_by_neighbourhoods(
    model: AlignmentModel,
    incumbent: np.ndarray,
    budget: Budget,
    *,
    size: int = 4,
    target: float = -np.inf,
    reduced: np.ndarray | None = None,
) -> np.ndarray:
    """Re-optimise groups of ``size`` neighbouring territories exactly, one group at a time.

    The items of the group may move among its territories; every other item stays. Each small
    MIP (at most ``neighbourhood_nodes`` nodes) is warm-started from the incumbent, so the
    objective never rises. With the bound's ``reduced`` costs the groups are led by them (see
    :class:`_GuidedGroups`) and each pass ends with a local search; otherwise they are the
    cost-based neighbours. At most ``neighbourhood_passes`` passes, fewer when a pass lowers
    the objective by less than ``neighbourhood_min_gain`` or it reaches ``target``.
    """
    guided = _GuidedGroups(model, reduced, size) if reduced is not None else None
    fixed = territory_neighbours(model, size)
    rng = np.random.default_rng(budget.options.seed)
    best = incumbent.copy()
    best_obj = model.objective(best)
    ls_passes = max(1, budget.work.local_work // max(model.cand.size, 1))
    # neighbourhoods whose MIP found nothing better, by territories and their items' slots:
    # the same neighbourhood again is the same MIP from the same start, so it is skipped
    barren: set[tuple[bytes, bytes]] = set()
    for _ in range(budget.work.neighbourhood_passes):
        start_obj = best_obj
        for k in rng.permutation(model.K).tolist():
            if best_obj <= target or budget.clock.expired():
                break
            group = guided.of(k, best) if guided is not None else fixed[k]
            members = _members(model, group, best)
            key = _neighbourhood_key(group, members[1], best)
            if key in barren:
                continue
            slot = _neighbourhood_mip(model, members, best, budget)
            if slot is not None and model.objective(slot) < best_obj - 1e-9 * abs(best_obj):
                best, best_obj = slot, model.objective(slot)
            else:
                barren.add(key)
        if guided is not None:
            best = local_search(model, best, max_passes=ls_passes)
            best_obj = model.objective(best)
        gain = (start_obj - best_obj) / max(abs(start_obj), 1e-12)
        if gain < budget.work.neighbourhood_min_gain or best_obj <= target:
            break
    return best


def improve(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """Boundary MIPs, then neighbourhood MIPs (see the module docstring)."""
    t0 = time.perf_counter()
    if state.slot is None:
        return state
    before = state.upper
    # the local search's work grows with the slots it scans: passes x items x slots
    passes = max(1, budget.work.local_work // max(model.cand.size, 1))
    state = state.offer(local_search(model, state.slot, max_passes=passes))
    if not _gap_closed(state, budget) and state.reduced is not None:
        if not model.dense:
            state = _boundary_rounds(model, state, budget)
    # neighbourhood MIPs: dense models, and pruned ones balancing two or more attributes up
    # to NEIGHBOURHOOD_MAX_ITEMS (20,000 x 100 with potential and workload: 0.93% -> 0.64%
    # above the bound for one pass; at 100,000 x 200 a pass outgrows the time a solve has)
    wanted = model.dense or (model.m >= 2 and model.n <= NEIGHBOURHOOD_MAX_ITEMS)
    if wanted and not _gap_closed(state, budget) and not budget.clock.expired():
        assert state.slot is not None
        lower = state.lower
        target = lower * (1 + budget.options.mip_rel_gap) if lower > 0 else -np.inf
        state = state.offer(
            improve_by_neighbourhoods(
                model, state.slot, budget, size=3, target=target, reduced=state.reduced
            )
        )
        assert state.slot is not None
        state = state.offer(local_search(model, state.slot, max_passes=passes))
    gain = (before - state.upper) / max(abs(before), 1e-12)
    return replace(state).logged("improve", t0, f"objective down {gain:.3%}")
