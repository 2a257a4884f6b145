"""The default solution method: Lagrangian bound, LP rounding with chain repair, then MIPs.

1. **Bound.** Maximise the Lagrangian dual (:mod:`spmopt.territory.lagrangian`); for pruned models
   price every territory at the final multipliers, add the columns that price out and repeat
   (column generation), so the reported bound holds for the full model.
2. **Primal.** On pruned (large) models, solve the LP restricted to each item's slot of least
   reduced cost, plus the second one for the quarter of items nearest a territory boundary,
   with elastic coupling rows (:func:`restricted_lp_rounding`); round each item to its largest
   share; repair the few territories left outside their bands by chains of moves and exchanges
   (:mod:`spmopt.territory.chains`), then by small neighbourhood MIPs if any remain. Dense models
   solve the full LP instead (:func:`_lp_path`). Then a boundary MIP: the items whose two cheapest
   reduced costs are close and their close slots, with every coupling row (HiGHS from arrays);
   on large models, exact re-optimisation of groups of neighbouring territories follows.
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
from spmopt.territory.chains import chain_repair
from spmopt.territory.heuristics import repair
from spmopt.territory.highs_model import build_submip, solve_submip
from spmopt.territory.lagrangian import (
    Dual,
    dual_value,
    full_bound,
    full_reduced_costs,
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
        r, c, mv = full_reduced_costs(model, dual, i0, i1)
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


def aggregate_start(
    model: AlignmentModel, options: SolverOptions, groups_per_territory: int = 12
) -> tuple[Dual, np.ndarray] | None:
    """Multipliers and a near-feasible assignment from the LP of an aggregated model.

    Items with the same three cheapest territories (in cost order) lie in the same small region;
    each such group becomes one item carrying the sums of its members' costs over every
    territory, attributes, workload and disruption weights. The aggregated LP is a restriction
    of the full LP, small enough for HiGHS, and its row duals are good starting multipliers for
    the full Lagrangian dual (the bound itself is always evaluated on the full model).
    """
    if model.full_rows is None:
        return None
    n, K, m = model.n, model.K, model.m
    c = np.where(model.valid(), model.cost, np.inf)
    order = np.argsort(c, axis=1)[:, :3]
    key3 = model.cand[np.arange(n)[:, None], order]
    _, gid = np.unique(key3, axis=0, return_inverse=True)
    gid = gid.ravel()
    G = int(gid.max()) + 1
    if G > groups_per_territory * K * 4:
        # too many groups: merge by the two cheapest territories only
        _, gid = np.unique(key3[:, :2], axis=0, return_inverse=True)
        gid = gid.ravel()
        G = int(gid.max()) + 1
    cost = np.zeros((G, K))
    move = np.zeros((G, K))
    for i0 in range(0, n, 4096):
        i1 = min(n, i0 + 4096)
        cb, mb = model.full_rows(i0, i1)
        np.add.at(cost, gid[i0:i1], cb)
        np.add.at(move, gid[i0:i1], mb)
    W = np.zeros((G, m))
    np.add.at(W, gid, model.W)
    load = np.bincount(gid, weights=model.load, minlength=G)
    agg = AlignmentModel(
        ids=np.arange(G).astype(str),
        territories=model.territories,
        cand=np.where(np.isfinite(cost), np.arange(K)[None, :], -1),
        cost=cost,
        move=move,
        W=W,
        attrs=model.attrs,
        target=model.target,
        lo=model.lo,
        hi=model.hi,
        load=load,
        cap=model.cap,
        max_move=model.max_move,
    )
    sub = build_submip(agg, np.arange(G), agg.valid(), np.zeros(G, dtype=int), integer=False)
    info = solve_highs(sub.h, replace(options, time_limit=max((options.time_limit or 60) * 0.2, 1)))
    if info.status != "optimal":
        return None
    sol = sub.h.getSolution()  # type: ignore[attr-defined]
    y = np.asarray(sol.row_dual)
    x = np.zeros((G, K))
    x[sub.col_item, agg.cand[sub.col_item, sub.col_slot]] = np.asarray(sol.col_value)
    # members of a group follow its LP territories, split in proportion to the LP shares
    terr = np.empty(n, dtype=int)
    order = np.argsort(gid, kind="stable")
    starts = np.searchsorted(gid[order], np.arange(G))
    ends = np.append(starts[1:], n)
    for g in range(G):
        members = order[starts[g] : ends[g]]
        if members.size == 0:
            continue
        ks = np.nonzero(x[g] > 1e-9)[0]
        if ks.size <= 1:
            terr[members] = ks[0] if ks.size else int(np.argmax(x[g]))
            continue
        share = np.cumsum(x[g, ks]) / x[g, ks].sum()
        pos = (np.arange(members.size) + 0.5) / members.size
        terr[members] = ks[np.searchsorted(share, pos).clip(max=ks.size - 1)]
    mu = -y[G : G + K * m].reshape(K, m)
    j = G + K * m
    gam = np.zeros(K)
    if agg.has_cap:
        gam = np.maximum(-y[j : j + K], 0.0)
        j += K
    nu = max(-float(y[j]), 0.0) if model.max_move is not None else 0.0
    gval, slot, _ = dual_value(model, mu, gam, nu)
    return Dual(mu, gam, nu, gval, slot), terr


def _include(model: AlignmentModel, terr: np.ndarray) -> AlignmentModel:
    """Make ``terr`` (a territory per item) a candidate of every item (replacing the last slot)."""
    assert model.full_rows is not None
    miss = np.nonzero(model.slot_of(terr) < 0)[0]
    if miss.size == 0:
        return model
    cand, cost, move = model.cand.copy(), model.cost.copy(), model.move.copy()
    for i0 in range(0, miss.size, 4096):
        rows = miss[i0 : i0 + 4096]
        for i in rows:
            c, mv = model.full_rows(int(i), int(i) + 1)
            k = int(terr[i])
            cand[i, -1], cost[i, -1], move[i, -1] = k, c[0, k], mv[0, k]
    return replace(model, cand=cand, cost=cost, move=move)


def _elastic_prices(model: AlignmentModel, dual: Dual) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit prices of violating each coupling row: ten times the largest multiplier of its
    kind plus the cost of a typical item per unit of the row's quantity."""
    valid = model.valid()
    c = np.abs(model.cost[valid])
    c_typ = float(c.mean()) if c.size and c.mean() > 0 else 1.0

    def typical(x: np.ndarray) -> float:  # mean of the non-zero magnitudes (1 if none)
        x = np.abs(x[x != 0])
        return float(x.mean()) if x.size else 1.0

    w_typ = np.array([typical(model.W[:, a]) for a in range(model.m)])
    p_bal = 10.0 * (np.abs(dual.mu).max(axis=0) + c_typ / w_typ)  # (m,)
    p_cap = 10.0 * (float(dual.gam.max(initial=0.0)) + c_typ / typical(model.load))
    p_mv = 10.0 * (dual.nu + c_typ / typical(model.move[valid]))
    return np.tile(p_bal, (model.K, 1)), np.full(model.K, p_cap), p_mv


