"""Monte Carlo simulator: closed forms, exactness against plan.payout, seeds, what-ifs, inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import spmopt.comp.run as simrun
from spmopt.comp import (
    CompPlan,
    Empirical,
    LogNormal,
    Mixture,
    Normal,
    compare_plans,
    simulate,
)
from spmopt.data import PlanningTargets
from spmopt.errors import ConfigError, DataError

TI = 100_000.0
N_REPS = 50


def plan_of(measure: dict[str, Any] | None = None, **role: Any) -> CompPlan:
    m = {"name": "revenue", "weight": 1.0, "tiers": [{"from": 0.0, "rate": 1.0}]}
    m.update(measure or {})
    spec: dict[str, Any] = {"base_salary": 50_000.0, "target_incentive": TI, "measures": [m]}
    spec.update(role)
    return CompPlan.from_dict({"name": "test", "plan_year": 2027, "roles": {"AE": spec}})


LINEAR = plan_of()
CONVEX = plan_of(
    {
        "threshold": 0.5,
        "tiers": [
            {"from": 0.0, "to": 1.0, "rate": 1.0},
            {"from": 1.0, "to": 1.5, "rate": 2.0},
            {"from": 1.5, "rate": 1.0},
        ],
        "cap": 2.5,
    }
)


def quotas(n: int = N_REPS, quota: float = 1_000_000.0) -> pd.DataFrame:
    return pd.DataFrame({"rep_id": [f"R{i:03d}" for i in range(n)], "quota": quota})


TARGETS = PlanningTargets(
    plan_year=2027,
    company_revenue_target=45_000_000,
    gross_margin=0.70,
    ccos_band=(0.04, 0.09),
    margin_floor=0.55,
)


def test_linear_plan_normal_attainment_matches_closed_form() -> None:
    # payout = TI * a, a ~ N(1, 0.2^2) independent: E[total] = n * TI * 1.0,
    # sd(total) = TI * 0.2 * sqrt(n)
    sim = simulate(LINEAR, quotas(), Normal(1.0, 0.2, common_shock=0.0), n_draws=20_000, seed=3)
    total = sim.draws["incentive"]
    se = TI * 0.2 * np.sqrt(N_REPS) / np.sqrt(20_000)
    assert abs(total.mean() - N_REPS * TI) < 4 * se
    assert total.std() == pytest.approx(TI * 0.2 * np.sqrt(N_REPS), rel=0.03)
    # per rep: E = TI, P(a >= 1) = 0.5
    assert sim.per_rep["expected_incentive"].mean() == pytest.approx(TI, rel=0.002)
    assert sim.summary["share_at_quota"] == pytest.approx(0.5, abs=0.005)


def test_threshold_expectation_matches_closed_form() -> None:
    # payout = TI * a * 1{a >= t}; a ~ N(mu, s^2): E = TI * (mu * Phi(d) + s * phi(d)),
    # d = (mu - t) / s. mu 1, s 0.3, t 0.8: d = 2/3
    plan = plan_of({"threshold": 0.8})
    mu, s, t = 1.0, 0.3, 0.8
    d = (mu - t) / s
    expected = TI * (mu * stats.norm.cdf(d) + s * stats.norm.pdf(d))
    sim = simulate(plan, quotas(), Normal(mu, s, common_shock=0.0), n_draws=20_000, seed=5)
    got = sim.summary["expected_incentive"] / N_REPS
    assert got == pytest.approx(expected, rel=0.003)


def test_common_shock_widens_the_total_as_the_closed_form_says() -> None:
    # total / TI = S * sum X_r, E[S] = 1, E[S^2] = exp(s^2), X lognormal mean 1, sd 0.2:
    # Var = exp(s^2) * (n sd^2 + n^2) - n^2  ->  s = 0.1, n = 50: 1.01005 * 2502 - 2500
    n, sd, s = N_REPS, 0.2, 0.1
    var = np.exp(s**2) * (n * sd**2 + n**2) - n**2
    with_shock = simulate(LINEAR, quotas(), LogNormal(1.0, sd, common_shock=s), 20_000, seed=1)
    without = simulate(LINEAR, quotas(), LogNormal(1.0, sd, common_shock=0.0), 20_000, seed=1)
    assert with_shock.draws["incentive"].std() / TI == pytest.approx(np.sqrt(var), rel=0.04)
    assert without.draws["incentive"].std() / TI == pytest.approx(np.sqrt(n * sd**2), rel=0.04)
    assert with_shock.summary["incentive_p90"] > 1.05 * without.summary["incentive_p90"]
    # the mean is unchanged by the shock
    assert with_shock.summary["expected_incentive"] == pytest.approx(n * TI, rel=0.005)


def test_kernel_equals_exact_payout_on_the_same_draws() -> None:
    dist = LogNormal(1.0, 0.3, common_shock=0.1)
    ids = quotas()["rep_id"].tolist()
    att = dist.sample(3_000, ids, seed=9)
    exact = CONVEX.payout(att.astype(np.float64)).sum(axis=1)
    sim = simulate(CONVEX, quotas(), dist, n_draws=3_000, seed=9)
    np.testing.assert_allclose(sim.draws["incentive"], exact, rtol=2e-5)
    # and the per-rep statistics agree with the same matrix
    pay = CONVEX.payout(att.astype(np.float64))
    np.testing.assert_allclose(sim.per_rep["expected_incentive"], pay.mean(axis=0), rtol=2e-5)
    np.testing.assert_allclose(
        sim.per_rep["incentive_p90"], np.percentile(pay, 90, axis=0), rtol=1e-4
    )
    np.testing.assert_allclose(sim.per_rep["p_at_quota"], (att >= 1).mean(axis=0))
    # rep-level draws in the DESIGN's payouts table
    long = sim.payouts()
    assert list(long.columns) == [
        "draw", "rep_id", "role", "attainment", "incentive", "total_pay"
    ]  # fmt: skip
    assert len(long) == 3_000 * N_REPS
    np.testing.assert_allclose(long["attainment"], att.ravel())
    np.testing.assert_allclose(long["incentive"], pay.ravel(), rtol=2e-5)
    np.testing.assert_allclose(long["total_pay"] - long["incentive"], 50_000.0)


def test_fused_kernel_equals_the_two_pass_path() -> None:
    # one plan runs draw + payout fused; two plans draw once then pay each: same numbers
    dist = LogNormal(1.0, 0.3, common_shock=0.1)
    one = simulate(CONVEX, quotas(), dist, 3_000, seed=6, overrides={"revenue_change": -0.05})
    assert one.assumptions["kernel"] == "fused draw + payout"
    two = compare_plans(
        [CONVEX, LINEAR], quotas(), dist, 3_000, seed=6, overrides={"revenue_change": -0.05}
    ).simulations["test [0]"]
    assert two.assumptions["kernel"] == "draw, then payout"
    np.testing.assert_allclose(one.draws["incentive"], two.draws["incentive"], rtol=1e-12)
    np.testing.assert_allclose(one.per_rep["incentive_p50"], two.per_rep["incentive_p50"])


def test_never_pays_at_mean_attainment() -> None:
    # with a threshold and an accelerator, E[payout(A)] differs from payout(E[A])
    sim = simulate(CONVEX, quotas(), LogNormal(0.95, 0.3), n_draws=10_000, seed=2)
    s = sim.summary
    assert s["expected_incentive"] > 1.03 * s["incentive_at_mean_attainment"]


def test_equal_seeds_equal_results_whatever_the_chunking(monkeypatch: Any) -> None:
    a = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), n_draws=4_000, seed=11)
    b = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), n_draws=4_000, seed=11)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_series_equal(a.summary, b.summary)
    c = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), n_draws=4_000, seed=12)
    assert not np.allclose(a.draws["incentive"], c.draws["incentive"])
    monkeypatch.setattr(simrun, "_CHUNK_ELEMENTS", 64 * N_REPS)  # 64-draw chunks
    d = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), n_draws=4_000, seed=11)
    np.testing.assert_allclose(d.draws["incentive"], a.draws["incentive"], rtol=1e-12)
    np.testing.assert_allclose(
        d.per_rep["expected_incentive"], a.per_rep["expected_incentive"], rtol=1e-9
    )
    # the first draws do not depend on how many draws follow
    e = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), n_draws=1_000, seed=11)
    np.testing.assert_allclose(e.draws["incentive"], a.draws["incentive"][:1_000], rtol=1e-12)


def test_overrides_revenue_down_reps_at_and_accelerator() -> None:
    base = simulate(LINEAR, quotas(), Normal(1.0, 0.2), 2_000, seed=4, targets=TARGETS)
    down = simulate(
        LINEAR, quotas(), Normal(1.0, 0.2), 2_000, seed=4, targets=TARGETS,
        overrides={"revenue_change": -0.10},
    )  # fmt: skip
    # linear plan: 10% less attainment is exactly 10% less incentive and revenue, same CCOS
    np.testing.assert_allclose(down.draws["incentive"], 0.9 * base.draws["incentive"], rtol=1e-5)
    np.testing.assert_allclose(down.draws["revenue"], 0.9 * base.draws["revenue"], rtol=1e-5)
    assert down.summary["ccos"] == pytest.approx(base.summary["ccos"], rel=1e-5)
    # everyone at 120%: cost = 50 * 1.2 * 100k in every draw, revenue 50 * 1.2 * 1M
    at = simulate(
        CONVEX, quotas(), Normal(1.0, 0.2), 500, seed=4,
        overrides={"reps_at": {"share": 1.0, "attainment": 1.2}},
    )  # fmt: skip
    # convex plan at 1.2: 1.0 + 2 * 0.2 = 1.4 TI each
    np.testing.assert_allclose(at.draws["incentive"], N_REPS * 1.4 * TI, rtol=1e-6)
    assert at.summary["share_at_quota"] == 1.0
    # 80% at 120%: share at quota >= 0.8
    eighty = simulate(
        CONVEX, quotas(), Normal(0.7, 0.05), 2_000, seed=4,
        overrides={"reps_at": {"share": 0.8, "attainment": 1.2}},
    )  # fmt: skip
    assert eighty.summary["share_at_quota"] == pytest.approx(0.8, abs=0.01)
    steep = simulate(
        CONVEX, quotas(), Normal(1.0, 0.2), 2_000, seed=4, overrides={"accelerator": 1.5}
    )
    same = simulate(CONVEX.with_accelerator(1.5), quotas(), Normal(1.0, 0.2), 2_000, seed=4)
    np.testing.assert_allclose(steep.draws["incentive"], same.draws["incentive"])
    with pytest.raises(ConfigError, match="did you mean 'revenue_change'"):
        simulate(LINEAR, quotas(), Normal(), 10, overrides={"revenue_chnage": 0.1})


def test_checks_against_ccos_band_and_margin_floor() -> None:
    sim = simulate(CONVEX, quotas(), LogNormal(1.0, 0.3), 5_000, seed=8, targets=TARGETS)
    d = sim.draws
    ccos = d["incentive"] / d["revenue"]
    np.testing.assert_allclose(d["ccos"], ccos)
    margin = 0.70 - (N_REPS * 50_000 + d["incentive"]) / d["revenue"]
    np.testing.assert_allclose(d["margin_after_comp"], margin)
    ck = sim.checks.set_index("check")
    p_band = ((ccos < 0.04) | (ccos > 0.09)).mean()
    assert ck.iloc[0]["p_breach"] == pytest.approx(p_band)
    assert ck.iloc[1]["p_breach"] == pytest.approx((margin < 0.55).mean())
    assert list(ck["passed"]) == list(ck["p_breach"] <= 0.10)
    # a plan paying 20x TI blows the band for sure
    rich = plan_of({"tiers": [{"from": 0.0, "rate": 20.0}]})
    bad = simulate(rich, quotas(), LogNormal(1.0, 0.1), 1_000, seed=8, targets=TARGETS)
    assert bad.passed is False and bad.summary["p_ccos_breach"] == 1.0
    assert "FAIL" in str(bad) and "checks passed=0/2" in repr(bad)


def test_compare_plans_uses_common_random_numbers() -> None:
    cmp = compare_plans(
        {"base": CONVEX, "same": CONVEX, "steep": CONVEX.with_accelerator(1.5)},
        quotas(), LogNormal(1.0, 0.25), n_draws=3_000, seed=1, targets=TARGETS,
    )  # fmt: skip
    assert cmp.delta.loc["same", "mean_diff"] == 0.0
    assert cmp.delta.loc["steep", "mean_diff"] > 0
    assert cmp.delta.loc["steep", "p_costlier"] > 0.5
    # the paired standard error is far below the unpaired one
    s = cmp.simulations
    unpaired = np.sqrt(
        s["base"].draws["incentive"].var() / 3_000 + s["steep"].draws["incentive"].var() / 3_000
    )
    assert cmp.delta.loc["steep", "se_diff"] < 0.5 * unpaired
    assert list(cmp.summary.index) == ["base", "same", "steep"]
    what_if = compare_plans(
        {"base": CONVEX, "downturn": CONVEX}, quotas(), LogNormal(1.0, 0.25), 2_000, seed=1,
        overrides={"downturn": {"revenue_change": -0.1}},
    )  # fmt: skip
    assert what_if.delta.loc["downturn", "mean_diff"] < 0


@dataclass(frozen=True)
class FakePaths:
    unique_id: np.ndarray
    ds: pd.DatetimeIndex
    values: np.ndarray

    def annual(self) -> np.ndarray:
        return self.values.sum(axis=2)


@dataclass(frozen=True)
class FakeForecast:
    """Duck-typed ForecastResult: every month is 1/12 of quota x the rep's factor x (1 + noise)."""

    factors: dict[str, float]
    quota: float

    def samples(self, n: int, seed: int | None = None, level: str = "rep") -> FakePaths:
        assert level == "rep"
        ids = np.array(list(self.factors))
        ds = pd.date_range("2027-01-01", periods=12, freq="MS")
        f = np.array(list(self.factors.values()))
        vals = np.broadcast_to(f[None, :, None] * self.quota / 12, (n, len(ids), 12)).copy()
        return FakePaths(ids, ds, vals)


