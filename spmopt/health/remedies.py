"""What would it take: the smallest changes of settings that bring a plan inside its bands.

:func:`remedies` runs a small sweep on the batch runner (:func:`spmopt.scenario.run_batch`)
around a scenario: over-assignment, quota method and its achievability aim, accelerator rates
and the company target, one at a time and then in pairs of the most helpful ones. Every
candidate reuses the base's territories and forecast (they do not depend on these settings), so
each costs one quota solve and one comp simulation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError

__all__ = ["MOVABLE", "Candidate", "Remedies", "remedies"]

#: Checks a change of quota or comp settings can move (territories and forecast stay as they
#: are): the default goals.
MOVABLE = (
    "share_at_quota",
    "attainment_skew",
    "over_assignment",
    "p_make_target",
    "ccos",
    "margin_after_comp",
    "payout_at_target",
    "payout_p90",
    "growth_vs_last_year",
    "growth_vs_forecast",
    "quota_potential_spread",
)


@dataclass(frozen=True)
class Candidate:
    """One change tried: setting updates (dotted paths), in words, how big it is and how many
    single changes it holds (``n``).

    ``size`` sums the relative size of each change: a target change by its share of the target,
    over-assignment by its change in points / 10, an accelerator by its factor's distance from 1,
    a method or achievability aim 0.1.
    """

    label: str
    updates: Mapping[str, Any]
    size: float
    n: int = 1

    def __add__(self, other: Candidate) -> Candidate:
        ups = dict(self.updates)
        for k, v in other.updates.items():
            if k == "quota.options" and k in ups:
                ups[k] = {**ups[k], **v}
            else:
                ups[k] = v
        return Candidate(
            f"{self.label} + {other.label}", ups, self.size + other.size, self.n + other.n
        )

    @property
    def keys(self) -> frozenset[str]:
        out = set()
        for k, v in self.updates.items():
            if isinstance(v, Mapping) and k in ("quota.options", "comp.plan_overrides"):
                out |= {f"{k}.{kk}" for kk in v}
            else:
                out.add(k)
        return frozenset(out)


@dataclass(frozen=True, repr=False)
class Remedies:
    """Changes ranked: those that bring every goal inside its band first, smallest first.

    Attributes
    ----------
    table : DataFrame
        One row per candidate (the unchanged plan included as ``rank`` 0): ``change``,
        ``n_changes``, ``size``, ``goals_met``, ``goals_warn`` (goals that only warn),
        ``health``, ``n_fail``, ``n_warn``, ``failing``, ``share_at_quota``, ``ccos``,
        ``expected_cost``, ``delta_cost`` [currency], ``margin_after_comp``, ``p_make_target``,
        ``scenario``.
    goals : tuple of str
        Checks that must not fail (with ``strict``: must pass).
    base : HealthReport
        The plan as it is (at the sweep's number of draws).
    reports : dict of str to HealthReport
        Health of every candidate, by scenario name.
    scenarios : dict of str to Scenario
        Every candidate's settings, by scenario name.
    seconds : float
        Wall time of the sweep.
    """

    table: pd.DataFrame
    goals: tuple[str, ...]
    base: Any
    reports: dict[str, Any] = field(default_factory=dict)
    scenarios: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """``found`` when some change meets every goal, else ``none``."""
        return "found" if self.found else "none"

    @property
    def ok(self) -> bool:
        return self.found

    def summary_row(self) -> dict[str, Any]:
        """One row: what was tried, whether it worked, and the best change."""
        best = self.table.loc[(self.table["rank"] > 0) & self.table["goals_met"]]
        return {
            "status": self.status,
            "n_tried": len(self.table) - 1,
            "best": best["change"].iloc[0] if len(best) else "",
            "seconds": round(self.seconds, 1),
        }

    @property
    def found(self) -> bool:
        """Some candidate meets every goal."""
        return bool(self.table["goals_met"].iloc[1:].any()) if len(self.table) > 1 else False

    @property
    def best(self) -> Any:
        """The top-ranked candidate that meets every goal (a Scenario), or None."""
        ok = self.table.loc[(self.table["rank"] > 0) & self.table["goals_met"]]
        return self.scenarios[ok["scenario"].iloc[0]] if len(ok) else None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def lines(self, n: int = 5) -> list[str]:
        """The top ``n`` changes, one line each, for people."""
        out = []
        base = self.table.iloc[0]
        for _, r in self.table.iloc[1 : n + 1].iterrows():
            if r["health"] == "error":
                out.append(f"{int(r['rank'])}. {r['change']}: could not be set: {r['failing']}")
                continue
            warn = int(r["goals_warn"])
            ok = (
                ("inside its bands" + (f" ({warn} warning)" if warn == 1 else
                                       f" ({warn} warnings)" if warn else ""))
                if r["goals_met"]
                else f"still failing: {r['failing'] or '-'}"
            )  # fmt: skip
            out.append(
                f"{int(r['rank'])}. {r['change']}: {ok}; reps at quota "
                f"{base['share_at_quota']:.0%} -> {r['share_at_quota']:.0%}, CCOS "
                f"{base['ccos']:.2%} -> {r['ccos']:.2%}, incentive cost "
                f"{r['delta_cost']:+,.0f}"
            )
        return out

    def __repr__(self) -> str:
        head = (
            f"Remedies({len(self.table) - 1} changes tried in {self.seconds:.0f} s; "
            f"{'found' if self.found else 'none'} inside the bands of {', '.join(self.goals)})"
        )
        return "\n".join([head, *(f"  {s}" for s in self.lines())])


# ---------------------------------------------------------------------- candidates
def _accelerator_updates(plan: Mapping[str, Any] | None, factor: float) -> dict[str, Any]:
    """Plan overrides multiplying every tier rate from 100% attainment on by ``factor``."""
    out: dict[str, Any] = {}
    if not plan or "roles" not in plan:
        return out
    for role, r in plan["roles"].items():
        for i, m in enumerate(r.get("measures", [])):
            for j, t in enumerate(m.get("tiers", [])):
                lo = float(t.get("from", 0.0))
                if abs(lo - 1.0) < 1e-9:  # the accelerator tier right above quota
                    out[f"roles.{role}.measures.{i}.tiers.{j}.rate"] = round(
                        float(t["rate"]) * factor, 4
                    )
    return out


def candidates(scenario: Any, report: Any, plan: Mapping[str, Any] | None) -> list[Candidate]:
    """The single changes tried around ``scenario`` given its health ``report``."""
    out: list[Candidate] = []
    q = scenario.quota
    oa_now = report["over_assignment"].value if "over_assignment" in report.names else 0.10
    oa_now = 0.10 if not oa_now == oa_now else float(oa_now)
    for oa in (0.05, 0.10, 0.15, 0.20):
        if abs(oa - oa_now) > 0.004:
            out.append(Candidate(f"over-assignment {oa:.0%}", {"quota.over_assignment": oa},
                                 abs(oa - oa_now) / 0.10))  # fmt: skip
    aim = report.bands.aim_share_at_quota
    if "target_attainment" not in q.options:
        for a in sorted({0.6, round(aim, 2)}):
            opts = {**q.options, "target_attainment": a}
            opts.setdefault("attainment_solver", "protect-and-resolve")  # seconds, not minutes
            out.append(Candidate(f"quota aim {a:.0%} of reps at quota", {"quota.options": opts},
                                 0.1))  # fmt: skip
    # each quota near its forecast and its last year; and the same without the floor on last
    # year, which clashes with the forecast cap where a forecast falls far below last year
    gl, gf = report.bands["growth_vs_last_year"], report.bands["growth_vs_forecast"]
    near = {"forecast_floor": gf.lo, "forecast_cap": gf.hi, "growth_cap": gl.hi}
    for bounds in ({**near, "growth_floor": gl.lo}, near):
        if any(q.options.get(k) != v for k, v in bounds.items()):
            ly = (
                f"{bounds['growth_floor']:+.0%}..{gl.hi:+.0%} of last year"
                if "growth_floor" in bounds
                else f"at most {gl.hi:+.0%} over last year"
            )
            out.append(
                Candidate(
                    f"each quota within {gf.lo:+.0%}..{gf.hi:+.0%} of its forecast and {ly}",
                    {"quota.options": {**q.options, **bounds}},
                    0.1,
                )
            )
    for m in ("blend", "potential", "forecast"):
        if m != q.method:
            out.append(Candidate(f"quota method {m}", {"quota.method": m}, 0.1))
    if plan:
        for f in (0.75, 1.25, 1.5):
            ups = _accelerator_updates(plan, f)
            if ups:
                merged = {**scenario.comp.plan_overrides, **ups}
                out.append(Candidate(f"accelerators x{f:g}", {"comp.plan_overrides": merged},
                                     abs(f - 1.0)))  # fmt: skip
    gap = report.gap
    if gap is not None and gap.target > 0 and math.isfinite(gap.consistent_target):
        now = gap.target
        want = round(gap.consistent_target, -5)
        tried = {want}
        if abs(want / now - 1) > 0.05:
            tried.add(round((now + want) / 2, -5))
        for t in sorted(tried):
            if abs(t / now - 1) > 0.005:
                label = f"company target {t:,.0f} ({t / now - 1:+.0%})"
                out.append(Candidate(label, {"quota.company_target": float(t)}, abs(t / now - 1)))
    return out


# ---------------------------------------------------------------------- the sweep
def remedies(
    scenario: Any,
    goals: Sequence[str] | Mapping[str, Any] | None = None,
    *,
    data: Any = None,
    n_draws: int = 2000,
    pairs: int = 12,
    client: Any = None,
    n_workers: int | None = 0,
    extra: Sequence[Candidate] = (),
    strict: bool = False,
) -> Remedies:
    """Find the smallest changes of settings that bring a plan inside its bands.

    Parameters
    ----------
    scenario : Scenario, path of a scenario YAML or ScenarioResult
        The plan to repair. A result is reused as it is (its territories and forecast); a
        scenario is run first.
    goals : sequence of check names or mapping of check name to band, optional
        Checks that must pass (default :data:`MOVABLE`: every check quota and comp settings
        can move). A mapping also sets those checks' pass bands (``{"share_at_quota": [0.6,
        0.7]}``), as ``targets.yaml`` does.
    data : PlanningData, optional
        The planning data (default: read from the scenario).
    n_draws : int
        Monte Carlo draws of each candidate's comp simulation (fewer than a full run, for
        speed; the unchanged plan is re-simulated at the same number so effects compare).
    pairs : int
        How many pairs of changes to try when no single change meets every goal: the most
        helpful change with each other one, then the next most helpful (0 for singles only).
    client, n_workers
        Passed to :func:`spmopt.scenario.run_batch` (default ``n_workers=0``: in this process,
        no Dask).
    extra : sequence of Candidate
        Further changes to try.
    strict : bool
        A goal is met when its check passes; by default also when it only warns (inside the
        warn band). Among the changes that meet every goal, fewer warnings rank first.

    Returns
    -------
    Remedies

    Raises
    ------
    ConfigError
        An unknown goal name.
    """
    import time

    from spmopt.health.bands import HealthBands
    from spmopt.health.checks import CHECKS, check
    from spmopt.scenario.batch import run_batch
    from spmopt.scenario.config import Scenario
    from spmopt.scenario.pipeline import ScenarioResult, load_data, prepare_data, run

    t0 = time.perf_counter()
    base_result: ScenarioResult | None = None
    if isinstance(scenario, ScenarioResult):
        base_result, s = scenario, scenario.scenario
    elif isinstance(scenario, (str, Path)):
        s = Scenario.from_yaml(scenario)
    elif isinstance(scenario, Scenario):
        s = scenario
    else:
        raise ConfigError(
            f"remedies() takes a Scenario, a scenario YAML path or a ScenarioResult, got "
            f"{type(scenario).__name__}"
        )
    band_over: Mapping[str, Any] | None = None
    if goals is None:
        goal_names: tuple[str, ...] = MOVABLE
    elif isinstance(goals, Mapping):
        goal_names, band_over = tuple(goals), goals
    else:
        goal_names = tuple(goals)
    unknown = [g for g in goal_names if g not in CHECKS]
    if unknown:
        raise ConfigError(f"remedies: unknown goal {unknown[0]!r}; checks: {', '.join(CHECKS)}")
    if data is None:
        data = load_data(s.data)
    pdata, _ = prepare_data(s, data)
    bands = HealthBands.from_targets(pdata.targets)
    if band_over:
        from spmopt.health.checks import _bands

        bands = _bands(band_over, pdata.targets)
    if base_result is None:
        base_result = run(s, data=data)

    def health(res: Any) -> Any:
        d = pdata if res is base_result else None
        return check(res, bands=bands, data=d if d is not None else _data_for(res, data))

    first = health(base_result)
    singles = [*candidates(s, first, pdata.plan), *extra]
    s0 = s.with_updates({"comp.n_draws": n_draws}, name=f"{s.name}__as_is")

    def sweep(cands: list[Candidate], offset: int) -> dict[str, tuple[Candidate, Any, Any, float]]:
        scen = [
            s0.with_updates(dict(c.updates), name=f"{s.name}__remedy{offset + i}")
            for i, c in enumerate(cands)
        ]
        batch = run_batch(scen, client=client, n_workers=n_workers, progress=False,
                          keep_results=True, reuse=[base_result])  # fmt: skip
        out = {}
        for c, sc in zip(cands, scen):
            if sc.name in batch.results:
                res = batch.results[sc.name]
                cost = float(res.summary["expected_cost"].iloc[0])
                out[sc.name] = (c, sc, health(res), cost)
            elif sc.name in batch.errors:
                failures[sc.name] = (c, batch.errors[sc.name].message.split("\n")[0][:200])
        return out

    failures: dict[str, tuple[Candidate, str]] = {}

    as_is = sweep([Candidate("no change", {}, 0.0)], 0)
    base_rep = next(iter(as_is.values()))[2]
    done = sweep(singles, 1)
    if pairs and not any(_meets(x[2], goal_names, strict) for x in done.values()):
        # the most helpful change with each other one (those that failed alone included: a
        # bound on quotas may need a lower target first), then the next most helpful ones
        ranked = [x[0] for x in sorted(done.values(), key=lambda x: _goal_score(x[2], goal_names))]
        failed = [c for c in singles if c not in ranked]
        top = ranked[:4]
        tries = [(a, b) for b in failed for a in top]  # a bound may need another change first
        tries += [(a, b) for i, a in enumerate(top) for b in ranked[i + 1 :]]
        combos: list[Candidate] = []
        for a, b in tries:
            if not (a.keys & b.keys) and len(combos) < pairs:
                combos.append(a + b)
        done.update(sweep(combos, 1 + len(singles)))
    if not any(_meets(x[2], goal_names, strict) for x in done.values()):
        done.update(sweep(_re_aimed(done, goal_names, s), 1 + len(done)))
    rows = []
    all_runs = {**as_is, **done}
    base_cost = next(iter(as_is.values()))[3]
    for name, (c, _sc, rep, cost) in all_runs.items():
        rows.append(
            {
                "change": c.label,
                "n_changes": c.n,
                "size": round(c.size, 4),
                "goals_met": _meets(rep, goal_names, strict),
                "goals_warn": sum(rep[g].status == "warn" for g in goal_names),
                "health": rep.status,
                "n_fail": len(rep.failed),
                "n_warn": len(rep.warnings),
                "failing": ", ".join(x.name for x in rep.failed if x.name in goal_names),
                "share_at_quota": rep["share_at_quota"].value,
                "ccos": rep["ccos"].value,
                "expected_cost": cost,
                "delta_cost": cost - base_cost,
                "margin_after_comp": rep["margin_after_comp"].value,
                "p_make_target": rep["p_make_target"].value,
                "goal_score": _goal_score(rep, goal_names),
                "scenario": name,
            }
        )
    for name, (c, msg) in failures.items():
        rows.append(
            {"change": c.label, "n_changes": c.n, "size": round(c.size, 4), "goals_met": False,
             "goals_warn": 0, "health": "error", "failing": msg, "goal_score": math.inf,
             "scenario": name}
        )  # fmt: skip
    tab = pd.DataFrame(rows)
    head, rest = tab.iloc[:1], tab.iloc[1:]
    met = rest.loc[rest["goals_met"]].sort_values(
        ["goals_warn", "n_changes", "size", "goal_score"], kind="stable"
    )
    unmet = rest.loc[~rest["goals_met"]]
    unmet = unmet.assign(_err=unmet["health"] == "error").sort_values(
        ["_err", "goal_score", "n_changes", "size"], kind="stable"
    )
    rest = pd.concat([met, unmet.drop(columns="_err")])
    tab = pd.concat([head, rest], ignore_index=True)
    tab.insert(0, "rank", np.arange(len(tab)))
    return Remedies(
        table=tab,
        goals=goal_names,
        base=base_rep,
        reports={n: x[2] for n, x in all_runs.items()},
        scenarios={n: x[1] for n, x in all_runs.items()},
        seconds=time.perf_counter() - t0,
    )


def _data_for(res: Any, data: Any) -> Any:
    from spmopt.scenario.pipeline import prepare_data

    try:
        return prepare_data(res.scenario, data)[0]
    except Exception:
        return data


def _re_aimed(
    done: Mapping[str, tuple[Candidate, Any, Any, float]], goals: Sequence[str], s: Any
) -> list[Candidate]:
    """The closest candidates that change the target, with the target re-aimed from their own
    target gap (bounds and methods move the share at quota the first estimate assumed)."""
    out: list[Candidate] = []
    seen: set[float] = set()
    ranked = sorted(done.values(), key=lambda x: _goal_score(x[2], goals))
    for c, _sc, rep, _cost in ranked:
        if "quota.company_target" not in c.updates or rep.gap is None or len(out) >= 3:
            continue
        t = round(float(rep.gap.consistent_target), -5)
        old = float(c.updates["quota.company_target"])
        if abs(t - old) < 50_000 or t in seen or not math.isfinite(t):
            continue
        seen.add(t)
        now = float(s.quota.company_target or rep.gap.target)
        parts = [p for p in c.label.split(" + ") if not p.startswith("company target")]
        label = " + ".join([f"company target {t:,.0f} ({t / now - 1:+.0%})", *parts])
        size = c.size - abs(old / now - 1) + abs(t / now - 1)
        out.append(Candidate(label, {**c.updates, "quota.company_target": t}, size, c.n))
    return out


def _meets(rep: Any, goals: Sequence[str], strict: bool = False) -> bool:
    ok = ("pass",) if strict else ("pass", "warn")
    return all(rep[g].status in ok for g in goals)


def _goal_score(rep: Any, goals: Sequence[str]) -> float:
    s = 0.0
    for g in goals:
        c = rep[g]
        if c.status == "fail":
            s += 100.0 + min(c.band.distance(c.value), 10.0)
        elif c.status == "warn":
            s += 10.0 + min(c.band.distance(c.value), 10.0)
    return s
