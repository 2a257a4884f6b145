"""Excel workbooks: planning data in (named sheets, mapped columns), the plan workbook out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import spmopt as spm
from spmopt import DataError, PlanningData
from spmopt.data import generate
from spmopt.data.excel import plan_summary, write_plan_workbook, write_planning_excel


@pytest.fixture(scope="module")
def data() -> PlanningData:
    return generate(120, 5, 24, seed=3)


def test_workbook_round_trip(tmp_path: Path, data: PlanningData) -> None:
    path = write_planning_excel(data, tmp_path / "plan_data.xlsx")
    assert (tmp_path / "plan.yaml").exists() and (tmp_path / "targets.yaml").exists()
    back = spm.read_planning_data(path)
    ref = data.validate()
    for name in ("accounts", "reps", "sales"):
        pd.testing.assert_frame_equal(
            getattr(ref, name).reset_index(drop=True),
            getattr(back, name).reset_index(drop=True),
            check_dtype=False,
        )
    assert back.plan == data.plan and back.targets == data.targets


def test_named_sheets_and_columns(tmp_path: Path, data: PlanningData) -> None:
    acc = data.accounts.rename(columns={"potential": "Annual potential (USD)"})
    with pd.ExcelWriter(tmp_path / "crm.xlsx", engine="openpyxl") as xw:
        acc.to_excel(xw, sheet_name="Accounts 2027", index=False)
        data.reps.to_excel(xw, sheet_name="Reps", index=False)
        data.sales.to_excel(xw, sheet_name="sales", index=False)
    back = spm.read_planning_data(
        tmp_path / "crm.xlsx",
        tables={"accounts": "Accounts 2027"},  # 'Reps' is found case-insensitively
        columns={"accounts": {"potential": "Annual potential (USD)"}},
    )
    assert back.accounts["potential"].sum() == pytest.approx(data.accounts["potential"].sum())
    assert back.plan is None  # no plan.yaml beside this workbook
    with pytest.raises(DataError) as e:
        spm.read_planning_data(tmp_path / "crm.xlsx")
    assert e.value.table == "accounts" and "Accounts 2027" in str(e.value)


def test_bad_workbook_values_name_rows(tmp_path: Path, data: PlanningData) -> None:
    acc = data.accounts.copy().astype({"workload": object})
    acc.loc[4, "workload"] = "lots"
    bad = PlanningData(acc, data.reps, data.sales)
    write_planning_excel(bad, tmp_path / "bad.xlsx")
    with pytest.raises(DataError) as e:
        spm.read_planning_data(tmp_path / "bad.xlsx")
    assert (e.value.table, e.value.column, e.value.rows) == (
        "accounts",
        "workload",
        [acc.loc[4, "account_id"]],
    )
    (tmp_path / "junk.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read workbook"):
        spm.read_planning_data(tmp_path / "junk.xlsx")


def _tables() -> dict[str, pd.DataFrame]:
    periods = pd.date_range("2027-01-01", periods=3, freq="MS")
    return {
        "reps": pd.DataFrame(
            {"rep_id": ["R1", "R2"], "territory_id": ["T1", "T2"], "region": ["W", "E"]}
        ),
        "territories": pd.DataFrame(
            {"territory_id": ["T1", "T2"], "n_accounts": [3, 4], "potential": [100.0, 300.0]}
        ),
        "quota_annual": pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [60.0, 90.0]}),
        "quotas": pd.DataFrame(
            {
                "rep_id": ["R1"] * 3 + ["R2"] * 3,
                "territory_id": ["T1"] * 3 + ["T2"] * 3,
                "period": list(periods) * 2,
                "quota": [10.0, 20.0, 30.0, 30.0, 30.0, 30.0],
            }
        ),
        "comp_per_rep": pd.DataFrame(
            {"rep_id": ["R2", "R1"], "p_at_quota": [0.4, 0.7], "expected_incentive": [5.0, 8.0]}
        ),
    }


def test_plan_workbook_sheets_and_values(tmp_path: Path) -> None:
    tables = _tables()
    summ = plan_summary(tables)
    assert summ["quota_to_potential"].tolist() == pytest.approx([0.6, 0.3])
    assert summ["p_at_quota"].tolist() == [0.7, 0.4]  # joined by rep, not by position
    path = write_plan_workbook(tables, tmp_path / "out" / "plan.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["Plan summary", "Quotas by month", "Quotas"]
    wide = sheets["Quotas by month"]
    assert list(wide.columns) == [
        "rep_id",
        "territory_id",
        "2027-01",
        "2027-02",
        "2027-03",
        "annual",
    ]
    assert wide["annual"].tolist() == [60.0, 90.0]
    assert wide.loc[0, "2027-02"] == 20.0
    assert len(sheets["Quotas"]) == 6
    assert [p.name for p in path.parent.iterdir()] == ["plan.xlsx"]  # no temporary file left


def test_plan_workbook_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_plan_workbook(_tables(), tmp_path / "plan.xlsx")
    before = path.read_bytes()

    def boom(*a: object, **k: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr("spmopt.data.excel._workbook_bytes", boom)
    with pytest.raises(RuntimeError):
        write_plan_workbook(_tables(), path)
    assert path.read_bytes() == before
