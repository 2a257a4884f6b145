"""Basic units from polygons: reading them, joining accounts to them, and their adjacency.

The aligner's contiguity needs to know which basic units touch. Here that comes from the
polygons themselves (GeoJSON, Shapefile, GeoPackage: anything geopandas reads):

* :func:`read_units` reads polygons and names their id column ``unit_id``;
* :func:`assign_units` puts each account in a unit, by location (point in polygon, the nearest
  unit within ``max_km`` for points just outside, e.g. on the coast) or by a code column (ZIP,
  county FIPS);
* :func:`adjacency` finds the units that share a border (``rook``) or touch at all
  (``queen``); islands and detached groups are bridged to their nearest unit, and reported;
* :func:`build_geography` does all three for a set of accounts, and serves units without
  accounts from their nearest unit with accounts (along the adjacency), so that every territory
  drawn on the map is one connected piece.

The result plugs into the aligner unchanged: ``TerritoryAligner(contiguity=True).solve(
accounts, reps, adjacency=geo.adjacency)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError, DataError

__all__ = [
    "Geography",
    "UnitAdjacency",
    "adjacency",
    "assign_units",
    "build_geography",
    "read_units",
    "with_geography",
]

RULES = ("rook", "queen")


def _gpd() -> Any:
    import geopandas as gpd

    return gpd


def read_units(path: str | Path, id_column: str | None = None, *, layer: str | None = None) -> Any:
    """Read basic units from a polygon file.

    Parameters
    ----------
    path : str or Path
        GeoJSON, Shapefile, GeoPackage (or ``"us-counties"`` for the shipped US counties).
    id_column : str, optional
        Column holding the unit id (default: ``unit_id``, ``GEOID``, ``FIPS``, ``ZIP`` or
        ``id``, the first one present).
    layer : str, optional
        Layer of a multi-layer file (GeoPackage).

    Returns
    -------
    GeoDataFrame
        ``unit_id`` (str, unique), the file's other columns, ``geometry`` (polygons).

    Raises
    ------
    spmopt.DataError
        The file is missing or unreadable, has no id column, duplicate or empty ids, or
        geometries that are not polygons.
    """
    if str(path) == "us-counties":
        from spmopt.geo.us import us_counties

        return us_counties()
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"polygon file {p} does not exist",
            table="units",
            fix="give a GeoJSON, Shapefile or GeoPackage of the basic units, or 'us-counties'",
        )
    try:
        g = _gpd().read_file(p, layer=layer) if layer else _gpd().read_file(p)
    except Exception as exc:  # pyogrio raises its own error types
        raise DataError(
            f"cannot read polygons from {p.name}: {str(exc).splitlines()[0]}",
            table="units",
            fix="check that the file is a GeoJSON, Shapefile (with .shx and .dbf) or GeoPackage",
        ) from None
    return _normalise_units(g, id_column, p.name)


def _normalise_units(g: Any, id_column: str | None, where: str) -> Any:
    cands = [id_column] if id_column else ["unit_id", "GEOID", "FIPS", "ZIP", "ZCTA5CE10", "id"]
    col = next((c for c in cands if c in g.columns), None)
    if col is None:
        raise DataError(
            f"no id column in {where} (columns: {[c for c in g.columns if c != 'geometry']})",
            table="units",
            column=id_column or "unit_id",
            fix="pass id_column='<the column holding the unit codes>'",
        )
    ids = g[col].astype("string")
    bad = ids.isna() | (ids.str.strip() == "")
    if bad.any():
        raise DataError(
            "units without an id",
            table="units",
            column=col,
            rows=list(np.nonzero(bad.to_numpy())[0]),
            fix="give every polygon a code",
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            "unit ids are not unique",
            table="units",
            column=col,
            rows=sorted(set(ids[dup].astype(str))),
            fix="dissolve polygons that share a code (GeoDataFrame.dissolve) or pick another id "
            "column",
        )
    kinds = set(g.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        wrong = g.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        raise DataError(
            f"geometries must be polygons, found {sorted(kinds)}",
            table="units",
            column="geometry",
            rows=[str(i) for i in ids[~wrong]],
            fix="give the units' areas, not points or lines",
        )
    out = g.copy()
    if col != "unit_id":
        out = out.drop(columns=[c for c in ("unit_id",) if c in out.columns])
    out.insert(0, "unit_id", ids.astype(str).to_numpy())
    if col != "unit_id":
        out = out.drop(columns=col)
    if out.crs is None:
        out = out.set_crs("EPSG:4326")
    return out.reset_index(drop=True)


def _lonlat(units: Any) -> Any:
    """The units in geographic coordinates (lon/lat degrees)."""
    crs = units.crs
    if crs is None or crs.is_geographic:
        return units
    return units.to_crs("EPSG:4326")


def _local_crs(units: Any) -> str:
    """An azimuthal equidistant projection [m] about the units' centre (for distances)."""
    b = _lonlat(units).total_bounds
    lon0, lat0 = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return f"+proj=aeqd +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m +no_defs"


