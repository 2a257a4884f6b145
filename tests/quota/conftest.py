"""Fixtures of the quota tests: the example with a deterministic forecast table."""

from __future__ import annotations

import pandas as pd
import pytest

import spmopt as spm
from spmopt.data import PlanningData


def forecast_table(data: PlanningData, growth: float = 0.08, width: float = 0.25) -> pd.DataFrame:
    """Plan-year forecast per rep: last year's months x (1 + growth), +-width 80% intervals."""
    s = data.sales.assign(period=pd.to_datetime(data.sales["period"]))
    year = data.targets.plan_year if data.targets is not None else 2027
    last = s[s["period"].dt.year == year - 1]
    asg = spm.quota.current_assignment(data.accounts, data.reps)
    last = last.assign(rep_id=last["account_id"].map(dict(zip(asg.account_id, asg.rep_id))))
    g = last.groupby(["rep_id", last["period"].dt.month])["revenue"].sum().reset_index()
    yhat = g["revenue"].to_numpy(float) * (1 + growth)
    return pd.DataFrame(
        {
            "unique_id": g["rep_id"].to_numpy(),
            "ds": pd.to_datetime({"year": year, "month": g["period"], "day": 1}),
            "level": "rep",
            "yhat": yhat,
            "yhat_lo_80": yhat * (1 - width),
            "yhat_hi_80": yhat * (1 + width * 1.2),
            "yhat_lo_95": yhat * (1 - 1.5 * width),
            "yhat_hi_95": yhat * (1 + 1.8 * width),
        }
    )


@pytest.fixture(scope="session")
def fc_table(example: PlanningData) -> pd.DataFrame:
    return forecast_table(example)


@pytest.fixture(scope="session")
def assignment(example: PlanningData) -> pd.DataFrame:
    return spm.quota.current_assignment(example.accounts, example.reps)


@pytest.fixture(scope="session")
def kw(example: PlanningData) -> dict[str, object]:
    return {
        "accounts": example.accounts,
        "reps": example.reps,
        "sales": example.sales,
        "targets": example.targets,
    }


@pytest.fixture(scope="session")
def blend(assignment: pd.DataFrame, fc_table: pd.DataFrame, kw: dict[str, object]) -> object:
    """Default blend quotas on the example (monthly)."""
    return spm.quota.QuotaSetter(n_draws=400).solve(assignment, forecast=fc_table, **kw)


__all__ = ["forecast_table"]
