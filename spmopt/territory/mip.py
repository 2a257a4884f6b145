"""The plain alignment MIP in pyomo (every slot a binary), solved through :mod:`spmopt.solver`.

Same formulation as :mod:`spmopt.territory.model`; no decomposition, no warm start. It is the
reference the default method is checked against, and ``TerritoryAligner(method="mip")``.
"""

from __future__ import annotations

import numpy as np

from spmopt.solver import SolverOptions, solve_pyomo
from spmopt.territory.engine import EngineResult
from spmopt.territory.model import AlignmentModel

__all__ = ["build_pyomo_mip", "solve_pyomo_mip"]


def build_pyomo_mip(model: AlignmentModel):  # type: ignore[no-untyped-def]
    """The pyomo ConcreteModel of the alignment (variables ``x[i, s]`` on valid slots)."""
    import pyomo.environ as pyo

    it, sl = np.nonzero(model.valid())
    pairs = list(zip(it.tolist(), sl.tolist()))
    terr = model.cand[it, sl]
    m = pyo.ConcreteModel("territory_alignment")
    m.x = pyo.Var(pairs, domain=pyo.Binary)
    cost = model.cost[it, sl]
    m.obj = pyo.Objective(
        expr=sum(float(c) * m.x[p] for c, p in zip(cost, pairs)), sense=pyo.minimize
    )
    by_item: list[list[tuple[int, int]]] = [[] for _ in range(model.n)]
    by_terr: list[list[int]] = [[] for _ in range(model.K)]
    for j, p in enumerate(pairs):
        by_item[p[0]].append(p)
        by_terr[int(terr[j])].append(j)
    m.assign = pyo.Constraint(
        range(model.n), rule=lambda mm, i: sum(mm.x[p] for p in by_item[i]) == 1
    )
    m.balance = pyo.ConstraintList()
    for k in range(model.K):
        for a in range(model.m):
            expr = sum(float(model.W[pairs[j][0], a]) * m.x[pairs[j]] for j in by_terr[k])
            m.balance.add(pyo.inequality(float(model.lo[k, a]), expr, float(model.hi[k, a])))
    if model.has_cap:
        m.capacity = pyo.ConstraintList()
        for kc in np.nonzero(np.isfinite(model.cap))[0].tolist():
            m.capacity.add(
                sum(float(model.load[pairs[j][0]]) * m.x[pairs[j]] for j in by_terr[kc])
                <= float(model.cap[kc])
            )
    if model.max_move is not None:
        mv = model.move[it, sl]
        m.disruption = pyo.Constraint(
            expr=sum(float(v) * m.x[p] for v, p in zip(mv, pairs) if v) <= float(model.max_move)
        )
    m._pairs = pairs
    return m


def solve_pyomo_mip(model: AlignmentModel, options: SolverOptions) -> EngineResult:
    """Build and solve the full MIP; the slot per item when a solution exists."""
    m = build_pyomo_mip(model)
    info = solve_pyomo(m, options)
    if not info.has_solution:
        return EngineResult(None, info, model)
    slot = np.zeros(model.n, dtype=int)
    for i, s in m._pairs:
        if m.x[i, s].value is not None and m.x[i, s].value > 0.5:
            slot[i] = s
    return EngineResult(slot, info, model)
