"""The model registry and point forecasts for a whole panel (series of different lengths)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.forecast import ml, statistical

__all__ = ["BASELINES", "DEFAULT_CANDIDATES", "MODELS", "PanelForecast", "forecast_panel"]

BlockModel = Callable[[np.ndarray, int, int], np.ndarray]

_BLOCK: dict[str, BlockModel] = {
    "naive": statistical.naive,
    "snaive": statistical.seasonal_naive,
    "drift": statistical.drift,
    "ets": statistical.ets,
    "theta": statistical.theta,
    "comb": statistical.comb,
}
#: Every model name :class:`RevenueForecaster` accepts (besides ``"auto"``).
MODELS: tuple[str, ...] = (*_BLOCK, "gbm", "prophet")
#: Baselines, always reported next to the chosen model.
BASELINES: tuple[str, ...] = ("naive", "snaive", "drift")
#: What ``model="auto"`` chooses from unless told otherwise (fast, all vectorised).
DEFAULT_CANDIDATES: tuple[str, ...] = ("comb", "ets", "theta", "snaive", "drift", "naive")

#: Shortest history (months) for each kind of model; shorter series fall back.
MIN_SEASONAL = 24
MIN_SMOOTHING = 6


@dataclass(frozen=True)
class PanelForecast:
    """Point forecasts of a panel: values (m, h) and the model used per series (m,)."""

    values: np.ndarray
    used: np.ndarray


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
