"""Each health check on small hand-computed plans: a pass case and a fail case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt.health import CHECKS, Band, HealthBands, check
from spmopt.health.checks import quantile_skew
from tests.health.helpers import per_rep, plan, view


def one(v: object, name: str) -> spm.health.HealthCheck:
    return check(v, checks=[name])[name]


@pytest.mark.parametrize(
    ("name", "key", "good", "warn", "bad"),
    [
        ("share_at_quota", "share_at_quota", 0.65, 0.55, 0.23),
        ("over_assignment", "over_assignment", 0.10, 0.24, 0.40),
        ("ccos", "ccos", 0.05, 0.095, 0.12),
        ("margin_after_comp", "margin_after_comp", 0.60, 0.54, 0.50),
        ("quota_potential_spread", "quota_spread", 0.10, 0.35, 0.50),
        ("potential_balance", "max_deviation_potential", 0.05, 0.15, 0.30),
        ("workload_balance", "max_deviation_workload", 0.15, 0.25, 0.73),
        ("disruption", "disruption_share", 0.10, 0.40, 0.60),
    ],
)
def test_summary_checks_pass_warn_fail(
    name: str, key: str, good: float, warn: float, bad: float
) -> None:
    for value, status in ((good, "pass"), (warn, "warn"), (bad, "fail")):
        c = one(view({key: value}), name)
        assert c.status == status, (name, value, c)
        assert c.value == pytest.approx(value)
        assert c.reason and c.reason.endswith(".")
        assert (c.lever == "") == (status == "pass")


def test_share_at_quota_reason_says_why_and_lever_moves_it() -> None:
    c = one(view({"share_at_quota": 0.23, "over_assignment": 0.10}), "share_at_quota")
    assert "23%" in c.reason and "over-assignment 10%" in c.reason
    assert "over_assignment" in c.lever and "target_attainment" in c.lever
    assert "quota" in one(view({"share_at_quota": 0.9}), "share_at_quota").reason


def test_quantile_skew_by_hand() -> None:
    right = np.array([0.8, 0.9, 0.95, 1.0, 1.0, 1.0, 1.05, 1.1, 1.3, 1.6, 2.0])
    # q10 = 0.9, q50 = 1.0, q90 = 1.6: (1.6 + 0.9 - 2) / 0.7
    assert quantile_skew(right) == pytest.approx(0.5 / 0.7)
    left = np.array([0.2, 0.6, 0.9, 0.95, 1.0, 1.0, 1.0, 1.05, 1.1, 1.2, 1.3])
    assert quantile_skew(left) == pytest.approx((1.2 + 0.6 - 2.0) / 0.6)
    assert quantile_skew(np.ones(5)) == 0.0


def flat(att: list[float]) -> pd.DataFrame:
    """Reps whose attainment is certain: P10 = P50 = P90."""
    return per_rep(att, p10=att, p90=att)


def test_attainment_skew_pass_and_fail() -> None:
    # pooled over reps: 7 at 100% and 3 at 200%: q10 = q50 = 1, q90 = 2 -> skew +1
    ok = one(view(tables={"comp_per_rep": flat([1.0] * 7 + [2.0] * 3)}), "attainment_skew")
    assert ok.status == "pass" and ok.value == pytest.approx(1.0, abs=1e-3)
    # 3 at 30% and 7 at 100%: q10 = 0.3, q50 = q90 = 1 -> skew -1
    bad = one(view(tables={"comp_per_rep": flat([0.3] * 3 + [1.0] * 7)}), "attainment_skew")
    assert bad.status == "fail" and bad.value == pytest.approx(-1.0, abs=1e-3)
    assert "low side" in bad.reason
    # one log-normal shape per rep (P10 0.8, P90 1.25 around P50): skew tanh(z s / 2) > 0
    one_shape = one(view(tables={"comp_per_rep": per_rep([1.0] * 5)}), "attainment_skew")
    assert one_shape.value == pytest.approx(math.tanh(math.log(1.25) / 2), abs=1e-3)
    assert one(view(), "attainment_skew").status == "n/a"


def test_p_make_target_from_revenue_draws() -> None:
    draws = pd.DataFrame({"draw": range(100), "revenue": np.arange(100.0) + 100.0})
    t = {"comp_draws": draws}
    assert one(view({"company_target": 100.0}, tables=t), "p_make_target").value == 1.0
    half = one(view({"company_target": 150.0}, tables=t), "p_make_target")
    assert half.value == 0.5 and half.status == "warn"
    bad = one(view({"company_target": 190.0}, tables=t), "p_make_target")
    assert bad.value == pytest.approx(0.10) and bad.status == "fail"
    assert "10%" in bad.reason and "190" in bad.reason


def test_pay_mix() -> None:
    ok = one(view(tables={"comp_per_rep": per_rep([1.0] * 4)}), "pay_mix")
    assert ok.value == pytest.approx(0.5) and ok.status == "pass" and "50%/50%" in ok.reason
    bad = one(view(tables={"comp_per_rep": per_rep([1.0] * 4, base=30_000, ti=120_000)}), "pay_mix")
    assert bad.value == pytest.approx(0.2) and bad.status == "fail"
    assert "base salary" in bad.lever


def test_payout_at_target() -> None:
    t = {"comp_per_rep": per_rep([1.0] * 4)}
    ok = one(view(tables=t, the_plan=plan()), "payout_at_target")
    assert ok.value == pytest.approx(1.0) and ok.status == "pass"
    bad = one(view(tables=t, the_plan=plan(below=0.8)), "payout_at_target")
    assert bad.value == pytest.approx(0.8) and bad.status == "fail"
    assert one(view(tables=t), "payout_at_target").status == "n/a"


def test_payout_p90() -> None:
    # every rep at exactly 140%: the 90th percentile is 1.4; pay = 1 + 0.4 * accel
    reps = per_rep([1.4] * 10, p10=[1.4] * 10, p90=[1.4] * 10)
    t = {"comp_per_rep": reps}
    ok = one(view(tables=t, the_plan=plan(accel=2.0)), "payout_p90")
    assert ok.value == pytest.approx(1.8, abs=1e-3) and ok.status == "pass"
    warn = one(view(tables=t, the_plan=plan(accel=1.0)), "payout_p90")
    assert warn.value == pytest.approx(1.4, abs=1e-3) and warn.status == "warn"
    bad = one(view(tables=t, the_plan=plan(accel=0.25)), "payout_p90")
    assert bad.value == pytest.approx(1.1, abs=1e-3) and bad.status == "fail"
    assert "accelerator" in bad.lever


def _quota_annual(quota: list[float], last: list[float], fc: list[float]) -> pd.DataFrame:
    n = len(quota)
    return pd.DataFrame(
        {
            "rep_id": [f"R{i:02d}" for i in range(n)],
            "region": ["East"] * (n // 2) + ["West"] * (n - n // 2),
            "quota": quota,
            "territory_quota": quota,
            "last_year": last,
            "forecast": fc,
        }
    )


def test_growth_outliers_named() -> None:
    last = [100.0] * 10
    ok = _quota_annual([110.0] * 10, last, [105.0] * 10)
    c = one(view(tables={"quota_annual": ok}), "growth_vs_last_year")
    assert c.status == "pass" and c.value == 0.0 and "+10.0%" in c.reason
    q = [110.0] * 8 + [200.0, 60.0]
    bad = _quota_annual(q, last, [105.0] * 10)
    c = one(view(tables={"quota_annual": bad}), "growth_vs_last_year")
    assert c.status == "fail" and c.value == pytest.approx(0.2)
    assert "R08 +100%" in c.reason and "R09 -40%" in c.reason and "2 of 10" in c.reason
    f = one(view(tables={"quota_annual": bad}), "growth_vs_forecast")
    assert f.status == "fail" and "R08" in f.reason
    assert one(view(tables={"quota_annual": ok}), "growth_vs_forecast").status == "pass"


def test_disruption_counts_accounts_revenue_and_reps() -> None:
    asg = pd.DataFrame(
        {"account_id": ["a", "b", "c", "d"], "territory_id": ["T1", "T1", "T2", "T2"],
         "rep_id": ["R1", "R1", "R2", "R2"], "moved": [True, False, False, False]}
    )  # fmt: skip
    sales = pd.DataFrame(
        {"account_id": ["a", "b", "c", "d"], "period": pd.to_datetime(["2026-12-01"] * 4),
         "revenue": [30.0, 10.0, 40.0, 20.0]}
    )  # fmt: skip
    terr = pd.DataFrame({"territory_id": ["T1", "T2"], "moved_in": [1, 0], "moved_out": [0, 0]})
    v = view({"disruption_share": 0.6}, tables={"assignment": asg, "territories": terr},
             sales=sales)  # fmt: skip
    c = one(v, "disruption")
    assert c.status == "fail"
    assert "25% of accounts" in c.reason and "30% of last year's revenue" in c.reason
    assert "50% of reps" in c.reason


def test_forecast_calibration_by_level() -> None:
    bt = pd.DataFrame(
        {"model": "auto", "level": ["rep", "region", "total"], "coverage_80": [80.0, 75.0, 50.0]}
    )
    c = one(view(tables={"backtest": bt}), "forecast_calibration")
    assert c.status == "fail" and c.value == pytest.approx(0.5) and "total" in c.reason
    good = bt.assign(coverage_80=[80.0, 78.0, 82.0])
    assert one(view(tables={"backtest": good}), "forecast_calibration").status == "pass"


def test_report_status_counts_and_frame() -> None:
    rep = check(view({"share_at_quota": 0.23, "ccos": 0.12}))
    assert rep.status == "fail" and not rep.ok
    assert {c.name for c in rep.failed} >= {"share_at_quota", "ccos"}
    fr = rep.to_frame()
    assert list(fr["check"]) == list(CHECKS)
    assert set(fr["status"]) <= {"pass", "warn", "fail", "n/a"}
    assert "FAIL" in repr(rep) and rep.lines()[0].startswith("FAIL")
    with pytest.raises(spm.ConfigError, match="share_at_quota"):
        rep.raise_for_status()
    assert check(view()).ok


def test_bands_from_mapping_and_errors() -> None:
    b = HealthBands.from_dict({"share_at_quota": [0.5, 0.6]})
    assert b["share_at_quota"] == Band(0.5, 0.6, 0.4, 0.7)
    b = HealthBands.from_dict({"over_assignment": {"band": [0.1, 0.2], "warn": [0.0, 0.3]}})
    assert b["over_assignment"] == Band(0.1, 0.2, 0.0, 0.3)
    with pytest.raises(spm.ConfigError, match=r"unknown key 'share_at_qota'.*share_at_quota"):
        HealthBands.from_dict({"share_at_qota": [0.5, 0.6]})
    with pytest.raises(spm.ConfigError, match="must hold the pass band"):
        HealthBands.from_dict({"ccos": {"band": [0.03, 0.09], "warn": [0.05, 0.1]}})
    with pytest.raises(spm.ConfigError, match=r"low 0\.7 is above high 0\.6"):
        HealthBands.from_dict({"share_at_quota": [0.7, 0.6]})
    # a band of the check moves its verdict
    v = view({"share_at_quota": 0.55})
    assert check(v, bands={"share_at_quota": [0.5, 0.6]})["share_at_quota"].status == "pass"


def test_targets_yaml_health_is_validated(tmp_path: object) -> None:
    t = spm.PlanningTargets.from_dict(
        {"plan_year": 2027, "company_revenue_target": 1e6, "health": {"ccos": [0.04, 0.08]}}
    )
    assert HealthBands.from_targets(t)["ccos"].hi == 0.08
    with pytest.raises(spm.ConfigError, match="unknown key 'wrkload_balance'"):
        spm.PlanningTargets.from_dict(
            {"plan_year": 2027, "company_revenue_target": 1e6, "health": {"wrkload_balance": 1}}
        )
    # targets' own CCOS band and margin floor are the defaults of those checks
    t2 = spm.PlanningTargets.from_dict(
        {"plan_year": 2027, "company_revenue_target": 1e6, "ccos_band": [0.05, 0.07],
         "margin_floor": 0.4}
    )  # fmt: skip
    hb = HealthBands.from_targets(t2)
    assert (hb["ccos"].lo, hb["ccos"].hi) == (0.05, 0.07) and hb["margin_after_comp"].lo == 0.4
    assert math.isinf(hb["margin_after_comp"].hi)


def test_target_gap_by_hand() -> None:
    from scipy.stats import norm

    from spmopt.health import target_gap
    from spmopt.health.gap import share_at_quota_if_scaled

    # ten reps, each log-normal with median 100% and P10/P90 at exp(-/+0.2): half at quota
    e = math.exp(0.2)
    reps = per_rep([1.0] * 10, p10=[1 / e] * 10, p90=[e] * 10)
    assert share_at_quota_if_scaled(reps, 1.0)[0] == pytest.approx(0.5)
    draws = pd.DataFrame({"draw": range(4), "revenue": [0.9e6, 1.0e6, 1.1e6, 1.2e6]})
    qa = _quota_annual([120_000.0] * 5 + [100_000.0] * 5, [100_000.0] * 10, [100_000.0] * 10)
    v = view(
        {"company_target": 1_000_000.0, "quota_total": 1_100_000.0, "share_at_quota": 0.5},
        tables={"comp_per_rep": reps, "comp_draws": draws, "quota_annual": qa},
    )
    gap = target_gap(v, aim=0.65)
    # 65% at quota: quotas scaled by k with P(A >= k) = 0.65, log k = sigma * z(0.35)
    sigma = 0.2 / norm.ppf(0.9)
    k = math.exp(sigma * norm.ppf(0.35))
    assert gap.consistent_quota_total == pytest.approx(1_100_000 * k, rel=1e-6)
    assert gap.consistent_target == pytest.approx(1_100_000 * k / 1.1, rel=1e-6)
    assert gap.consistent_over_assignment == pytest.approx(1.1 * k - 1, rel=1e-6)
    assert gap.forecast == pytest.approx(1.05e6) and gap.gap == pytest.approx(-50_000)
    assert gap.p_make_target == pytest.approx(0.75)  # 3 of 4 draws reach 1.0M
    # the East reps carry the whole quota gap: 5 x 20,000 above their forecast
    east = gap.by_region.set_index("region").loc["East"]
    assert east["gap"] == pytest.approx(100_000) and east["share_of_gap"] == pytest.approx(1.0)
    assert "75% of simulated years" in gap.sentence()
    with pytest.raises(spm.ConfigError, match="aim"):
        target_gap(v, aim=1.5)


def test_aim_of_targets_yaml_is_kept_when_bands_change() -> None:
    t = spm.PlanningTargets.from_dict(
        {"plan_year": 2027, "company_revenue_target": 1e6, "health": {"aim_share_at_quota": 0.6}}
    )
    v = view()
    v = type(v)(v.name, v.tables, t, v.plan, v.sales)
    assert check(v).bands.aim_share_at_quota == 0.6
    assert check(v, bands={"ccos": [0.04, 0.08]}).bands.aim_share_at_quota == 0.6
    assert check(v, bands={"aim_share_at_quota": 0.7}).bands.aim_share_at_quota == 0.7


def test_health_cli_names_a_folder_without_a_plan(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from spmopt.cli import main

    empty = Path(str(tmp_path)) / "empty"
    empty.mkdir()
    assert main(["health", str(empty)]) != 0
    err = capsys.readouterr().err
    assert "holds no summary.csv" in err and "spmopt plan" in err
    assert main(["health", str(empty / "missing")]) != 0
    assert "is not a folder" in capsys.readouterr().err
