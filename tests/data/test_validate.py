"""Each class of bad input raises a DataError naming table, column, rows and a fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmopt import DataError, PlanningData
from spmopt.data import generate, validate_tables


@pytest.fixture(scope="module")
def tiny() -> PlanningData:
    return generate(60, 4, 14, seed=11)


def _raises(data: PlanningData) -> DataError:
    with pytest.raises(DataError) as info:
        data.validate()
    return info.value


def _with(data: PlanningData, **tables: pd.DataFrame) -> PlanningData:
    import dataclasses

    return dataclasses.replace(data, **tables)


def test_valid_data_passes_and_normalises(tiny: PlanningData) -> None:
    out = tiny.validate()
    assert out.accounts["potential"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(out.sales["period"])
    assert tiny.issues() == []


def test_missing_column_names_it(tiny: PlanningData) -> None:
    err = _raises(_with(tiny, accounts=tiny.accounts.drop(columns=["workload"])))
    assert (err.table, err.column) == ("accounts", "workload")
    assert "add column 'workload'" in err.fix


def test_misspelt_column_suggests_rename(tiny: PlanningData) -> None:
    err = _raises(_with(tiny, accounts=tiny.accounts.rename(columns={"potential": "potental"})))
    assert (err.table, err.column) == ("accounts", "potential")
    assert "rename column 'potental' to 'potential'" in err.fix


def test_wrong_type_names_rows(tiny: PlanningData) -> None:
    acc = tiny.accounts.astype({"potential": object})
    acc.loc[3, "potential"] = "12k"
    err = _raises(_with(tiny, accounts=acc))
    assert (err.table, err.column) == ("accounts", "potential")
    assert err.rows == [acc.loc[3, "account_id"]]
    assert "'12k'" in str(err)


def test_duplicate_ids(tiny: PlanningData) -> None:
    acc = tiny.accounts.copy()
    acc.loc[5, "account_id"] = acc.loc[4, "account_id"]
    err = _raises(_with(tiny, accounts=acc))
    assert (err.table, err.column) == ("accounts", "account_id")
    assert err.rows == [acc.loc[4, "account_id"]]


def test_nan_in_required_column(tiny: PlanningData) -> None:
    acc = tiny.accounts.copy()
    acc.loc[[2, 9], "lat"] = np.nan
    err = _raises(_with(tiny, accounts=acc))
    assert (err.table, err.column) == ("accounts", "lat")
    assert err.rows == list(acc.loc[[2, 9], "account_id"])


@pytest.mark.parametrize(
    ("table", "column"), [("accounts", "potential"), ("accounts", "workload"), ("sales", "revenue")]
)
def test_negative_values(tiny: PlanningData, table: str, column: str) -> None:
    frame = getattr(tiny, table).copy()
    frame.loc[1, column] = -5.0
    err = _raises(_with(tiny, **{table: frame}))
    assert (err.table, err.column) == (table, column)
    assert err.n_rows == 1
    assert ">= 0" in err.fix


def test_lat_out_of_range(tiny: PlanningData) -> None:
    acc = tiny.accounts.copy()
    acc.loc[0, "lat"] = 120.0
    err = _raises(_with(tiny, accounts=acc))
    assert (err.table, err.column, err.rows) == ("accounts", "lat", [acc.loc[0, "account_id"]])


def test_sales_for_unknown_accounts(tiny: PlanningData) -> None:
    sales = tiny.sales.copy()
    sales.loc[0, "account_id"] = "NOPE"
    err = _raises(_with(tiny, sales=sales))
    assert (err.table, err.column, err.rows) == ("sales", "account_id", ["NOPE"])


def test_rep_without_territory(tiny: PlanningData) -> None:
    reps = tiny.reps.copy()
    reps.loc[2, "territory_id"] = None
    err = _raises(_with(tiny, reps=reps))
    assert (err.table, err.column, err.rows) == ("reps", "territory_id", [reps.loc[2, "rep_id"]])


def test_two_reps_one_territory(tiny: PlanningData) -> None:
    reps = tiny.reps.copy()
    reps.loc[1, "territory_id"] = reps.loc[0, "territory_id"]
    err = _raises(_with(tiny, reps=reps))
    assert (err.table, err.column) == ("reps", "territory_id")
    assert set(err.rows) == set(reps.loc[[0, 1], "rep_id"])


def test_current_territory_no_rep_holds(tiny: PlanningData) -> None:
    acc = tiny.accounts.copy()
    acc.loc[7, "current_territory"] = "T999"
    err = _raises(_with(tiny, accounts=acc))
    assert (err.table, err.column, err.rows) == (
        "accounts",
        "current_territory",
        [acc.loc[7, "account_id"]],
    )
    assert "T999" in str(err)


def test_period_not_month_start(tiny: PlanningData) -> None:
    sales = tiny.sales.copy()
    sales.loc[4, "period"] = sales.loc[4, "period"] + pd.Timedelta(days=14)
    err = _raises(_with(tiny, sales=sales))
    assert (err.table, err.column) == ("sales", "period")
    assert err.rows[0].startswith(sales.loc[4, "account_id"])


def test_gap_in_account_history(tiny: PlanningData) -> None:
    s = tiny.sales
    acc = s["account_id"].value_counts().index[0]  # an account with a long history
    rows = s.index[s["account_id"] == acc]
    err = _raises(_with(tiny, sales=s.drop(index=rows[3])))
    assert (err.table, err.column, err.rows) == ("sales", "period", [acc])
    assert "revenue 0" in err.fix


def test_month_missing_for_everyone(tiny: PlanningData) -> None:
    s = tiny.sales
    month = sorted(s["period"].unique())[5]
    err = _raises(_with(tiny, sales=s[s["period"] != month]))
    assert (err.table, err.column) == ("sales", "period")
    assert str(pd.Timestamp(month))[:7] in str(err)


def test_duplicate_sales_rows(tiny: PlanningData) -> None:
    s = tiny.sales
    err = _raises(_with(tiny, sales=pd.concat([s, s.iloc[[10]]], ignore_index=True)))
    assert (err.table, err.column) == ("sales", "account_id/period")
    assert err.rows[0].startswith(s.iloc[10]["account_id"])


def test_every_problem_is_collected(tiny: PlanningData) -> None:
    acc = tiny.accounts.copy()
    acc.loc[0, "potential"] = -1.0
    reps = tiny.reps.copy()
    reps.loc[0, "lat"] = np.nan
    _, errors = validate_tables(acc, reps, tiny.sales)
    assert {(e.table, e.column) for e in errors} == {("accounts", "potential"), ("reps", "lat")}


def test_not_a_dataframe() -> None:
    _, errors = validate_tables(accounts=[1, 2, 3])  # type: ignore[arg-type]
    assert errors[0].table == "accounts"
    assert "DataFrame" in str(errors[0])


@settings(max_examples=25, deadline=None)
@given(rows=st.sets(st.integers(0, 59), min_size=1, max_size=8), value=st.floats(-1e9, -1e-3))
def test_negative_potential_names_exactly_the_bad_rows(rows: set[int], value: float) -> None:
    data = generate(60, 4, 14, seed=11)
    acc = data.accounts.copy()
    idx = sorted(rows)
    acc.loc[idx, "potential"] = value
    _, errors = validate_tables(acc, data.reps, data.sales)
    assert len(errors) == 1
    err = errors[0]
    assert err.n_rows == len(idx)
    assert err.rows == list(acc.loc[idx, "account_id"])[:10]
