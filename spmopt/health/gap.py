"""The target gap: the company's top-down target against the bottom-up forecast.

How likely the company makes its target, which over-assignment and target would leave a chosen
share of reps at quota, and how much of the gap between quotas and forecast each region carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from spmopt.errors import ConfigError

__all__ = ["TargetGap", "pooled_quantile", "share_at_quota_if_scaled", "target_gap"]

_Z90 = float(norm.ppf(0.9))


def _lognormal(per_rep: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-rep log-normal fit of attainment from its P10 / P50 / P90: (mu, sigma) of log A."""
    need = {"attainment_p10", "attainment_p50", "attainment_p90"}
    if not need <= set(per_rep):
        raise ConfigError(
            "comp_per_rep needs columns attainment_p10, attainment_p50, attainment_p90 to model "
            f"attainment; found {sorted(per_rep.columns)}"
        )
    pr = per_rep
    if "active_share" in pr:
        pr = pr.loc[pr["active_share"].to_numpy(float) > 0]
    p10, p50, p90 = (
        np.clip(pr[c].to_numpy(float), 1e-6, None)
        for c in ("attainment_p10", "attainment_p50", "attainment_p90")
    )
    mu = np.log(p50)
    sigma = np.maximum((np.log(p90) - np.log(p10)) / (2 * _Z90), 1e-4)
    ok = np.isfinite(mu) & np.isfinite(sigma)
    return mu[ok], sigma[ok]


def share_at_quota_if_scaled(per_rep: pd.DataFrame, factor: float | np.ndarray) -> np.ndarray:
    """Expected share of reps at or above quota if every quota were multiplied by ``factor``.

    Each rep's attainment is modelled as log-normal through its simulated P10 / P50 / P90; a
    quota ``factor`` times larger divides attainment by ``factor``.
    """
    mu, sigma = _lognormal(per_rep)
    k = np.atleast_1d(np.asarray(factor, float))
    return np.asarray(norm.sf((np.log(k)[:, None] - mu[None, :]) / sigma[None, :]).mean(axis=1))


def pooled_quantile(per_rep: pd.DataFrame, q: float) -> float:
    """The ``q`` quantile of attainment over reps and years (the log-normal mixture)."""
    mu, sigma = _lognormal(per_rep)
    if not len(mu):
        return float("nan")
    lo, hi = float(np.exp((mu - 4 * sigma).min())), float(np.exp((mu + 4 * sigma).max()))
    for _ in range(60):
        mid = (lo * hi) ** 0.5
        cdf = float(norm.cdf((np.log(mid) - mu) / sigma).mean())
        lo, hi = (mid, hi) if cdf < q else (lo, mid)
    return (lo * hi) ** 0.5


def scale_for_share(per_rep: pd.DataFrame, aim: float) -> float:
    """The factor on every quota that leaves ``aim`` of reps expected at quota."""
    lo, hi = 0.2, 5.0
    for _ in range(60):
        mid = (lo * hi) ** 0.5
        share = float(share_at_quota_if_scaled(per_rep, mid)[0])
        lo, hi = (mid, hi) if share > aim else (lo, mid)
    return (lo * hi) ** 0.5