def test_forecast_sample_paths_and_proration() -> None:
    q = quotas(3)
    ids = q["rep_id"].tolist()
    fc = FakeForecast({ids[0]: 1.2, ids[1]: 0.8, ids[2]: 1.2, "R999": 1.0}, 1_000_000.0)
    reps = pd.DataFrame(
        {
            "rep_id": ids,
            "role": "AE",
            "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2027-04-01"]),
        }
    )
    sim = simulate(LINEAR, q, fc, n_draws=100, seed=0, reps=reps)
    pr = sim.per_rep.set_index("rep_id")
    # rep 3 hired 1 April: 9/12 active, quota 750k, revenue Apr-Dec 9/12 * 1.2M -> attainment
    # 1.2, pay 0.75 * 1.2 * 100k = 90k
    assert pr.loc[ids[2], "active_share"] == 0.75
    assert pr.loc[ids[2], "quota"] == 750_000
    np.testing.assert_allclose(pr["expected_attainment"], [1.2, 0.8, 1.2], rtol=1e-6)
    np.testing.assert_allclose(pr["expected_incentive"], [120_000, 80_000, 90_000], rtol=1e-6)
    # revenue counts only active months: 1.2M + 0.8M + 0.9M
    np.testing.assert_allclose(sim.draws["revenue"], 2_900_000, rtol=1e-6)
    # given paths directly
    paths = fc.samples(50)
    sim2 = simulate(LINEAR, q, paths, n_draws=1_000, reps=reps)
    assert sim2.n_draws == 50
    np.testing.assert_allclose(
        sim2.per_rep["expected_incentive"], [120_000, 80_000, 90_000], rtol=1e-6
    )


