"""Quotas on the example data: roll-ups, bounds, fairness vs the historical baselines, new hires,
vacancies, reps without history, zero potential, forecast results."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from spmopt.quota import QuotaSetter, compare

U = 1000.0


def test_roll_up_exact_every_level_and_period(blend, example) -> None:  # type: ignore[no-untyped-def]
    t = example.targets
    total = np.floor(t.company_revenue_target * (1 + t.over_assignment) / U + 0.5) * U
    q = blend.quotas
    assert q["territory_quota"].sum() == total
    assert (q["quota"] + q["held"] == q["territory_quota"]).all()
    assert (np.mod(q[["quota", "held", "territory_quota"]].to_numpy(), U) == 0).all()
    assert (q[["quota", "held"]].to_numpy() >= 0).all()
    per_terr = q.groupby("territory_id")["territory_quota"].sum()
    ann = blend.annual.set_index("territory_id")
    assert (per_terr == ann["territory_quota"]).all()
    assert (q.groupby("territory_id")["quota"].sum() == ann["quota"]).all()
    assert q.groupby("territory_id")["period"].nunique().eq(12).all()
    assert blend.metrics["roll_up"] == total


def test_months_follow_the_forecast_profile(blend, fc_table) -> None:  # type: ignore[no-untyped-def]
    prof = fc_table.groupby("ds")["yhat"].sum()
    prof = prof / prof.sum()
    q = blend.quotas.groupby("period")["territory_quota"].sum()
    share = q / q.sum()
    assert np.allclose(share.to_numpy(), prof.to_numpy(), atol=5e-4)
    assert share.idxmax().month == 12  # December peak


def test_fairness_beats_historical_baselines_on_example(blend) -> None:  # type: ignore[no-untyped-def]
    table = blend.compare()
    cv = table["quota_potential_cv"]
    assert cv["blend"] < 0.75 * cv["last_year_growth"]
    assert cv["blend"] < 0.75 * cv["ratchet"]
    assert np.allclose(table["over_assignment"], 0.10, atol=1e-4)


def test_new_hires_ramp_and_relief(blend) -> None:  # type: ignore[no-untyped-def]
    a = blend.annual.set_index("rep_id")
    # R008 starts 2027-06: nothing carried before June, quota held at territory level
    q = blend.quotas[blend.quotas["rep_id"] == "R008"].set_index("period")
    assert (q.loc[:"2027-05-01", "quota"] == 0).all()
    assert (q.loc[:"2027-05-01", "held"] == q.loc[:"2027-05-01", "territory_quota"]).all()
    assert q.loc["2027-12-01", "quota"] > 0
    assert a.loc["R008", "status"] == "new hire" and a.loc["R035", "status"] == "new hire"
    # R005 (hired 2026-07) and R024 (2026-04) are still ramping with the 12-month ramp
    assert a.loc["R005", "status"] == "ramping" and a.loc["R024", "status"] == "ramping"
    assert 0 < a.loc["R005", "coverage"] < a.loc["R024", "coverage"] < 1
    assert (a.loc[a["status"] == "active", "held"] == 0).all()
    assert blend.metrics["held_total"] == a["held"].sum() > 0


def test_redistribute_makes_reps_carry_the_roll_up(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    res = QuotaSetter(relief="redistribute", n_draws=0).solve(assignment, forecast=fc_table, **kw)
    assert res.metrics["held_total"] == 0
    assert res.metrics["carried_total"] == res.metrics["roll_up"]
    q = res.quotas[res.quotas["rep_id"] == "R035"].set_index("period")
    assert (q.loc[:"2027-02-01", "territory_quota"] == 0).all()  # hired March
    a = res.annual.set_index("rep_id")
    assert 0 < a.loc["R035", "coverage"] < 0.5  # productive share of the year still reported


def test_bounds_hold_on_example(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    qs = QuotaSetter(
        growth_floor=0.0,
        growth_cap=0.6,
        forecast_cap=0.5,
        potential_cap=0.6,
        n_draws=0,
        period="quarter",
    )
    res = qs.solve(assignment, forecast=fc_table, **kw)
    assert res.ok
    a = res.annual
    assert (a["territory_quota"] >= a["last_year"] - 1e-9).all()
    assert (a["territory_quota"] <= 1.6 * a["last_year"] + 1e-9).all()
    assert (a["territory_quota"] <= 1.5 * a["forecast"] + 1e-9).all()
    assert (a["territory_quota"] <= 0.6 * a["potential"] + 1e-9).all()
    assert res.quotas.groupby("territory_id")["period"].nunique().eq(4).all()


def test_target_attainment_share_is_met(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    base = QuotaSetter(n_draws=300).solve(assignment, forecast=fc_table, **kw)
    res = QuotaSetter(n_draws=300, target_attainment=0.6, attainment_levels=(0.3, 0.6, 0.9)).solve(
        assignment, forecast=fc_table, **kw
    )
    assert res.ok
    assert base.metrics["expected_share_at_quota"] < 0.6
    assert res.metrics["expected_share_at_quota"] >= 0.6 - 1e-9
    assert res.metrics["roll_up"] == base.metrics["roll_up"]
    assert res.metrics["attainment_solver"] == "exact"
    # the achievable plan pays for it in fairness
    assert res.metrics["quota_potential_cv"] > base.metrics["quota_potential_cv"]
    # the heuristic for large plans also holds the share, at a higher fairness objective
    heur = QuotaSetter(
        n_draws=300,
        target_attainment=0.6,
        attainment_levels=(0.3, 0.6, 0.9),
        attainment_solver="protect-and-resolve",
    ).solve(assignment, forecast=fc_table, **kw)
    assert heur.ok and heur.metrics["attainment_solver"] == "protect-and-resolve"
    assert heur.metrics["expected_share_at_quota"] >= 0.6 - 1e-9
    assert heur.metrics["roll_up"] == base.metrics["roll_up"]
    assert heur.metrics["objective"] >= res.metrics["objective"] - 1e-9
    a = heur.annual
    assert (a["territory_quota"] <= a["upper_bound"]).all()


def test_vacant_no_history_and_zero_potential(example, fc_table) -> None:  # type: ignore[no-untyped-def]
    from spmopt.quota import current_assignment

    accounts = example.accounts.copy()
    reps = example.reps.copy()
    asg = current_assignment(accounts, reps)
    asg.loc[asg["territory_id"] == "T010", "rep_id"] = None  # vacant
    accounts.loc[accounts["current_territory"] == "T012", "potential"] = 0.0  # zero potential
    # a new territory of accounts that never bought, with a new rep and no forecast row
    bought = set(example.sales["account_id"])
    fresh = asg.index[~asg["account_id"].isin(bought)][:15]
    asg.loc[fresh, "territory_id"] = "T041"
    asg.loc[fresh, "rep_id"] = "R041"
    reps = pd.concat(
        [
            reps,
            reps.iloc[[0]].assign(
                rep_id="R041", territory_id="T041", hire_date=pd.Timestamp("2025-01-01")
            ),
        ],
        ignore_index=True,
    )
    res = QuotaSetter(n_draws=200, growth_floor=0.0).solve(
        asg,
        forecast=fc_table,
        accounts=accounts,
        reps=reps,
        sales=example.sales,
        targets=example.targets,
    )
    assert res.ok
    a = res.annual.set_index("territory_id")
    assert a.loc["T010", "status"] == "vacant" and a.loc["T010", "quota"] == 0
    assert a.loc["T010", "held"] == a.loc["T010", "territory_quota"] > 0
    assert np.isnan(a.loc["T010", "p_attain"])
    assert a.loc["T041", "last_year"] == 0 and a.loc["T041", "territory_quota"] > 0
    assert np.isnan(a.loc["T041", "growth"])
    assert a.loc["T012", "potential"] == 0 and a.loc["T012", "territory_quota"] > 0
    assert res.metrics["n_vacant"] == 1 and res.metrics["n_zero_potential"] == 1
    assert res.metrics["n_no_history"] == 1
    text = " ".join(res.notes)
    assert "vacant" in text and "zero potential" in text and "T041 (R041)" in text
    assert res.quotas["territory_quota"].sum() == res.metrics["roll_up_target"]


@dataclass(frozen=True)
class _Paths:
    unique_id: np.ndarray
    ds: pd.DatetimeIndex
    values: np.ndarray


@dataclass(frozen=True)
class _Forecast:
    """Duck-typed ForecastResult: a frame and sample paths with a common shock."""

    frame: pd.DataFrame

    def samples(self, n: int, seed: int | None = None, level: str = "rep") -> _Paths:
        f = self.frame[self.frame["level"] == level]
        wide = f.pivot(index="unique_id", columns="ds", values="yhat")
        rng = np.random.default_rng(seed)
        shock = rng.normal(1.0, 0.05, size=(n, 1, 1))
        own = rng.normal(1.0, 0.10, size=(n, len(wide), 1))
        return _Paths(
            wide.index.to_numpy(),
            pd.DatetimeIndex(wide.columns),
            wide.to_numpy()[None] * shock * own,
        )


def test_forecast_result_samples_are_used(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    fc = _Forecast(fc_table)
    res = QuotaSetter(n_draws=500, seed=3).solve(assignment, forecast=fc, **kw)
    assert any("sample paths" in n for n in res.notes)
    assert res.attainment_draws is not None and res.attainment_draws.shape[0] == 500
    assert res.attainment_reps is not None
    assert len(res.attainment_reps) == res.attainment_draws.shape[1] == 40
    a = res.annual.set_index("rep_id")
    p = (res.attainment_draws >= 1.0).mean(axis=0)
    assert np.allclose(p, a.loc[res.attainment_reps, "p_attain"].to_numpy())
    again = QuotaSetter(n_draws=500, seed=3).solve(assignment, forecast=fc, **kw)
    assert res.metrics["expected_share_at_quota"] == again.metrics["expected_share_at_quota"]
    same = QuotaSetter(n_draws=0).solve(assignment, forecast=fc_table, **kw)
    assert (res.annual["territory_quota"] == same.annual["territory_quota"]).all()


def test_methods_side_by_side(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    res = {
        m: QuotaSetter(method=m, n_draws=200).solve(assignment, forecast=fc_table, **kw)
        for m in ("potential", "forecast", "blend")
    }
    table = compare(res)
    assert list(table.index) == ["potential", "forecast", "blend", "last_year_growth", "ratchet"]
    cv = table["quota_potential_cv"]
    assert cv["potential"] < 1e-2 < cv["blend"] < cv["forecast"]
    # forecast-proportional quotas ask every rep for the same stretch over forecast: P(attain)
    # is alike across reps; potential-proportional ones leave many reps far below quota
    spread = table["p_attain_max"] - table["p_attain_min"]
    assert spread["forecast"] < spread["potential"]
    below = table["share_below_50"]
    assert below["forecast"] < below["blend"] < below["potential"]


def test_role_weights_hunters_and_farmers(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    w = {"Enterprise AE": {"potential": 1.0}, "AE": {"history": 1.0}}
    res = QuotaSetter(weights=w, n_draws=0).solve(assignment, forecast=fc_table, **kw)
    a = res.annual
    ent = a[a["role"] == "Enterprise AE"]
    ratio = ent["fair_share"] / ent["potential"]
    assert ratio.std() / ratio.mean() < 1e-9  # hunters: fair share follows potential only
    ae = a[a["role"] == "AE"]
    r2 = ae["fair_share"] / ae["last_year"]
    assert r2.std() / r2.mean() < 1e-9  # farmers: last year's actuals only


def test_missing_forecast_months_is_a_data_error(assignment, fc_table, kw) -> None:  # type: ignore[no-untyped-def]
    from spmopt.errors import DataError

    with pytest.raises(DataError, match="more than one forecast row"):
        QuotaSetter(n_draws=0).solve(
            assignment, forecast=pd.concat([fc_table, fc_table.head(3)]), **kw
        )
    short = fc_table[fc_table["ds"] < "2027-07-01"]
    with pytest.raises(DataError, match="misses months") as ei:
        QuotaSetter(n_draws=0).solve(assignment, forecast=short, **kw)
    assert ei.value.table == "forecast"
    with pytest.raises(DataError, match="alignment"):
        QuotaSetter(n_draws=0).solve(
            assignment.drop(columns="territory_id"), forecast=fc_table, **kw
        )
