"""Primal phase: a first assignment that meets every row, from the bound phase's solution.

1. **Round.** Dense models round the LP solution (each item to its largest share). Pruned
   models first solve the LP restricted to each item's slot of least reduced cost, plus the
   second one for the quarter of items nearest a territory boundary, with elastic coupling rows
   so that it is never infeasible (:func:`restricted_lp_rounding`), then round it. A basic LP
   solution splits at most about one item per coupling row, so the rounding leaves only a few
   territories slightly outside their bands.
   Dense models with two or more balance attributes also **dive** (:mod:`~spmopt.territory.
   phases.dive`): items are fixed a batch at a time and the LP re-solved, so the rounding left
   to repair is smaller and cheaper to fix.
2. **Repair by chains.** Chains of moves and exchanges (:func:`~spmopt.territory.chains.
   chain_repair`) bring those territories back, each chain the cheapest found.
3. **Repair by single moves** (:func:`~spmopt.territory.heuristics.repair`) when chains are
   stuck, and **by neighbourhood MIPs** (:func:`repair_by_neighbourhoods`): the items of the
   most violated territory and its neighbours move among them in a small elastic MIP.

Every step is budgeted by work (:class:`~spmopt.territory.phases.state.WorkBudget`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from spmopt.territory.chains import chain_repair
from spmopt.territory.heuristics import repair
from spmopt.territory.highs_model import build_submip, shares_of, solve_sub, solve_submip
from spmopt.territory.lagrangian import Dual
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.dive import lp_dive
from spmopt.territory.phases.state import Budget, SolveState

__all__ = [
    "elastic_prices",
    "primal",
    "repair_by_neighbourhoods",
    "restricted_lp_rounding",
    "territory_neighbours",
]

Prices = tuple[np.ndarray, np.ndarray, float]
SMALL_MIP_COLUMNS = 5_000


def elastic_prices(model: AlignmentModel, dual: Dual | None = None) -> Prices:
    """Unit prices of violating each coupling row: ten times the largest multiplier of its
    kind in ``dual`` (none without one) plus the cost of a typical item per unit of the row's
    quantity."""
    valid = model.valid()
    c = np.abs(model.cost[valid])
    c_typ = float(c.mean()) if c.size and c.mean() > 0 else 1.0

    def typical(x: np.ndarray) -> float:  # mean of the non-zero magnitudes (1 if none)
        x = np.abs(x[x != 0])
        return float(x.mean()) if x.size else 1.0

    w_typ = np.array([typical(model.W[:, a]) for a in range(model.m)])
    mu = np.zeros(model.m) if dual is None else np.abs(dual.mu).max(axis=0)
    gam = 0.0 if dual is None else float(dual.gam.max(initial=0.0))
    nu = 0.0 if dual is None else dual.nu
    p_bal = 10.0 * (mu + c_typ / w_typ)  # (m,)
    p_cap = 10.0 * (gam + c_typ / typical(model.load))
    p_mv = 10.0 * (nu + c_typ / typical(model.move[valid]))
    return np.tile(p_bal, (model.K, 1)), np.full(model.K, p_cap), p_mv


def restricted_lp_rounding(
    model: AlignmentModel,
    r: np.ndarray,
    prices: Prices,
    keep: np.ndarray | None,
    budget: Budget,
    share: float = 0.25,
) -> np.ndarray | None:
    """Round the LP restricted to the slots that matter at the reduced costs ``r`` (n, P).

    Every item keeps its slot of least reduced cost; the ``share`` of items whose second-best
    slot is closest (the boundary between territories) also keep that one, every item keeps
    its slot of ``keep`` where given (a near-feasible start), and under a disruption cap its
    current territory. The coupling rows are elastic at
    ``prices``, so the LP is never infeasible. Returns the rounded slots, or None when the LP
    is not solved within the iteration budget.
    """
    n = model.n
    rows = np.arange(n)
    valid = model.valid()
    r = np.where(valid, r, np.inf)
    order = np.argsort(r, axis=1, kind="stable")[:, : min(2, r.shape[1])]
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
    if model.max_move is not None:
        # under a disruption cap every item may stay where it is: without its current slot the
        # LP could meet the cap only by paying for violating it
        stay = np.where(valid, model.move, np.inf)
        home = stay.argmin(axis=1)
        at_home = stay[rows, home] <= 0
        allowed[rows[at_home], home[at_home]] = True
    allowed &= valid
    sub = build_submip(model, rows, allowed, np.zeros(n, dtype=int), integer=False, elastic=prices)
    sol = solve_sub(sub, budget.solver(), simplex=True)
    budget.clock.note(sol.info.time_capped)
    if sol.info.status != "optimal" or sol.x is None:
        return None
    return round_shares(model, shares_of(sub, sol.x, model.cand.shape))


def round_shares(model: AlignmentModel, X: np.ndarray) -> np.ndarray:
    """Each item to its slot of largest LP share (ties to the cheaper slot)."""
    score = np.where(model.valid(), X, -1.0) - 1e-12 * np.where(
        model.valid(), np.arange(X.shape[1])[None, :], 0
    )
    return np.asarray(score.argmax(axis=1))


def territory_neighbours(model: AlignmentModel, size: int) -> list[np.ndarray]:
    """For each territory, itself and the ``size - 1`` territories that share most items among
    their two cheapest choices (a cost-based adjacency of territories)."""
    K = model.K
    c = np.where(model.valid(), model.cost, np.inf)
    two = np.argsort(c, axis=1, kind="stable")[:, :2]
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
        order = [j for j in np.argsort(-co[k], kind="stable") if j != k and co[k, j] > 0]
        out.append(np.array([k, *order[: size - 1]], dtype=int))
    return out


def repair_by_neighbourhoods(
    model: AlignmentModel,
    slot: np.ndarray,
    budget: Budget,
    prices: Prices,
) -> np.ndarray:
    """Fix violated territories one neighbourhood at a time with small elastic MIPs.

    For the most violated territory, its items and those of its nearest territories (by shared
    cheap choices) may move among those territories; every other row is left as it is. The
    group's rows are elastic at ``prices``, so the MIP always has the current assignment as a
    solution and HiGHS trades violation for cost; the result is kept only when the total
    violation falls. The group grows when nothing is gained. At most ``repair_mips`` MIPs of
    ``boundary_nodes`` nodes each are solved.
    """
    slot = slot.copy()
    rows = np.arange(model.n)
    sizes = [6, 12, 24, 48]
    neigh: dict[int, list[np.ndarray]] = {}
    hopeless: list[int] = []
    mips = 0
    while mips < budget.work.repair_mips and not budget.clock.expired():
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
            if mips >= budget.work.repair_mips:
                break
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
            own = float(np.abs(model.cost[free, slot[free]]).sum())
            opts = replace(
                budget.solver(nodes=budget.work.boundary_nodes, mip_rel_gap=1e-9),
                extra={**budget.options.extra, "mip_abs_gap": 1e-3 * max(own, 1e-9)},
            )
            info, new = solve_submip(sub, opts, start=slot)
            budget.clock.note(info.time_capped)
            mips += 1
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


def _chains(
    model: AlignmentModel,
    slot: np.ndarray,
    budget: Budget,
    move_price: float = 0.0,
    stats: dict[str, object] | None = None,
) -> np.ndarray:
    """Chain repair of ``slot`` within the chain-step budget; the clock notes a binding cap."""
    stats = {} if stats is None else stats
    out = chain_repair(
        model,
        slot,
        seconds=max(budget.clock.left(), 0.05),
        max_steps=budget.work.chain_steps,
        move_price=move_price,
        stats=stats,
    )
    budget.clock.note(bool(stats.get("time_capped")))
    return out


def primal(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """Round the bound phase's solution and repair it (see the module docstring)."""
    t0 = time.perf_counter()
    work = budget.work
    dual = state.dual
    prices = elastic_prices(model, dual)
    rounded: np.ndarray | None = None
    if state.shares is not None:
        rounded = round_shares(model, state.shares)
    elif state.reduced is not None:
        rounded = restricted_lp_rounding(model, state.reduced, prices, state.start, budget)
    if rounded is None:
        base = dual.slot if dual is not None else model.cheapest_slot()
        rounded = np.asarray(base).copy()
    notes = [f"rounding violates the rows by {model.violation(rounded):.3g}"]
    stats: dict[str, object] = {}
    fixed = _chains(model, rounded, budget, dual.nu if dual is not None else 0.0, stats)
    notes.append(f"chains {stats.get('steps', 0)} steps")
    state = state.offer(rounded).offer(fixed)
    if state.shares is not None and model.m >= 2 and work.dive_rounds > 0:
        # lumpy items under two bands: let the LP re-balance around items fixed one batch at
        # a time, then repair what is left (see spmopt.territory.phases.dive)
        dive_x, note = lp_dive(model, budget, state.reduced, state.shares)
        notes.append(note)
        if dive_x is not None:
            dived = round_shares(model, dive_x)
            state = state.offer(dived)
            alt = _chains(model, dived, budget)
            state = state.offer(alt)
            if model.violation(alt) < model.violation(fixed):
                fixed = alt
    if state.slot is None:
        alt = repair(
            model, fixed, seconds=max(budget.clock.left(), 0.05), max_moves=work.repair_passes
        )
        state = state.offer(alt)
        if model.violation(alt) < model.violation(fixed):
            fixed = alt
        notes.append("single moves")
    if state.slot is None and state.start is not None:
        alt = _chains(model, state.start, budget)
        state = state.offer(alt)
        if model.violation(alt) < model.violation(fixed):
            fixed = alt
    if state.slot is None and int(model.valid().sum()) <= SMALL_MIP_COLUMNS:
        # small models: the whole MIP, within a node budget
        n = model.n
        sub = build_submip(model, np.arange(n), model.valid(), np.zeros(n, dtype=int))
        info, slot = solve_submip(sub, budget.solver(nodes=budget.work.exact_nodes))
        budget.clock.note(info.time_capped)
        state = state.offer(slot)
        if info.status == "infeasible":
            state = replace(state, proven_infeasible=True)
        notes.append(f"whole MIP ({info.message})")
    if state.slot is None and not state.proven_infeasible:
        fixed = repair_by_neighbourhoods(model, fixed, budget, prices)
        state = state.offer(fixed)
        notes.append("neighbourhood MIPs")
    found = "an assignment within every band" if state.slot is not None else "no assignment yet"
    return state.logged("primal", t0, f"{found} ({'; '.join(notes)})")
