"""Plan-health checks: is this a plan a sales leader would sign?

:func:`check` measures a finished plan (a :class:`~spmopt.scenario.ScenarioResult`, a stored
result or a run folder) against the field's norms (:class:`~spmopt.health.bands.HealthBands`)
and returns a :class:`HealthReport`: one row per named check with its number, its band,
``pass`` / ``warn`` / ``fail``, the reason in one sentence and the lever that moves it.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError
from spmopt.health.bands import Band, HealthBands

__all__ = ["CHECKS", "BatchHealth", "HealthCheck", "HealthReport", "PlanView", "check"]

_ORDER = {"fail": 0, "warn": 1, "n/a": 2, "pass": 3}


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class HealthCheck:
    """One named check of a plan.

    Attributes
    ----------
    name : str
        Identifier (``share_at_quota``, ``ccos``, ...), the key of its band in ``targets.yaml``.
    label : str
        What it measures, for people.
    value : float
        The measured number (shares as fractions, payouts as multiples of target incentive).
    band : Band
        Pass and warn bands.
    status : str
        ``pass``, ``warn``, ``fail`` or ``n/a`` (the result lacks what it needs).
    reason : str
        Why, in one sentence, with the numbers.
    lever : str
        What to change to move it ('' when it passes).
    unit : str
        ``share``, ``ratio`` or ``number``: how to print ``value`` and the band.
    """

    name: str
    label: str
    value: float
    band: Band
    status: str
    reason: str
    lever: str = ""
    unit: str = "share"

    def fmt(self, v: float) -> str:
        """``v`` printed in this check's unit."""
        return _fmt(v, self.unit)

    @property
    def band_text(self) -> str:
        b = self.band
        if math.isinf(b.hi) and b.lo <= 0 and self.unit != "share":
            return f">= {self.fmt(b.lo)}"
        if math.isinf(b.hi):
            return f">= {self.fmt(b.lo)}"
        if b.lo == 0 and self.name not in ("attainment_skew",):
            return f"<= {self.fmt(b.hi)}"
        return f"{self.fmt(b.lo)} to {self.fmt(b.hi)}"

    def line(self) -> str:
        """One line for a terminal: status, label, value against band, reason, lever."""
        lever = f" Lever: {self.lever}" if self.lever and self.status != "pass" else ""
        return (
            f"{self.status.upper():4s} {self.name}: {self.label} {self.fmt(self.value)} "
            f"(band {self.band_text}). {self.reason}{lever}"
        )


