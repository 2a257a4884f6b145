"""``QuotaSetter``: achievable, fair quotas in whole increments that roll up exactly.

The estimator validates its settings (:mod:`spmopt.quota.settings`) and runs the pipeline:
inputs (:mod:`spmopt.quota.inputs`), the problem (:mod:`spmopt.quota.problem`), the MIP
(:mod:`spmopt.quota.model`) and the result (:mod:`spmopt.quota.assembly`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from spmopt.contracts import Estimator
from spmopt.protocols import ForecastSampler, HasAssignment, HasForecastFrame, QuotaTargets
from spmopt.quota.assembly import RunLog, Solved, assemble, failed_result
from spmopt.quota.inputs import build_inputs
from spmopt.quota.mip import Backend
from spmopt.quota.model import (
    AttainmentSpec,
    QuotaProblem,
    diagnose,
    solve_attainment_large,
    solve_lp_round,
    solve_problem,
)
from spmopt.quota.problem import Formulation, RollUpGoal, coverage_terms, formulate, roll_up_goal
from spmopt.quota.result import QuotaResult
from spmopt.quota.settings import METHODS, QuotaSettings
from spmopt.solver import SolveInfo, SolverOptions

__all__ = ["METHODS", "AlignmentLike", "QuotaForecastLike", "QuotaSetter"]

AlignmentLike: TypeAlias = HasAssignment | pd.DataFrame
"""An ``AlignmentResult`` or its table ``account_id, territory_id, rep_id``."""
QuotaForecastLike: TypeAlias = ForecastSampler | HasForecastFrame | pd.DataFrame | None
"""A ``ForecastResult`` (sample paths give the draws), its ``frame``, or None."""

_MIP_MAX_TERRITORIES = 500  # above this, "auto" rounds the LP instead of proving the MIP
_EXACT_ATTAINMENT_BINARIES = 150  # above this, "auto" uses the protect-and-resolve heuristic
_NO_FORECAST: Any = object()


class QuotaSetter(Estimator):
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
        Time limit, gap, threads, node and iteration limits: the solver's knobs live only here.
        Default: 60 s, gap 1e-4.

    Notes
    -----
    Settings follow :class:`spmopt.contracts.Estimator`: ``get_params()``, ``set_params(...)``
    (in place; an unknown key raises :class:`~spmopt.errors.ConfigError` naming it) and a
    ``repr`` of the settings that differ from the defaults. They are validated in one place,
    :class:`spmopt.quota.settings.QuotaSettings`; the validated copy is ``settings_`` after
    :meth:`solve` or :meth:`set_params`.

    :meth:`solve` is a pipeline of functions that can be called alone:
    :func:`~spmopt.quota.problem.roll_up_goal` → :func:`~spmopt.quota.inputs.build_inputs` →
    :func:`~spmopt.quota.problem.coverage_terms` → :func:`~spmopt.quota.problem.formulate` →
    :func:`~spmopt.quota.model.diagnose` → the solve → :func:`~spmopt.quota.assembly.assemble`.
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

    # ------------------------------------------------------------------ settings
    def _validate(self) -> None:
        """Validate every setting (see :class:`QuotaSettings`); keep the copy as ``settings_``."""
        self.settings_ = QuotaSettings(**self.get_params())

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        alignment: AlignmentLike,
        _forecast: QuotaForecastLike = _NO_FORECAST,
        /,
        *,
        forecast: QuotaForecastLike = None,
        accounts: pd.DataFrame | None = None,
        reps: pd.DataFrame | None = None,
        sales: pd.DataFrame | None = None,
        targets: QuotaTargets | None = None,
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
            stands in and achievability is not reported. Keyword-only; passing it second by
            position still works for one release, with a ``DeprecationWarning``.
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
        forecast = _keyword_forecast(_forecast, forecast)
        t_start = time.perf_counter()
        self._validate()
        s = self.settings_
        goal = roll_up_goal(s, targets)
        inp = build_inputs(
            alignment,
            forecast,
            accounts=accounts,
            reps=reps,
            sales=sales,
            targets=targets,
            n_draws=int(s.n_draws),
            seed=s.seed,
            common_shock=s.common_shock,
            month_correlation=s.month_correlation,
        )
        terms = coverage_terms(s, inp)
        form = formulate(s, inp, terms, goal)
        run = RunLog(_base_metrics(goal, len(inp.frame)), [*inp.notes, *terms.notes], t_start)
        conflicts = diagnose(form.problem)
        if len(conflicts):
            text = "; ".join(conflicts["message"].tolist())
            return failed_result(s, "infeasible", text, conflicts, run)
        k, info, form = self._solve_formulation(form, run.metrics)
        if k is None:
            text = _no_quotas_text(s, form.problem, info)
            return failed_result(s, info.status, text, pd.DataFrame(), run)
        return assemble(s, inp, terms, form, Solved(k, info, self._backend_used(form, run)), run)

    def _solve_formulation(
        self, form: Formulation, metrics: dict[str, Any]
    ) -> tuple[np.ndarray | None, SolveInfo, Formulation]:
        """Integer quotas of the problem: exact MIP, LP rounding or protect-and-resolve."""
        s = self.settings_
        problem, attain = form.problem, form.problem.attain
        options = s.solver or SolverOptions()
        integer = s.integer_method
        if integer == "auto":
            integer = "mip" if problem.n <= _MIP_MAX_TERRITORIES else "lp_round"
        k_star = None
        if attain is not None and not _exact_attainment(s.attainment_solver, attain):
            k, info, capped, k_star = solve_attainment_large(problem, options, integer)
            metrics["attainment_solver"] = "protect-and-resolve"
            if k is not None:
                form = Formulation(problem=capped, fair=form.fair, active=form.active)
        elif attain is not None:
            integer = "mip"
            metrics["attainment_solver"] = "exact"
            k, info = solve_problem(problem, options, s.backend)
        elif integer == "lp_round":
            k, info, k_star = solve_lp_round(problem, options)
        else:
            k, info = solve_problem(problem, options, s.backend)
        if k is not None and k_star is not None:
            metrics["max_round_off_increments"] = float(np.abs(k - k_star).max())
        metrics["integer_method"] = integer
        return k, info, form

    def _backend_used(self, form: Formulation, run: RunLog) -> str:
        m = run.metrics
        if m["integer_method"] == "lp_round" or m.get("attainment_solver") == "protect-and-resolve":
            return "highspy"
        if self.settings_.backend != "auto":
            return str(self.settings_.backend)
        attain = form.problem.attain
        n_col = 3 * form.problem.n + 1
        n_col += 0 if attain is None else len(attain.reps) * len(attain.levels)
        return "pyomo" if n_col <= 2_000 else "highspy"


def _keyword_forecast(positional: QuotaForecastLike, keyword: QuotaForecastLike) -> Any:
    if positional is _NO_FORECAST:
        return keyword
    if keyword is not None:
        raise TypeError("QuotaSetter.solve got the forecast both by position and as forecast=")
    warnings.warn(
        "QuotaSetter.solve(alignment, forecast, ...): pass the forecast as forecast=...; "
        "by position it stops working in the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    return positional


def _exact_attainment(solver: str, attain: AttainmentSpec) -> bool:
    if solver == "exact":
        return True
    binaries = len(attain.reps) * len(attain.levels)
    return solver == "auto" and binaries <= _EXACT_ATTAINMENT_BINARIES


def _base_metrics(goal: RollUpGoal, n: int) -> dict[str, Any]:
    return {
        "company_target": goal.company_target,
        "over_assignment": goal.over_assignment,
        "roll_up_target": goal.total * goal.increment,
        "increment": goal.increment,
        "n_territories": n,
    }


def _no_quotas_text(s: QuotaSettings, problem: QuotaProblem, info: SolveInfo) -> str:
    """Why the solver set no quotas, in words (with the roll-up the caps would allow)."""
    attain = problem.attain
    if info.status != "infeasible" or attain is None:
        return f"solver stopped without quotas: {info.status} ({info.message})"
    u, hi = problem.increment, problem.hi
    reach = np.minimum(
        hi[attain.reps], np.floor(attain.caps[:, -1] / np.maximum(attain.kappa, 1e-9))
    )
    rest = hi[~np.isin(np.arange(problem.n), attain.reps)].sum()
    return (
        f"no quotas put an expected {s.target_attainment:.0%} of reps at or above "
        f"quota within the roll-up {problem.total * u:,.0f} and the bounds; lower "
        f"target_attainment or over_assignment (keeping each rep at the quota they "
        f"reach with {attain.levels[-1]:.0%} probability would roll up to "
        f"{(reach.sum() + rest) * u:,.0f})"
    )
