"""US counties and states as polygons, offline: the Census Bureau's 2016 cartographic boundary
files (1:500,000) that the ``plotly-geo`` package ships.

The files carry no ``.prj``; they are NAD83 longitude/latitude, which we label EPSG:4269 (it
differs from WGS84 by about a metre, far below the files' resolution).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from spmopt.errors import ConfigError

__all__ = ["STATE_FIPS", "us_counties", "us_states"]

#: State FIPS code -> postal code (50 states and DC).
STATE_FIPS: dict[str, str] = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY",
}  # fmt: skip
_NOT_CONTIGUOUS = {"AK", "HI"}


def _package_file(name: str) -> Path:
    try:
        import _plotly_geo
    except ImportError:  # pragma: no cover - a dependency of spmopt
        raise ConfigError(
            "the US shapes need the plotly-geo package: pip install plotly-geo"
        ) from None
    return Path(_plotly_geo.__file__).parent / "package_data" / name


def _states_filter(states: Any, contiguous: bool) -> set[str]:
    keep = {s for s in STATE_FIPS.values() if not (contiguous and s in _NOT_CONTIGUOUS)}
    if states is not None:
        want = {str(s).upper() for s in ([states] if isinstance(states, str) else states)}
        unknown = sorted(want - set(STATE_FIPS.values()))
        if unknown:
            raise ConfigError(f"unknown state code(s) {unknown}: use postal codes such as 'GA'")
        keep &= want
    return keep


@lru_cache(maxsize=2)
def _read(name: str) -> Any:
    import geopandas as gpd

    g = gpd.read_file(_package_file(name))
    return g.set_crs("EPSG:4269", allow_override=True)


def us_counties(states: Any = None, contiguous: bool = True) -> Any:
    """US counties (2016) as a GeoDataFrame of basic units.

    Parameters
    ----------
    states : str or list of str, optional
        Postal codes to keep (default: all).
    contiguous : bool
        Only the 48 contiguous states and DC (drops Alaska, Hawaii and the territories).

    Returns
    -------
    GeoDataFrame
        ``unit_id`` (5-digit county FIPS code, e.g. ``"13121"``), ``name``, ``state`` (postal
        code), ``area_km2`` (land), ``geometry`` (EPSG:4269 lon/lat), sorted by ``unit_id``.
    """
    g = _read("cb_2016_us_county_500k.shp")
    keep = _states_filter(states, contiguous)
    out = g.assign(state=g["STATEFP"].map(STATE_FIPS))
    out = out.loc[out["state"].isin(keep)]
    out = out.assign(
        unit_id=out["GEOID"].astype(str),
        name=out["NAME"].astype(str),
        area_km2=out["ALAND"].astype(float) / 1e6,
    )[["unit_id", "name", "state", "area_km2", "geometry"]]
    return out.sort_values("unit_id").reset_index(drop=True)


def us_states(states: Any = None, contiguous: bool = True) -> Any:
    """US states (2016) as a GeoDataFrame: ``state`` (postal code), ``name``, ``geometry``."""
    g = _read("cb_2016_us_state_500k.shp")
    keep = _states_filter(states, contiguous)
    out = g.assign(state=g["STATEFP"].map(STATE_FIPS))
    out = out.loc[out["state"].isin(keep)]
    out = out.assign(name=out["NAME"].astype(str))[["state", "name", "geometry"]]
    return out.sort_values("state").reset_index(drop=True)