def test_per_period_quotas_sum_the_active_months() -> None:
    periods = pd.date_range("2027-01-01", periods=12, freq="MS")
    q = pd.DataFrame(
        {
            "rep_id": np.repeat(["A", "B"], 12),
            "period": np.tile(periods, 2),
            "quota": 10_000.0,
            "forecast": 11_000.0,
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["A", "B"],
            "role": "AE",
            "hire_date": pd.to_datetime(["2019-01-01", "2027-07-01"]),
        }
    )
    sim = simulate(LINEAR, q, LogNormal(None, 0.0, common_shock=0.0), 200, reps=reps)
    pr = sim.per_rep.set_index("rep_id")
    # B active July-December: quota 6 * 10k = 60k; mean attainment = forecast/quota = 1.1
    assert pr.loc["B", "quota"] == 60_000 and pr.loc["A", "quota"] == 120_000
    np.testing.assert_allclose(pr["expected_attainment"], [1.1, 1.1], rtol=1e-6)
    # B: 0.5 share * 1.1 * 100k = 55k
    np.testing.assert_allclose(pr["expected_incentive"], [110_000, 55_000], rtol=1e-6)


def test_real_quota_result(small_data: Any) -> None:
    from spmopt.quota import QuotaSetter, current_assignment

    d = small_data
    qr = QuotaSetter().solve(
        current_assignment(d.accounts, d.reps), forecast=None, accounts=d.accounts, reps=d.reps,
        sales=d.sales, targets=d.targets,
    )  # fmt: skip
    plan = CompPlan.from_dict(d.plan)
    sim = simulate(plan, qr, None, n_draws=2_000, seed=0, reps=d.reps, targets=d.targets)
    carried = qr.annual.dropna(subset=["rep_id"])
    assert len(sim.per_rep) == len(carried)
    np.testing.assert_allclose(
        sim.per_rep.set_index("rep_id")["quota"].sort_index(),
        carried.set_index("rep_id")["quota"].sort_index(),
    )
    assert "QuotaResult" in sim.assumptions["quota_source"]
    assert sim.summary["expected_incentive"] > 0 and not sim.checks.empty
    assert sim.per_rep["expected_incentive"].sum() == pytest.approx(
        sim.summary["expected_incentive"], rel=1e-9
    )
    # without a reps table, roles and hire dates come from the QuotaResult
    alone = simulate(plan, qr, None, n_draws=2_000, seed=0, targets=d.targets)
    pd.testing.assert_frame_equal(alone.per_rep, sim.per_rep)


