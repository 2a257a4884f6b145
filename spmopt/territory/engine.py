"""The default solution method: Lagrangian bound, boundary MIP, then an exact reduced MIP.

1. **Bound.** Maximise the Lagrangian dual (:mod:`spmopt.territory.lagrangian`); for pruned models
   price every territory at the final multipliers, add the columns that price out and repeat
   (column generation), so the reported bound holds for the full model.
2. **Primal.** At the best multipliers most items have a clear cheapest territory. Those stay
   fixed; the items whose two cheapest reduced costs are close (the boundary) and their close
   slots go into a MIP with every coupling row (HiGHS from arrays). If it is infeasible the
   boundary widens, up to every item.
3. **Exact.** Lagrangian reduced-cost fixing: a slot whose reduced cost exceeds the item's best
   by more than ``incumbent - bound`` is in no better solution, so it is dropped; the remaining MIP
   (usually a few percent of the columns) is solved by HiGHS warm-started from the incumbent, with
   the time left. Its bound is valid for the full model.

The status is ``optimal`` when the gap is within ``mip_rel_gap``, ``time_limit`` when time ran
out first, ``feasible`` otherwise; ``infeasible`` when no assignment was found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from spmopt.solver import SolveInfo, SolverOptions, relative_gap, solve_highs
from spmopt.territory.heuristics import repair
from spmopt.territory.highs_model import build_submip, solve_submip
from spmopt.territory.lagrangian import (
    Dual,
    full_bound,
    maximise_dual,
    maximise_smoothed_dual,
    reduced_costs,
)
from spmopt.territory.model import AlignmentModel

__all__ = ["EngineResult", "solve_model"]

EXACT_MAX_COLUMNS = 400_000
LP_MAX_COLUMNS = 2_000_000


@dataclass
class EngineResult:
    """The slot chosen per item (None when infeasible) and the solve outcome."""

    slot: np.ndarray | None
    info: SolveInfo
    model: AlignmentModel
    dual: Dual | None = None
    partial: np.ndarray | None = None  # best-effort slots that violate some row


def _widen(model: AlignmentModel, better: np.ndarray) -> AlignmentModel:
    """Add, for the items in ``better >= 0``, that territory as a new slot."""
    rows = np.nonzero(better >= 0)[0]
    n = model.n
    new_c = np.full(n, -1)
    new_cost = np.full(n, np.inf)
    new_mv = np.zeros(n)
    assert model.full_rows is not None
    for i in rows:
        cost, move = model.full_rows(int(i), int(i) + 1)
        k = int(better[i])
        new_c[i] = k
        new_cost[i] = cost[0, k]
        new_mv[i] = move[0, k]
    return replace(
        model,
        cand=np.column_stack([model.cand, new_c]),
        cost=np.column_stack([model.cost, new_cost]),
        move=np.column_stack([model.move, new_mv]),
    )


def _reprice(model: AlignmentModel, dual: Dual, width: int, block: int = 4096) -> AlignmentModel:
    """Rebuild each item's candidate list: its ``width`` territories of least reduced cost at
    the multipliers of ``dual`` (priced over every territory), plus the current best slot."""
    assert model.full_rows is not None
    n = model.n
    cand = np.empty((n, width + 1), dtype=int)
    cost = np.empty((n, width + 1))
    move = np.empty((n, width + 1))
    keep_k = model.cand[np.arange(n), dual.slot]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        c, mv = model.full_rows(i0, i1)
        r = c.copy()
        for a in range(model.m):
            r += model.W[i0:i1, a, None] * dual.mu[None, :, a]
        if model.has_cap:
            r += model.load[i0:i1, None] * dual.gam[None, :]
        if model.max_move is not None and dual.nu != 0.0:
            r += dual.nu * mv
        w = min(width, r.shape[1])
        near = np.argpartition(r, w - 1, axis=1)[:, :w]
        kk = keep_k[i0:i1]
        has = (near == kk[:, None]).any(axis=1)
        extra = np.where(has, -1, kk)
        cb = (
            np.column_stack([near, extra])
            if w == width
            else np.column_stack([near, np.full((i1 - i0, width - w), -1), extra])
        )
        rr = np.arange(i1 - i0)[:, None]
        cost[i0:i1] = np.where(cb >= 0, c[rr, cb.clip(min=0)], np.inf)
        move[i0:i1] = np.where(cb >= 0, mv[rr, cb.clip(min=0)], 0.0)
        cand[i0:i1] = np.where(np.isfinite(cost[i0:i1]), cb, -1)
    return replace(model, cand=cand, cost=cost, move=move)


def _free_set(
    r: np.ndarray, frac: float, min_items: int, keep: np.ndarray | None, max_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary items and their allowed slots from the reduced costs ``r``."""
    n, P = r.shape
    best_slot = r.argmin(axis=1)
    best = r[np.arange(n), best_slot]
    d = r - best[:, None]
    if P > 1:
        second = np.partition(d, 1, axis=1)[:, 1]
    else:
        second = np.full(n, np.inf)
    n_free = int(min(n, max_items, max(min_items, round(frac * n))))
    fin = np.isfinite(second)
    if n_free >= fin.sum():
        free_mask = fin.copy()
        thr = float(second[fin].max()) if fin.any() else 0.0
    else:
        thr = float(np.partition(second[fin], n_free - 1)[n_free - 1])
        free_mask = fin & (second <= thr)
    allowed = d <= max(2.0 * thr, 0.0)
    allowed[np.arange(n), best_slot] = True
    if keep is not None:  # the incumbent must stay reachable
        allowed[np.arange(n), keep] = True
        free_mask |= keep != best_slot
    if frac >= 1.0 and n <= max_items:
        free_mask = np.ones(n, dtype=bool)
        allowed = np.isfinite(r)
    return np.nonzero(free_mask)[0], allowed, best_slot


