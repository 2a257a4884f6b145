"""A small plan whose every number is fixed: proportional quotas, a new hire, a vacancy, months.

Regenerate (after a deliberate change) with ``python -m tests.quota.test_golden``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spmopt.quota import QuotaSetter

from .helpers import solve, tiny

GOLDEN = Path(__file__).parent / "golden" / "tiny_quarterly_quotas.csv"


def _result() -> pd.DataFrame:
    inst = tiny(
        [200_000, 300_000, 500_000, 0.0],
        last_year=[100_000, 150_000, 250_000, 40_000],
        hire=["2015-01-01", "2026-10-01", "2027-05-16", "2015-01-01"],
        vacant=(3,),
    )
    res = solve(
        QuotaSetter(
            company_target=1_200_000,
            over_assignment=0.0,
            method="potential",
            increment=1000,
            period="quarter",
            ramp=6,
            n_draws=0,
        ),
        inst,
    )
    q = res.quotas.copy()
    q["period"] = pd.to_datetime(q["period"]).dt.strftime("%Y-%m-%d")
    return q[["rep_id", "territory_id", "period", "quota", "held", "territory_quota"]]


def test_matches_golden() -> None:
    got = _result()
    want = pd.read_csv(GOLDEN, dtype={"rep_id": object})
    want["rep_id"] = want["rep_id"].where(want["rep_id"].notna(), None)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want, check_dtype=False, check_exact=True
    )
    # by hand: potential-proportional 240k/360k/600k, the vacant zero-potential T4 nothing.
    # R2 (hired 2026-10-01, 6-month linear ramp) is at 4/6, 5/6, 6/6 in Q1: carries 5/6 of
    # 90k = 75k. R3 (hired 2027-05-16): Q2 coverage (0 + 16/31 x 1/6 + 2/6) / 3 of 150k ->
    # 21k; Q3 (3/6 + 4/6 + 5/6) / 3 -> 100k; Q4 in full.
    assert got.groupby("territory_id")["territory_quota"].sum().tolist() == [
        240_000,
        360_000,
        600_000,
        0,
    ]


if __name__ == "__main__":  # pragma: no cover
    _result().to_csv(GOLDEN, index=False)
    print(f"wrote {GOLDEN}")
