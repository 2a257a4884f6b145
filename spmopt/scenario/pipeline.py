"""One planning cycle: data → territories → forecast → quotas → comp cost → summary.

Each stage is a plain function of the scenario and the results before it, collected in
:class:`Stages`; :func:`run` calls them in order. A batch passes results shared by several
scenarios (the data, an alignment, a forecast) in precomputed, and tests or users may swap a stage
for their own function.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from spmopt.contracts import OK_STATUSES, STATUSES, ResultContract, check_status
from spmopt.data import PlanningData, load_example, read_planning_data
from spmopt.errors import ConfigError, DataError
from spmopt.scenario.config import Scenario, apply_overrides
from spmopt.scenario.headcount import adjust_headcount
from spmopt.tables import ALIGNMENT, FORECAST, HISTORY, QUOTAS, TableSpec, as_table

__all__ = [
    "SUMMARY_COLUMNS",
    "CurrentAlignment",
    "ForecastStage",
    "ScenarioResult",
    "Stages",
    "current_alignment",
    "load_data",
    "prepare_data",
    "run",
    "summarise",
    "worst_status",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- data
_DATA_CACHE: OrderedDict[tuple[str, tuple[float, ...]], PlanningData] = OrderedDict()
_DATA_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple[float, ...]:
    return tuple(sorted(p.stat().st_mtime for p in path.iterdir() if p.is_file()))


def load_data(source: str) -> PlanningData:
    """The planning data of a scenario (``"example"`` or a folder), validated and cached.

    The cache holds the last four data sets per process, keyed by path and file times, so a
    worker running many scenarios on the same data reads it once.
    """
    from spmopt.data.sources import source_kind, source_stamp

    if source == "example":
        key: tuple[str, tuple[float, ...]] = ("example", ())
    elif source_kind(source) != "folder":  # a database URL, workbook or source file
        stamp = source_stamp(source)
        if stamp is None:
            return read_planning_data(source)
        key = stamp
    else:
        p = Path(source)
        if not p.is_dir():
            raise DataError(
                f"planning data folder {p} does not exist",
                table="accounts",
                fix="set the scenario's data to a folder holding accounts, reps and sales, or "
                "to 'example'",
            )
        key = (str(p.resolve()), _stamp(p))
    with _DATA_LOCK:
        if key in _DATA_CACHE:
            _DATA_CACHE.move_to_end(key)
            return _DATA_CACHE[key]
    data = load_example() if source == "example" else read_planning_data(source)
    with _DATA_LOCK:
        _DATA_CACHE[key] = data
        while len(_DATA_CACHE) > 4:
            _DATA_CACHE.popitem(last=False)
    return data


def prepare_data(scenario: Scenario, data: PlanningData) -> tuple[PlanningData, list[str]]:
    """The scenario's view of the data: headcount changed, comp plan replaced and overridden.

    Returns the changed :class:`PlanningData` and notes saying what changed.
    """
    notes: list[str] = []
    accounts, reps = data.accounts, data.reps
    n = scenario.territory.n_territories
    if n is not None and n != len(reps):
        plan_year = data.targets.plan_year if data.targets is not None else None
        accounts, reps, hc_notes = adjust_headcount(
            accounts, reps, n, plan_year=plan_year, plan=data.plan
        )
        notes += hc_notes
    plan = data.plan
    if scenario.comp.plan is not None:
        import yaml

        p = Path(scenario.comp.plan)
        if not p.is_file():
            raise ConfigError(f"comp.plan: plan file {p} does not exist")
        try:
            plan = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"comp.plan: {p} is not valid YAML: {exc}") from None
        notes.append(f"comp plan from {p}")
    if scenario.comp.plan_overrides:
        if plan is None:
            raise ConfigError(
                "comp.plan_overrides given but the data has no plan.yaml and comp.plan is unset"
            )
        plan = apply_overrides(plan, scenario.comp.plan_overrides)
        notes.append(
            "plan overrides: "
            + ", ".join(f"{k}={v!r}" for k, v in scenario.comp.plan_overrides.items())
        )
        reps, pay_notes = _role_pay_to_reps(reps, plan, scenario.comp.plan_overrides)
        notes += pay_notes
    if accounts is data.accounts and reps is data.reps and plan is data.plan:
        return data, notes
    return dataclasses.replace(data, accounts=accounts, reps=reps, plan=plan), notes


def _role_pay_to_reps(
    reps: pd.DataFrame, plan: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """Carry overridden role pay (``roles.<role>.target_incentive`` / ``base_salary``) to the
    reps of that role: per-rep pay columns otherwise take precedence over the plan's."""
    from spmopt.scenario.config import _flatten

    notes: list[str] = []
    out = reps
    for path in _flatten(overrides):
        parts = path.split(".")
        if (
            len(parts) != 3
            or parts[0] != "roles"
            or parts[2]
            not in (
                "target_incentive",
                "base_salary",
            )
        ):
            continue
        role, col = parts[1], parts[2]
        if col not in reps or "role" not in reps:
            continue
        value = plan["roles"][role][col]
        hit = reps["role"].astype(str) == role
        if hit.any():
            out = out.copy() if out is reps else out
            out.loc[hit, col] = float(value)
            notes.append(f"{col} of the {int(hit.sum())} {role} reps set to {value:,.0f}")
    return out, notes


