"""The generator is deterministic and realistic; I/O round-trips; writes are atomic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt import DataError, PlanningData
from spmopt.data import generate, read_planning_data
from spmopt.data.example import EXAMPLE_SEED, EXAMPLE_SIZE


def test_same_seed_same_data() -> None:
    a, b = generate(200, 6, 24, seed=3), generate(200, 6, 24, seed=3)
    for name in ("accounts", "reps", "sales"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate(200, 6, 24, seed=4)
    assert not np.allclose(a.accounts["potential"], c.accounts["potential"])


def test_example_is_the_generator_output(example: PlanningData) -> None:
    gen = generate(**EXAMPLE_SIZE, seed=EXAMPLE_SEED)
    pd.testing.assert_frame_equal(
        gen.accounts.reset_index(drop=True), example.accounts, check_dtype=False
    )
    assert gen.targets == example.targets
    assert gen.plan == example.plan


def test_example_shape_and_realism(example: PlanningData) -> None:
    acc, reps, sales = example.accounts, example.reps, example.sales
    assert len(acc) == 2500 and len(reps) == 40
    assert set(reps["region"]) == {"Midwest", "Northeast", "South", "West"}
    assert reps["district"].nunique() == 8
    assert sales["period"].nunique() == 48
    # contiguous US
    assert acc["lat"].between(24, 50).all() and acc["lon"].between(-125, -66).all()
    # heavy-tailed potential: the top 10% of accounts hold most of it
    pot = np.sort(acc["potential"].to_numpy())[::-1]
    assert pot[: len(pot) // 10].sum() / pot.sum() > 0.4
    # the inherited alignment is unbalanced
    by_terr = acc.groupby("current_territory")["potential"].sum()
    assert by_terr.max() / by_terr.min() > 5
    # December is the seasonal peak of company revenue
    monthly = sales.groupby(sales["period"].dt.month)["revenue"].sum()
    assert monthly.idxmax() == 12
    # churned, new and never-bought accounts exist
    first = sales.groupby("account_id")["period"].min()
    last = sales.groupby("account_id")["period"].max()
    assert (first > sales["period"].min()).any() and (last < sales["period"].max()).any()
    assert sales["account_id"].nunique() < len(acc)
    assert example.targets is not None and example.targets.plan_year == 2027


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_read_round_trip(tmp_path: Path, small_data: PlanningData, fmt: str) -> None:
    path = small_data.write(tmp_path / "plan", format=fmt)
    back = read_planning_data(path)
    pd.testing.assert_frame_equal(back.sales, small_data.sales, check_dtype=False)
    pd.testing.assert_frame_equal(back.reps, small_data.reps, check_dtype=False)
    assert back.targets == small_data.targets and back.plan == small_data.plan


def test_failed_write_leaves_old_folder(tmp_path: Path, small_data: PlanningData) -> None:
    import dataclasses

    target = small_data.write(tmp_path / "plan")
    before = sorted(p.name for p in target.iterdir())
    bad = dataclasses.replace(small_data, sales=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bad.write(target)
    assert sorted(p.name for p in target.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]  # no temporary left behind


def test_missing_folder_and_table(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_planning_data(tmp_path / "nowhere")
    (tmp_path / "accounts.csv").write_text("account_id,lat,lon,potential,workload\n")
    with pytest.raises(DataError) as info:
        read_planning_data(tmp_path)
    assert info.value.table == "reps"


def test_bad_targets_name_the_key(tmp_path: Path, small_data: PlanningData) -> None:
    path = small_data.write(tmp_path / "plan")
    (path / "targets.yaml").write_text("plan_year: 2027\ncompany_revenue_targt: 5\n")
    with pytest.raises(
        spm.ConfigError, match=r"company_revenue_targt.*did you mean 'company_revenue_target'"
    ):
        read_planning_data(path)


def test_summary_mentions_history(example: PlanningData) -> None:
    s = example.summary()["value"]
    assert s["accounts"] == 2500
    assert s["history"].startswith("2023-01 to 2026-12")


def test_current_assignment_marks_vacant_and_unaligned(small_data: PlanningData) -> None:
    from spmopt.data import current_assignment

    acc = small_data.accounts.copy()
    acc.loc[0, "current_territory"] = None
    reps = small_data.reps.iloc[1:]  # the first territory loses its rep
    asg = current_assignment(acc, reps)
    assert list(asg.columns) == ["account_id", "territory_id", "rep_id"]
    assert len(asg) == len(acc)
    assert pd.isna(asg.loc[0, "territory_id"]) and pd.isna(asg.loc[0, "rep_id"])
    vacant = asg["territory_id"] == small_data.reps["territory_id"].iloc[0]
    assert vacant.any() and asg.loc[vacant, "rep_id"].isna().all()
    held = asg["territory_id"].notna() & ~vacant
    assert asg.loc[held, "rep_id"].notna().all()
    with pytest.raises(DataError) as info:
        current_assignment(acc, reps, require_complete=True)
    assert info.value.rows == [acc.loc[0, "account_id"]]