def restricted_lp_rounding(
    model: AlignmentModel,
    r: np.ndarray,
    prices: tuple[np.ndarray, np.ndarray, float],
    keep: np.ndarray | None,
    options: SolverOptions,
    seconds: float,
    share: float = 0.25,
) -> np.ndarray | None:
    """Round the LP restricted to the slots that matter at the reduced costs ``r`` (n, P).

    Every item keeps its slot of least reduced cost; the ``share`` of items whose second-best
    slot is closest (the boundary between territories) also keep that one, and every item keeps
    its slot of ``keep`` where given (a near-feasible start). The coupling rows are made elastic
    at ``prices`` (well above any multiplier, see :func:`_elastic_prices`), so the LP is
    never infeasible; HiGHS's simplex solves it. A basic solution splits at most about one item
    per coupling row, so rounding each item to its largest share leaves only a few territories
    slightly outside their bands, for :func:`~spmopt.territory.chains.chain_repair`. Returns
    the rounded slots, or None when the LP is not solved within ``seconds``.
    """
    n = model.n
    rows = np.arange(n)
    valid = model.valid()
    r = np.where(valid, r, np.inf)
    order = np.argsort(r, axis=1)[:, : min(2, r.shape[1])]
    allowed = np.zeros(model.cand.shape, dtype=bool)
    allowed[rows, order[:, 0]] = True
    if order.shape[1] > 1:
        gap = r[rows, order[:, 1]] - r[rows, order[:, 0]]
        near = np.isfinite(gap)
        if near.any():
            near &= gap <= np.quantile(gap[near], share)
        allowed[rows[near], order[near, 1]] = True
    if keep is not None:
        has = keep >= 0
        allowed[rows[has], keep[has]] = True
    allowed &= valid
    sub = build_submip(
        model,
        rows,
        allowed,
        np.zeros(n, dtype=int),
        integer=False,
        elastic=prices,
    )
    sub.h.setOptionValue("solver", "simplex")  # type: ignore[attr-defined]
    info = solve_highs(sub.h, replace(options, time_limit=max(seconds, 0.2)))
    if info.status != "optimal":
        return None
    x = np.asarray(sub.h.getSolution().col_value)[: sub.col_item.size]  # type: ignore[attr-defined]
    X = np.zeros(model.cand.shape)
    X[sub.col_item, sub.col_slot] = x
    return np.asarray(X.argmax(axis=1))


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
    # weaker ties: how many items of k have l among their candidates at all
    k0 = model.cand[np.arange(model.n), np.argmin(c, axis=1)]
    kk = np.repeat(k0, model.cand.shape[1])
    ll = model.cand.ravel()
    okc = (ll >= 0) & (kk >= 0) & (ll != kk)
    A = np.zeros((K, K))
    np.add.at(A, (kk[okc], ll[okc]), 1.0)
    co = co + 1e-3 * (A + A.T)
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
    target: float = -np.inf,
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
            if left <= 0.05 or best_obj <= target:
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
        if not gained or best_obj <= target:
            break
    return best