# ---------------------------------------------------------------------- stage results
@dataclass(frozen=True, repr=False)
class CurrentAlignment(ResultContract):
    """Today's alignment (``accounts.current_territory``), for scenarios that do not realign.

    Same attributes as :class:`spmopt.territory.AlignmentResult`; ``status`` is ``"ok"`` (no
    optimiser ran) and its :meth:`summary_row` says ``align_status="current"``.
    """

    assignment: pd.DataFrame
    summary: pd.DataFrame
    metrics: dict[str, Any]
    status: str = "ok"
    diagnosis: str | None = None

    _label: ClassVar[str | None] = "today's alignment"

    def __post_init__(self) -> None:
        check_status(self.status)

    def __repr__(self) -> str:
        return (
            f"CurrentAlignment(status={self.status!r}, territories={len(self.summary)}, "
            f"accounts={len(self.assignment)})"
        )

    def summary_row(self) -> dict[str, Any]:
        """The keys of :meth:`spmopt.territory.AlignmentResult.summary_row`, measured on
        today's alignment, with ``align_status="current"``."""
        m = self.metrics
        row = {"n_territories": len(self.summary), "align_status": "current"}
        row["align_gap"] = _num(m.get("gap"))
        for col in _ALIGN_METRICS:
            row[col] = _num(m.get(col))
        row["disruption_share"] = _num(m.get("disruption_share", m.get("disruption")))
        return row

    def to_frame(self) -> pd.DataFrame:
        """The assignment table."""
        return self.assignment.copy()


@dataclass(frozen=True, repr=False)
class ForecastStage:
    """The forecast and, when asked for, its backtest."""

    forecast: Any
    backtest: Any | None = None
    history: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"ForecastStage(forecast={self.forecast!r}, backtest={self.backtest is not None})"


def current_alignment(
    accounts: pd.DataFrame, reps: pd.DataFrame, balance: Mapping[str, float] | None = None
) -> CurrentAlignment:
    """Today's alignment as an alignment result: assignment, per-territory summary, metrics
    (measured by :func:`spmopt.territory.evaluate`)."""
    from spmopt.data.geo import haversine_km
    from spmopt.territory import current_assignment, evaluate

    if "current_territory" not in accounts:
        raise DataError(
            "territory.realign is false but accounts have no current_territory",
            table="accounts",
            column="current_territory",
            fix="add current_territory or set territory.realign: true",
        )
    asg = current_assignment(accounts, reps).dropna(subset=["rep_id"]).reset_index(drop=True)
    if len(asg) < len(accounts):
        raise DataError(
            f"{len(accounts) - len(asg)} accounts have no current territory of a rep, so today's "
            "alignment cannot be kept",
            table="accounts",
            column="current_territory",
            fix="set territory.realign: true (or fill current_territory)",
        )
    acc = accounts.set_index(accounts["account_id"].astype(str)).loc[asg["account_id"]]
    home = reps.set_index(reps["territory_id"].astype(str)).loc[asg["territory_id"]]
    asg["distance_km"] = haversine_km(
        acc["lat"].to_numpy(float),
        acc["lon"].to_numpy(float),
        home["lat"].to_numpy(float),
        home["lon"].to_numpy(float),
    )
    asg["moved"] = False
    summary, metrics = evaluate(asg, accounts, reps, balance)
    return CurrentAlignment(assignment=asg, summary=summary, metrics=dict(metrics))


