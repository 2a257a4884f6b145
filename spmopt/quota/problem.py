"""From settings and territory inputs to the :class:`~spmopt.quota.model.QuotaProblem`.

The steps of :meth:`QuotaSetter.solve <spmopt.quota.QuotaSetter.solve>` before the solver, each
a function of the settings and what came before:

* :func:`roll_up_goal`: the company target, over-assignment and roll-up in increments;
* :func:`coverage_terms`: per territory and month, the productive share the rep carries
  (hire month, ramp, vacancy), the seasonal profile and the carried share ``kappa``;
* :func:`fair_share`: the blend of potential, forecast and history shares, scaled to the roll-up;
* :func:`quota_bounds`: floors and caps in increments, each with its reason;
* :func:`group_targets`: region/district roll-ups;
* :func:`formulate`: all of them as one :class:`Formulation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError
from spmopt.protocols import QuotaTargets
from spmopt.quota.inputs import TerritoryInputs
from spmopt.quota.model import AttainmentSpec, Group, QuotaProblem, ceil_inc, floor_inc
from spmopt.quota.settings import QuotaSettings
from spmopt.quota.split import apportion

__all__ = [
    "Bounds",
    "CoverageTerms",
    "Formulation",
    "RollUpGoal",
    "coverage_terms",
    "fair_share",
    "formulate",
    "group_targets",
    "quota_bounds",
    "roll_up_goal",
]


@dataclass(frozen=True)
class RollUpGoal:
    """What the quotas roll up to: ``company_target`` [currency/yr], ``over_assignment``
    (share), ``increment`` [currency] and ``total`` (the roll-up, in increments)."""

    company_target: float
    over_assignment: float
    increment: float
    total: int


@dataclass(frozen=True)
class CoverageTerms:
    """Per territory: ``coverage`` and ``profile`` (n, 12), ``is_rep`` (a rep carries quota in
    the plan year), ``vacant``, ``kappa`` (share of the territory quota the rep carries) and
    ``scale`` (fair share and bounds factor under ``relief="redistribute"``); ``notes``."""

    coverage: np.ndarray
    profile: np.ndarray
    is_rep: np.ndarray
    vacant: np.ndarray
    kappa: np.ndarray
    scale: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bounds:
    """Quota floors ``lo`` and caps ``hi`` per territory [increments], with their reasons."""

    lo: np.ndarray
    hi: np.ndarray
    lo_why: list[str]
    hi_why: list[str]


@dataclass(frozen=True)
class Formulation:
    """The model of one solve: the problem, the fair share [currency] and the revenue of the
    rep's months per draw ``active`` (n_draws, n) [currency], None without draws."""

    problem: QuotaProblem
    fair: np.ndarray
    active: np.ndarray | None


def roll_up_goal(s: QuotaSettings, targets: QuotaTargets | None) -> RollUpGoal:
    """The roll-up: ``company_target * (1 + over_assignment)`` in whole increments."""
    target = s.company_target
    if target is None:
        target = getattr(targets, "company_revenue_target", None)
    if target is None:
        raise ConfigError(
            "QuotaSetter: no company target; pass company_target= or targets= "
            "(PlanningTargets with company_revenue_target)"
        )
    oa = s.over_assignment
    if oa is None:
        oa = getattr(targets, "over_assignment", None)
    oa = 0.10 if oa is None else float(oa)
    u = float(s.increment)
    total = int(np.floor(float(target) * (1 + oa) / u + 0.5))
    return RollUpGoal(float(target), oa, u, total)


def month_coverage(s: QuotaSettings, inp: TerritoryInputs) -> np.ndarray:
    """Coverage (n, 12): productive share of each month carried by the territory's rep."""
    fr = inp.frame
    n = len(fr)
    cov = np.ones((n, 12))
    ramp = s.ramp_factors()
    hire = pd.to_datetime(fr["hire_date"]) if "hire_date" in fr else pd.Series([pd.NaT] * n)
    for i in range(n):
        if fr["rep_id"].iat[i] is None:
            cov[i] = 0.0
            continue
        h = hire.iat[i]
        if pd.isna(h):
            continue
        for m, start in enumerate(inp.months):
            k = (start.year - h.year) * 12 + (start.month - h.month)
            if k < 0:
                cov[i, m] = 0.0
                continue
            frac = 1.0
            if k == 0 and h.day > 1:
                frac = (start.days_in_month - h.day + 1) / start.days_in_month
            cov[i, m] = frac * (float(ramp[k]) if k < len(ramp) else 1.0)
    return cov


