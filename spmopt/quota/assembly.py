"""From the solved annual quotas to the :class:`~spmopt.quota.QuotaResult`.

:func:`assemble` splits each annual territory quota into periods (whole increments along the
seasonal profile), separates what the rep carries from what is held at territory level, and
builds the ``quotas`` and ``annual`` tables, the metrics and the context kept for scoring.
:func:`failed_result` is the result of a solve that set no quotas.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmopt.contracts import STATUSES
from spmopt.quota.inputs import TerritoryInputs
from spmopt.quota.metrics import attainment_metrics, fairness_metrics
from spmopt.quota.problem import CoverageTerms, Formulation
from spmopt.quota.result import QuotaContext, QuotaResult
from spmopt.quota.settings import QuotaSettings
from spmopt.quota.split import apportion_rows
from spmopt.solver import SolveInfo

__all__ = ["PeriodSplit", "RunLog", "Solved", "assemble", "failed_result"]

_QUOTA_COLUMNS = [
    "rep_id",
    "territory_id",
    "period",
    "quota",
    "held",
    "territory_quota",
    "potential_share",
    "forecast",
    "growth",
]


@dataclass(frozen=True)
class RunLog:
    """What a solve reports besides the quotas: ``metrics`` so far, ``notes``, start time [s]."""

    metrics: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    t_start: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class Solved:
    """The solver's answer: annual territory quotas ``k`` [increments], its ``info`` and the
    backend that ran it."""

    k: np.ndarray
    info: SolveInfo
    backend: str


@dataclass(frozen=True)
class PeriodSplit:
    """Per territory and period [increments]: ``territory`` (the split of the annual quota),
    ``carried`` (by the rep) and ``held`` (at territory level); ``group`` maps the 12 months to
    periods."""

    territory: np.ndarray
    carried: np.ndarray
    held: np.ndarray
    group: np.ndarray

    @property
    def n_periods(self) -> int:
        return int(self.territory.shape[1])


def failed_result(
    s: QuotaSettings, status: str, text: str, conflicts: pd.DataFrame, run: RunLog
) -> QuotaResult:
    """A result without quotas: ``status`` (infeasible, error, ...) and the ``diagnosis``."""
    metrics = dict(run.metrics, seconds=time.perf_counter() - run.t_start)
    return QuotaResult(
        quotas=pd.DataFrame(columns=_QUOTA_COLUMNS),
        annual=pd.DataFrame(columns=["rep_id", "territory_id", "quota", "p_attain"]),
        metrics=metrics,
        status=status if status in STATUSES else "error",
        diagnosis=text,
        conflicts=conflicts,
        notes=run.notes,
        method=s.method,
    )


def split_periods(s: QuotaSettings, terms: CoverageTerms, k: np.ndarray) -> PeriodSplit:
    """Split annual quotas into periods along the profile; under ``relief="hold"`` the rep
    carries the covered part of each period, the rest is held."""
    n = len(k)
    step = s.months_per_period
    n_per = 12 // step
    grp = np.arange(12) // step
    prof, cov, is_rep = terms.profile, terms.coverage, terms.is_rep
    if s.relief == "hold":
        wm = prof
    else:
        wm = np.where(is_rep[:, None], prof * cov, prof)
        zero = wm.sum(axis=1) == 0
        wm[zero] = prof[zero]
    wp = np.zeros((n, n_per))
    cp_num = np.zeros((n, n_per))
    cp_den = np.zeros((n, n_per))
    for g in range(n_per):
        sel = grp == g
        wp[:, g] = wm[:, sel].sum(axis=1)
        cp_num[:, g] = (prof[:, sel] * cov[:, sel]).sum(axis=1)
        cp_den[:, g] = prof[:, sel].sum(axis=1)
    kp = apportion_rows(k, wp)
    if s.relief == "hold":
        cbar = np.where(cp_den > 0, cp_num / np.where(cp_den > 0, cp_den, 1.0), 0.0)
        kc = np.floor(kp * cbar + 0.5).astype(np.int64)
        kc = np.where(is_rep[:, None], np.minimum(kc, kp), 0)
    else:
        kc = np.where(is_rep[:, None], kp, 0)
    return PeriodSplit(territory=kp, carried=kc, held=kp - kc, group=grp)


def _by_period(monthly: np.ndarray | None, split: PeriodSplit, n: int) -> np.ndarray:
    """Sum (n, 12) monthly values into periods; NaN when there are none."""
    if monthly is None:
        return np.full((n, split.n_periods), np.nan)
    return np.stack(
        [monthly[:, split.group == g].sum(axis=1) for g in range(split.n_periods)], axis=1
    )


def quota_table(inp: TerritoryInputs, split: PeriodSplit, u: float) -> pd.DataFrame:
    """The ``quotas`` table: one row per territory and period."""
    fr = inp.frame
    n, n_per = len(fr), split.n_periods
    pot = fr["potential"].to_numpy(float)
    pot_share = pot / pot.sum() if pot.sum() > 0 else np.zeros(n)
    periods = inp.months[:: 12 // n_per]
    quotas = pd.DataFrame(
        {
            "rep_id": np.repeat(fr["rep_id"].to_numpy(object), n_per),
            "territory_id": np.repeat(fr["territory_id"].to_numpy(), n_per),
            "period": np.tile(periods.to_numpy(), n),
            "quota": (split.carried * u).ravel(),
            "held": (split.held * u).ravel(),
            "territory_quota": (split.territory * u).ravel(),
            "potential_share": np.repeat(pot_share, n_per),
            "forecast": _by_period(inp.forecast_monthly, split, n).ravel(),
        }
    )
    ly_per = _by_period(inp.last_year_monthly, split, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(ly_per > 0, split.territory * u / ly_per - 1.0, np.nan)
    quotas["growth"] = growth.ravel()
    return quotas


def rep_status(terms: CoverageTerms) -> np.ndarray:
    """Per territory: vacant, starts later, new hire, ramping or active."""
    cov = terms.coverage
    in_post = np.where(
        cov[:, 0] == 0, "new hire", np.where((cov < 1).any(axis=1), "ramping", "active")
    )
    return np.where(terms.vacant, "vacant", np.where(~terms.is_rep, "starts later", in_post))


def annual_table(
    inp: TerritoryInputs,
    terms: CoverageTerms,
    form: Formulation,
    k: np.ndarray,
    split: PeriodSplit,
) -> pd.DataFrame:
    """The ``annual`` table: one row per territory (rep), achievability included."""
    fr = inp.frame
    u = form.problem.increment
    pot = fr["potential"].to_numpy(float)
    ly = fr["last_year"].to_numpy(float)
    fcy = fr["forecast"].to_numpy(float)
    tq = k * u
    fair = form.fair
    annual = pd.DataFrame(
        {
            "rep_id": fr["rep_id"].to_numpy(object),
            "territory_id": fr["territory_id"].to_numpy(),
            "region": fr["region"].to_numpy(object),
            "district": fr["district"].to_numpy(object),
            "role": fr["role"].to_numpy(object),
            "hire_date": fr["hire_date"].to_numpy(),
            "status": rep_status(terms),
            "potential": pot,
            "potential_share": pot / pot.sum() if pot.sum() > 0 else np.zeros(len(fr)),
            "last_year": ly,
            "forecast": fcy,
            "fair_share": fair,
            "territory_quota": tq,
            "quota": split.carried.sum(axis=1) * u,
            "held": split.held.sum(axis=1) * u,
            "coverage": np.where(terms.is_rep, (terms.profile * terms.coverage).sum(axis=1), 0.0),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        annual["quota_to_potential"] = np.where(pot > 0, tq / pot, np.nan)
        annual["growth"] = np.where(ly > 0, tq / ly - 1.0, np.nan)
        annual["growth_vs_forecast"] = np.where(fcy > 0, tq / fcy - 1.0, np.nan)
        annual["fair_deviation"] = np.where(fair > 0, tq / fair - 1.0, np.nan)
    annual["lower_bound"] = form.problem.lo * u
    annual["upper_bound"] = form.problem.hi * u
    annual["p_attain"] = np.nan
    annual["attainment_p50"] = np.nan
    return annual


def attainment_draws(
    annual: pd.DataFrame, terms: CoverageTerms, active: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Fill ``p_attain`` and ``attainment_p50``; return the draws (n_draws, n_reps) and reps."""
    if active is None:
        return None, None
    cq = annual["quota"].to_numpy(float)
    rep_ok = terms.is_rep & (cq > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        att = active[:, rep_ok] / cq[rep_ok][None, :]
    pa = np.full(len(cq), np.nan)
    p50 = np.full(len(cq), np.nan)
    pa[rep_ok] = (att >= 1.0).mean(axis=0)
    p50[rep_ok] = np.median(att, axis=0)
    annual["p_attain"] = pa
    annual["attainment_p50"] = p50
    return att.astype(np.float32), annual["rep_id"].to_numpy(object)[rep_ok]


def _quota_metrics(
    m: dict[str, Any], annual: pd.DataFrame, terms: CoverageTerms, active: np.ndarray | None
) -> None:
    """Roll-up, over-assignment, fairness, achievability and counts, into ``m``."""
    tq = annual["territory_quota"].to_numpy(float)
    cq = annual["quota"].to_numpy(float)
    hq = annual["held"].to_numpy(float)
    pot = annual["potential"].to_numpy(float)
    fair = annual["fair_share"].to_numpy(float)
    m["roll_up"] = float(tq.sum())
    m["over_assignment_realised"] = float(tq.sum() / m["company_target"] - 1.0)
    m["carried_total"] = float(cq.sum())
    m["held_total"] = float(hq.sum())
    m["carried_over_assignment"] = float(cq.sum() / m["company_target"] - 1.0)
    m.update(fairness_metrics(tq, pot))
    ok = fair > 0
    dev = np.abs(tq[ok] - fair[ok]) / fair[ok]
    m["max_fair_deviation"] = float(dev.max()) if ok.any() else float("nan")
    m["mean_fair_deviation"] = float(np.abs(tq - fair).sum() / max(tq.sum(), 1e-9))
    if active is not None:
        rep_ok = terms.is_rep & (cq > 0)
        m.update(attainment_metrics(cq[rep_ok], active[:, rep_ok]))
    else:
        m["expected_share_at_quota"] = float("nan")
    status = annual["status"].to_numpy()
    ly = annual["last_year"].to_numpy(float)
    m["n_reps"] = int(terms.is_rep.sum())
    m["n_vacant"] = int(terms.vacant.sum())
    m["n_new_hires"] = int((status == "new hire").sum())
    m["n_ramping"] = int((status == "ramping").sum())
    m["n_no_history"] = int((~(np.nan_to_num(ly, nan=0.0) > 0)).sum())
    m["n_zero_potential"] = int((pot <= 0).sum())


def _solver_metrics(m: dict[str, Any], solved: Solved, t_start: float) -> None:
    info = solved.info
    m["objective"] = info.objective
    m["bound"] = info.bound
    m["gap"] = info.gap
    # objective - bound, in the objective's own unit (relative deviation): meaningful where
    # the relative gap is not (pure round-off, where the LP bound is 0)
    m["bound_excess"] = (
        None if info.objective is None or info.bound is None else info.objective - info.bound
    )
    m["solve_seconds"] = info.seconds
    m["backend"] = solved.backend
    m["seconds"] = time.perf_counter() - t_start


def _notes(m: dict[str, Any], annual: pd.DataFrame, notes: list[str]) -> None:
    if m["n_vacant"]:
        notes.append(f"{m['n_vacant']} vacant territories: their quota is held at territory level")
    if m["n_zero_potential"]:
        zp = annual.loc[annual["potential"] <= 0, "territory_id"].astype(str).tolist()
        notes.append(
            f"{len(zp)} territories with zero potential ({', '.join(zp[:5])}): no potential "
            "cap, fair share from forecast/history only, left out of quota/potential spread"
        )


def assemble(
    s: QuotaSettings,
    inp: TerritoryInputs,
    terms: CoverageTerms,
    form: Formulation,
    solved: Solved,
    run: RunLog,
) -> QuotaResult:
    """The :class:`QuotaResult` of solved annual territory quotas."""
    u = form.problem.increment
    split = split_periods(s, terms, solved.k)
    quotas = quota_table(inp, split, u)
    annual = annual_table(inp, terms, form, solved.k, split)
    att_draws, att_reps = attainment_draws(annual, terms, form.active)
    m = run.metrics
    _quota_metrics(m, annual, terms, form.active)
    _solver_metrics(m, solved, run.t_start)
    _notes(m, annual, run.notes)
    fr = inp.frame
    ctx = QuotaContext(
        territory_id=fr["territory_id"].to_numpy(),
        potential=fr["potential"].to_numpy(float),
        fair=form.fair,
        kappa=terms.kappa,
        is_rep=terms.is_rep,
        last_year=fr["last_year"].to_numpy(float),
        prior_year=fr["prior_year"].to_numpy(float),
        active_draws=None if form.active is None else form.active.astype(np.float32),
        company_target=float(m["company_target"]),
        total=form.problem.total,
        increment=u,
    )
    return QuotaResult(
        quotas=quotas,
        annual=annual,
        metrics=m,
        status=solved.info.status if solved.info.status in STATUSES else "error",
        notes=run.notes,
        method=s.method,
        attainment_draws=att_draws,
        attainment_reps=att_reps,
        context=ctx,
    )
