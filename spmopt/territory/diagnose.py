"""Diagnosis of an infeasible alignment: the smallest relaxation that makes it feasible.

Elastic model: the rows of :mod:`spmopt.territory.model` with one relaxation variable per
constraint family, in relative units,

    min   sum_a tau_a + tau_cap + tau_move   (+ a tiny multiple of the distance cost)
    s.t.  sum_s x[i, s] = 1
          sum W[i, a] x <= hi[k, a] + tau_a target[k, a]     for every k, a
          sum W[i, a] x >= lo[k, a] - tau_a target[k, a]
          sum load x   <= cap[k] (1 + tau_cap)
          sum move x   <= max_move + tau_move * total_move
          x binary, tau >= 0

so ``tolerance_a + tau_a`` is the smallest balance tolerance on attribute ``a`` with a feasible
assignment (given the other relaxations), and the solution shows which territories hit it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from spmopt.solver import SolverOptions, solve_highs
from spmopt.territory.model import AlignmentModel

__all__ = ["Diagnosis", "diagnose"]


@dataclass
class Diagnosis:
    """Text and the least-violating assignment (slot per item, or None)."""

    text: str
    slot: np.ndarray | None
    tau: dict[str, float]


def diagnose(
    model: AlignmentModel,
    tolerance: dict[str, float],
    options: SolverOptions,
    label: str = "accounts",
) -> Diagnosis:
    """Solve the elastic model within ``options.time_limit`` and describe what must give."""
    import highspy

    valid = model.valid()
    it, sl = np.nonzero(valid)
    nx = it.size
    terr = model.cand[it, sl]
    K, m, n = model.K, model.m, model.n
    fin = np.isfinite(model.cap)
    use_cap = bool(fin.any())
    use_mv = model.max_move is not None
    names = [f"balance on '{a}'" for a in model.attrs]
    if use_cap:
        names.append("capacity")
    if use_mv:
        names.append("disruption cap")
    nt = len(names)
    cols = np.arange(nx)
    ri, ci, vi = [it], [cols], [np.ones(nx)]
    lo_r, hi_r = [np.ones(n)], [np.ones(n)]
    r0 = n
    for a in range(m):
        t = model.target[:, a]
        # upper rows r0 + k, lower rows r0 + K + k
        for side, sign in ((0, -1.0), (1, 1.0)):
            base = r0 + side * K
            ri += [base + terr, base + np.arange(K)]
            ci += [cols, np.full(K, nx + a)]
            vi += [model.W[it, a], sign * t]
        lo_r += [np.full(K, -np.inf), model.lo[:, a]]
        hi_r += [model.hi[:, a], np.full(K, np.inf)]
        r0 += 2 * K
    j = m
    if use_cap:
        kk = np.nonzero(fin)[0]
        pos = np.full(K, -1)
        pos[kk] = np.arange(kk.size)
        sel = fin[terr]
        ri += [r0 + pos[terr[sel]], r0 + np.arange(kk.size)]
        ci += [cols[sel], np.full(kk.size, nx + j)]
        vi += [model.load[it[sel]], -model.cap[kk]]
        lo_r.append(np.full(kk.size, -np.inf))
        hi_r.append(model.cap[kk])
        r0 += kk.size
        j += 1
    if use_mv:
        mv = model.move[it, sl]
        scale = max(float(np.where(valid, model.move, 0).max(axis=1).sum()), 1e-9)
        ri += [np.full(nx, r0), np.array([r0])]
        ci += [cols, np.array([nx + j])]
        vi += [mv, np.array([-scale])]
        lo_r.append(np.array([-np.inf]))
        hi_r.append(np.array([float(model.max_move or 0.0)]))
        r0 += 1
    nrow, ncol = r0, nx + nt
    A = sp.csc_matrix(
        (np.concatenate(vi), (np.concatenate(ri), np.concatenate(ci))), shape=(nrow, ncol)
    )
    A.sum_duplicates()
    cost = model.cost[it, sl]
    cscale = max(float(np.abs(cost[np.isfinite(cost)]).sum()), 1e-9)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, nrow
    lp.col_cost_ = np.concatenate([1e-4 * cost / cscale, np.ones(nt)])
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.concatenate([np.ones(nx), np.full(nt, np.inf)])
    lp.row_lower_ = np.concatenate(lo_r)
    lp.row_upper_ = np.concatenate(hi_r)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * nt
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    first = replace(options, time_limit=(0.5 if use_mv else 1.0) * (options.time_limit or 10.0))
    info = solve_highs(h, replace(first, mip_rel_gap=1e-3))
    if not info.has_solution:
        return Diagnosis(
            "no assignment found even with every constraint relaxed within "
            f"{options.time_limit} s ({info.message}); relax the settings step by step",
            None,
            {},
        )
    x = np.asarray(h.getSolution().col_value)
    tau = x[nx:]
    on = x[:nx] > 0.5
    slot = np.zeros(n, dtype=int)
    slot[it[on]] = sl[on]
    lines = []
    taus: dict[str, float] = {}
    loads = model.loads(slot)
    for q, name in enumerate(names):
        taus[name] = float(tau[q])
        if tau[q] <= 1e-7:
            continue
        if q < m:
            attr = model.attrs[q]
            dev = loads[:, q] / np.maximum(model.target[:, q], 1e-300) - 1
            tol = tolerance.get(attr, 0.0)
            worst = np.argsort(-np.abs(dev))[:5]
            terr_s = ", ".join(f"{model.territories[k]} ({dev[k]:+.1%})" for k in worst)
            need = float(np.ceil((tol + tau[q]) * 1000) / 1000)
            lines.append(
                f"{name}: infeasible at ±{tol:.1%}; the smallest feasible tolerance found is "
                f"±{need:.1%} (relaxation by {tau[q]:.2%}), the binding territories in the "
                f"least-violating assignment are {terr_s}. Suggestion: "
                f"balance={{'{attr}': {need:.3f}}}"
            )
        elif name == "capacity":
            wl = np.bincount(model.territory_of(slot), weights=model.load, minlength=K)
            util = wl / model.cap
            worst = np.argsort(-np.nan_to_num(util, nan=-1.0))[:5]
            terr_s = ", ".join(f"{model.territories[k]} ({util[k]:.0%})" for k in worst)
            lines.append(
                f"capacity: workload must exceed capacity by {tau[q]:.1%} somewhere; most "
                f"loaded territories: {terr_s}. Suggestion: raise capacity by {tau[q]:.1%}, "
                "add reps or relax balance"
            )
        else:
            lines.append(
                f"disruption cap: the balance bands need at least {tau[q]:.1%} more of the "
                f"disruption basis to move than allowed; raise max_disruption by "
                f"{float(np.ceil(tau[q] * 1000) / 1000):.3f}, or relax balance"
            )
    if use_mv and m > 0 and any(tau[q] > 1e-7 for q in range(m)):
        # the other way out: keep the balance bands, move more
        for q in range(m):
            h.changeColBounds(nx + q, 0.0, 0.0)
        info2 = solve_highs(
            h,
            replace(options, mip_rel_gap=1e-3, time_limit=0.5 * (options.time_limit or 10.0)),
        )
        if info2.has_solution:
            x2 = np.asarray(h.getSolution().col_value)
            need_mv = float(x2[nx + nt - 1])
            share = (float(model.max_move or 0.0) + need_mv * scale) / max(scale, 1e-9)
            lines.append(
                "alternatively keep the balance bands and allow more disruption: "
                f"max_disruption={float(np.ceil(share * 1000) / 1000):.3f} is feasible"
            )
        else:
            lines.append(
                "keeping the balance bands, no assignment was found within the time limit at "
                "any disruption cap"
            )
    if not lines:
        lines.append(
            "the elastic model found a feasible assignment; the original model is probably "
            "feasible but hard for the time limit: raise time_limit"
        )
    return Diagnosis("\n".join(lines), slot, taus)
