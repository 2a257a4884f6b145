"""One scenario end to end on the real stages, the run folder, headcount what-ifs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt.errors import ConfigError, DataError
from spmopt.scenario import RunStore, Scenario, ScenarioResult, Stages, load_data, run
from spmopt.scenario.headcount import adjust_headcount
from spmopt.scenario.tables import TABLE_NAMES
from spmopt.territory import AlignmentResult


def small(data_dir: Path, **settings: Any) -> Scenario:
    s = Scenario(
        name="small",
        data=str(data_dir),
        seed=5,
        forecast={"n_windows": 1},
        comp={"n_draws": 2000},
    )
    return s.with_updates(settings) if settings else s


@pytest.fixture(scope="module")
def result(data_dir: Path) -> ScenarioResult:
    return run(small(data_dir))


def test_end_to_end_on_the_real_stages(result: ScenarioResult, data_dir: Path) -> None:
    data = load_data(str(data_dir))
    s = result.scenario
    # territories: every account once, balance within tolerance
    asg = result.alignment.assignment
    assert sorted(asg["account_id"]) == sorted(data.accounts["account_id"])
    assert set(asg["rep_id"]) <= set(data.reps["rep_id"])
    row = result.summary.iloc[0]
    assert row["max_deviation_potential"] <= s.territory.balance["potential"] + 1e-6
    # forecast: twelve months of the plan year for every level
    fr = result.forecast.frame
    assert set(fr["level"]) >= {"rep", "region", "total"}
    total = fr.loc[fr["level"] == "total"]
    assert len(total) == 12
    assert pd.to_datetime(total["ds"]).dt.year.eq(data.targets.plan_year).all()
    assert row["forecast_revenue"] == pytest.approx(total["yhat"].sum())
    assert np.isfinite(row["forecast_mase"]) and row["forecast_mase"] > 0
    # quotas roll up to target x (1 + over-assignment of targets.yaml), in whole increments
    target = data.targets.company_revenue_target * (1 + data.targets.over_assignment)
    assert row["quota_total"] == pytest.approx(target, abs=s.quota.increment / 2)
    assert row["over_assignment"] == pytest.approx(data.targets.over_assignment, abs=1e-3)
    q = result.quotas.annual["quota"].to_numpy()
    assert np.allclose(q / s.quota.increment, np.round(q / s.quota.increment))
    # comp: a distribution, with the checks against targets.yaml
    assert row["cost_p10"] <= row["expected_cost"] <= row["cost_p90"]
    assert 0 <= row["share_at_quota"] <= 1
    assert row["ccos"] == pytest.approx(result.cost.summary["ccos"])
    assert row["passes"] == result.cost.passed
    assert set(result.timings) == {"load", "prepare", "territory", "forecast", "quota", "comp",
                                   "summary", "health"}  # fmt: skip
    # health: one report, its verdict in the summary row and its checks as a table
    assert result.health is not None and row["health"] == result.health.status
    assert row["n_fail"] == len(result.health.failed)
    assert list(result.tables()["health"]["check"]) == list(result.health.names)
    assert "small" in repr(result)


def test_equal_seeds_give_equal_results(result: ScenarioResult, data_dir: Path) -> None:
    again = run(small(data_dir))
    a, b = result.summary.drop(columns="seconds"), again.summary.drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(result.quotas.quotas, again.quotas.quotas)


def test_result_tables_and_run_folder(result: ScenarioResult, tmp_path: Path) -> None:
    tables = result.tables()
    names = ["summary", "assignment", "territories", "forecast", "quotas", "quota_annual"]
    names += ["comp_summary", "comp_per_rep", "comp_checks", "comp_draws", "history"]
    for name in names:
        assert name in tables and len(tables[name]), name
    assert set(tables) <= set(TABLE_NAMES)
    store = RunStore(tmp_path / "run")
    store.write_result(result)
    assert store.is_done(result.scenario)
    assert not store.is_done(result.scenario.with_updates({"seed": 6}))
    back = store.load("small")
    assert back.scenario == result.scenario
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(_norm(back.tables[name]), _norm(frame), check_dtype=False)
    summ = pd.read_parquet(tmp_path / "run" / "summary.parquet")
    assert summ["scenario"].tolist() == ["small"] and summ["status"].tolist() == ["done"]
    with pytest.raises(ConfigError, match="no stored result"):
        store.load("other")


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas strings (None and NaN both missing), for comparing round trips."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype("string")
    return out


def test_what_ifs_change_the_right_stage(result: ScenarioResult, data_dir: Path) -> None:
    s = small(data_dir, **{"quota.over_assignment": 0.2, "comp.revenue_shock": -0.2})
    what_if = run(s, alignment=result.alignment, forecast=_fc(result))
    r0, r1 = result.summary.iloc[0], what_if.summary.iloc[0]
    assert r1["quota_total"] > r0["quota_total"]
    assert r1["over_assignment"] == pytest.approx(0.2, abs=1e-3)
    assert r1["share_at_quota"] < r0["share_at_quota"]
    assert r1["expected_cost"] < r0["expected_cost"]
    # upstream stages were given, not recomputed
    assert "territory" not in what_if.timings and "forecast" not in what_if.timings
    assert r1["disruption_share"] == r0["disruption_share"]


def test_plan_overrides_reach_the_simulation(result: ScenarioResult, data_dir: Path) -> None:
    s = small(data_dir, **{"comp.plan_overrides.roles.AE.target_incentive": 170_000.0,
                           "comp.plan_overrides.roles.AE.base_salary": 0.0})  # fmt: skip
    r = run(s, alignment=result.alignment, forecast=_fc(result))
    assert any("plan overrides" in n for n in r.notes)
    ae = result.cost.per_rep["role"] == "AE"
    before = result.cost.per_rep.loc[ae, "expected_incentive"].sum()
    after = r.cost.per_rep.loc[ae, "expected_incentive"].sum()
    assert after == pytest.approx(2 * before, rel=1e-6)


def _fc(result: ScenarioResult) -> Any:
    from spmopt.scenario import ForecastStage

    return ForecastStage(result.forecast, result.backtest, result.history)


def test_keep_current_alignment(data_dir: Path) -> None:
    r = run(small(data_dir, **{"territory.realign": False, "forecast.n_windows": 0}))
    assert r.alignment.status == "ok" and r.alignment.ok
    assert r.summary.iloc[0]["align_status"] == "current"
    assert r.summary.iloc[0]["disruption_share"] == 0
    assert np.isnan(r.summary.iloc[0]["forecast_mase"])


def test_stage_errors_name_the_stage(data_dir: Path) -> None:
    def broken(s: Scenario, data: Any, quotas: Any, fc: Any) -> Any:
        raise DataError("no revenue", table="sales", column="revenue")

    stages = dataclasses.replace(Stages(), comp=broken)
    with pytest.raises(DataError) as info:
        run(small(data_dir, **{"territory.realign": False, "forecast.n_windows": 0}),
            stages=stages)  # fmt: skip
    assert "in stage 'comp' of scenario 'small'" in info.value.__notes__[0]
    with pytest.raises(DataError, match="does not exist"):
        run(Scenario(data=str(data_dir / "missing")))
    with pytest.raises(ConfigError, match="plan file"):
        run(small(data_dir, **{"comp.plan": str(data_dir / "nope.yaml")}))


def test_headcount_fewer_and_more(data_dir: Path) -> None:
    data = load_data(str(data_dir))
    acc, reps, notes = adjust_headcount(data.accounts, data.reps, 6, plan_year=2027)
    assert len(reps) == 6 and reps["rep_id"].is_unique
    gone = set(data.reps["territory_id"]) - set(reps["territory_id"])
    assert len(gone) == 2
    assert not acc["current_territory"].isin(gone).any()
    assert (
        acc["current_territory"].isna().sum() == data.accounts["current_territory"].isin(gone).sum()
    )
    assert "removed territories" in notes[0]

    plan = {"roles": {"AE": {"base_salary": 1.0, "target_incentive": 2.0}}}
    acc2, reps2, _ = adjust_headcount(data.accounts, data.reps, 10, plan_year=2027, plan=plan)
    assert acc2 is data.accounts and len(reps2) == 10
    new = reps2.iloc[8:]
    assert new["rep_id"].tolist() == ["NEW01", "NEW02"] and reps2["territory_id"].is_unique
    assert (new["hire_date"] == pd.Timestamp("2027-01-01")).all()
    assert (new["base_salary"] == 1.0).all() and (new["target_incentive"] == 2.0).all()
    lat, lon = data.accounts["lat"], data.accounts["lon"]
    assert new["lat"].between(lat.min(), lat.max()).all()
    assert new["lon"].between(lon.min(), lon.max()).all()
    with pytest.raises(ConfigError, match="allowed 1 to 300"):
        adjust_headcount(data.accounts, data.reps, 0)


def test_fewer_territories_end_to_end(result: ScenarioResult, data_dir: Path) -> None:
    r = run(small(data_dir, **{"territory.n_territories": 6, "forecast.n_windows": 0}))
    assert len(r.reps) == 6 and r.summary.iloc[0]["n_territories"] == 6
    assert r.alignment.assignment["rep_id"].nunique() == 6
    assert set(r.quotas.annual["rep_id"]) == set(r.reps["rep_id"])
    row = r.summary.iloc[0]
    assert row["quota_total"] == pytest.approx(result.summary.iloc[0]["quota_total"])


def test_run_accepts_a_yaml_path(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        f"data: {data_dir}\nterritory: {{realign: false}}\nforecast: {{n_windows: 0}}\n"
        "comp: {n_draws: 500}\n",
        encoding="utf-8",
    )
    r = spm.scenario.run(f)
    assert r.scenario.name == "s" and r.summary.iloc[0]["scenario"] == "s"
    with pytest.raises(ConfigError, match="takes a Scenario"):
        run(42)  # type: ignore[arg-type]


def test_infeasible_territories_stop_the_scenario(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spmopt.territory
    from spmopt.errors import InfeasibleError

    seen: dict[str, Any] = {}

    class Infeasible:
        def __init__(self, balance: Any, **kw: Any) -> None:
            seen.update(balance=balance, **kw)

        def solve(self, accounts: Any, reps: Any) -> Any:
            return AlignmentResult(
                assignment=pd.DataFrame(),
                summary=pd.DataFrame(),
                metrics={},
                status="infeasible",
                diagnosis="balance on 'potential': ±41%",
            )

    # the scenario is checked against the real aligner; the run then meets the fake one
    s = small(
        data_dir, **{"territory.max_disruption": 0.1, "territory.options": {"method": "heuristic"}}
    )
    monkeypatch.setattr(spmopt.territory, "TerritoryAligner", Infeasible)
    with pytest.raises(InfeasibleError, match=r"alignment is infeasible: balance on 'potential'"):
        run(s)
    # the scenario's settings reached the aligner
    assert seen["balance"] == {"potential": 0.05} and seen["max_disruption"] == 0.1
    assert seen["seed"] == 5 and seen["method"] == "heuristic"
    assert seen["solver"].time_limit == 60 and seen["solver"].seed == 5
