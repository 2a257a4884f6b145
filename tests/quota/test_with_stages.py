"""Quotas from the real AlignmentResult and ForecastResult of the territory and forecast stages."""

from __future__ import annotations

import numpy as np

import spmopt as spm
from spmopt.data import PlanningData


def test_alignment_and_forecast_results(small_data: PlanningData) -> None:
    d = small_data
    assert d.targets is not None
    # district names distinct from region names (the small generator reuses the region name)
    d = PlanningData(
        accounts=d.accounts,
        reps=d.reps.assign(district=d.reps["district"] + " district"),
        sales=d.sales,
        targets=d.targets,
    )
    al = spm.territory.TerritoryAligner(
        {"potential": 0.10}, solver=spm.SolverOptions(time_limit=10)
    ).solve(d.accounts, d.reps)
    assert al.status in ("optimal", "feasible", "time_limit")
    hist = spm.forecast.build_history(d.sales, al.assignment, d.reps)
    fc = spm.forecast.RevenueForecaster(horizon=12, seed=0).fit(hist).predict()
    res = spm.quota.QuotaSetter(n_draws=300, seed=1).solve(
        al, forecast=fc, accounts=d.accounts, reps=d.reps, sales=d.sales, targets=d.targets
    )
    assert res.ok
    t = d.targets
    total = np.floor(t.company_revenue_target * (1 + t.over_assignment) / 1000 + 0.5) * 1000
    assert res.quotas["territory_quota"].sum() == total
    assert any("sample paths" in n for n in res.notes)
    # potential re-aggregated through the new alignment
    pot = al.summary.set_index("territory_id")["potential"]
    got = res.annual.set_index("territory_id")["potential"]
    assert np.allclose(got.reindex(pot.index), pot)
    reps_ok = res.annual["quota"] > 0
    assert res.annual.loc[reps_ok, "p_attain"].between(0, 1).all()
    # the same quotas from the forecast table alone (draws derived from its intervals)
    res2 = spm.quota.QuotaSetter(n_draws=300, seed=1).solve(
        al.assignment,
        forecast=fc.frame,
        accounts=d.accounts,
        reps=d.reps,
        sales=d.sales,
        targets=d.targets,
    )
    assert (res2.annual["territory_quota"] == res.annual["territory_quota"]).all()
    assert any("intervals" in n for n in res2.notes)