# ---------------------------------------------------------------------- default stages
def _consumed(result: Any, spec: TableSpec, attr: str) -> pd.DataFrame:
    """The table ``spec`` of a stage result, checked by :func:`spmopt.tables.as_table` (a
    result without ``to_frame()``, e.g. a custom stage's, gives its ``attr`` unchecked)."""
    if isinstance(result, pd.DataFrame) or callable(getattr(result, "to_frame", None)):
        return as_table(result, spec)
    return getattr(result, attr)


def align_stage(scenario: Scenario, data: PlanningData) -> Any:
    """Territories: :class:`spmopt.territory.TerritoryAligner` with the scenario's settings."""
    t = scenario.territory
    if not t.realign:
        return current_alignment(data.accounts, data.reps, t.balance)
    from spmopt.territory import TerritoryAligner

    aligner = TerritoryAligner(**t.aligner_kwargs(seed=scenario.seed))
    geo = getattr(data, "geography", None)  # polygons read with the data (spmopt.geo)
    kw = {"adjacency": geo.adjacency} if t.contiguity and geo is not None else {}
    return aligner.solve(data.accounts, data.reps, **kw).raise_for_status()


def forecast_stage(scenario: Scenario, data: PlanningData, alignment: Any) -> ForecastStage:
    """Revenue forecast per rep, district, region and total under the new alignment."""
    from spmopt.forecast import RevenueForecaster, backtest, build_history

    f = scenario.forecast
    assignment = _consumed(alignment, ALIGNMENT, "assignment")
    history = as_table(build_history(data.sales, assignment, data.reps), HISTORY)
    forecaster = RevenueForecaster(**f.forecaster_kwargs(seed=scenario.seed))
    result = forecaster.fit(history).predict()
    bt = None
    if f.n_windows > 0:
        bt = backtest(forecaster, history, n_windows=f.n_windows)
    return ForecastStage(forecast=result, backtest=bt, history=history)


def quota_stage(scenario: Scenario, data: PlanningData, alignment: Any, fc: ForecastStage) -> Any:
    """Quotas per rep and period with :class:`spmopt.quota.QuotaSetter`."""
    from spmopt.quota import QuotaSetter

    q = scenario.quota
    _consumed(fc.forecast, FORECAST, "frame")
    oa = q.over_assignment
    if oa is None and data.targets is not None:
        oa = data.targets.over_assignment
    setter = QuotaSetter(**q.setter_kwargs(over_assignment=oa))
    result = setter.solve(
        alignment,
        forecast=fc.forecast,
        accounts=data.accounts,
        reps=data.reps,
        sales=data.sales,
        targets=data.targets,
    )
    return result.raise_for_status()


def comp_stage(scenario: Scenario, data: PlanningData, quotas: Any, fc: ForecastStage) -> Any:
    """Comp cost: :func:`spmopt.comp.simulate` of the plan on the quotas and forecast draws."""
    from spmopt.comp import CompPlan, simulate

    if data.plan is None:
        raise ConfigError(
            "no comp plan: the data folder has no plan.yaml and the scenario sets no comp.plan"
        )
    c = scenario.comp
    _consumed(quotas, QUOTAS, "quotas")
    plan = CompPlan.from_dict(data.plan, source="comp plan")
    overrides = dict(c.overrides)
    if c.revenue_shock:
        overrides["revenue_change"] = c.revenue_shock
    return simulate(
        plan,
        quotas=quotas,
        forecast=fc.forecast,
        n_draws=c.n_draws,
        seed=scenario.seed,
        reps=data.reps,
        targets=data.targets,
        overrides=overrides or None,
    )


