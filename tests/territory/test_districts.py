"""Districts built from territories: hand-solvable cases, invariants, diagnoses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spmopt as spm
from spmopt.errors import ConfigError
from spmopt.territory import build_districts


def _instance(lons: list[float], potentials: list[float], regions: list[str] | None = None):  # type: ignore[no-untyped-def]
    n = len(lons)
    tids = [f"T{i}" for i in range(n)]
    reps = pd.DataFrame(
        {"rep_id": [f"R{i}" for i in range(n)], "territory_id": tids, "lat": 40.0, "lon": lons}
    )
    if regions is not None:
        reps["region"] = regions
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "lat": 40.0,
            "lon": lons,
            "potential": potentials,
            "workload": 1.0,
        }
    )
    asg = pd.DataFrame({"account_id": accounts["account_id"], "territory_id": tids})
    return asg, accounts, reps


def test_two_clusters_become_two_districts() -> None:
    # three territories around 100W and three around 80W, equal potential: the only balanced
    # grouping without a 1,700 km detour puts each cluster in its own district
    asg, acc, reps = _instance([-100, -100.2, -100.4, -80, -80.2, -80.4], [1.0] * 6)
    plan = build_districts(asg, acc, reps, 2, balance={"potential": 0.0})
    assert plan.status == "optimal"
    groups = plan.districts.groupby("district_id")["territory_id"].apply(set).tolist()
    assert sorted(groups, key=min) == [{"T0", "T1", "T2"}, {"T3", "T4", "T5"}]
    assert plan.metrics["max_deviation_potential"] == pytest.approx(0.0, abs=1e-9)
    seats = plan.districts.set_index("territory_id")
    for _, row in plan.summary.iterrows():
        assert seats.loc[row["seat_territory"], "district_id"] == row["district_id"]
    assert plan.metrics["mean_distance_km"] < 40


def test_a_territory_too_big_for_the_band_is_diagnosed() -> None:
    # totals 1+1+1+5 = 8, target 4 a district: the district holding the 5 is 25% over
    asg, acc, reps = _instance([-100, -99, -98, -97], [1.0, 1.0, 1.0, 5.0])
    plan = build_districts(asg, acc, reps, 2, balance={"potential": 0.05})
    assert plan.status == "infeasible"
    assert plan.diagnosis is not None and "potential" in plan.diagnosis


def test_within_keeps_districts_inside_regions(example) -> None:  # type: ignore[no-untyped-def]
    asg = spm.territory.current_assignment(example.accounts, example.reps)
    plan = build_districts(asg, example.accounts, example.reps, 8, within="region")
    assert plan.status in ("optimal", "feasible")
    d = plan.districts.merge(example.reps[["territory_id", "region"]], on="territory_id")
    assert (d.groupby("district_id")["region"].nunique() == 1).all()
    assert sorted(d["territory_id"]) == sorted(example.reps["territory_id"])
    assert plan.metrics["max_deviation_potential"] <= 0.10 + 1e-6
    assert plan.summary["n_territories"].sum() == 40


def test_bad_settings() -> None:
    asg, acc, reps = _instance([-100, -99, -98, -97], [1.0] * 4, regions=["a", "a", "b", "c"])
    with pytest.raises(ConfigError, match="fewer than the 3 groups"):
        build_districts(asg, acc, reps, 2, within="region")
    with pytest.raises(ConfigError, match="more than the 4 territories"):
        build_districts(asg, acc, reps, 5)
    with pytest.raises(ConfigError, match="not a column of reps"):
        build_districts(asg, acc, reps, 2, within="district")


@settings(max_examples=15, deadline=None)
@given(
    pots=st.lists(st.floats(1.0, 10.0), min_size=6, max_size=12),
    k=st.integers(2, 3),
    seed=st.integers(0, 5),
)
def test_every_territory_in_exactly_one_district(pots: list[float], k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lons = list(-120 + 40 * rng.random(len(pots)))
    asg, acc, reps = _instance(lons, pots)
    plan = build_districts(asg, acc, reps, k, balance={"potential": 1.0}, seed=seed)
    assert plan.status in ("optimal", "feasible")
    assert sorted(plan.districts["territory_id"]) == sorted(reps["territory_id"])
    assert plan.districts["district_id"].nunique() == k
    seats = plan.districts.set_index("territory_id")["district_id"]
    assert all(
        seats[s] == d for d, s in zip(plan.summary["district_id"], plan.summary["seat_territory"])
    )


def test_align_cli_writes_districts(tmp_path, small_data) -> None:  # type: ignore[no-untyped-def]
    from spmopt.cli import main

    path = small_data.write(tmp_path / "d")
    code = main(
        ["align", str(path), "--out", str(tmp_path / "out"), "--balance", "potential=0.2",
         "--districts", "2", "--district-tolerance", "0.5"]
    )  # fmt: skip
    assert code == 0
    d = pd.read_csv(tmp_path / "out" / "districts.csv")
    assert sorted(d["territory_id"]) == sorted(small_data.reps["territory_id"])
    assert d["district_id"].nunique() == 2
