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


def test_intervals_are_calibrated_at_every_level_on_the_example(
    example_history: pd.DataFrame,
) -> None:
    """The example's rolling backtest (3 yearly windows, h = 12), pooled over the windows: the
    80 % interval covers 75-85 % and the 95 % interval 90-98 % at rep, district, region and
    total level (README, forecast section)."""
    res = backtest(RevenueForecaster(horizon=12, seed=0), example_history, n_windows=3, models=())
    m = res.metrics.set_index("level")
    assert set(m.index) == {"rep", "district", "region", "total"}
    for lv, row in m.iterrows():
        assert 75 <= row["coverage_80"] <= 85, (lv, row["coverage_80"])
        assert 90 <= row["coverage_95"] <= 98, (lv, row["coverage_95"])