def assign_units(
    accounts: pd.DataFrame,
    units: Any,
    by: str = "location",
    *,
    max_km: float = 50.0,
) -> pd.DataFrame:
    """Each account's basic unit: a copy of ``accounts`` with ``basic_unit`` set.

    Parameters
    ----------
    accounts : DataFrame
        Accounts with ``lat``, ``lon`` [deg] (``by="location"``) or the code column.
    units : GeoDataFrame
        Basic units (:func:`read_units`).
    by : str
        ``"location"``: the unit whose polygon holds the account's point; a point in no polygon
        (on the coast, in a lake) goes to the nearest unit within ``max_km``. Any other value
        names a column of ``accounts`` holding unit codes (``"zip"``, ``"county_fips"``); codes
        are compared as text, numbers zero-padded to the width of the unit ids.
    max_km : float
        Farthest a point may lie outside every polygon and still be assigned [km].

    Raises
    ------
    spmopt.DataError
        Accounts in no unit (naming them), or codes that match no unit.
    """
    gpd = _gpd()
    acc = accounts.copy()
    uid = units["unit_id"].astype(str).to_numpy()
    if by != "location":
        if by not in acc.columns:
            raise DataError(
                f"no column '{by}' to join accounts to units by (columns: {list(acc.columns)})",
                table="accounts",
                column=by,
                fix="pass by='location' (uses lat/lon) or the name of the column with the codes",
            )
        codes = acc[by]
        width = int(pd.Series(uid).str.len().max())
        if codes.dtype.kind in "iuf":
            text = codes.map(lambda v: None if pd.isna(v) else str(int(v)).zfill(width))
        else:
            text = codes.astype("string").str.strip()
            digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
            text = text.where(~digits, text.str.zfill(width))
        known = text.isin(set(uid)).fillna(False).astype(bool).to_numpy()
        if not known.all():
            bad = ~known
            ex = [repr(v) for v in codes[bad].head(3)]
            raise DataError(
                f"codes match no unit (e.g. {', '.join(ex)}; units look like {uid[0]!r})",
                table="accounts",
                column=by,
                rows=acc["account_id"].astype(str)[bad].tolist(),
                n_rows=int(bad.sum()),
                fix="correct the codes, or use units that cover them",
            )
        acc["basic_unit"] = text.astype(str).to_numpy()
        return acc
    for c in ("lat", "lon"):
        if c not in acc.columns:
            raise DataError(
                "joining accounts to units by location needs lat and lon",
                table="accounts",
                column=c,
                fix="add lat/lon [deg] or join by a code column (by='zip')",
            )
    ll = _lonlat(units)
    pts = gpd.GeoSeries(gpd.points_from_xy(acc["lon"], acc["lat"]), crs="EPSG:4326")
    if ll.crs is not None and not ll.crs.equals("EPSG:4326"):
        pts = pts.set_crs(ll.crs, allow_override=True)  # lon/lat datums differ by ~1 m
    tree = ll.sindex
    pi, ui = tree.query(pts.values, predicate="within")
    hit = np.full(len(acc), -1)
    hit[pi[::-1]] = ui[::-1]  # first polygon wins where polygons overlap
    miss = np.nonzero(hit < 0)[0]
    if miss.size:
        crs = _local_crs(units)
        proj_u = ll.to_crs(crs)
        proj_p = pts.iloc[miss].to_crs(crs)
        ni, nu = proj_u.sindex.nearest(proj_p.values, return_all=False)
        d_km = proj_p.values[ni].distance(proj_u.geometry.values[nu]) / 1000.0
        ok = d_km <= max_km
        hit[miss[ni[ok]]] = nu[ok]
        far = miss[ni[~ok]]
        if far.size:
            raise DataError(
                f"accounts lie more than {max_km:g} km outside every unit (up to "
                f"{float(d_km[~ok].max()):,.0f} km)",
                table="accounts",
                column="lat",
                rows=acc["account_id"].astype(str).to_numpy()[far].tolist(),
                n_rows=int(far.size),
                fix="check their coordinates, use units that cover them, or raise max_km",
            )
    acc["basic_unit"] = uid[hit]
    return acc


