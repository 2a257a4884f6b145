"""Compromise phase: when the rows cannot all be met, the assignment that violates them least.

Every account can go to some territory, so there is always an answer. The *largest relative
violation* of an assignment is the most any row is outside its band: a band's excess over its
limit as a share of the territory's target, workload over capacity as a share of the
capacity, moves over the disruption cap as a share of the cap. The compromise minimises it,
then the distance:

* Widening every row by ``z`` (bands by ``z`` times the target, capacities and the disruption
  cap by ``z`` times themselves) gives a model that is feasible for ``z`` large enough. The
  phase bisects on ``z`` between a proven lower bound and the largest violation of the best
  assignment seen so far; at each step the primal phase's LP rounding and chain repair look
  for an assignment of the widened model (work-budgeted, so the answer repeats exactly).
* The lower bound comes from the LP relaxation ``min z`` over the widened rows and from the
  items too big for any territory they may join: when it is positive the settings are proven
  infeasible, whatever the assignment.
* Small models (up to :data:`DIAGNOSE_MAX_COLUMNS` columns) also solve the elastic MIP of
  :mod:`spmopt.territory.diagnose`, and keep whichever answer violates less.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from spmopt.solver import LinearMip
from spmopt.territory.chains import chain_repair
from spmopt.territory.highs_model import build_submip, shares_of, solve_sub
from spmopt.territory.local_search import local_search
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.improve import improve_by_neighbourhoods
from spmopt.territory.phases.primal import elastic_prices, restricted_lp_rounding, round_shares
from spmopt.territory.phases.state import Budget, Compromise, SolveState

__all__ = [
    "DIAGNOSE_MAX_COLUMNS",
    "RowViolation",
    "compromise",
    "counting_bounds",
    "counting_lower",
    "disruption_lower",
    "on_candidates_of",
    "priced_without_cap",
    "row_violations",
    "widened",
]

DIAGNOSE_MAX_COLUMNS = 20_000
#: the ``min z`` LP takes minutes past about this many columns (572 s at 1.6 million)
LP_BOUND_MAX_COLUMNS = 500_000


@dataclass(frozen=True)
class RowViolation:
    """One row outside its limit: which, where, by how much.

    Attributes
    ----------
    row : str
        ``balance``, ``capacity`` or ``disruption``.
    territory : str or None
    attribute : str or None
        The balance attribute (``workload`` for capacity).
    value, limit : float
        The row's quantity and the limit it breaks.
    relative : float
        The excess as a share of the row's scale (target, capacity or cap).
    """

    row: str
    territory: str | None
    attribute: str | None
    value: float
    limit: float
    relative: float


def row_violations(model: AlignmentModel, slot: np.ndarray) -> list[RowViolation]:
    """Every row of ``model`` that ``slot`` violates, largest relative excess first."""
    out: list[RowViolation] = []
    L = model.loads(slot)
    scale, cap, cap_scale = model.row_scales
    for k in range(model.K):
        for a, attr in enumerate(model.attrs):
            if L[k, a] > model.hi[k, a] * (1 + 1e-9) + 1e-9:
                lim = model.hi[k, a]
            elif L[k, a] < model.lo[k, a] * (1 - 1e-9) - 1e-9:
                lim = model.lo[k, a]
            else:
                continue
            out.append(
                RowViolation(
                    "balance",
                    str(model.territories[k]),
                    attr,
                    float(L[k, a]),
                    float(lim),
                    float(abs(L[k, a] - lim) / scale[k, a]),
                )
            )
    if model.has_cap:
        wl = np.bincount(model.territory_of(slot), weights=model.load, minlength=model.K)
        for k in np.nonzero(wl > cap * (1 + 1e-9) + 1e-9)[0].tolist():
            out.append(
                RowViolation(
                    "capacity",
                    str(model.territories[k]),
                    "workload",
                    float(wl[k]),
                    float(cap[k]),
                    float((wl[k] - cap[k]) / cap_scale[k]),
                )
            )
    if model.max_move is not None:
        mv = float(model.move[np.arange(model.n), slot].sum())
        if mv > model.max_move * (1 + 1e-9) + 1e-9:
            out.append(
                RowViolation(
                    "disruption",
                    None,
                    None,
                    mv,
                    float(model.max_move),
                    (mv - model.max_move) / max(model.max_move, 1e-9),
                )
            )
    out.sort(key=lambda v: -v.relative)
    return out


def max_violation(model: AlignmentModel, slot: np.ndarray) -> float:
    """The largest relative violation of any row (0 when ``slot`` meets them all)."""
    v = row_violations(model, slot)
    return v[0].relative if v else 0.0


def widened(model: AlignmentModel, z: float) -> AlignmentModel:
    """``model`` with every row widened by the relative amount ``z`` (see the module doc)."""
    scale, cap, cap_scale = model.row_scales
    return replace(
        model,
        lo=model.lo - z * scale,
        hi=model.hi + z * scale,
        cap=np.where(np.isfinite(cap), cap + z * cap_scale, np.inf),
        max_move=None if model.max_move is None else model.max_move + z * max(model.max_move, 1e-9),
    )


def _lp_lower(model: AlignmentModel, budget: Budget) -> float:
    """``min z`` over the LP relaxation of the model widened by ``z`` (0 when it is feasible)."""
    n, K, m = model.n, model.K, model.m
    if int(model.valid().sum()) > LP_BOUND_MAX_COLUMNS:
        return 0.0
    sub = build_submip(model, np.arange(n), model.valid(), np.zeros(n, dtype=int), integer=False)
    lp = sub.lp
    A = sp.csr_matrix(lp.A)
    nc = lp.shape[1]
    scale, cap, cap_scale = model.row_scales
    r_bal = n
    r_cap = r_bal + K * m
    r_mv = r_cap + (K if model.has_cap else 0)
    blocks = [A[:n], A[r_bal:r_cap], A[r_bal:r_cap]]
    zc = [np.zeros(n), -scale.ravel(), scale.ravel()]
    lo = [lp.row_lo[:n], np.full(K * m, -np.inf), lp.row_lo[r_bal:r_cap]]
    hi = [lp.row_hi[:n], lp.row_hi[r_bal:r_cap], np.full(K * m, np.inf)]
    if model.has_cap:
        fin = np.isfinite(cap)
        blocks.append(A[r_cap:r_mv])
        zc.append(np.where(fin, -cap_scale, 0.0))
        lo.append(lp.row_lo[r_cap:r_mv])
        hi.append(lp.row_hi[r_cap:r_mv])
    if model.max_move is not None:
        blocks.append(A[r_mv : r_mv + 1])
        zc.append(np.array([-max(model.max_move, 1e-9)]))
        lo.append(lp.row_lo[r_mv : r_mv + 1])
        hi.append(lp.row_hi[r_mv : r_mv + 1])
    Az = sp.hstack([sp.vstack(blocks), sp.csr_matrix(np.concatenate(zc)[:, None])]).tocsc()
    zlp = LinearMip(
        c=np.concatenate([np.zeros(nc), [1.0]]),
        lb=np.zeros(nc + 1),
        ub=np.concatenate([lp.ub, [np.inf]]),
        integer=np.zeros(nc + 1, dtype=bool),
        A=Az,
        row_lo=np.concatenate(lo),
        row_hi=np.concatenate(hi),
    )
    sol = zlp.solve(budget.solver(), simplex=True)
    budget.clock.note(sol.info.time_capped)
    if sol.info.status != "optimal" or sol.x is None:
        return 0.0
    return max(float(sol.x[-1]), 0.0)


def _item_lower(model: AlignmentModel, dense: bool) -> float:
    """A bound no assignment beats: the items too big for every territory they may join (dense
    models), and the territories whose locked items (one slot only) already exceed a band."""
    if model.m == 0:
        return 0.0
    scale = model.row_scales[0]
    valid = model.valid()
    out = 0.0
    if dense:
        k = model.cand.clip(min=0)
        over = (model.W[:, None, :] - model.hi[k]) / scale[k]  # (n, P, m)
        need = np.where(valid, np.maximum(over, 0.0).max(axis=2), np.inf)
        out = float(need.min(axis=1).max(initial=0.0))
    one = valid.sum(axis=1) == 1
    if one.any():
        kk = model.cand[one][valid[one]]
        locked = np.zeros((model.K, model.m))
        for a in range(model.m):
            locked[:, a] = np.bincount(kk, weights=model.W[one, a], minlength=model.K)
        out = max(out, float((np.maximum(locked - model.hi, 0.0) / scale).max(initial=0.0)))
    return out


def _knapsack(ratio: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (weight, cost) of taking items by ascending cost per unit of weight: the
    least cost of any (fractional) set of items carrying a given weight is read off by
    interpolation."""
    order = np.argsort(ratio, kind="stable")
    w = weight[order]
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cc = np.concatenate([[0.0], np.cumsum(w * ratio[order])])
    return cw, cc


