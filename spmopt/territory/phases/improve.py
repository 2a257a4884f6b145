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

   Each MIP holds only its territories' rows and no constant for the other items, so its
   answer depends on its key alone (territories, their items and slots, and the room left
   under a disruption cap). That lets the next territories' MIPs run ahead on spare threads
   and be taken when the search reaches them with the key unchanged (two in three MIPs find
   nothing better, so most are): the assignment is the same on one thread or sixteen. On the
   example's potential and workload row, two cores take 15-19 s for the neighbourhood MIPs
   against 19-21 s on one (three runs each): about one MIP in five solved ahead goes stale
   when the MIP before it improves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import NamedTuple

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


class _Neighbourhood(NamedTuple):
    """One neighbourhood MIP: its territories, their mask (K,), the items in them, the key."""

    group: np.ndarray
    in_group: np.ndarray
    free: np.ndarray
    key: tuple[bytes, ...]


def _neighbourhood(model: AlignmentModel, group: np.ndarray, slot: np.ndarray) -> _Neighbourhood:
    """The neighbourhood of the territories ``group`` under the assignment ``slot``.

    Its key is all its MIP depends on: the territories, the items in them and their slots,
    and, with a disruption cap, the disruption of every other item (the cap's room left).
    Every other item stays where it is and only adds a constant, which the MIP leaves out.
    """
    in_g = np.zeros(model.K, dtype=bool)
    in_g[group] = True
    free = np.flatnonzero(in_g[model.territory_of(slot)])
    key: tuple[bytes, ...] = (np.sort(group).tobytes(), np.stack([free, slot[free]]).tobytes())
    if model.max_move is not None:
        out = np.ones(model.n, dtype=bool)
        out[free] = False
        moved = model.move[np.flatnonzero(out), slot[out]].sum()
        key = (*key, np.float64(moved).tobytes())
    return _Neighbourhood(group, in_g, free, key)


def _neighbourhood_mip(
    model: AlignmentModel, nb: _Neighbourhood, slot: np.ndarray, budget: Budget, abs_gap: float
) -> tuple[np.ndarray, bool] | None:
    """New slots of the items ``nb.free`` and whether HiGHS proved them optimal (None when it
    returns no solution): the items of the neighbourhood re-optimised among its territories,
    warm-started from ``slot``. The search checks the rows of the assignment it adopts.

    The MIP holds the rows of the neighbourhood's territories only and no constant for the
    items outside it, so its answer is a function of ``nb.key`` alone (and of the settings):
    HiGHS stops at the absolute gap ``abs_gap`` rather than a gap relative to an objective
    that would include them.
    """
    if nb.free.size == 0:
        return None
    allowed = np.zeros(model.cand.shape, dtype=bool)
    allowed[nb.free] = nb.in_group[model.cand[nb.free].clip(min=0)] & (model.cand[nb.free] >= 0)
    allowed[np.arange(model.n), slot] = True
    sub = build_submip(model, nb.free, allowed, slot, active=nb.in_group)
    sub = replace(sub, lp=replace(sub.lp, offset=0.0))
    opts = budget.solver(nodes=budget.work.neighbourhood_nodes, mip_rel_gap=0.0)
    extra = {"mip_allow_restart": False, **opts.extra, "mip_abs_gap": abs_gap, "threads": 1}
    info, new = solve_submip(sub, replace(opts, extra=extra), start=slot)
    budget.clock.note(info.time_capped)
    if new is None:
        return None
    return new[nb.free], info.status == "optimal"


#: what a neighbourhood MIP gives: the new slots of its items and whether they are proven
#: optimal, or None
_Answer = tuple[np.ndarray, bool] | None


def _workers(threads: int | None) -> int:
    """Threads for the neighbourhood MIPs: ``SolverOptions.threads``, else ``OMP_NUM_THREADS``
    (the embedded Dask cluster sets it to 1 in each worker process, so that a batch does not
    oversubscribe the cores), else the usable cores."""
    if threads is not None:
        return max(1, int(threads))
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class _Prefetch:
    """Neighbourhood MIPs solved ahead on spare threads, kept by their key.

    While the search solves the current neighbourhood's MIP, the next territories'
    neighbourhoods under the same incumbent are solved on ``workers - 1`` other threads
    (HiGHS releases the GIL), up to ``2 * workers`` ahead; waiting for one of them, the
    search thread takes on the next not yet started. When the search reaches a neighbourhood
    whose key is unchanged (the MIPs before it found nothing better, or moved items
    elsewhere) it takes that answer; otherwise it solves it then. Each answer is a function
    of its key, so the result is the same on one thread or many; only the seconds differ.
    """

    def __init__(
        self, solve: Callable[[_Neighbourhood, np.ndarray], _Answer], workers: int
    ) -> None:
        self.solve, self.workers, self.depth = solve, workers, 2 * workers
        self.pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None
        # key -> (the MIP's answer, its neighbourhood, the assignment it starts from)
        self.ahead: dict[tuple[bytes, ...], tuple[Future[_Answer], _Neighbourhood, np.ndarray]] = {}

    def answer(
        self,
        nb: _Neighbourhood,
        slot: np.ndarray,
        upcoming: Callable[[int], list[_Neighbourhood]],
    ) -> _Answer:
        """The MIP of ``nb`` from ``slot``; ``upcoming(d)`` gives the next ``d``
        neighbourhoods under ``slot``, started ahead."""
        if self.pool is None:
            return self.solve(nb, slot)
        nxt = upcoming(self.depth)
        wanted = {o.key for o in nxt} | {nb.key}
        for key in [
            k for k, (f, _, _) in self.ahead.items() if k not in wanted and (f.done() or f.cancel())
        ]:
            del self.ahead[key]
        for o in nxt:
            if o.key not in self.ahead:
                self.ahead[o.key] = (self.pool.submit(self.solve, o, slot), o, slot)
        entry = self.ahead.pop(nb.key, None)
        if entry is None or entry[0].cancel():
            return self.solve(nb, slot)
        now = entry[0]
        while not now.done():  # take on the next MIP not yet started instead of idling
            queued = next((k for k, (f, _, _) in self.ahead.items() if f.cancel()), None)
            if queued is None:
                break
            _, other, start = self.ahead[queued]
            done: Future[_Answer] = Future()
            done.set_result(self.solve(other, start))
            self.ahead[queued] = (done, other, start)
        return now.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


