"""The ETS and Theta families: known-parameter recovery, AICc selection, identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from spmopt.forecast import statistical as st
from spmopt.forecast.ets import MODEL_NAMES, ets_fit, ets_forecast_at
from spmopt.forecast.theta import theta_fit, theta_forecast_at

PATTERN = np.array([0.8, 0.9, 1.1, 1.0, 1.05, 1.2, 0.95, 0.85, 1.1, 1.0, 0.9, 1.15])


def simulate_ets(
    kind: str, n: int, t: int, seed: int, alpha: float = 0.3, beta: float = 0.05,
    gamma: float = 0.1, phi: float = 0.9, sigma: float = 0.03,
) -> np.ndarray:  # fmt: skip
    """Series from the ETS state-space recursions with known parameters (level ≈ 100)."""
    rng = np.random.default_rng(seed)
    err, trend, season = kind[0], kind[1:-1], kind[-1]
    out = np.empty((n, t))
    lev = np.full(n, 100.0)
    b = np.full(n, 0.0 if trend == "N" else 1.0)
    damp = phi if trend == "Ad" else 1.0
    s = np.tile(PATTERN if season == "M" else 100 * (PATTERN - 1), (n, 1))
    s = s if season != "N" else np.zeros((n, 12))
    for i in range(t):
        j = i % 12
        q = lev + damp * b
        mu = q + s[:, j] if season == "A" else q * s[:, j] if season == "M" else q
        e = rng.normal(0, sigma * (1 if err == "M" else 100), n)
        y = mu * (1 + e) if err == "M" else mu + e
        p = y - s[:, j] if season == "A" else y / s[:, j] if season == "M" else y
        lev = alpha * p + (1 - alpha) * q
        b = damp * b + (0.0 if trend == "N" else beta) * (p - q)
        if season == "A":
            s[:, j] += gamma * (y - q - s[:, j])
        elif season == "M":
            s[:, j] += gamma * (y / q - s[:, j])
        out[:, i] = y
    return out


def test_ets_recovers_the_smoothing_parameter_of_a_local_level() -> None:
    y = simulate_ets("ANN", 100, 120, seed=0, alpha=0.3)
    fit = ets_fit(y, models=("ANN",))
    assert np.median(fit.params[:, 0]) == pytest.approx(0.3, abs=0.06)


def test_ets_recovers_seasonal_damped_parameters() -> None:
    y = simulate_ets("MAdM", 60, 144, seed=1, alpha=0.2, beta=0.02, gamma=0.05, phi=0.9)
    fit = ets_fit(y, models=("MAdM",))
    assert np.median(fit.params[:, 0]) == pytest.approx(0.2, abs=0.08)
    # the seasonal pattern comes back as the initial states (mean 1)
    np.testing.assert_allclose(np.median(fit.seasonal, axis=0), PATTERN, atol=0.04)


@pytest.mark.parametrize("kind", ["ANN", "AAdN", "MNM", "ANA"])
def test_aicc_picks_the_generating_kind_of_model(kind: str) -> None:
    y = simulate_ets(kind, 60, 120, seed=2, beta=0.08, sigma=0.02)
    names = ets_fit(y).names
    trend, season = kind[1:-1], kind[-1]
    got_season = np.array([str(n)[-1] for n in names])
    got_trend = np.array([str(n)[1:-1] for n in names])
    if season == "N":
        assert np.mean(got_season == "N") >= 0.75
    else:  # additive or multiplicative: both fit a stable season nearly as well
        assert np.mean(got_season != "N") >= 0.9
        assert np.mean(got_season == season) >= 0.6
    if trend == "N":
        assert np.mean(got_trend == "N") >= 0.6
    else:
        assert np.mean(got_trend != "N") >= 0.6


def test_multiplicative_models_only_on_positive_series() -> None:
    y = simulate_ets("ANA", 5, 60, seed=3)
    y[:, 5] = -1.0
    names = ets_fit(y).names
    assert all(str(n)[0] == "A" and str(n)[-1] != "M" for n in names)
    assert len(MODEL_NAMES) == 15


def test_ets_forecast_of_a_deterministic_seasonal_trend() -> None:
    t = np.arange(72)
    y = (1000 * np.tile(PATTERN, 6) * (1 + 0.01 * t))[None, :]
    fit = ets_fit(y[:, :60])
    f = ets_forecast_at(fit, y, np.array([60]), 12)[0]
    np.testing.assert_allclose(f, y[:, 60:], rtol=0.01)


def test_standard_theta_is_ses_with_half_the_drift() -> None:
    rng = np.random.default_rng(4)
    y = 100 + np.cumsum(rng.normal(0.5, 2, (6, 50)), axis=1)
    fit = theta_fit(y, models=("STM",))
    f = theta_forecast_at(fit, y, np.array([50]), 8)[0]
    alpha, l0 = fit.params[:, 0], fit.params[:, 2] * fit.scale
    # SES level with the same alpha and initial level
    lev = l0.copy()
    for j in range(50):
        lev = alpha * y[:, j] + (1 - alpha) * lev
    tt = np.arange(1, 51)
    slope = np.polyfit(tt, y.T, 1)[0]
    k = np.arange(1, 9)[None, :]
    a = alpha[:, None]
    ses_drift = lev[:, None] + 0.5 * slope[:, None] * ((k - 1) + 1 / a - (1 - a) ** 50 / a)
    np.testing.assert_allclose(f, ses_drift, rtol=1e-6)
    # with alpha near 1 it is the old grid implementation of the Theta method
    assert np.all(fit.params[:, 1] == 2.0)


def test_optimised_theta_fits_at_least_as_well_as_standard() -> None:
    rng = np.random.default_rng(5)
    y = 100 + np.cumsum(rng.normal(1.0, 2, (20, 60)), axis=1)
    fit = theta_fit(y)
    assert (fit.mse[:, 1] <= fit.mse[:, 0] + 1e-9).all()
    assert (fit.params[:, 1] >= 1.0).all()


@settings(max_examples=15, deadline=None)
@given(
    level=hs.floats(10, 1e6),
    seed=hs.integers(0, 1000),
)
def test_ets_and_theta_are_scale_equivariant(level: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = 1 + 0.2 * np.tile(PATTERN - 1, 3)[None, :] + rng.normal(0, 0.05, (2, 36))
    f1 = ets_forecast_at(ets_fit(y), y, np.array([36]), 6)[0]
    f2 = ets_forecast_at(ets_fit(level * y), level * y, np.array([36]), 6)[0]
    np.testing.assert_allclose(f2, level * f1, rtol=1e-6)
    g1 = theta_forecast_at(theta_fit(y), y, np.array([36]), 6)[0]
    g2 = theta_forecast_at(theta_fit(level * y), level * y, np.array([36]), 6)[0]
    np.testing.assert_allclose(g2, level * g1, rtol=1e-6)


def test_decomposition_removes_a_multiplicative_season() -> None:
    y = 500 * np.tile(PATTERN, 4)[None, :]
    dec = st.decompose(y)
    np.testing.assert_allclose(dec.adjust(y), 500.0, rtol=0.02)