def test_multi_measure_roles_take_the_exact_path(example: Any) -> None:
    plan = CompPlan.from_dict(example.plan)
    q = pd.DataFrame({"rep_id": example.reps["rep_id"], "quota": 1_500_000.0})
    sim = simulate(
        plan, q, LogNormal(1.0, 0.25), 2_000, seed=0, reps=example.reps, targets=example.targets
    )
    ent = example.reps["role"].eq("Enterprise AE") & example.reps["hire_date"].lt("2028-01-01")
    assert sim.assumptions["fast_path_reps"] == int((~ent).sum())
    assert sim.per_rep["expected_incentive"].sum() == pytest.approx(
        sim.summary["expected_incentive"], rel=1e-9
    )
    roles = sim.by_role()
    assert roles["n_reps"].sum() == int((sim.per_rep["active_share"] > 0).sum())
    assert roles["expected_incentive"].sum() == pytest.approx(sim.summary["expected_incentive"])
    # Enterprise AEs earn around their TI (gate, clawback and SPIF included)
    ratio = sim.per_rep.loc[sim.per_rep["role"] == "Enterprise AE", "payout_ratio"]
    assert ratio.between(0.8, 1.4).all()


def test_distributions() -> None:
    ids = [f"R{i}" for i in range(20)]
    mix = Mixture([Normal(0.7, 0.1), LogNormal(1.2, 0.2)], weights=[0.3, 0.7], common_shock=0.0)
    x = mix.sample(20_000, ids, seed=1)
    # E = 0.3 * 0.7 + 0.7 * 1.2 = 1.05
    assert x.mean() == pytest.approx(1.05, abs=0.005)
    assert ((x > 0.55) & (x < 0.85)).mean() == pytest.approx(0.3 * 0.866, abs=0.02)
    emp = Empirical(values=(0.5, 1.0, 1.5), common_shock=0.0)
    e = emp.sample(2_000, ids, seed=2)
    assert set(np.unique(e)) == {0.5, 1.0, 1.5}
    scaled = Empirical(values=(0.5, 1.0, 1.5), mean=2.0, common_shock=0.0)
    assert set(np.unique(scaled.sample(500, ids, seed=2))) == {1.0, 2.0, 3.0}
    ln = LogNormal(1.1, 0.3, common_shock=0.0).sample(50_000, 4, seed=0)
    assert ln.mean() == pytest.approx(1.1, rel=0.005)
    assert ln.std() == pytest.approx(0.3, rel=0.02)
    assert stats.skew(ln.ravel()) > 0.5
    with pytest.raises(ConfigError):
        Mixture([Normal()], weights=[0.5])
    with pytest.raises(ConfigError):
        Empirical(values=(1.0,))


