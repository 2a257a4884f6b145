"""Models that are not classical smoothing: a global gradient-boosting model and prophet."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

__all__ = ["gbm", "prophet"]

_LAGS = 12


def _nanmean(a: np.ndarray) -> np.ndarray:
    ok = np.isfinite(a)
    cnt = ok.sum(axis=1)
    tot = np.where(ok, a, 0.0).sum(axis=1)
    return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _features(
    y: np.ndarray, origin: int, step: int, month0: int, level_code: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Features at forecast origin ``origin`` (last observed column) for ``step`` ahead.

    Lags are scaled by the mean absolute value of the last 12 months, so one model serves
    series of every size. Returns features (n, p) and the scale (n,).
    """
    lags = y[:, origin - _LAGS + 1 : origin + 1][:, ::-1]  # lag 0 .. 11
    scale = _nanmean(np.abs(lags))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    z = lags / scale[:, None]
    month = (month0 + origin + step) % 12
    same_month_last_year = z[:, (_LAGS - step % 12) % 12]
    feats = np.column_stack(
        [
            z,
            np.full(len(y), step, dtype=float),
            np.full(len(y), month, dtype=float),
            level_code.astype(float),
            np.log1p(scale),
            _nanmean(z[:, :3]),
            same_month_last_year,
        ]
    )
    return feats, scale


def gbm(
    y: np.ndarray,
    h: int,
    *,
    month0: int = 0,
    level_code: np.ndarray | None = None,
    seed: int = 0,
    max_rows: int = 100_000,
    max_origins: int = 48,
) -> np.ndarray:
    """Global direct multi-step model: one ``HistGradientBoostingRegressor`` for all series.

    Features: the last 12 values scaled by their mean absolute value, the step ahead, the
    calendar month of the target, the hierarchy level, the log scale, a 3-month mean and the
    value of the target month one year earlier. The target is the value ``step`` months ahead
    divided by the same scale. Trained on every origin of every series (subsampled to
    ``max_rows``, origins limited to the last ``max_origins`` months); series with fewer
    than 13 months get the naive forecast.

    Parameters
    ----------
    y : ndarray (n, T)
        History, NaN before a series starts.
    month0 : int
        Calendar month (0 = January) of column 0.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor

    n, t = y.shape
    codes = np.zeros(n) if level_code is None else level_code
    rng = np.random.default_rng(seed)
    xs, ts = [], []
    for origin in range(max(_LAGS - 1, t - 1 - max_origins), t - 1):
        for step in range(1, min(h, t - 1 - origin) + 1):
            f, s = _features(y, origin, step, month0, codes)
            target = y[:, origin + step] / s
            ok = np.isfinite(target) & np.isfinite(f[:, :_LAGS]).all(axis=1)
            xs.append(f[ok])
            ts.append(target[ok])
    last = y[:, -1]
    fallback = np.repeat(np.where(np.isfinite(last), last, 0.0)[:, None], h, axis=1)
    if not xs or sum(len(a) for a in ts) < 50:
        return fallback
    x_train = np.concatenate(xs)
    y_train = np.concatenate(ts)
    if len(y_train) > max_rows:
        keep = rng.choice(len(y_train), max_rows, replace=False)
        x_train, y_train = x_train[keep], y_train[keep]
    model = HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=150, learning_rate=0.1, random_state=seed
    )
    model.fit(x_train, y_train)
    out = np.empty((n, h))
    for step in range(1, h + 1):
        f, s = _features(y, t - 1, step, month0, codes)
        out[:, step - 1] = model.predict(np.nan_to_num(f, nan=0.0)) * s
    short = ~np.isfinite(y[:, t - _LAGS :]).all(axis=1) if t >= _LAGS else np.ones(n, bool)
    out[short] = fallback[short]
    return out


def quiet_prophet() -> None:
    """Silence the ``cmdstanpy`` and ``prophet`` loggers (call before importing prophet)."""
    for name in ("cmdstanpy", "prophet", "prophet.plot", "prophet.models"):
        lg = logging.getLogger(name)
        lg.setLevel(logging.ERROR)
        lg.propagate = False
        lg.disabled = True


def prophet(
    y: np.ndarray,
    h: int,
    *,
    ds: pd.DatetimeIndex,
    interval_widths: tuple[float, ...] = (),
) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
    """prophet with its defaults, one fit per series (slow: ~0.2–0.4 s a series).

    prophet's own intervals (``yhat_lower``/``yhat_upper``) are quantiles of simulated futures
    that carry trend-change uncertainty and i.i.d. Gaussian observation noise, but *not* the
    uncertainty of the seasonal or trend parameters (MAP fit); on monthly sales data they are
    too narrow (80 % intervals covered ~47 % on M-competition data). spmopt replaces them with
    its pooled backtest intervals; with ``interval_widths`` (e.g. ``(0.8, 0.95)``) prophet's own
    bounds are returned as well, for comparison (quantiles of one set of 1,000 predictive
    samples, as ``yhat_lower``/``yhat_upper`` are).

    Returns forecasts (n, h) and a dict width -> (lower, upper), each (n, h).
    """
    import contextlib
    import io
    import os

    quiet_prophet()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        from prophet import Prophet

    n = y.shape[0]
    future = pd.DataFrame({"ds": pd.date_range(ds[-1], periods=h + 1, freq="MS")[1:]})
    out = np.empty((n, h))
    bounds = {w: (np.empty((n, h)), np.empty((n, h))) for w in interval_widths}
    devnull = open(os.devnull, "w")
    try:
        for i in range(n):
            ok = np.isfinite(y[i])
            frame = pd.DataFrame({"ds": ds[ok], "y": y[i, ok]})
            if ok.sum() < 3 or np.ptp(frame["y"]) == 0:
                out[i] = frame["y"].iloc[-1]
                for lo, hi in bounds.values():
                    lo[i] = hi[i] = out[i]
                continue
            m = Prophet() if interval_widths else Prophet(uncertainty_samples=0)
            with contextlib.redirect_stderr(devnull), contextlib.redirect_stdout(devnull):
                m.fit(frame)
                p = m.predict(future)
                draws = m.predictive_samples(future)["yhat"] if interval_widths else None
            out[i] = p["yhat"].to_numpy()
            for w, (lo, hi) in bounds.items():
                assert draws is not None
                lo[i] = np.quantile(draws, (1 - w) / 2, axis=1)
                hi[i] = np.quantile(draws, (1 + w) / 2, axis=1)
    finally:
        devnull.close()
    return out, bounds