@dataclass(frozen=True, repr=False)
class TargetGap:
    """The top-down target against the bottom-up forecast of one plan.

    Attributes
    ----------
    target : float
        Company revenue target [currency/yr].
    quota_total : float
        Sum of the quotas [currency/yr].
    over_assignment : float
        ``quota_total / target - 1``.
    forecast : float
        Expected plan-year revenue (mean of the years simulated from the forecast's sample
        paths) [currency/yr].
    forecast_p10, forecast_p50, forecast_p90 : float
        Percentiles of simulated plan-year revenue [currency/yr].
    p_make_target : float
        Probability the company revenue reaches ``target``.
    gap : float
        ``target - forecast`` [currency/yr]; positive when the target is above the forecast.
    share_at_quota : float
        Expected share of reps at quota with the quotas as set.
    aim : float
        Share of reps at quota aimed for.
    consistent_quota_total : float
        Sum of quotas that leaves ``aim`` of reps at quota [currency/yr].
    consistent_over_assignment : float
        Over-assignment on today's target that gives that sum.
    consistent_target : float
        Target that, at today's over-assignment, gives that sum [currency/yr].
    by_region : DataFrame
        Per region: ``forecast``, ``quota``, ``gap`` (quota - forecast) and ``share_of_gap``.
    draws : ndarray
        Simulated plan-year revenue per draw (for the chart).
    """

    target: float
    quota_total: float
    over_assignment: float
    forecast: float
    forecast_p10: float
    forecast_p50: float
    forecast_p90: float
    p_make_target: float
    gap: float
    share_at_quota: float
    aim: float
    consistent_quota_total: float
    consistent_over_assignment: float
    consistent_target: float
    by_region: pd.DataFrame
    draws: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The figures as one long table (``figure``, ``value``)."""
        keys = [
            "target", "quota_total", "over_assignment", "forecast", "forecast_p10",
            "forecast_p50", "forecast_p90", "p_make_target", "gap", "share_at_quota", "aim",
            "consistent_quota_total", "consistent_over_assignment", "consistent_target",
        ]  # fmt: skip
        return pd.DataFrame({"figure": keys, "value": [float(getattr(self, k)) for k in keys]})

    def sentence(self) -> str:
        """The gap in words."""
        side = "above" if self.gap > 0 else "below"
        top = ""
        if len(self.by_region) and self.by_region["gap"].sum() > 0:
            r = self.by_region.sort_values("gap", ascending=False).iloc[0]
            top = (
                f" {r['region']} carries the largest part of the quota gap "
                f"({r['share_of_gap']:.0%})."
            )
        rel = abs(self.gap) / self.forecast
        p = self.p_make_target
        first = (
            f"The target of {self.target:,.0f} is {abs(self.gap):,.0f} ({rel:.1%}) {side} the "
            f"expected revenue of {self.forecast:,.0f} simulated from the forecast (P10 "
            f"{self.forecast_p10:,.0f}, P90 {self.forecast_p90:,.0f}); the company makes it in "
            f"{p:.0%} of simulated years."
        )
        second = (
            f" {self.aim:.0%} of reps at quota needs quotas of {self.consistent_quota_total:,.0f}:"
            f" a target of {self.consistent_target:,.0f} at {self.over_assignment:.0%} "
            f"over-assignment, or {self.consistent_over_assignment:+.1%} over-assignment on this "
            "target."
        )
        return first + second + top

    def figure(self) -> Any:
        """Matplotlib figure: simulated revenue against target and quotas; gap by region."""
        from matplotlib.figure import Figure  # no pyplot state: safe in workers and reports

        fig = Figure(figsize=(11, 3.6))
        a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        if len(self.draws):
            a1.hist(self.draws / 1e6, bins=50, color="#90cdf4", edgecolor="white")
        for x, lab, col, ls in (
            (self.forecast, "forecast (mean)", "#2b6cb0", "-"),
            (self.target, "target", "#c53030", "--"),
            (self.quota_total, "sum of quotas", "#744210", ":"),
            (self.consistent_quota_total, f"quotas for {self.aim:.0%} at quota", "#2f855a", "-."),
        ):
            a1.axvline(x / 1e6, color=col, ls=ls, lw=2, label=f"{lab} {x / 1e6:,.1f}M")
        a1.set_xlabel("plan-year revenue [millions]")
        a1.set_ylabel("simulated years")
        a1.set_title(f"P(make target) = {self.p_make_target:.0%}")
        a1.legend(fontsize=8, loc="upper left")
        br = self.by_region
        if len(br):
            cols = ["#c53030" if g > 0 else "#2f855a" for g in br["gap"]]
            a2.barh(br["region"].astype(str), br["gap"] / 1e6, color=cols)
            a2.axvline(0, color="#1a202c", lw=0.8)
            a2.set_xlabel("quota minus forecast [millions]")
            a2.set_title("gap by region")
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return f"TargetGap({self.sentence()})"


def target_gap(result: Any, *, aim: float = 0.65, data: Any = None) -> TargetGap:
    """The target gap of a plan.

    Parameters
    ----------
    result : ScenarioResult, StoredResult, PlanView or path
        A finished scenario.
    aim : float
        Share of reps at quota aimed for (0.65 = 65%).
    data : PlanningData, optional

    Returns
    -------
    TargetGap

    Raises
    ------
    ConfigError
        When the result lacks the per-rep attainment or the target.
    """
    from spmopt.health.checks import PlanView, p_make, revenue_draws

    if not 0 < aim < 1:
        raise ConfigError(f"target_gap: aim is a share of reps in (0, 1), got {aim}")
    v = PlanView.of(result, data)
    pr = v.table("comp_per_rep")
    qa = v.table("quota_annual")
    target = v.summary("company_target")
    qtot = v.summary("quota_total")
    if pr is None or not target == target or not qtot == qtot:
        raise ConfigError(
            f"plan {v.name!r}: the target gap needs the summary's company_target and quota_total "
            "and the comp_per_rep table"
        )
    draws = revenue_draws(v)
    if len(draws):
        fc = float(draws.mean())
        p10, p50, p90 = (float(x) for x in np.quantile(draws, [0.1, 0.5, 0.9]))
    else:
        fc = v.summary("forecast_revenue")
        p10 = p50 = p90 = fc
    k = scale_for_share(pr, aim)
    cq = k * qtot
    oa = qtot / target - 1.0
    regions = pd.DataFrame(columns=["region", "forecast", "quota", "gap", "share_of_gap"])
    if qa is not None and {"region", "forecast", "quota"} <= set(qa):
        qcol = "territory_quota" if "territory_quota" in qa else "quota"
        g = qa.groupby(qa["region"].astype(str)).agg(forecast=("forecast", "sum"),
                                                     quota=(qcol, "sum"))  # fmt: skip
        g["gap"] = g["quota"] - g["forecast"]
        pos = g["gap"].clip(lower=0).sum()
        g["share_of_gap"] = g["gap"] / pos if pos > 0 else np.nan
        regions = g.rename_axis("region").reset_index().sort_values("gap", ascending=False)
        regions = regions.reset_index(drop=True)
    return TargetGap(
        target=target,
        quota_total=qtot,
        over_assignment=oa,
        forecast=fc,
        forecast_p10=p10,
        forecast_p50=p50,
        forecast_p90=p90,
        p_make_target=p_make(v, target),
        gap=target - fc,
        share_at_quota=v.summary("share_at_quota"),
        aim=aim,
        consistent_quota_total=cq,
        consistent_over_assignment=cq / target - 1.0,
        consistent_target=cq / (1.0 + oa),
        by_region=regions,
        draws=draws,
    )