def test_empirical_from_history(example: Any) -> None:
    emp = Empirical.from_history(example.sales)
    v = np.array(emp.values)
    # relative attainment: the mean of each year is exactly 1
    assert v.mean() == pytest.approx(1.0, abs=1e-9)
    assert len(v) > 100
    with pytest.raises(DataError, match="period"):
        Empirical.from_history(example.sales.drop(columns="period"))


def test_bad_inputs_raise_spmopt_errors(example: Any) -> None:
    plan = CompPlan.from_dict(example.plan)
    q = pd.DataFrame({"rep_id": example.reps["rep_id"], "quota": 1e6})
    with pytest.raises(DataError, match="role") as e:
        simulate(plan, q, Normal(), 10)  # two roles, no reps table
    assert e.value.table == "reps"
    reps = example.reps.assign(role=["SDR", *list(example.reps["role"][1:])])
    with pytest.raises(DataError, match="SDR") as e2:
        simulate(plan, q, Normal(), 10, reps=reps)
    assert e2.value.rows == ["R001"]
    with pytest.raises(DataError, match="quota"):
        simulate(LINEAR, q.rename(columns={"quota": "target"}), Normal(), 10)
    with pytest.raises(DataError, match="finite"):
        simulate(LINEAR, q.assign(quota=-1.0), Normal(), 10)
    with pytest.raises(ConfigError, match="forecast must be"):
        simulate(LINEAR, q, "lognormal", 10)
    with pytest.raises(DataError, match="sample paths"):
        simulate(LINEAR, quotas(3), FakeForecast({"X": 1.0}, 1.0), 10)
    with pytest.raises(ConfigError, match="n_draws"):
        simulate(LINEAR, q, Normal(), 0)


