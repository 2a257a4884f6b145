"""build_history: the hierarchy under an alignment, re-aggregation and input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt.data import PlanningData
from spmopt.forecast.history import to_panel

GOLDEN = Path(__file__).parent / "golden"


def test_levels_and_columns(example_history: pd.DataFrame, example: PlanningData) -> None:
    h = example_history
    assert list(h.columns) == ["unique_id", "ds", "y", "level", "parent"]
    n = h.groupby("level")["unique_id"].nunique().to_dict()
    assert n == {"rep": 40, "district": 8, "region": 4, "total": 1}
    assert h["ds"].min() == pd.Timestamp("2023-01-01")
    assert h["ds"].max() == pd.Timestamp("2026-12-01")
    # every rep appears, including reps hired inside the plan year
    assert set(h.loc[h.level == "rep", "unique_id"]) == set(example.reps["rep_id"])


def test_every_level_sums_to_the_total(example_history: pd.DataFrame) -> None:
    h = example_history
    by = h.groupby(["level", "ds"])["y"].sum().unstack("level")
    for lv in ("rep", "district", "region"):
        np.testing.assert_allclose(by[lv], by["total"], rtol=1e-12)
    # children add up to their parent
    child = h[h.parent.notna()].groupby(["parent", "ds"])["y"].sum()
    parent = h.set_index(["unique_id", "ds"])["y"].reindex(child.index)
    np.testing.assert_allclose(child.to_numpy(), parent.to_numpy(), rtol=1e-12)


def test_total_equals_the_sales_of_assigned_accounts(
    example_history: pd.DataFrame, example: PlanningData
) -> None:
    asg = spm.forecast.current_assignment(example.accounts, example.reps)
    sales = example.sales[example.sales.account_id.isin(asg.account_id)]
    expected = sales.groupby("period")["revenue"].sum().to_numpy()
    total = example_history[example_history.level == "total"].sort_values("ds")["y"].to_numpy()
    np.testing.assert_allclose(total, expected)


def test_history_follows_the_alignment(example: PlanningData) -> None:
    asg = spm.forecast.current_assignment(example.accounts, example.reps)
    h0 = spm.forecast.build_history(example.sales, asg, example.reps, levels=("rep", "total"))
    # move the biggest account of R001 to R002
    sales = example.sales
    mine = sales[sales.account_id.isin(asg.loc[asg.rep_id == "R001", "account_id"])]
    big = mine.groupby("account_id")["revenue"].sum().idxmax()
    moved = asg.copy()
    moved.loc[moved.account_id == big, "rep_id"] = "R002"
    h1 = spm.forecast.build_history(sales, moved, example.reps, levels=("rep", "total"))
    acc = sales[sales.account_id == big].groupby("period")["revenue"].sum()

    def series(h: pd.DataFrame, uid: str) -> pd.Series:
        return h[h.unique_id == uid].set_index("ds")["y"]

    delta = (series(h0, "R001") - series(h1, "R001")).reindex(acc.index)
    np.testing.assert_allclose(delta.to_numpy(), acc.to_numpy())
    np.testing.assert_allclose(
        series(h1, "R002") - series(h0, "R002"),
        delta.reindex(series(h0, "R002").index, fill_value=0.0),
    )
    np.testing.assert_allclose(series(h0, "total"), series(h1, "total"))


def test_rep_without_accounts_is_an_all_zero_series(example: PlanningData) -> None:
    asg = spm.forecast.current_assignment(example.accounts, example.reps)
    asg = asg[asg.rep_id != "R003"]
    h = spm.forecast.build_history(example.sales, asg, example.reps)
    r3 = h[h.unique_id == "R003"]
    assert len(r3) == 48 and (r3["y"] == 0).all()


def test_golden_region_totals(example_history: pd.DataFrame) -> None:
    h = example_history[example_history.level == "region"].copy()
    h["year"] = h["ds"].dt.year
    got = h.groupby(["unique_id", "year"], as_index=False)["y"].sum()
    want = pd.read_csv(GOLDEN / "example_region_year.csv")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want, check_dtype=False, check_exact=False, rtol=1e-9
    )


def test_bad_assignment_and_sales(example: PlanningData) -> None:
    asg = spm.forecast.current_assignment(example.accounts, example.reps)
    with pytest.raises(spm.DataError, match="rep_id") as e:
        spm.forecast.build_history(example.sales, asg.drop(columns="rep_id"), example.reps)
    assert e.value.table == "assignment"
    bad = asg.copy()
    bad.loc[0, "rep_id"] = "R999"
    with pytest.raises(spm.DataError, match="not in the reps table"):
        spm.forecast.build_history(example.sales, bad, example.reps)
    with pytest.raises(spm.DataError) as e:
        spm.forecast.build_history(example.sales.drop(columns="revenue"), asg, example.reps)
    assert e.value.column == "revenue"
    with pytest.raises(spm.ConfigError, match="unknown level"):
        spm.forecast.build_history(example.sales, asg, example.reps, levels=("rep", "city"))
    with pytest.raises(spm.DataError, match="more than one rep"):
        spm.forecast.build_history(example.sales, pd.concat([asg, asg.head(1)]), example.reps)


def test_panel_checks_children_sum(example_history: pd.DataFrame) -> None:
    h = example_history.copy()
    h.loc[h.unique_id == "total", "y"] += 1.0
    with pytest.raises(spm.DataError, match="sum of their children"):
        to_panel(h)
    p = to_panel(example_history)
    s, bottom = p.summing_matrix()
    assert s.shape == (53, 40) and len(bottom) == 40
    np.testing.assert_allclose(s @ p.y[bottom], p.y)


def test_district_named_like_its_region_gets_a_distinct_id() -> None:
    import spmopt as spm

    data = spm.data.generate(120, 4, 14, seed=3)
    reps = data.reps.assign(district=data.reps["region"])  # one district per region, same name
    asg = spm.forecast.current_assignment(data.accounts, reps)
    hist = spm.forecast.build_history(data.sales, asg, reps)
    ids = hist.drop_duplicates(["unique_id", "level"])
    assert not ids["unique_id"].duplicated().any()
    districts = set(ids.loc[ids["level"] == "district", "unique_id"])
    assert districts == {f"{r} (district)" for r in reps["region"]}
    # every district's parent is its region, and the totals still add up
    per = hist.pivot_table(index="ds", columns="level", values="y", aggfunc="sum")
    assert np.allclose(per["district"], per["total"]) and np.allclose(per["rep"], per["total"])


def test_realigned_territories_get_a_note_not_a_crash() -> None:
    data = spm.load_example()
    asg = spm.forecast.current_assignment(data.accounts, data.reps)
    # realignment: the first rep's accounts move to the second rep
    r0, r1 = asg["rep_id"].iloc[0], asg["rep_id"].iloc[1]
    if r0 == r1:
        r1 = next(r for r in asg["rep_id"] if r != r0)
    new = asg.copy()
    moved_accounts = new.index[new["rep_id"] == r0][:3]
    new.loc[moved_accounts, "rep_id"] = r1
    hist = spm.forecast.build_history(data.sales, new, data.reps)
    assert "realigned_share" in hist.columns
    share = hist.groupby("unique_id")["realigned_share"].first()
    rev = data.sales.merge(new, on="account_id", suffixes=("", "_new"))
    rev = rev[rev["rep_id_new"] == r1]
    expect = rev.loc[rev["rep_id"] != r1, "revenue"].abs().sum() / rev["revenue"].abs().sum()
    assert share[r1] == pytest.approx(expect)
    assert (share.drop(r1) == 0).all()
    res = spm.forecast.RevenueForecaster(horizon=6, n_windows=2).fit(hist).predict()
    note = [n for n in res.notes if "realignment" in n]
    assert len(note) == 1 and r1 in note[0] and note[0].startswith("1 territory with history")
    assert np.isfinite(res.frame["yhat"]).all()
    # the current alignment moves nothing: no column, no note
    same = spm.forecast.build_history(data.sales, asg, data.reps)
    assert "realigned_share" not in same.columns
