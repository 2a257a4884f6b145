"""A sparse mixed-integer program held as arrays, solved by HiGHS directly or through pyomo.

The quota model is stated once, as arrays (:class:`LinearMip`); :func:`solve_mip` hands it to
HiGHS either through ``highspy`` (fast to build: 10,000 territories in milliseconds) or as a
pyomo model (for users who want to inspect or extend it with pyomo). Both go through
:mod:`spmopt.solver` and run the same HiGHS search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from spmopt.solver import SolveInfo, SolverOptions, solve_highs, solve_pyomo

__all__ = ["Backend", "LinearMip", "solve_mip"]

Backend = Literal["auto", "highspy", "pyomo"]


@dataclass(frozen=True)
class LinearMip:
    """``min c'x  s.t.  row_lo <= A x <= row_hi,  lb <= x <= ub,  x_j integer where integer[j]``."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.A.shape[0]), int(self.A.shape[1]))


def _solve_highspy(mip: LinearMip, options: SolverOptions) -> tuple[np.ndarray | None, SolveInfo]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    m, n = mip.shape
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(mip.c, float)
    lp.col_lower_ = np.asarray(mip.lb, float)
    lp.col_upper_ = np.asarray(mip.ub, float)
    lp.row_lower_ = np.asarray(mip.row_lo, float)
    lp.row_upper_ = np.asarray(mip.row_hi, float)
    csc = mip.A.tocsc()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
        for f in mip.integer
    ]
    h.passModel(lp)
    info = solve_highs(h, options)
    x = np.asarray(h.getSolution().col_value, float) if info.has_solution else None
    return x, info


def _solve_pyomo(mip: LinearMip, options: SolverOptions) -> tuple[np.ndarray | None, SolveInfo]:
    import pyomo.environ as pyo

    m, n = mip.shape
    model = pyo.ConcreteModel(name="quota")
    model.J = pyo.RangeSet(0, n - 1)

    def dom(_: object, j: int) -> object:
        return pyo.Integers if mip.integer[j] else pyo.Reals

    def bnd(_: object, j: int) -> tuple[float | None, float | None]:
        lo, hi = float(mip.lb[j]), float(mip.ub[j])
        return (None if np.isinf(lo) else lo, None if np.isinf(hi) else hi)

    model.x = pyo.Var(model.J, domain=dom, bounds=bnd)
    model.obj = pyo.Objective(
        expr=sum(float(mip.c[j]) * model.x[j] for j in range(n) if mip.c[j] != 0.0),
        sense=pyo.minimize,
    )
    A = mip.A
    model.rows = pyo.ConstraintList()
    for i in range(m):
        s, e = A.indptr[i], A.indptr[i + 1]
        body = sum(float(v) * model.x[int(j)] for j, v in zip(A.indices[s:e], A.data[s:e]))
        lo, hi = float(mip.row_lo[i]), float(mip.row_hi[i])
        model.rows.add(
            pyo.inequality(None if np.isinf(lo) else lo, body, None if np.isinf(hi) else hi)
        )
    info = solve_pyomo(model, options)
    if not info.has_solution:
        return None, info
    x = np.array([pyo.value(model.x[j]) if model.x[j].value is not None else 0.0 for j in range(n)])
    return x, info


def solve_mip(
    mip: LinearMip, options: SolverOptions, backend: Backend = "auto"
) -> tuple[np.ndarray | None, SolveInfo]:
    """Solve ``mip``; returns the column values (None without a solution) and the solve info.

    ``backend="auto"`` uses pyomo up to 2,000 columns and highspy arrays above (pyomo's build
    time dominates large models).
    """
    if backend == "auto":
        backend = "pyomo" if mip.shape[1] <= 2_000 else "highspy"
    if backend == "pyomo":
        return _solve_pyomo(mip, options)
    return _solve_highspy(mip, options)
