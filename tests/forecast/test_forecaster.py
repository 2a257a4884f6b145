"""RevenueForecaster on the example and on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import spmopt as spm
from spmopt.forecast import ForecastResult, RevenueForecaster

from .conftest import flat_history

COLS = [
    "unique_id", "ds", "level", "yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95",
    "model",
]  # fmt: skip


def test_frame_contract(example_forecast: ForecastResult) -> None:
    f = example_forecast.frame
    assert list(f.columns) == COLS
    assert len(f) == 53 * 12
    assert f["ds"].min() == pd.Timestamp("2027-01-01")
    assert f["ds"].max() == pd.Timestamp("2027-12-01")
    assert (f["yhat_lo_95"] <= f["yhat_lo_80"] + 1e-9).all()
    assert (f["yhat_lo_80"] <= f["yhat_hi_80"]).all()
    assert (f["yhat_hi_80"] <= f["yhat_hi_95"] + 1e-9).all()
    assert (f["yhat_lo_95"] >= 0).all()
    assert "ForecastResult(" in repr(example_forecast)


def test_forecast_is_coherent_at_every_level(
    example_forecast: ForecastResult, example_history: pd.DataFrame
) -> None:
    f = example_forecast.frame
    parents = example_history.drop_duplicates("unique_id").set_index("unique_id")["parent"]
    f = f.assign(parent=f["unique_id"].map(parents))
    child = f[f.parent.notna()].groupby(["parent", "ds"])["yhat"].sum()
    own = f.set_index(["unique_id", "ds"])["yhat"].reindex(child.index)
    np.testing.assert_allclose(child.to_numpy(), own.to_numpy(), rtol=1e-9)
    by = f.groupby(["level", "ds"])["yhat"].sum().unstack("level")
    for lv in ("rep", "district", "region"):
        np.testing.assert_allclose(by[lv], by["total"], rtol=1e-9)


def test_forecast_is_plausible(
    example_forecast: ForecastResult, example_history: pd.DataFrame
) -> None:
    last = example_history[
        (example_history.level == "total") & (example_history.ds.dt.year == 2026)
    ]
    nxt = example_forecast.frame.query("level == 'total'")["yhat"].sum()
    assert 0.85 < nxt / last["y"].sum() < 1.25


def test_samples_shape_coherence_and_common_shock(example_forecast: ForecastResult) -> None:
    sp = example_forecast.samples(400, seed=1, level="rep")
    assert sp.values.shape == (400, 40, 12)
    assert len(sp.ds) == 12 and sp.ds[0] == pd.Timestamp("2027-01-01")
    assert sp.annual().shape == (400, 40)
    assert (sp.values >= 0).all()
    reg = example_forecast.samples(400, seed=1, level="region")
    tot = example_forecast.samples(400, seed=1, level="total")
    np.testing.assert_allclose(reg.values.sum(axis=1), tot.values[:, 0, :], rtol=1e-9)
    np.testing.assert_allclose(sp.values.sum(axis=1), tot.values[:, 0, :], rtol=1e-9)
    # same seed, same draws; another seed, other draws
    again = example_forecast.samples(400, seed=1, level="rep")
    np.testing.assert_array_equal(again.values, sp.values)
    assert not np.array_equal(example_forecast.samples(400, seed=2).values, sp.values)
    # the monthly sample quantiles are the frame's intervals (same calibrated error model)
    f = example_forecast.frame.query("level == 'rep'")
    big = example_forecast.samples(4000, seed=3, level="rep")
    lo, hi = np.quantile(big.values, [0.1, 0.9], axis=0)  # (40, 12), ids in frame order
    assert list(big.unique_id) == list(pd.unique(f["unique_id"]))
    flo = f["yhat_lo_80"].to_numpy().reshape(40, 12)
    fhi = f["yhat_hi_80"].to_numpy().reshape(40, 12)
    width = fhi - flo
    assert np.median(np.abs(lo - flo) / width) < 0.05
    assert np.median(np.abs(hi - fhi) / width) < 0.05
    # draws are positively correlated across reps (the common shock)
    c = np.corrcoef(sp.annual(), rowvar=False)
    assert c[np.triu_indices(40, 1)].mean() > 0.0


def test_annual_table(example_forecast: ForecastResult) -> None:
    a = example_forecast.annual("rep", n_samples=500)
    assert list(a.columns) == [
        "unique_id",
        "level",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "yhat_lo_95",
        "yhat_hi_95",
    ]
    assert len(a) == 40
    assert (a["yhat_lo_95"] <= a["yhat_hi_95"]).all()


def test_fit_predict_is_deterministic(
    example_history: pd.DataFrame, example_forecast: ForecastResult
) -> None:
    again = RevenueForecaster(horizon=12, seed=0).fit(example_history).predict()
    pd.testing.assert_frame_equal(again.frame, example_forecast.frame)


@pytest.mark.parametrize("method", ["bottom_up", "top_down", "mint_ols", "mint_wls"])
def test_other_reconciliations(example_history: pd.DataFrame, method: str) -> None:
    r = (
        RevenueForecaster(model="comb", reconcile=method, n_windows=2)
        .fit(example_history)
        .predict()
    )
    by = r.frame.groupby(["level", "ds"])["yhat"].sum().unstack("level")
    np.testing.assert_allclose(by["rep"], by["total"], rtol=1e-9)
    assert r.reconcile == method


def test_auto_selects_from_the_backtest(example_forecast: ForecastResult) -> None:
    sel = example_forecast.selection
    assert set(sel["level"]) == {"rep", "district", "region", "total"}
    for _, g in sel.groupby("level"):
        chosen = g[g["selected"]]
        assert len(chosen) == 1
        assert chosen["mase"].iloc[0] == pytest.approx(g["mase"].min())


# ---------------------------------------------------------------------------- bad input
def seasonal_panel(n: int = 5, t: int = 36, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pattern = 1 + 0.2 * np.sin(2 * np.pi * np.arange(t) / 12)
    return 1000 * pattern[None, :] * rng.lognormal(0, 0.1, (n, t))


def test_horizon_zero_and_bad_settings() -> None:
    h = flat_history(seasonal_panel())
    with pytest.raises(spm.ConfigError, match="horizon"):
        RevenueForecaster(horizon=0).fit(h)
    with pytest.raises(spm.ConfigError, match="freq"):
        RevenueForecaster(freq="W").fit(h)
    with pytest.raises(spm.ConfigError, match="model"):
        RevenueForecaster(model="sarimax").fit(h)
    with pytest.raises(spm.ConfigError, match="reconcile"):
        RevenueForecaster(reconcile="middle").fit(h)
    with pytest.raises(spm.ConfigError, match="levels"):
        RevenueForecaster(levels=(80, 100)).fit(h)
    with pytest.raises(spm.ConfigError, match="fit"):
        RevenueForecaster().predict()


def test_unknown_frequency_is_a_data_error() -> None:
    daily = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=90, freq="D"), "y": 1.0}
    )
    with pytest.raises(spm.DataError, match="monthly") as e:
        RevenueForecaster().fit(daily)
    assert e.value.column == "ds"
    weekly_starts = daily.iloc[::7].copy()
    weekly_starts["ds"] = weekly_starts["ds"].dt.to_period("M").dt.to_timestamp()
    with pytest.raises(spm.DataError, match="more than one row"):
        RevenueForecaster().fit(weekly_starts)


def test_negative_revenue() -> None:
    y = seasonal_panel()
    y[1, 5] = -50.0
    h = flat_history(y)
    with pytest.raises(spm.DataError, match="negative") as e:
        RevenueForecaster().fit(h)
    assert e.value.rows == ["s1"]
    r = RevenueForecaster(allow_negative=True).fit(h).predict()
    assert any("negative" in n for n in r.notes)
    assert np.isfinite(r.frame["yhat"]).all()


def test_missing_months_are_zero_with_a_note() -> None:
    h = flat_history(seasonal_panel())
    h = h.drop(h.index[(h.unique_id == "s2") & (h.ds == "2022-07-01")])
    r = RevenueForecaster(model="comb").fit(h).predict()
    assert any("missing month" in n and "s2" in n for n in r.notes)
    h2 = h[~((h.unique_id == "s3") & (h.ds >= "2024-06-01"))]
    r2 = RevenueForecaster().fit(h2).predict()
    assert any("left" in n and "s3 (last month 2024-05)" in n for n in r2.notes)
    gone = r2.frame[r2.frame.unique_id == "s3"]
    assert (gone["yhat"] == 0).all() and (gone["yhat_hi_95"] == 0).all()
    assert set(gone["model"]) == {"left"}


def test_short_series_fall_back_with_a_note() -> None:
    y = seasonal_panel(3, 36)
    h = flat_history(y)
    late = h[(h.unique_id == "s0") & (h.ds >= "2024-09-01")]  # 4 months
    mid = h[(h.unique_id == "s1") & (h.ds >= "2023-07-01")]  # 18 months
    h = pd.concat([late, mid, h[h.unique_id == "s2"]])
    r = RevenueForecaster(model="comb").fit(h).predict()
    used = r.frame.drop_duplicates("unique_id").set_index("unique_id")["model"]
    assert used["s0"].startswith("naive (short")
    assert "nonseasonal" in used["s1"]
    assert used["s2"] == "comb"
    assert any("fell back" in n for n in r.notes)


def test_all_zero_and_intermittent_series() -> None:
    rng = np.random.default_rng(0)
    y = seasonal_panel(4, 36)
    y[0] = 0.0
    y[1] = np.where(rng.random(36) < 0.6, 0.0, rng.gamma(2, 300, 36))
    r = RevenueForecaster().fit(flat_history(y)).predict()
    f = r.frame
    z = f[f.unique_id == "s0"]
    assert (z["yhat"] == 0).all() and (z["yhat_hi_95"] == 0).all()
    assert (z["model"] == "zero").all()
    inter = f[f.unique_id == "s1"]
    assert (inter["yhat"] >= 0).all() and np.isfinite(inter["yhat"]).all()
    assert any("no revenue" in n for n in r.notes)
    assert any("intermittent" in n for n in r.notes)


def test_history_too_short_for_a_backtest_still_forecasts() -> None:
    h = flat_history(seasonal_panel(3, 14))
    r = RevenueForecaster().fit(h).predict()
    assert len(r.frame) == 36 and np.isfinite(r.frame["yhat_hi_95"]).all()
    assert any("backtest" in n for n in r.notes)


def test_bad_tables() -> None:
    with pytest.raises(spm.DataError, match="unique_id"):
        RevenueForecaster().fit(pd.DataFrame({"ds": [], "y": []}))
    h = flat_history(seasonal_panel())
    h.loc[3, "y"] = np.nan
    with pytest.raises(spm.DataError, match="not a number"):
        RevenueForecaster().fit(h)
    with pytest.raises(spm.DataError):
        RevenueForecaster().fit("history.csv")  # type: ignore[arg-type]


@settings(max_examples=8, deadline=None)
@given(
    n_reps=hst.integers(2, 9),
    n_regions=hst.integers(1, 3),
    months=hst.integers(14, 40),
    method=hst.sampled_from(["mint_shrink", "mint_wls", "bottom_up", "top_down"]),
    seed=hst.integers(0, 1000),
)
def test_property_forecasts_and_samples_are_coherent(
    n_reps: int, n_regions: int, months: int, method: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n_reps)],
            "region": [f"G{i % n_regions}" for i in range(n_reps)],
            "district": [f"D{i % (n_regions + 1)}-{i % n_regions}" for i in range(n_reps)],
        }
    )
    accounts = [f"A{i}" for i in range(3 * n_reps)]
    ds = pd.date_range("2023-01-01", periods=months, freq="MS")
    sales = pd.DataFrame(
        {
            "account_id": np.repeat(accounts, months),
            "period": np.tile(ds, len(accounts)),
            "revenue": rng.gamma(1.5, 400, len(accounts) * months).round(),
        }
    )
    asg = pd.DataFrame(
        {"account_id": accounts, "rep_id": rng.choice(reps["rep_id"], len(accounts))}
    )
    hist = spm.forecast.build_history(sales, asg, reps)
    r = RevenueForecaster(horizon=6, reconcile=method).fit(hist).predict()
    f = r.frame
    by = f.groupby(["level", "ds"])["yhat"].sum().unstack("level")
    for lv in ("rep", "district", "region"):
        np.testing.assert_allclose(by[lv], by["total"], rtol=1e-9, atol=1e-6)
    parents = hist.drop_duplicates("unique_id").set_index("unique_id")["parent"]
    g = f.assign(parent=f["unique_id"].map(parents))
    child = g[g.parent.notna()].groupby(["parent", "ds"])["yhat"].sum()
    own = g.set_index(["unique_id", "ds"])["yhat"].reindex(child.index)
    np.testing.assert_allclose(child.to_numpy(), own.to_numpy(), rtol=1e-9, atol=1e-6)
    reps_paths = r.samples(50, seed=seed, level="rep").values.sum(axis=1)
    total_paths = r.samples(50, seed=seed, level="total").values[:, 0, :]
    np.testing.assert_allclose(reps_paths, total_paths, rtol=1e-9, atol=1e-6)
    assert (f["yhat"] >= 0).all()


def test_a_rep_who_left_is_not_forecast_and_the_hierarchy_stays_coherent(
    example_history: pd.DataFrame,
) -> None:
    h = example_history.copy()
    rep = h[h.level == "rep"].unique_id.iloc[0]
    late = h.ds >= h.ds.max() - pd.DateOffset(months=7)
    lost = h[(h.unique_id == rep) & late].set_index("ds")["y"]
    h.loc[(h.unique_id == rep) & late, "y"] = 0.0
    # take the lost revenue out of every ancestor too
    anc = h[h.unique_id == rep].parent.iloc[0]
    while isinstance(anc, str):
        rows = (h.unique_id == anc) & late
        h.loc[rows, "y"] = h.loc[rows, "y"].to_numpy() - lost.reindex(h.loc[rows, "ds"]).to_numpy()
        nxt = h[h.unique_id == anc].parent.iloc[0]
        anc = nxt if isinstance(nxt, str) else None
    r = RevenueForecaster(horizon=12, n_windows=2).fit(h).predict()
    assert any("left" in n and rep in n for n in r.notes)
    f = r.frame
    assert (f[f.unique_id == rep]["yhat"] == 0).all()
    by = f.groupby(["level", "ds"])["yhat"].sum().unstack("level")
    np.testing.assert_allclose(by["rep"], by["total"], rtol=1e-9)


def test_auto_chooses_per_series_and_keeps_the_combination_by_default() -> None:
    rng = np.random.default_rng(7)
    t = 60
    # half the series: seasonal random walks, y_t = y_(t-12) + noise with a pattern that
    # drifts a lot from year to year (seasonal naive is the optimal forecast); the other half
    # smooth noisy levels (the combination is fine)
    sharp = np.empty((10, t))
    sharp[:, :12] = rng.uniform(200, 1800, (10, 12))
    for j in range(12, t):
        sharp[:, j] = np.maximum(sharp[:, j - 12] + rng.normal(0, 250, 10), 10.0)
    smooth = 1000 + rng.normal(0, 30, (10, t)).cumsum(axis=1) * 0.2 + rng.normal(0, 20, (10, t))
    hist = flat_history(np.vstack([sharp, smooth]))
    fc = RevenueForecaster(model="auto", horizon=12, reconcile="none").fit(hist)
    chosen = pd.Series(fc.chosen_)
    assert "comb4" in set(chosen[10:])
    assert (chosen[:10] != "comb4").mean() >= 0.5
    sel = fc.predict().selection
    assert {"level", "model", "mase", "selected", "share"} <= set(sel.columns)
    assert sel.groupby("level")["share"].sum().round(9).eq(1).all()


def test_a_new_rep_starts_from_its_potential_share(example_history: pd.DataFrame) -> None:
    h = example_history.copy()
    reps = h[h.level == "rep"]
    parent = reps.parent.iloc[0]
    sibs = reps[reps.parent == parent].unique_id.unique()
    new, old = sibs[0], sibs[1:]
    # the new rep sold only in the last 3 months; take those sales out of the ancestors' past
    early = h.ds < h.ds.max() - pd.DateOffset(months=2)
    lost = h[(h.unique_id == new) & early].set_index("ds")["y"]
    h.loc[(h.unique_id == new) & early, "y"] = 0.0
    anc = parent
    while isinstance(anc, str):
        rows = (h.unique_id == anc) & early
        h.loc[rows, "y"] = h.loc[rows, "y"].to_numpy() - lost.reindex(h.loc[rows, "ds"]).to_numpy()
        nxt = h[h.unique_id == anc].parent.iloc[0]
        anc = nxt if isinstance(nxt, str) else None
    pot = {u: 1.0 for u in h.unique_id.unique()}
    pot[new] = 3.0  # three times the potential of each sibling
    h["potential"] = h.unique_id.map(pot)
    r = RevenueForecaster(horizon=12, n_windows=2, reconcile="none").fit(h).predict()
    assert any("potential's share" in n and new in n for n in r.notes)
    f = r.frame.groupby("unique_id")["yhat"].sum()
    share = 3.0 / (3.0 + len(old))
    assert f[new] == pytest.approx(share * f[parent], rel=1e-6)
    assert set(r.frame[r.frame.unique_id == new]["model"]) == {"cold start (potential share)"}


def test_result_contract_and_summary_row(example_forecast: ForecastResult) -> None:
    res = example_forecast
    assert res.status == "ok" and res.ok and res.raise_for_status() is res
    assert repr(res).startswith("ForecastResult(status='ok', ")
    row = res.summary_row()
    assert row["forecast_model"] == "auto"
    total = res.frame.loc[res.frame["level"] == "total", "yhat"].sum()
    assert row["forecast_revenue"] == pytest.approx(total)
    assert 0 < row["forecast_mase"] < 3
    assert row["horizon"] == 12 and row["n_series"] == 53


def test_set_params_in_place_and_hints() -> None:
    fc = RevenueForecaster(model="snaive")
    fc.panel_ = object()  # fitted state
    assert fc.set_params(horizon=6) is fc and fc.horizon == 6
    assert not hasattr(fc, "panel_")
    with pytest.raises(spm.ConfigError, match="did you mean 'horizon'"):
        fc.set_params(horizons=3)
    with pytest.raises(spm.ConfigError, match="horizon"):
        fc.set_params(horizon=0)


def test_backtest_leaves_the_forecaster_unfitted(example_history: pd.DataFrame) -> None:
    fc = RevenueForecaster(model="snaive", horizon=12)
    spm.forecast.backtest(fc, example_history, n_windows=1, models=("naive",))
    assert fc.get_params()["model"] == "snaive" and not hasattr(fc, "panel_")


def test_every_step_is_calibrated_on_every_calendar_month() -> None:
    """The per-step calibration errors score step k on each of the last 12 months (origins
    t - k - j), so no step's spread is a sample of a few calendar months."""
    fc = RevenueForecaster(horizon=12)
    t = 48
    pairs = fc._step_pairs(t, 12)
    for k in range(1, 13):
        targets = sorted(o + k - 1 for o, kk in pairs if kk == k)
        assert targets == list(range(t - 12, t)), (k, targets)
    # a short history keeps only origins with 12 months before them; no windows, no pairs
    short = fc._step_pairs(20, 12)
    assert min(o for o, _ in short) >= 12 and {k for _, k in short} == set(range(1, 9))
    assert RevenueForecaster(horizon=12, n_windows=0)._step_pairs(t, 12) == []
