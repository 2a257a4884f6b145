"""Prediction intervals and sample paths from pooled, scaled backtest errors.

Per-series conformal intervals from a handful of windows are far too narrow (2 windows covered
62 % at 80 %). spmopt pools instead: every backtest error is divided by its series' scale (the
in-sample mean absolute seasonal difference, the MASE denominator) and the scaled errors of all
series of one hierarchy level are pooled, per step ahead. For a level with enough errors the
spread per step is estimated directly; a small level (a handful of regions, one total) takes the
step profile of the bottom level and only its own size. The shape (standardised quantiles) is
pooled over steps, per level when it has at least 200 errors from at least 20 series, else over
all levels.

The scale that divides a backtest error is the one the interval is later drawn with: each
series' scale on the whole history, moved to the revenue level before the error's origin
(``RevenueForecaster`` does this). A scale measured on the history before each origin changes
its definition on short histories (first differences under 18 months, seasonal ones after) and
made the example's aggregate intervals half as wide as their errors. A history too short for
any backtest window gets in-sample spreads at the bottom level (flat over the first season
when the forecast is seasonal naive, :func:`in_sample_spread`) and, above it, the spreads
implied by adding the bottom errors up (:func:`bottom_up_spread`).

Within the horizon the width follows the forecast's own shape (:func:`width_factor`): a month
forecast at 1.5× the horizon's average gets ``1.5^p`` times the width, with ``p`` fitted on the
bottom level's backtest errors (:func:`fit_width_power`; 0 to 1). The example's Decembers sell
1.5× an average month; with one width for every month its 80 % interval covered 56-71 % of the
October-December months at district, region and total level and 86-89 % of January-March.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse, stats

__all__ = [
    "Calibration",
    "bottom_up_spread",
    "calibrate",
    "fit_width_power",
    "in_sample_spread",
    "width_factor",
]

_MIN_DIRECT = 30  # errors per (level, step) to estimate that spread directly
_MIN_SHAPE = 200  # errors per level to use its own standardised quantiles
#: series a level needs for its own quantiles: the errors of a few series in a few windows are
#: one or two shocks seen many times, not 200 independent draws of the tails
_MIN_SHAPE_SERIES = 20
_GRID = np.linspace(0.0005, 0.9995, 1999)


def series_scale(y: np.ndarray, season: int = 12, *, seasonal_only: bool = False) -> np.ndarray:
    """MASE denominator of each row of ``y`` (n, T; NaN before the start).

    Mean absolute seasonal difference (first difference when shorter than a season and a
    half), falling back to the mean absolute value, then to 1 for all-zero series. With
    ``seasonal_only`` the rows without a seasonal scale get NaN instead of a fallback.
    """
    n, t = y.shape

    def mean_abs(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = np.isfinite(d)
        cnt = ok.sum(axis=1)
        tot = np.where(ok, np.abs(d), 0.0).sum(axis=1)
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan), cnt

    if t > season:
        a, ca = mean_abs(y[:, season:] - y[:, :-season])
        a = np.where(ca >= 6, a, np.nan)
    else:
        a = np.full(n, np.nan)
    if seasonal_only:
        return np.where(np.isfinite(a) & (a > 0), a, np.nan)
    b = mean_abs(np.diff(y, axis=1))[0] if t > 1 else np.full(n, np.nan)
    c = mean_abs(y)[0]
    out = np.where(np.isfinite(a) & (a > 0), a, np.where(np.isfinite(b) & (b > 0), b, c))
    return np.where(np.isfinite(out) & (out > 0), out, 1.0)


#: bounds of the forecast's month-to-horizon-mean ratio in :func:`width_factor`
_WIDTH_CLIP = (0.5, 2.0)


def width_factor(yhat: np.ndarray, power: float) -> np.ndarray:
    """Relative interval width per series and step (m, h) from the forecast's own shape.

    ``(yhat_k / mean(yhat))^power``, the ratio clipped to ``[0.5, 2]``; 1 where the mean over
    the horizon is not positive. Sales errors grow with the revenue of the month: a December
    that sells 1.5× an average month misses by more than a January, while the series' scale
    (the MASE denominator) is one number. With ``power = 0`` every month gets the same width.
    """
    yhat = np.asarray(yhat, dtype=float)
    if not yhat.size:
        return np.ones_like(yhat)
    mean = np.nanmean(yhat, axis=1, keepdims=True)
    ok = np.isfinite(mean) & (mean > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(ok, yhat / np.where(ok, mean, 1.0), 1.0)
    ratio = np.clip(np.where(np.isfinite(ratio), ratio, 1.0), *_WIDTH_CLIP)
    return ratio**power if power else np.ones_like(ratio)


def fit_width_power(z: np.ndarray, ratio: np.ndarray) -> float:
    """Power of :func:`width_factor` that the scaled errors ``z`` bear out (0..1).

    The least-squares slope of ``log |z|`` on ``log ratio`` (``ratio`` = ``width_factor``
    with power 1, same shape as ``z``) over the finite, non-zero errors, clipped to [0, 1]; 0
    when fewer than 200 errors or the ratios do not vary.
    """
    z = np.asarray(z, dtype=float).ravel()
    r = np.asarray(ratio, dtype=float).ravel()
    ok = np.isfinite(z) & (np.abs(z) > 1e-12) & np.isfinite(r) & (r > 0)
    if ok.sum() < 200:
        return 0.0
    x = np.log(r[ok])
    y = np.log(np.abs(z[ok]))
    vx = float(np.var(x))
    if vx < 1e-6:
        return 0.0
    slope = float(np.mean((x - x.mean()) * (y - y.mean())) / vx)
    return float(np.clip(slope, 0.0, 1.0))


def in_sample_spread(
    y: np.ndarray, level: np.ndarray, h: int, season: int = 12, *, seasonal_naive: bool = True
) -> dict[str, np.ndarray]:
    """Spread per step (h,) and level from in-sample changes, for histories too short for a
    backtest window.

    The k-step change ``(y_{t+k} − y_t) / scale`` is pooled over every month ``t`` and every
    series of a level; its RMS is the spread of the naive forecast's step ``k``. Steps the
    history cannot score continue the last scored one with ``√k`` growth; a level with no
    scored step gets ``√k``.

    A history of at least one season is forecast by seasonal naive, whose error at any step
    ``k ≤ season`` is one seasonal difference: it does not grow with ``k``. The history holds
    no seasonal difference yet, so every step of the first season takes the one-month change
    (the nearest the history can score) and each further season adds in variance,
    ``× √⌈k / season⌉``. The k-month changes themselves are seasonal swings, not errors of
    seasonal naive: they made the intervals of the example's 12-month window grow to three
    times their errors by month 12 (95-100 % covered at 80 %).

    With ``seasonal_naive=False`` (the forecast is another model, e.g. ETS, which on a history
    of one season fits no seasonality) the k-month changes are the forecast's errors, and step
    ``k`` takes their RMS at every history length: the flat first-season spread made the ETS
    intervals of the example's 12-month window cover 33-60 % at district, region and total.
    """
    scale = series_scale(y, season)
    t = y.shape[1]
    steps = np.arange(1, h + 1)
    out: dict[str, np.ndarray] = {}
    for lv in _unique(level):
        rows = y[level == lv] / scale[level == lv, None]
        spread = np.full(h, np.nan)
        for k in range(1, min(h, t - 1) + 1):
            d = rows[:, k:] - rows[:, :-k]
            d = d[np.isfinite(d)]
            if len(d) >= 10:
                spread[k - 1] = np.sqrt(np.mean(d * d))
        ok = np.flatnonzero(np.isfinite(spread))
        if not len(ok):
            out[lv] = np.sqrt(steps)
            continue
        if t >= season and seasonal_naive:
            out[lv] = spread[ok[0]] * np.sqrt(np.ceil(steps / season))
            continue
        last = ok[-1]
        spread[last + 1 :] = spread[last] * np.sqrt(steps[last + 1 :] / steps[last])
        out[lv] = np.maximum.accumulate(np.where(np.isfinite(spread), spread, spread[ok[0]]))
    return out


def bottom_up_spread(
    spread: dict[str, np.ndarray],
    scale: np.ndarray,
    s: Any,  # summing matrix (m, n_bottom)
    bottom: np.ndarray,
    level: np.ndarray,
    rho: float = 0.2,
) -> dict[str, np.ndarray]:
    """Spreads of the upper levels implied by the bottom level's, for short histories.

    An upper series' error is the sum of its bottom series' errors. With bottom errors of
    standard deviation ``scale_j × σ_k`` at step ``k`` and a common-shock correlation ``rho``
    (the sample paths' default), its standard deviation is
    ``σ_k √((1 − ρ) Σ scale_j² + ρ (Σ scale_j)²)``; divided by the series' own scale and
    pooled (RMS) over the series of a level, that is the level's spread. The in-sample naive
    spread of an aggregate measures its seasonal swings, not its forecast error, and is far
    too wide (the first window of the example covered 100 % at 80 %).
    """
    b_level = str(level[bottom[0]])
    sig = spread[b_level]
    sb = scale[bottom]
    s = sparse.csr_matrix(s)  # (m, n_bottom)
    sum_sq = np.asarray(s @ (sb * sb))
    sum_lin = np.asarray(s @ sb)
    sd = np.sqrt((1 - rho) * sum_sq + rho * sum_lin**2) / np.maximum(scale, 1e-12)
    out = dict(spread)
    for lv in _unique(level):
        if lv == b_level:
            continue
        rows = level == lv
        out[lv] = float(np.sqrt(np.mean(sd[rows] ** 2))) * sig
    return out


def _unique(a: np.ndarray) -> list[str]:
    """Distinct values of ``a`` in order of appearance, as str."""
    return list(dict.fromkeys(str(v) for v in a))


@dataclass(frozen=True)
class Calibration:
    """Calibrated error model per level.

    Attributes
    ----------
    levels : tuple of str
    spread : dict level -> ndarray (h,), RMS of scaled errors per step.
    shape : dict level -> ndarray (len(_GRID),), standardised error quantiles on ``grid``.
    n_errors : dict level -> int
    corr_time : ndarray (h, h), correlation of standardised errors across steps (bottom level).
    rho : float, cross-series correlation of bottom errors (the common shock).
    source : str, ``backtest`` or ``in-sample`` (no window fitted in the history).
    """

    levels: tuple[str, ...]
    spread: dict[str, np.ndarray]
    shape: dict[str, np.ndarray]
    n_errors: dict[str, int]
    corr_time: np.ndarray
    rho: float
    source: str

    def quantile(self, level: str, p: float | np.ndarray) -> np.ndarray:
        """Standardised error quantile(s) at probability ``p`` for ``level``."""
        return np.interp(p, _GRID, self.shape[level])

    def offsets(self, level: str, p: float) -> np.ndarray:
        """Scaled error quantile per step (h,): add ``scale × offsets`` to the forecast."""
        return self.spread[level] * self.quantile(level, p)


def _smooth(x: np.ndarray) -> np.ndarray:
    if len(x) < 3:
        return x
    pad = np.r_[x[0], x, x[-1]]
    return (pad[:-2] + pad[1:-1] + pad[2:]) / 3


def _shape(u: np.ndarray) -> np.ndarray:
    u = u[np.isfinite(u)]
    if len(u) < 20:
        return stats.norm.ppf(_GRID)
    q = np.quantile(u, _GRID)
    # beyond the data's range use the Gaussian tail of the same spread, never narrower
    tails = stats.norm.ppf(_GRID)
    lo_p, hi_p = 1.0 / (len(u) + 1), 1 - 1.0 / (len(u) + 1)
    q = np.where(_GRID < lo_p, np.minimum(q, tails), q)
    q = np.where(_GRID > hi_p, np.maximum(q, tails), q)
    q = np.maximum.accumulate(q)
    # centre on the median: yhat is the median of the predictive distribution, so intervals,
    # samples and the point forecast tell one story (a backtest bias is reported, not baked in)
    return q - np.interp(0.5, _GRID, q)


def calibrate(
    scaled: dict[str, np.ndarray],
    bottom_level: str,
    h: int,
    fallback_spread: dict[str, np.ndarray] | None = None,
    full_windows: dict[str, np.ndarray] | None = None,
) -> Calibration:
    """Build a :class:`Calibration` from scaled errors.

    Parameters
    ----------
    scaled : dict level -> ndarray (windows, n_series, h)
        Backtest errors ``(actual - forecast) / scale``, NaN where unknown.
    bottom_level : str
        Level whose step profile and cross-step correlation serve the small levels.
    h : int
        Horizon.
    fallback_spread : dict level -> ndarray (h,), optional
        Spread to use for a level without any backtest error (in-sample based).
    full_windows : dict level -> ndarray (windows, n_series, h), optional
        Errors of windows that cover every step, for the correlation across steps and series
        (default: ``scaled``).
    """
    levels = tuple(scaled)
    spread: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    raw: dict[str, np.ndarray] = {}
    for lv, z in scaled.items():
        flat = z.reshape(-1, z.shape[-1]) if z.size else np.empty((0, h))
        n = np.isfinite(flat).sum(axis=0)
        counts[lv] = int(n.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(np.nansum(flat * flat, axis=0) / np.maximum(n, 1))
        raw[lv] = np.where(n > 0, rms, np.nan)
    b = raw.get(bottom_level)
    profile = b / np.nanmean(b) if b is not None and np.isfinite(b).any() else np.ones(h)
    profile = np.where(np.isfinite(profile), profile, 1.0)
    profile = np.maximum.accumulate(_smooth(profile))
    for lv, z in scaled.items():
        flat = z.reshape(-1, z.shape[-1]) if z.size else np.empty((0, h))
        n = np.isfinite(flat).sum(axis=0)
        if counts[lv] == 0:
            fb = fallback_spread.get(lv) if fallback_spread else None
            spread[lv] = fb if fb is not None else np.sqrt(np.arange(1, h + 1))
            continue
        if n.min() >= _MIN_DIRECT:
            spread[lv] = _smooth(raw[lv])
        else:
            # own size, bottom profile: a = sqrt(mean(z² / profile²))
            with np.errstate(invalid="ignore"):
                a = np.sqrt(np.nanmean((flat / profile[None, :]) ** 2))
            spread[lv] = a * profile
        spread[lv] = np.maximum(spread[lv], 1e-9)
    shape: dict[str, np.ndarray] = {}
    pooled = []
    for lv, z in scaled.items():
        if counts[lv]:
            pooled.append((z / spread[lv]).ravel())
    all_u = np.concatenate(pooled) if pooled else np.empty(0)
    common = _shape(all_u)
    for lv, z in scaled.items():
        u = (z / spread[lv]).ravel()
        own = np.isfinite(u).sum() >= _MIN_SHAPE and z.shape[1] >= _MIN_SHAPE_SERIES
        shape[lv] = _shape(u) if own else common
    dep = full_windows if full_windows is not None else scaled
    corr, rho = _dependence(dep.get(bottom_level), spread.get(bottom_level), h)
    return Calibration(
        levels=levels,
        spread=spread,
        shape=shape,
        n_errors=counts,
        corr_time=corr,
        rho=rho,
        source="backtest" if any(counts.values()) else "in-sample",
    )


def _dependence(
    z: np.ndarray | None, spread: np.ndarray | None, h: int
) -> tuple[np.ndarray, float]:
    """Correlation across steps and the common-shock correlation across series."""
    eye = np.eye(h)
    if z is None or spread is None or z.size == 0:
        return 0.5 * eye + 0.5 * np.ones((h, h)), 0.2
    u = z / spread  # (w, n, h)
    rows = u.reshape(-1, h)
    rows = rows[np.isfinite(rows).all(axis=1)]
    if len(rows) >= h + 5:
        c = np.corrcoef(rows, rowvar=False)
        c = np.where(np.isfinite(c), c, 0.0)
        np.fill_diagonal(c, 1.0)
        c = 0.8 * c + 0.2 * eye
        w, v = np.linalg.eigh(c)
        c = (v * np.maximum(w, 1e-6)) @ v.T
        d = np.sqrt(np.diag(c))
        c = c / d[:, None] / d[None, :]
    else:
        c = 0.5 * eye + 0.5 * np.ones((h, h))
    n = u.shape[1]
    if n >= 3:
        with np.errstate(invalid="ignore"):
            mean_u = np.nanmean(u, axis=1)  # (w, h)
            var_u = float(np.nanmean(u * u))
            ratio = float(np.nanmean(mean_u * mean_u)) / max(var_u, 1e-12)
        rho = (ratio - 1.0 / n) / (1.0 - 1.0 / n)
        rho = float(np.clip(rho if np.isfinite(rho) else 0.2, 0.0, 0.95))
    else:
        rho = 0.2
    return c, rho


def gaussian_copula_draws(
    rng: np.random.Generator, n_draws: int, n_series: int, corr_time: np.ndarray, rho: float
) -> np.ndarray:
    """Standard normal draws (n_draws, n_series, h), correlated across steps, common shock."""
    h = corr_time.shape[0]
    lchol = np.linalg.cholesky(corr_time)
    common = rng.standard_normal((n_draws, 1, h)) @ lchol.T
    own = rng.standard_normal((n_draws, n_series, h)) @ lchol.T
    own *= np.sqrt(1 - rho)
    own += np.sqrt(rho) * common
    return own


_ZMAX = 4.5
_ZGRID = np.linspace(-_ZMAX, _ZMAX, 901)


def normal_to_errors(z: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Map standard normal draws to standardised errors with quantile function ``shape``.

    Equivalent to ``interp(Φ(z), grid, shape)``, computed with a table on a uniform z grid
    (linear interpolation by index), which is ~10× faster on millions of draws.
    """
    table = np.interp(stats.norm.cdf(_ZGRID), _GRID, shape)
    step = _ZGRID[1] - _ZGRID[0]
    pos = (np.clip(z, -_ZMAX, _ZMAX) + _ZMAX) / step
    i = np.minimum(pos.astype(np.int64), len(_ZGRID) - 2)
    frac = pos - i
    return table[i] * (1 - frac) + table[i + 1] * frac
