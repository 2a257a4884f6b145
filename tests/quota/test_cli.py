"""``spmopt quota PATH --out DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from spmopt.cli import main


def test_quota_command_writes_tables(tmp_path: Path, fc_table: pd.DataFrame, capsys) -> None:  # type: ignore[no-untyped-def]
    fc_path = tmp_path / "forecast.csv"
    fc_table.to_csv(fc_path, index=False)
    out = tmp_path / "out"
    rc = main(
        [
            "quota",
            "data/example",
            "--out",
            str(out),
            "--forecast",
            str(fc_path),
            "--period",
            "quarter",
            "--draws",
            "200",
        ]
    )
    assert rc == 0
    q = pd.read_csv(out / "quotas.csv")
    assert q["territory_quota"].sum() == 71_060_000
    assert q["period"].nunique() == 4
    annual = pd.read_csv(out / "annual.csv")
    assert len(annual) == 40 and annual["p_attain"].notna().all()
    cmp = pd.read_csv(out / "compare.csv")
    assert cmp["method"].tolist() == ["blend", "last_year_growth", "ratchet"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["roll_up"] == 71_060_000
    assert "QuotaResult" in capsys.readouterr().out
    assert not list(out.glob(".*tmp"))  # no temporary files left behind


def test_quota_command_infeasible_exits_2(tmp_path: Path, fc_table: pd.DataFrame, capsys) -> None:  # type: ignore[no-untyped-def]
    fc_path = tmp_path / "forecast.csv"
    fc_table.to_csv(fc_path, index=False)
    out = tmp_path / "out"
    rc = main(
        [
            "quota",
            "data/example",
            "--out",
            str(out),
            "--forecast",
            str(fc_path),
            "--growth-floor",
            "0.3",
            "--draws",
            "0",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "floors" in err and "71,060,000" in err
    conflicts = pd.read_csv(out / "conflicts.csv")
    assert conflicts.loc[0, "level"] == "company"
    assert not (out / "quotas.csv").exists()


def test_quota_command_fits_a_forecast_when_none_given(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    rc = main(["quota", "data/example", "--out", str(out), "--draws", "100", "--period", "year"])
    assert rc == 0
    annual = pd.read_csv(out / "annual.csv")
    assert annual["territory_quota"].sum() == 71_060_000
    assert "sample paths" in (out / "notes.txt").read_text()
    q = pd.read_csv(out / "quotas.csv")
    assert len(q) == 40 and (q["territory_quota"] == annual["territory_quota"]).all()