def test_repr_and_frames() -> None:
    sim = simulate(CONVEX, quotas(), LogNormal(1.0, 0.25), 1_000, seed=0, targets=TARGETS)
    text = repr(sim)
    assert text.startswith("CostSimulation(status=") and "plan='test'" in text
    assert "\n" not in text and "ccos=" in text and "checks passed=" in text
    report = str(sim)  # the several-line report
    assert "CostSimulation('test'" in report and "CCOS" in report
    assert "margin after comp" in report and len(report.splitlines()) == 3 + len(sim.checks)
    frame = sim.to_frame()
    assert list(frame.columns) == [
        "draw", "incentive", "base", "revenue", "ccos", "margin_after_comp", "share_at_quota"
    ]  # fmt: skip
    assert len(frame) == 1_000
    assert {
        "expected_incentive",
        "incentive_p10",
        "incentive_p50",
        "incentive_p90",
        "ccos",
        "margin_after_comp",
        "share_at_quota",
        "passed",
    } <= set(sim.summary.index)


def test_real_forecast_and_quota_results(example: Any) -> None:
    import spmopt as spm

    d = example
    asg = spm.forecast.current_assignment(d.accounts, d.reps)
    fc = (
        spm.forecast.RevenueForecaster(horizon=12)
        .fit(spm.forecast.build_history(d.sales, asg, d.reps))
        .predict()
    )
    qr = spm.quota.QuotaSetter().solve(
        asg, forecast=fc, accounts=d.accounts, reps=d.reps, sales=d.sales, targets=d.targets
    )
    plan = CompPlan.from_dict(d.plan)
    sim = simulate(plan, qr, fc, n_draws=3_000, seed=0, reps=d.reps, targets=d.targets)
    assert "sample paths" in sim.assumptions["attainment"]
    # expected attainment = mean active-month revenue of the paths / active quota
    paths = fc.samples(3_000, seed=5, level="rep")
    pr = sim.per_rep.set_index("rep_id")
    months = pd.DatetimeIndex(paths.ds).month.to_numpy() - 1
    hire = pd.to_datetime(d.reps.set_index("rep_id")["hire_date"])
    for i, rep in enumerate(paths.unique_id):
        if rep not in pr.index or pr.loc[rep, "quota"] <= 0:
            continue
        h = hire.loc[rep]
        first = h.month - 1 if h.year == d.targets.plan_year else (12 if h.year > 2027 else 0)
        rev = paths.values[:, i, months >= first].sum(axis=1).mean()
        assert pr.loc[rep, "expected_attainment"] == pytest.approx(
            rev / pr.loc[rep, "quota"], rel=0.03
        )
    again = simulate(plan, qr, fc, n_draws=3_000, seed=0, reps=d.reps, targets=d.targets)
    pd.testing.assert_frame_equal(sim.draws, again.draws)


