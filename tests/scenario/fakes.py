"""Small, fast stage functions with the shapes of the real results, for runner tests.

They keep the batch tests about the runner (sharing, failures, retries, resume) and fast; the
end-to-end test runs the real stages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data import PlanningData
from spmopt.scenario.config import Scenario
from spmopt.scenario.pipeline import ForecastStage, Stages, current_alignment

CALLS_DIR_ENV = "SPMOPT_TEST_CALLS"


def _log_call(kind: str, s: Scenario) -> None:
    d = os.environ.get(CALLS_DIR_ENV)
    if d:
        p = Path(d) / f"{kind}-{s.name}-{os.getpid()}-{np.random.default_rng().integers(1e12)}"
        p.write_text("")


def fake_align(s: Scenario, data: PlanningData) -> Any:
    _log_call("align", s)
    return current_alignment(data.accounts, data.reps, s.territory.balance)


@dataclass(frozen=True)
class FakeForecast:
    frame: pd.DataFrame
    seed: int

    def annual(self) -> pd.Series:
        f = self.frame[self.frame["level"] == "rep"]
        return f.groupby("unique_id")["yhat"].sum()


def fake_forecast(s: Scenario, data: PlanningData, alignment: Any) -> ForecastStage:
    _log_call("forecast", s)
    from spmopt.forecast.history import build_history

    h = build_history(data.sales, alignment.assignment, data.reps)
    last = h["ds"].max()
    rows = []
    for uid, g in h.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        tail = g["y"].to_numpy()[-12:]
        lvl = g["level"].iloc[0]
        for k in range(s.forecast.horizon):
            y = float(tail[k % 12])
            rows.append(
                {
                    "unique_id": uid,
                    "ds": last + pd.DateOffset(months=k + 1),
                    "level": lvl,
                    "yhat": y,
                    "yhat_lo_80": 0.85 * y,
                    "yhat_hi_80": 1.15 * y,
                    "yhat_lo_95": 0.75 * y,
                    "yhat_hi_95": 1.25 * y,
                    "model": "snaive",
                }
            )
    return ForecastStage(forecast=FakeForecast(pd.DataFrame(rows), s.seed), history=h)


@dataclass(frozen=True)
class FakeQuotas:
    annual: pd.DataFrame
    quotas: pd.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)
    status: str = "optimal"


def fake_quota(s: Scenario, data: PlanningData, alignment: Any, fc: ForecastStage) -> FakeQuotas:
    target = s.quota.company_target or data.targets.company_revenue_target
    oa = s.quota.over_assignment if s.quota.over_assignment is not None else 0.1
    summ = alignment.summary
    share = summ["potential"] / summ["potential"].sum()
    quota = np.round(share * target * (1 + oa) / s.quota.increment) * s.quota.increment
    annual = pd.DataFrame(
        {"rep_id": summ["rep_id"], "territory_id": summ["territory_id"], "quota": quota}
    )
    fa = fc.forecast.annual()
    annual["forecast"] = fa.reindex(annual["rep_id"]).to_numpy()
    months = pd.date_range(f"{data.targets.plan_year}-01-01", periods=12, freq="MS")
    q = annual.merge(pd.DataFrame({"period": months}), how="cross")
    q["quota"] = q["quota"] / 12
    return FakeQuotas(
        annual=annual,
        quotas=q[["rep_id", "territory_id", "period", "quota"]],
        metrics={"company_target": float(target)},
    )


@dataclass(frozen=True)
class FakeCost:
    summary: dict[str, Any]
    per_rep: pd.DataFrame
    draws: pd.DataFrame


def fake_comp(s: Scenario, data: PlanningData, quotas: FakeQuotas, fc: ForecastStage) -> FakeCost:
    if s.comp.overrides.get("fail"):
        raise ValueError(f"planned failure of {s.name}")
    kill = s.comp.overrides.get("kill_once")
    if kill and not Path(kill).exists():
        Path(kill).write_text("killed")
        os._exit(1)
    rng = np.random.default_rng(s.seed)
    a = quotas.annual
    n = 2000
    mean_att = (a["forecast"] / a["quota"]).to_numpy() * (1 + s.comp.revenue_shock)
    common = rng.normal(0, 0.05, (n, 1))
    att = mean_att[None, :] * np.exp(common + rng.normal(0, 0.15, (n, len(a))))
    ti = 85_000.0
    pay = ti * np.clip(att, 0, 2.5)
    revenue = (att * a["quota"].to_numpy()[None, :]).sum(1)
    incentive = pay.sum(1)
    ccos = incentive / revenue
    base = 85_000.0 * len(a)
    margin = data.targets.gross_margin - (incentive + base) / revenue
    lo, hi = data.targets.ccos_band
    summary = {
        "expected_incentive": float(incentive.mean()),
        "incentive_p10": float(np.percentile(incentive, 10)),
        "incentive_p50": float(np.percentile(incentive, 50)),
        "incentive_p90": float(np.percentile(incentive, 90)),
        "ccos": float(ccos.mean()),
        "margin_after_comp": float(margin.mean()),
        "share_at_quota": float((att >= 1).mean()),
        "p_ccos_breach": float(((ccos < lo) | (ccos > hi)).mean()),
        "p_margin_breach": float((margin < data.targets.margin_floor).mean()),
    }
    summary["passed"] = summary["p_ccos_breach"] < 0.5 and summary["p_margin_breach"] < 0.5
    per_rep = pd.DataFrame(
        {
            "rep_id": a["rep_id"],
            "expected_attainment": att.mean(0),
            "expected_incentive": pay.mean(0),
            "p_at_quota": (att >= 1).mean(0),
        }
    )
    draws = pd.DataFrame(
        {"draw": np.arange(n), "incentive": incentive, "revenue": revenue, "ccos": ccos,
         "margin_after_comp": margin}
    )  # fmt: skip
    return FakeCost(summary=summary, per_rep=per_rep, draws=draws)


FAKE_STAGES = Stages(align=fake_align, forecast=fake_forecast, quota=fake_quota, comp=fake_comp)


def set_env(key: str, value: str | None) -> None:
    """Set (or, with None, remove) an environment variable of this process (for client.run)."""
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value