def seasonal_profile(s: QuotaSettings, inp: TerritoryInputs) -> np.ndarray:
    """Seasonal weights (n, 12), rows summing to 1."""
    fc = inp.forecast_monthly
    n = fc.shape[0]
    tot = fc.sum(axis=0)
    flat = np.full(12, 1 / 12)
    total = tot / tot.sum() if tot.sum() > 0 else flat
    if s.seasonality == "flat":
        return np.tile(flat, (n, 1))
    if s.seasonality == "total":
        return np.tile(total, (n, 1))
    own_sum = fc.sum(axis=1, keepdims=True)
    own = np.where(own_sum > 0, fc / np.where(own_sum > 0, own_sum, 1.0), total[None, :])
    return np.asarray(own)


def coverage_terms(s: QuotaSettings, inp: TerritoryInputs) -> CoverageTerms:
    """Coverage, seasonal profile and the share of each territory quota its rep carries."""
    fr = inp.frame
    n = len(fr)
    cov = month_coverage(s, inp)
    prof = seasonal_profile(s, inp)
    has_rep = fr["rep_id"].notna().to_numpy()
    is_rep = has_rep & (cov.sum(axis=1) > 0)
    never = has_rep & (cov.sum(axis=1) == 0)
    notes: tuple[str, ...] = ()
    if never.any():
        notes = (
            f"{int(never.sum())} rep(s) start after the plan year: their territories are held "
            f"({', '.join(fr.loc[never, 'rep_id'].astype(str).tolist()[:5])})",
        )
    kappa_hold = (prof * cov).sum(axis=1)
    if s.relief == "hold":
        kappa = np.where(is_rep, kappa_hold, 0.0)
        scale = np.ones(n)
    else:
        kappa = np.where(is_rep, 1.0, 0.0)
        scale = np.where(is_rep, kappa_hold, 1.0)
    return CoverageTerms(cov, prof, is_rep, ~has_rep, kappa, scale, notes)


def fair_share(
    s: QuotaSettings, inp: TerritoryInputs, terms: CoverageTerms, goal: RollUpGoal
) -> np.ndarray:
    """Each territory's fair share of the roll-up [currency]: the blended source shares.

    Territories without history take their potential times the company's actuals/potential
    ratio as their history.
    """
    fr = inp.frame
    n = len(fr)
    pot = fr["potential"].to_numpy(float)
    ly = fr["last_year"].to_numpy(float)
    have = np.nan_to_num(ly, nan=0.0) > 0
    hist = np.nan_to_num(ly, nan=0.0)
    if have.any() and pot[have].sum() > 0:
        hist = np.where(have, hist, pot * hist[have].sum() / pot[have].sum())
    elif not have.any():
        hist = pot.copy()
    sources = {"potential": pot, "forecast": fr["forecast"].to_numpy(float), "history": hist}
    shares = {k: v / v.sum() if v.sum() > 0 else np.full(n, 1 / n) for k, v in sources.items()}
    weights = s.role_weights()
    roles = fr["role"].astype(object).to_numpy() if "role" in fr else np.full(n, None)
    blend = np.zeros(n)
    for i in range(n):
        w = weights.get(str(roles[i]), weights["default"])
        blend[i] = sum(wt * shares[src][i] for src, wt in w.items()) / sum(w.values())
    blend = blend * terms.scale
    roll_up = goal.total * goal.increment
    return roll_up * blend / blend.sum() if blend.sum() > 0 else np.full(n, roll_up / n)


