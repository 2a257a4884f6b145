"""CompSimulator and CostSimulation follow the estimator and result contracts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spmopt.comp import CompSimulator, CostSimulation, LogNormal, compare_plans, simulate
from spmopt.errors import ConfigError, InfeasibleError

from ..quota.helpers import summarised
from .test_simulate import CONVEX, LINEAR, TARGETS, quotas


def test_simulator_equals_simulate_for_the_same_seed() -> None:
    dist = LogNormal(1.0, 0.25)
    est = CompSimulator(n_draws=2_000, seed=5, targets=TARGETS, overrides={"accelerator": 1.2})
    a = est.simulate(CONVEX, quotas=quotas(), forecast=dist)
    b = simulate(CONVEX, quotas(), dist, 2_000, 5, targets=TARGETS, overrides={"accelerator": 1.2})
    assert isinstance(a, CostSimulation)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_series_equal(a.summary, b.summary)
    assert a.summary_row() == b.summary_row()


def test_chunk_draws_does_not_change_the_result() -> None:
    dist = LogNormal(1.0, 0.25)
    a = CompSimulator(n_draws=1_000, seed=2).simulate(LINEAR, quotas=quotas(), forecast=dist)
    b = CompSimulator(n_draws=1_000, seed=2, chunk_draws=64).simulate(
        LINEAR, quotas=quotas(), forecast=dist
    )
    np.testing.assert_allclose(a.draws["incentive"], b.draws["incentive"], rtol=1e-12)
    assert b.assumptions["chunk_draws"] == 64


def test_compare_equals_compare_plans() -> None:
    dist = LogNormal(1.0, 0.25)
    plans = {"linear": LINEAR, "convex": CONVEX}
    a = CompSimulator(n_draws=1_000, seed=1).compare(plans, quotas=quotas(), forecast=dist)
    b = compare_plans(plans, quotas(), dist, n_draws=1_000, seed=1)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_settings_protocol() -> None:
    est = CompSimulator(n_draws=500, seed=3)
    assert est.get_params()["n_draws"] == 500
    assert repr(est) == "CompSimulator(n_draws=500, seed=3)"
    assert est.set_params(n_draws=800) is est
    assert est.n_draws == 800
    with pytest.raises(ConfigError, match=r"'n_draw'.*did you mean 'n_draws'"):
        est.set_params(n_draw=10)
    for key, value in [("n_draws", 0), ("max_breach_prob", 1.5), ("chunk_draws", 0)]:
        with pytest.raises(ConfigError, match=key):
            CompSimulator(**{key: value}).simulate(LINEAR, quotas=quotas())
    with pytest.raises(ConfigError, match="did you mean 'revenue_change'"):
        CompSimulator(overrides={"revenue_chnage": 0.1}).simulate(LINEAR, quotas=quotas())


def test_result_contract_and_summary_row_as_summarise() -> None:
    sim = CompSimulator(n_draws=1_000, seed=0, targets=TARGETS).simulate(
        CONVEX, quotas=quotas(), forecast=LogNormal(1.0, 0.25)
    )
    assert sim.status in ("ok", "failed")
    assert sim.ok == (sim.passed is not False)
    before = summarised(cost=sim)  # what summarise puts in a batch table
    row = sim.summary_row()
    assert list(row) == [
        "expected_cost",
        "cost_p10",
        "cost_p50",
        "cost_p90",
        "ccos",
        "margin_after_comp",
        "p_ccos_breach",
        "p_margin_breach",
        "comp_passes",
    ]
    for key in list(row)[:-1]:
        assert row[key] == pytest.approx(before[key], nan_ok=True), key
    assert row["comp_passes"] == before["passes"]
    pd.testing.assert_frame_equal(sim.to_frame(), sim.draws)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sim.status = "ok"  # type: ignore[misc]


def test_failed_checks_give_status_failed() -> None:
    # a 0.1% CCOS ceiling: every draw breaches
    tight = TARGETS.model_copy(update={"ccos_band": (0.0, 0.001)})
    sim = CompSimulator(n_draws=500, seed=0, targets=tight).simulate(
        LINEAR, quotas=quotas(), forecast=LogNormal(1.0, 0.25)
    )
    assert sim.status == "failed" and not sim.ok and sim.passed is False
    assert sim.summary_row()["comp_passes"] is False
    with pytest.raises(InfeasibleError, match="ccos in"):
        sim.raise_for_status()
    free = CompSimulator(n_draws=200, seed=0).simulate(LINEAR, quotas=quotas())
    assert free.status == "ok" and free.passed is None
    assert free.raise_for_status() is free
    assert np.isnan(free.summary_row()["p_ccos_breach"])


def test_plan_comparison_follows_the_result_contract() -> None:
    dist = LogNormal(1.0, 0.25)
    plans = {"linear": LINEAR, "convex": CONVEX}
    cmp = compare_plans(plans, quotas(), dist, n_draws=500, seed=0, targets=TARGETS)
    assert cmp.status == ("ok" if all(s.ok for s in cmp.simulations.values()) else "failed")
    assert cmp.ok == (cmp.status == "ok")
    row = cmp.summary_row()
    assert row["n_plans"] == 2 and row["reference"] == "linear"
    assert {row["cheapest"], row["costliest"]} == {"linear", "convex"}
    assert row["expected_cost_min"] <= row["expected_cost_max"]
    assert row["plans_passing"] == sum(bool(s.passed) for s in cmp.simulations.values())
    assert all(v is None or isinstance(v, str | int | float) for v in row.values())
    text = repr(cmp)
    assert text.startswith(f"PlanComparison(status={cmp.status!r}") and "\n" not in text
    assert str(cmp).splitlines()[0] == text and "linear" in str(cmp)  # the table under it
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmp.status = "ok"  # type: ignore[misc]
    with pytest.raises(ValueError, match="status"):
        dataclasses.replace(cmp, status="fine")


def test_plan_comparison_failing_plan_raises_naming_it() -> None:
    tight = TARGETS.model_copy(update={"ccos_band": (0.0, 0.001)})
    cmp = compare_plans(
        {"linear": LINEAR}, quotas(), LogNormal(1.0, 0.25), n_draws=300, seed=0, targets=tight
    )
    assert cmp.status == "failed" and not cmp.ok
    assert cmp.summary_row()["plans_passing"] == 0
    with pytest.raises(InfeasibleError, match=r"linear \(failed check\(s\): ccos in"):
        cmp.raise_for_status()
    free = compare_plans({"linear": LINEAR}, quotas(), LogNormal(1.0, 0.25), n_draws=200)
    assert free.raise_for_status() is free and free.summary_row()["plans_passing"] is None


def test_comp_simulator_at_top_level() -> None:
    import spmopt as spm

    assert spm.CompSimulator is CompSimulator
    assert "CompSimulator" in spm.__all__ and "CompSimulator" in dir(spm)
