"""Small hand-made plans for the health checks: every number in them is easy to compute."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spmopt.comp import CompPlan
from spmopt.data import PlanningTargets
from spmopt.health import PlanView

TARGETS = PlanningTargets(
    plan_year=2027, company_revenue_target=1_000_000.0, ccos_band=(0.03, 0.09), margin_floor=0.55
)


def plan(below: float = 1.0, accel: float = 2.0) -> CompPlan:
    """One AE role: rate ``below`` up to quota, ``accel`` above, base 85k, TI 85k."""
    return CompPlan.from_dict(
        {
            "roles": {
                "AE": {
                    "base_salary": 85_000,
                    "target_incentive": 85_000,
                    "measures": [
                        {
                            "name": "revenue",
                            "weight": 1,
                            "tiers": [
                                {"from": 0, "to": 1, "rate": below},
                                {"from": 1, "rate": accel},
                            ],
                        }
                    ],
                }
            }
        }
    )


def per_rep(att: list[float], *, p10: list[float] | None = None, p90: list[float] | None = None,
            base: float = 85_000, ti: float = 85_000) -> pd.DataFrame:  # fmt: skip
    a = np.asarray(att, float)
    n = len(a)
    return pd.DataFrame(
        {
            "rep_id": [f"R{i:02d}" for i in range(n)],
            "role": "AE",
            "active_share": 1.0,
            "quota": 100_000.0,
            "target_incentive": ti,
            "base_salary": base,
            "expected_attainment": a,
            "attainment_p10": a * 0.8 if p10 is None else p10,
            "attainment_p50": a,
            "attainment_p90": a * 1.25 if p90 is None else p90,
            "p_at_quota": (a >= 1).astype(float),
        }
    )


def view(
    summary: dict[str, Any] | None = None,
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    the_plan: CompPlan | None = None,
    sales: pd.DataFrame | None = None,
) -> PlanView:
    """A plan whose summary row holds ``summary`` (other columns healthy) and ``tables``."""
    row = {
        "scenario": "tiny",
        "share_at_quota": 0.65,
        "over_assignment": 0.10,
        "company_target": 1_000_000.0,
        "quota_total": 1_100_000.0,
        "forecast_revenue": 1_150_000.0,
        "ccos": 0.05,
        "margin_after_comp": 0.60,
        "quota_spread": 0.10,
        "max_deviation_potential": 0.05,
        "max_deviation_workload": 0.15,
        "disruption_share": 0.10,
        "expected_cost": 50_000.0,
    }
    row.update(summary or {})
    t = {"summary": pd.DataFrame([row])}
    t.update(tables or {})
    return PlanView("tiny", t, TARGETS, the_plan, sales)
