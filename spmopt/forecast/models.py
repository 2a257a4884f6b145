"""The model registry and point forecasts for a whole panel (series of different lengths)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.forecast import ml, statistical
from spmopt.forecast.arima import arima_fit, arima_forecast_at
from spmopt.forecast.ets import ets_fit, ets_forecast_at
from spmopt.forecast.theta import theta_fit, theta_forecast_at

__all__ = [
    "BASELINES",
    "COMBOS",
    "DEFAULT_CANDIDATES",
    "FAMILIES",
    "MODELS",
    "PanelForecast",
    "combine",
    "forecast_origins",
    "forecast_panel",
    "train_at",
]

BlockModel = Callable[[np.ndarray, int, int], np.ndarray]

_BLOCK: dict[str, BlockModel] = {
    "naive": statistical.naive,
    "snaive": statistical.seasonal_naive,
    "sdrift": statistical.seasonal_drift,
    "drift": statistical.drift,
    "theta_grid": statistical.theta,
}
#: Fitted once per series (maximum likelihood / least squares) and filtered to each origin:
#: ``ets`` (the ETS family, chosen by AICc), ``theta`` (the Theta family, deseasonalised),
#: ``arima`` (seasonal ARIMA, stepwise AICc search; :mod:`spmopt.forecast.arima`).
FAMILIES: tuple[str, ...] = ("ets", "theta", "arima")
#: Forecast combinations: name → (parts, how they are combined month by month). ``comb``: the
#: mean of the ETS family, the Theta family and the light grid-fitted classical Theta method of
#: :mod:`spmopt.forecast.statistical` (``theta_grid``, refitted at each origin); ``comb4``: the
#: same with seasonal ARIMA as a fourth member; ``median``: the median of those four.
COMBOS: dict[str, tuple[tuple[str, ...], str]] = {
    "comb": (("ets", "theta", "theta_grid"), "mean"),
    "comb4": (("ets", "theta", "theta_grid", "arima"), "mean"),
    "median": (("ets", "theta", "theta_grid", "arima"), "median"),
}
#: ``sdrift`` is seasonal naive moved by half the last year's average change
#: (:func:`spmopt.forecast.statistical.seasonal_drift`): the one baseline that carries growth
#: into a seasonal forecast, so aggregates that the backtest hands to a seasonal baseline do not
#: lose a year of growth.
#: Every model name :class:`RevenueForecaster` accepts (besides ``"auto"``).
MODELS: tuple[str, ...] = (*_BLOCK, *FAMILIES, *COMBOS, "gbm", "prophet")
#: Baselines, always reported next to the chosen model.
BASELINES: tuple[str, ...] = ("naive", "snaive", "drift")
#: What ``model="auto"`` chooses from unless told otherwise (fast, all vectorised).
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "comb4", "comb", "ets", "theta", "arima", "snaive", "sdrift", "drift", "naive",
)  # fmt: skip

#: Shortest history (months) for each kind of model; shorter series fall back.
MIN_SEASONAL = 24
MIN_SMOOTHING = 6
#: Let the seasonality test of the decomposition decide between seasonal and season-less ETS
#: models (AICc then chooses within the group): 40 % fewer fits.
ETS_SEASON_TEST = True


@dataclass(frozen=True)
class PanelForecast:
    """Point forecasts of a panel: values (m, h) and the model used per series (m,)."""

    values: np.ndarray
    used: np.ndarray


def train_at(y: np.ndarray, start: np.ndarray, origin: int) -> tuple[np.ndarray, np.ndarray]:
    """History before ``origin``; series not started by then become all-zero."""
    ytr = y[:, :origin].copy()
    st = start.copy()
    late = st >= origin
    ytr[late] = 0.0
    st[late] = 0
    return ytr, st


def forecast_panel(
    y: np.ndarray,
    start: np.ndarray,
    h: int,
    model: str,
    *,
    season: int = 12,
    ds: pd.DatetimeIndex | None = None,
    level_code: np.ndarray | None = None,
    seed: int = 0,
) -> PanelForecast:
    """Forecast every row of ``y`` (m, T; NaN before ``start``) ``h`` steps with ``model``.

    Series are grouped by length so each group is one vectorised block. Fallbacks (reported in
    ``used``): an all-zero series is forecast 0 (``zero``); a series shorter than
    ``MIN_SMOOTHING`` months gets ``naive``; shorter than ``MIN_SEASONAL`` months, seasonal
    naive becomes ``naive`` and the smoothing models run without a seasonal index
    (``<model>-nonseasonal``).
    """
    t = y.shape[1]
    return forecast_origins(
        y, start, h, model, [t], season=season, ds=ds, level_code=level_code, seed=seed
    )[t]


def forecast_origins(
    y: np.ndarray,
    start: np.ndarray,
    h: int,
    model: str,
    origins: list[int],
    *,
    season: int = 12,
    ds: pd.DatetimeIndex | None = None,
    level_code: np.ndarray | None = None,
    seed: int = 0,
) -> dict[int, PanelForecast]:
    """Forecasts ``h`` months after each origin (a column count of ``y``), by origin.

    Combinations (:data:`COMBOS`) combine their parts' forecasts. The families
    (:data:`FAMILIES`) are fitted once per series, on the history before the earliest origin
    at which the series is long enough, and then run forward with their
    parameters fixed to every later origin (states updated, parameters not re-estimated): a
    rolling-origin backtest at the cost of one fit. Other models are refitted at each origin.
    A series that has not started by an origin is forecast 0 there.
    """
    origins = sorted({int(o) for o in origins})
    if model in COMBOS:
        parts = {
            mod: forecast_origins(y, start, h, mod, origins, season=season)
            for mod in COMBOS[model][0]
        }
        return {o: combine(model, {k: v[o] for k, v in parts.items()}) for o in origins}
    if model in FAMILIES:
        return _family_origins(y, start, h, model, origins, season)
    out = {}
    t = y.shape[1]
    for o in origins:
        ytr, st = (y, start) if o == t else train_at(y, start, o)
        out[o] = _forecast_one(
            ytr, st, h, model, season=season,
            ds=None if ds is None else ds[:o], level_code=level_code, seed=seed,
        )  # fmt: skip
    return out


def combine(name: str, parts: dict[str, PanelForecast]) -> PanelForecast:
    """The combination ``name`` of :data:`COMBOS` from its parts' forecasts.

    The fallbacks of the first part (short or all-zero series) name the combination's, e.g.
    ``comb-nonseasonal (short: 20 months)``.
    """
    members, how = COMBOS[name]
    first = members[0]
    used = np.array(
        [name + str(u)[len(first) :] if str(u).startswith(first) else u
         for u in parts[first].used],
        dtype=object,
    )  # fmt: skip
    stack = np.stack([parts[k].values for k in members])
    values = np.median(stack, axis=0) if how == "median" else stack.mean(axis=0)
    return PanelForecast(values, used)


def _forecast_one(
    y: np.ndarray,
    start: np.ndarray,
    h: int,
    model: str,
    *,
    season: int,
    ds: pd.DatetimeIndex | None,
    level_code: np.ndarray | None,
    seed: int,
) -> PanelForecast:
    m, t = y.shape
    values = np.zeros((m, h))
    used = np.full(m, model, dtype=object)
    obs = np.where(np.isfinite(y), y, 0.0)
    zero = (np.abs(obs) == 0).all(axis=1)
    used[zero] = "zero"
    if model == "gbm":
        month0 = 0 if ds is None else int(ds[0].month) - 1
        values[:] = ml.gbm(y, h, month0=month0, level_code=level_code, seed=seed)
        values[zero] = 0.0
        return PanelForecast(values, used)
    if model == "prophet":
        if ds is None:
            raise ValueError("prophet needs the dates of the panel")
        rows = np.flatnonzero(~zero)
        if len(rows):
            values[rows] = ml.prophet(y[rows], h, ds=ds)[0]
        return PanelForecast(values, used)
    fn = _BLOCK[model]
    for s in np.unique(start):
        rows = np.flatnonzero((start == s) & ~zero)
        if not len(rows):
            continue
        block = y[rows, s:]
        length = t - s
        if length < MIN_SMOOTHING:
            values[rows] = statistical.naive(block, h)
            used[rows] = "naive" if model == "naive" else f"naive (short: {length} months)"
            continue
        values[rows] = fn(block, h, season)
        if length < MIN_SEASONAL and model not in ("naive", "drift"):
            used[rows] = f"{model}-nonseasonal (short: {length} months)"
    return PanelForecast(values, used)


def _family_origins(
    y: np.ndarray, start: np.ndarray, h: int, model: str, origins: list[int], season: int
) -> dict[int, PanelForecast]:
    m, t = y.shape
    obs = np.where(np.isfinite(y), y, 0.0)
    vals = {o: np.zeros((m, h)) for o in origins}
    used = {o: np.full(m, model, dtype=object) for o in origins}
    for s in np.unique(start):
        rows = np.flatnonzero(start == s)
        block = obs[rows, s:]
        for o in origins:
            if s < o < s + MIN_SMOOTHING:
                vals[o][rows] = statistical.naive(block[:, : o - s], h)
                used[o][rows] = f"naive (short: {o - s} months)"
        valid = [o for o in origins if o - s >= MIN_SMOOTHING]
        if not valid:
            continue
        n_full = t - s
        live = ~(block[:, : valid[0] - s] == 0).all(axis=1)
        if live.any():
            blk = block[live]
            # the model form is chosen on the whole history; backtest origins before its end
            # use that form with parameters estimated on the history up to the first of them
            final, form = _family_block(model, blk, n_full, np.array([n_full]), h, season)
            early = [o for o in valid if o < t]
            f = {}
            if early:
                locs = np.array([o - s for o in early])
                f_bt, _ = _family_block(model, blk, locs[0], locs, h, season, form)
                f = {o: f_bt[k] for k, o in enumerate(early)}
            f[t] = final[0]
            for o in valid:
                vals[o][rows[live]] = f[o]
                n_fit = n_full if o == t else valid[0] - s
                if n_fit < MIN_SEASONAL:
                    used[o][rows[live]] = f"{model}-nonseasonal (short: {n_fit} months)"
        dead = rows[~live]
        for o in valid if len(dead) else []:  # no revenue when fitted: naive at each origin
            vals[o][dead] = statistical.naive(obs[dead, :o], h)
    for o in origins:
        zero = (obs[:, :o] == 0).all(axis=1)
        vals[o][zero] = 0.0
        used[o][zero] = "zero"
    return {o: PanelForecast(vals[o], used[o]) for o in origins}


def _family_block(
    model: str,
    block: np.ndarray,
    n_fit: int,
    locs: np.ndarray,
    h: int,
    season: int,
    form: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Fit ``model`` on ``block[:, :n_fit]``; forecasts after each of ``locs`` (k, n, h).

    ``form`` (from an earlier call) fixes the model chosen per row: the ETS or Theta code (and
    whether the Theta part is deseasonalised), or the ARIMA orders. Returns the forecasts and
    the form used.
    """
    seasonal = n_fit >= MIN_SEASONAL
    parts = []
    out: dict[str, np.ndarray] = {}
    if model not in FAMILIES:
        raise ValueError(f"{model!r} is not a model family; families: {list(FAMILIES)}")
    if model == "ets":
        test = None
        if form is None and seasonal and ETS_SEASON_TEST:
            test = statistical.decompose(block[:, :n_fit], season).index.std(axis=1) > 1e-12
        fit = ets_fit(
            block[:, :n_fit], season, seasonal=seasonal,
            only=None if form is None else form["ets"], season_mask=test,
        )  # fmt: skip
        out["ets"] = fit.code
        parts.append(ets_forecast_at(fit, block[:, : int(locs.max())], locs, h))
    if model == "theta":
        mask = None if form is None else form["seasonal"]
        if not seasonal:
            mask = np.zeros(len(block), dtype=bool)
        dec = statistical.decompose(block[:, :n_fit], season, mask)
        out["seasonal"] = dec.index.std(axis=1) > 1e-12 if mask is None else mask
        x = dec.adjust(block[:, : int(locs.max())])
        fit_t = theta_fit(x[:, :n_fit], only=None if form is None else form["theta"])
        out["theta"] = fit_t.code
        f = theta_forecast_at(fit_t, x, locs, h)
        parts.append(np.stack([dec.restore(f[k], int(loc)) for k, loc in enumerate(locs)]))
    if model == "arima":
        fit_a = arima_fit(
            block[:, :n_fit], season, seasonal=seasonal,
            only=None if form is None else form["arima"],
        )  # fmt: skip
        out["arima"] = fit_a.order
        parts.append(arima_forecast_at(fit_a, block[:, : int(locs.max())], locs, h))
    return parts[0], out