def _carry(curve: tuple[np.ndarray, np.ndarray], need: float) -> float:
    """Least cost of carrying weight ``need`` on a :func:`_knapsack` curve (inf past its end)."""
    cw, cc = curve
    if need <= 0:
        return 0.0
    if need > cw[-1] * (1 + 1e-12):
        return np.inf
    return float(np.interp(need, cw, cc))


def _homes(model: AlignmentModel, block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Each item's current territory (-1 for none) and the least disruption of leaving it
    (inf when it cannot leave: locked), over every territory of the full model."""

    def of(ok: np.ndarray, mv: np.ndarray, terr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # per row of slots: the one slot that moves nothing is home; leaving costs the least move
        zero = ok & (mv <= 0)
        pick = np.where(zero, 1, 0).argmax(axis=1)
        home = np.where(zero.sum(axis=1) == 1, terr[np.arange(terr.shape[0]), pick], -1)
        return home, np.where(ok & (mv > 0), mv, np.inf).min(axis=1)

    if model.full_rows is None:
        return of(model.valid(), model.move, model.cand)
    # pruned models: the current territory may have left an item's candidate list
    n, K = model.n, model.K
    home, leave = np.empty(n, dtype=int), np.empty(n)
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        c, mv = model.full_rows(i0, i1)
        every = np.broadcast_to(np.arange(K), c.shape)
        home[i0:i1], leave[i0:i1] = of(np.isfinite(c), mv, every)
    return home, leave


def disruption_lower(model: AlignmentModel) -> float:
    """A bound no assignment beats under a disruption cap (valid for pruned models too).

    Widen every row by ``z`` (see :func:`widened`). Each territory whose own accounts (those at
    home in it) exceed its widened band must shed that excess, and every account that leaves
    counts its disruption; the accounts that fill the shortfall of under-full territories
    count theirs (accounts with no current territory fill for free). The least such disruption
    is a fractional knapsack, per territory for the excess and over all accounts for the
    shortfall; the bound is the least ``z`` at which the larger of the two fits under the
    widened cap. 0 when the cap can be met that way.
    """
    if model.max_move is None or model.m == 0:
        return 0.0
    K = model.K
    home, leave = _homes(model)
    free = home < 0
    scale = model.row_scales[0]
    cap = float(model.max_move)
    cap_scale = max(cap, 1e-9)
    parts = []  # per attribute: (L, curves per territory, global fill curve, free weight)
    for a in range(model.m):
        w = model.W[:, a]
        L = np.bincount(home[~free], weights=w[~free], minlength=K)
        pos = (~free) & (w > 0)
        ratio = np.where(pos, leave / np.where(pos, w, 1.0), np.inf)
        curves = []
        for k in range(K):
            sel = pos & (home == k) & np.isfinite(ratio)
            curves.append(_knapsack(ratio[sel], w[sel]))
        fin = pos & np.isfinite(ratio)
        fill = _knapsack(ratio[fin], w[fin])
        parts.append((L, curves, fill, float(w[free & (w > 0)].sum())))

    def over(z: float) -> bool:
        """Whether the least disruption at widening ``z`` exceeds the widened cap."""
        room = cap + z * cap_scale
        for a, (L, curves, fill, w_free) in enumerate(parts):
            excess = L - model.hi[:, a] - z * scale[:, a]
            shed = sum(_carry(curves[k], float(excess[k])) for k in np.nonzero(excess > 0)[0])
            short = float(np.maximum(model.lo[:, a] - z * scale[:, a] - L, 0.0).sum())
            if max(shed, _carry(fill, short - w_free)) > room * (1 + 1e-9):
                return True
        return False

    if not over(0.0):
        return 0.0
    lo_z, hi_z = 0.0, 1.0
    while over(hi_z) and hi_z < 1e6:
        lo_z, hi_z = hi_z, 2.0 * hi_z
    for _ in range(40):
        mid = 0.5 * (lo_z + hi_z)
        if over(mid):
            lo_z = mid
        else:
            hi_z = mid
    return lo_z


def counting_bounds(model: AlignmentModel) -> tuple[float, float]:
    """The bounds that need no LP, each a largest relative violation no assignment avoids:
    items too big or locked (:func:`_item_lower`), and the disruption the bands force
    (:func:`disruption_lower`)."""
    return _item_lower(model, model.dense), disruption_lower(model)


def counting_lower(model: AlignmentModel) -> float:
    """The larger of :func:`counting_bounds`: positive proves the rows cannot all be met."""
    return max(counting_bounds(model))


#: the disruption price of :func:`priced_without_cap`, in typical costs per typical move
DISRUPTION_PRICE = 10.0


def priced_without_cap(model: AlignmentModel, factor: float = DISRUPTION_PRICE) -> AlignmentModel:
    """``model`` without its disruption cap, each move priced instead.

    The price is ``factor`` times the mean cost of a slot per mean disruption of a move, so
    that the bands are met with little disruption and the distance decides only between
    assignments that disrupt alike (a Lagrangian treatment of the cap). Pruned models price
    every territory the same way when candidates are generated.
    """
    valid = model.valid()
    moving = valid & (model.move > 0)
    if model.max_move is None or not moving.any():
        return replace(model, max_move=None)
    c_typ = float(np.abs(model.cost[valid]).mean()) or 1.0
    price = factor * c_typ / float(model.move[moving].mean())
    rows = model.full_rows
    priced_rows = None
    if rows is not None:
        full = rows

        def priced_rows(i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
            c, mv = full(i0, i1)
            return c + price * mv, mv

    return replace(
        model,
        max_move=None,
        cost=model.cost + price * model.move,
        full_rows=priced_rows,
        extra={**model.extra, "disruption_price": price},
    )


def on_candidates_of(model: AlignmentModel, priced: AlignmentModel) -> AlignmentModel:
    """``model`` (its rows and costs) on the candidate lists that ``priced``, a relaxation of
    it (:func:`priced_without_cap`, :func:`widened`) that may have gained candidates, ends
    with."""
    price = priced.extra.get("disruption_price", 0.0)
    assert isinstance(price, float)
    return replace(
        model, cand=priced.cand, cost=priced.cost - price * priced.move, move=priced.move
    )


def _search(
    model: AlignmentModel, state: SolveState, start: np.ndarray, budget: Budget
) -> np.ndarray | None:
    """An assignment meeting every row of ``model`` (a widened one), or None."""
    if model.dense:
        n = model.n
        sub = build_submip(
            model, np.arange(n), model.valid(), np.zeros(n, dtype=int), integer=False
        )
        sol = solve_sub(sub, budget.solver(), simplex=True)
        budget.clock.note(sol.info.time_capped)
        if sol.info.status == "infeasible":
            return None
        rounded = (
            round_shares(model, shares_of(sub, sol.x, model.cand.shape))
            if sol.x is not None
            else start
        )
    else:
        assert state.reduced is not None
        prices = elastic_prices(model, state.dual)
        found = restricted_lp_rounding(model, state.reduced, prices, start, budget)
        rounded = start if found is None else found
    # each step gets a quarter of the chain budget: an unreachable z must fail cheaply
    quick = replace(budget, work=replace(budget.work, chain_steps=budget.work.chain_steps // 4))
    s = _repair(model, rounded, quick)
    return s if model.is_feasible(s, tol=1e-6) else None


def _repair(model: AlignmentModel, slot: np.ndarray, budget: Budget) -> np.ndarray:
    """Chain repair; with a disruption cap, first the bands without it, then back under it
    (a cap that blocks every chain would otherwise leave the bands broken)."""

    def chains(m: AlignmentModel, s0: np.ndarray) -> np.ndarray:
        return chain_repair(
            m, s0, seconds=max(budget.clock.left(), 0.05), max_steps=budget.work.chain_steps
        )

    s = chains(model, slot)
    if model.max_move is None or model.is_feasible(s, tol=1e-6):
        return s
    s2 = chains(model, chains(replace(model, max_move=None), slot))
    return s2 if model.violation(s2) < model.violation(s) else s


def least_disruption(
    model: AlignmentModel, state: SolveState, start: np.ndarray, budget: Budget
) -> float | None:
    """Keeping every other row, the least disruption found (in the model's move units): an
    assignment meeting the bands without the cap, then single moves back that keep them
    (None when no assignment meets the bands that way)."""
    free = replace(model, max_move=None)
    s = _search(free, state, start, budget)
    if s is None:
        return None
    s = chain_repair(
        replace(model, max_move=0.0),
        s,
        seconds=max(budget.clock.left(), 0.05),
        max_steps=budget.work.chain_steps,
    )
    return float(model.move[np.arange(model.n), s].sum())


def _shorten(model: AlignmentModel, best: np.ndarray, z: float, budget: Budget) -> np.ndarray:
    """Less distance within the rows widened by ``z``: one pass of neighbourhood MIPs on dense
    models, the work-budgeted local search on pruned ones (a pass of neighbourhood MIPs over
    200 territories of 100,000 items costs about 30 s)."""
    wide = widened(model, z * (1 + 1e-9) + 1e-12)
    if not wide.is_feasible(best, tol=1e-6) or budget.clock.expired():
        return best
    if model.dense:
        better = improve_by_neighbourhoods(
            wide, best, replace(budget, work=replace(budget.work, neighbourhood_passes=1))
        )
    else:
        passes = max(1, budget.work.local_work // max(model.cand.size, 1))
        better = local_search(wide, best, max_passes=passes)
    return better if max_violation(model, better) <= z * (1 + 1e-9) + 1e-12 else best


def _disruption_keeping_bands(model: AlignmentModel, slot: np.ndarray) -> float | None:
    """The disruption of ``slot`` when it meets every row but the disruption cap (None
    otherwise): a cap that the bands can keep."""
    if model.max_move is None or not replace(model, max_move=None).is_feasible(slot, tol=1e-6):
        return None
    return float(model.move[np.arange(model.n), slot].sum())


def compromise(model: AlignmentModel, state: SolveState, budget: Budget) -> SolveState:
    """The best compromise (see the module docstring); leaves ``state.slot`` None."""
    t0 = time.perf_counter()
    best = state.best_effort
    if best is None:
        best = state.start if state.start is not None else model.cheapest_slot()
        if state.dual is not None:
            best = state.dual.slot
        if state.shares is not None:
            best = round_shares(model, state.shares)
    repaired = chain_repair(
        model, best, seconds=max(budget.clock.left(), 0.05), max_steps=budget.work.chain_steps
    )
    if max_violation(model, repaired) <= max_violation(model, best):
        best = repaired
    z_hi = max_violation(model, best)
    keep_known = _disruption_keeping_bands(model, best)
    lp_ok = int(model.valid().sum()) <= LP_BOUND_MAX_COLUMNS
    # the LP bound holds for the full model only when every territory is a candidate
    proven = _lp_lower(model, budget) if lp_ok and model.dense else 0.0
    counted = state.counted_lower
    proven = max(proven, counting_lower(model) if counted is None else counted)
    z_lo = proven  # the bisection's lower end: below it nothing was found (not a proof)
    steps = 0
    # first make sure the upper end is reachable from the LP side too (it may do better)
    while steps < budget.work.compromise_steps and z_hi - z_lo > max(1e-3, 0.02 * z_hi):
        if budget.clock.expired():
            break
        # first the proven bound itself (often tight: locks, items too big), then bisect
        z = 0.5 * (z_lo + z_hi) if steps else (z_lo * (1 + 1e-6) + 1e-6 if z_lo > 0 else 1e-3)
        steps += 1
        found = _search(widened(model, z), state, best, budget)
        if found is not None:
            v = max_violation(model, found)
            if v <= z_hi:
                best, z_hi = found, v
            z_hi = min(z_hi, z)
        else:
            z_lo = z
    # then the distance, within the widened rows the compromise meets
    best = _shorten(model, best, z_hi, budget)
    z_best = max_violation(model, best)
    if model.n * model.K <= DIAGNOSE_MAX_COLUMNS or (
        int(model.valid().sum()) <= DIAGNOSE_MAX_COLUMNS
    ):
        from spmopt.territory.diagnose import elastic_assignment

        alt = elastic_assignment(model, budget)
        if alt is not None and max_violation(model, alt) < z_best - 1e-9:
            best, z_best = alt, max_violation(model, alt)
    keep_bands = keep_known
    if keep_bands is None and model.max_move is not None and z_best > 1e-9:
        keep_bands = least_disruption(model, state, best, budget)
    comp = Compromise(best, z_best, min(proven, z_best), keep_bands)
    out = replace(state, compromise=comp, best_effort=best)
    if model.is_feasible(best, tol=1e-6):  # the search found an assignment within every row
        out = replace(out, compromise=None).offer(best)
    proof = (
        f"proven: no assignment does better than {proven:.2%}" if proven > 1e-9 else "not proven"
    )
    return out.logged(
        "compromise", t0, f"largest violation {z_best:.2%} after {steps} bisection steps ({proof})"
    )
