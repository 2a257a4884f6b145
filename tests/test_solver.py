"""LinearMip: the same matrix solved through highspy and through pyomo gives the same optimum."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from spmopt.errors import ConfigError
from spmopt.solver import IncrementalLp, LinearMip, SolverOptions


def _knapsack() -> LinearMip:
    # max 5a + 4b + 3c  s.t. 2a + 3b + c <= 5, 4a + b + 2c <= 11, 3a + 4b + 2c <= 8, integer >= 0
    A = sp.csr_matrix(np.array([[2.0, 3, 1], [4, 1, 2], [3, 4, 2]]))
    return LinearMip(
        c=-np.array([5.0, 4, 3]),
        lb=np.zeros(3),
        ub=np.full(3, np.inf),
        integer=np.ones(3, dtype=bool),
        A=A,
        row_lo=np.full(3, -np.inf),
        row_hi=np.array([5.0, 11, 8]),
        offset=1.0,
    )


@pytest.mark.parametrize("backend", ["highspy", "pyomo"])
def test_backends_agree_on_a_hand_solved_mip(backend: str) -> None:
    sol = _knapsack().solve(SolverOptions(time_limit=30), backend)  # type: ignore[arg-type]
    assert sol.info.status == "optimal"
    # optimum by hand: a=2, b=0, c=1 gives 13 (the LP optimum is also 13)
    assert sol.info.objective == pytest.approx(1.0 - 13.0)
    assert sol.x is not None and np.allclose(sol.x, [2, 0, 1])


def test_lp_returns_duals_and_work() -> None:
    lp = _knapsack()
    lp = LinearMip(lp.c, lp.lb, lp.ub, np.zeros(3, dtype=bool), lp.A, lp.row_lo, lp.row_hi)
    sol = lp.solve(SolverOptions(), simplex=True)
    assert sol.info.status == "optimal" and sol.row_dual is not None
    # strong duality: c'x = b'y on the binding rows
    assert float(lp.c @ sol.x) == pytest.approx(float(np.array([5.0, 11, 8]) @ sol.row_dual))
    assert sol.iterations > 0


def test_work_limits_are_validated_and_passed() -> None:
    with pytest.raises(ConfigError, match="node_limit"):
        SolverOptions(node_limit=-1)
    opts = SolverOptions(node_limit=10, iteration_limit=100).highs_options()
    assert opts["mip_max_nodes"] == 10 and opts["simplex_iteration_limit"] == 100


def test_incremental_lp_follows_bound_changes() -> None:
    # LP relaxation of the knapsack: optimum 13 at (2, 0, 1) by hand. With a <= 1, a = 1 and
    # the rows leave 3b + c <= 3, b + 2c <= 7, 4b + 2c <= 5: max 4b + 3c is 7.5 at b = 0,
    # c = 2.5 (the other vertex, b = 0.5, c = 1.5, gives 6.5), so 5 + 7.5 = 12.5.
    inc = IncrementalLp(_knapsack())
    first = inc.solve()
    assert first.x is not None and first.info.objective == pytest.approx(1.0 - 13.0)
    inc.set_bounds([0], 0.0, 1.0)
    second = inc.solve()
    assert second.x is not None and second.x[0] == pytest.approx(1.0)
    assert second.info.objective == pytest.approx(1.0 - 12.5)
    inc.set_bounds([0], 0.0, 0.0)
    inc.set_bounds([2], 0.0, 0.0)
    inc.set_bounds([1], 3.0, 3.0)  # 3b <= 5 fails: the LP is infeasible, no solution
    assert inc.solve().x is None