@dataclass(frozen=True, repr=False)
class UnitAdjacency(Mapping[str, list[str]]):
    """Which basic units neighbour which: a mapping unit -> sorted neighbours, as the aligner's
    ``adjacency=`` takes it.

    Attributes
    ----------
    pairs : DataFrame
        One row per neighbouring pair (each pair once, ``unit_id < neighbor_id``): ``unit_id``,
        ``neighbor_id``, ``kind`` (``border``: a shared edge; ``corner``: a shared point only,
        with ``rule="queen"``; ``bridge``: added to connect an island or a detached group),
        ``shared_km`` (length of the shared border [km]; for a bridge, the gap bridged).
    bridges : DataFrame
        The bridges: ``unit_id`` (in the detached part), ``neighbor_id``, ``distance_km``,
        ``reason`` (``island``: one unit without neighbours; ``exclave``: a group of units cut
        off from the rest), ``n_units`` (size of the detached part).
    rule : str
        ``rook`` or ``queen``.
    units : tuple of str
        Every unit, sorted.
    """

    pairs: pd.DataFrame
    bridges: pd.DataFrame
    rule: str
    units: tuple[str, ...]
    _neigh: dict[str, list[str]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        neigh: dict[str, set[str]] = {u: set() for u in self.units}
        for a, b in zip(self.pairs["unit_id"], self.pairs["neighbor_id"]):
            neigh[a].add(b)
            neigh[b].add(a)
        object.__setattr__(self, "_neigh", {u: sorted(v) for u, v in neigh.items()})

    def __getitem__(self, unit: str) -> list[str]:
        return self._neigh[unit]

    def __iter__(self) -> Iterator[str]:
        return iter(self._neigh)

    def __len__(self) -> int:
        return len(self._neigh)

    def __repr__(self) -> str:
        n_b = len(self.bridges)
        return (
            f"UnitAdjacency(rule={self.rule!r}, units={len(self.units):,}, "
            f"pairs={len(self.pairs):,}, bridges={n_b})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The pairs (see ``pairs``)."""
        return self.pairs.copy()

    def n_components(self, with_bridges: bool = True) -> int:
        """Connected pieces of the unit graph (1 once bridged)."""
        from scipy.sparse.csgraph import connected_components

        p = self.pairs if with_bridges else self.pairs.loc[self.pairs["kind"] != "bridge"]
        return int(connected_components(_graph(p, self.units), directed=False)[0])


def _graph(pairs: pd.DataFrame, units: tuple[str, ...], weights: Any = None) -> Any:
    import scipy.sparse as sp

    pos = {u: i for i, u in enumerate(units)}
    a = pairs["unit_id"].map(pos).to_numpy(int)
    b = pairs["neighbor_id"].map(pos).to_numpy(int)
    w = np.ones(a.size) if weights is None else np.asarray(weights, float)
    n = len(units)
    g = sp.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    return g.tocsr()


def adjacency(units: Any, rule: str = "rook", *, bridge: bool = True) -> UnitAdjacency:
    """Neighbouring basic units, from their polygons.

    Parameters
    ----------
    units : GeoDataFrame
        Basic units with ``unit_id`` (:func:`read_units`).
    rule : str
        ``"rook"``: neighbours share a stretch of border; ``"queen"``: they touch, if only at a
        corner.
    bridge : bool
        Connect islands and detached groups to the nearest unit of the rest (repeatedly, smallest
        part first) so that the graph is one piece; the bridges are listed in ``.bridges``.

    Returns
    -------
    UnitAdjacency

    Notes
    -----
    Candidate pairs come from a spatial index (polygons that intersect); a pair is a rook
    neighbour when the intersection of the two boundaries has positive length. Polygons must
    share their border lines (as census and postal boundary files do); units separated by a
    sliver of no-man's-land are not neighbours and are bridged instead when they form a separate
    piece.
    """
    import shapely

    if rule not in RULES:
        raise ConfigError(f"rule={rule!r}: allowed {list(RULES)}")
    if "unit_id" not in units.columns:
        raise DataError(
            "units need a unit_id column",
            table="units",
            column="unit_id",
            fix="read them with spm.geo.read_units(path, id_column=...)",
        )
    ids = units["unit_id"].astype(str).to_numpy()
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    geoms = units.geometry.values[order]
    geoms_arr = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms_arr)
    i, j = tree.query(geoms_arr, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    bnd = shapely.boundary(geoms_arr)
    shared = shapely.intersection(bnd[i], bnd[j])
    length = shapely.length(shared)
    border = length > 0
    sel = border if rule == "rook" else np.ones(i.size, dtype=bool)
    km = _length_km(shared[sel], units.crs) if sel.any() else np.zeros(0)
    pairs = pd.DataFrame(
        {
            "unit_id": ids[i[sel]],
            "neighbor_id": ids[j[sel]],
            "kind": np.where(border[sel], "border", "corner"),
            "shared_km": km,
        }
    )
    unit_ids = tuple(ids.tolist())
    bridges = pd.DataFrame(
        {
            "unit_id": pd.Series(dtype=str),
            "neighbor_id": pd.Series(dtype=str),
            "distance_km": pd.Series(dtype=float),
            "reason": pd.Series(dtype=str),
            "n_units": pd.Series(dtype=int),
        }
    )
    if bridge and len(unit_ids) > 1:
        bridges = _bridges(pairs, unit_ids, units.iloc[order].reset_index(drop=True))
        if len(bridges):
            b = bridges.assign(kind="bridge", shared_km=bridges["distance_km"])
            lo = np.minimum(b["unit_id"], b["neighbor_id"])
            hi = np.maximum(b["unit_id"], b["neighbor_id"])
            b = b.assign(unit_id=lo, neighbor_id=hi)[
                ["unit_id", "neighbor_id", "kind", "shared_km"]
            ]
            pairs = pd.concat([pairs, b], ignore_index=True)
    pairs = pairs.sort_values(["unit_id", "neighbor_id"]).reset_index(drop=True)
    return UnitAdjacency(pairs=pairs, bridges=bridges, rule=rule, units=unit_ids)


def _length_km(lines: np.ndarray, crs: Any) -> np.ndarray:
    """Length [km] of lines given in metres, or in lon/lat degrees (each vertex scaled by the
    cosine of its latitude: a local equirectangular projection, within ~0.5% at county size)."""
    import shapely

    if crs is not None and not crs.is_geographic:
        return np.asarray(shapely.length(lines)) / 1000.0

    def to_km(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [xy[:, 0] * np.cos(np.radians(xy[:, 1])) * 111.32, xy[:, 1] * 110.57]
        )

    return np.asarray(shapely.length(shapely.transform(lines, to_km)))


def _bridges(pairs: pd.DataFrame, ids: tuple[str, ...], units: Any) -> pd.DataFrame:
    """Join every detached piece to the nearest unit outside it, smallest piece first."""
    import shapely
    from scipy.sparse.csgraph import connected_components

    n, lab = connected_components(_graph(pairs, ids), directed=False)
    rows: list[dict[str, Any]] = []
    if n <= 1:
        return pd.DataFrame(
            rows, columns=["unit_id", "neighbor_id", "distance_km", "reason", "n_units"]
        )
    proj = units.to_crs(_local_crs(units)) if units.crs is not None else units
    geoms = np.asarray(proj.geometry.values, dtype=object)
    lab = lab.copy()
    while True:
        comps, sizes = np.unique(lab, return_counts=True)
        if comps.size <= 1:
            break
        c = comps[np.argmin(sizes)]
        inside = np.nonzero(lab == c)[0]
        outside = np.nonzero(lab != c)[0]
        tree = shapely.STRtree(geoms[outside])
        qi, ti = tree.query_nearest(geoms[inside], return_distance=False, all_matches=False)
        d = shapely.distance(geoms[inside][qi], geoms[outside][ti])
        k = int(np.argmin(d))
        a, b = int(inside[qi[k]]), int(outside[ti[k]])
        rows.append(
            {
                "unit_id": ids[a],
                "neighbor_id": ids[b],
                "distance_km": float(d[k]) / 1000.0,
                "reason": "island" if inside.size == 1 else "exclave",
                "n_units": int(inside.size),
            }
        )
        lab[lab == c] = lab[b]
    return pd.DataFrame(rows)


@dataclass(frozen=True, repr=False)
class Geography:
    """Accounts placed in basic units, and the units' adjacency, ready for the aligner.

    Attributes
    ----------
    accounts : DataFrame
        The accounts with ``basic_unit`` = the unit that serves them.
    units : GeoDataFrame
        Every polygon: ``unit_id``, ``host_unit`` (the unit with accounts it is served with:
        itself when it has accounts, else the nearest one along the adjacency), ``n_accounts``,
        ``potential`` [currency/yr], ``workload`` [h/yr], the file's columns, ``geometry``.
    adjacency : UnitAdjacency
        Adjacency of the host units (the units the aligner sees): two hosts neighbour when any
        polygons they serve do. Pass it as ``solve(..., adjacency=geo.adjacency)``.
    polygon_adjacency : UnitAdjacency
        Adjacency of all polygons, with its bridges.
    by, rule : str
        How accounts were joined, and the adjacency rule.
    """

    accounts: pd.DataFrame
    units: Any
    adjacency: UnitAdjacency
    polygon_adjacency: UnitAdjacency
    by: str = "location"
    rule: str = "rook"

    def __repr__(self) -> str:
        u = self.units
        hosts = int((u["n_accounts"] > 0).sum())
        return (
            f"Geography(polygons={len(u):,}, units with accounts={hosts:,}, "
            f"accounts={len(self.accounts):,}, rule={self.rule!r}, "
            f"bridges={len(self.polygon_adjacency.bridges)}, by={self.by!r})"
        )

    @property
    def bridges(self) -> pd.DataFrame:
        """Islands and detached groups bridged to their nearest unit (see
        :attr:`UnitAdjacency.bridges`)."""
        return self.polygon_adjacency.bridges

    def territory_units(self, assignment: pd.DataFrame) -> Any:
        """The polygons with the territory that serves them: ``units`` plus ``territory_id``
        (from an assignment of accounts ``account_id, territory_id``; a unit's territory is that
        of most of its potential, and empty polygons take their host's)."""
        asg = assignment[["account_id", "territory_id"]].astype(str)
        acc = self.accounts[["account_id", "basic_unit", "potential"]].astype(
            {"account_id": str, "basic_unit": str}
        )
        m = acc.merge(asg, on="account_id", how="inner")
        w = m.groupby(["basic_unit", "territory_id"])["potential"].sum().reset_index()
        w = w.sort_values(["basic_unit", "potential"], ascending=[True, False])
        top = w.drop_duplicates("basic_unit").set_index("basic_unit")["territory_id"]
        out = self.units.copy()
        out["territory_id"] = out["host_unit"].map(top)
        return out


def build_geography(
    accounts: pd.DataFrame,
    units: Any,
    by: str = "location",
    rule: str = "rook",
    *,
    max_km: float = 50.0,
) -> Geography:
    """Join accounts to polygons and build the adjacency the aligner's contiguity needs.

    Parameters
    ----------
    accounts : DataFrame
        Accounts (``account_id``, ``lat``, ``lon``, ``potential``, ``workload``).
    units : GeoDataFrame, path or ``"us-counties"``
        The basic units (see :func:`read_units`).
    by : str
        ``"location"`` or a code column (see :func:`assign_units`).
    rule : str
        ``"rook"`` or ``"queen"`` (see :func:`adjacency`).
    max_km : float
        See :func:`assign_units`.

    Returns
    -------
    Geography
    """
    from scipy.sparse.csgraph import dijkstra

    if not hasattr(units, "geometry"):
        units = read_units(units)
    acc = assign_units(accounts, units, by=by, max_km=max_km)
    poly = adjacency(units, rule=rule)
    ids = poly.units
    pos = {u: i for i, u in enumerate(ids)}
    ubu = acc["basic_unit"].astype(str)
    occupied = np.zeros(len(ids), dtype=bool)
    occupied[ubu.map(pos).to_numpy(int)] = True
    if not occupied.any():
        raise DataError("no account lies in any unit", table="accounts", fix="check lat/lon")
    # every polygon is served by the nearest occupied unit along the adjacency (centroid km)
    ll = _lonlat(units).set_index(units["unit_id"].astype(str)).loc[list(ids)]
    cx = ll.geometry.representative_point()
    lon, lat = cx.x.to_numpy(), cx.y.to_numpy()
    from spmopt.data.geo import haversine_km

    a = poly.pairs["unit_id"].map(pos).to_numpy(int)
    b = poly.pairs["neighbor_id"].map(pos).to_numpy(int)
    w = np.maximum(haversine_km(lat[a], lon[a], lat[b], lon[b]), 1e-3)
    g = _graph(poly.pairs, ids, w)
    src = np.nonzero(occupied)[0]
    _, _, sources = dijkstra(
        g, directed=False, indices=src, min_only=True, return_predecessors=True
    )
    host_idx = np.where(occupied, np.arange(len(ids)), sources)
    host = np.asarray(ids, dtype=object)[host_idx]
    # adjacency of hosts: polygon pairs whose hosts differ
    ha, hb = host[a], host[b]
    diff = ha != hb
    lo = np.where(ha < hb, ha, hb)[diff]
    hi = np.where(ha < hb, hb, ha)[diff]
    kinds = poly.pairs["kind"].to_numpy()[diff]
    hp = pd.DataFrame(
        {
            "unit_id": lo,
            "neighbor_id": hi,
            "kind": kinds,
            "shared_km": poly.pairs["shared_km"].to_numpy()[diff],
        }
    )
    hp["rank"] = hp["kind"].map({"border": 0, "corner": 1, "bridge": 2})
    agg = hp.groupby(["unit_id", "neighbor_id"], as_index=False).agg(
        rank=("rank", "min"), shared_km=("shared_km", "sum")
    )
    agg["kind"] = agg["rank"].map({0: "border", 1: "corner", 2: "bridge"})
    hosts = tuple(sorted(set(host[occupied].tolist())))
    host_bridges = poly.bridges.assign(
        unit_id=poly.bridges["unit_id"].map(lambda u: host[pos[u]]),
        neighbor_id=poly.bridges["neighbor_id"].map(lambda u: host[pos[u]]),
    )
    host_bridges = host_bridges.loc[host_bridges["unit_id"] != host_bridges["neighbor_id"]]
    host_adj = UnitAdjacency(
        pairs=agg[["unit_id", "neighbor_id", "kind", "shared_km"]].astype(
            {"unit_id": str, "neighbor_id": str}
        ),
        bridges=host_bridges.reset_index(drop=True),
        rule=rule,
        units=hosts,
    )
    stats = (
        acc.assign(basic_unit=ubu)
        .groupby("basic_unit")
        .agg(
            n_accounts=("account_id", "size"),
            potential=("potential", "sum") if "potential" in acc else ("account_id", "size"),
            workload=("workload", "sum") if "workload" in acc else ("account_id", "size"),
        )
    )
    out = units.copy()
    out["unit_id"] = out["unit_id"].astype(str)
    out["host_unit"] = out["unit_id"].map(dict(zip(ids, host)))
    out = out.join(stats, on="unit_id")
    out[["n_accounts", "potential", "workload"]] = out[
        ["n_accounts", "potential", "workload"]
    ].fillna(0)
    out["n_accounts"] = out["n_accounts"].astype(int)
    return Geography(
        accounts=acc, units=out, adjacency=host_adj, polygon_adjacency=poly, by=by, rule=rule
    )


def with_geography(
    data: Any, units: Any = "us-counties", by: str = "location", rule: str = "rook", **kw: Any
) -> Any:
    """Planning data with its accounts in basic units: ``accounts.basic_unit`` replaced and
    ``data.geography`` set (see :func:`build_geography`), so that ``contiguity: true`` in a
    scenario needs no hand-made adjacency."""
    import dataclasses

    geo = build_geography(data.accounts, units, by=by, rule=rule, **kw)
    return dataclasses.replace(data, accounts=geo.accounts, geography=geo)
