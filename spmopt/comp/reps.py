"""The reps a simulation pays: quotas, roles, target incentives, base salaries and proration.

:func:`prepare_reps` reads the quotas (a :class:`~spmopt.quota.QuotaResult` or a table), the
reps table and the plan into :class:`RepInputs`, one array entry per rep with a quota. Mid-year
hires are prorated within the plan year by their role's ``proration`` (monthly, daily or none);
per-period quotas count only the active months.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp.plan import CompPlan
from spmopt.errors import DataError

__all__ = ["RepInputs", "active_share", "prepare_reps", "quota_frame"]


@dataclass(frozen=True)
class RepInputs:
    """Per rep with a quota (arrays in the order of ``ids``).

    Attributes
    ----------
    ids, role : ndarray of object
    ti, base : ndarray
        Target incentive and base salary [currency/yr] (the rep's, else the role's).
    share : ndarray
        Active share of the plan year (0 for hires after it).
    first_month : ndarray of int
        First active month (0 = January; 12 = not in the plan year).
    quota, quota_annual : ndarray
        Quota of the active months and of the whole year [currency].
    mean_att : ndarray
        Expected attainment (forecast / quota over the active months; 1 without a forecast).
    notes : dict
        What was assumed, for ``CostSimulation.assumptions``.
    """

    ids: NDArray[Any]
    role: NDArray[Any]
    ti: NDArray[np.float64]
    base: NDArray[np.float64]
    share: NDArray[np.float64]
    first_month: NDArray[np.int64]
    quota: NDArray[np.float64]
    quota_annual: NDArray[np.float64]
    mean_att: NDArray[np.float64]
    notes: dict[str, Any]


def quota_frame(quotas: Any) -> tuple[pd.DataFrame, str]:
    """The quota table of a QuotaResult (per period, else annual) or a DataFrame, and its name."""
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


def active_share(
    hire: pd.Series, plan_year: int | None, proration: NDArray[Any]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Active share of the plan year and first active month per rep, from hire dates."""
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


