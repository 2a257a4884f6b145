"""Interval coverage on simulated data with a known error distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.forecast import RevenueForecaster
from spmopt.forecast.intervals import series_scale

from .conftest import flat_history


def simulate(n: int, t: int, seed: int) -> np.ndarray:
    """Stable seasonal means plus i.i.d. Gaussian noise (sd 8 % of the level)."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(500, 5000, n)
    pattern = 1 + 0.25 * np.sin(2 * np.pi * (np.arange(t) + rng.integers(0, 12, n)[:, None]) / 12)
    mean = level[:, None] * pattern
    return mean + rng.normal(0, 0.08, (n, t)) * level[:, None]


def test_pooled_intervals_cover_near_nominal_on_gaussian_data() -> None:
    n, t, h = 400, 60, 12
    y = simulate(n, t, seed=11)
    hist = flat_history(y[:, : t - h])
    r = RevenueForecaster(model="ets", horizon=h).fit(hist).predict()
    f = r.frame.sort_values(
        ["unique_id", "ds"], key=lambda s: s.str[1:].astype(int) if s.name == "unique_id" else s
    )
    actual = y[:, t - h :].ravel()
    cov80 = np.mean((actual >= f["yhat_lo_80"]) & (actual <= f["yhat_hi_80"])) * 100
    cov95 = np.mean((actual >= f["yhat_lo_95"]) & (actual <= f["yhat_hi_95"])) * 100
    assert abs(cov80 - 80) <= 4, cov80
    assert abs(cov95 - 95) <= 3, cov95


def test_samples_reproduce_the_interval_coverage() -> None:
    n, t, h = 300, 60, 12
    y = simulate(n, t, seed=5)
    r = RevenueForecaster(model="ets", horizon=h).fit(flat_history(y[:, : t - h])).predict()
    sp = r.samples(2000, seed=0, level="series")
    order = np.argsort([int(u[1:]) for u in sp.unique_id])
    v = sp.values[:, order, :]
    lo, hi = np.quantile(v, [0.1, 0.9], axis=0)
    actual = y[:, t - h :]
    cov = np.mean((actual >= lo) & (actual <= hi)) * 100
    assert abs(cov - 80) <= 5, cov


def test_series_scale() -> None:
    y = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0, 16.0,
                   18.0, 20.0, 22.0, 24.0, 26.0]], dtype=float)  # fmt: skip
    # seasonal (lag 12) differences: 13, 14, ..., 14+... mean over 7 values
    expected = np.mean(np.abs(y[0, 12:] - y[0, :-12]))
    np.testing.assert_allclose(series_scale(y), [expected])
    assert series_scale(np.zeros((1, 30)))[0] == 1.0
    assert isinstance(pd.Timestamp("2020-01-01"), pd.Timestamp)


def test_bottom_up_spread_adds_bottom_variances() -> None:
    from scipy import sparse

    from spmopt.forecast.intervals import bottom_up_spread

    # two bottom series (scale 1) and their parent: independent errors add in variance
    s = sparse.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    level = np.array(["total", "rep", "rep"])
    sig = np.array([1.0, 2.0])
    out = bottom_up_spread({"rep": sig}, np.array([2.0, 1.0, 1.0]), s, np.array([1, 2]), level, 0.0)
    np.testing.assert_allclose(out["total"], sig * np.sqrt(2) / 2)
    np.testing.assert_allclose(out["rep"], sig)
    # fully correlated: standard deviations add
    out = bottom_up_spread({"rep": sig}, np.array([2.0, 1.0, 1.0]), s, np.array([1, 2]), level, 1.0)
    np.testing.assert_allclose(out["total"], sig)


def test_in_sample_spread_of_seasonal_naive_is_flat_over_the_first_season() -> None:
    from spmopt.forecast.intervals import in_sample_spread

    rng = np.random.default_rng(3)
    pattern = 1 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)
    y = 1000 * pattern[None, :] + rng.normal(0, 20, (30, 12))
    level = np.array(["rep"] * 30)
    # 12 months: seasonal naive, whose error at every step of the year is one yearly change;
    # the k-month changes (seasonal swings) would grow to several times the one-month change
    sp = in_sample_spread(y, level, 24, season=12)["rep"]
    np.testing.assert_allclose(sp[:12], sp[0])
    np.testing.assert_allclose(sp[12:], sp[0] * np.sqrt(2))
    # under a season the forecast is naive: its error grows with the step
    sp = in_sample_spread(y[:, :8], level, 6, season=12)["rep"]
    assert sp[-1] > 1.5 * sp[0]
