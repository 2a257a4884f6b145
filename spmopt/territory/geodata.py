"""Real polygons for contiguity: the 159 counties of Georgia (USA) shipped by libpysal offline.

libpysal and geopandas come with the ``bench`` extra (``pip install spmopt[bench]``); they are
imported only when these helpers are called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError

__all__ = ["georgia_counties"]


def georgia_counties(
    n_territories: int = 8, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    """Georgia's counties as accounts, reps at ``n_territories`` spread-out counties, adjacency.

    Returns
    -------
    accounts : DataFrame
        One account per county: ``account_id`` (county key), ``lat``, ``lon`` (centroid),
        ``potential`` (1990 population), ``workload`` (area-based, hours/yr), ``basic_unit``
        (= account_id).
    reps : DataFrame
        ``rep_id``, ``territory_id``, ``lat``, ``lon`` at the most populous county of each of
        ``n_territories`` population-weighted k-means clusters (seeded).
    adjacency : dict
        Rook adjacency (shared edge) between counties.
    """
    try:
        import geopandas as gpd
        import libpysal
        from libpysal import examples
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the Georgia counties need libpysal and geopandas: pip install 'spmopt[bench]'"
        ) from exc
    from sklearn.cluster import KMeans

    g = gpd.read_file(examples.get_path("G_utm.shp"))
    w = libpysal.weights.Rook.from_dataframe(g, use_index=False, silence_warnings=True)
    ids = g["AreaKey"].astype(int).astype(str).to_numpy()
    pop = g["TotPop90"].to_numpy(float)
    area_km2 = g["AREA"].to_numpy(float) / 1e6
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "lat": g["Latitude"].to_numpy(float),
            "lon": g["Longitud"].to_numpy(float),
            "potential": pop,
            "workload": np.round(20 + area_km2 / 50, 1),
            "basic_unit": ids,
        }
    )
    if accounts["lon"].gt(0).all():  # the shapefile stores west longitudes as positive
        accounts["lon"] = -accounts["lon"]
    xy = accounts[["lat", "lon"]].to_numpy()
    km = KMeans(n_territories, n_init=10, random_state=seed).fit(xy, sample_weight=pop)
    homes = []
    for c in range(n_territories):
        members = np.nonzero(km.labels_ == c)[0]
        homes.append(int(members[np.argmax(pop[members])]))
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{k + 1:02d}" for k in range(n_territories)],
            "territory_id": [f"T{k + 1:02d}" for k in range(n_territories)],
            "lat": accounts["lat"].to_numpy()[homes],
            "lon": accounts["lon"].to_numpy()[homes],
        }
    )
    adjacency = {ids[i]: [ids[j] for j in w.neighbors[i]] for i in range(len(ids))}
    return accounts, reps, adjacency