def _limits(
    s: QuotaSettings, inp: TerritoryInputs, scale: np.ndarray
) -> list[tuple[str, np.ndarray, list[str]]]:
    """The floors and caps that apply: (``lo``/``hi``, amount [currency], reason per row)."""
    fr = inp.frame
    n = len(fr)
    pot = fr["potential"].to_numpy(float)
    ly = fr["last_year"].to_numpy(float)
    fcy = fr["forecast"].to_numpy(float)
    sc = np.where(scale < 1, scale, 1.0)
    sc_txt = ["" if x >= 1 else f" x coverage {x:.2f}" for x in sc]
    lyv = np.where(np.nan_to_num(ly, nan=0.0) > 0, ly, np.nan)
    fcv = np.where(fcy > 0, fcy, np.nan)
    out: list[tuple[str, np.ndarray, list[str]]] = []
    for side, g, base, what, amount in (
        ("lo", s.growth_floor, lyv, "growth floor", ly),
        ("hi", s.growth_cap, lyv, "growth cap", ly),
        ("lo", s.forecast_floor, fcv, "floor", fcy),
        ("hi", s.forecast_cap, fcv, "cap", fcy),
    ):
        if g is None:
            continue
        on = "last year" if what.startswith("growth") else "forecast"
        why = [f"{what} {g:+.0%} on {on} {amount[i]:,.0f}{sc_txt[i]}" for i in range(n)]
        out.append((side, base * (1 + g) * sc, why))
    if s.potential_cap is not None:
        c = s.potential_cap
        why = [f"cap {c:.0%} of potential {pot[i]:,.0f}{sc_txt[i]}" for i in range(n)]
        out.append(("hi", np.where(pot > 0, pot * c * sc, np.nan), why))
    return out


def quota_bounds(
    s: QuotaSettings, inp: TerritoryInputs, terms: CoverageTerms, goal: RollUpGoal
) -> Bounds:
    """Floors and caps in increments; the tightest of each side wins, with its reason."""
    n = len(inp.frame)
    u = goal.increment
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, goal.total, dtype=np.int64)
    lo_why = ["no floor"] * n
    hi_why = ["the roll-up"] * n
    for side, val, why in _limits(s, inp, terms.scale):
        if side == "lo":
            k = ceil_inc(val, u)
            upd = np.isfinite(val) & (k > lo)
            lo[upd] = k[upd]
            reasons = lo_why
        else:
            k = floor_inc(val, u)
            upd = np.isfinite(val) & (k < hi)
            hi[upd] = np.maximum(k[upd], 0)
            reasons = hi_why
        for i in np.flatnonzero(upd):
            reasons[i] = why[i]
    return Bounds(lo, hi, lo_why, hi_why)


def _given_names(fr: pd.DataFrame, level: str, given: Mapping[str, float]) -> list[str]:
    """The known names of ``level``; raise naming unknown names and negative targets."""
    if level not in fr or fr[level].isna().all():
        raise ConfigError(
            f"QuotaSetter {level}_targets given, but reps have no {level} column: add "
            f"{level} to the reps table"
        )
    known = sorted(str(x) for x in fr[level].astype(object).dropna().unique())
    unknown = sorted(set(map(str, given)) - set(known))
    if unknown:
        raise ConfigError(
            f"QuotaSetter {level}_targets: unknown {level}(s) {unknown}; known: {known}"
        )
    for k, v in given.items():
        if not float(v) >= 0:
            raise ConfigError(f"QuotaSetter {level}_targets[{k!r}]={v!r}: give >= 0")
    return known


def _district_parts(
    s: QuotaSettings,
    fr: pd.DataFrame,
    keys: list[str],
    vals: np.ndarray,
    goal: RollUpGoal,
    region_total: dict[str, int],
) -> np.ndarray:
    """District roll-ups; districts that fully cover a given region split its total exactly."""
    parts = np.floor(vals * (1 + goal.over_assignment) / goal.increment + 0.5).astype(np.int64)
    reg = fr.groupby("district")["region"].agg(lambda x: set(x.dropna()))
    rgiven = dict(s.region_targets or {})
    for rname, rtot in region_total.items():
        mine = [j for j, k in enumerate(keys) if reg.get(k) == {rname}]
        all_d = set(fr.loc[fr["region"] == rname, "district"].dropna())
        if (
            mine
            and {keys[j] for j in mine} == all_d
            and np.isclose(vals[mine].sum(), float(rgiven[rname]), rtol=1e-9)
        ):
            parts[mine] = apportion(rtot, vals[mine])
    return parts


