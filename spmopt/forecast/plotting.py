"""Fan charts of forecasts with their history."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["plot_fan"]


def plot_fan(
    result: Any,
    history: pd.DataFrame,
    unique_id: str,
    ax: Any = None,
    *,
    months: int = 36,
) -> Any:
    """Fan chart of one series: history, forecast and its intervals (widest lightest).

    Parameters
    ----------
    result : ForecastResult
    history : DataFrame
        The history the forecaster was fitted on.
    unique_id : str
        Series to draw.
    ax : matplotlib Axes, optional
    months : int
        Months of history to show.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    h = history[history["unique_id"].astype(str) == unique_id].sort_values("ds").tail(months)
    f = result.frame[result.frame["unique_id"] == unique_id].sort_values("ds")
    if f.empty:
        raise KeyError(f"{unique_id!r} is not a series of the forecast")
    ax.plot(pd.to_datetime(h["ds"]), h["y"], color="black", lw=1.2, label="history")
    levels = sorted(
        (int(c.rsplit("_", 1)[1]) for c in f.columns if c.startswith("yhat_lo_")), reverse=True
    )
    for i, lv in enumerate(levels):
        ax.fill_between(
            f["ds"],
            f[f"yhat_lo_{lv}"],
            f[f"yhat_hi_{lv}"],
            color="tab:blue",
            alpha=0.18 + 0.17 * i,
            lw=0,
            label=f"{lv}% interval",
        )
    ax.plot(f["ds"], f["yhat"], color="tab:blue", lw=1.6, label="forecast")
    ax.set_title(f"{unique_id} ({f['level'].iloc[0]}, model {f['model'].iloc[0]})")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax
