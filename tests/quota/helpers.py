"""Tiny planning instances built by hand."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def tiny(
    potential: Sequence[float],
    last_year: Sequence[float] | None = None,
    forecast: Sequence[float] | None = None,
    regions: Sequence[str] | None = None,
    districts: Sequence[str] | None = None,
    hire: Sequence[str | None] | None = None,
    vacant: Sequence[int] = (),
    year: int = 2027,
) -> dict[str, pd.DataFrame]:
    """One account per territory T1..Tn held by R1..Rn; flat monthly history and forecast."""
    n = len(potential)
    tid = [f"T{i + 1}" for i in range(n)]
    rid: list[str | None] = [f"R{i + 1}" for i in range(n)]
    accounts = pd.DataFrame({"account_id": [f"A{i + 1}" for i in range(n)], "potential": potential})
    for i in vacant:
        rid[i] = None
    alignment = pd.DataFrame(
        {"account_id": accounts["account_id"], "territory_id": tid, "rep_id": rid}
    )
    reps = (
        pd.DataFrame(
            {
                "rep_id": [f"R{i + 1}" for i in range(n)],
                "territory_id": tid,
                "region": list(regions) if regions is not None else ["North"] * n,
                "district": list(districts) if districts is not None else ["N1"] * n,
                "role": ["AE"] * n,
                "hire_date": pd.to_datetime(list(hire) if hire is not None else ["2015-01-01"] * n),
            }
        )
        .drop(index=list(vacant))
        .reset_index(drop=True)
    )
    months = pd.date_range(f"{year - 1}-01-01", periods=12, freq="MS")
    ly = np.asarray(last_year if last_year is not None else potential, float)
    sales = pd.DataFrame(
        {
            "account_id": np.repeat(accounts["account_id"].to_numpy(), 12),
            "period": np.tile(months, n),
            "revenue": np.repeat(ly / 12.0, 12),
        }
    )
    fc = np.asarray(forecast if forecast is not None else ly, float)
    ids = [r if r is not None else t for r, t in zip(rid, tid)]
    fmonths = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    y = np.repeat(fc / 12.0, 12)
    forecast_frame = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, 12),
            "ds": np.tile(fmonths, n),
            "level": "rep",
            "yhat": y,
            "yhat_lo_80": y * 0.8,
            "yhat_hi_80": y * 1.2,
        }
    )
    return {
        "alignment": alignment,
        "forecast": forecast_frame,
        "accounts": accounts,
        "reps": reps,
        "sales": sales,
    }


def solve(setter: object, inst: dict[str, pd.DataFrame]) -> object:
    return setter.solve(  # type: ignore[attr-defined]
        inst["alignment"],
        forecast=inst["forecast"],
        accounts=inst["accounts"],
        reps=inst["reps"],
        sales=inst["sales"],
    )


def summarised(quotas: object = None, cost: object = None) -> dict[str, Any]:
    """The row :func:`spmopt.scenario.summarise` makes of these results alone (no alignment)."""
    from spmopt.scenario.pipeline import summarise

    fake = types.SimpleNamespace(
        scenario=types.SimpleNamespace(seed=0),
        alignment=None,
        reps=pd.DataFrame(),
        forecast=None,
        backtest=None,
        quotas=quotas,
        cost=cost,
    )
    return summarise(fake)  # type: ignore[arg-type]
