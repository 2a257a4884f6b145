"""Basic units from polygons: reading, joining accounts, rook/queen adjacency, bridges, hosts.

Most checks run on a 3 x 3 grid of unit squares, where every answer can be counted by hand;
the US counties shipped by plotly-geo check the real data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import spmopt as spm
from spmopt import DataError
from spmopt.geo import adjacency, assign_units, build_geography, read_units
from spmopt.solver import SolverOptions


def grid(n: int = 3, extra: dict[str, tuple[float, float]] | None = None) -> gpd.GeoDataFrame:
    """n x n unit squares ``u<row><col>`` (0.1 degree each) near 0N 0E, plus extra squares."""
    s = 0.1
    rows = [
        (f"u{r}{c}", box(c * s, r * s, (c + 1) * s, (r + 1) * s))
        for r in range(n)
        for c in range(n)
    ]
    for name, (x, y) in (extra or {}).items():
        rows.append((name, box(x, y, x + s, y + s)))
    return gpd.GeoDataFrame(
        {"unit_id": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326"
    )


def pairs(adj: spm.geo.UnitAdjacency, kind: str | None = None) -> set[tuple[str, str]]:
    p = adj.pairs if kind is None else adj.pairs.loc[adj.pairs["kind"] == kind]
    return set(zip(p["unit_id"], p["neighbor_id"]))


def test_rook_and_queen_on_a_grid() -> None:
    g = grid()
    rook = adjacency(g, "rook")
    # 3 rows x 2 horizontal + 3 columns x 2 vertical shared edges
    assert len(rook.pairs) == 12
    assert set(rook["u11"]) == {"u01", "u10", "u12", "u21"}
    assert rook["u00"] == ["u01", "u10"]
    queen = adjacency(g, "queen")
    assert len(queen.pairs) == 20  # + 2 diagonals in each of the 4 cells' corners
    assert pairs(queen, "corner") == {
        ("u00", "u11"),
        ("u01", "u10"),
        ("u01", "u12"),
        ("u02", "u11"),
        ("u10", "u21"),
        ("u11", "u20"),
        ("u11", "u22"),
        ("u12", "u21"),
    }
    assert len(queen["u11"]) == 8
    # shared borders are 0.1 degree: ~11.1 km (north-south) near the equator
    assert rook.pairs["shared_km"].to_numpy() == pytest.approx(11.1, abs=0.1)
    assert rook.bridges.empty and rook.n_components() == 1


def test_islands_and_exclaves_are_bridged_and_reported() -> None:
    g = grid(extra={"island": (0.5, 0.5), "ex1": (-0.6, 0.0), "ex2": (-0.5, 0.0)})
    adj = adjacency(g)
    assert adj.n_components(with_bridges=False) == 3
    assert adj.n_components() == 1
    b = adj.bridges.set_index("unit_id")
    # the island's nearest unit is u22 (corner at 0.3, 0.3): 0.2 degree in each direction
    assert b.loc["island", "neighbor_id"] == "u22" and b.loc["island", "reason"] == "island"
    assert b.loc["island", "distance_km"] == pytest.approx(np.hypot(0.2, 0.2) * 111.2, rel=0.01)
    # the pair ex1-ex2 is a detached group; ex2 is 0.4 degree west of u00 / u10
    assert b.loc["ex2", "reason"] == "exclave" and b.loc["ex2", "n_units"] == 2
    assert b.loc["ex2", "neighbor_id"] in {"u00", "u10", "u20"}
    assert b.loc["ex2", "distance_km"] == pytest.approx(0.4 * 111.2, rel=0.01)
    assert "island" in adj["u22"] and ("ex1", "ex2") in pairs(adj, "border")
    off = adjacency(g, bridge=False)
    assert off.bridges.empty and off["island"] == []


def test_accounts_join_by_location_and_by_code() -> None:
    g = grid()
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "lat": [0.05, 0.15, 0.25, 0.31],  # d: 1 km north of the grid
            "lon": [0.05, 0.15, 0.05, 0.25],
            "fips": [0, 11, 20, 2],
        }
    )
    out = assign_units(acc, g)
    assert out["basic_unit"].tolist() == ["u00", "u11", "u20", "u22"]
    with pytest.raises(DataError) as e:
        assign_units(acc, g, max_km=0.5)
    assert e.value.rows == ["d"] and e.value.table == "accounts"
    # by a code column: numbers zero-padded to the ids' width
    coded = gpd.GeoDataFrame({"unit_id": ["00", "11", "20", "02"]}, geometry=list(g.geometry[:4]))
    out = assign_units(acc, coded, by="fips")
    assert out["basic_unit"].tolist() == ["00", "11", "20", "02"]
    with pytest.raises(DataError) as e2:
        assign_units(acc.assign(fips=[0, 11, 99, 2]), coded, by="fips")
    assert (e2.value.column, e2.value.rows) == ("fips", ["c"])


def test_empty_units_are_served_by_the_nearest_occupied_unit() -> None:
    g = grid()
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "lat": [0.05, 0.15, 0.16],
            "lon": [0.05, 0.25, 0.26],
            "potential": [10.0, 20.0, 5.0],
            "workload": [1.0, 2.0, 3.0],
        }
    )
    geo = build_geography(acc, g)
    host = dict(zip(geo.units["unit_id"], geo.units["host_unit"]))
    # counted by hand along the grid (centroid steps of one cell)
    assert {u for u, h in host.items() if h == "u00"} == {"u00", "u01", "u10", "u20"}
    assert {u for u, h in host.items() if h == "u12"} == {"u02", "u11", "u12", "u21", "u22"}
    assert geo.adjacency.units == ("u00", "u12")
    assert pairs(geo.adjacency) == {("u00", "u12")}
    u = geo.units.set_index("unit_id")
    assert (u.loc["u12", "n_accounts"], u.loc["u12", "potential"]) == (2, 25.0)
    assert u.loc["u11", "n_accounts"] == 0
    t = geo.territory_units(
        pd.DataFrame({"account_id": ["a", "b", "c"], "territory_id": ["T1", "T2", "T2"]})
    )
    assert t.set_index("unit_id")["territory_id"].to_dict() == {
        k: ("T1" if v == "u00" else "T2") for k, v in host.items()
    }


@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_read_units_from_files(tmp_path: Path, suffix: str) -> None:
    g = grid().rename(columns={"unit_id": "ZIP"})
    path = tmp_path / f"units{suffix}"
    g.to_file(path)
    back = read_units(path)
    assert back["unit_id"].tolist() == g["ZIP"].tolist()
    assert len(adjacency(back).pairs) == 12


def test_read_units_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_units(tmp_path / "none.geojson")
    g = grid()
    g.loc[1, "unit_id"] = "u00"
    g.to_file(tmp_path / "dup.geojson")
    with pytest.raises(DataError) as e:
        read_units(tmp_path / "dup.geojson")
    assert e.value.rows == ["u00"] and "not unique" in str(e.value)
    grid().rename(columns={"unit_id": "code"}).to_file(tmp_path / "code.geojson")
    with pytest.raises(DataError, match="id_column"):
        read_units(tmp_path / "code.geojson")
    assert len(read_units(tmp_path / "code.geojson", id_column="code")) == 9
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read polygons"):
        read_units(tmp_path / "bad.geojson")


def test_us_counties_real_neighbours_and_islands() -> None:
    ga = spm.geo.us_counties(states="GA")
    assert len(ga) == 159
    adj = adjacency(ga)
    # Fulton County (13121) borders Cobb, DeKalb, Clayton, Fayette, Coweta, Forsyth, ...
    assert {"13067", "13089", "13063", "13113", "13077", "13117"} <= set(adj["13121"])
    assert adj.n_components() == 1 and adj.bridges.empty
    ma = adjacency(spm.geo.us_counties(states="MA"))
    b = ma.bridges.set_index("unit_id")
    # Dukes (25007, Martha's Vineyard) and Nantucket (25019) are islands
    assert set(b.index) == {"25007", "25019"} and set(b["reason"]) == {"island"}


def test_contiguous_alignment_on_polygons_without_a_hand_made_table() -> None:
    """Two reps on a 4 x 4 grid: each territory is one connected piece of the grid."""
    from scipy.sparse.csgraph import connected_components

    from spmopt.territory import TerritoryAligner

    g = grid(4)
    cent = g.geometry.representative_point()
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:02d}" for i in range(16)],
            "lat": cent.y.to_numpy(),
            "lon": cent.x.to_numpy(),
            "potential": [10.0] * 16,
            "workload": [1.0] * 16,
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "territory_id": ["T1", "T2"],
            "lat": [0.05, 0.35],
            "lon": [0.05, 0.35],
        }
    )
    geo = build_geography(acc, g)
    res = TerritoryAligner(
        balance={"potential": 0.0},
        contiguity=True,
        solver=SolverOptions(time_limit=30, mip_rel_gap=0.01),
    ).solve(geo.accounts, reps, adjacency=geo.adjacency)
    assert res.status == "optimal"
    asg = res.assignment.merge(geo.accounts[["account_id", "basic_unit"]], on="account_id")
    assert asg["territory_id"].value_counts().tolist() == [8, 8]
    for t, part in asg.groupby("territory_id"):
        units = sorted(part["basic_unit"])
        sub = geo.polygon_adjacency.pairs
        sub = sub.loc[sub["unit_id"].isin(units) & sub["neighbor_id"].isin(units)]
        import scipy.sparse as sp

        pos = {u: i for i, u in enumerate(units)}
        m = sp.coo_matrix(
            (np.ones(len(sub)), (sub["unit_id"].map(pos), sub["neighbor_id"].map(pos))),
            shape=(len(units), len(units)),
        )
        assert connected_components(m, directed=False)[0] == 1, t


def test_source_file_adds_county_geography(tmp_path: Path) -> None:
    data = spm.data.generate(200, 4, 12, seed=2)
    data.write(tmp_path / "data")
    (tmp_path / "source.yaml").write_text(
        "url: data\ngeography: {units: us-counties, by: location, rule: queen}\n", encoding="utf-8"
    )
    back = spm.read_planning_data(tmp_path / "source.yaml")
    geo = back.geography
    assert isinstance(geo, spm.geo.Geography) and geo.rule == "queen"
    assert back.accounts["basic_unit"].str.fullmatch(r"\d{5}").all()
    assert geo.adjacency.n_components() == 1
    assert set(back.accounts["basic_unit"]) == set(geo.adjacency.units)
    assert int(geo.units["n_accounts"].sum()) == len(back.accounts)


def test_scenario_contiguity_uses_the_data_geography() -> None:
    """align_stage passes data.geography's adjacency to the aligner: no hand-made table."""
    from spmopt.data import PlanningData
    from spmopt.scenario import Scenario
    from spmopt.scenario.pipeline import align_stage

    g = grid(4)
    cent = g.geometry.representative_point()
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:02d}" for i in range(16)],
            "lat": cent.y.to_numpy(),
            "lon": cent.x.to_numpy(),
            "potential": [10.0] * 16,
            "workload": [1.0] * 16,
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "territory_id": ["T1", "T2"],
            "lat": [0.05, 0.35],
            "lon": [0.05, 0.35],
        }
    )
    sales = pd.DataFrame(
        {"account_id": ["A00"], "period": [pd.Timestamp("2026-01-01")], "revenue": [1.0]}
    )
    data = PlanningData(acc, reps, sales).with_geography(g)
    s = Scenario(territory={"contiguity": True, "balance": {"potential": 0.0}, "time_limit": 30})
    res = align_stage(s, data)
    assert res.status == "optimal"
    assert res.assignment["territory_id"].value_counts().tolist() == [8, 8]
    with pytest.raises(Exception, match="adjacency"):
        align_stage(s, PlanningData(data.accounts, reps, sales))  # no geography: asked for one
