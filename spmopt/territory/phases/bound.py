"""Bound phase: a lower bound valid for the full model, and the multipliers behind it.

* **Dense models** (every territory a candidate of every item): the LP relaxation, solved by
  the simplex method within an iteration budget. Its reduced costs drive the later phases and
  its basic solution (few fractional items) is the primal phase's starting point. An infeasible
  LP proves the settings infeasible.
* **Pruned models** (each item keeps its nearest territories): the Lagrangian dual of the
  coupling rows, started from the row duals of an aggregated LP (:func:`aggregate_start`),
  maximised by an entropy-smoothed L-BFGS and then subgradient steps. Column generation keeps
  the bound valid for the full model: at the final multipliers every territory is priced for
  every item (:func:`~spmopt.territory.lagrangian.full_bound`); territories that price below an
  item's candidates join its list and the dual is maximised again, for a fixed number of rounds.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from spmopt.territory.highs_model import build_submip, shares_of, solve_sub
from spmopt.territory.lagrangian import (
    TEMPERATURES,
    Dual,
    dual_value,
    full_bound,
    full_reduced_costs,
    maximise_dual,
    maximise_smoothed_dual,
    reduced_costs,
)
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.state import Budget, SolveState

__all__ = ["COLDEST", "aggregate_start", "bound", "lagrangian_bound", "lp_bound", "spends_cold"]


def bound(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """The LP bound on dense models, the Lagrangian bound with column generation otherwise
    (and on dense models whose LP is not solved within its iteration budget)."""
    if model.dense:
        out = lp_bound(model, state, budget)
        if out.proven_infeasible or out.reduced is not None:
            return out
        return lagrangian_bound(model, out, budget)
    return lagrangian_bound(model, state, budget)


def lp_bound(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """Solve the LP relaxation (simplex, within ``budget.work.lp_iterations``)."""
    t0 = time.perf_counter()
    n = model.n
    sub = build_submip(model, np.arange(n), model.valid(), np.zeros(n, dtype=int), integer=False)
    sol = solve_sub(sub, budget.solver(), simplex=True)
    budget.clock.note(sol.info.time_capped)
    if sol.info.status == "infeasible":
        out = replace(state, model=model, proven_infeasible=True)
        return out.logged("bound", t0, "the LP relaxation is infeasible")
    if sol.info.status != "optimal" or sol.x is None:
        return state.logged("bound", t0, f"LP not solved ({sol.info.message})")
    X = shares_of(sub, sol.x, model.cand.shape)
    rc = np.full(model.cand.shape, np.inf)
    if sol.col_dual is not None:
        rc[sub.col_item, sub.col_slot] = np.maximum(sol.col_dual[: sub.col_item.size], 0.0)
    else:  # no duals: every slot stays a candidate of the exact phase
        rc[sub.col_item, sub.col_slot] = 0.0
    lower = float(sol.info.objective or -np.inf)
    frac = int((X.max(axis=1) < 1 - 1e-6).sum())
    out = replace(state, model=model, lower=lower, shares=X, reduced=rc)
    return out.logged(
        "bound", t0, f"LP relaxation: {sol.iterations} simplex iterations, {frac} items split"
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


def include(model: AlignmentModel, terr: np.ndarray) -> AlignmentModel:
    """Make ``terr`` (a territory per item) a candidate of every item (replacing the last slot)."""
    assert model.full_rows is not None
    miss = np.nonzero(model.slot_of(terr) < 0)[0]
    if miss.size == 0:
        return model
    cand, cost, move = model.cand.copy(), model.cost.copy(), model.move.copy()
    for i in miss.tolist():
        c, mv = model.full_rows(i, i + 1)
        k = int(terr[i])
        cand[i, -1], cost[i, -1], move[i, -1] = k, c[0, k], mv[0, k]
    return replace(model, cand=cand, cost=cost, move=move)


def aggregate_start(
    model: AlignmentModel, budget: Budget, groups_per_territory: int = 12
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
    order = np.argsort(c, axis=1, kind="stable")[:, :3]
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
    sol = solve_sub(sub, budget.solver(), simplex=True)
    budget.clock.note(sol.info.time_capped)
    if sol.info.status != "optimal" or sol.x is None or sol.row_dual is None:
        return None
    y = sol.row_dual
    x = shares_of(sub, sol.x, agg.cand.shape)
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


#: the smoothed dual's coldest temperature, where the models of :func:`spends_cold` end
COLDEST = TEMPERATURES[-1:]


def spends_cold(model: AlignmentModel) -> bool:
    """Whether the bound phase of ``model`` ends at the smoothed dual's coldest temperature:
    pruned models balancing two or more attributes, whose dual the default schedule leaves far
    from its maximum. On 100,000 x 200 with potential ±5% and workload ±10% the bound was 0.79%
    below the primal assignment, 0.29% after 300 cold L-BFGS iterations. On 20,000 x 100 the
    tighter bound lets the neighbourhood MIPs stop once the gap is closed: + workload ±10% in
    22 s instead of 36 s, + account count ±10% 0.34% above the bound in 18 s instead of 0.60%
    in 40 s."""
    return not model.dense and model.m >= 2


def lagrangian_bound(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """Lagrangian bound with column generation (see the module docstring).

    On the models of :func:`spends_cold` the work goes to the coldest temperature: each
    pricing round re-maximises there only, then ``cold_steps`` L-BFGS iterations there take
    the place of the subgradient steps. On 100,000 x 200 with potential ±5% and account count
    ±10% the 300 steps raise the bound from 1.78% to 0.44% below the primal assignment; the
    whole bound phase then evaluates the smoothed dual 460 times, 33 ms each in
    :mod:`~spmopt.territory.dual_kernels`.
    """
    t0 = time.perf_counter()
    work = budget.work
    cap_s = max(budget.clock.left(), 0.1)
    width = int(model.cand.shape[1]) - 1
    best_full = -np.inf
    terr0: np.ndarray | None = None
    start: Dual | None = None
    agg = None if model.dense else aggregate_start(model, budget)
    if agg is not None:
        start, terr0 = agg
        best_full, _ = full_bound(model, start)
        model = include(_reprice(model, start, width), terr0)
    dual = maximise_smoothed_dual(
        model, start=start, time_limit=cap_s, max_iter=max(work.smoothed_steps // 2, 1)
    )
    cold = spends_cold(model)
    # these models re-maximise each pricing round at the coldest temperature only
    again = COLDEST if cold else TEMPERATURES
    prev: tuple[AlignmentModel, Dual] | None = None
    rounds = 0
    for _ in range(0 if model.dense else work.pricing_rounds):
        lower, better = full_bound(model, dual)
        if prev is not None and lower < best_full:
            model, dual = prev  # repricing did not help: keep the better pair
            break
        best_full = max(best_full, lower)
        if not (better >= 0).any() or budget.clock.expired():
            break
        prev = (model, dual)
        model = _reprice(model, dual, width)
        if terr0 is not None:
            model = include(model, terr0)
        rounds += 1
        dual = maximise_smoothed_dual(
            model,
            start=dual,
            time_limit=max(budget.clock.left(), 0.1),
            max_iter=max(work.smoothed_steps // 3, 1),
            temperatures=again,
        )
    if cold:
        dual = maximise_smoothed_dual(
            model,
            start=dual,
            time_limit=max(budget.clock.left(), 0.1),
            max_iter=work.cold_steps,
            temperatures=COLDEST,
        )
    else:
        dual = maximise_dual(
            model, start=dual, time_limit=max(budget.clock.left(), 0.1), max_iter=work.dual_steps
        )
    lower = dual.bound if model.dense else full_bound(model, dual)[0]
    lower = max(lower, best_full)  # every full-model dual value is a valid bound
    r = reduced_costs(model, dual.mu, dual.gam, dual.nu)
    out = replace(
        state,
        model=model,
        dual=dual,
        lower=lower,
        reduced=r,
        start=model.slot_of(terr0) if terr0 is not None else None,
    )
    return out.logged(
        "bound",
        t0,
        f"Lagrangian bound: {dual.iterations} subgradient steps, {rounds} pricing rounds",
    )
