"""backtest(): rolling origin metrics by model and level; the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt.cli import main
from spmopt.forecast import RevenueForecaster, backtest
from spmopt.forecast.backtest import score


@pytest.fixture(scope="module")
def bt(example_history: pd.DataFrame) -> spm.forecast.BacktestResult:
    fc = RevenueForecaster(horizon=12)
    return backtest(fc, example_history, n_windows=2, models=("snaive", "naive", "comb"))


def test_metrics_table(bt: spm.forecast.BacktestResult) -> None:
    m = bt.metrics
    for col in ("model", "level", "n_series", "mase", "smape", "rmsse_w", "bias", "pinball",
                "coverage_80", "coverage_95", "seconds"):  # fmt: skip
        assert col in m.columns
    assert set(m["model"]) == {"auto", "snaive", "naive", "comb"}
    assert set(m["level"]) == {"rep", "district", "region", "total"}
    assert len(bt.cutoffs) == 2 and bt.cutoffs[-1] == pd.Timestamp("2025-12-01")
    assert ((m["coverage_80"] >= 0) & (m["coverage_80"] <= m["coverage_95"])).all()
    f = bt.forecasts
    assert f["y"].notna().all()
    assert set(f["ds"].dt.year) == {2025, 2026}


def test_auto_is_never_the_weakest(bt: spm.forecast.BacktestResult) -> None:
    m = bt.metrics.pivot(index="level", columns="model", values="mase")
    for lv, row in m.iterrows():
        assert row["auto"] < row.max(), lv
        assert row["auto"] <= row["naive"], lv


def test_score_by_hand() -> None:
    g = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "cutoff": [pd.Timestamp("2020-01-01")] * 2,
            "y": [10.0, 20.0],
            "yhat": [12.0, 20.0],
            "scale": [2.0, 2.0],
            "weight": [1.0, 1.0],
            "yhat_lo_80": [11.0, 15.0],
            "yhat_hi_80": [13.0, 25.0],
            "yhat_lo_95": [9.0, 14.0],
            "yhat_hi_95": [14.0, 26.0],
        }
    )
    s = score(g)
    assert s["mase"] == pytest.approx(0.5)  # (|−2| / 2 + 0) / 2
    assert s["smape"] == pytest.approx(100 * (2 * 2 / 22) / 2)
    assert s["bias"] == pytest.approx(2 / 30)
    assert s["coverage_80"] == pytest.approx(50.0)
    assert s["coverage_95"] == pytest.approx(100.0)
    assert s["rmsse_w"] == pytest.approx(np.sqrt((1 + 0) / 2))


def test_backtest_needs_history(example_history: pd.DataFrame) -> None:
    with pytest.raises(spm.ConfigError, match="months of history"):
        backtest(RevenueForecaster(), example_history, n_windows=4)
    with pytest.raises(spm.ConfigError):
        backtest(RevenueForecaster(), example_history, n_windows=0)


def test_cli_writes_forecast_and_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fc"
    root = Path(__file__).resolve().parents[2]
    rc = main(["forecast", str(root / "data" / "example"), "--horizon", "6", "--out", str(out),
               "--windows", "2"])  # fmt: skip
    assert rc == 0
    f = pd.read_csv(out / "forecast.csv")
    assert len(f) == 53 * 6 and f["ds"].min() == "2027-01-01"
    b = pd.read_csv(out / "backtest.csv")
    assert {"auto", "snaive"} <= set(b["model"])
    assert (out / "notes.txt").exists() and (out / "history.csv").exists()
    annual = pd.read_csv(out / "forecast_annual.csv")
    assert len(annual) == 53 and (annual["yhat_lo_80"] <= annual["yhat_hi_80"]).all()
    assert not list(out.glob(".*.tmp"))
    assert (
        main(["forecast", str(root / "data" / "example"), "--horizon", "0", "--out", str(out)]) == 1
    )
    assert "horizon" in capsys.readouterr().err


def test_coverage_by_group(bt: spm.forecast.BacktestResult) -> None:
    pooled = bt.coverage("pooled").set_index("level")
    m = bt.metrics[bt.metrics["model"] == "auto"].set_index("level")
    for lv, row in pooled.iterrows():
        assert row["coverage_80"] == pytest.approx(m.loc[lv, "coverage_80"])
    by_h = bt.coverage("horizon", width=4, model="snaive")
    assert list(by_h["group"][:3]) == ["h1-4", "h5-8", "h9-12"]
    assert list(pd.unique(by_h["level"])) == ["rep", "district", "region", "total"]
    assert by_h.groupby("level")["n"].sum().to_dict() == pooled["n"].to_dict()
    assert list(bt.coverage("cutoff")["group"][:2]) == ["2024-12", "2025-12"]
    with pytest.raises(spm.ConfigError, match="horizon"):
        bt.coverage("month")


def test_intervals_are_calibrated_at_every_level_on_the_example(
    example_history: pd.DataFrame,
) -> None:
    """The example's rolling backtest (3 yearly windows, h = 12), pooled over the windows: the
    80 % interval covers 77-83 % and the 95 % interval 93-97 % at rep, district and region
    level (the targets of the README's forecast section). The total is one series, 36 months:
    a month moves its coverage by 2.8 points and the band holds 28 or 29 of them, so it gets
    one month either side (27-30 of 36 at 80 %, 33-35 at 95 %). Per horizon bucket (months
    1-3, ..., 10-12) every level stays within 65-90 % at 80 % and above 85 % at 95 %: a
    spread that grows too fast or too slowly with the horizon, or one width for a December
    that sells 1.5× an average month (the total's October-December once covered 55.6 %),
    breaks it."""
    res = backtest(RevenueForecaster(horizon=12, seed=0), example_history, n_windows=3, models=())
    pooled = res.coverage("pooled").set_index("level")
    assert set(pooled.index) == {"rep", "district", "region", "total"}
    for lv, row in pooled.iterrows():
        month = 100 / 36 if lv == "total" else 0.0
        assert 77 - month <= row["coverage_80"] <= 83 + month + 1e-9, (lv, row["coverage_80"])
        assert 93 - month <= row["coverage_95"] <= 97 + month + 1e-9, (lv, row["coverage_95"])
    by_h = res.coverage("horizon", width=3)
    for (lv, grp), row in by_h.set_index(["level", "group"]).iterrows():
        assert 65 <= row["coverage_80"] <= 90, (lv, grp, row["coverage_80"])
        assert row["coverage_95"] >= 85, (lv, grp, row["coverage_95"])
    assert list(by_h["group"][:4]) == ["h1-3", "h4-6", "h7-9", "h10-12"]
    # the first window has 12 months of history and no inner backtest: its in-sample spreads
    # must not cover everything (the k-month changes once gave 100 % at district and region)
    first = res.coverage("cutoff").query("group == '2023-12'").set_index("level")
    assert (first["coverage_80"] < 95).all(), first["coverage_80"].to_dict()