@dataclass(frozen=True)
class Stages:
    """The stage functions :func:`run` calls, in order.

    Each is a function of the scenario and the results before it::

        prepare(scenario, data)                      -> (PlanningData, notes)
        align(scenario, data)                        -> alignment (AlignmentResult)
        forecast(scenario, data, alignment)          -> ForecastStage
        quota(scenario, data, alignment, forecast)   -> quotas (QuotaResult)
        comp(scenario, data, quotas, forecast)       -> cost (CostSimulation)
        summarise(result)                            -> dict, one row of the summary

    Replace one with :func:`dataclasses.replace` to change a step.
    """

    load: Callable[[str], PlanningData] = load_data
    prepare: Callable[[Scenario, PlanningData], tuple[PlanningData, list[str]]] = prepare_data
    align: Callable[[Scenario, PlanningData], Any] = align_stage
    forecast: Callable[[Scenario, PlanningData, Any], ForecastStage] = forecast_stage
    quota: Callable[[Scenario, PlanningData, Any, ForecastStage], Any] = quota_stage
    comp: Callable[[Scenario, PlanningData, Any, ForecastStage], Any] = comp_stage
    summarise: Callable[[ScenarioResult], dict[str, Any]] = field(default_factory=lambda: summarise)


# ---------------------------------------------------------------------- result
#: Statuses from best to worst: a scenario's status is the worst of its stages'.
_STATUS_RANK = {st: i for i, st in enumerate(("optimal", "ok", "feasible", "time_limit"))} | {
    "failed": 4,
    "infeasible": 5,
    "error": 6,
}


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (those outside :data:`spmopt.contracts.STATUSES` are skipped;
    ``"ok"`` when none is left)."""
    known = [st for st in statuses if st in STATUSES]
    return max(known, key=_STATUS_RANK.__getitem__) if known else "ok"


@dataclass(frozen=True, repr=False)
class ScenarioResult(ResultContract):
    """Everything one scenario produced.

    Its :attr:`status` is the worst status of its stages (alignment, forecast, quotas, comp
    cost); :meth:`summary_row` is the one-row :attr:`summary` as a dict.

    Attributes
    ----------
    scenario : Scenario
    alignment : AlignmentResult (or :class:`CurrentAlignment`)
    forecast : ForecastResult
    backtest : BacktestResult or None
    quotas : QuotaResult
    cost : CostSimulation
    summary : DataFrame
        One row: balance, disruption, forecast error, quota fairness, share at quota, expected
        comp cost, cost of sales, margin and pass/fail (see :func:`summarise`).
    reps : DataFrame
        The reps planned for (after a headcount change).
    timings : dict of str to float
        Seconds per stage.
    notes : tuple of str
        What the pipeline changed or noticed on the way.
    health : HealthReport or None
        The plan's health against the field's norms (:func:`spmopt.health.check`); its status
        and failing checks are also in ``summary`` (``health``, ``n_fail``, ``n_warn``,
        ``failing``, ``warning``, ``health_score``).
    """

    scenario: Scenario
    alignment: Any
    forecast: Any
    backtest: Any | None
    quotas: Any
    cost: Any
    summary: pd.DataFrame
    reps: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    history: pd.DataFrame | None = None
    health: Any = None

    def __repr__(self) -> str:
        row = self.summary.iloc[0]
        bits = [f"name={self.scenario.name!r}", f"status={self.status!r}"]
        for col, fmt in (
            ("max_deviation_potential", "{:.1%}"),
            ("disruption_share", "{:.1%}"),
            ("share_at_quota", "{:.0%}"),
            ("expected_cost", "{:,.0f}"),
            ("ccos", "{:.2%}"),
            ("passes", "{}"),
            ("health", "{}"),
        ):
            v = row.get(col)
            if v is not None and not (isinstance(v, float) and np.isnan(v)):
                bits.append(f"{col}={fmt.format(v)}")
        bits.append(f"seconds={sum(self.timings.values()):.1f}")
        return f"ScenarioResult({', '.join(bits)})"

    @property
    def status(self) -> str:  # type: ignore[override]
        """The worst status of the stage results (see :func:`worst_status`)."""
        stages = (self.alignment, self.forecast, self.quotas, self.cost)
        return worst_status(str(getattr(r, "status", "ok")) for r in stages)

    def _problem(self) -> str:
        bad = [
            f"{label} is {r.status}"
            for label, r in (
                ("territory alignment", self.alignment),
                ("forecast", self.forecast),
                ("quotas", self.quotas),
                ("comp cost", self.cost),
            )
            if getattr(r, "status", "ok") not in OK_STATUSES | {"current"}
        ]
        return "; ".join(bad) or f"status {self.status}"

    def summary_row(self) -> dict[str, Any]:
        """The one-row :attr:`summary` as a flat dict (scenario, key, the stage figures of
        :func:`summarise`, seconds and the health columns)."""
        return self.summary.iloc[0].to_dict() if len(self.summary) else {}

    def to_frame(self) -> pd.DataFrame:
        """The one-row summary."""
        return self.summary.copy()

    def write(self, path: str | Path, *, report: bool = True) -> Path:
        """Write every result table (CSV), the settings and ``report.html`` to a folder; returns
        the report's path."""
        from spmopt.scenario.output import write_plan_outputs

        return write_plan_outputs(self, path, report=report)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result as a long table, by name (what a run folder stores)."""
        from spmopt.scenario.tables import result_tables

        return result_tables(self)


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    data: PlanningData | None = None,
    stages: Stages | None = None,
    alignment: Any | None = None,
    forecast: ForecastStage | None = None,
) -> ScenarioResult:
    """Run one planning cycle.

    Parameters
    ----------
    scenario : Scenario, path of a YAML file or mapping
        The settings.
    data : PlanningData, optional
        The planning data, when already loaded (else read from ``scenario.data``, cached).
    stages : Stages, optional
        Stage functions (default: the spmopt modules).
    alignment, forecast : optional
        Results of those stages computed already for scenarios that share them (same
        :meth:`Scenario.stage_key`); the stages are then skipped.

    Returns
    -------
    ScenarioResult

    Raises
    ------
    spmopt.ConfigError, spmopt.DataError, spmopt.InfeasibleError
        From the stage that failed; the message names the stage.
    """
    s = _as_scenario(scenario)
    st = stages or Stages()
    if stages is None:
        s.check()
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as exc:
            _add_stage_note(exc, name, s.name)
            raise
        finally:
            timings[name] = round(time.perf_counter() - t0, 4)

    base = data if data is not None else timed("load", lambda: st.load(s.data))
    pdata, notes = timed("prepare", lambda: st.prepare(s, base))
    if alignment is None:
        alignment = timed("territory", lambda: st.align(s, pdata))
    if forecast is None:
        forecast = timed("forecast", lambda: st.forecast(s, pdata, alignment))
    fc = forecast
    quotas = timed("quota", lambda: st.quota(s, pdata, alignment, fc))
    cost = timed("comp", lambda: st.comp(s, pdata, quotas, fc))
    partial = ScenarioResult(
        scenario=s,
        alignment=alignment,
        forecast=fc.forecast,
        backtest=fc.backtest,
        quotas=quotas,
        cost=cost,
        summary=pd.DataFrame(),
        reps=pdata.reps,
        timings=timings,
        notes=tuple(notes),
        history=fc.history,
    )
    row = timed("summary", lambda: st.summarise(partial))
    notes = [*notes, *_stage_notes(partial)]
    partial = dataclasses.replace(partial, notes=tuple(notes))
    row["seconds"] = round(sum(timings.values()), 3)
    summary = pd.DataFrame([{"scenario": s.name, "key": s.key(), **row}])
    partial = dataclasses.replace(partial, summary=summary)
    report = timed("health", lambda: _health(partial, pdata))
    if report is None:
        return partial
    hrow = report.summary_row()
    hrow.pop("scenario")
    summary = pd.DataFrame([{**summary.iloc[0].to_dict(), **hrow}])
    return dataclasses.replace(partial, summary=summary, health=report)


def _health(result: ScenarioResult, data: PlanningData) -> Any:
    """The plan's health report (None when the stages were swapped for ones whose results do
    not carry the tables the checks read)."""
    from spmopt.health import check

    try:
        return check(result, data=data)
    except (AttributeError, KeyError, TypeError):  # custom stages with other result types
        log.debug("no health report for %s", result.scenario.name, exc_info=True)
        return None


def _stage_notes(result: ScenarioResult) -> list[str]:
    """What the stages said about their own results (fallbacks, diagnoses, assumptions)."""
    out: list[str] = []
    for label, obj in (
        ("territories", result.alignment),
        ("forecast", result.forecast),
        ("quotas", result.quotas),
    ):
        for n in getattr(obj, "notes", None) or ():
            out.append(f"{label}: {n}")
        diag = getattr(obj, "diagnosis", None)
        if diag:
            out.append(f"{label}: {diag}")
    assumptions = getattr(result.cost, "assumptions", None)
    if isinstance(assumptions, Mapping):
        for k in ("attainment", "quota_source", "common_shock"):
            if k in assumptions:
                out.append(f"comp cost: {k.replace('_', ' ')}: {assumptions[k]}")
    return out


def _as_scenario(scenario: Scenario | str | Path | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return Scenario.from_yaml(scenario)
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    raise ConfigError(
        f"run() takes a Scenario, a YAML path or a mapping, got {type(scenario).__name__}"
    )


def _add_stage_note(exc: Exception, stage: str, name: str) -> None:
    note = f"in stage '{stage}' of scenario '{name}'"
    if note not in getattr(exc, "__notes__", []):
        exc.add_note(note)


# ---------------------------------------------------------------------- summary
def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _lookup(obj: Any, *names: str) -> Any:
    """The first of ``names`` found in a dict, a one-row frame, a Series or as an attribute."""
    if obj is None:
        return None
    for n in names:
        if isinstance(obj, Mapping) and n in obj:
            return obj[n]
        if isinstance(obj, pd.DataFrame) and n in obj.columns and len(obj):
            return obj[n].iloc[0]
        if isinstance(obj, pd.Series) and n in obj.index:
            return obj[n]
        if not isinstance(obj, (Mapping, pd.DataFrame, pd.Series)) and hasattr(obj, n):
            return getattr(obj, n)
    return None


_ALIGN_METRICS = (
    "max_deviation_potential",
    "max_deviation_workload",
    "weighted_distance",
    "mean_distance_km",
)
_ALIGN_KEYS = ("n_territories", "align_status", "align_gap", *_ALIGN_METRICS, "disruption_share")
_FORECAST_KEYS = ("forecast_model", "forecast_revenue")
_QUOTA_KEYS = ("company_target", "quota_total", "over_assignment", "quota_spread")
_COST_KEYS = (
    "expected_cost",
    "cost_p10",
    "cost_p50",
    "cost_p90",
    "ccos",
    "margin_after_comp",
    "p_ccos_breach",
    "p_margin_breach",
)

#: The columns of :func:`summarise`, in order (a batch table adds scenario, key, seconds and
#: the health columns around them).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "seed",
    *_ALIGN_KEYS,
    *_FORECAST_KEYS,
    "forecast_mase",
    *_QUOTA_KEYS,
    "share_at_quota",
    *_COST_KEYS,
    "passes",
)


def _own_row(obj: Any) -> dict[str, Any]:
    """The stage result's own :meth:`~spmopt.contracts.ResultContract.summary_row` (empty for
    a result without one, e.g. a custom stage's)."""
    fn = getattr(obj, "summary_row", None)
    if not callable(fn):
        return {}
    row = fn()
    return dict(row) if isinstance(row, Mapping) else {}


