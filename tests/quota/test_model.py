"""The quota MIP on hand-solvable instances: exact optima, roll-ups, bounds, diagnoses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spmopt import SolverOptions
from spmopt.errors import ConfigError, InfeasibleError
from spmopt.quota import QuotaSetter

from .helpers import solve, tiny


def _brute_force(fair: np.ndarray, total: int, u: float, lo: np.ndarray, hi: np.ndarray) -> float:
    """Optimal objective t + sum|Q - f| / R of the formulation, by enumeration (3 territories)."""
    f = fair / u
    w = np.maximum(f, 0.01 * f.mean())
    best = np.inf
    for k1, k2 in itertools.product(range(lo[0], hi[0] + 1), range(lo[1], hi[1] + 1)):
        k3 = total - k1 - k2
        if not lo[2] <= k3 <= hi[2]:
            continue
        k = np.array([k1, k2, k3])
        d = np.abs(k - f)
        best = min(best, float((d / w).max() + d.sum() / total))
    return best


def test_potential_method_gives_exact_proportional_quotas() -> None:
    inst = tiny([100_000, 200_000, 700_000])
    res = solve(
        QuotaSetter(company_target=1_000_000, over_assignment=0.1, method="potential", n_draws=0),
        inst,
    )
    assert res.status == "optimal"
    assert res.annual["territory_quota"].tolist() == [110_000, 220_000, 770_000]
    assert res.metrics["quota_potential_cv"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("backend", ["pyomo", "highspy"])
def test_integer_increments_match_brute_force_optimum(backend: str) -> None:
    inst = tiny([130_000, 270_000, 610_000])
    u = 7_000.0
    qs = QuotaSetter(
        company_target=1_000_000,
        over_assignment=0.1,
        method="potential",
        increment=u,
        n_draws=0,
        backend=backend,
        solver=SolverOptions(mip_rel_gap=0.0),
    )
    res = solve(qs, inst)
    total = int(np.floor(1_100_000 / u + 0.5))
    q = res.annual["territory_quota"].to_numpy()
    assert q.sum() == total * u
    assert np.all(np.mod(q, u) == 0)
    fair = res.annual["fair_share"].to_numpy()
    best = _brute_force(fair, total, u, np.zeros(3, int), np.full(3, total))
    assert res.metrics["objective"] == pytest.approx(best, rel=1e-6)
    assert res.metrics["backend"] == backend


def test_forecast_cap_spills_quota_to_others_and_bounds_hold() -> None:
    inst = tiny(
        [100_000, 200_000, 700_000],
        last_year=[60_000, 150_000, 400_000],
        forecast=[100_000, 200_000, 400_000],
    )
    qs = QuotaSetter(
        company_target=800_000,
        over_assignment=0.0,
        method="potential",
        forecast_cap=0.25,
        growth_floor=0.0,
        n_draws=0,
    )
    res = solve(qs, inst)
    a = res.annual.set_index("territory_id")
    # fair 80k/160k/560k; T3 capped at 1.25 x 400k; the 60k spill splits 1:2 (minimax)
    assert a["territory_quota"].tolist() == [100_000, 200_000, 500_000]
    assert (a["territory_quota"] <= a["upper_bound"]).all()
    assert (a["territory_quota"] >= a["lower_bound"]).all()
    assert a.loc["T1", "lower_bound"] == 60_000


def test_floor_above_cap_names_rep_and_numbers() -> None:
    inst = tiny([100_000, 200_000, 700_000], last_year=[80_000, 100_000, 350_000])
    qs = QuotaSetter(
        company_target=1_000_000, method="potential", growth_floor=0.3, potential_cap=0.8, n_draws=0
    )
    res = solve(qs, inst)
    assert res.status == "infeasible"
    assert not res.ok
    assert "R1 (T1)" in res.diagnosis
    assert "104,000" in res.diagnosis and "80,000" in res.diagnosis  # floor and cap amounts
    assert res.conflicts.iloc[0]["constraint"] == "floor above cap"
    with pytest.raises(InfeasibleError, match="R1"):
        res.raise_for_status()


def test_floors_exceeding_target_are_diagnosed_with_largest_floors() -> None:
    inst = tiny([100_000, 200_000, 700_000], last_year=[100_000, 200_000, 700_000])
    qs = QuotaSetter(company_target=1_000_000, over_assignment=0.05, growth_floor=0.10, n_draws=0)
    res = solve(qs, inst)
    assert res.status == "infeasible"
    row = res.conflicts.iloc[0]
    assert row["level"] == "company" and row["constraint"] == "floors exceed target"
    assert row["required"] == 1_100_000 and row["allowed"] == 1_050_000
    assert res.diagnosis.index("R3 (T3)") < res.diagnosis.index("R1 (T1)")  # largest first
    assert "growth floor +10% on last year 700,000" in res.diagnosis


def test_region_and_district_targets_roll_up_exactly() -> None:
    pot = [100_000, 150_000, 250_000, 300_000, 200_000]
    inst = tiny(pot, regions=["N", "N", "N", "S", "S"], districts=["N1", "N1", "N2", "S1", "S1"])
    qs = QuotaSetter(
        company_target=1_000_003,
        over_assignment=0.1,
        method="potential",
        region_targets={"N": 600_001, "S": 400_002},
        district_targets={"N1": 200_000, "N2": 400_001},
        increment=1000,
        n_draws=0,
    )
    res = solve(qs, inst)
    a = res.annual
    total = a["territory_quota"].sum()
    assert total == 1_100_000  # 1,100,003.3 rounded to the increment
    by_r = a.groupby("region")["territory_quota"].sum()
    # all regions given, summing to the target: split exactly by largest remainder
    assert by_r["N"] + by_r["S"] == total
    assert by_r["N"] == 660_000 and by_r["S"] == 440_000
    by_d = a.groupby("district")["territory_quota"].sum()
    assert by_d["N1"] == 220_000 and by_d["N2"] == 440_000


def test_region_target_conflict_is_diagnosed() -> None:
    inst = tiny([100_000, 900_000], regions=["N", "S"], districts=["N1", "S1"])
    qs = QuotaSetter(
        company_target=1_000_000,
        over_assignment=0.0,
        potential_cap=1.0,
        region_targets={"N": 400_000},
        n_draws=0,
    )
    res = solve(qs, inst)
    assert res.status == "infeasible"
    assert "region 'N'" in res.diagnosis and "100,000" in res.diagnosis


def test_bad_settings_raise_config_errors() -> None:
    inst = tiny([1.0, 2.0])
    for kwargs, match in [
        ({"method": "magic"}, "method"),
        ({"growth_floor": 0.2, "growth_cap": 0.1}, "growth_cap"),
        ({"increment": 0}, "increment"),
        ({"weights": {"potential": 1, "luck": 1}}, "luck"),
        ({"region_targets": {"Atlantis": 1.0}}, "Atlantis"),
        ({"period": "week"}, "period"),
    ]:
        with pytest.raises(ConfigError, match=match):
            solve(QuotaSetter(company_target=10.0, n_draws=0, **kwargs), inst)
    with pytest.raises(ConfigError, match="company target"):
        solve(QuotaSetter(n_draws=0), inst)


def test_lp_round_matches_mip_within_an_increment() -> None:
    rng = np.random.default_rng(5)
    n = 60
    pot = rng.lognormal(13, 0.7, n).round(-2)
    ly = pot * rng.uniform(0.1, 0.4, n)
    regions = rng.choice(["N", "S", "E"], n).tolist()
    inst = tiny(pot, ly, ly * 1.05, regions=regions, districts=[r + "1" for r in regions])
    tot = float(ly.sum() * 1.05)
    by = {r: float(ly[np.array(regions) == r].sum() * 1.05) for r in set(regions)}
    common = dict(
        company_target=tot,
        region_targets=by,
        growth_floor=-0.02,
        growth_cap=0.4,
        n_draws=0,
        increment=1000,
    )
    exact = solve(QuotaSetter(integer_method="mip", **common), inst)
    rounded = solve(QuotaSetter(integer_method="lp_round", **common), inst)
    assert exact.status == "optimal" and rounded.status == "feasible"
    for res in (exact, rounded):
        a = res.annual
        assert a["territory_quota"].sum() == res.metrics["roll_up_target"]
        assert (a["territory_quota"] >= a["lower_bound"]).all()
        assert (a["territory_quota"] <= a["upper_bound"]).all()
        by_r = a.groupby("region")["territory_quota"].sum()
        for r, t in by.items():
            assert by_r[r] == np.floor(t * 1.1 / 1000 + 0.5) * 1000
    assert rounded.metrics["max_round_off_increments"] <= 1.0 + 1e-9
    assert rounded.metrics["bound"] <= exact.metrics["objective"] + 1e-9
    assert rounded.metrics["objective"] >= exact.metrics["objective"] - 1e-9
    diff = np.abs(rounded.annual["territory_quota"] - exact.annual["territory_quota"])
    assert diff.max() <= 0.05 * exact.annual["territory_quota"].max()
