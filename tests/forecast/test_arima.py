"""Seasonal ARIMA: unit-root tests, parameter recovery, forecast identities, psi variances."""

from __future__ import annotations

import numpy as np
import pytest

from spmopt.forecast.arima import (
    ArimaFit,
    arima_fit,
    arima_forecast_at,
    arima_variance,
    kpss_stat,
    ndiffs,
    nsdiffs,
)
from spmopt.forecast.models import MODELS, forecast_panel


def ar1(n: int, t: int, phi: float, seed: int, level: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.empty((n, t))
    x = np.zeros(n)
    for j in range(t):
        x = phi * x + rng.normal(0, 1, n)
        y[:, j] = level + x
    return y


def test_unit_root_tests_tell_walks_from_noise() -> None:
    rng = np.random.default_rng(0)
    walk = rng.normal(0, 1, (200, 120)).cumsum(axis=1)
    noise = rng.normal(0, 1, (200, 120))
    # KPSS at 5 %: noise rejected about 5 % of the time, a random walk nearly always
    assert (kpss_stat(noise) > 0.463).mean() < 0.12
    assert (kpss_stat(walk) > 0.463).mean() > 0.85
    assert (ndiffs(walk) == 1).mean() > 0.8
    assert (ndiffs(noise) == 0).mean() > 0.85
    assert (ndiffs(walk.cumsum(axis=1)) == 2).mean() > 0.7
    pattern = 20 * np.sin(2 * np.pi * np.arange(120) / 12)
    assert (nsdiffs(100 + pattern + noise) == 1).all()
    assert (nsdiffs(100 + noise) == 0).all()
    assert (nsdiffs(100 + pattern[:20] + noise[:, :20]) == 0).all()  # under two seasons


def test_ar1_parameters_are_recovered() -> None:
    y = ar1(200, 120, 0.6, seed=1)
    fit = arima_fit(y)
    assert isinstance(fit, ArimaFit)
    p, d, q, sp, sd, sq, c = fit.order.T
    assert (d == 0).mean() > 0.8 and (sd == 0).all()
    pure = (p == 1) & (q == 0) & (sp == 0) & (sq == 0) & (c == 1)
    assert pure.mean() > 0.4
    assert abs(np.median(fit.params[pure, 0]) - 0.6) < 0.06
    # the mean on the original scale
    assert abs(np.median(fit.params[pure, 8] * fit.scale[pure]) - 100) < 0.5
    assert abs(np.median(fit.sigma2[pure] * fit.scale[pure] ** 2) - 1.0) < 0.15


def test_fitted_polynomials_are_stationary_and_invertible() -> None:
    y = ar1(60, 80, 0.95, seed=2) + np.random.default_rng(3).normal(0, 3, (60, 80))
    fit = arima_fit(y)
    for row, (p, _d, q, *_rest) in zip(fit.params, fit.order):
        if p:
            ar_roots = np.roots(np.r_[-row[:p][::-1], 1.0])
            assert (np.abs(ar_roots) > 1.0).all()
        if q:
            ma_roots = np.roots(np.r_[row[3 : 3 + q][::-1], 1.0])
            assert (np.abs(ma_roots) > 1.0).all()


def test_forecast_identities_and_psi_variances() -> None:
    rng = np.random.default_rng(4)
    walk = 100 + rng.normal(0, 1, (5, 60)).cumsum(axis=1)
    only = np.tile([0, 1, 0, 0, 0, 0, 0], (5, 1))  # ARIMA(0,1,0): the last value
    fit = arima_fit(walk, only=only)
    f = arima_forecast_at(fit, walk, np.array([40, 60]), 6)
    np.testing.assert_allclose(f[0], np.repeat(walk[:, 39:40], 6, axis=1))
    np.testing.assert_allclose(f[1], np.repeat(walk[:, 59:60], 6, axis=1))
    s2 = fit.sigma2 * fit.scale**2
    np.testing.assert_allclose(arima_variance(fit, 6), s2[:, None] * np.arange(1, 7))
    # ARIMA(0,0,0)(0,1,0)[12]: seasonal naive
    seas = 100 + 10 * np.sin(np.arange(48) * np.pi / 6) + rng.normal(0, 1, (5, 48))
    fit = arima_fit(seas, only=np.tile([0, 0, 0, 0, 1, 0, 0], (5, 1)))
    np.testing.assert_allclose(arima_forecast_at(fit, seas, np.array([48]), 12)[0], seas[:, 36:])
    # AR(1): Var_h = σ² Σ_{j<h} φ^{2j}
    y = ar1(3, 100, 0.5, seed=5)
    fit = arima_fit(y, only=np.tile([1, 0, 0, 0, 0, 0, 1], (3, 1)))
    phi = fit.params[:, 0]
    s2 = fit.sigma2 * fit.scale**2
    expect = s2[:, None] * np.cumsum(phi[:, None] ** (2 * np.arange(5))[None, :], axis=1)
    np.testing.assert_allclose(arima_variance(fit, 5), expect, rtol=1e-10)
    # the AR(1) forecast decays geometrically to the mean
    mu = fit.params[:, 8] * fit.scale
    f = arima_forecast_at(fit, y, np.array([100]), 3)[0]
    np.testing.assert_allclose(f[:, 1] - mu, phi * (f[:, 0] - mu), rtol=1e-9)


def test_seasonal_arima_beats_seasonal_naive_on_airline_data() -> None:
    # (0,1,1)(0,1,1)[12] with θ = −0.4, Θ = −0.6: the airline model
    rng = np.random.default_rng(6)
    n, t = 40, 96
    e = rng.normal(0, 1, (n, t + 13))
    w = e[:, 13:] - 0.4 * e[:, 12:-1] - 0.6 * e[:, 1:-12] + 0.24 * e[:, :-13]
    y = np.zeros((n, t))
    for j in range(t):
        y[:, j] = w[:, j] + (y[:, j - 1] if j >= 1 else 0) + (y[:, j - 12] if j >= 12 else 0)
        y[:, j] -= y[:, j - 13] if j >= 13 else 0
    y += 500
    train, test = y[:, :84], y[:, 84:]
    fit = arima_fit(train)
    # most series are differenced (a few weakly seasonal ones keep near-unit seasonal roots)
    assert ((fit.order[:, 1] + fit.order[:, 4]) >= 1).mean() > 0.75
    f = arima_forecast_at(fit, train, np.array([84]), 12)[0]
    snaive = train[:, 72:84]
    assert np.abs(test - f).mean() < 0.9 * np.abs(test - snaive).mean()


def test_arima_in_the_registry_and_short_series() -> None:
    assert {"arima", "comb4", "median"} <= set(MODELS)
    y = np.full((3, 40), np.nan)
    rng = np.random.default_rng(8)
    y[0] = 100 + rng.normal(0, 5, 40)
    y[1, 30:] = 50 + rng.normal(0, 2, 10)  # 10 months: non-seasonal ARIMA
    y[2, 36:] = 20.0  # 4 months: naive
    start = np.array([0, 30, 36])
    pf = forecast_panel(y, start, 6, "arima")
    assert np.isfinite(pf.values).all()
    assert pf.used[0] == "arima" and "nonseasonal" in pf.used[1] and "naive" in pf.used[2]
    np.testing.assert_allclose(pf.values[2], 20.0)
    med = forecast_panel(y, start, 6, "median").values
    parts = [forecast_panel(y, start, 6, m).values for m in ("ets", "theta", "theta_grid")]
    lo = np.minimum.reduce([*parts, pf.values])
    hi = np.maximum.reduce([*parts, pf.values])
    assert ((med >= lo - 1e-9) & (med <= hi + 1e-9)).all()


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="NaN"):
        arima_fit(np.array([[1.0, np.nan, 2.0]]))
