"""Results of the comp simulator: :class:`CostSimulation` (one plan) and
:class:`PlanComparison` (several plans on the same draws)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp.overrides import Overrides
from spmopt.contracts import ResultContract, check_status

__all__ = ["CostSimulation", "PlanComparison"]


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True, repr=False)
class CostSimulation(ResultContract):
    """Result of :meth:`CompSimulator.simulate` (and :func:`simulate`).

    Attributes
    ----------
    summary : Series
        Company-level figures (money in the plan's currency per plan year): ``expected_incentive``,
        ``incentive_p10/p50/p90``, ``incentive_at_mean_attainment`` (what a naive model would
        say), ``expected_base``, ``expected_revenue``, ``revenue_p10/p90``, ``ccos`` (expected
        incentive / expected revenue), ``ccos_p10/p50/p90``, ``margin_after_comp`` and its
        ``_p10/_p50/_p90``, ``share_at_quota`` (expected share of reps at or above 100%),
        ``p_ccos_breach``, ``p_margin_breach``, ``passed``.
    per_rep : DataFrame
        One row per rep: ``rep_id, role, active_share, quota`` (active) ``, target_incentive,
        base_salary, expected_attainment, attainment_p10/p50/p90, p_at_quota,
        expected_incentive, incentive_sd, incentive_p10/p50/p90, payout_ratio`` (expected
        incentive / prorated TI). Percentiles come from the first ``n_keep`` draws.
    checks : DataFrame
        One row per target: ``check, target, expected, p10, p90, p_breach, max_breach_prob,
        passed``.
    draws : DataFrame
        One row per draw: ``draw, incentive, base, revenue, ccos, margin_after_comp,
        share_at_quota``.
    plan_name, n_draws, seed, overrides, assumptions
        What was simulated, and how (attainment source, quota source, common shock...).
    status : str
        ``"ok"``, or ``"failed"`` when a check (CCOS band, margin floor) fails; see
        :mod:`spmopt.contracts`.
    kept_incentive, kept_attainment : ndarray (n_keep, n_reps)
        Rep-level payouts and attainment of the first ``n_keep`` draws (see :meth:`payouts`).
    """

    summary: pd.Series
    per_rep: pd.DataFrame
    checks: pd.DataFrame
    draws: pd.DataFrame
    plan_name: str
    n_draws: int
    seed: int
    overrides: Overrides
    assumptions: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    kept_incentive: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), np.float32), repr=False, compare=False
    )
    kept_attainment: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), np.float32), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_status(self.status)

    def to_frame(self) -> pd.DataFrame:
        """The per-draw company table (``draws``)."""
        return self.draws.copy()

    def _problem(self) -> str:
        failed = self.checks.loc[~self.checks["passed"].astype(bool), "check"].tolist()
        return "failed check(s): " + "; ".join(map(str, failed)) if failed else "no failed check"

    def summary_row(self) -> dict[str, Any]:
        """Headline figures: ``expected_cost, cost_p10, cost_p50, cost_p90`` (incentive cost of
        the plan year [currency]), ``ccos`` (expected incentive / expected revenue),
        ``margin_after_comp`` [share of revenue], ``p_ccos_breach, p_margin_breach``
        (probabilities, NaN without that target) and ``comp_passes`` (None without targets)."""
        s = self.summary
        keys = {
            "expected_cost": "expected_incentive",
            "cost_p10": "incentive_p10",
            "cost_p50": "incentive_p50",
            "cost_p90": "incentive_p90",
            "ccos": "ccos",
            "margin_after_comp": "margin_after_comp",
            "p_ccos_breach": "p_ccos_breach",
            "p_margin_breach": "p_margin_breach",
        }
        row: dict[str, Any] = {k: _num(s.get(v)) for k, v in keys.items()}
        row["comp_passes"] = self.passed
        return row

    def by_role(self) -> pd.DataFrame:
        """Per role: ``n_reps``, ``target_incentive`` (prorated sum), ``expected_incentive``,
        ``payout_ratio`` (expected / target) and ``p_at_quota`` (mean over reps)."""
        pr = self.per_rep[self.per_rep["active_share"] > 0]
        target = pr["target_incentive"] * pr["active_share"]
        out = pd.DataFrame(
            {
                "n_reps": pr.groupby("role").size(),
                "target_incentive": target.groupby(pr["role"]).sum(),
                "expected_incentive": pr.groupby("role")["expected_incentive"].sum(),
                "p_at_quota": pr.groupby("role")["p_at_quota"].mean(),
            }
        )
        out["payout_ratio"] = out["expected_incentive"] / out["target_incentive"]
        return out

    def payouts(self) -> pd.DataFrame:
        """Rep-level draws (the first ``assumptions["n_keep"]`` draws), long format:
        ``draw, rep_id, role, attainment, incentive, total_pay`` [currency]."""
        n_keep, nr = self.kept_incentive.shape
        pr = self.per_rep
        base = (pr["base_salary"] * pr["active_share"]).to_numpy()
        inc = self.kept_incentive.astype(np.float64)
        return pd.DataFrame(
            {
                "draw": np.repeat(np.arange(n_keep), nr),
                "rep_id": np.tile(pr["rep_id"].to_numpy(), n_keep),
                "role": np.tile(pr["role"].to_numpy(), n_keep),
                "attainment": self.kept_attainment.astype(np.float64).ravel(),
                "incentive": inc.ravel(),
                "total_pay": (inc + base[None, :]).ravel(),
            }
        )

    @property
    def passed(self) -> bool | None:
        """Whether every check passed (None without targets)."""
        return None if self.checks.empty else bool(self.checks["passed"].all())

    def __repr__(self) -> str:
        s = self.summary
        checks = ""
        if not self.checks.empty:
            n_pass = int(self.checks["passed"].astype(bool).sum())
            checks = f", checks passed={n_pass}/{len(self.checks)}"
        return (
            f"CostSimulation(status={self.status!r}, plan={self.plan_name!r}, "
            f"draws={self.n_draws:,}, reps={len(self.per_rep)}, "
            f"expected_incentive={_num(s.get('expected_incentive')):,.0f}, "
            f"ccos={_num(s.get('ccos')):.2%}, "
            f"margin_after_comp={_num(s.get('margin_after_comp')):.2%}{checks})"
        )

    def __str__(self) -> str:
        """A several-line report: incentive percentiles, CCOS, margin and each check."""
        s = self.summary
        lines = [
            f"CostSimulation({self.plan_name!r}, status {self.status}, {self.n_draws:,} draws x "
            f"{len(self.per_rep)} reps, overrides: {self.overrides.describe()})",
            f"  incentive  E {s['expected_incentive']:,.0f}  P10 {s['incentive_p10']:,.0f}  "
            f"P50 {s['incentive_p50']:,.0f}  P90 {s['incentive_p90']:,.0f}  "
            f"(at mean attainment {s['incentive_at_mean_attainment']:,.0f})",
            f"  CCOS {s['ccos']:.2%} (P10 {s['ccos_p10']:.2%}, P90 {s['ccos_p90']:.2%}); "
            f"margin after comp {s['margin_after_comp']:.2%}; "
            f"reps at/above quota {s['share_at_quota']:.1%}",
        ]
        for row in self.checks.itertuples():
            verdict = "pass" if row.passed else "FAIL"
            lines.append(
                f"  {row.check}: {verdict} (P(breach) {row.p_breach:.1%}, "
                f"allowed {row.max_breach_prob:.0%})"
            )
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class PlanComparison(ResultContract):
    """Result of :func:`compare_plans`: several plans paid on the same draws.

    Attributes
    ----------
    summary : DataFrame
        One row per plan (index: plan name), the columns of :attr:`CostSimulation.summary`.
    delta : DataFrame
        One row per plan against the first: ``mean_diff`` (expected incentive difference),
        ``diff_p10``, ``diff_p90``, ``se_diff`` (Monte Carlo standard error of the mean
        difference, small thanks to common random numbers) and ``p_costlier`` (share of draws
        where the plan costs more).
    simulations : dict of str to CostSimulation
    status : str
        ``"ok"``, or ``"failed"`` when some plan fails a check (CCOS band, margin floor); see
        :mod:`spmopt.contracts`.
    """

    summary: pd.DataFrame
    delta: pd.DataFrame
    simulations: dict[str, CostSimulation]
    status: str = "ok"

    def __post_init__(self) -> None:
        check_status(self.status)

    def to_frame(self) -> pd.DataFrame:
        """One row per plan: :attr:`summary` joined with :attr:`delta`."""
        return self.summary.join(self.delta)

    def _problem(self) -> str:
        bad = [f"{n} ({s._problem()})" for n, s in self.simulations.items() if not s.ok]
        return "plan(s) not ok: " + "; ".join(bad) if bad else f"status {self.status}"

    def summary_row(self) -> dict[str, Any]:
        """Headline figures: ``n_plans``, ``reference`` (the first plan), ``cheapest`` and
        ``costliest`` (by expected incentive), ``expected_cost_min``/``_max`` [currency],
        ``max_se_diff`` (largest Monte Carlo standard error of a difference [currency]) and
        ``plans_passing`` (how many plans pass every check; None without targets)."""
        cost = self.summary["expected_incentive"].astype(float)
        passed = [s.passed for s in self.simulations.values()]
        return {
            "n_plans": len(self.summary),
            "reference": str(self.summary.index[0]),
            "cheapest": str(cost.idxmin()),
            "costliest": str(cost.idxmax()),
            "expected_cost_min": float(cost.min()),
            "expected_cost_max": float(cost.max()),
            "max_se_diff": float(self.delta["se_diff"].max()),
            "plans_passing": None if None in passed else sum(bool(p) for p in passed),
        }

    def __repr__(self) -> str:
        row = self.summary_row()
        passing = row["plans_passing"]
        checks = "" if passing is None else f", passing={passing}/{row['n_plans']}"
        return (
            f"PlanComparison(status={self.status!r}, plans={list(self.summary.index)!r}, "
            f"cheapest={row['cheapest']!r}, expected_incentive="
            f"{row['expected_cost_min']:,.0f}..{row['expected_cost_max']:,.0f}{checks})"
        )

    def __str__(self) -> str:
        """The comparison table: headline figures and differences, one row per plan."""
        cols = ["expected_incentive", "incentive_p90", "ccos", "margin_after_comp", "passed"]
        head = repr(self)
        return head + "\n" + self.summary[cols].join(self.delta).to_string()