@dataclass
class _Search:
    """One neighbourhood search: its groups, the MIPs solved ahead and the barren keys
    (neighbourhoods whose MIP found nothing better: the same key again is the same MIP from
    the same start, so it is skipped)."""

    model: AlignmentModel
    budget: Budget
    group_of: Callable[[int, np.ndarray], np.ndarray]
    prefetch: _Prefetch
    barren: set[tuple[bytes, ...]] = field(default_factory=set)
    # the neighbourhoods built under the incumbent ``_under`` (arrays are never changed in
    # place: a new incumbent is a new array), by territory
    _known: dict[int, _Neighbourhood] = field(default_factory=dict)
    _under: np.ndarray | None = None

    def _of(self, k: int, slot: np.ndarray) -> _Neighbourhood:
        """The neighbourhood of territory ``k`` under ``slot``, built once per incumbent."""
        if self._under is not slot:
            self._known, self._under = {}, slot
        nb = self._known.get(k)
        if nb is None:
            nb = self._known[k] = _neighbourhood(self.model, self.group_of(k, slot), slot)
        return nb

    def _upcoming(self, order: list[int], slot: np.ndarray) -> Callable[[int], list]:
        """The next ``depth`` neighbourhoods of ``order`` under ``slot`` not known barren."""

        def nxt(depth: int) -> list[_Neighbourhood]:
            gen = (self._of(j, slot) for j in order)
            return list(islice((o for o in gen if o.key not in self.barren), depth))

        return nxt

    def one_pass(self, order: list[int], best: np.ndarray, target: float) -> np.ndarray:
        """The neighbourhood of each territory of ``order`` in turn, from ``best``."""
        model = self.model
        best_obj = model.objective(best)
        for i, k in enumerate(order):
            if best_obj <= target or self.budget.clock.expired():
                break
            nb = self._of(k, best)
            if nb.key in self.barren:
                continue
            answer = self.prefetch.answer(nb, best, self._upcoming(order[i + 1 :], best))
            if answer is None:
                self.barren.add(nb.key)
                continue
            trial = best.copy()
            trial[nb.free] = answer[0]
            obj = model.objective(trial)
            if obj < best_obj - 1e-9 * abs(best_obj) and model.is_feasible(trial, tol=1e-6):
                best, best_obj = trial, obj
                if answer[1]:  # proven optimal: its own MIP from its answer is barren
                    self.barren.add(_neighbourhood(model, nb.group, best).key)
            else:
                self.barren.add(nb.key)
        return best


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
    MIP (at most ``neighbourhood_nodes`` nodes, to an absolute gap of 1e-4 of the starting
    objective) is warm-started from the incumbent, so the objective never rises. With the
    bound's ``reduced`` costs the groups are led by them (see :class:`_GuidedGroups`) and each
    pass ends with a local search; otherwise they are the cost-based neighbours. At most
    ``neighbourhood_passes`` passes, fewer when a pass lowers the objective by less than
    ``neighbourhood_min_gain`` or it reaches ``target``. The next groups' MIPs run ahead on
    spare threads (:class:`_Prefetch`; ``SolverOptions.threads`` caps them, the usable cores
    otherwise) without changing the result.
    """
    guided = _GuidedGroups(model, reduced, size) if reduced is not None else None
    fixed = territory_neighbours(model, size)
    rng = np.random.default_rng(budget.options.seed)
    best = incumbent.copy()
    abs_gap = 1e-4 * max(abs(model.objective(best)), 1e-9)
    ls_passes = max(1, budget.work.local_work // max(model.cand.size, 1))

    def group_of(k: int, slot: np.ndarray) -> np.ndarray:
        return guided.of(k, slot) if guided is not None else fixed[k]

    def solve(nb: _Neighbourhood, slot: np.ndarray) -> _Answer:
        return _neighbourhood_mip(model, nb, slot, budget, abs_gap)

    search = _Search(model, budget, group_of, _Prefetch(solve, _workers(budget.options.threads)))
    try:
        for _ in range(budget.work.neighbourhood_passes):
            start_obj = model.objective(best)
            best = search.one_pass(rng.permutation(model.K).tolist(), best, target)
            if guided is not None:
                best = local_search(model, best, max_passes=ls_passes)
            best_obj = model.objective(best)
            gain = (start_obj - best_obj) / max(abs(start_obj), 1e-12)
            if gain < budget.work.neighbourhood_min_gain or best_obj <= target:
                break
    finally:
        search.prefetch.close()
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
