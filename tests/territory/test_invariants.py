"""Property tests: every account assigned once, balance, locks and disruption cap kept."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmopt.solver import SolverOptions
from spmopt.territory import TerritoryAligner
from tests.territory.helpers import make_instance


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(6, 60),
    K=st.integers(2, 5),
    seed=st.integers(0, 10_000),
    tol=st.sampled_from([0.1, 0.2, 0.4]),
    n_locked=st.integers(0, 3),
    cap=st.sampled_from([None, 0.3, 0.6]),
)
def test_invariants(
    n: int, K: int, seed: int, tol: float, n_locked: int, cap: float | None
) -> None:
    acc, reps = make_instance(n, K, seed)
    rng = np.random.default_rng(seed)
    acc["locked_territory"] = None
    locked = rng.choice(n, size=min(n_locked, n), replace=False)
    for i in locked:
        acc.loc[i, "locked_territory"] = f"T{rng.integers(0, K)}"
    res = TerritoryAligner(
        {"potential": tol, "accounts": 0.5},
        max_disruption=cap,
        solver=SolverOptions(time_limit=20, mip_rel_gap=0.01),
    ).solve(acc, reps)
    if not res.feasible:
        assert res.status in ("infeasible", "error")
        assert res.diagnosis
        return
    a = res.assignment
    # every account exactly once, to a known territory held by its rep
    assert sorted(a["account_id"]) == sorted(acc["account_id"])
    assert a["account_id"].is_unique
    rep_of = dict(zip(reps["territory_id"], reps["rep_id"]))
    assert (a["rep_id"] == a["territory_id"].map(rep_of)).all()
    # balance within the band of each attribute
    s = res.summary
    assert (s["potential_deviation"].abs() <= tol + 1e-7).all()
    assert (s["accounts_deviation"].abs() <= 0.5 + 1e-7).all()
    assert res.metrics["max_deviation_potential"] <= tol + 1e-7
    # locks kept
    got = a.set_index("account_id")["territory_id"]
    for i in locked:
        assert got[acc.loc[i, "account_id"]] == acc.loc[i, "locked_territory"]
    # disruption cap kept, and `moved` agrees with current_territory
    moved = got.reindex(acc["account_id"]).to_numpy() != acc["current_territory"].to_numpy()
    share = acc["potential"].to_numpy()[moved].sum() / acc["potential"].sum()
    assert (
        share == res.metrics["disruption_share"]
        or abs(share - res.metrics["disruption_share"]) < 1e-9
    )
    if cap is not None:
        assert share <= cap + 1e-7
    assert a.set_index("account_id")["moved"].reindex(acc["account_id"]).to_numpy().tolist() == (
        moved.tolist()
    )
    # the bound is a lower bound
    assert res.metrics["bound"] <= res.metrics["objective"] * (1 + 1e-9) + 1e-6