def _pick(
    own: Mapping[str, Any], keys: tuple[str, ...], fallback: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``keys`` from the result's own row; those it lacks from ``fallback`` (computed only then)."""
    missing = [k for k in keys if k not in own]
    fb = fallback() if missing else {}
    return {k: own[k] if k in own else fb.get(k, float("nan")) for k in keys}


def summarise(result: ScenarioResult) -> dict[str, Any]:
    """The one-row summary of a scenario, from each stage result's ``summary_row()``.

    A stage result without ``summary_row()`` (a custom stage's) is read from its ``metrics``,
    ``summary``, ``frame`` or ``annual`` tables instead. The keys, in order
    (:data:`SUMMARY_COLUMNS`):

    Columns
    -------
    n_territories, align_status, align_gap : alignment size, solver status, MIP gap.
    max_deviation_potential, max_deviation_workload : largest |territory / mean - 1|.
    weighted_distance, mean_distance_km : potential × km summed over accounts, and the
        potential-weighted mean distance account → rep home base [km].
    disruption_share : share of potential that changed territory.
    forecast_model, forecast_revenue : model used, plan-year total forecast [currency].
    forecast_mase : backtest MASE at rep level (seasonal scale; NaN without backtest).
    company_target, quota_total, over_assignment : target, sum of annual quotas, sum / target - 1.
    quota_spread : coefficient of variation of quota / potential across reps (fairness, lower is
        fairer).
    share_at_quota : expected share of reps at or above quota (the comp simulation's, else the
        quota stage's estimate).
    expected_cost, cost_p10, cost_p50, cost_p90 : incentive cost of the plan year [currency].
    ccos : expected incentive cost of sales (incentive / revenue).
    margin_after_comp : expected margin after all sales compensation [share of revenue].
    p_ccos_breach, p_margin_breach : probability of leaving the CCOS band / going below the floor.
    passes : every check passed.
    """
    row: dict[str, Any] = {"seed": result.scenario.seed}
    row.update(_pick(_own_row(result.alignment), _ALIGN_KEYS, lambda: _align_fallback(result)))
    row.update(_pick(_own_row(result.forecast), _FORECAST_KEYS, lambda: _forecast_fallback(result)))
    row["forecast_mase"] = _backtest_mase(result.backtest, getattr(result.forecast, "model", None))
    q_own = _own_row(result.quotas)
    row.update(_pick(q_own, _QUOTA_KEYS, lambda: _quota_fallback(result)))
    c_own = _own_row(result.cost)
    if "comp_passes" in c_own:
        c_own["passes"] = c_own["comp_passes"]
    c_row = _pick(c_own, (*_COST_KEYS, "passes"), lambda: _cost_fallback(result))
    share = _num(_lookup(getattr(result.cost, "summary", None), "share_at_quota"))
    if np.isnan(share):
        share = _num(c_own.get("share_at_quota", q_own.get("share_at_quota")))
    if np.isnan(share):
        share = _num(_cost_fallback(result)["share_at_quota"])
    row["share_at_quota"] = share
    row.update(c_row)
    passes = row["passes"]
    row["passes"] = bool(passes) if passes is not None and passes == passes else None
    return {k: row[k] for k in SUMMARY_COLUMNS}


# ------------------------------------------------ summaries of results without summary_row()
def _align_fallback(result: ScenarioResult) -> dict[str, Any]:
    al = result.alignment
    m = getattr(al, "metrics", {}) or {}
    row: dict[str, Any] = {
        "n_territories": len(result.reps),
        "align_status": str(getattr(al, "status", "")),
        "align_gap": _num(m.get("gap")),
    }
    for col in _ALIGN_METRICS:
        row[col] = _num(m.get(col))
    row["disruption_share"] = _num(m.get("disruption_share", m.get("disruption")))
    return row


def _forecast_fallback(result: ScenarioResult) -> dict[str, Any]:
    frame = getattr(result.forecast, "frame", None)
    row: dict[str, Any] = {"forecast_model": "", "forecast_revenue": float("nan")}
    if isinstance(frame, pd.DataFrame) and len(frame):
        tot = frame.loc[frame["level"] == "total"] if "level" in frame else frame
        row["forecast_revenue"] = float(tot["yhat"].sum())
        if "model" in frame:
            models = sorted(map(str, frame["model"].dropna().unique()))
            row["forecast_model"] = ",".join(models)[:80]
    return row


def _quota_fallback(result: ScenarioResult) -> dict[str, Any]:
    q = result.quotas
    qm = getattr(q, "metrics", {}) or {}
    annual = getattr(q, "annual", None)
    row: dict[str, Any] = {"company_target": _num(qm.get("company_target"))}
    if "roll_up" in qm:
        row["quota_total"] = _num(qm["roll_up"])
    elif isinstance(annual, pd.DataFrame) and "quota" in annual:
        row["quota_total"] = float(annual["quota"].sum())
    else:
        row["quota_total"] = float("nan")
    ct = row["company_target"]
    row["over_assignment"] = row["quota_total"] / ct - 1.0 if ct and ct == ct else float("nan")
    row["quota_spread"] = (
        _num(qm["quota_potential_cv"]) if "quota_potential_cv" in qm else _quota_spread(q, result)
    )
    return row


def _cost_fallback(result: ScenarioResult) -> dict[str, Any]:
    cost = result.cost
    summ = getattr(cost, "summary", None)
    annual = getattr(result.quotas, "annual", None)
    row: dict[str, Any] = {
        "share_at_quota": _num(
            _lookup(summ, "share_at_quota", "share_at_or_above_quota", "p_at_quota")
        )
    }
    if np.isnan(row["share_at_quota"]) and isinstance(annual, pd.DataFrame):
        if "p_attain" in annual:
            row["share_at_quota"] = float(annual["p_attain"].mean())
    row["expected_cost"] = _num(
        _lookup(summ, "expected_incentive", "expected_cost", "incentive_mean", "cost_mean")
    )
    row["cost_p10"] = _num(_lookup(summ, "incentive_p10", "cost_p10", "p10"))
    row["cost_p50"] = _num(_lookup(summ, "incentive_p50", "cost_p50", "p50"))
    row["cost_p90"] = _num(_lookup(summ, "incentive_p90", "cost_p90", "p90"))
    row["ccos"] = _num(_lookup(summ, "ccos", "ccos_mean", "expected_ccos", "cost_of_sales"))
    row["margin_after_comp"] = _num(
        _lookup(summ, "margin_after_comp", "margin_mean", "expected_margin", "margin")
    )
    row["p_ccos_breach"] = _num(_lookup(summ, "p_ccos_breach", "ccos_breach_probability"))
    row["p_margin_breach"] = _num(_lookup(summ, "p_margin_breach", "margin_breach_probability"))
    passes = _lookup(summ, "passed", "passes", "pass")
    if passes is None:
        checks = getattr(cost, "checks", None)
        if isinstance(checks, pd.DataFrame) and "pass" in checks:
            passes = bool(checks["pass"].all())
        elif isinstance(checks, Mapping):
            passes = all(bool(v) for v in checks.values())
    row["passes"] = passes
    return row


def _backtest_mase(bt: Any, model: str | None = None) -> float:
    """Rep-level backtest MASE of the forecaster itself (not of the peers it was compared to)."""
    if bt is None:
        return float("nan")
    table = getattr(bt, "metrics", bt)
    if not isinstance(table, pd.DataFrame) or "mase" not in table:
        return float("nan")
    t = table
    if "level" in t:
        sel = t.loc[t["level"] == "rep"]
        t = sel if len(sel) else t
    if "model" in t and model is not None:
        sel = t.loc[t["model"].astype(str) == str(model)]
        t = sel if len(sel) else t
    return float(t["mase"].iloc[0]) if len(t) else float("nan")


def _quota_spread(q: Any, result: ScenarioResult) -> float:
    annual = getattr(q, "annual", None)
    if not isinstance(annual, pd.DataFrame) or "quota" not in annual:
        return float("nan")
    summ = getattr(result.alignment, "summary", None)
    if not isinstance(summ, pd.DataFrame) or "potential" not in summ:
        return float("nan")
    pot = summ.set_index("territory_id")["potential"]
    if "territory_id" not in annual:
        return float("nan")
    p = pot.reindex(annual["territory_id"].astype(str)).to_numpy(float)
    ratio = annual["quota"].to_numpy(float) / np.where(p > 0, p, np.nan)
    ratio = ratio[np.isfinite(ratio)]
    if len(ratio) < 2 or ratio.mean() == 0:
        return float("nan")
    return float(ratio.std() / ratio.mean())