def _rep_quotas(q: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The quota rows carried by a rep (checked: columns, finite, >= 0) and the vacant count."""
    for col in ("rep_id", "quota"):
        if col not in q.columns:
            raise DataError(
                f"missing column '{col}'",
                table="quotas",
                column=col,
                fix="give one row per rep (annual) or per rep and period with rep_id and quota",
            )
    qq = q[q["rep_id"].notna()].copy()
    vacant = int(q["rep_id"].isna().sum()) if len(qq) < len(q) else 0
    if qq.empty:
        raise DataError(
            "no quota carried by a rep",
            table="quotas",
            column="rep_id",
            fix="give rep_id for the quotas to simulate",
        )
    qq["rep_id"] = qq["rep_id"].astype(str)
    value = pd.to_numeric(qq["quota"], errors="coerce")
    bad = ~np.isfinite(value.to_numpy(float)) | (value < 0).to_numpy()
    if bad.any():
        raise DataError(
            "quota must be a finite number >= 0",
            table="quotas",
            column="quota",
            rows=list(qq.loc[bad, "rep_id"]),
            fix="correct or drop those rows",
        )
    return qq, vacant


def _reps_rows(reps: pd.DataFrame | None, ids: NDArray[Any]) -> pd.DataFrame:
    """The reps table indexed by rep_id in the order of ``ids`` (empty columns without one)."""
    if reps is None:
        return pd.DataFrame(index=pd.Index(ids, name="rep_id"))
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
    return r.set_index("rep_id").loc[ids]


def _roles(
    plan: CompPlan, r: pd.DataFrame, ids: NDArray[Any], notes: dict[str, Any]
) -> NDArray[Any]:
    """Each rep's plan role (the plan's only role when the reps have none)."""
    roles = list(plan.roles)
    if "role" in r.columns:
        role = r["role"].astype(object).where(r["role"].notna(), None).to_numpy()
        unknown = sorted({str(x) for x in role if x not in plan.roles})
        if unknown:
            raise DataError(
                f"role(s) {unknown} have no plan; plan roles: {roles}",
                table="reps",
                column="role",
                rows=[i for i, x in zip(ids, role, strict=True) if x not in plan.roles],
                fix="add those roles to the plan or correct the reps' roles",
            )
        return np.asarray(role, dtype=object)
    if len(roles) == 1:
        notes["roles"] = f"no role column: every rep on role '{roles[0]}'"
        return np.array([roles[0]] * len(ids), dtype=object)
    raise DataError(
        f"the plan has roles {roles} but the reps have no role",
        table="reps",
        column="role",
        fix="pass reps=... with a role column",
    )


def _per_rep_or_role(r: pd.DataFrame, column: str, by_role: list[float]) -> NDArray[np.float64]:
    """A rep's own amount in ``column`` where given and finite, else the role's."""
    out = np.asarray(by_role, dtype=float)
    if column in r.columns:
        v = pd.to_numeric(r[column], errors="coerce").to_numpy(float)
        out = np.where(np.isfinite(v), v, out)
    return out


def _active_sums(
    qq: pd.DataFrame,
    ids: NDArray[Any],
    share: NDArray[np.float64],
    first: NDArray[np.int64],
    notes: dict[str, Any],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Active quota, annual quota and active forecast (None without one) per rep [currency]."""
    per_period = "period" in qq.columns and qq.groupby("rep_id").size().max() > 1
    fc = pd.to_numeric(qq["forecast"], errors="coerce").fillna(0.0) if "forecast" in qq else None
    if per_period:
        month = pd.to_datetime(qq["period"]).dt.month.to_numpy() - 1
        on = month >= pd.Series(first, index=ids).loc[qq["rep_id"]].to_numpy()
        g = qq.assign(_active=np.where(on, qq["quota"].astype(float), 0.0))
        g = g.groupby("rep_id", sort=False)
        quota_annual = g["quota"].sum().loc[ids].to_numpy(float)
        quota = g["_active"].sum().loc[ids].to_numpy(float)
        notes["quota_proration"] = "sum of the active months' quotas"
        if fc is None:
            return quota, quota_annual, None
        active_fc = pd.Series(np.where(on, fc, 0.0), index=qq.index).groupby(qq["rep_id"]).sum()
        return quota, quota_annual, active_fc.loc[ids].to_numpy(float)
    quota_annual = qq.groupby("rep_id", sort=False)["quota"].sum().loc[ids].to_numpy(float)
    notes["quota_proration"] = "annual quota times the active share"
    if fc is None:
        return quota_annual * share, quota_annual, None
    active_fc = fc.groupby(qq["rep_id"], sort=False).sum().loc[ids].to_numpy(float) * share
    return quota_annual * share, quota_annual, active_fc


def prepare_reps(
    plan: CompPlan, quotas: Any, reps: pd.DataFrame | None, plan_year: int | None
) -> RepInputs:
    """Everything the simulation needs per rep with a quota (see :class:`RepInputs`)."""
    q, qsrc = quota_frame(quotas)
    qq, vacant = _rep_quotas(q)
    ids = np.asarray(pd.unique(qq["rep_id"]), dtype=object)
    notes: dict[str, Any] = {"quota_source": qsrc}
    if vacant:
        notes["vacant"] = f"{vacant} quota row(s) without a rep (vacant territories) not paid"
    annual = getattr(quotas, "annual", None)
    if reps is None and isinstance(annual, pd.DataFrame) and {"rep_id", "role"} <= set(annual):
        reps = annual.dropna(subset=["rep_id"])
        notes["reps"] = "roles and hire dates from QuotaResult.annual"
    r = _reps_rows(reps, ids)
    role = _roles(plan, r, ids, notes)
    ti = _per_rep_or_role(r, "target_incentive", [plan.roles[x].incentive_target for x in role])
    base = _per_rep_or_role(r, "base_salary", [plan.roles[x].base for x in role])
    proration = np.array([plan.roles[x].proration for x in role], dtype=object)
    hire = r["hire_date"] if "hire_date" in r.columns else pd.Series([pd.NaT] * len(ids))
    share, first = active_share(hire.reset_index(drop=True), plan_year, proration)
    if plan_year is None and hire.notna().any():
        notes["proration"] = "no plan year (plan or targets): hire dates ignored, no proration"
    quota, quota_annual, active_fc = _active_sums(qq, ids, share, first, notes)
    mean_att = np.ones(len(ids))
    if active_fc is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = active_fc / quota
        mean_att = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
        notes["mean_attainment"] = "forecast / quota over the active months (from the quotas)"
    return RepInputs(ids, role, ti, base, share, first, quota, quota_annual, mean_att, notes)
