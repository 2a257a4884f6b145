"""Monte Carlo comp cost: what the plan costs, how that cost varies, whether margin holds.

For each draw ``d`` every rep gets an attainment (from the forecast's sample paths or a parametric
distribution with a common company-wide shock), the plan pays each rep exactly
(:meth:`CompPlan.payout`), and the draw's totals give the incentive cost, the cost of sales
``CCOS[d] = incentive[d] / revenue[d]`` and the margin after comp
``gross_margin - (base + incentive[d]) / revenue[d]``. The payout is never evaluated at the mean
attainment: the curve is non-linear, so ``E[payout(A)] != payout(E[A])``; the summary reports
both to show the gap.

Memory does not grow with the rep-draw count: draws run in chunks and the per-rep statistics are
streamed (sums, squares, counts); only the company totals (a few floats per draw) and the payouts
of the first ``n_keep`` draws per rep (for per-rep percentiles) are kept. One-measure roles run
in a fused numba kernel (float32 attainment, float64 sums); roles with several measures, gates,
modifiers, SPIFs, draws or clawbacks run through the exact float64 :meth:`CompPlan.payout_detail`.

Common random numbers: every plan of :func:`compare_plans` is paid on the very same draws, so
differences between plans carry no sampling noise from the attainment.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numba as nb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spmopt.comp import _kernels
from spmopt.comp.attainment import AttainmentDistribution, LogNormal, seed_key
from spmopt.comp.plan import CompPlan
from spmopt.contracts import Estimator, ResultContract, check_status
from spmopt.errors import ConfigError, DataError
from spmopt.protocols import CostTargets, ForecastSampler, SamplePathsLike
from spmopt.quota.result import QuotaResult
from spmopt.settings_errors import format_validation_error

__all__ = [
    "CompSimulator",
    "CostSimulation",
    "Overrides",
    "PlanComparison",
    "RepsAt",
    "compare_plans",
    "simulate",
]

_CHUNK_ELEMENTS = 1 << 21  # rep-draws per chunk (~8 MB of float32 attainment)
_KEEP_ELEMENTS = 1 << 23  # rep-draws kept for per-rep percentiles and payouts()


class RepsAt(BaseModel):
    """A share of reps, picked at random in each draw, put at a fixed attainment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(ge=0, le=1)
    attainment: float = Field(ge=0)


class Overrides(BaseModel):
    """What-if overrides of one simulation.

    Attributes
    ----------
    revenue_change : float
        Relative change of every rep's revenue and attainment (-0.10 = revenue 10% lower).
    reps_at : RepsAt or None
        ``{"share": 0.8, "attainment": 1.2}``: in every draw 80% of reps, picked at random, are
        at 120% (the others keep their drawn attainment).
    accelerator : float
        Factor on the rates of tiers starting at or above ``accelerator_above`` (1.5 = 50%
        steeper accelerator).
    accelerator_above : float
        Attainment from which ``accelerator`` applies.
    target_incentive_change : float
        Relative change of every target incentive (0.05 = 5% more).
    common_shock : float or None
        Replace the common shock of a parametric attainment distribution.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    revenue_change: float = Field(default=0.0, gt=-1)
    reps_at: RepsAt | None = None
    accelerator: float = Field(default=1.0, ge=0)
    accelerator_above: float = Field(default=1.0, ge=0)
    target_incentive_change: float = Field(default=0.0, gt=-1)
    common_shock: float | None = Field(default=None, ge=0)

    @classmethod
    def coerce(cls, value: Overrides | Mapping[str, Any] | None) -> Overrides:
        if value is None:
            return cls()
        if isinstance(value, Overrides):
            return value
        try:
            return cls.model_validate(dict(value))
        except ValidationError as exc:
            raise ConfigError(
                format_validation_error(exc, "overrides", cls, "what-if overrides")
            ) from None

    def describe(self) -> str:
        parts = []
        if self.revenue_change:
            parts.append(f"revenue {self.revenue_change:+.0%}")
        if self.reps_at is not None:
            parts.append(f"{self.reps_at.share:.0%} of reps at {self.reps_at.attainment:.0%}")
        if self.accelerator != 1.0:
            parts.append(f"accelerator x{self.accelerator:g} from {self.accelerator_above:.0%}")
        if self.target_incentive_change:
            parts.append(f"TI {self.target_incentive_change:+.0%}")
        if self.common_shock is not None:
            parts.append(f"common shock {self.common_shock:.0%}")
        return ", ".join(parts) or "none"


OverridesLike: TypeAlias = Overrides | Mapping[str, Any] | None
"""What-if overrides: an :class:`Overrides`, its mapping, or None for none."""
PlanLike: TypeAlias = CompPlan | Mapping[str, Any] | str | os.PathLike[str]
"""A :class:`CompPlan`, its mapping, or the path of its YAML file."""
PlansLike: TypeAlias = Mapping[str, PlanLike] | Sequence[CompPlan]
"""Plans by name, or a sequence of plans (named by ``CompPlan.name``)."""
QuotasLike: TypeAlias = QuotaResult | pd.DataFrame
"""A :class:`~spmopt.quota.QuotaResult` or a table ``rep_id, quota`` (optionally ``period``)."""
ForecastLike: TypeAlias = AttainmentDistribution | ForecastSampler | SamplePathsLike | None
"""A forecast with ``samples``, given sample paths, an attainment distribution, or None."""


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def _pct(x: NDArray[np.float64], q: float) -> float:
    return float(np.percentile(x, q)) if x.size else float("nan")


def _p3(x: NDArray[np.float64]) -> list[float]:
    """P10, P50, P90 in one partition."""
    if not x.size or np.all(np.isnan(x)):
        return [float("nan")] * 3
    return [float(v) for v in np.percentile(x, [10, 50, 90])]


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
        lines = [
            f"CostSimulation({self.plan_name!r}, {self.n_draws:,} draws x {len(self.per_rep)} "
            f"reps, overrides: {self.overrides.describe()})",
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
class PlanComparison:
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
    """

    summary: pd.DataFrame
    delta: pd.DataFrame
    simulations: dict[str, CostSimulation]

    def to_frame(self) -> pd.DataFrame:
        return self.summary.join(self.delta)

    def __repr__(self) -> str:
        cols = ["expected_incentive", "incentive_p90", "ccos", "margin_after_comp", "passed"]
        return "PlanComparison\n" + self.summary[cols].join(self.delta).to_string()


