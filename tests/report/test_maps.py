"""Territory maps: filled unit polygons before / after, moved units counted, the interactive map,
and state outlines under point data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spmopt.geo import build_geography
from spmopt.report.figures import map_figure
from spmopt.report.maps import (
    interactive_map,
    map_colours,
    polygon_map_figure,
    unit_territories,
)


@pytest.fixture(scope="module")
def geo():  # type: ignore[no-untyped-def]
    """A 3 x 3 grid of counties near Kansas, one account per cell; T1 west, T2 east today."""
    s = 0.5
    cells = [(r, c) for r in range(3) for c in range(3)]
    units = gpd.GeoDataFrame(
        {"unit_id": [f"u{r}{c}" for r, c in cells], "name": [f"cell {r}{c}" for r, c in cells]},
        geometry=[
            box(-99 + c * s, 38 + r * s, -99 + (c + 1) * s, 38 + (r + 1) * s) for r, c in cells
        ],
        crs="EPSG:4326",
    )
    acc = pd.DataFrame(
        {
            "account_id": [f"A{r}{c}" for r, c in cells],
            "lat": [38 + (r + 0.5) * s for r, c in cells],
            "lon": [-99 + (c + 0.5) * s for r, c in cells],
            "potential": [10.0 * (1 + c) for r, c in cells],
            "workload": [1.0] * 9,
            "current_territory": ["T1" if c < 2 else "T2" for r, c in cells],
        }
    )
    return build_geography(acc, units)


REPS = pd.DataFrame({"territory_id": ["T1", "T2"], "lat": [38.75, 38.75], "lon": [-98.75, -97.75]})


def test_polygon_maps_count_moved_units(geo) -> None:  # type: ignore[no-untyped-def]
    # after: the middle column moves from T1 to T2 (3 units, potential 3 x 20 of 180)
    after = geo.accounts[["account_id"]].assign(
        territory_id=["T1" if c == "0" else "T2" for c in geo.accounts["account_id"].str[-1]]
    )
    t = unit_territories(geo, after)
    assert t["u01"] == "T2" and t["u00"] == "T1"
    fig = polygon_map_figure(geo, after, REPS, REPS)
    left, right = fig.axes
    assert left.get_title() == "Before (current alignment)"
    assert right.get_title().startswith("After: 3 units change territory")
    assert "33% of potential" in right.get_title()
    # units filled (one patch each) and territory borders drawn on both panels
    assert len(left.collections) >= 2 and len(right.collections) >= 3
    # the report's entry point draws the same with geography=
    fig2 = map_figure(geo.accounts, after, REPS, REPS, geography=geo)
    assert fig2.axes[1].get_title() == right.get_title()


def test_interactive_map_hover_data(geo) -> None:  # type: ignore[no-untyped-def]
    after = geo.accounts[["account_id"]].assign(territory_id="T1")
    fig = interactive_map(geo, after, reps=REPS)
    ch = fig.data[0]
    assert sorted(ch.locations) == sorted(geo.units["unit_id"])
    rows = {r[0]: r for r in ch.customdata}
    assert rows["cell 02"][1] == "T1" and float(rows["cell 02"][2]) == 30.0
    assert "territory" in ch.hovertemplate and "workload" in ch.hovertemplate
    assert fig.data[1].mode == "markers"


def test_point_map_draws_state_outlines_in_the_us() -> None:
    rng = np.random.default_rng(0)
    n = 50
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "lat": rng.uniform(33, 45, n),
            "lon": rng.uniform(-110, -80, n),
            "potential": rng.uniform(1, 10, n),
            "current_territory": ["T1"] * 25 + ["T2"] * 25,
        }
    )
    after = acc[["account_id"]].assign(territory_id=["T2"] * 5 + ["T1"] * 20 + ["T2"] * 25)
    fig = map_figure(acc, after, REPS, REPS)
    assert "5 accounts moved" in fig.axes[1].get_title()
    assert any(len(c.get_paths()) > 40 for c in fig.axes[0].collections)  # state borders
    abroad = acc.assign(lat=acc["lat"] + 10, lon=acc["lon"] + 100)
    fig = map_figure(abroad, after, REPS, REPS)
    assert all(len(c.get_paths()) <= 2 for c in fig.axes[0].collections)


def test_touching_territories_get_different_colours(geo) -> None:  # type: ignore[no-untyped-def]
    # nine territories, one per cell: every rook neighbour pair must differ in colour
    t = pd.Series([f"T{i}" for i in range(9)], index=geo.units["unit_id"].to_numpy())
    col = map_colours(geo, t)
    for a, b in zip(
        geo.polygon_adjacency.pairs["unit_id"], geo.polygon_adjacency.pairs["neighbor_id"]
    ):
        assert col[t[a]] != col[t[b]]
    assert len(set(col.values())) == 9  # free colours are spread for variety
