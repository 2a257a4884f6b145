"""The example plans tell a true story: the base case passes its health checks, the stretch
target of the aggressive scenario fails them, and the remedies bring it inside its bands."""

from __future__ import annotations

from pathlib import Path

import pytest

import spmopt as spm
from spmopt.cli import main
from spmopt.health import MOVABLE_GOALS, check, remedies
from spmopt.scenario.pipeline import ForecastStage, ScenarioResult, run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base() -> ScenarioResult:
    return run(ROOT / "scenarios" / "base.yaml")


def _on_base(base: ScenarioResult, scenario: spm.Scenario) -> ScenarioResult:
    """``scenario`` on the base's territories and forecast (same settings: same results)."""
    assert scenario.stage_key("forecast") == base.scenario.stage_key("forecast")
    fc = ForecastStage(base.forecast, base.backtest, base.history)
    return run(scenario, alignment=base.alignment, forecast=fc)


@pytest.fixture(scope="module")
def aggressive(base: ScenarioResult) -> ScenarioResult:
    return _on_base(base, spm.Scenario.from_yaml(ROOT / "scenarios" / "aggressive.yaml"))


def test_base_is_inside_the_norms(base: ScenarioResult) -> None:
    rep = base.health
    assert rep is not None and rep.ok, rep
    assert not rep.failed
    for name in ("share_at_quota", "ccos", "margin_after_comp", "potential_balance",
                 "workload_balance", "p_make_target", "forecast_calibration"):  # fmt: skip
        assert rep[name].status == "pass", rep[name]
    assert 0.60 <= rep["share_at_quota"].value <= 0.70
    assert rep["workload_balance"].value <= 0.20 + 1e-6
    row = base.summary.iloc[0]
    assert row["health"] == rep.status and row["n_fail"] == 0


def test_aggressive_fails_and_says_why(aggressive: ScenarioResult) -> None:
    rep = aggressive.health
    assert rep is not None and rep.status == "fail"
    failed = {c.name for c in rep.failed}
    assert {"share_at_quota", "p_make_target"} <= failed
    assert rep["share_at_quota"].value < 0.30
    assert "64,600,000" in rep["p_make_target"].reason
    gap = rep.gap
    assert gap is not None and gap.target == 64_600_000
    assert gap.gap > 0 and gap.p_make_target < 0.2
    # the target consistent with 65% of reps at quota lies below the forecast, and quotas
    # scaled to it would put 65% at quota by the same model
    assert gap.consistent_target < gap.forecast < gap.target
    assert gap.share_at_quota == pytest.approx(rep["share_at_quota"].value)
    assert len(gap.by_region) >= 2 and gap.by_region["share_of_gap"].max() > 0


def test_remedies_bring_the_aggressive_plan_inside_its_bands(
    base: ScenarioResult, aggressive: ScenarioResult
) -> None:
    rem = remedies(aggressive)
    assert rem.found, rem
    assert rem.seconds < 60
    top = rem.table.iloc[1]
    assert bool(top["goals_met"]) and top["share_at_quota"] > rem.table.iloc[0]["share_at_quota"]
    # re-run the best change at the full number of draws: every goal passes
    best = rem.best.with_updates({"comp.n_draws": aggressive.scenario.comp.n_draws})
    again = _on_base(base, best)
    assert again.health is not None
    for g in MOVABLE_GOALS:
        assert again.health[g].status != "fail", again.health[g]
    assert again.health["share_at_quota"].status == "pass"
    assert again.health["p_make_target"].status == "pass"
    # the remedy lowers the target: the stretch is what fails
    assert rem.best.quota.company_target < aggressive.scenario.quota.company_target


def test_health_cli_on_plan_folders(
    base: ScenarioResult,
    aggressive: ScenarioResult,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base.write(tmp_path / "base", report=False)
    aggressive.write(tmp_path / "aggressive", report=False)
    assert main(["health", str(tmp_path / "base")]) == 0
    out = capsys.readouterr().out
    assert "plan health: pass" in out and "FAIL" not in out
    assert main(["health", str(tmp_path / "aggressive"), "--csv", str(tmp_path / "h.csv")]) == 2
    out = capsys.readouterr().out
    assert "FAIL share_at_quota" in out and "FAIL p_make_target" in out
    assert "target gap: The target of 64,600,000" in out
    table = check(tmp_path / "aggressive").to_frame()
    assert (tmp_path / "h.csv").read_text().count("\n") == len(table) + 1
    # --remedies sweeps from the folder's own scenario (the sweep itself is tested above)
    seen: list[spm.Scenario] = []

    def fake(s: spm.Scenario) -> str:
        seen.append(s)
        return "Remedies(canned)"

    import spmopt.health

    monkeypatch.setattr(spmopt.health, "remedies", fake)
    assert main(["health", str(tmp_path / "aggressive"), "--remedies"]) == 2
    assert "Remedies(canned)" in capsys.readouterr().out
    assert seen[0].quota.company_target == 64_600_000


def test_batch_health_ranks_the_base_first(
    base: ScenarioResult, aggressive: ScenarioResult
) -> None:
    from spmopt.health.checks import BatchHealth, rank

    reports = {"aggressive": aggressive.health, "base": base.health}
    ranking = rank(reports)
    assert list(ranking["scenario"]) == ["base", "aggressive"]
    bh = BatchHealth(reports, ranking)
    assert bh.status == "fail" and set(bh.to_frame()["scenario"]) == {"base", "aggressive"}


def test_plan_strict_exits_2_on_an_unhealthy_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # today's territories and the 64.6M target of targets.yaml: far too few reps at quota
    args = ["plan", "example", "--out", str(tmp_path / "p"), "--set", "territory.realign=false",
            "--set", "forecast.n_windows=0", "--set", "comp.n_draws=500"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "plan health: FAIL" in out and "FAIL share_at_quota" in out
    assert main([*args, "--strict"]) == 2
    assert "fails its health checks" in capsys.readouterr().err


def test_health_of_a_batch_run_folder(
    base: ScenarioResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spmopt.health import BatchHealth
    from spmopt.scenario import run_batch

    stretch = spm.Scenario.from_yaml(ROOT / "scenarios" / "aggressive.yaml")
    batch = run_batch([stretch, base.scenario], out=tmp_path / "run", n_workers=0,
                      reuse=[base], progress=False)  # fmt: skip
    bh = check(batch)
    assert isinstance(bh, BatchHealth)
    assert list(bh.ranking["scenario"]) == ["base", "aggressive"]
    assert main(["health", str(tmp_path / "run")]) == 2
    out = capsys.readouterr().out
    assert out.index(" base ") < out.index(" aggressive ")
    assert "aggressive: plan health: FAIL" in out
