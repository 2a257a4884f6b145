"""Equal inputs and seed give the identical assignment, idle or with every core busy."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from spmopt.data import generate
from spmopt.solver import SolverOptions
from spmopt.territory import TerritoryAligner


def _solve() -> tuple[pd.DataFrame, str]:
    d = generate(400, 8, 12, seed=4)
    res = TerritoryAligner(
        {"potential": 0.05, "workload": 0.10},
        max_disruption=0.6,
        solver=SolverOptions(time_limit=600, mip_rel_gap=1e-4),
    ).solve(d.accounts, d.reps)
    return res.assignment[["account_id", "territory_id"]], res.status


@pytest.mark.slow
def test_same_assignment_on_an_idle_and_a_busy_machine() -> None:
    idle, status = _solve()
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        busy, status_busy = _solve()
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert status == status_busy
    assert status in ("optimal", "feasible")
    pd.testing.assert_frame_equal(idle.reset_index(drop=True), busy.reset_index(drop=True))