def _fmt(v: float, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if unit == "share":
        return f"{v:.1%}" if abs(v) < 0.1 else f"{v:.0%}"
    if unit == "ratio":
        return f"{v:.2f}x"
    if unit == "money":
        return f"{v:,.0f}"
    return f"{v:.2f}"


@dataclass(frozen=True, repr=False)
class HealthReport:
    """The health of one plan: every check, and the target gap behind them.

    Attributes
    ----------
    scenario : str
        Scenario name.
    checks : tuple of HealthCheck
    gap : TargetGap or None
        The top-down target against the bottom-up forecast (see :func:`target_gap`).
    bands : HealthBands
        The bands used.
    """

    scenario: str
    checks: tuple[HealthCheck, ...]
    gap: Any = None
    bands: HealthBands = field(default_factory=HealthBands.default)

    @property
    def status(self) -> str:
        """The worst status: ``fail``, else ``warn``, else ``pass``."""
        st = {c.status for c in self.checks}
        return "fail" if "fail" in st else "warn" if "warn" in st else "pass"

    @property
    def ok(self) -> bool:
        """No check fails (warnings allowed)."""
        return self.status != "fail"

    @property
    def failed(self) -> tuple[HealthCheck, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def warnings(self) -> tuple[HealthCheck, ...]:
        return tuple(c for c in self.checks if c.status == "warn")

    def __getitem__(self, name: str) -> HealthCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no health check {name!r}; checks: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks)

    def score(self) -> float:
        """Badness for ranking plans: fails count 100, warnings 10, plus how far outside."""
        s = 0.0
        for c in self.checks:
            if c.status == "fail":
                s += 100.0 + min(c.band.distance(c.value), 10.0)
            elif c.status == "warn":
                s += 10.0 + min(c.band.distance(c.value), 10.0)
        return s

    def raise_for_status(self) -> HealthReport:
        """Raise :class:`~spmopt.errors.ConfigError` naming the failing checks; else ``self``."""
        if self.failed:
            raise ConfigError(
                f"plan {self.scenario!r} fails its health checks: "
                + "; ".join(c.line() for c in self.failed)
            )
        return self

    def summary_row(self) -> dict[str, Any]:
        """One row: status, counts and the failing / warning check names."""
        return {
            "scenario": self.scenario,
            "health": self.status,
            "n_fail": len(self.failed),
            "n_warn": len(self.warnings),
            "failing": ", ".join(c.name for c in self.failed),
            "warning": ", ".join(c.name for c in self.warnings),
            "health_score": round(self.score(), 3),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per check: name, label, value, band, status, reason, lever."""
        return pd.DataFrame(
            [
                {
                    "check": c.name,
                    "label": c.label,
                    "value": c.value,
                    "band_lo": c.band.lo,
                    "band_hi": c.band.hi,
                    "warn_lo": c.band.warn_lo,
                    "warn_hi": c.band.warn_hi,
                    "band": c.band_text,
                    "status": c.status,
                    "reason": c.reason,
                    "lever": c.lever,
                    "unit": c.unit,
                }
                for c in self.checks
            ]
        )

    def lines(self, *, all_checks: bool = False) -> list[str]:
        """Terminal lines: the failing and warning checks (every check with ``all_checks``)."""
        picked = sorted(
            (c for c in self.checks if all_checks or c.status in ("fail", "warn")),
            key=lambda c: _ORDER[c.status],
        )
        return [c.line() for c in picked]

    def __repr__(self) -> str:
        n = {s: sum(c.status == s for c in self.checks) for s in ("pass", "warn", "fail")}
        head = (
            f"HealthReport({self.scenario!r}: {self.status}; {n['pass']} pass, {n['warn']} warn, "
            f"{n['fail']} fail)"
        )
        body = "\n".join(f"  {c.line()}" for c in self.checks)
        return f"{head}\n{body}"


@dataclass(frozen=True, repr=False)
class BatchHealth:
    """The health of every scenario of a batch, ranked (healthiest first).

    Attributes
    ----------
    reports : dict of str to HealthReport
    ranking : DataFrame
        One row per scenario: rank, health, n_fail, n_warn, failing, warning, health_score.
    """

    reports: dict[str, HealthReport]
    ranking: pd.DataFrame

    @property
    def status(self) -> str:
        st = {r.status for r in self.reports.values()}
        return "fail" if "fail" in st else "warn" if "warn" in st else "pass"

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def __getitem__(self, name: str) -> HealthReport:
        return self.reports[name]

    def to_frame(self) -> pd.DataFrame:
        """Every check of every scenario, long format (scenario, check, value, status, ...)."""
        frames = [r.to_frame().assign(scenario=n) for n, r in self.reports.items()]
        if not frames:
            return pd.DataFrame(columns=["scenario", "check", "status"])
        out = pd.concat(frames, ignore_index=True)
        return out[["scenario", *[c for c in out.columns if c != "scenario"]]]

    def __repr__(self) -> str:
        return f"BatchHealth(scenarios={len(self.reports)}, status={self.status})\n" + (
            self.ranking.to_string(index=False) if len(self.ranking) else ""
        )


def rank(reports: Mapping[str, HealthReport]) -> pd.DataFrame:
    """Scenarios ranked by health: fewest failures, then fewest warnings, then closest to the
    bands."""
    rows = [r.summary_row() for r in reports.values()]
    if not rows:
        return pd.DataFrame(columns=["rank", "scenario", "health", "n_fail", "n_warn"])
    fr = pd.DataFrame(rows).sort_values(["n_fail", "n_warn", "health_score"], kind="stable")
    fr.insert(0, "rank", np.arange(1, len(fr) + 1))
    return fr.reset_index(drop=True)


# ---------------------------------------------------------------------- what a check reads
@dataclass(frozen=True)
class PlanView:
    """The parts of a finished plan the checks read: its result tables, targets and comp plan.

    Build it with :meth:`of`; tests build it from hand-made tables.

    Attributes
    ----------
    name : str
    tables : dict of str to DataFrame
        Result tables by name (``summary``, ``quota_annual``, ``comp_per_rep``, ``comp_draws``,
        ``territories``, ``assignment``, ``backtest``, ...), see
        :func:`spmopt.scenario.tables.result_tables`.
    targets : PlanningTargets or None
    plan : CompPlan or None
        The scenario's comp plan (overrides applied).
    sales : DataFrame or None
        Account sales history (for the revenue moved by a realignment).
    """

    name: str
    tables: Mapping[str, pd.DataFrame]
    targets: Any = None
    plan: Any = None
    sales: pd.DataFrame | None = None

    @classmethod
    def of(cls, result: Any, data: Any = None) -> PlanView:
        """The view of a ScenarioResult, StoredResult, or a ``spmopt plan`` output folder."""
        if isinstance(result, PlanView):
            return result
        if isinstance(result, (str, os.PathLike)):
            return _view_of_folder(Path(result), data)
        tables = result.tables() if callable(getattr(result, "tables", None)) else result.tables
        scenario = getattr(result, "scenario", None)
        name = getattr(scenario, "name", "plan")
        if data is None and scenario is not None:
            data = _scenario_data(scenario)
        plan = None
        if data is not None and getattr(data, "plan", None) is not None:
            from spmopt.comp import CompPlan

            try:
                plan = CompPlan.from_dict(data.plan, source="comp plan")
            except ConfigError:
                plan = None
        return cls(
            name=name,
            tables=dict(tables),
            targets=getattr(data, "targets", None),
            plan=plan,
            sales=getattr(data, "sales", None),
        )

    def table(self, name: str) -> pd.DataFrame | None:
        t = self.tables.get(name)
        return t if isinstance(t, pd.DataFrame) and len(t) else None

    def summary(self, key: str) -> float:
        s = self.table("summary")
        if s is None or key not in s:
            return float("nan")
        return _num(s[key].iloc[0])


def _num(v: Any) -> float:
    try:
        out = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return out


def _scenario_data(scenario: Any) -> Any:
    """The scenario's view of its planning data (plan overrides applied), or None."""
    from spmopt.scenario.pipeline import load_data, prepare_data

    try:
        data = load_data(scenario.data)
    except Exception:  # the data moved since the run: check what the tables allow
        return None
    try:
        data, _ = prepare_data(scenario, data)
    except Exception:
        pass
    return data


def _view_of_folder(path: Path, data: Any) -> PlanView:
    if not path.is_dir():
        raise ConfigError(f"{path} is not a folder of plan outputs (spmopt plan --out)")
    files = {p.stem: p for p in path.glob("*.csv")} | {p.stem: p for p in path.glob("*.parquet")}
    if "summary" not in files:
        raise ConfigError(
            f"{path} holds no summary.csv: give the --out folder of `spmopt plan`, a scenario "
            "folder of a run, or a run folder of `spmopt batch`"
        )
    from spmopt.scenario.config import Scenario

    tables = {
        k: pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
        for k, p in files.items()
    }
    scen_file = path / "scenario.yaml"
    scenario = Scenario.from_yaml(scen_file) if scen_file.is_file() else None

    class _R:
        pass

    r = _R()
    r.tables = tables  # type: ignore[attr-defined]
    r.scenario = scenario  # type: ignore[attr-defined]
    view = PlanView.of(r, data)
    return view if scenario is not None else PlanView(path.name, tables, view.targets, view.plan)


# ---------------------------------------------------------------------- the checks
def _mk(
    name: str,
    label: str,
    value: float,
    band: Band,
    why: Mapping[str, str],
    levers: Mapping[str, str],
    unit: str = "share",
) -> HealthCheck:
    status = band.status(value)
    if status == "n/a":
        return HealthCheck(name, label, value, band, "n/a", why.get("na", "not measured"), "", unit)
    side = band.side(value)
    return HealthCheck(
        name, label, value, band, status, why[side], levers.get(side, "") if side != "ok" else "",
        unit,
    )  # fmt: skip


def _na(name: str, label: str, band: Band, what: str, unit: str = "share") -> HealthCheck:
    return HealthCheck(name, label, float("nan"), band, "n/a", f"not measured: {what}", "", unit)


def _pct(v: float) -> str:
    return _fmt(v, "share")


def check_share_at_quota(v: PlanView, b: HealthBands) -> HealthCheck:
    """Expected share of reps at or above quota."""
    x = v.summary("share_at_quota")
    oa = v.summary("over_assignment")
    return _mk(
        "share_at_quota",
        "reps expected at quota",
        x,
        b["share_at_quota"],
        {
            "low": f"only {_pct(x)} of reps are expected to reach quota: quotas sit above what "
            "the forecast supports"
            + (f" (over-assignment {_pct(oa)})" if oa == oa else "")
            + ", so most reps will miss.",
            "high": f"{_pct(x)} of reps are expected at quota: quotas are soft against the "
            "forecast and pay out without stretch.",
            "ok": f"{_pct(x)} of reps are expected at quota.",
            "na": "not measured: the result has no share at quota",
        },
        {
            "low": "lower the company target or quota.over_assignment, or set "
            "quota.options.target_attainment (e.g. 0.65) so quotas are set for achievability",
            "high": "raise quota.over_assignment or the company target",
        },
    )


def _attainment(v: PlanView) -> np.ndarray:
    pr = v.table("comp_per_rep")
    if pr is not None and "expected_attainment" in pr:
        a = pr["expected_attainment"].to_numpy(float)
        if "active_share" in pr:
            a = a[pr["active_share"].to_numpy(float) > 0]
        return a[np.isfinite(a)]
    return np.array([])


def quantile_skew(x: np.ndarray) -> float:
    """Quantile (Kelly) skewness ``(q90 + q10 - 2 q50) / (q90 - q10)``, in [-1, 1]; 0 for a
    symmetric spread, positive when the upper tail is the longer."""
    if len(x) < 3:
        return float("nan")
    q10, q50, q90 = np.quantile(x, [0.1, 0.5, 0.9])
    if q90 - q10 <= 1e-12:
        return 0.0
    return float((q90 + q10 - 2 * q50) / (q90 - q10))


def check_attainment_skew(v: PlanView, b: HealthBands) -> HealthCheck:
    """Shape of the attainment distribution over reps and simulated years: quantile skewness of
    the mixture of each rep's log-normal attainment (fitted to its P10 / P50 / P90), or of the
    reps' expected attainment when those are missing."""
    from spmopt.health.gap import pooled_quantile

    a = _attainment(v)
    band = b["attainment_skew"]
    if len(a) < 3:
        return _na("attainment_skew", "attainment distribution skew", band, "no per-rep "
                   "attainment", "number")  # fmt: skip
    pr = v.table("comp_per_rep")
    try:
        q10, q50, q90 = (pooled_quantile(pr, q) for q in (0.1, 0.5, 0.9))  # type: ignore[arg-type]
        x = 0.0 if q90 - q10 <= 1e-9 else (q90 + q10 - 2 * q50) / (q90 - q10)
        med = q50
    except ConfigError:
        x = quantile_skew(a)
        med = float(np.median(a))
    return _mk(
        "attainment_skew",
        "attainment distribution skew",
        x,
        band,
        {
            "low": f"attainment across reps is skewed to the low side (skew {x:.2f}, median "
            f"{_pct(med)}): a long tail of reps far below quota, the sign of quotas set apart "
            "from their territories' prospects.",
            "high": "",
            "ok": f"attainment across reps is positively skewed or even (skew {x:.2f}, median "
            f"{_pct(med)}).",
        },
        {
            "low": "set quotas closer to each territory's forecast (quota.method 'blend' or "
            "'forecast', or quota.options.target_attainment)",
        },
        unit="number",
    )


def check_over_assignment(v: PlanView, b: HealthBands) -> HealthCheck:
    """Sum of quotas over the company target, minus one."""
    x = v.summary("over_assignment")
    return _mk(
        "over_assignment",
        "over-assignment",
        x,
        b["over_assignment"],
        {
            "low": f"quotas add up to only {_pct(x)} above the target: a few misses put the "
            "target out of reach.",
            "high": f"quotas add up to {_pct(x)} above the target: reps carry far more than the "
            "company needs, and fewer make quota.",
            "ok": f"quotas add up to {_pct(x)} above the target.",
        },
        {
            "low": "raise quota.over_assignment (10-20% is common)",
            "high": "lower quota.over_assignment",
        },
    )


def revenue_draws(v: PlanView) -> np.ndarray:
    """Simulated company revenue of the plan year, one value per draw [currency]."""
    d = v.table("comp_draws")
    if d is not None and "revenue" in d:
        return d["revenue"].to_numpy(float)
    return np.array([])


def p_make(v: PlanView, target: float) -> float:
    """Probability the company's plan-year revenue reaches ``target``."""
    r = revenue_draws(v)
    if len(r) and target == target:
        return float((r >= target).mean())
    cs = v.table("comp_summary")
    if cs is None or not {"expected_revenue", "revenue_p10", "revenue_p90"} <= set(cs):
        return float("nan")
    from scipy.stats import norm

    mu = float(cs["expected_revenue"].iloc[0])
    sd = (float(cs["revenue_p90"].iloc[0]) - float(cs["revenue_p10"].iloc[0])) / (2 * 1.2816)
    return float(norm.sf(target, mu, max(sd, 1e-9)))


def check_p_make_target(v: PlanView, b: HealthBands) -> HealthCheck:
    """Probability the company makes its revenue target."""
    tgt = v.summary("company_target")
    x = p_make(v, tgt)
    fc = v.summary("forecast_revenue")
    return _mk(
        "p_make_target",
        "probability of making the target",
        x,
        b["p_make_target"],
        {
            "low": f"the company reaches its target of {_fmt(tgt, 'money')} in only {_pct(x)} "
            f"of simulated years: the bottom-up forecast ({_fmt(fc, 'money')}) falls short of it.",
            "high": "",
            "ok": f"the company reaches its target of {_fmt(tgt, 'money')} in {_pct(x)} of "
            "simulated years.",
            "na": "not measured: no revenue draws or target",
        },
        {"low": "lower the company target toward the forecast, or add capacity (more reps)"},
    )


def check_ccos(v: PlanView, b: HealthBands) -> HealthCheck:
    """Expected incentive cost of sales (incentive / revenue)."""
    x = v.summary("ccos")
    return _mk(
        "ccos",
        "comp cost of sales (CCOS)",
        x,
        b["ccos"],
        {
            "low": f"incentive pay is only {_pct(x)} of revenue: the plan may not motivate.",
            "high": f"incentive pay is {_pct(x)} of revenue, above the band: the plan costs more "
            "than the business can carry.",
            "ok": f"incentive pay is {_pct(x)} of revenue.",
        },
        {
            "low": "raise target incentives or the accelerator rates",
            "high": "lower the accelerator rates or target incentives, or raise quotas",
        },
    )


def check_margin(v: PlanView, b: HealthBands) -> HealthCheck:
    """Expected margin after all sales compensation."""
    x = v.summary("margin_after_comp")
    return _mk(
        "margin_after_comp",
        "margin after comp",
        x,
        b["margin_after_comp"],
        {
            "low": f"margin after sales pay is {_pct(x)}, below the floor of "
            f"{_pct(b['margin_after_comp'].lo)}.",
            "high": "",
            "ok": f"margin after sales pay is {_pct(x)}.",
        },
        {"low": "cut comp cost (accelerators, target incentives) or raise the revenue base"},
    )


def check_pay_mix(v: PlanView, b: HealthBands) -> HealthCheck:
    """Base salary share of on-target earnings, over all reps."""
    pr = v.table("comp_per_rep")
    band = b["pay_mix"]
    if pr is None or not {"base_salary", "target_incentive"} <= set(pr):
        return _na("pay_mix", "pay mix (base share of OTE)", band, "no per-rep pay")
    base = float(pr["base_salary"].sum())
    ote = base + float(pr["target_incentive"].sum())
    x = base / ote if ote > 0 else float("nan")
    mix = f"{x:.0%}/{1 - x:.0%}" if x == x else "n/a"
    return _mk(
        "pay_mix",
        "pay mix (base share of OTE)",
        x,
        band,
        {
            "low": f"the pay mix is {mix} base/incentive: too much pay at risk for "
            "quota-carrying reps.",
            "high": f"the pay mix is {mix} base/incentive: too little pay at risk to steer "
            "selling.",
            "ok": f"the pay mix is {mix} base/incentive.",
        },
        {
            "low": "move pay from target incentive to base salary",
            "high": "move pay from base salary to target incentive",
        },
    )


def _payout_ratio(plan: Any, attainment: float, pr: pd.DataFrame | None) -> float:
    """Incentive at ``attainment`` (every measure) as a multiple of target incentive, averaged
    over the reps' roles (weighted by head count)."""
    roles = plan.roles
    weights: dict[str, float] = {r: 1.0 for r in roles}
    if pr is not None and "role" in pr:
        counts = pr["role"].astype(str).value_counts()
        weights = {r: float(counts.get(r, 0)) for r in roles}
        if sum(weights.values()) == 0:
            weights = {r: 1.0 for r in roles}
    tot = 0.0
    for r, w in weights.items():
        if w == 0:
            continue
        names = roles[r].measure_names
        att: Any = {m: attainment for m in names} if len(names) > 1 else attainment
        pay = float(np.asarray(plan.payout(att, r)).ravel()[0])
        tot += w * pay / float(roles[r].incentive_target)
    return tot / sum(weights.values())


def check_payout_at_target(v: PlanView, b: HealthBands) -> HealthCheck:
    """Payout at 100% attainment as a multiple of target incentive."""
    band = b["payout_at_target"]
    if v.plan is None:
        return _na("payout_at_target", "payout at 100% of quota", band, "no comp plan", "ratio")
    x = _payout_ratio(v.plan, 1.0, v.table("comp_per_rep"))
    return _mk(
        "payout_at_target",
        "payout at 100% of quota",
        x,
        band,
        {
            "low": f"a rep at quota earns {x:.2f}x target incentive: the plan does not pay its "
            "promise at quota.",
            "high": f"a rep at quota earns {x:.2f}x target incentive: the plan pays more than "
            "its promise at quota.",
            "ok": f"a rep at quota earns {x:.2f}x target incentive.",
        },
        {
            "low": "check the tier rates below 100% and the clawback/gates",
            "high": "check the tier rates below 100% and the SPIFs",
        },
        unit="ratio",
    )


def check_payout_p90(v: PlanView, b: HealthBands) -> HealthCheck:
    """Payout of the rep at the 90th percentile of attainment, as a multiple of target
    incentive (the plan's upside)."""
    band = b["payout_p90"]
    a = _attainment(v)
    pr = v.table("comp_per_rep")
    if v.plan is None or len(a) < 3:
        return _na("payout_p90", "payout at the 90th percentile", band, "no comp plan or "
                   "attainment", "ratio")  # fmt: skip
    from spmopt.health.gap import pooled_quantile

    try:
        a90 = pooled_quantile(pr, 0.9) if pr is not None else float(np.quantile(a, 0.9))
    except ConfigError:
        a90 = float(np.quantile(a, 0.9))
    x = _payout_ratio(v.plan, a90, pr)
    return _mk(
        "payout_p90",
        "payout at the 90th percentile",
        x,
        band,
        {
            "low": f"a rep at the 90th percentile of attainment ({_pct(a90)}) earns only "
            f"{x:.2f}x target incentive: too little upside for top performers.",
            "high": f"a rep at the 90th percentile of attainment ({_pct(a90)}) earns {x:.2f}x "
            "target incentive: the upside is costly.",
            "ok": f"a rep at the 90th percentile of attainment ({_pct(a90)}) earns {x:.2f}x "
            "target incentive.",
        },
        {
            "low": "raise the accelerator rate above 100%",
            "high": "lower the accelerator rate above 100% or the cap",
        },
        unit="ratio",
    )


def _growth_check(v: PlanView, b: HealthBands, name: str, col: str, basis: str) -> HealthCheck:
    qa = v.table("quota_annual")
    label = f"quota growth vs {basis}"
    out_band = b["growth_outliers"]
    if qa is None or "quota" not in qa or col not in qa:
        return _na(name, label, out_band, f"no {basis} per rep")
    g_band = b[name]
    ref = qa[col].to_numpy(float)
    q = qa["territory_quota"].to_numpy(float) if "territory_quota" in qa else qa["quota"]
    q = np.asarray(q, float)
    ok = np.isfinite(ref) & (ref > 0)
    if not ok.any():
        return _na(name, label, out_band, f"no {basis} per rep")
    g = q[ok] / ref[ok] - 1.0
    ids = qa["rep_id"].astype(str).to_numpy()[ok] if "rep_id" in qa else np.arange(ok.sum())
    out = (g < g_band.lo - 1e-9) | (g > g_band.hi + 1e-9)
    x = float(out.mean())
    total = float(q[ok].sum() / ref[ok].sum() - 1.0)
    order = np.argsort(-np.abs(g - np.median(g)))
    named = [f"{ids[i]} {g[i]:+.0%}" for i in order if out[i]][:5]
    more = f" and {int(out.sum()) - len(named)} more" if out.sum() > len(named) else ""
    band_txt = f"{g_band.lo:+.0%} to {g_band.hi:+.0%}"
    return _mk(
        name,
        label,
        x,
        out_band,
        {
            "high": f"{int(out.sum())} of {len(g)} reps have quota growth vs {basis} outside "
            f"{band_txt} (overall {total:+.1%}): {', '.join(named)}{more}.",
            "ok": f"quota grows {total:+.1%} vs {basis} overall"
            + (
                f"; outside {band_txt}: {', '.join(named)}{more}"
                if named
                else f", every rep within {band_txt}"
            )
            + ".",
            "low": "",
        },
        {
            "high": "bound per-rep growth with quota.options growth_floor/growth_cap or "
            "forecast_floor/forecast_cap, or lower the roll-up (target, over-assignment)",
        },
    )


def check_growth_vs_last_year(v: PlanView, b: HealthBands) -> HealthCheck:
    """Share of reps whose quota growth over last year's actuals is outside its band."""
    return _growth_check(v, b, "growth_vs_last_year", "last_year", "last year")


def check_growth_vs_forecast(v: PlanView, b: HealthBands) -> HealthCheck:
    """Share of reps whose quota differs from their forecast by more than its band."""
    return _growth_check(v, b, "growth_vs_forecast", "forecast", "forecast")


def _upper_check(
    v: PlanView, b: HealthBands, name: str, key: str, label: str, texts: tuple[str, str, str]
) -> HealthCheck:
    """A check of one summary number that must stay below its band's top: ``texts`` is the
    reason when high, the reason when fine (``{x}`` is the value) and the lever."""
    x = v.summary(key)
    high, ok, lever = texts
    return _mk(
        name,
        label,
        x,
        b[name],
        {"high": high.format(x=_pct(x)), "ok": ok.format(x=_pct(x)), "low": ""},
        {"high": lever},
    )


def check_quota_spread(v: PlanView, b: HealthBands) -> HealthCheck:
    """Coefficient of variation of quota / potential across reps."""
    return _upper_check(v, b, "quota_potential_spread", "quota_spread",
        "quota / potential spread (CV)",
        ("quota per unit of potential varies by {x} (CV) across reps: equal territories carry "
         "unequal quotas.",
         "quota per unit of potential varies by {x} (CV) across reps.",
         "weight potential more (quota.method 'potential' or blend weights)"),
    )  # fmt: skip


def check_potential_balance(v: PlanView, b: HealthBands) -> HealthCheck:
    """Largest deviation of a territory's potential from its target."""
    return _upper_check(v, b, "potential_balance", "max_deviation_potential",
        "potential balance (largest deviation)",
        ("a territory's potential deviates by {x} from its target: reps get unequal "
         "opportunity.",
         "territory potential is within {x} of target.",
         "realign with a tighter territory.balance.potential"),
    )  # fmt: skip


def check_workload_balance(v: PlanView, b: HealthBands) -> HealthCheck:
    """Largest deviation of a territory's workload from the mean."""
    return _upper_check(v, b, "workload_balance", "max_deviation_workload",
        "workload balance (largest deviation)",
        ("a territory's workload deviates by {x} from the mean: some reps cannot cover their "
         "accounts while others idle.",
         "territory workload is within {x} of the mean.",
         "add workload to territory.balance (e.g. {potential: 0.05, workload: 0.20})"),
    )  # fmt: skip


def disruption_parts(v: PlanView) -> dict[str, float]:
    """Share of accounts moved, of revenue moved (last 12 months of sales) and of reps with
    accounts moved in or out."""
    out = {"accounts": float("nan"), "revenue": float("nan"), "reps": float("nan")}
    asg = v.table("assignment")
    if asg is not None and "moved" in asg:
        moved = asg["moved"].astype(str).str.lower().isin(("true", "1")).to_numpy()
        out["accounts"] = float(moved.mean())
        s = v.sales
        if s is not None and len(s) and {"account_id", "revenue", "period"} <= set(s):
            last = pd.to_datetime(s["period"]).max()
            recent = s.loc[pd.to_datetime(s["period"]) > last - pd.DateOffset(months=12)]
            rev = recent.groupby(recent["account_id"].astype(str))["revenue"].sum()
            r = rev.reindex(asg["account_id"].astype(str)).fillna(0.0).to_numpy(float)
            if r.sum() > 0:
                out["revenue"] = float(r[moved].sum() / r.sum())
    terr = v.table("territories")
    if terr is not None and {"moved_in", "moved_out"} <= set(terr):
        hit = (terr["moved_in"].fillna(0) > 0) | (terr["moved_out"].fillna(0) > 0)
        out["reps"] = float(hit.mean())
    return out


def check_disruption(v: PlanView, b: HealthBands) -> HealthCheck:
    x = v.summary("disruption_share")
    p = disruption_parts(v)
    bits = [
        f"{_pct(p['accounts'])} of accounts" if p["accounts"] == p["accounts"] else "",
        f"{_pct(p['revenue'])} of last year's revenue" if p["revenue"] == p["revenue"] else "",
    ]
    bits = [s for s in bits if s]
    reps = f", {_pct(p['reps'])} of reps affected" if p["reps"] == p["reps"] else ""
    moved = f" ({', '.join(bits)}{reps})" if bits or reps else ""
    return _mk(
        "disruption",
        "disruption (potential moved)",
        x,
        b["disruption"],
        {
            "high": f"{_pct(x)} of potential changes territory{moved}: customers lose their rep "
            "and reps their pipeline.",
            "ok": f"{_pct(x)} of potential changes territory{moved}.",
            "low": "",
        },
        {"high": "cap territory.max_disruption, or keep today's territories (realign: false)"},
    )


def check_forecast_calibration(v: PlanView, b: HealthBands) -> HealthCheck:
    """Backtest coverage of the 80% interval, by level; the value is the level furthest out."""
    band = b["forecast_calibration"]
    bt = v.table("backtest")
    if bt is None or "coverage_80" not in bt or "level" not in bt:
        return _na("forecast_calibration", "forecast calibration (80% interval)", band,
                   "no backtest")  # fmt: skip
    t = bt
    if "model" in t and (t["model"].astype(str) == "auto").any():
        t = t.loc[t["model"].astype(str) == "auto"]
    elif "model" in t:
        t = t.loc[t["model"].astype(str) == str(t["model"].iloc[0])]
    cov = t.set_index(t["level"].astype(str))["coverage_80"].astype(float)
    if cov.max() > 1.0 + 1e-9:  # given in percent
        cov = cov / 100.0
    dist = cov.map(lambda c: band.distance(float(c)))
    worst = str(dist.idxmax()) if dist.max() > 0 else str((cov - 0.8).abs().idxmax())
    x = float(cov[worst])
    by = ", ".join(f"{lv} {_pct(c)}" for lv, c in cov.items())
    return _mk(
        "forecast_calibration",
        "forecast calibration (80% interval)",
        x,
        band,
        {
            "low": f"the 80% forecast interval covered only {_pct(x)} at the {worst} level in "
            f"the backtest ({by}): the plan's risk is understated.",
            "high": f"the 80% forecast interval covered {_pct(x)} at the {worst} level ({by}): "
            "intervals are too wide.",
            "ok": f"the 80% forecast interval covered {by} in the backtest.",
        },
        {
            "low": "more backtest windows (forecast.n_windows, forecast.options "
            "n_windows) or another model; treat the cost and attainment ranges as too narrow",
            "high": "a model with tighter errors, or more history",
        },
    )


#: Every check, in the order a report shows them: name -> function(view, bands).
CHECKS: dict[str, Callable[[PlanView, HealthBands], HealthCheck]] = {
    "share_at_quota": check_share_at_quota,
    "attainment_skew": check_attainment_skew,
    "over_assignment": check_over_assignment,
    "p_make_target": check_p_make_target,
    "ccos": check_ccos,
    "margin_after_comp": check_margin,
    "pay_mix": check_pay_mix,
    "payout_at_target": check_payout_at_target,
    "payout_p90": check_payout_p90,
    "growth_vs_last_year": check_growth_vs_last_year,
    "growth_vs_forecast": check_growth_vs_forecast,
    "quota_potential_spread": check_quota_spread,
    "potential_balance": check_potential_balance,
    "workload_balance": check_workload_balance,
    "disruption": check_disruption,
    "forecast_calibration": check_forecast_calibration,
}


# ---------------------------------------------------------------------- entry point
def check(
    result: Any,
    *,
    bands: HealthBands | Mapping[str, Any] | None = None,
    data: Any = None,
    checks: Sequence[str] | None = None,
) -> Any:
    """Check a plan's health against the field's norms.

    Parameters
    ----------
    result : ScenarioResult, StoredResult, BatchResult, PlanView or path
        One finished scenario (in memory, read back from a run, or the ``--out`` folder of
        ``spmopt plan``), or a batch (a :class:`~spmopt.scenario.BatchResult` or a run folder of
        ``spmopt batch``).
    bands : HealthBands or mapping, optional
        The bands; a mapping changes the defaults as ``targets.yaml``'s ``health:`` does.
        Default: from the data's ``targets.yaml`` (its ``health``, ``ccos_band`` and
        ``margin_floor``), else the defaults of :class:`HealthBands`.
    data : PlanningData, optional
        The planning data (targets, comp plan, sales); read from the scenario when omitted.
    checks : sequence of str, optional
        Only these checks (names of :data:`CHECKS`).

    Returns
    -------
    HealthReport
        For one scenario; a :class:`BatchHealth` (one report per finished scenario, ranked)
        for a batch.

    Raises
    ------
    ConfigError
        An unknown check name or band key, or a path that holds no plan.

    Examples
    --------
    >>> report = spm.health.check(result)          # doctest: +SKIP
    >>> report.status, [c.name for c in report.failed]   # doctest: +SKIP
    ('fail', ['share_at_quota', 'p_make_target', ...])
    """
    from spmopt.scenario.batch import BatchResult

    if isinstance(result, BatchResult):
        reports = {}
        for name in result.summary.loc[result.summary["status"] != "failed", "scenario"]:
            reports[str(name)] = check(result.load(str(name)), bands=bands, data=data,
                                       checks=checks)  # fmt: skip
        return BatchHealth(reports, rank(reports))
    if isinstance(result, (str, os.PathLike)) and (Path(result) / "manifest.json").is_file():
        from spmopt.scenario.store import RunStore

        store = RunStore(result)
        summ = store.read_summary()
        reports = {
            str(n): check(store.load(str(n)), bands=bands, data=data, checks=checks)
            for n in summ.loc[summ["status"] == "done", "scenario"]
        }
        return BatchHealth(reports, rank(reports))
    view = PlanView.of(result, data)
    hb = _bands(bands, view.targets)
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ConfigError(f"unknown health check {unknown[0]!r}; checks: {', '.join(CHECKS)}")
    from spmopt.health.gap import target_gap

    try:
        gap = target_gap(view, aim=hb.aim_share_at_quota)
    except ConfigError:
        gap = None
    return HealthReport(
        scenario=view.name, checks=tuple(CHECKS[n](view, hb) for n in names), gap=gap, bands=hb
    )


def _bands(bands: HealthBands | Mapping[str, Any] | None, targets: Any) -> HealthBands:
    if isinstance(bands, HealthBands):
        return bands
    base = HealthBands.from_targets(targets)
    if bands is None:
        return base
    out = HealthBands.from_dict(bands, source="bands", base=base.bands)
    if "aim_share_at_quota" not in bands:  # keep the aim of targets.yaml
        out = dataclasses.replace(out, aim_share_at_quota=base.aim_share_at_quota)
    return out
