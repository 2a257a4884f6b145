"""Rolling-origin backtest of a forecaster and its accuracy metrics."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError
from spmopt.forecast.forecaster import RevenueForecaster
from spmopt.forecast.history import to_panel
from spmopt.forecast.intervals import series_scale

__all__ = ["BacktestResult", "backtest", "score"]

_QUANTILE_COLS = ("yhat_lo_95", "yhat_lo_80", "yhat", "yhat_hi_80", "yhat_hi_95")


@dataclass(frozen=True, repr=False)
class BacktestResult:
    """Out-of-sample accuracy of a forecaster (and of the peer models it was compared with).

    Attributes
    ----------
    metrics : DataFrame
        One row per model and level: ``model, level, n_series, mase, smape, rmsse_w, bias,
        pinball, coverage_80, coverage_95, seconds``. MASE and RMSSE are scaled by the in-sample
        seasonal difference; ``rmsse_w`` weights series by their revenue in the last 12 months
        before the origin; ``bias`` is Σ(forecast − actual)/Σ actual; ``pinball`` is the mean
        scaled pinball loss over the quantiles 2.5, 10, 50, 90, 97.5 %; ``coverage_L`` is the
        share of actual months inside the L % interval; ``seconds`` is fit + predict time per
        window.
    forecasts : DataFrame
        ``model, cutoff, unique_id, ds, level, y, yhat, yhat_lo_80, ...``.
    cutoffs : list of Timestamp
        Last month of history of each window.
    """

    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    cutoffs: list[pd.Timestamp]

    def to_frame(self) -> pd.DataFrame:
        """The metrics table."""
        return self.metrics.copy()

    def __repr__(self) -> str:
        models = list(pd.unique(self.metrics["model"]))
        return (
            f"BacktestResult(models={models}, windows={len(self.cutoffs)}, "
            f"cutoffs={[f'{c:%Y-%m}' for c in self.cutoffs]})"
        )

    def coverage(
        self, by: str = "horizon", width: int = 3, model: str | None = None
    ) -> pd.DataFrame:
        """Share of actual months inside each interval [%], per level and group.

        Parameters
        ----------
        by : str
            ``"horizon"`` (months ahead of the cutoff in buckets of ``width``: ``h1-3``,
            ``h4-6``, ...), ``"cutoff"`` (one group per window, ``YYYY-MM``) or ``"pooled"``
            (all months of all windows).
        width : int
            Months per horizon bucket.
        model : str, optional
            Model whose forecasts are scored (default: the forecaster's own, the first row
            of :attr:`metrics`).

        Returns
        -------
        DataFrame
            ``level, group, n, coverage_<L>`` for every interval level ``L`` in the forecasts,
            levels in the order of the forecasts and groups in time order.
        """
        if by not in ("horizon", "cutoff", "pooled"):
            raise ConfigError(f"by={by!r} is not known; allowed: 'horizon', 'cutoff', 'pooled'")
        if width < 1:
            raise ConfigError(f"width={width}: a horizon bucket spans at least 1 month")
        name = str(self.metrics["model"].iloc[0]) if model is None else model
        f = self.forecasts[(self.forecasts["model"] == name) & self.forecasts["y"].notna()]
        ivs = sorted(int(c.rsplit("_", 1)[1]) for c in f.columns if c.startswith("yhat_lo_"))
        if by == "horizon":
            ds, cut = f["ds"].dt, f["cutoff"].dt
            step = (ds.year - cut.year) * 12 + ds.month - cut.month
            first = (step - 1) // width * width + 1
            key = first.map(lambda a: f"h{a}-{a + width - 1}" if width > 1 else f"h{a}")
            rank = first
        elif by == "cutoff":
            key = f["cutoff"].dt.strftime("%Y-%m")
            rank = f["cutoff"]
        else:
            key = pd.Series("pooled", index=f.index)
            rank = pd.Series(0, index=f.index)
        g = pd.DataFrame({"level": f["level"], "group": key, "rank": rank, "n": 1})
        for iv in ivs:
            y = f["y"]
            inside = (y >= f[f"yhat_lo_{iv}"] - 1e-9) & (y <= f[f"yhat_hi_{iv}"] + 1e-9)
            g[f"coverage_{iv}"] = 100.0 * inside
        agg = {"n": "sum", **{f"coverage_{iv}": "mean" for iv in ivs}}
        out = g.groupby(["level", "rank", "group"], sort=False).agg(agg).reset_index()
        order = {lv: i for i, lv in enumerate(pd.unique(f["level"]))}
        out = out.sort_values(
            ["level", "rank"], key=lambda s: s.map(order) if s.name == "level" else s
        )
        return out.drop(columns="rank").reset_index(drop=True)

    def table(self, level: str | None = None) -> pd.DataFrame:
        """Metrics for one level (all levels when None), best MASE first."""
        m = self.metrics if level is None else self.metrics[self.metrics["level"] == level]
        return m.sort_values(["level", "mase"]).reset_index(drop=True)


def backtest(
    forecaster: RevenueForecaster,
    history: pd.DataFrame,
    n_windows: int = 3,
    step: int | None = None,
    *,
    models: Sequence[str] | None = ("snaive",),
) -> BacktestResult:
    """Rolling-origin evaluation: refit on the history up to each cutoff, forecast, compare.

    Parameters
    ----------
    forecaster : RevenueForecaster
        Settings to evaluate (it is copied, never fitted in place).
    history : DataFrame
        Long history ``unique_id, ds, y`` (+ ``level``, ``parent``).
    n_windows : int
        Number of forecast origins.
    step : int, optional
        Months between origins (default: the horizon, so windows do not overlap).
    models : sequence of str, optional
        Peer models evaluated with the same settings (reconciliation, intervals), labelled by
        name next to the forecaster's own row; default seasonal naive.
    """
    h = int(forecaster.horizon)
    if h < 1:
        raise ConfigError(f"horizon={h}: the horizon must be ≥ 1")
    if n_windows < 1:
        raise ConfigError(f"n_windows={n_windows}: at least one window is needed")
    step = h if step is None else int(step)
    if step < 1:
        raise ConfigError(f"step={step}: must be ≥ 1 month")
    panel = to_panel(history, allow_negative=forecaster.allow_negative)
    ds = panel.ds
    t = len(ds)
    cutoffs = [t - h - step * k for k in range(n_windows)][::-1]
    if cutoffs[0] < 12:
        raise ConfigError(
            f"{n_windows} windows of {h} months, {step} apart, need at least "
            f"{12 + h + step * (n_windows - 1)} "
            f"months of history; there are {t}. Use fewer windows or a shorter step"
        )
    hist = history.copy()
    hist["ds"] = pd.to_datetime(hist["ds"]).dt.to_period("M").dt.to_timestamp()
    label = str(forecaster.model)
    settings = forecaster.get_params()
    specs = [(label, settings)]
    for mod in models or ():
        if mod != forecaster.model:
            specs.append((mod, {**settings, "model": mod}))
    rows = []
    frames = []
    for name, params in specs:
        for o in cutoffs:
            cut = ds[o - 1]
            train = hist[hist["ds"] <= cut]
            t0 = time.perf_counter()
            # a fresh forecaster per window: the one passed in is never fitted
            res = type(forecaster)(**params).fit(train).predict()
            sec = time.perf_counter() - t0
            f = res.frame.copy()
            f.insert(0, "cutoff", cut)
            f = f.rename(columns={"model": "model_used"})
            f.insert(0, "model", name)
            f["seconds"] = sec
            frames.append(f)
    fc_all = pd.concat(frames, ignore_index=True)
    actual = hist[["unique_id", "ds", "y"]].copy()
    actual["unique_id"] = actual["unique_id"].astype(str)
    fc_all = fc_all.merge(actual, on=["unique_id", "ds"], how="left")
    # scale and weight per series and cutoff, from the training part only
    scale_rows = []
    for o in cutoffs:
        ytr = panel.y[:, :o]
        sc = series_scale(ytr)
        last = np.nansum(ytr[:, -12:], axis=1)
        scale_rows.append(
            pd.DataFrame(
                {
                    "unique_id": panel.ids.astype(str),
                    "cutoff": ds[o - 1],
                    "scale": sc,
                    "weight": last,
                }
            )
        )
    fc_all = fc_all.merge(pd.concat(scale_rows), on=["unique_id", "cutoff"], how="left")
    for (name, lv), g in fc_all.groupby(["model", "level"], sort=False):
        rows.append({"model": name, "level": lv, **score(g, forecaster.levels)})
    metrics = pd.DataFrame(rows)
    cols = [c for c in fc_all.columns if c not in ("scale", "weight", "seconds")]
    return BacktestResult(metrics, fc_all[cols], [ds[o - 1] for o in cutoffs])


def score(g: pd.DataFrame, levels: Sequence[int] = (80, 95)) -> dict[str, float]:
    """Accuracy metrics of a forecast table with ``y, yhat, scale, weight`` (+ intervals)."""
    y = g["y"].to_numpy(float)
    f = g["yhat"].to_numpy(float)
    s = g["scale"].to_numpy(float)
    e = y - f
    ok = np.isfinite(y)
    out: dict[str, float] = {"n_series": float(g["unique_id"].nunique())}
    out["mase"] = float(np.mean(np.abs(e[ok]) / s[ok]))
    den = np.abs(y) + np.abs(f)
    sm = np.where(den > 0, 2 * np.abs(e) / np.where(den > 0, den, 1.0), 0.0)
    out["smape"] = float(100 * np.mean(sm[ok]))
    per = g.assign(se=(e / s) ** 2).groupby(["unique_id", "cutoff"])
    rmsse = np.sqrt(per["se"].mean())
    w = per["weight"].first().clip(lower=0)
    out["rmsse_w"] = float((rmsse * w).sum() / w.sum()) if w.sum() > 0 else float(rmsse.mean())
    out["bias"] = float(-e[ok].sum() / max(np.abs(y[ok]).sum(), 1e-12))
    qs = {"yhat": 0.5}
    for lv in levels:
        a = (100 - lv) / 200
        qs[f"yhat_lo_{lv}"] = a
        qs[f"yhat_hi_{lv}"] = 1 - a
    pin = []
    for col, q in qs.items():
        if col in g:
            d = y - g[col].to_numpy(float)
            pin.append(np.mean(np.maximum(q * d, (q - 1) * d)[ok] / s[ok]))
    out["pinball"] = float(np.mean(pin))
    for lv in levels:
        lo, hi = f"yhat_lo_{lv}", f"yhat_hi_{lv}"
        if lo in g:
            inside = (y >= g[lo].to_numpy(float) - 1e-9) & (y <= g[hi].to_numpy(float) + 1e-9)
            out[f"coverage_{lv}"] = float(100 * inside[ok].mean())
    if "seconds" in g:
        out["seconds"] = float(g.groupby("cutoff")["seconds"].first().mean())
    return out
