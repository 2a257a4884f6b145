"""Diagnosis of an infeasible alignment: the elastic model and the words that explain it.

Elastic model (small models only): the rows of :mod:`spmopt.territory.model` with one
relaxation variable per constraint family, in relative units,

    min   sum_a tau_a + tau_cap + tau_move   (+ a tiny multiple of the distance cost)
    s.t.  sum_s x[i, s] = 1
          sum W[i, a] x <= hi[k, a] + tau_a target[k, a]     for every k, a
          sum W[i, a] x >= lo[k, a] - tau_a target[k, a]
          sum load x   <= cap[k] + tau_cap max(cap[k], 1)
          sum move x   <= max_move + tau_move max_move
          x binary, tau >= 0

solved within a node budget. :func:`describe` turns a compromise assignment into the diagnosis:
each violated band with its territory, attribute and amount, and the smallest settings that
would be feasible.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from spmopt.solver import LinearMip
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases.compromise import row_violations
from spmopt.territory.phases.state import Budget, Compromise

__all__ = ["describe", "elastic_assignment"]


def elastic_assignment(model: AlignmentModel, budget: Budget) -> np.ndarray | None:
    """The elastic MIP's assignment (slot per item), or None without one in the node budget."""
    valid = model.valid()
    it, sl = np.nonzero(valid)
    nx = it.size
    terr = model.cand[it, sl]
    K, m, n = model.K, model.m, model.n
    scale, cap, cap_scale = model.row_scales
    fin = np.isfinite(cap)
    use_cap = bool(fin.any())
    use_mv = model.max_move is not None
    nt = m + int(use_cap) + int(use_mv)
    cols = np.arange(nx)
    ri, ci, vi = [it], [cols], [np.ones(nx)]
    lo_r, hi_r = [np.ones(n)], [np.ones(n)]
    r0 = n
    for a in range(m):
        for side, sign in ((0, -1.0), (1, 1.0)):  # upper rows r0 + k, lower rows r0 + K + k
            base = r0 + side * K
            ri += [base + terr, base + np.arange(K)]
            ci += [cols, np.full(K, nx + a)]
            vi += [model.W[it, a], sign * scale[:, a]]
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
        vi += [model.load[it[sel]], -cap_scale[kk]]
        lo_r.append(np.full(kk.size, -np.inf))
        hi_r.append(cap[kk])
        r0 += kk.size
        j += 1
    if use_mv:
        assert model.max_move is not None
        ri += [np.full(nx, r0), np.array([r0])]
        ci += [cols, np.array([nx + j])]
        vi += [model.move[it, sl], np.array([-max(model.max_move, 1e-9)])]
        lo_r.append(np.array([-np.inf]))
        hi_r.append(np.array([float(model.max_move)]))
        r0 += 1
    A = sp.csc_matrix(
        (np.concatenate(vi), (np.concatenate(ri), np.concatenate(ci))), shape=(r0, nx + nt)
    )
    cost = model.cost[it, sl]
    cscale = max(float(np.abs(cost[np.isfinite(cost)]).sum()), 1e-9)
    mip = LinearMip(
        c=np.concatenate([1e-4 * cost / cscale, np.ones(nt)]),
        lb=np.zeros(nx + nt),
        ub=np.concatenate([np.ones(nx), np.full(nt, np.inf)]),
        integer=np.concatenate([np.ones(nx, dtype=bool), np.zeros(nt, dtype=bool)]),
        A=A,
        row_lo=np.concatenate(lo_r),
        row_hi=np.concatenate(hi_r),
    )
    sol = mip.solve(budget.solver(nodes=budget.work.exact_nodes, mip_rel_gap=1e-3))
    budget.clock.note(sol.info.time_capped)
    if sol.x is None:
        return None
    on = sol.x[:nx] > 0.5
    slot = np.zeros(n, dtype=int)
    slot[it[on]] = sl[on]
    return slot


def _up(x: float) -> float:
    """Round a share up to the next 0.1 percentage point."""
    return math.ceil(x * 1000 - 1e-9) / 1000


def describe(
    model: AlignmentModel,
    comp: Compromise,
    tolerance: dict[str, float],
    label: str = "accounts",
    group_label: str = "",
) -> str:
    """The diagnosis of a compromise: what is violated, where, by how much, and what would do.

    Parameters
    ----------
    model : AlignmentModel
    comp : Compromise
    tolerance : dict
        Balance tolerance per attribute, as asked.
    label : str
        What the items are (``accounts`` or ``basic units``).
    group_label : str
        The group (``region West``) when aligning within groups.
    """
    where = f" in {group_label}" if group_label else ""
    viol = row_violations(model, comp.slot)
    proven = comp.lower > 1e-9
    head = (
        f"the bands cannot all be met{where}: "
        + (
            f"proven, no assignment of the {label} keeps every row within "
            f"{comp.lower:.1%} of its limit"
            if proven
            else "no assignment within every band was found (not proven impossible)"
        )
        + f"; the best compromise violates the rows by at most {comp.violation:.1%}"
    )
    lines = [head]
    L = model.loads(comp.slot)
    for a, attr in enumerate(model.attrs):
        rows = [v for v in viol if v.row == "balance" and v.attribute == attr]
        if not rows:
            continue
        tol = tolerance.get(attr, 0.0)
        dev = L[:, a] / np.maximum(model.target[:, a], 1e-300) - 1
        need = max(_up(float(np.abs(dev).max())), tol)
        worst = ", ".join(
            f"{v.territory} ({dev[list(model.territories).index(v.territory)]:+.1%})"
            for v in rows[:5]
        )
        lines.append(
            f"balance on '{attr}': infeasible at ±{tol:.1%}; the smallest feasible tolerance "
            f"found is ±{need:.1%}; violated bands in the best compromise: {worst}"
            + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            + f". Suggestion: balance={{'{attr}': {need:.3f}}}"
        )
    caps = [v for v in viol if v.row == "capacity"]
    if caps:
        worst = ", ".join(f"{v.territory} ({v.value / max(v.limit, 1e-9):.0%})" for v in caps[:5])
        lines.append(
            f"capacity: workload exceeds capacity by up to {caps[0].relative:.1%} in the best "
            f"compromise: {worst}. Suggestion: raise capacity by {_up(caps[0].relative):.1%}, "
            "add reps or relax balance"
        )
    mv = [v for v in viol if v.row == "disruption"]
    raw = model.extra.get("basis_total", 0.0)
    basis = float(raw) if isinstance(raw, int | float) else 0.0  # the disruption basis, total
    if mv:
        if basis > 0:
            share = mv[0].value / basis
            lines.append(
                f"disruption cap: the best compromise moves {share:.1%} of the disruption basis "
                f"against a cap of {mv[0].limit / basis:.1%}. Suggestion: "
                f"max_disruption={_up(share):.3f}, or relax balance"
            )
        else:
            lines.append(
                f"disruption cap: exceeded by {mv[0].relative:.1%} in the best compromise; "
                "raise max_disruption or relax balance"
            )
    keep = comp.disruption_keeping_bands
    if keep is not None and basis > 0 and model.max_move is not None:
        lines.append(
            f"alternatively keep the balance bands and allow more disruption: "
            f"max_disruption={_up(keep / basis):.3f} is feasible (moves "
            f"{keep / basis:.1%} of the disruption basis)"
        )
    return "\n".join(lines)
