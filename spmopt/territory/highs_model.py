"""The alignment MIP as a :class:`~spmopt.solver.LinearMip`, on all items or on a free subset.

The rows are those of :mod:`spmopt.territory.model`. Items outside the free subset keep a fixed
slot: their contributions move into the row bounds and their cost into the objective offset, so
the solver's gap is measured on the whole objective. ``cuts`` adds contiguity cuts, ``elastic``
makes the coupling rows soft.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from spmopt.solver import LinearMip, MipSolution, SolveInfo, SolverOptions
from spmopt.territory.model import AlignmentModel

__all__ = ["SubMip", "build_submip", "shares_of", "slots_of", "solve_sub", "solve_submip"]


@dataclass(frozen=True)
class SubMip:
    """A built model and how its columns map to (item, slot); elastic slacks come last."""

    lp: LinearMip
    col_item: np.ndarray
    col_slot: np.ndarray
    free: np.ndarray
    fixed_slot: np.ndarray
    n_rows: int


def build_submip(
    model: AlignmentModel,
    free: np.ndarray,
    allowed: np.ndarray,
    fixed_slot: np.ndarray,
    *,
    integer: bool = True,
    cuts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
    active: np.ndarray | None = None,
    elastic: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> SubMip:
    """Build the MIP over the items ``free`` (indices) and their ``allowed`` (n, P) slots.

    ``cuts`` are rows ``sum coef * x[item, territory] <= 0`` given as (items, territories,
    coefficients) arrays; pairs that are not columns of this MIP are treated as fixed.
    ``elastic`` = (balance price (K, m), capacity price (K,), disruption price) makes every
    coupling row soft: a slack column per side and row, priced per unit of the row's
    quantity, comes after the item columns.
    """
    n, K, m = model.n, model.K, model.m
    is_free = np.zeros(n, dtype=bool)
    is_free[free] = True
    rows_idx = np.arange(n)
    fixed = ~is_free
    fs = fixed_slot
    # fixed contributions
    fk = model.cand[rows_idx[fixed], fs[fixed]]
    fixed_bal = np.zeros((K, m))
    for a in range(m):
        fixed_bal[:, a] = np.bincount(fk, weights=model.W[fixed, a], minlength=K)
    fixed_wl = np.bincount(fk, weights=model.load[fixed], minlength=K)
    fixed_cost = float(model.cost[rows_idx[fixed], fs[fixed]].sum())
    fixed_move = float(model.move[rows_idx[fixed], fs[fixed]].sum())

    ok = allowed & model.valid()
    ok[fixed] = False
    col_item, col_slot = np.nonzero(ok)
    ncol = col_item.size
    local = np.full(n, -1)
    local[free] = np.arange(free.size)
    terr = model.cand[col_item, col_slot]
    nf = free.size
    r_bal0 = nf
    r_cap0 = r_bal0 + K * m
    use_cap = model.has_cap
    r_mv = r_cap0 + (K if use_cap else 0)
    use_mv = model.max_move is not None
    nrow = r_mv + (1 if use_mv else 0)

    ri = [local[col_item]]
    ci = [np.arange(ncol)]
    vi = [np.ones(ncol)]
    for a in range(m):
        ri.append(r_bal0 + terr * m + a)
        ci.append(np.arange(ncol))
        vi.append(model.W[col_item, a])
    if use_cap:
        ri.append(r_cap0 + terr)
        ci.append(np.arange(ncol))
        vi.append(model.load[col_item])
    if use_mv:
        mv = model.move[col_item, col_slot]
        nz = mv != 0
        ri.append(np.full(int(nz.sum()), r_mv))
        ci.append(np.arange(ncol)[nz])
        vi.append(mv[nz])
    row_lo = np.empty(nrow)
    row_hi = np.empty(nrow)
    row_lo[:nf] = 1.0
    row_hi[:nf] = 1.0
    row_lo[r_bal0:r_cap0] = (model.lo - fixed_bal).ravel()
    row_hi[r_bal0:r_cap0] = (model.hi - fixed_bal).ravel()
    if use_cap:
        row_lo[r_cap0:r_mv] = -np.inf
        row_hi[r_cap0:r_mv] = model.cap - fixed_wl
    if use_mv:
        row_lo[r_mv] = -np.inf
        row_hi[r_mv] = float(model.max_move or 0.0) - fixed_move
    if active is not None:  # rows of inactive territories are left free (their items are fixed)
        off = np.repeat(~active, m)
        row_lo[r_bal0:r_cap0][off] = -np.inf
        row_hi[r_bal0:r_cap0][off] = np.inf
        if use_cap:
            row_hi[r_cap0:r_mv][~active] = np.inf
        if use_mv and row_hi[r_mv] < 0 and elastic is None:
            row_hi[r_mv] = np.inf
    # contiguity cuts
    n_cut = 0
    if cuts:
        col_of: dict[tuple[int, int], int] = {}
        for j in range(ncol):
            col_of[(int(col_item[j]), int(terr[j]))] = j
        extra_lo, extra_hi = [], []
        for items, terrs, coefs in cuts:
            rhs = 0.0
            rr, cc, vv = [], [], []
            for it_, k_, c_ in zip(items.tolist(), terrs.tolist(), coefs.tolist()):
                jj = col_of.get((it_, k_))
                if jj is None:
                    if fixed[it_] and model.cand[it_, fs[it_]] == k_:
                        rhs -= c_
                    continue
                rr.append(nrow + n_cut)
                cc.append(jj)
                vv.append(c_)
            if not rr:
                continue
            ri.append(np.asarray(rr))
            ci.append(np.asarray(cc))
            vi.append(np.asarray(vv, dtype=float))
            extra_lo.append(-np.inf)
            extra_hi.append(rhs)
            n_cut += 1
        row_lo = np.concatenate([row_lo, np.asarray(extra_lo)])
        row_hi = np.concatenate([row_hi, np.asarray(extra_hi)])
    nrow += n_cut
    col_cost = model.cost[col_item, col_slot].astype(float)
    col_up = np.ones(ncol)
    if elastic is not None:
        p_bal, p_cap, p_mv = elastic
        el_rows = [np.repeat(np.arange(r_bal0, r_cap0), 2)]
        el_vals = [np.tile([1.0, -1.0], K * m)]
        el_cost = [np.repeat(np.asarray(p_bal, dtype=float).ravel(), 2)]
        if use_cap:
            el_rows.append(np.arange(r_cap0, r_mv))
            el_vals.append(-np.ones(K))
            el_cost.append(np.asarray(p_cap, dtype=float))
        if use_mv:
            el_rows.append(np.array([r_mv]))
            el_vals.append(np.array([-1.0]))
            el_cost.append(np.array([float(p_mv)]))
        er = np.concatenate(el_rows)
        ri.append(er)
        ci.append(ncol + np.arange(er.size))
        vi.append(np.concatenate(el_vals))
        col_cost = np.concatenate([col_cost, np.concatenate(el_cost)])
        col_up = np.concatenate([col_up, np.full(er.size, np.inf)])
    n_all = col_cost.size
    A = sp.csc_matrix(
        (np.concatenate(vi), (np.concatenate(ri), np.concatenate(ci))), shape=(nrow, n_all)
    )
    A.sum_duplicates()
    integrality = np.zeros(n_all, dtype=bool)
    integrality[:ncol] = integer
    lp = LinearMip(
        c=col_cost,
        lb=np.zeros(n_all),
        ub=col_up,
        integer=integrality,
        A=A,
        row_lo=row_lo,
        row_hi=row_hi,
        offset=fixed_cost,
    )
    return SubMip(lp, col_item, col_slot, np.asarray(free), fs.copy(), nrow)


def solve_submip(
    sub: SubMip,
    options: SolverOptions,
    start: np.ndarray | None = None,
) -> tuple[SolveInfo, np.ndarray | None]:
    """Solve; return the info and the full slot vector (None without a solution)."""
    sol = solve_sub(sub, options, start)
    return sol.info, slots_of(sub, sol.x)


def solve_sub(
    sub: SubMip, options: SolverOptions, start: np.ndarray | None = None, *, simplex: bool = False
) -> MipSolution:
    """Solve the built model (warm-started from the slot vector ``start`` when given)."""
    x0 = None
    if start is not None and sub.lp.is_mip:
        x0 = np.full(sub.lp.shape[1], np.nan)
        x0[: sub.col_item.size] = (start[sub.col_item] == sub.col_slot).astype(float)
    return sub.lp.solve(options, "highspy", start=x0, simplex=simplex)


def slots_of(sub: SubMip, x: np.ndarray | None) -> np.ndarray | None:
    """The full slot vector of column values ``x`` (items outside the model keep theirs)."""
    if x is None:
        return None
    xs = np.asarray(x)[: sub.col_item.size]
    slot = sub.fixed_slot.copy()
    on = xs > 0.5
    slot[sub.col_item[on]] = sub.col_slot[on]
    return slot


def shares_of(sub: SubMip, x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The (n, P) matrix of LP shares of the free items' slots."""
    X = np.zeros(shape)
    X[sub.col_item, sub.col_slot] = np.asarray(x)[: sub.col_item.size]
    return X