def test_daily_and_mid_month_proration() -> None:
    q = quotas(2)
    ids = q["rep_id"].tolist()
    reps = pd.DataFrame(
        {"rep_id": ids, "role": "AE", "hire_date": pd.to_datetime(["2027-07-02", "2027-07-01"])}
    )
    monthly = simulate(LINEAR, q, Normal(1.0, 0.0, common_shock=0.0), 10, reps=reps)
    # hired 2 July: pay starts with August (5/12); hired 1 July: July on (6/12)
    np.testing.assert_allclose(monthly.per_rep["active_share"], [5 / 12, 6 / 12])
    daily_plan = plan_of(proration="daily")
    daily = simulate(daily_plan, q, Normal(1.0, 0.0, common_shock=0.0), 10, reps=reps)
    # 2 July 2027 is day 183 of 365: active 365 - 182 = 183 days; 1 July: 184 days
    np.testing.assert_allclose(daily.per_rep["active_share"], [183 / 365, 184 / 365])
    np.testing.assert_allclose(
        daily.per_rep["expected_incentive"], [TI * 183 / 365, TI * 184 / 365], rtol=1e-6
    )


def test_ti_and_common_shock_overrides() -> None:
    base = simulate(CONVEX, quotas(), LogNormal(1.0, 0.2), 1_000, seed=2)
    more = simulate(
        CONVEX,
        quotas(),
        LogNormal(1.0, 0.2),
        1_000,
        seed=2,
        overrides={"target_incentive_change": 0.05},
    )
    np.testing.assert_allclose(more.draws["incentive"], 1.05 * base.draws["incentive"])
    calm = simulate(
        CONVEX, quotas(), LogNormal(1.0, 0.2), 5_000, seed=2, overrides={"common_shock": 0.0}
    )
    wild = simulate(
        CONVEX, quotas(), LogNormal(1.0, 0.2), 5_000, seed=2, overrides={"common_shock": 0.2}
    )
    assert wild.draws["incentive"].std() > 2 * calm.draws["incentive"].std()
    with pytest.raises(ConfigError, match="parametric"):
        simulate(
            CONVEX,
            quotas(3),
            FakeForecast({"R000": 1, "R001": 1, "R002": 1}, 1.0),
            10,
            overrides={"common_shock": 0.1},
        )


def test_results_pickle_for_dask() -> None:
    import pickle

    sim = simulate(CONVEX, quotas(), LogNormal(1.0, 0.2), 200, seed=2, targets=TARGETS)
    back = pickle.loads(pickle.dumps(sim))
    pd.testing.assert_frame_equal(back.per_rep, sim.per_rep)
    assert pickle.loads(pickle.dumps(CONVEX)) == CONVEX