# -- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Reps:
    ids: NDArray[Any]
    role: NDArray[Any]
    ti: NDArray[np.float64]
    base: NDArray[np.float64]
    share: NDArray[np.float64]
    first_month: NDArray[np.int64]
    quota: NDArray[np.float64]  # active quota [currency]
    quota_annual: NDArray[np.float64]
    mean_att: NDArray[np.float64]
    notes: dict[str, Any]


def _quota_frame(quotas: Any) -> tuple[pd.DataFrame, str]:
    if hasattr(quotas, "quotas") and isinstance(quotas.quotas, pd.DataFrame):
        q = quotas.quotas
        annual = getattr(quotas, "annual", None)
        src = "QuotaResult.quotas (per period)"
        if "period" not in q.columns and isinstance(annual, pd.DataFrame):
            q, src = annual, "QuotaResult.annual"
        return q, src
    if isinstance(quotas, pd.DataFrame):
        return quotas, "quotas table"
    raise DataError(
        f"quotas must be a QuotaResult or a DataFrame, got {type(quotas).__name__}",
        table="quotas",
        fix="pass QuotaSetter(...).solve(...) or a DataFrame with rep_id and quota",
    )


def _active(
    hire: pd.Series, plan_year: int | None, proration: NDArray[Any]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n = len(hire)
    share = np.ones(n)
    first = np.zeros(n, dtype=np.int64)
    if plan_year is None:
        return share, first
    h = pd.to_datetime(hire, errors="coerce")
    for i, ts in enumerate(h):
        if pd.isna(ts) or ts.year < plan_year:
            continue
        if ts.year > plan_year:
            share[i], first[i] = 0.0, 12
            continue
        first[i] = ts.month - 1 + (1 if (proration[i] == "monthly" and ts.day > 1) else 0)
        if proration[i] == "monthly":
            share[i] = (12 - first[i]) / 12.0
        elif proration[i] == "daily":
            start = pd.Timestamp(year=plan_year, month=1, day=1)
            days = 366 if calendar.isleap(plan_year) else 365
            share[i] = (days - (ts - start).days) / days
        else:
            share[i] = 1.0
            first[i] = 0
    return share, first


def _prepare_reps(
    plan: CompPlan, quotas: Any, reps: pd.DataFrame | None, plan_year: int | None
) -> _Reps:
    q, qsrc = _quota_frame(quotas)
    for col in ("rep_id", "quota"):
        if col not in q.columns:
            raise DataError(
                f"missing column '{col}'",
                table="quotas",
                column=col,
                fix="give one row per rep (annual) or per rep and period with rep_id and quota",
            )
    qq = q[q["rep_id"].notna()].copy()
    if len(qq) < len(q):
        vacant = int(q["rep_id"].isna().sum())
    else:
        vacant = 0
    if qq.empty:
        raise DataError(
            "no quota carried by a rep",
            table="quotas",
            column="rep_id",
            fix="give rep_id for the quotas to simulate",
        )
    qq["rep_id"] = qq["rep_id"].astype(str)
    bad = qq.index[~np.isfinite(pd.to_numeric(qq["quota"], errors="coerce").to_numpy(float))]
    if len(bad) or (pd.to_numeric(qq["quota"], errors="coerce") < 0).any():
        rows = qq.loc[
            (pd.to_numeric(qq["quota"], errors="coerce") < 0) | qq.index.isin(bad), "rep_id"
        ]
        raise DataError(
            "quota must be a finite number >= 0",
            table="quotas",
            column="quota",
            rows=list(rows),
            fix="correct or drop those rows",
        )
    per_period = "period" in qq.columns and qq.groupby("rep_id").size().max() > 1
    ids = pd.unique(qq["rep_id"])
    notes: dict[str, Any] = {"quota_source": qsrc}
    if vacant:
        notes["vacant"] = f"{vacant} quota row(s) without a rep (vacant territories) not paid"
    annual = getattr(quotas, "annual", None)
    if reps is None and isinstance(annual, pd.DataFrame) and {"rep_id", "role"} <= set(annual):
        reps = annual.dropna(subset=["rep_id"])
        notes["reps"] = "roles and hire dates from QuotaResult.annual"
    if reps is not None:
        r = reps.copy()
        r["rep_id"] = r["rep_id"].astype(str)
        missing = sorted(set(ids) - set(r["rep_id"]))
        if missing:
            raise DataError(
                "reps with a quota are missing from the reps table",
                table="reps",
                column="rep_id",
                rows=missing,
                fix="pass the reps table that the quotas were set for",
            )
        r = r.set_index("rep_id").loc[ids]
    else:
        r = pd.DataFrame(index=pd.Index(ids, name="rep_id"))
    roles = list(plan.roles)
    if "role" in r.columns:
        role = r["role"].astype(object).where(r["role"].notna(), None).to_numpy()
        unknown = sorted({str(x) for x in role if x not in plan.roles})
        if unknown:
            bad_ids = [i for i, x in zip(ids, role, strict=True) if x not in plan.roles]
            raise DataError(
                f"role(s) {unknown} have no plan; plan roles: {roles}",
                table="reps",
                column="role",
                rows=bad_ids,
                fix="add those roles to the plan or correct the reps' roles",
            )
    elif len(roles) == 1:
        role = np.array([roles[0]] * len(ids), dtype=object)
        notes["roles"] = f"no role column: every rep on role '{roles[0]}'"
    else:
        raise DataError(
            f"the plan has roles {roles} but the reps have no role",
            table="reps",
            column="role",
            fix="pass reps=... with a role column",
        )
    role_ti = np.array([plan.roles[x].incentive_target for x in role])
    role_base = np.array([plan.roles[x].base for x in role])
    ti = role_ti.copy()
    base = role_base.copy()
    if "target_incentive" in r.columns:
        v = pd.to_numeric(r["target_incentive"], errors="coerce").to_numpy(float)
        ti = np.where(np.isfinite(v), v, role_ti)
    if "base_salary" in r.columns:
        v = pd.to_numeric(r["base_salary"], errors="coerce").to_numpy(float)
        base = np.where(np.isfinite(v), v, role_base)
    proration = np.array([plan.roles[x].proration for x in role], dtype=object)
    hire = r["hire_date"] if "hire_date" in r.columns else pd.Series([pd.NaT] * len(ids))
    share, first = _active(hire.reset_index(drop=True), plan_year, proration)
    if plan_year is None and hire.notna().any():
        notes["proration"] = "no plan year (plan or targets): hire dates ignored, no proration"
    if per_period:
        qq["period"] = pd.to_datetime(qq["period"])
        month = qq["period"].dt.month.to_numpy() - 1
        fm = pd.Series(first, index=ids).loc[qq["rep_id"]].to_numpy()
        qq["_active"] = np.where(month >= fm, qq["quota"].astype(float), 0.0)
        g = qq.groupby("rep_id", sort=False)
        quota_annual = g["quota"].sum().loc[ids].to_numpy(float)
        quota = g["_active"].sum().loc[ids].to_numpy(float)
        notes["quota_proration"] = "sum of the active months' quotas"
        if "forecast" in qq.columns:
            fc = pd.to_numeric(qq["forecast"], errors="coerce").fillna(0.0)
            qq["_fc"] = np.where(month >= fm, fc, 0.0)
            active_fc = qq.groupby("rep_id", sort=False)["_fc"].sum().loc[ids].to_numpy(float)
        else:
            active_fc = None
    else:
        quota_annual = qq.groupby("rep_id", sort=False)["quota"].sum().loc[ids].to_numpy(float)
        quota = quota_annual * share
        notes["quota_proration"] = "annual quota times the active share"
        if "forecast" in qq.columns:
            fc = pd.to_numeric(qq["forecast"], errors="coerce").fillna(0.0)
            active_fc = fc.groupby(qq["rep_id"], sort=False).sum().loc[ids].to_numpy(float) * share
        else:
            active_fc = None
    mean_att = np.ones(len(ids))
    if active_fc is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = active_fc / quota
        mean_att = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
        notes["mean_attainment"] = "forecast / quota over the active months (from the quotas)"
    return _Reps(
        ids=np.asarray(ids, dtype=object),
        role=np.asarray(role, dtype=object),
        ti=ti,
        base=base,
        share=share,
        first_month=first,
        quota=quota,
        quota_annual=quota_annual,
        mean_att=mean_att,
        notes=notes,
    )


# -- attainment sources ---------------------------------------------------------------------------
class _Source:
    """Attainment (and revenue) of draws ``[d0, d0 + nd)`` for every rep."""

    def __init__(self, forecast: Any, reps: _Reps, seed: int, ov: Overrides) -> None:
        self.reps = reps
        self.seed = seed
        self.kind: str
        self.notes: dict[str, Any] = {}
        if forecast is None:
            forecast = LogNormal(mean=None, sd=0.25, common_shock=0.10)
            self.notes["attainment"] = (
                "default: lognormal, sd 0.25, common shock 10% (no forecast given)"
            )
        if isinstance(forecast, AttainmentDistribution):
            if ov.common_shock is not None:
                import dataclasses

                if hasattr(forecast, "common_shock"):
                    forecast = dataclasses.replace(
                        forecast,
                        common_shock=ov.common_shock,  # type: ignore[call-arg]
                    )
            self.kind = "parametric"
            self.params = forecast.kernel_params(list(reps.ids), reps.mean_att)
            self.notes.setdefault("attainment", repr(forecast))
            self.key = seed_key(seed)
        elif hasattr(forecast, "samples") and callable(forecast.samples):
            self.kind = "forecast"
            self.forecast = forecast
            self.notes["attainment"] = "forecast sample paths (level 'rep'), revenue / quota"
        elif hasattr(forecast, "values") and hasattr(forecast, "unique_id"):
            self.kind = "paths"
            self.paths = forecast
            self.notes["attainment"] = "given sample paths, revenue / quota"
        else:
            raise ConfigError(
                "forecast must be a ForecastResult, SamplePaths or an attainment distribution "
                "(spmopt.comp.Normal, LogNormal, Empirical, Mixture); got "
                f"{type(forecast).__name__}"
            )
        if self.kind != "parametric" and ov.common_shock is not None:
            raise ConfigError("override 'common_shock' applies to parametric attainment only")

    def n_available(self) -> int | None:
        if self.kind == "paths":
            return int(np.asarray(self.paths.values).shape[0])
        return None

    def _from_paths(self, paths: Any, d0: int, nd: int) -> NDArray[np.float32]:
        values = np.asarray(paths.values, dtype=np.float64)
        uid = [str(u) for u in np.asarray(paths.unique_id)]
        pos = {u: i for i, u in enumerate(uid)}
        missing = [r for r in self.reps.ids if r not in pos]
        if missing:
            raise DataError(
                "reps with a quota have no forecast sample paths",
                table="forecast",
                column="unique_id",
                rows=missing,
                fix="forecast at level 'rep' for every rep with a quota",
            )
        idx = np.array([pos[r] for r in self.reps.ids])
        v = values[d0 : d0 + nd][:, idx, :]
        h = v.shape[2]
        ds = getattr(paths, "ds", None)
        if ds is not None and len(ds) == h:
            month = pd.DatetimeIndex(ds).month.to_numpy() - 1
        else:
            month = np.arange(h) % 12
        mask = month[None, :] >= self.reps.first_month[:, None]
        rev = (v * mask[None, :, :]).sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            att = np.where(self.reps.quota > 0, rev / self.reps.quota, 0.0)
        return np.maximum(att, 0.0).astype(np.float32)

    def chunk(self, d0: int, nd: int, chunk_no: int) -> NDArray[np.float32]:
        if self.kind == "parametric":
            out = np.empty((nd, len(self.reps.ids)), dtype=np.float32)
            shock = np.empty(nd, dtype=np.float32)
            _kernels.gen_attainment(self.key, d0, *self.params, out, shock)  # type: ignore[call-arg]
            return out
        if self.kind == "paths":
            return self._from_paths(self.paths, d0, nd)
        sub = int(np.random.SeedSequence([self.seed, chunk_no]).generate_state(1)[0])
        paths = self.forecast.samples(nd, seed=sub, level="rep")
        return self._from_paths(paths, 0, nd)


# -- engine ---------------------------------------------------------------------------------------
@dataclass
class _Acc:
    draw_pay: NDArray[np.float64]
    draw_rev: NDArray[np.float64]
    draw_at: NDArray[np.float64]
    rep_sum: NDArray[np.float64]
    rep_sum2: NDArray[np.float64]
    rep_att: NDArray[np.float64]
    rep_at: NDArray[np.float64]
    keep: NDArray[np.float32]
    keep_att: NDArray[np.float32]


def _curve_tables(plan: CompPlan) -> tuple[dict[str, int], Any, Any, Any, Any, Any]:
    names = list(plan.roles)
    curves = [plan.curve(r, plan.roles[r].measures[0].name) for r in names]
    n_seg = max(len(c.lo) for c in curves)
    lo = np.full((len(names), n_seg), np.inf, dtype=np.float32)
    c = np.zeros((len(names), n_seg), dtype=np.float32)
    m = np.zeros((len(names), n_seg), dtype=np.float32)
    for i, cv in enumerate(curves):
        k = len(cv.lo)
        lo[i, :k], c[i, :k], m[i, :k] = cv.as_float32()
    nseg = np.array([len(cv.lo) for cv in curves], dtype=np.int64)
    cap = np.array([min(cv.cap, 3.0e38) for cv in curves], dtype=np.float32)
    return {r: i for i, r in enumerate(names)}, lo, c, m, nseg, cap


def _other_measures(
    plan: CompPlan, role: str, a_rev: NDArray[np.float64], rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    r = plan.roles[role]
    out: dict[str, NDArray[np.float64]] = {}
    for m in r.measures:
        if m.quota_source == "revenue":
            out[m.name] = a_rev
            continue
        am = m.attainment_model
        if am is None:
            out[m.name] = a_rev
            continue
        if am.sd > 0:
            s2 = np.log1p((am.sd / am.mean) ** 2)
            x = am.mean * np.exp(rng.normal(-0.5 * s2, np.sqrt(s2), a_rev.shape))
        else:
            x = np.full(a_rev.shape, am.mean)
        out[m.name] = am.link * a_rev + (1.0 - am.link) * x
    return out


def _run(
    plans: Sequence[CompPlan],
    overrides: Sequence[Overrides],
    quotas: Any,
    forecast: Any,
    n_draws: int,
    seed: int,
    reps: pd.DataFrame | None,
    targets: Any,
    names: Sequence[str],
    n_keep: int,
    max_breach_prob: float,
    chunk_draws: int | None = None,
) -> list[CostSimulation]:
    if int(n_draws) < 1:
        raise ConfigError(f"n_draws must be >= 1, got {n_draws}")
    n_draws = int(n_draws)
    plan_year = plans[0].plan_year
    if plan_year is None and targets is not None:
        plan_year = getattr(targets, "plan_year", None)
    base_reps = _prepare_reps(plans[0], quotas, reps, plan_year)
    # sources differ only by overrides that change the draws (common_shock)
    sources: dict[Any, _Source] = {}
    for ov in overrides:
        sources.setdefault(ov.common_shock, _Source(forecast, base_reps, seed, ov))
    avail = next(iter(sources.values())).n_available()
    if avail is not None and avail < n_draws:
        n_draws = avail
    nr = len(base_reps.ids)
    per_draw = max(nr, 1)
    if next(iter(sources.values())).kind != "parametric":
        per_draw *= 12  # monthly sample paths of the plan year, float64
    if chunk_draws is None:
        chunk = max(64, min(n_draws, _CHUNK_ELEMENTS // per_draw))
    else:
        chunk = max(1, min(n_draws, int(chunk_draws)))
    # rep-level draws kept for per-rep percentiles: at most ~8M values (32 MB per array)
    n_keep = max(0, min(int(n_keep), n_draws, max(256, _KEEP_ELEMENTS // max(nr, 1))))
    n_blocks = max(1, nb.get_num_threads()) * 2

    # per plan: effective plan, scales, fast/slow split
    setups = []
    for plan, ov in zip(plans, overrides, strict=True):
        p = (
            plan.with_accelerator(ov.accelerator, ov.accelerator_above)
            if ov.accelerator != 1
            else plan
        )
        for r in base_reps.role:
            if r not in p.roles:
                raise DataError(
                    f"role '{r}' has no plan in '{p.name}'",
                    table="reps",
                    column="role",
                    fix="add the role to every compared plan",
                )
        ti = base_reps.ti * (1.0 + ov.target_incentive_change)
        simple = np.array([p.roles[r].is_simple() for r in base_reps.role])
        role_map, lo, c, m, nseg, cap = _curve_tables(p)
        role_idx = np.array([role_map[r] for r in base_reps.role], dtype=np.int64)
        scale = np.where(simple, ti * base_reps.share, 0.0)
        active = base_reps.share > 0
        acc = _Acc(
            draw_pay=np.zeros(n_draws),
            draw_rev=np.zeros(n_draws),
            draw_at=np.zeros(n_draws),
            rep_sum=np.zeros((n_blocks, nr)),
            rep_sum2=np.zeros((n_blocks, nr)),
            rep_att=np.zeros((n_blocks, nr)),
            rep_at=np.zeros((n_blocks, nr)),
            keep=np.zeros((n_keep, nr), dtype=np.float32),
            keep_att=np.zeros((n_keep, nr), dtype=np.float32),
        )
        setups.append((p, ov, ti, simple, role_idx, lo, c, m, nseg, cap, scale, active, acc))

    quota = base_reps.quota
    only = setups[0]
    fused = (
        len(setups) == 1
        and sources[only[1].common_shock].kind == "parametric"
        and bool(np.all(only[3] | ~only[11]))  # every active rep on the fast path
        and only[1].reps_at is None
    )
    for chunk_no, d0 in enumerate(range(0, n_draws, chunk)):
        nd = min(chunk, n_draws - d0)
        raw: dict[Any, NDArray[np.float32]] = {}
        for p, ov, ti, simple, role_idx, lo, c, m, _nseg, cap, scale, active, acc in setups:
            src = sources[ov.common_shock]
            sl = slice(d0, d0 + nd)
            kn = max(0, min(n_keep - d0, nd))
            if fused:
                # one pass: draw and pay without the rep x draw block
                blocks = (acc.rep_sum * 0, acc.rep_sum2 * 0, acc.rep_att * 0, acc.rep_at * 0)
                keep_chunk = np.zeros((kn, nr), dtype=np.float32)
                katt_chunk = np.zeros((kn, nr), dtype=np.float32)
                _kernels.simulate_fused(  # type: ignore[call-arg]
                    src.key, d0, *src.params, np.float32(1.0 + ov.revenue_change),
                    role_idx, lo, c, m, cap, scale, quota, (active & simple).astype(np.float64),
                    acc.draw_pay[sl], acc.draw_rev[sl], acc.draw_at[sl], *blocks, keep_chunk,
                    katt_chunk,
                )  # fmt: skip
                acc.rep_sum += blocks[0]
                acc.rep_sum2 += blocks[1]
                acc.rep_att += blocks[2]
                acc.rep_at += blocks[3]
                if kn:
                    acc.keep[d0 : d0 + kn] = keep_chunk
                    acc.keep_att[d0 : d0 + kn] = katt_chunk
                continue
            if ov.common_shock not in raw:
                raw[ov.common_shock] = sources[ov.common_shock].chunk(d0, nd, chunk_no)
            att = raw[ov.common_shock]
            if ov.revenue_change or ov.reps_at is not None:
                att = att * np.float32(1.0 + ov.revenue_change)
                if ov.reps_at is not None:
                    rng = np.random.default_rng([seed, chunk_no, 7])
                    pick = rng.random(att.shape) < ov.reps_at.share
                    att = np.where(pick, np.float32(ov.reps_at.attainment), att)
                att = np.ascontiguousarray(att, dtype=np.float32)
            fast_active = active & simple
            blocks = (acc.rep_sum * 0, acc.rep_sum2 * 0, acc.rep_att * 0, acc.rep_at * 0)
            keep_chunk = np.zeros((kn, nr), dtype=np.float32)
            katt_chunk = np.zeros((kn, nr), dtype=np.float32)
            _kernels.payout_stats(
                att, role_idx, lo, c, m, cap, scale, quota, fast_active.astype(np.float64),
                acc.draw_pay[sl], acc.draw_rev[sl], acc.draw_at[sl],
                *blocks, keep_chunk, katt_chunk,
            )  # fmt: skip
            acc.rep_sum += blocks[0]
            acc.rep_sum2 += blocks[1]
            acc.rep_att += blocks[2]
            acc.rep_at += blocks[3]
            if kn:
                acc.keep[d0 : d0 + kn] = keep_chunk
                acc.keep_att[d0 : d0 + kn] = katt_chunk
            slow = active & ~simple
            if slow.any():
                rng = np.random.default_rng([seed, chunk_no, 11])
                for role in pd.unique(base_reps.role[slow]):
                    cols = np.flatnonzero(slow & (base_reps.role == role))
                    a = att[:, cols].astype(np.float64)
                    pay = p.payout(
                        _other_measures(p, role, a, rng),
                        role,
                        target_incentive=ti[cols],
                        quota={mm.name: quota[cols] for mm in p.roles[role].measures},
                        active_share=base_reps.share[cols],
                    )
                    acc.draw_pay[sl] += pay.sum(axis=1)
                    acc.draw_rev[sl] += (a * quota[cols]).sum(axis=1)
                    acc.draw_at[sl] += (a >= 1.0).sum(axis=1)
                    acc.rep_sum[0, cols] += pay.sum(axis=0)
                    acc.rep_sum2[0, cols] += (pay * pay).sum(axis=0)
                    acc.rep_att[0, cols] += a.sum(axis=0)
                    acc.rep_at[0, cols] += (a >= 1.0).sum(axis=0)
                    if kn:
                        acc.keep[d0 : d0 + kn, cols] = pay[:kn]
    out = []
    for name, (p, ov, ti, simple, *_, active, acc) in zip(names, setups, strict=True):
        notes = dict(base_reps.notes)
        notes.update(next(iter(sources.values())).notes)
        notes["n_keep"] = n_keep
        notes["chunk_draws"] = chunk
        notes["fast_path_reps"] = int((simple & active).sum())
        notes["kernel"] = "fused draw + payout" if fused else "draw, then payout"
        out.append(
            _finish(name, p, ov, ti, base_reps, acc, n_draws, seed, targets, notes, max_breach_prob)
        )
    return out


def _finish(
    name: str,
    plan: CompPlan,
    ov: Overrides,
    ti: NDArray[np.float64],
    reps: _Reps,
    acc: _Acc,
    n_draws: int,
    seed: int,
    targets: Any,
    notes: dict[str, Any],
    max_breach_prob: float,
) -> CostSimulation:
    active = reps.share > 0
    n_active = int(active.sum())
    base_total = float((reps.base * reps.share).sum())
    pay = acc.draw_pay
    rev = acc.draw_rev
    with np.errstate(divide="ignore", invalid="ignore"):
        ccos = np.where(rev > 0, pay / rev, np.inf)
    gm = getattr(targets, "gross_margin", None)
    margin = (
        gm - (base_total + pay) / np.where(rev > 0, rev, np.nan)
        if gm is not None
        else np.full(n_draws, np.nan)
    )
    share_at = acc.draw_at / max(n_active, 1)
    # payout at the mean attainment (what a deterministic model reports)
    mean_att = acc.rep_att.sum(axis=0) / n_draws
    at_mean = 0.0
    for role in pd.unique(reps.role[active]):
        cols = np.flatnonzero(active & (reps.role == role))
        names = plan.roles[role].measure_names
        at_mean += float(
            plan.payout(
                {k: mean_att[cols] for k in names},
                role,
                target_incentive=ti[cols],
                quota={k: reps.quota[cols] for k in names},
                active_share=reps.share[cols],
            ).sum()
        )
    e_pay, e_rev = float(pay.mean()), float(rev.mean())
    pp, rp, cp, mp = _p3(pay), _p3(rev), _p3(ccos), _p3(margin)
    summary: dict[str, Any] = {
        "n_reps": n_active,
        "n_draws": n_draws,
        "expected_incentive": e_pay,
        "incentive_sd": float(pay.std()),
        "incentive_p10": pp[0],
        "incentive_p50": pp[1],
        "incentive_p90": pp[2],
        "incentive_at_mean_attainment": at_mean,
        "expected_base": base_total,
        "expected_total_pay": base_total + e_pay,
        "expected_revenue": e_rev,
        "revenue_p10": rp[0],
        "revenue_p90": rp[2],
        "ccos": e_pay / e_rev if e_rev > 0 else float("inf"),
        "ccos_p10": cp[0],
        "ccos_p50": cp[1],
        "ccos_p90": cp[2],
        "margin_after_comp": (gm - (base_total + e_pay) / e_rev) if gm is not None else np.nan,
        "margin_after_comp_p10": mp[0],
        "margin_after_comp_p50": mp[1],
        "margin_after_comp_p90": mp[2],
        "share_at_quota": float(share_at.mean()),
    }
    checks = []
    band = getattr(targets, "ccos_band", None)
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        p_breach = float(((ccos < lo) | (ccos > hi)).mean())
        checks.append(
            {
                "check": f"ccos in [{lo:.1%}, {hi:.1%}]",
                "target": hi,
                "expected": summary["ccos"],
                "p10": summary["ccos_p10"],
                "p90": summary["ccos_p90"],
                "p_breach": p_breach,
                "p_below": float((ccos < lo).mean()),
                "p_above": float((ccos > hi).mean()),
            }
        )
    floor = getattr(targets, "margin_floor", None)
    if floor is not None and gm is not None:
        checks.append(
            {
                "check": f"margin after comp >= {float(floor):.1%}",
                "target": float(floor),
                "expected": summary["margin_after_comp"],
                "p10": summary["margin_after_comp_p10"],
                "p90": summary["margin_after_comp_p90"],
                "p_breach": float((margin < float(floor)).mean()),
                "p_below": float((margin < float(floor)).mean()),
                "p_above": 0.0,
            }
        )
    checks_df = pd.DataFrame(
        checks,
        columns=["check", "target", "expected", "p10", "p90", "p_breach", "p_below", "p_above"],
    )
    checks_df["max_breach_prob"] = max_breach_prob
    checks_df["passed"] = checks_df["p_breach"] <= max_breach_prob
    summary["p_ccos_breach"] = checks[0]["p_breach"] if band is not None else np.nan
    summary["p_margin_breach"] = (
        checks[-1]["p_breach"] if (floor is not None and gm is not None) else np.nan
    )
    summary["passed"] = bool(checks_df["passed"].all()) if checks else None
    status = "failed" if summary["passed"] is False else "ok"

    rep_sum = acc.rep_sum.sum(axis=0)
    rep_sum2 = acc.rep_sum2.sum(axis=0)
    e_rep = rep_sum / n_draws
    sd_rep = np.sqrt(np.maximum(rep_sum2 / n_draws - e_rep**2, 0.0))
    keep = acc.keep.astype(np.float64)
    nan3 = np.full((3, len(e_rep)), np.nan)
    q = np.percentile(keep, [10, 50, 90], axis=0) if len(keep) else nan3
    qa = np.percentile(acc.keep_att, [10, 50, 90], axis=0) if len(keep) else nan3
    target_pay = ti * reps.share
    per_rep = pd.DataFrame(
        {
            "rep_id": reps.ids.astype(str),
            "role": reps.role.astype(str),
            "active_share": reps.share,
            "quota": reps.quota,
            "target_incentive": ti,
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
    draws = pd.DataFrame(
        {
            "draw": np.arange(n_draws),
            "incentive": pay,
            "base": base_total,
            "revenue": rev,
            "ccos": ccos,
            "margin_after_comp": margin,
            "share_at_quota": share_at,
        }
    )
    return CostSimulation(
        summary=pd.Series(summary, name=name, dtype=object),
        per_rep=per_rep,
        checks=checks_df,
        draws=draws,
        plan_name=name,
        n_draws=n_draws,
        seed=seed,
        overrides=ov,
        assumptions=notes,
        status=status,
        kept_incentive=acc.keep,
        kept_attainment=acc.keep_att,
    )


def _coerce_plan(plan: Any) -> CompPlan:
    if isinstance(plan, CompPlan):
        return plan
    if isinstance(plan, Mapping):
        return CompPlan.from_dict(plan)
    if isinstance(plan, str) or hasattr(plan, "__fspath__"):
        return CompPlan.from_yaml(plan)
    raise ConfigError(f"plan must be a CompPlan, a mapping or a YAML path, got {type(plan)}")


class CompSimulator(Estimator):
    """Monte Carlo cost of incentive plans: settings here, plans and data in :meth:`simulate`.

    Parameters
    ----------
    n_draws : int
        Monte Carlo draws (capped at the number of given sample paths).
    seed : int
        Seed: equal seeds give equal results, whatever the chunking or thread count.
    targets : PlanningTargets, optional
        ``gross_margin`` [share of revenue], ``ccos_band`` (low, high) [share of revenue],
        ``margin_floor`` [share of revenue] (and ``plan_year`` when the plan has none): the
        checks. None: no checks (``status`` is ``"ok"``, ``passed`` None).
    overrides : Overrides or mapping, optional
        What-ifs, e.g. ``{"revenue_change": -0.1}``, ``{"reps_at": {"share": 0.8,
        "attainment": 1.2}}``, ``{"accelerator": 1.5}``. For :meth:`compare`, also a mapping of
        plan name to overrides.
    n_keep : int
        Draws whose rep-level payouts and attainment are kept, for per-rep percentiles and
        :meth:`CostSimulation.payouts` (at most ~8M rep-draws: fewer draws for huge teams).
    max_breach_prob : float
        A check passes when its probability of breach is at most this (a share in [0, 1]).
    chunk_draws : int, optional
        Draws per chunk; None sizes chunks to ~2M rep-draws (~8 MB of float32 attainment). The
        results do not depend on it.

    Examples
    --------
    >>> sim = CompSimulator(n_draws=10_000, seed=0, targets=data.targets)  # doctest: +SKIP
    >>> cost = sim.simulate(plan, quotas=q, forecast=fc, reps=data.reps)  # doctest: +SKIP
    >>> cost.summary_row()["ccos"], cost.ok  # doctest: +SKIP
    """

    def __init__(
        self,
        n_draws: int = 10_000,
        seed: int = 0,
        *,
        targets: CostTargets | None = None,
        overrides: OverridesLike = None,
        n_keep: int = 4_096,
        max_breach_prob: float = 0.10,
        chunk_draws: int | None = None,
    ) -> None:
        self.n_draws = n_draws
        self.seed = seed
        self.targets = targets
        self.overrides = overrides
        self.n_keep = n_keep
        self.max_breach_prob = max_breach_prob
        self.chunk_draws = chunk_draws

    def _validate(self) -> None:
        def bad(key: str, fix: str) -> ConfigError:
            return ConfigError(f"CompSimulator {key}={getattr(self, key)!r}: {fix}")

        if not _whole(self.n_draws) or int(self.n_draws) < 1:
            raise bad("n_draws", "n_draws must be a whole number >= 1, e.g. 10_000")
        if not _whole(self.seed):
            raise bad("seed", "give a whole number")
        if not _whole(self.n_keep) or int(self.n_keep) < 0:
            raise bad("n_keep", "give a whole number >= 0")
        if not 0.0 <= float(self.max_breach_prob) <= 1.0:
            raise bad("max_breach_prob", "give a probability in [0, 1], e.g. 0.10")
        if self.chunk_draws is not None and (not _whole(self.chunk_draws) or self.chunk_draws < 1):
            raise bad("chunk_draws", "give a whole number of draws >= 1, or None")

    def simulate(
        self,
        plan: PlanLike,
        *,
        quotas: QuotasLike,
        forecast: ForecastLike = None,
        reps: pd.DataFrame | None = None,
    ) -> CostSimulation:
        """Simulate the cost of one incentive plan.

        Parameters
        ----------
        plan : CompPlan, mapping or path
            The plan (a mapping or YAML path is validated into a :class:`CompPlan`).
        quotas : QuotaResult or DataFrame
            ``rep_id`` and ``quota`` [currency]: one row per rep (annual quota) or per rep and
            ``period`` (month start; the active months of mid-year hires are summed). A
            ``forecast`` column gives each rep's expected attainment to parametric
            distributions whose ``mean`` is None.
        forecast : ForecastResult, SamplePaths or AttainmentDistribution, optional
            Revenue uncertainty. A ForecastResult is sampled in chunks
            (``forecast.samples(n, seed, level="rep")``) and attainment is the rep's revenue
            over the active months divided by the active quota. An attainment distribution
            (:class:`~spmopt.comp.Normal`, :class:`~spmopt.comp.LogNormal`,
            :class:`~spmopt.comp.Empirical`, :class:`~spmopt.comp.Mixture`) draws attainment
            with a common shock. None: lognormal, sd 0.25, common shock 10%, mean from the
            quotas' forecast (reported in ``assumptions``).
        reps : DataFrame, optional
            ``rep_id`` with ``role``, and optionally ``target_incentive``, ``base_salary``
            [currency/yr] (per rep, else the role's) and ``hire_date`` (proration within the
            plan year).

        Returns
        -------
        CostSimulation
        """
        self._validate()
        p = _coerce_plan(plan)
        ov = Overrides.coerce(self.overrides)
        return self._run([p], [ov], [p.name], quotas, forecast, reps)[0]

    def compare(
        self,
        plans: PlansLike,
        *,
        quotas: QuotasLike,
        forecast: ForecastLike = None,
        reps: pd.DataFrame | None = None,
    ) -> PlanComparison:
        """Simulate several plans (or what-ifs) on the same draws (common random numbers).

        Parameters
        ----------
        plans : mapping of name to plan, or sequence of plans
            The first is the reference of :attr:`PlanComparison.delta`. The ``overrides``
            setting may map plan names to overrides (``{"base": {}, "downturn":
            {"revenue_change": -0.1}}`` compares what-ifs of one plan).
        quotas, forecast, reps
            As in :meth:`simulate`.

        Returns
        -------
        PlanComparison
        """
        self._validate()
        names, plist = _named_plans(plans)
        ovs = _per_plan_overrides(self.overrides, names)
        sims = self._run(plist, ovs, names, quotas, forecast, reps)
        return _comparison(names, sims)

    def _run(
        self,
        plans: Sequence[CompPlan],
        overrides: Sequence[Overrides],
        names: Sequence[str],
        quotas: QuotasLike,
        forecast: ForecastLike,
        reps: pd.DataFrame | None,
    ) -> list[CostSimulation]:
        return _run(
            plans,
            overrides,
            quotas,
            forecast,
            int(self.n_draws),
            int(self.seed),
            reps,
            self.targets,
            names,
            int(self.n_keep),
            float(self.max_breach_prob),
            self.chunk_draws,
        )


def _whole(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _named_plans(plans: PlansLike) -> tuple[list[str], list[CompPlan]]:
    if isinstance(plans, Mapping):
        names = [str(k) for k in plans]
        plist = [_coerce_plan(v) for v in plans.values()]
    else:
        plist = [_coerce_plan(v) for v in plans]
        names = [p.name for p in plist]
        if len(set(names)) != len(names):
            names = [f"{n} [{i}]" for i, n in enumerate(names)]
    if not plist:
        raise ConfigError("compare_plans needs at least one plan")
    return names, plist


def _per_plan_overrides(overrides: OverridesLike, names: list[str]) -> list[Overrides]:
    if (
        isinstance(overrides, Mapping)
        and overrides
        and set(overrides) <= set(names)
        and all(isinstance(v, (Mapping, Overrides)) or v is None for v in overrides.values())
    ):
        return [Overrides.coerce(overrides.get(n)) for n in names]  # type: ignore[arg-type]
    return [Overrides.coerce(overrides)] * len(names)


def _comparison(names: list[str], sims: list[CostSimulation]) -> PlanComparison:
    summary = pd.DataFrame(
        [s.summary for s in sims], index=pd.Index(names, name="plan")
    ).infer_objects()
    ref = sims[0].draws["incentive"].to_numpy()
    rows = []
    for s in sims:
        diff = s.draws["incentive"].to_numpy() - ref
        rows.append(
            {
                "mean_diff": float(diff.mean()),
                "diff_p10": _pct(diff, 10),
                "diff_p90": _pct(diff, 90),
                "se_diff": float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0,
                "p_costlier": float((diff > 0).mean()),
            }
        )
    delta = pd.DataFrame(rows, index=pd.Index(names, name="plan"))
    return PlanComparison(
        summary=summary, delta=delta, simulations=dict(zip(names, sims, strict=True))
    )


def simulate(
    plan: PlanLike,
    quotas: QuotasLike,
    forecast: ForecastLike = None,
    n_draws: int = 10_000,
    seed: int = 0,
    reps: pd.DataFrame | None = None,
    targets: CostTargets | None = None,
    overrides: OverridesLike = None,
    *,
    n_keep: int = 4_096,
    max_breach_prob: float = 0.10,
) -> CostSimulation:
    """Simulate the cost of an incentive plan: the functional form of
    :meth:`CompSimulator.simulate`.

    ``simulate(plan, quotas, forecast, n_draws, seed, reps, targets, overrides)`` equals
    ``CompSimulator(n_draws, seed, targets=targets, overrides=overrides, n_keep=n_keep,
    max_breach_prob=max_breach_prob).simulate(plan, quotas=quotas, forecast=forecast,
    reps=reps)``; see :class:`CompSimulator` for the parameters.

    Returns
    -------
    CostSimulation
    """
    return CompSimulator(
        n_draws,
        seed,
        targets=targets,
        overrides=overrides,
        n_keep=n_keep,
        max_breach_prob=max_breach_prob,
    ).simulate(plan, quotas=quotas, forecast=forecast, reps=reps)


def compare_plans(
    plans: PlansLike,
    quotas: QuotasLike,
    forecast: ForecastLike = None,
    n_draws: int = 10_000,
    seed: int = 0,
    reps: pd.DataFrame | None = None,
    targets: CostTargets | None = None,
    overrides: OverridesLike = None,
    *,
    n_keep: int = 4_096,
    max_breach_prob: float = 0.10,
) -> PlanComparison:
    """Several plans (or what-ifs) on the same draws: the functional form of
    :meth:`CompSimulator.compare`.

    Parameters
    ----------
    plans : mapping of name to plan, or sequence of plans
        The first is the reference of :attr:`PlanComparison.delta`.
    overrides : Overrides, mapping, or mapping of plan name to overrides
        One set for every plan, or one per plan name (``{"base": {}, "downturn":
        {"revenue_change": -0.1}}`` compares what-ifs of one plan).

    Other parameters are those of :func:`simulate`.
    """
    return CompSimulator(
        n_draws,
        seed,
        targets=targets,
        overrides=overrides,
        n_keep=n_keep,
        max_breach_prob=max_breach_prob,
    ).compare(plans, quotas=quotas, forecast=forecast, reps=reps)