def group_targets(s: QuotaSettings, fr: pd.DataFrame, goal: RollUpGoal) -> list[Group]:
    """Region and district roll-ups in increments (exact when all regions sum to the target)."""
    groups: list[Group] = []
    region_total: dict[str, int] = {}
    for level, given in (("region", s.region_targets), ("district", s.district_targets)):
        if not given:
            continue
        known = _given_names(fr, level, given)
        keys = list(given)
        vals = np.array([float(given[k]) for k in keys])
        if level == "district":
            parts = _district_parts(s, fr, keys, vals, goal, region_total)
        elif set(map(str, keys)) == set(known) and np.isclose(
            vals.sum(), goal.company_target, rtol=1e-9
        ):
            parts = apportion(goal.total, vals)
        else:
            parts = np.floor(vals * (1 + goal.over_assignment) / goal.increment + 0.5)
            parts = parts.astype(np.int64)
        names = fr[level].astype(object)
        for k, part in zip(keys, parts):
            if level == "district":
                regs = set(fr.loc[names == k, "region"].dropna())
                if len(regs) > 1:
                    raise ConfigError(
                        f"QuotaSetter district_targets: district {k!r} spans regions "
                        f"{sorted(regs)}; districts must nest in regions"
                    )
            groups.append(Group(level, str(k), np.flatnonzero((names == k).to_numpy()), int(part)))
            if level == "region":
                region_total[str(k)] = int(part)
    return groups


def attainment_spec(
    s: QuotaSettings, terms: CoverageTerms, active: np.ndarray | None, goal: RollUpGoal
) -> AttainmentSpec | None:
    """The achievability target (None without ``target_attainment``)."""
    if s.target_attainment is None:
        return None
    if active is None:
        raise ConfigError(
            "QuotaSetter target_attainment needs revenue draws: pass a forecast and n_draws > 0"
        )
    reps_idx = np.flatnonzero(terms.is_rep & (terms.kappa > 0))
    levels = np.asarray(s.attainment_levels, float)
    caps = np.quantile(active[:, reps_idx], 1.0 - levels, axis=0).T / goal.increment
    return AttainmentSpec(
        reps=reps_idx,
        kappa=terms.kappa[reps_idx],
        caps=np.asarray(caps, float),
        levels=levels,
        share=float(s.target_attainment),
    )


def _labels_and_levels(
    fr: pd.DataFrame, groups: list[Group]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    labels = [
        f"{r} ({t})" if r is not None else f"{t} (vacant)"
        for r, t in zip(fr["rep_id"], fr["territory_id"])
    ]
    region = fr["region"].astype(object).fillna("(no region)").astype(str).to_numpy()
    district = (
        fr["region"].astype(object).fillna("").astype(str)
        + "/"
        + fr["district"].astype(object).fillna("(no district)").astype(str)
    ).to_numpy()
    # district keys in the tree are region-qualified; targets name plain districts
    if any(g.level == "district" for g in groups):
        district = fr["district"].astype(object).fillna("(no district)").astype(str).to_numpy()
    return labels, region, district


def formulate(
    s: QuotaSettings, inp: TerritoryInputs, terms: CoverageTerms, goal: RollUpGoal
) -> Formulation:
    """The quota problem of these inputs (fair share, bounds, groups, achievability)."""
    fair = fair_share(s, inp, terms, goal)
    bounds = quota_bounds(s, inp, terms, goal)
    groups = group_targets(s, inp.frame, goal)
    labels, region, district = _labels_and_levels(inp.frame, groups)
    active = None
    if inp.draws is not None:
        # revenue of the months the rep is in post (ramp months count in full)
        active = np.einsum("dim,im->di", inp.draws, (terms.coverage > 0).astype(float))
    problem = QuotaProblem(
        labels=labels,
        increment=goal.increment,
        total=goal.total,
        fair=fair,
        lo=bounds.lo,
        hi=bounds.hi,
        lo_why=bounds.lo_why,
        hi_why=bounds.hi_why,
        region=region,
        district=district,
        groups=groups,
        attain=attainment_spec(s, terms, active, goal),
        gamma=float(s.fairness_weight),
    )
    return Formulation(problem=problem, fair=fair, active=active)
