"""The quota model's solve: a :class:`~spmopt.solver.LinearMip` handed to HiGHS.

The quota model is stated once, as arrays (:class:`~spmopt.solver.LinearMip`); :func:`solve_mip`
hands it to HiGHS either through ``highspy`` (fast to build: 10,000 territories in milliseconds)
or as a pyomo model (for users who want to inspect or extend it with pyomo). Both run the same
HiGHS search.
"""

from __future__ import annotations

import numpy as np

from spmopt.solver import Backend, LinearMip, SolveInfo, SolverOptions

__all__ = ["Backend", "LinearMip", "solve_mip"]


def solve_mip(
    mip: LinearMip, options: SolverOptions, backend: Backend = "auto"
) -> tuple[np.ndarray | None, SolveInfo]:
    """Solve ``mip``; returns the column values (None without a solution) and the solve info.

    ``backend="auto"`` uses pyomo up to 2,000 columns and highspy arrays above (pyomo's build
    time dominates large models).
    """
    sol = mip.solve(options, backend)
    return sol.x, sol.info
