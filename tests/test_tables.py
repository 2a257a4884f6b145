"""spmopt.tables: the tables between stages and as_table's checks."""

from __future__ import annotations

import pandas as pd
import pytest

import spmopt as spm
from spmopt.data import generate
from spmopt.errors import DataError
from spmopt.tables import ALIGNMENT, FORECAST, HISTORY, PAYOUTS, QUOTAS, STAGE_TABLES, as_table


@pytest.fixture(scope="module")
def stages() -> dict[str, object]:
    d = generate(100, 4, 24, seed=5)
    al = spm.territory.TerritoryAligner({"potential": 0.2}).solve(d.accounts, d.reps)
    hist = spm.forecast.build_history(d.sales, al.assignment, d.reps)
    fc = spm.forecast.RevenueForecaster(model="snaive").fit(hist).predict()
    q = spm.quota.QuotaSetter(over_assignment=0.05).solve(
        al, forecast=fc, accounts=d.accounts, reps=d.reps, sales=d.sales, targets=d.targets
    )
    cost = spm.comp.CompSimulator(n_draws=50, seed=0).simulate(
        spm.comp.CompPlan.from_dict(d.plan), quotas=q, forecast=fc, reps=d.reps
    )
    return {"alignment": al, "history": hist, "forecast": fc, "quotas": q, "payouts": cost}


def test_every_stage_result_meets_its_table(stages: dict[str, object]) -> None:
    for name, spec in STAGE_TABLES.items():
        out = as_table(stages[name], spec)
        assert set(spec.required) <= set(out.columns), name
        assert spec.produced_by, name
    assert as_table(stages["alignment"], "alignment").equals(
        as_table(stages["alignment"], ALIGNMENT)
    )


def test_a_frame_is_checked_and_converted(stages: dict[str, object]) -> None:
    frame = as_table(stages["quotas"], QUOTAS)
    text = frame.assign(
        period=frame["period"].dt.strftime("%Y-%m-%d"), quota=frame["quota"].astype(str)
    )
    out = as_table(text, QUOTAS)
    assert pd.api.types.is_datetime64_any_dtype(out["period"])
    assert out["quota"].dtype.kind == "f"


def test_missing_column_names_table_column_and_fix(stages: dict[str, object]) -> None:
    frame = as_table(stages["forecast"], FORECAST).drop(columns="yhat")
    with pytest.raises(DataError, match="forecast") as info:
        as_table(frame, FORECAST)
    assert info.value.column == "yhat" and "RevenueForecaster.predict" in info.value.fix


def test_bad_values_name_the_rows(stages: dict[str, object]) -> None:
    hist = as_table(stages["history"], HISTORY)
    bad = hist.copy()
    bad["y"] = bad["y"].astype(object)
    bad.loc[3, "y"] = "n/a"
    with pytest.raises(DataError) as info:
        as_table(bad, HISTORY)
    e = info.value
    assert (e.table, e.column) == ("history", "y")
    assert e.rows == [f"{hist.loc[3, 'unique_id']}/{hist.loc[3, 'ds']}"]
    neg = as_table(stages["payouts"], PAYOUTS)
    neg.loc[0, "incentive"] = -1.0
    with pytest.raises(DataError, match="negative") as info:
        as_table(neg, PAYOUTS)
    assert info.value.rows == [f"0/{neg.loc[0, 'rep_id']}"]


def test_duplicate_keys_and_missing_ids(stages: dict[str, object]) -> None:
    asg = as_table(stages["alignment"], ALIGNMENT)
    with pytest.raises(DataError, match="sharing a key") as info:
        as_table(pd.concat([asg, asg.head(2)]), ALIGNMENT)
    assert info.value.n_rows == 4 and "account_id" in info.value.fix
    gap = asg.copy()
    gap.loc[0, "territory_id"] = None
    with pytest.raises(DataError, match="territory_id is missing"):
        as_table(gap, ALIGNMENT)


def test_objects_without_the_table_are_refused() -> None:
    with pytest.raises(DataError, match="has no to_frame"):
        as_table(object(), ALIGNMENT)
    with pytest.raises(KeyError, match="known"):
        as_table(pd.DataFrame(), "alignments")
