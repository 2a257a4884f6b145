"""QuotaSetter and QuotaResult follow the estimator and result contracts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spmopt.errors import ConfigError, InfeasibleError
from spmopt.quota import QuotaResult, QuotaSetter
from spmopt.quota.settings import QuotaSettings
from spmopt.solver import SolverOptions

from .helpers import solve, summarised, tiny


def test_summary_row_as_summarise(blend: QuotaResult) -> None:
    row = blend.summary_row()
    assert list(row) == [
        "company_target",
        "quota_total",
        "over_assignment",
        "quota_spread",
        "share_at_quota",
        "quota_status",
    ]
    before = summarised(blend)
    for key in list(row)[:-1]:
        assert row[key] == pytest.approx(before[key], nan_ok=True), key
    assert row["quota_status"] == blend.status
    assert 0 < row["share_at_quota"] < 1
    assert row["quota_total"] == pytest.approx(blend.annual["territory_quota"].sum())


def test_infeasible_result_contract() -> None:
    inst = tiny([100_000, 200_000, 700_000], last_year=[80_000, 100_000, 350_000])
    qs = QuotaSetter(
        company_target=1_000_000, method="potential", growth_floor=0.3, potential_cap=0.8, n_draws=0
    )
    res = solve(qs, inst)
    assert isinstance(res, QuotaResult)
    assert res.status == "infeasible" and not res.ok
    with pytest.raises(InfeasibleError, match="R1") as ei:
        res.raise_for_status()
    assert isinstance(ei.value.diagnosis, pd.DataFrame)
    with pytest.warns(DeprecationWarning, match="raise_for_status"), pytest.raises(InfeasibleError):
        res.raise_if_infeasible()
    row = res.summary_row()
    assert row["quota_status"] == "infeasible"
    assert row["company_target"] == 1_000_000
    for key in ("quota_total", "quota_spread", "share_at_quota"):
        assert row[key] == pytest.approx(summarised(res)[key], nan_ok=True)
    assert res.to_frame().empty


def test_results_are_frozen(blend: QuotaResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        blend.status = "optimal"  # type: ignore[misc]
    assert blend.raise_for_status() is blend
    pd.testing.assert_frame_equal(blend.to_frame(), blend.quotas)
    with pytest.raises(ValueError, match="status"):
        dataclasses.replace(blend, status="unbounded")


def test_set_params_mutates_and_drops_fitted_state() -> None:
    inst = tiny([100_000, 300_000])
    qs = QuotaSetter(company_target=500_000, n_draws=0)
    first = solve(qs, inst)
    assert qs.settings_.method == "blend"
    assert qs.set_params(method="potential", increment=500) is qs
    assert qs.method == "potential" and qs.increment == 500
    assert qs.settings_ == QuotaSettings(**qs.get_params())
    again = solve(qs, inst)
    assert again.method == "potential" and first.method == "blend"
    assert repr(qs) == (
        "QuotaSetter(company_target=500000, method='potential', increment=500, n_draws=0)"
    )


def test_unknown_or_bad_setting_names_the_key() -> None:
    qs = QuotaSetter()
    with pytest.raises(ConfigError, match=r"'over_asignment'.*did you mean 'over_assignment'"):
        qs.set_params(over_asignment=0.1)
    with pytest.raises(ConfigError, match="relief"):
        qs.set_params(relief="forgive")
    with pytest.raises(ConfigError, match="solver"):
        QuotaSettings(solver={"time_limit": 5})  # type: ignore[arg-type]
    assert QuotaSettings(solver=SolverOptions(time_limit=5)).solver is not None


def test_forecast_by_position_is_deprecated() -> None:
    inst = tiny([100_000, 300_000])
    qs = QuotaSetter(company_target=500_000, n_draws=0)
    kw = {k: inst[k] for k in ("accounts", "reps", "sales")}
    new = qs.solve(inst["alignment"], forecast=inst["forecast"], **kw)
    with pytest.warns(DeprecationWarning, match="forecast="):
        old = qs.solve(inst["alignment"], inst["forecast"], **kw)
    np.testing.assert_array_equal(old.annual["quota"], new.annual["quota"])
    with pytest.raises(TypeError, match="both"):
        qs.solve(inst["alignment"], inst["forecast"], forecast=inst["forecast"], **kw)
