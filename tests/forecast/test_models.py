"""Point forecasts on series with known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmopt.forecast import statistical as st
from spmopt.forecast.models import forecast_panel

T = np.arange(60)
PATTERN = np.array([0.8, 0.9, 1.1, 1.0, 1.05, 1.2, 0.95, 0.85, 1.1, 1.0, 0.9, 1.15])


def pure_seasonal(n_years: int = 5, level: float = 1000.0) -> np.ndarray:
    return (level * np.tile(PATTERN, n_years))[None, :]


@pytest.mark.parametrize("model", ["snaive", "ets", "theta", "comb"])
@pytest.mark.parametrize("length", [48, 46, 31])
def test_pure_seasonal_series_is_forecast_near_exactly(model: str, length: int) -> None:
    y = pure_seasonal()
    f = forecast_panel(y[:, :length], np.zeros(1, int), 12, model).values
    np.testing.assert_allclose(f, y[:, length : length + 12], rtol=0.01)


def test_seasonal_with_trend_beats_seasonal_naive() -> None:
    t = np.arange(60)
    y = (1000 * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * 1.08 ** (t / 12))[None, :]
    truth = y[:, 48:]
    err = {
        m: np.abs(forecast_panel(y[:, :48], np.zeros(1, int), 12, m).values - truth).mean()
        for m in ("snaive", "ets", "comb")
    }
    assert err["ets"] < 0.25 * err["snaive"]
    assert err["comb"] < 0.5 * err["snaive"]


def test_baselines_exact() -> None:
    y = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]])
    np.testing.assert_allclose(st.naive(y, 3), [[7, 7, 7]])
    np.testing.assert_allclose(st.drift(y, 3), [[8, 9, 10]])
    np.testing.assert_allclose(st.seasonal_naive(y, 4, season=3), [[5, 6, 7, 5]])
    # last season 5, 6, 7 against 2, 3, 4: a month grew by 3, half of it is added per season
    np.testing.assert_allclose(st.seasonal_drift(y, 4, season=3), [[6.5, 7.5, 8.5, 8.0]])
    # under two seasons there is no yearly change to read: seasonal naive
    np.testing.assert_allclose(st.seasonal_drift(y[:, 2:], 2, season=3), [[5, 6]])


def test_linear_trend_is_extrapolated_by_ets() -> None:
    y = (100 + 5.0 * np.arange(40))[None, :]
    f = st.ets(y, 6)
    np.testing.assert_allclose(f, 100 + 5.0 * np.arange(40, 46)[None, :], rtol=0.02)


def test_seasonality_detected_only_when_present() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(100, 10, (200, 48))
    seasonal = 100 * np.tile(PATTERN, 4)[None, :] + rng.normal(0, 2, (200, 48))
    flagged_noise = st.decompose(noise).index.std(axis=1) > 1e-9
    flagged_season = st.decompose(seasonal).index.std(axis=1) > 1e-9
    assert flagged_noise.mean() < 0.2
    assert flagged_season.mean() > 0.95


def test_short_zero_and_ragged_series_fall_back() -> None:
    y = np.full((3, 30), np.nan)
    y[0] = 100 * np.tile(PATTERN, 3)[:30]
    y[1, 26:] = [5.0, 6.0, 7.0, 8.0]  # 4 months
    y[2] = 0.0
    start = np.array([0, 26, 0])
    pf = forecast_panel(y, start, 12, "comb")
    assert pf.used[0] == "comb"
    assert pf.used[1].startswith("naive (short: 4 months)")
    assert pf.used[2] == "zero"
    np.testing.assert_allclose(pf.values[1], 8.0)
    np.testing.assert_allclose(pf.values[2], 0.0)
    assert np.isfinite(pf.values).all()


def test_gbm_learns_a_shared_seasonal_shape() -> None:
    rng = np.random.default_rng(0)
    scale = rng.lognormal(8, 1, 80)
    y = scale[:, None] * np.tile(PATTERN, 5)[None, :] * rng.lognormal(0, 0.03, (80, 60))
    ds = pd.date_range("2021-01-01", periods=48, freq="MS")
    f = forecast_panel(y[:, :48], np.zeros(80, int), 12, "gbm", ds=ds).values
    truth = y[:, 48:]
    err_gbm = np.abs(f - truth).mean(axis=1) / scale
    err_naive = np.abs(st.naive(y[:, :48], 12) - truth).mean(axis=1) / scale
    assert np.median(err_gbm) < 0.5 * np.median(err_naive)


def test_prophet_runs_quietly_and_returns_its_intervals(capfd: pytest.CaptureFixture[str]) -> None:
    from spmopt.forecast import ml

    y = pure_seasonal(3) * np.linspace(1.0, 1.2, 36)[None, :]
    ds = pd.date_range("2022-01-01", periods=36, freq="MS")
    f, bounds = ml.prophet(y, 6, ds=ds, interval_widths=(0.8, 0.95))
    lo, hi = bounds[0.8]
    lo95, hi95 = bounds[0.95]
    assert f.shape == (1, 6)
    assert (lo95 <= lo).all() and (lo <= f).all() and (f <= hi).all() and (hi <= hi95).all()
    truth = 1000 * PATTERN[:6] * 1.2
    assert np.abs(f[0] / truth - 1).max() < 0.15
    out, err = capfd.readouterr()
    assert "cmdstanpy" not in out + err and "INFO" not in out + err
