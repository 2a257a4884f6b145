"""``QuotaSetter``: achievable, fair quotas in whole increments that roll up exactly."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spmopt.contracts import STATUSES
from spmopt.errors import ConfigError
from spmopt.quota.inputs import TerritoryInputs, build_inputs
from spmopt.quota.metrics import attainment_metrics, fairness_metrics
from spmopt.quota.mip import Backend
from spmopt.quota.model import (
    AttainmentSpec,
    Group,
    QuotaProblem,
    ceil_inc,
    diagnose,
    floor_inc,
    solve_attainment_large,
    solve_lp_round,
    solve_problem,
)
from spmopt.quota.result import QuotaContext, QuotaResult
from spmopt.quota.split import apportion, apportion_rows
from spmopt.solver import SolverOptions

__all__ = ["METHODS", "QuotaSetter"]

METHODS: dict[str, dict[str, float]] = {
    "potential": {"potential": 1.0},
    "history": {"history": 1.0},
    "forecast": {"forecast": 1.0},
    "blend": {"potential": 0.5, "forecast": 0.3, "history": 0.2},
}
_SOURCES = ("potential", "forecast", "history")
_PERIODS = {"month": 1, "quarter": 3, "year": 12}
_MIP_MAX_TERRITORIES = 500  # above this, "auto" rounds the LP instead of proving the MIP
_EXACT_ATTAINMENT_BINARIES = 150  # above this, "auto" uses the protect-and-resolve heuristic


class QuotaSetter:
    """Set annual and per-period quotas per territory (rep) with a mixed-integer model.

    The annual territory quotas solve the MIP stated in :mod:`spmopt.quota.model`: they are whole
    ``increment`` s, sum exactly to ``company_target * (1 + over_assignment)`` (rounded to the
    increment) and to each given region/district target likewise, respect the bounds, and
    minimise the largest and then the total relative deviation from each territory's *fair
    share*. The annual quota is then split into periods along the forecast's seasonal profile,
    again in whole increments summing exactly.

    Fair share. For each territory the shares of company potential, forecast and last year's
    actuals are blended with ``weights`` (per role when a mapping of roles is given: hunters
    weight potential, farmers history); the blend is scaled to the roll-up. With ``method=
    "potential"`` every territory gets the same quota/potential ratio when the bounds allow.
    Territories without history take their potential times the company's actuals/potential
    ratio as their history.

    New hires, ramp and vacancies. From ``reps.hire_date`` each month of the plan year gets a
    coverage: 0 before the hire month (and in vacant territories), the share of the month left in
    the hire month, and ``ramp`` productivity afterwards (linear over ``ramp`` months, or a list
    of monthly factors). With ``relief="hold"`` the territory quota is set on the full territory
    (fairness unaffected) and the uncovered part is *held* at territory level (column ``held``),
    so reps carry less than the roll-up. With ``relief="redistribute"`` the rep's fair share and
    bounds are scaled by the coverage, the months are weighted by it, and the rest of the team
    carries the difference (the rep-carried quotas then roll up to the target).

    Parameters
    ----------
    company_target : float, optional
        Company revenue target [currency/yr]; default ``targets.company_revenue_target``.
    over_assignment : float, optional
        Share added on top of the target (0.10 = 10%); default ``targets.over_assignment``, else
        0.10.
    method : {"blend", "potential", "forecast", "history"}
        Basis of the fair share (the last three are single-source).
    weights : mapping, optional
        For ``method="blend"``: source -> weight (``potential``, ``forecast``, ``history``), or
        role -> {source -> weight} with an optional ``"default"`` entry. Default potential 0.5,
        forecast 0.3, history 0.2.
    increment : float
        Quota increment [currency], e.g. 1,000. Every quota is a whole multiple of it.
    period : {"month", "quarter", "year"}
        Granularity of the ``quotas`` table.
    growth_floor, growth_cap : float, optional
        Bounds on the territory quota relative to last year's actuals: quota >= last year *
        (1 + growth_floor) and <= last year * (1 + growth_cap) (territories with history only).
    forecast_floor, forecast_cap : float, optional
        Same relative to the plan-year forecast.
    potential_cap : float, optional
        Quota <= potential_cap * potential (territories with positive potential).
    region_targets, district_targets : mapping, optional
        Revenue targets by region / district name [currency/yr]; their quotas roll up to target *
        (1 + over_assignment) in whole increments (exactly to the company roll-up when all regions
        are given and sum to the company target).
    relief : {"hold", "redistribute"}
        What happens to quota a new or ramping rep does not carry (see above).
    ramp : int or sequence of float
        Ramp of a new hire: months to full productivity (linear), or productivity per month since
        hire (e.g. ``[0.25, 0.5, 0.75]``); 0 for none.
    seasonality : {"total", "territory", "flat"}
        Seasonal profile of the split: the company forecast's, each territory's own, or equal.
    target_attainment : float, optional
        Require the expected share of reps at or above quota to be at least this (e.g. 0.65),
        estimated from revenue draws inside the MIP (see :mod:`spmopt.quota.model`). This adds
        one binary per rep and level; see ``attainment_solver``.
    attainment_levels : sequence of float
        Probability levels of that estimate: a rep counts at the highest level its quota is
        certified for (finer: a closer estimate, a slower exact solve; the reported expected
        share is always measured on the draws).
    attainment_solver : {"auto", "exact", "protect-and-resolve"}
        ``exact``: the staircase MIP as stated (proved optimal; seconds for tens of reps, it
        grows combinatorially). ``protect-and-resolve``: from the fair plan, cap
        the reps whose protection costs the least quota per unit of probability, re-solve,
        repeat until the share holds (a heuristic, seconds for 10,000 reps: the share target
        holds, no optimality bound is claimed; on the example its fairness objective is about
        two to three times the exact one). ``auto``: exact up to 150 rep-level binaries.
    fairness_weight : float
        Weight ``gamma`` of the total deviation against the largest deviation.
    n_draws : int
        Revenue draws for achievability (0: none).
    seed : int or None
        Seed of the draws.
    common_shock, month_correlation : float
        Correlations of draws derived from forecast intervals (see
        :func:`spmopt.quota.draws.draws_from_intervals`); unused with a ForecastResult.
    integer_method : {"auto", "mip", "lp_round"}
        How whole increments are reached. ``mip``: the MIP, proved optimal (to ``mip_rel_gap``).
        ``lp_round``: the LP relaxation rounded down the hierarchy (every quota within about one
        increment of the continuous optimum, all roll-ups and bounds exact; the LP bound and the
        gap are reported): for thousands of territories, where proving the integer optimum of
        pure round-off is slow. ``auto``: ``mip`` up to 500 territories, else ``lp_round``.
    backend : {"auto", "highspy", "pyomo"}
        How the MIP reaches HiGHS (same search): pyomo for small models, arrays for large.
    solver : SolverOptions, optional
        Time limit, gap, threads. Default: 60 s, gap 1e-4.
    """

    def __init__(
        self,
        company_target: float | None = None,
        over_assignment: float | None = None,
        method: str = "blend",
        weights: Mapping[str, Any] | None = None,
        increment: float = 1000,
        period: str = "month",
        *,
        growth_floor: float | None = None,
        growth_cap: float | None = None,
        forecast_floor: float | None = None,
        forecast_cap: float | None = None,
        potential_cap: float | None = None,
        region_targets: Mapping[str, float] | None = None,
        district_targets: Mapping[str, float] | None = None,
        relief: str = "hold",
        ramp: int | Sequence[float] = 12,
        seasonality: str = "total",
        target_attainment: float | None = None,
        attainment_levels: Sequence[float] = (0.25, 0.5, 0.75),
        attainment_solver: str = "auto",
        fairness_weight: float = 1.0,
        n_draws: int = 1000,
        seed: int | None = 0,
        common_shock: float = 0.3,
        month_correlation: float = 0.6,
        integer_method: str = "auto",
        backend: Backend = "auto",
        solver: SolverOptions | None = None,
    ) -> None:
        self.company_target = company_target
        self.over_assignment = over_assignment
        self.method = method
        self.weights = weights
        self.increment = increment
        self.period = period
        self.growth_floor = growth_floor
        self.growth_cap = growth_cap
        self.forecast_floor = forecast_floor
        self.forecast_cap = forecast_cap
        self.potential_cap = potential_cap
        self.region_targets = region_targets
        self.district_targets = district_targets
        self.relief = relief
        self.ramp = ramp
        self.seasonality = seasonality
        self.target_attainment = target_attainment
        self.attainment_levels = attainment_levels
        self.attainment_solver = attainment_solver
        self.fairness_weight = fairness_weight
        self.n_draws = n_draws
        self.seed = seed
        self.common_shock = common_shock
        self.month_correlation = month_correlation
        self.integer_method = integer_method
        self.backend = backend
        self.solver = solver

    def __repr__(self) -> str:
        defaults = QuotaSetter()
        changed = [
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if not isinstance(v, np.ndarray) and v != getattr(defaults, k)
        ]
        return f"QuotaSetter({', '.join(changed)})"

    # ------------------------------------------------------------------ settings
    def _check(self) -> None:
        def bad(key: str, value: object, allowed: str) -> ConfigError:
            return ConfigError(f"QuotaSetter {key}={value!r}: {allowed}")

        if self.method not in METHODS:
            raise bad("method", self.method, f"allowed {sorted(METHODS)}")
        if not (isinstance(self.increment, int | float) and self.increment > 0):
            raise bad("increment", self.increment, "give a positive amount, e.g. 1000")
        if self.period not in _PERIODS:
            raise bad("period", self.period, f"allowed {list(_PERIODS)}")
        if self.relief not in ("hold", "redistribute"):
            raise bad("relief", self.relief, "allowed 'hold' or 'redistribute'")
        if self.seasonality not in ("total", "territory", "flat"):
            raise bad("seasonality", self.seasonality, "allowed 'total', 'territory', 'flat'")
        if self.over_assignment is not None and not 0 <= self.over_assignment <= 1:
            raise bad("over_assignment", self.over_assignment, "give a share in [0, 1]")
        if self.company_target is not None and not self.company_target > 0:
            raise bad("company_target", self.company_target, "give a positive amount")
        for key in ("growth_floor", "growth_cap", "forecast_floor", "forecast_cap"):
            v = getattr(self, key)
            if v is not None and not v > -1:
                raise bad(key, v, "give a growth rate above -1 (e.g. 0.05 for +5%)")
        if self.potential_cap is not None and not self.potential_cap > 0:
            raise bad("potential_cap", self.potential_cap, "give a share of potential > 0")
        for lo, hi in (("growth_floor", "growth_cap"), ("forecast_floor", "forecast_cap")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise bad(hi, b, f"the cap is below {lo}={a!r}: every territory is infeasible")
        if self.target_attainment is not None and not 0 < self.target_attainment < 1:
            raise bad("target_attainment", self.target_attainment, "give a share in (0, 1)")
        lv = np.asarray(self.attainment_levels, float)
        if lv.size == 0 or np.any(np.diff(lv) <= 0) or lv.min() <= 0 or lv.max() >= 1:
            raise bad("attainment_levels", self.attainment_levels, "increasing values in (0, 1)")
        if self.fairness_weight < 0:
            raise bad("fairness_weight", self.fairness_weight, "give a weight >= 0")
        if self.n_draws < 0:
            raise bad("n_draws", self.n_draws, "give 0 or more")
        if self.attainment_solver not in ("auto", "exact", "protect-and-resolve"):
            raise bad(
                "attainment_solver",
                self.attainment_solver,
                "'auto', 'exact', 'protect-and-resolve'",
            )
        if self.integer_method not in ("auto", "mip", "lp_round"):
            raise bad("integer_method", self.integer_method, "allowed 'auto', 'mip', 'lp_round'")
        if self.backend not in ("auto", "highspy", "pyomo"):
            raise bad("backend", self.backend, "allowed 'auto', 'highspy', 'pyomo'")
        if isinstance(self.ramp, int | float):
            if self.ramp < 0:
                raise bad("ramp", self.ramp, "give months >= 0 or a list of factors")
        elif any(not 0 <= float(x) <= 1 for x in self.ramp):
            raise bad("ramp", self.ramp, "factors must lie in [0, 1]")
        self._weights()

    def _weights(self) -> dict[str, dict[str, float]]:
        """role -> source -> weight (key ``"default"`` for roles not named)."""
        if self.method != "blend" or self.weights is None:
            return {"default": dict(METHODS[self.method])}
        w = dict(self.weights)
        if all(isinstance(v, int | float) for v in w.values()):
            w = {"default": w}
        out: dict[str, dict[str, float]] = {}
        for role, ws in w.items():
            if not isinstance(ws, Mapping):
                raise ConfigError(
                    f"QuotaSetter weights[{role!r}]={ws!r}: give source -> weight, sources "
                    f"{list(_SOURCES)}"
                )
            unknown = set(ws) - set(_SOURCES)
            if unknown:
                raise ConfigError(
                    f"QuotaSetter weights: unknown source(s) {sorted(unknown)}; allowed "
                    f"{list(_SOURCES)}"
                )
            vals = {k: float(v) for k, v in ws.items()}
            if any(v < 0 for v in vals.values()) or sum(vals.values()) <= 0:
                raise ConfigError(
                    f"QuotaSetter weights[{role!r}]={ws!r}: weights must be >= 0 with a "
                    "positive sum"
                )
            out[str(role)] = vals
        out.setdefault("default", dict(METHODS["blend"]))
        return out

    # ------------------------------------------------------------------ pieces
    def _coverage(self, inp: TerritoryInputs) -> np.ndarray:
        """Coverage (n, 12): productive share of each month carried by the territory's rep."""
        fr = inp.frame
        n = len(fr)
        cov = np.ones((n, 12))
        months = inp.months
        if isinstance(self.ramp, int | float):
            r = int(self.ramp)
            ramp = np.array([(k + 1) / r for k in range(r)]) if r > 0 else np.array([])
        else:
            ramp = np.asarray(self.ramp, float)
        hire = pd.to_datetime(fr["hire_date"]) if "hire_date" in fr else pd.Series([pd.NaT] * n)
        for i in range(n):
            if fr["rep_id"].iat[i] is None:
                cov[i] = 0.0
                continue
            h = hire.iat[i]
            if pd.isna(h):
                continue
            for m, start in enumerate(months):
                k = (start.year - h.year) * 12 + (start.month - h.month)
                if k < 0:
                    cov[i, m] = 0.0
                    continue
                frac = 1.0
                if k == 0 and h.day > 1:
                    frac = (start.days_in_month - h.day + 1) / start.days_in_month
                prod = float(ramp[k]) if k < len(ramp) else 1.0
                cov[i, m] = frac * prod
        return cov

    def _profile(self, inp: TerritoryInputs) -> np.ndarray:
        """Seasonal weights (n, 12), rows summing to 1."""
        fc = inp.forecast_monthly
        n = fc.shape[0]
        tot = fc.sum(axis=0)
        flat = np.full(12, 1 / 12)
        total = tot / tot.sum() if tot.sum() > 0 else flat
        if self.seasonality == "flat":
            return np.tile(flat, (n, 1))
        if self.seasonality == "total":
            return np.tile(total, (n, 1))
        s = fc.sum(axis=1, keepdims=True)
        own = np.where(s > 0, fc / np.where(s > 0, s, 1.0), total[None, :])
        return np.asarray(own)

    def _groups(self, fr: pd.DataFrame, target: float, oa: float, total: int) -> list[Group]:
        u = float(self.increment)
        groups: list[Group] = []
        region_total: dict[str, int] = {}
        for level, given in (("region", self.region_targets), ("district", self.district_targets)):
            if not given:
                continue
            if level not in fr or fr[level].isna().all():
                raise ConfigError(
                    f"QuotaSetter {level}_targets given, but reps have no {level} column: add "
                    f"{level} to the reps table"
                )
            names = fr[level].astype(object)
            known = sorted(str(x) for x in names.dropna().unique())
            unknown = sorted(set(map(str, given)) - set(known))
            if unknown:
                raise ConfigError(
                    f"QuotaSetter {level}_targets: unknown {level}(s) {unknown}; known: {known}"
                )
            for k, v in given.items():
                if not float(v) >= 0:
                    raise ConfigError(f"QuotaSetter {level}_targets[{k!r}]={v!r}: give >= 0")
            keys = list(given)
            vals = np.array([float(given[k]) for k in keys])
            if (
                level == "region"
                and set(map(str, keys)) == set(known)
                and np.isclose(vals.sum(), target, rtol=1e-9)
            ):
                parts = apportion(total, vals)
            elif level == "district":
                parts = np.floor(vals * (1 + oa) / u + 0.5).astype(np.int64)
                # districts that fully cover a given region split its total exactly
                reg = fr.groupby("district")["region"].agg(lambda s: set(s.dropna()))
                rgiven = dict(self.region_targets or {})
                for rname, rtot in region_total.items():
                    mine = [j for j, k in enumerate(keys) if reg.get(k) == {rname}]
                    all_d = set(fr.loc[fr["region"] == rname, "district"].dropna())
                    if (
                        mine
                        and {keys[j] for j in mine} == all_d
                        and np.isclose(
                            vals[mine].sum(),
                            float(rgiven[rname]),
                            rtol=1e-9,
                        )
                    ):
                        parts[mine] = apportion(rtot, vals[mine])
            else:
                parts = np.floor(vals * (1 + oa) / u + 0.5).astype(np.int64)
            for k, part in zip(keys, parts):
                members = np.flatnonzero((names == k).to_numpy())
                if level == "district":
                    regs = set(fr.loc[names == k, "region"].dropna())
                    if len(regs) > 1:
                        raise ConfigError(
                            f"QuotaSetter district_targets: district {k!r} spans regions "
                            f"{sorted(regs)}; districts must nest in regions"
                        )
                groups.append(Group(level, str(k), members, int(part)))
                if level == "region":
                    region_total[str(k)] = int(part)
        return groups

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        alignment: Any,
        forecast: Any = None,
        *,
        accounts: pd.DataFrame | None = None,
        reps: pd.DataFrame | None = None,
        sales: pd.DataFrame | None = None,
        targets: Any = None,
    ) -> QuotaResult:
        """Set the quotas.

        Parameters
        ----------
        alignment : AlignmentResult or DataFrame
            Who covers which account: ``account_id, territory_id, rep_id`` (``rep_id`` None for a
            vacant territory).
        forecast : ForecastResult or DataFrame, optional
            Plan-year forecast per rep (``level == "rep"``, ``unique_id`` = rep_id; territory ids
            also match). A ForecastResult's ``samples(n, seed, level="rep")`` give the revenue
            draws; a table's 80%/95% intervals give split-normal draws with a common shock
            (:func:`spmopt.quota.draws.draws_from_intervals`). Without a forecast, last year
            stands in and achievability is not reported.
        accounts : DataFrame, optional
            ``account_id, potential`` (needed unless the alignment's summary has potential).
        reps : DataFrame, optional
            ``rep_id, territory_id, region, district, role, hire_date``.
        sales : DataFrame, optional
            ``account_id, period, revenue``: last year's actuals for history shares and bounds.
        targets : PlanningTargets, optional
            Plan year, company target and over-assignment when not set here.

        Returns
        -------
        QuotaResult
            With ``status == "infeasible"`` and a ``diagnosis`` naming reps and numbers when the
            bounds and targets cannot all hold.
        """
        t_start = time.perf_counter()
        self._check()
        target = self.company_target
        if target is None:
            target = getattr(targets, "company_revenue_target", None)
        if target is None:
            raise ConfigError(
                "QuotaSetter: no company target; pass company_target= or targets= "
                "(PlanningTargets with company_revenue_target)"
            )
        target = float(target)
        oa = self.over_assignment
        if oa is None:
            oa = getattr(targets, "over_assignment", None)
        oa = 0.10 if oa is None else float(oa)
        u = float(self.increment)
        total = int(np.floor(target * (1 + oa) / u + 0.5))
        inp = build_inputs(
            alignment,
            forecast,
            accounts=accounts,
            reps=reps,
            sales=sales,
            targets=targets,
            n_draws=int(self.n_draws),
            seed=self.seed,
            common_shock=self.common_shock,
            month_correlation=self.month_correlation,
        )
        fr = inp.frame
        n = len(fr)
        notes = list(inp.notes)
        cov = self._coverage(inp)
        prof = self._profile(inp)
        is_rep = fr["rep_id"].notna().to_numpy() & (cov.sum(axis=1) > 0)
        held_all = fr["rep_id"].isna().to_numpy()
        never = fr["rep_id"].notna().to_numpy() & (cov.sum(axis=1) == 0)
        if never.any():
            notes.append(
                f"{int(never.sum())} rep(s) start after the plan year: their territories are held "
                f"({', '.join(fr.loc[never, 'rep_id'].astype(str).tolist()[:5])})"
            )
        kappa_hold = (prof * cov).sum(axis=1)
        if self.relief == "hold":
            kappa = np.where(is_rep, kappa_hold, 0.0)
            scale = np.ones(n)
        else:
            kappa = np.where(is_rep, 1.0, 0.0)
            scale = np.where(is_rep, kappa_hold, 1.0)

        pot = fr["potential"].to_numpy(float)
        ly = fr["last_year"].to_numpy(float)
        fcy = fr["forecast"].to_numpy(float)

        # ---- fair share
        have = np.nan_to_num(ly, nan=0.0) > 0
        hist = np.nan_to_num(ly, nan=0.0)
        if have.any() and pot[have].sum() > 0:
            hist = np.where(have, hist, pot * hist[have].sum() / pot[have].sum())
        elif not have.any():
            hist = pot.copy()
        sources = {"potential": pot, "forecast": fcy, "history": hist}
        shares = {k: v / v.sum() if v.sum() > 0 else np.full(n, 1 / n) for k, v in sources.items()}
        weights = self._weights()
        roles = fr["role"].astype(object).to_numpy() if "role" in fr else np.full(n, None)
        blend = np.zeros(n)
        for i in range(n):
            w = weights.get(str(roles[i]), weights["default"])
            tw = sum(w.values())
            blend[i] = sum(wt * shares[src][i] for src, wt in w.items()) / tw
        blend = blend * scale
        fair = total * u * blend / blend.sum() if blend.sum() > 0 else np.full(n, total * u / n)

        # ---- bounds, in increments, with reasons
        lo = np.zeros(n, dtype=np.int64)
        hi = np.full(n, total, dtype=np.int64)
        lo_why = ["no floor"] * n
        hi_why = ["the roll-up"] * n

        def tighten_lo(val: np.ndarray, why: list[str]) -> None:
            k = ceil_inc(val, u)
            upd = np.isfinite(val) & (k > lo)
            lo[upd] = k[upd]
            for i in np.flatnonzero(upd):
                lo_why[i] = why[i]

        def tighten_hi(val: np.ndarray, why: list[str]) -> None:
            k = floor_inc(val, u)
            upd = np.isfinite(val) & (k < hi)
            hi[upd] = np.maximum(k[upd], 0)
            for i in np.flatnonzero(upd):
                hi_why[i] = why[i]

        sc = np.where(scale < 1, scale, 1.0)
        sc_txt = ["" if s >= 1 else f" x coverage {s:.2f}" for s in sc]
        lyv = np.where(have, ly, np.nan)
        if self.growth_floor is not None:
            g = self.growth_floor
            tighten_lo(
                lyv * (1 + g) * sc,
                [f"growth floor {g:+.0%} on last year {ly[i]:,.0f}{sc_txt[i]}" for i in range(n)],
            )
        if self.growth_cap is not None:
            g = self.growth_cap
            tighten_hi(
                lyv * (1 + g) * sc,
                [f"growth cap {g:+.0%} on last year {ly[i]:,.0f}{sc_txt[i]}" for i in range(n)],
            )
        has_fc = fcy > 0
        fcv = np.where(has_fc, fcy, np.nan)
        if self.forecast_floor is not None:
            g = self.forecast_floor
            tighten_lo(
                fcv * (1 + g) * sc,
                [f"floor {g:+.0%} on forecast {fcy[i]:,.0f}{sc_txt[i]}" for i in range(n)],
            )
        if self.forecast_cap is not None:
            g = self.forecast_cap
            tighten_hi(
                fcv * (1 + g) * sc,
                [f"cap {g:+.0%} on forecast {fcy[i]:,.0f}{sc_txt[i]}" for i in range(n)],
            )
        if self.potential_cap is not None:
            c = self.potential_cap
            tighten_hi(
                np.where(pot > 0, pot * c * sc, np.nan),
                [f"cap {c:.0%} of potential {pot[i]:,.0f}{sc_txt[i]}" for i in range(n)],
            )

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
        groups = self._groups(fr, target, oa, total)
        # district keys in the tree are region-qualified; targets name plain districts
        if any(g.level == "district" for g in groups):
            district = fr["district"].astype(object).fillna("(no district)").astype(str).to_numpy()

        active = None
        attain = None
        if inp.draws is not None:
            # revenue of the months the rep is in post (ramp months count in full)
            active = np.einsum("dim,im->di", inp.draws, (cov > 0).astype(float))
        if self.target_attainment is not None:
            if active is None:
                raise ConfigError(
                    "QuotaSetter target_attainment needs revenue draws: pass a forecast and "
                    "n_draws > 0"
                )
            reps_idx = np.flatnonzero(is_rep & (kappa > 0))
            levels = np.asarray(self.attainment_levels, float)
            caps = np.quantile(active[:, reps_idx], 1.0 - levels, axis=0).T / u
            attain = AttainmentSpec(
                reps=reps_idx,
                kappa=kappa[reps_idx],
                caps=np.asarray(caps, float),
                levels=levels,
                share=float(self.target_attainment),
            )
        problem = QuotaProblem(
            labels=labels,
            increment=u,
            total=total,
            fair=fair,
            lo=lo,
            hi=hi,
            lo_why=lo_why,
            hi_why=hi_why,
            region=region,
            district=district,
            groups=groups,
            attain=attain,
            gamma=float(self.fairness_weight),
        )
        base_metrics: dict[str, Any] = {
            "company_target": target,
            "over_assignment": oa,
            "roll_up_target": total * u,
            "increment": u,
            "n_territories": n,
        }
        conflicts = diagnose(problem)
        if len(conflicts):
            text = "; ".join(conflicts["message"].tolist())
            return self._failed("infeasible", text, conflicts, base_metrics, notes, t_start)
        options = self.solver or SolverOptions()
        integer = self.integer_method
        if integer == "auto":
            integer = "mip" if n <= _MIP_MAX_TERRITORIES else "lp_round"
        k = None
        k_star = None
        exact_attain = attain is not None and (
            self.attainment_solver == "exact"
            or (
                self.attainment_solver == "auto"
                and len(attain.reps) * len(attain.levels) <= _EXACT_ATTAINMENT_BINARIES
            )
        )
        if attain is not None and not exact_attain:
            k, info, capped, k_star = solve_attainment_large(problem, options, integer)
            base_metrics["attainment_solver"] = "protect-and-resolve"
            if k is not None:
                problem = capped
        elif attain is not None:
            integer = "mip"
            base_metrics["attainment_solver"] = "exact"
            k, info = solve_problem(problem, options, self.backend)
        elif integer == "lp_round":
            k, info, k_star = solve_lp_round(problem, options)
        else:
            k, info = solve_problem(problem, options, self.backend)
        if k is not None and k_star is not None:
            base_metrics["max_round_off_increments"] = float(np.abs(k - k_star).max())
        base_metrics["integer_method"] = integer
        if k is None:
            if info.status == "infeasible" and attain is not None:
                reach = np.minimum(
                    hi[attain.reps], np.floor(attain.caps[:, -1] / np.maximum(attain.kappa, 1e-9))
                )
                text = (
                    f"no quotas put an expected {self.target_attainment:.0%} of reps at or above "
                    f"quota within the roll-up {total * u:,.0f} and the bounds; lower "
                    f"target_attainment or over_assignment (keeping each rep at the quota they "
                    f"reach with {attain.levels[-1]:.0%} probability would roll up to "
                    f"{(reach.sum() + hi[~np.isin(np.arange(n), attain.reps)].sum()) * u:,.0f})"
                )
            else:
                text = f"solver stopped without quotas: {info.status} ({info.message})"
            return self._failed(info.status, text, pd.DataFrame(), base_metrics, notes, t_start)
        return self._assemble(
            inp,
            problem,
            k,
            info,
            cov,
            prof,
            kappa,
            is_rep,
            held_all,
            fair,
            active,
            base_metrics,
            notes,
            t_start,
            backend_used=(
                "highspy"
                if integer == "lp_round"
                or base_metrics.get("attainment_solver") == "protect-and-resolve"
                else self._backend_name(n, attain)
            ),
        )

    def _backend_name(self, n: int, attain: AttainmentSpec | None) -> str:
        if self.backend != "auto":
            return str(self.backend)
        n_col = 3 * n + 1 + (0 if attain is None else len(attain.reps) * len(attain.levels))
        return "pyomo" if n_col <= 2_000 else "highspy"

    def _failed(
        self,
        status: str,
        text: str,
        conflicts: pd.DataFrame,
        metrics: dict[str, Any],
        notes: list[str],
        t_start: float,
    ) -> QuotaResult:
        metrics = dict(metrics, seconds=time.perf_counter() - t_start)
        empty_q = pd.DataFrame(
            columns=[
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
        )
        return QuotaResult(
            quotas=empty_q,
            annual=pd.DataFrame(columns=["rep_id", "territory_id", "quota", "p_attain"]),
            metrics=metrics,
            status=status if status in STATUSES else "error",
            diagnosis=text,
            conflicts=conflicts,
            notes=notes,
            method=self.method,
        )

    def _assemble(
        self,
        inp: TerritoryInputs,
        problem: QuotaProblem,
        k: np.ndarray,
        info: Any,
        cov: np.ndarray,
        prof: np.ndarray,
        kappa: np.ndarray,
        is_rep: np.ndarray,
        held_all: np.ndarray,
        fair: np.ndarray,
        active: np.ndarray | None,
        metrics: dict[str, Any],
        notes: list[str],
        t_start: float,
        backend_used: str,
    ) -> QuotaResult:
        fr = inp.frame
        n = len(fr)
        u = problem.increment
        step = _PERIODS[self.period]
        n_per = 12 // step
        grp = np.arange(12) // step
        # period weights and coverage
        if self.relief == "hold":
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
        if self.relief == "hold":
            cbar = np.where(cp_den > 0, cp_num / np.where(cp_den > 0, cp_den, 1.0), 0.0)
            kc = np.floor(kp * cbar + 0.5).astype(np.int64)
            kc = np.where(is_rep[:, None], np.minimum(kc, kp), 0)
        else:
            kc = np.where(is_rep[:, None], kp, 0)
        kh = kp - kc
        periods = inp.months[::step]
        pot = fr["potential"].to_numpy(float)
        pot_share = pot / pot.sum() if pot.sum() > 0 else np.zeros(n)
        fcm = inp.forecast_monthly
        fcp = np.stack([fcm[:, grp == g].sum(axis=1) for g in range(n_per)], axis=1)
        ly = fr["last_year"].to_numpy(float)
        rep_ids = fr["rep_id"].to_numpy(object)
        quotas = pd.DataFrame(
            {
                "rep_id": np.repeat(rep_ids, n_per),
                "territory_id": np.repeat(fr["territory_id"].to_numpy(), n_per),
                "period": np.tile(periods.to_numpy(), n),
                "quota": (kc * u).ravel(),
                "held": (kh * u).ravel(),
                "territory_quota": (kp * u).ravel(),
                "potential_share": np.repeat(pot_share, n_per),
                "forecast": fcp.ravel(),
            }
        )
        ly_per = _last_year_by_period(inp, grp, n_per)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(ly_per > 0, kp * u / ly_per - 1.0, np.nan)
        quotas["growth"] = growth.ravel()

        tq = k * u
        cq = kc.sum(axis=1) * u
        hq = kh.sum(axis=1) * u
        fcy = fr["forecast"].to_numpy(float)
        status = np.where(
            held_all,
            "vacant",
            np.where(
                ~is_rep,
                "starts later",
                np.where(
                    cov[:, 0] == 0, "new hire", np.where((cov < 1).any(axis=1), "ramping", "active")
                ),
            ),
        )
        annual = pd.DataFrame(
            {
                "rep_id": rep_ids,
                "territory_id": fr["territory_id"].to_numpy(),
                "region": fr["region"].to_numpy(object),
                "district": fr["district"].to_numpy(object),
                "role": fr["role"].to_numpy(object),
                "hire_date": fr["hire_date"].to_numpy(),
                "status": status,
                "potential": pot,
                "potential_share": pot_share,
                "last_year": ly,
                "forecast": fcy,
                "fair_share": fair,
                "territory_quota": tq,
                "quota": cq,
                "held": hq,
                "coverage": np.where(is_rep, (prof * cov).sum(axis=1), 0.0),
            }
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            annual["quota_to_potential"] = np.where(pot > 0, tq / pot, np.nan)
            annual["growth"] = np.where(ly > 0, tq / ly - 1.0, np.nan)
            annual["growth_vs_forecast"] = np.where(fcy > 0, tq / fcy - 1.0, np.nan)
            annual["fair_deviation"] = np.where(fair > 0, tq / fair - 1.0, np.nan)
        annual["lower_bound"] = problem.lo * u
        annual["upper_bound"] = problem.hi * u
        att_draws = None
        att_reps = None
        if active is not None:
            rep_ok = is_rep & (cq > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                att = active[:, rep_ok] / cq[rep_ok][None, :]
            pa = np.full(n, np.nan)
            p50 = np.full(n, np.nan)
            pa[rep_ok] = (att >= 1.0).mean(axis=0)
            p50[rep_ok] = np.median(att, axis=0)
            annual["p_attain"] = pa
            annual["attainment_p50"] = p50
            att_draws = att.astype(np.float32)
            att_reps = rep_ids[rep_ok]
        else:
            annual["p_attain"] = np.nan
            annual["attainment_p50"] = np.nan

        m = metrics
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
            rep_ok = is_rep & (cq > 0)
            m.update(attainment_metrics(cq[rep_ok], active[:, rep_ok]))
        else:
            m["expected_share_at_quota"] = float("nan")
        m["n_reps"] = int(is_rep.sum())
        m["n_vacant"] = int(held_all.sum())
        m["n_new_hires"] = int((status == "new hire").sum())
        m["n_ramping"] = int((status == "ramping").sum())
        m["n_no_history"] = int((~(np.nan_to_num(ly, nan=0.0) > 0)).sum())
        m["n_zero_potential"] = int((pot <= 0).sum())
        m["objective"] = info.objective
        m["bound"] = info.bound
        m["gap"] = info.gap
        # objective - bound, in the objective's own unit (relative deviation): meaningful where
        # the relative gap is not (pure round-off, where the LP bound is 0)
        m["bound_excess"] = (
            None if info.objective is None or info.bound is None else info.objective - info.bound
        )
        m["solve_seconds"] = info.seconds
        m["backend"] = backend_used
        m["seconds"] = time.perf_counter() - t_start
        if m["n_vacant"]:
            notes.append(
                f"{m['n_vacant']} vacant territories: their quota is held at territory level"
            )
        if m["n_zero_potential"]:
            zp = fr.loc[pot <= 0, "territory_id"].astype(str).tolist()
            notes.append(
                f"{len(zp)} territories with zero potential ({', '.join(zp[:5])}): no potential "
                "cap, fair share from forecast/history only, left out of quota/potential spread"
            )
        ctx = QuotaContext(
            territory_id=fr["territory_id"].to_numpy(),
            potential=pot,
            fair=fair,
            kappa=kappa,
            is_rep=is_rep,
            last_year=ly,
            prior_year=fr["prior_year"].to_numpy(float),
            active_draws=None if active is None else active.astype(np.float32),
            company_target=float(m["company_target"]),
            total=problem.total,
            increment=u,
        )
        return QuotaResult(
            quotas=quotas,
            annual=annual,
            metrics=m,
            status=info.status,
            diagnosis=None,
            conflicts=pd.DataFrame(),
            notes=notes,
            method=self.method,
            attainment_draws=att_draws,
            attainment_reps=att_reps,
            context=ctx,
        )


def _last_year_by_period(inp: TerritoryInputs, grp: np.ndarray, n_per: int) -> np.ndarray:
    lym = inp.last_year_monthly
    if lym is None:
        return np.full((len(inp.frame), n_per), np.nan)
    return np.stack([lym[:, grp == g].sum(axis=1) for g in range(n_per)], axis=1)