def territory_neighbours(model: AlignmentModel, size: int) -> list[np.ndarray]:
    """For each territory, itself and the ``size - 1`` territories that share most items among
    their two cheapest choices (a cost-based adjacency of territories)."""
    K = model.K
    c = np.where(model.valid(), model.cost, np.inf)
    two = np.argsort(c, axis=1)[:, :2]
    k1 = model.cand[np.arange(model.n), two[:, 0]]
    k2 = model.cand[np.arange(model.n), two[:, 1]] if c.shape[1] > 1 else k1
    ok = (k1 >= 0) & (k2 >= 0) & (k1 != k2)
    co = np.zeros((K, K))
    np.add.at(co, (k1[ok], k2[ok]), 1.0)
    co = co + co.T
    out = []
    for k in range(K):
        order = [j for j in np.argsort(-co[k]) if j != k and co[k, j] > 0][: size - 1]
        out.append(np.array([k, *order], dtype=int))
    return out


def improve_by_neighbourhoods(
    model: AlignmentModel,
    incumbent: np.ndarray,
    options: SolverOptions,
    seconds: float,
    *,
    size: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """Re-optimise groups of neighbouring territories exactly, one group at a time.

    The items of ``size`` neighbouring territories may move among those territories; every other
    item stays. Each small MIP is warm-started from the incumbent, so the objective never
    rises; the passes stop when a full round brings no gain or time is up.
    """
    t0 = time.perf_counter()
    groups = territory_neighbours(model, size)
    rng = np.random.default_rng(seed)
    best = incumbent.copy()
    best_obj = model.objective(best)
    rows = np.arange(model.n)
    while time.perf_counter() - t0 < seconds:
        gained = False
        for k in rng.permutation(model.K):
            left = seconds - (time.perf_counter() - t0)
            if left <= 0.05:
                break
            g = groups[k]
            in_g = np.zeros(model.K, dtype=bool)
            in_g[g] = True
            terr = model.territory_of(best)
            free = np.nonzero(in_g[terr])[0]
            if free.size == 0:
                continue
            allowed = np.zeros(model.cand.shape, dtype=bool)
            allowed[free] = in_g[model.cand[free].clip(min=0)] & (model.cand[free] >= 0)
            allowed[rows, best] = True
            sub = build_submip(model, free, allowed, best)
            _, slot = solve_submip(
                sub, replace(options, time_limit=min(left, 1.0), mip_rel_gap=1e-5), start=best
            )
            if slot is not None and model.is_feasible(slot, tol=1e-6):
                obj = model.objective(slot)
                if obj < best_obj - 1e-9 * abs(best_obj):
                    best, best_obj = slot, obj
                    gained = True
        if not gained:
            break
    return best


def _lp_path(model: AlignmentModel, options: SolverOptions, t0: float) -> EngineResult | None:
    """Dense models: exact LP bound, LP rounding by a boundary MIP, LP reduced-cost fixing."""
    limit = options.time_limit if options.time_limit is not None else 3600.0

    def left() -> float:
        return limit - (time.perf_counter() - t0)

    n = model.n
    rows = np.arange(n)
    valid = model.valid()
    sub = build_submip(model, rows, valid, np.zeros(n, dtype=int), integer=False)
    lp_info = solve_highs(sub.h, replace(options, time_limit=max(0.5 * left(), 0.5)))
    if lp_info.status != "optimal" or lp_info.objective is None:
        if lp_info.status == "infeasible":
            info = SolveInfo(
                "infeasible", None, None, None, time.perf_counter() - t0, "LP relaxation infeasible"
            )
            return EngineResult(None, info, model)
        return None
    lower = float(lp_info.objective)
    sol = sub.h.getSolution()  # type: ignore[attr-defined]
    X = np.zeros(model.cand.shape)
    RC = np.full(model.cand.shape, np.inf)
    X[sub.col_item, sub.col_slot] = np.asarray(sol.col_value)
    RC[sub.col_item, sub.col_slot] = np.maximum(np.asarray(sol.col_dual), 0.0)
    lp_slot = X.argmax(axis=1)
    frac = X.max(axis=1) < 1 - 1e-6
    incumbent: np.ndarray | None = None
    upper = np.inf
    fixed = repair(model, lp_slot, seconds=max(0.2 * left(), 0.2))
    if model.is_feasible(fixed, tol=1e-6):
        incumbent, upper = fixed, model.objective(fixed)
    share = 0.6
    while left() > 0.3:
        # boundary: fractional items and those with the cheapest alternatives (by LP reduced
        # cost), each with its few cheapest slots
        d = np.where(X > 1e-6, 0.0, RC)
        ds = np.sort(d, axis=1)
        second = ds[:, 1] if d.shape[1] > 1 else np.full(n, np.inf)
        k_free = int(min(n, max(60, share * n)))
        order = np.lexsort((second, ~frac))
        free_mask = np.zeros(n, dtype=bool)
        free_mask[order[:k_free]] = True
        free_mask |= frac
        n_opt = min(d.shape[1], 4)
        allowed = (d <= ds[:, n_opt - 1 : n_opt]) | (X > 1e-6)
        if share >= 1.0:
            free_mask[:] = True
            allowed = valid.copy()
        base = fixed if incumbent is None else incumbent
        allowed[rows, base] = True
        free_mask |= base != lp_slot
        free = np.nonzero(free_mask)[0]
        sub2 = build_submip(model, free, allowed, base)
        frac_t = 0.25 if incumbent is not None else 0.4
        info, slot = solve_submip(
            sub2,
            replace(options, time_limit=max(min(frac_t * left(), left() - 0.2), 0.3)),
            start=incumbent,
        )
        if slot is not None and model.is_feasible(slot, tol=1e-6):
            obj = model.objective(slot)
            if obj < upper:
                incumbent, upper = slot, obj
        if incumbent is None and share >= 1.0 and info.status == "infeasible":
            info = SolveInfo(
                "infeasible",
                None,
                lower,
                None,
                time.perf_counter() - t0,
                "the full MIP is infeasible (HiGHS proved it)",
            )
            return EngineResult(None, info, model)
        if incumbent is not None or share >= 1.0:
            break
        share = min(1.0, share * 1.7)
    if incumbent is None:
        return None
    bound = lower
    timed_out = False
    if (relative_gap(upper, lower) or 0.0) > options.mip_rel_gap and left() > 1.0:
        incumbent = improve_by_neighbourhoods(
            model, incumbent, options, 0.5 * left(), seed=options.seed
        )
        upper = model.objective(incumbent)
    if (relative_gap(upper, lower) or 0.0) > options.mip_rel_gap and left() > 0.3:
        slack = (upper - lower) * (1 + 1e-7) + 1e-9 * max(1.0, abs(upper))
        keep = (RC <= slack) & valid
        keep[rows, incumbent] = True
        free = np.nonzero(keep.sum(axis=1) > 1)[0]
        sub3 = build_submip(model, free, keep, incumbent)
        info, slot = solve_submip(sub3, replace(options, time_limit=max(left(), 0.3)), incumbent)
        if slot is not None and model.is_feasible(slot, tol=1e-6):
            obj = model.objective(slot)
            if obj < upper:
                incumbent, upper = slot, obj
        if info.bound is not None and info.status not in ("error", "infeasible"):
            bound = max(bound, min(info.bound, upper))
        elif info.status == "infeasible":
            bound = upper
        timed_out = info.status == "time_limit"
    gap = relative_gap(upper, bound)
    if gap is not None and gap <= options.mip_rel_gap + 1e-12:
        status = "optimal"
    elif timed_out or left() <= 0.05:
        status = "time_limit"
    else:
        status = "feasible"
    info = SolveInfo(
        status,  # type: ignore[arg-type]
        float(upper),
        float(bound),
        gap,
        time.perf_counter() - t0,
        "LP bound, LP-guided boundary MIP and reduced-cost-fixed MIP (HiGHS)",
    )
    return EngineResult(incumbent, info, model)


def solve_model(
    model: AlignmentModel,
    options: SolverOptions,
    *,
    exact: bool | None = None,
) -> EngineResult:
    """Solve ``model`` within ``options.time_limit`` (see the module docstring)."""
    t0 = time.perf_counter()
    limit = options.time_limit if options.time_limit is not None else 3600.0

    def left() -> float:
        return limit - (time.perf_counter() - t0)

    if model.dense and exact is not False and int(model.valid().sum()) <= LP_MAX_COLUMNS:
        res = _lp_path(model, options, t0)
        if res is not None:
            return res
    # 1. bound (with column generation on pruned models)
    width = int(model.cand.shape[1]) - 1
    dual = maximise_smoothed_dual(
        model, time_limit=max(0.15 * limit, 0.5), max_iter=60 if model.dense else 20
    )
    lower = dual.bound
    best_full = -np.inf
    prev: tuple[AlignmentModel, Dual] | None = None
    for _ in range(6):
        if model.dense:
            break
        lower, better = full_bound(model, dual)
        if prev is not None and lower < best_full:
            model, dual = prev  # repricing did not help: keep the better pair
            break
        best_full = max(best_full, lower)
        if not (better >= 0).any() or left() < 0.6 * limit:
            break
        prev = (model, dual)
        model = _reprice(model, dual, width)
        dual = maximise_smoothed_dual(
            model, start=dual, time_limit=max(0.06 * limit, 0.5), max_iter=40
        )
    dual = maximise_dual(model, start=dual, time_limit=max(0.04 * limit, 0.5), max_iter=150)
    lower = dual.bound
    if not model.dense:
        lower, _ = full_bound(model, dual)

    rows = np.arange(model.n)
    incumbent: np.ndarray | None = None
    upper = np.inf
    fixed = repair(model, dual.slot, seconds=max(0.15 * left(), 0.2))
    if model.is_feasible(fixed, tol=1e-6):
        incumbent, upper = fixed, model.objective(fixed)

    # 2. boundary MIP
    r = reduced_costs(model, dual.mu, dual.gam, dual.nu)
    frac = 0.06
    min_items = min(model.n, 60)
    timed_out = False
    rounds = 0
    max_rounds = 1 if model.dense else 2
    while left() > 0.5:
        max_items = model.n if model.dense else max(20_000 // 3, 1)
        base = fixed if incumbent is None else incumbent
        free, allowed, _ = _free_set(r, frac, min_items, base, max_items)
        fixed_slot = base
        if incumbent is None:
            # every item of a territory whose rows are violated may move
            terr_now = model.territory_of(base)
            Lb = model.loads(base)
            bad_k = np.asarray(((Lb > model.hi + 1e-9) | (Lb < model.lo - 1e-9)).any(axis=1))
            if model.has_cap:
                wl = np.bincount(terr_now, weights=model.load, minlength=model.K)
                bad_k |= wl > model.cap + 1e-9
            extra = np.nonzero(bad_k[terr_now])[0]
            if extra.size + free.size > max_items:
                extra = extra[: max(max_items - free.size, 0)]
            free = np.union1d(free, extra)
        sub = build_submip(model, free, allowed, fixed_slot)
        t_sub = max(min(left() * (0.5 if model.dense else 0.8), left() - 0.5), 0.5)
        info, slot = solve_submip(
            sub,
            replace(options, time_limit=t_sub, mip_rel_gap=max(options.mip_rel_gap, 1e-4)),
            start=incumbent,
        )
        if slot is not None and model.is_feasible(slot, tol=1e-6):
            obj = model.objective(slot)
            if obj < upper:
                incumbent, upper = slot, obj
        if incumbent is None:
            if frac >= 1.0 or (not model.dense and frac * model.n > max_items):
                break
            frac = min(1.0, frac * 4)
            continue
        rounds += 1
        if rounds >= max_rounds or (relative_gap(upper, lower) or 0.0) <= options.mip_rel_gap:
            break
        frac = min(1.0, frac * 3)
    if incumbent is None:
        seconds = time.perf_counter() - t0
        info = SolveInfo(
            "error",
            None,
            lower,
            None,
            seconds,
            "no feasible assignment found within the time limit (none proven impossible)",
        )
        return EngineResult(None, info, model, dual, partial=fixed)

    # 3. exact reduced MIP
    bound = lower
    do_exact = model.dense if exact is None else exact
    if do_exact and (relative_gap(upper, bound) or 0.0) > options.mip_rel_gap and left() > 0.5:
        slack = upper - lower
        d = r - r.min(axis=1, keepdims=True)
        keep = (d <= slack * (1 + 1e-9) + 1e-9 * max(1.0, abs(upper))) & np.isfinite(r)
        keep[rows, incumbent] = True
        if model.dense and int(keep.sum()) <= EXACT_MAX_COLUMNS:
            multi = keep.sum(axis=1) > 1
            free = np.nonzero(multi)[0]
            sub = build_submip(model, free, keep, incumbent)
            info, slot = solve_submip(
                sub, replace(options, time_limit=max(left(), 0.5)), start=incumbent
            )
            if slot is not None and model.is_feasible(slot, tol=1e-6):
                obj = model.objective(slot)
                if obj < upper:
                    incumbent, upper = slot, obj
            if info.bound is not None and info.status != "error":
                bound = max(bound, min(info.bound, upper))
            elif info.status == "infeasible":
                bound = upper  # nothing strictly better exists among the kept slots
            timed_out = info.status == "time_limit"
    gap = relative_gap(upper, bound)
    seconds = time.perf_counter() - t0
    if gap is not None and gap <= options.mip_rel_gap + 1e-12:
        status = "optimal"
    elif timed_out or left() <= 0.05:
        status = "time_limit"
    else:
        status = "feasible"
    info = SolveInfo(
        status,  # type: ignore[arg-type]
        float(upper),
        float(bound),
        gap,
        seconds,
        f"lagrangian bound after {dual.iterations} steps; boundary and reduced MIPs with HiGHS",
    )
    return EngineResult(incumbent, info, model, dual)