def repair_by_neighbourhoods(
    model: AlignmentModel,
    slot: np.ndarray,
    options: SolverOptions,
    seconds: float,
    prices: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> np.ndarray:
    """Fix violated territories one neighbourhood at a time with small MIPs.

    For the most violated territory, its items and those of its nearest territories (by shared
    cheap choices) may move among those territories; every other row is left as it is. With
    ``prices`` (see :func:`_elastic_prices`) the group's rows are elastic, so the MIP always
    has the current assignment as a solution and HiGHS trades violation for cost at those
    prices; the result is kept only when the total violation falls. The group grows when
    nothing is gained. The MIP gap is set on the group's own cost, not the whole objective.
    """
    t0 = time.perf_counter()
    slot = slot.copy()
    rows = np.arange(model.n)
    sizes = [6, 12, 24, 48]
    neigh: dict[int, list[np.ndarray]] = {}
    hopeless: list[int] = []
    while time.perf_counter() - t0 < seconds:
        terr = model.territory_of(slot)
        wl = np.bincount(terr, weights=model.load, minlength=model.K)
        v = model.territory_violation(model.loads(slot), np.arange(model.K), wl)
        v[hopeless] = 0.0
        if v.max() <= 1e-9:
            break
        k = int(np.argmax(v))
        before = model.violation(slot)
        fixed_one = False
        for size in sizes:
            if size not in neigh:
                neigh[size] = territory_neighbours(model, min(size, model.K))
            group = neigh[size][k]
            active = np.zeros(model.K, dtype=bool)
            active[group] = True
            free = np.nonzero(active[terr])[0]
            allowed = np.zeros(model.cand.shape, dtype=bool)
            allowed[free] = active[model.cand[free].clip(min=0)] & (model.cand[free] >= 0)
            allowed[rows, slot] = True
            sub = build_submip(model, free, allowed, slot, active=active, elastic=prices)
            left = seconds - (time.perf_counter() - t0)
            if left <= 0.1:
                break
            own = float(np.abs(model.cost[free, slot[free]]).sum())
            opts = replace(
                options,
                time_limit=min(left, 3.0),
                mip_rel_gap=1e-9,
                extra={**options.extra, "mip_abs_gap": 1e-3 * max(own, 1e-9)},
            )
            _info, new = solve_submip(sub, opts, start=slot if prices is not None else None)
            if new is not None and model.violation(new) < before - 1e-12:
                slot = new
                fixed_one = True
                hopeless.clear()  # the neighbourhoods changed: every territory may try again
                break
            if size >= model.K:
                break
        if not fixed_one:
            hopeless.append(k)
    return slot


def _reduced_cost_fixed_mip(
    model: AlignmentModel,
    keep: np.ndarray,
    incumbent: np.ndarray,
    upper: float,
    bound: float,
    options: SolverOptions,
    seconds: float,
) -> tuple[np.ndarray, float, float, bool]:
    """Solve the MIP over the ``keep`` slots (those that reduced-cost fixing did not rule out)
    plus the incumbent's, warm-started from it. Returns the incumbent, its objective, the bound
    (the sub-MIP's bound is valid for the full model, as every dropped slot is in no better
    solution) and whether the time limit stopped it."""
    keep = keep.copy()
    keep[np.arange(model.n), incumbent] = True
    free = np.nonzero(keep.sum(axis=1) > 1)[0]
    sub = build_submip(model, free, keep, incumbent)
    info, slot = solve_submip(sub, replace(options, time_limit=seconds), start=incumbent)
    if slot is not None and model.is_feasible(slot, tol=1e-6):
        obj = model.objective(slot)
        if obj < upper:
            incumbent, upper = slot, obj
    if info.bound is not None and info.status not in ("error", "infeasible"):
        bound = max(bound, min(info.bound, upper))
    elif info.status == "infeasible":
        bound = upper  # nothing strictly better exists among the kept slots
    return incumbent, upper, bound, info.status == "time_limit"


def _final_info(
    upper: float,
    bound: float,
    options: SolverOptions,
    out_of_time: bool,
    seconds: float,
    message: str,
) -> SolveInfo:
    """Status of a finished solve: optimal within the gap, else time_limit or feasible."""
    gap = relative_gap(upper, bound)
    if gap is not None and gap <= options.mip_rel_gap + 1e-12:
        status = "optimal"
    elif out_of_time:
        status = "time_limit"
    else:
        status = "feasible"
    return SolveInfo(
        status,  # type: ignore[arg-type]
        float(upper),
        float(bound),
        gap,
        seconds,
        message,
    )


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
            model,
            incumbent,
            options,
            0.5 * left(),
            seed=options.seed,
            target=lower * (1 + options.mip_rel_gap) if lower > 0 else -np.inf,
        )
        upper = model.objective(incumbent)
    if (relative_gap(upper, lower) or 0.0) > options.mip_rel_gap and left() > 0.3:
        slack = (upper - lower) * (1 + 1e-7) + 1e-9 * max(1.0, abs(upper))
        incumbent, upper, bound, timed_out = _reduced_cost_fixed_mip(
            model, (RC <= slack) & valid, incumbent, upper, bound, options, max(left(), 0.3)
        )
    info = _final_info(
        upper,
        bound,
        options,
        timed_out or left() <= 0.05,
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
    start_slot: np.ndarray | None = None
    best_full = -np.inf
    agg = None if model.dense else aggregate_start(model, options)
    start: Dual | None = None
    if agg is not None:
        start, terr0 = agg
        best_full, _ = full_bound(model, start)
        model = _include(_reprice(model, start, width), terr0)
        start_slot = model.slot_of(terr0)
    dual = maximise_smoothed_dual(
        model, start=start, time_limit=max(0.15 * limit, 0.5), max_iter=60 if model.dense else 30
    )
    prev: tuple[AlignmentModel, Dual] | None = None
    for _ in range(4):
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
        model = (
            _include(_reprice(model, dual, width), terr0)
            if start_slot is not None
            else _reprice(model, dual, width)
        )
        dual = maximise_smoothed_dual(
            model, start=dual, time_limit=max(0.06 * limit, 0.5), max_iter=40
        )
    if start_slot is not None:
        start_slot = model.slot_of(terr0)
    dual = maximise_dual(model, start=dual, time_limit=max(0.04 * limit, 0.5), max_iter=150)
    lower = dual.bound
    if not model.dense:
        lower, _ = full_bound(model, dual)
        lower = max(lower, best_full)  # every full-model dual value is a valid bound

    rows = np.arange(model.n)
    incumbent: np.ndarray | None = None
    upper = np.inf
    r = reduced_costs(model, dual.mu, dual.gam, dual.nu)
    prices = _elastic_prices(model, dual)
    rounded = (
        None
        if model.dense
        else restricted_lp_rounding(model, r, prices, start_slot, options, 0.5 * left())
    )
    if rounded is not None:
        # a few territories just outside their bands: chains of moves fix them cheaply
        fixed = chain_repair(model, rounded, seconds=max(0.35 * left(), 0.2), move_price=dual.nu)
    else:
        fixed = repair(model, dual.slot, seconds=max(0.1 * left(), 0.2))
        if start_slot is not None and not model.is_feasible(fixed, tol=1e-6):
            alt = repair(model, start_slot, seconds=max(0.1 * left(), 0.2))
            if model.violation(alt) < model.violation(fixed):
                fixed = alt
    if not model.is_feasible(fixed, tol=1e-6):
        fixed = repair_by_neighbourhoods(model, fixed, options, max(0.4 * left(), 0.5), prices)
    if model.is_feasible(fixed, tol=1e-6):
        incumbent, upper = fixed, model.objective(fixed)

    # 2. boundary MIP (on the reduced costs r at the best multipliers)
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
        timed_out = info.status == "time_limit"
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
    if not model.dense and (relative_gap(upper, lower) or 0.0) > options.mip_rel_gap and left() > 1:
        # large models: exact re-optimisation of small groups of neighbouring territories
        incumbent = improve_by_neighbourhoods(
            model,
            incumbent,
            options,
            left() - 0.5,
            seed=options.seed,
            target=lower * (1 + options.mip_rel_gap) if lower > 0 else -np.inf,
        )
        upper = model.objective(incumbent)
        timed_out = left() <= 1.0

    # 3. exact reduced MIP
    bound = lower
    do_exact = model.dense if exact is None else exact
    if do_exact and (relative_gap(upper, bound) or 0.0) > options.mip_rel_gap and left() > 0.5:
        slack = upper - lower
        d = r - r.min(axis=1, keepdims=True)
        keep = (d <= slack * (1 + 1e-9) + 1e-9 * max(1.0, abs(upper))) & np.isfinite(r)
        keep[rows, incumbent] = True
        if model.dense and int(keep.sum()) <= EXACT_MAX_COLUMNS:
            incumbent, upper, bound, timed_out = _reduced_cost_fixed_mip(
                model, keep, incumbent, upper, bound, options, max(left(), 0.5)
            )
    info = _final_info(
        upper,
        bound,
        options,
        timed_out or left() <= 0.05,
        time.perf_counter() - t0,
        f"lagrangian bound after {dual.iterations} steps; boundary and reduced MIPs with HiGHS",
    )
    return EngineResult(incumbent, info, model, dual)
