"""From the streamed sums of a run to a :class:`~spmopt.comp.CostSimulation`.

Per draw ``d``: incentive cost ``pay[d]``, revenue ``rev[d]``, the cost of sales
``CCOS[d] = pay[d] / rev[d]`` and the margin after comp
``gross_margin - (base + pay[d]) / rev[d]`` [share of revenue]. The summary gives their mean and
P10/P50/P90, the payout at the mean attainment (what a deterministic model would report; the
curve is non-linear, so ``E[payout(A)] != payout(E[A])``) and the checks: the probability of
leaving the CCOS band and of going below the margin floor, each passing when at most
``max_breach_prob``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp.reps import RepInputs
from spmopt.comp.results import CostSimulation
from spmopt.protocols import CostTargets

if TYPE_CHECKING:
    from spmopt.comp.run import PlanSetup, RunShape, SimSettings

__all__ = ["CompanyDraws", "finish", "p10_50_90"]

_CHECK_COLUMNS = ["check", "target", "expected", "p10", "p90", "p_breach", "p_below", "p_above"]


def p10_50_90(x: NDArray[np.float64]) -> list[float]:
    """P10, P50, P90 in one partition (NaN for an empty or all-NaN array)."""
    if not x.size or np.all(np.isnan(x)):
        return [float("nan")] * 3
    return [float(v) for v in np.percentile(x, [10, 50, 90])]


@dataclass(frozen=True)
class CompanyDraws:
    """Company totals per draw: incentive ``pay`` and ``revenue`` [currency], ``ccos`` and
    ``margin`` [share of revenue], ``share_at`` (share of active reps at or above quota), the
    prorated ``base`` [currency] and the ``gross_margin`` used (None without targets)."""

    pay: NDArray[np.float64]
    revenue: NDArray[np.float64]
    ccos: NDArray[np.float64]
    margin: NDArray[np.float64]
    share_at: NDArray[np.float64]
    base: float
    gross_margin: float | None


def company_draws(st: PlanSetup, reps: RepInputs, targets: CostTargets | None) -> CompanyDraws:
    acc = st.acc
    n_active = int((reps.share > 0).sum())
    base = float((reps.base * reps.share).sum())
    pay, rev = acc.draw_pay, acc.draw_rev
    with np.errstate(divide="ignore", invalid="ignore"):
        ccos = np.where(rev > 0, pay / rev, np.inf)
    gm = getattr(targets, "gross_margin", None)
    margin = (
        gm - (base + pay) / np.where(rev > 0, rev, np.nan)
        if gm is not None
        else np.full(len(pay), np.nan)
    )
    return CompanyDraws(pay, rev, ccos, margin, acc.draw_at / max(n_active, 1), base, gm)


def _at_mean_attainment(st: PlanSetup, reps: RepInputs, mean_att: NDArray[np.float64]) -> float:
    """The plan's cost at every rep's mean attainment (what a deterministic model reports)."""
    active = reps.share > 0
    total = 0.0
    for role in pd.unique(reps.role[active]):
        cols = np.flatnonzero(active & (reps.role == role))
        names = st.plan.roles[role].measure_names
        total += float(
            st.plan.payout(
                {k: mean_att[cols] for k in names},
                role,
                target_incentive=st.ti[cols],
                quota={k: reps.quota[cols] for k in names},
                active_share=reps.share[cols],
            ).sum()
        )
    return total


def _summary(co: CompanyDraws, at_mean: float, n_reps: int) -> dict[str, Any]:
    e_pay, e_rev = float(co.pay.mean()), float(co.revenue.mean())
    pp, rp = p10_50_90(co.pay), p10_50_90(co.revenue)
    cp, mp = p10_50_90(co.ccos), p10_50_90(co.margin)
    gm = co.gross_margin
    return {
        "n_reps": n_reps,
        "n_draws": len(co.pay),
        "expected_incentive": e_pay,
        "incentive_sd": float(co.pay.std()),
        "incentive_p10": pp[0],
        "incentive_p50": pp[1],
        "incentive_p90": pp[2],
        "incentive_at_mean_attainment": at_mean,
        "expected_base": co.base,
        "expected_total_pay": co.base + e_pay,
        "expected_revenue": e_rev,
        "revenue_p10": rp[0],
        "revenue_p90": rp[2],
        "ccos": e_pay / e_rev if e_rev > 0 else float("inf"),
        "ccos_p10": cp[0],
        "ccos_p50": cp[1],
        "ccos_p90": cp[2],
        "margin_after_comp": (gm - (co.base + e_pay) / e_rev) if gm is not None else np.nan,
        "margin_after_comp_p10": mp[0],
        "margin_after_comp_p50": mp[1],
        "margin_after_comp_p90": mp[2],
        "share_at_quota": float(co.share_at.mean()),
    }


def _checks(
    co: CompanyDraws, summary: dict[str, Any], targets: CostTargets | None, max_breach: float
) -> pd.DataFrame:
    """One row per target (CCOS band, margin floor); adds the breach probabilities and
    ``passed`` to ``summary``."""
    checks: list[dict[str, Any]] = []
    band = getattr(targets, "ccos_band", None)
    summary["p_ccos_breach"] = np.nan
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        below, above = co.ccos < lo, co.ccos > hi
        summary["p_ccos_breach"] = float((below | above).mean())
        checks.append(
            {
                "check": f"ccos in [{lo:.1%}, {hi:.1%}]",
                "target": hi,
                "expected": summary["ccos"],
                "p10": summary["ccos_p10"],
                "p90": summary["ccos_p90"],
                "p_breach": summary["p_ccos_breach"],
                "p_below": float(below.mean()),
                "p_above": float(above.mean()),
            }
        )
    floor = getattr(targets, "margin_floor", None)
    summary["p_margin_breach"] = np.nan
    if floor is not None and co.gross_margin is not None:
        p = float((co.margin < float(floor)).mean())
        summary["p_margin_breach"] = p
        checks.append(
            {
                "check": f"margin after comp >= {float(floor):.1%}",
                "target": float(floor),
                "expected": summary["margin_after_comp"],
                "p10": summary["margin_after_comp_p10"],
                "p90": summary["margin_after_comp_p90"],
                "p_breach": p,
                "p_below": p,
                "p_above": 0.0,
            }
        )
    frame = pd.DataFrame(checks, columns=_CHECK_COLUMNS)
    frame["max_breach_prob"] = max_breach
    frame["passed"] = frame["p_breach"] <= max_breach
    summary["passed"] = bool(frame["passed"].all()) if checks else None
    return frame


def _per_rep(
    st: PlanSetup, reps: RepInputs, mean_att: NDArray[np.float64], n_draws: int
) -> pd.DataFrame:
    """One row per rep: attainment and incentive (mean, sd, P10/P50/P90), payout ratio."""
    acc = st.acc
    e_rep = acc.rep_sum.sum(axis=0) / n_draws
    sd_rep = np.sqrt(np.maximum(acc.rep_sum2.sum(axis=0) / n_draws - e_rep**2, 0.0))
    keep = acc.keep.astype(np.float64)
    nan3 = np.full((3, len(e_rep)), np.nan)
    q = np.percentile(keep, [10, 50, 90], axis=0) if len(keep) else nan3
    qa = np.percentile(acc.keep_att, [10, 50, 90], axis=0) if len(keep) else nan3
    target_pay = st.ti * reps.share
    return pd.DataFrame(
        {
            "rep_id": reps.ids.astype(str),
            "role": reps.role.astype(str),
            "active_share": reps.share,
            "quota": reps.quota,
            "target_incentive": st.ti,
            "base_salary": reps.base,
            "expected_attainment": mean_att,
            "attainment_p10": qa[0],
            "attainment_p50": qa[1],
            "attainment_p90": qa[2],
            "p_at_quota": acc.rep_at.sum(axis=0) / n_draws,
            "expected_incentive": e_rep,
            "incentive_sd": sd_rep,
            "incentive_p10": q[0],
            "incentive_p50": q[1],
            "incentive_p90": q[2],
            "payout_ratio": np.where(
                target_pay > 0, e_rep / np.where(target_pay > 0, target_pay, 1.0), np.nan
            ),
        }
    )


def finish(
    st: PlanSetup,
    reps: RepInputs,
    shape: RunShape,
    settings: SimSettings,
    notes: dict[str, Any],
) -> CostSimulation:
    """The :class:`CostSimulation` of one plan of a finished run."""
    n_draws = shape.n_draws
    co = company_draws(st, reps, settings.targets)
    mean_att = st.acc.rep_att.sum(axis=0) / n_draws
    summary = _summary(co, _at_mean_attainment(st, reps, mean_att), int((reps.share > 0).sum()))
    checks = _checks(co, summary, settings.targets, settings.max_breach_prob)
    draws = pd.DataFrame(
        {
            "draw": np.arange(n_draws),
            "incentive": co.pay,
            "base": co.base,
            "revenue": co.revenue,
            "ccos": co.ccos,
            "margin_after_comp": co.margin,
            "share_at_quota": co.share_at,
        }
    )
    return CostSimulation(
        summary=pd.Series(summary, name=st.name, dtype=object),
        per_rep=_per_rep(st, reps, mean_att, n_draws),
        checks=checks,
        draws=draws,
        plan_name=st.name,
        n_draws=n_draws,
        seed=int(settings.seed),
        overrides=st.ov,
        assumptions=notes,
        status="failed" if summary["passed"] is False else "ok",
        kept_incentive=st.acc.keep,
        kept_attainment=st.acc.keep_att,
    )
