"""Territory maps: basic units as filled polygons, one colour per territory, and an interactive
map for notebooks.

* :func:`polygon_map_figure` draws before / after side by side: every unit filled with its
  territory's colour, territory borders in dark lines over thin unit borders, units that change
  territory hatched, reps' home bases as triangles, state outlines underneath.
* :func:`draw_state_outlines` puts US state borders under point data (the report's map when the
  data has no polygons).
* :func:`interactive_map` is a plotly figure (hover a unit: territory, potential, workload,
  accounts); it needs no network and renders in Jupyter.

Everything is built on :class:`matplotlib.figure.Figure` (no pyplot state) like
:mod:`spmopt.report.figures`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "draw_state_outlines",
    "draw_territories",
    "interactive_map",
    "map_colours",
    "polygon_map_figure",
    "unit_territories",
]

_US_BOUNDS = (-125.5, 24.0, -66.5, 49.8)


def _palette() -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(k / 20 + 0.025) for k in range(20) if k not in (14, 15)]  # no greys


def map_colours(geography: Any, *territories: pd.Series) -> dict[str, Any]:
    """One colour per territory such that territories that touch on the map (in any of the
    given unit -> territory maps) differ: greedy colouring, most-connected territory first."""
    pairs = geography.polygon_adjacency.pairs
    edges: set[tuple[str, str]] = set()
    names: set[str] = set()
    for terr in territories:
        t = terr.dropna().astype(str)
        names |= set(t)
        a = pairs["unit_id"].map(t)
        b = pairs["neighbor_id"].map(t)
        ok = a.notna() & b.notna() & (a != b)
        edges |= {(x, y) if x < y else (y, x) for x, y in zip(a[ok], b[ok])}
    nb: dict[str, set[str]] = {n: set() for n in names}
    for x, y in edges:
        nb[x].add(y)
        nb[y].add(x)
    base = _palette()
    palette = [base[(i * 7) % len(base)] for i in range(len(base))]  # light/dark of a hue apart
    count = dict.fromkeys(range(len(palette)), 0)
    pick: dict[str, int] = {}
    for n in sorted(names, key=lambda n: (-len(nb[n]), n)):
        used = {pick[m] for m in nb[n] if m in pick}
        free = [k for k in range(len(palette)) if k not in used] or list(range(len(palette)))
        k = min(free, key=lambda k: (count[k], k))  # the least used colour, for variety
        pick[n] = k
        count[k] += 1
    return {n: palette[k] for n, k in pick.items()}


@lru_cache(maxsize=1)
def _state_lines() -> Any:
    from spmopt.geo import us_states

    return us_states().boundary


def _in_us(lon: np.ndarray, lat: np.ndarray) -> bool:
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    if lon.size == 0:
        return False
    x0, y0, x1, y1 = _US_BOUNDS
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return bool(inside.mean() > 0.9)


def draw_state_outlines(ax: Any, lon: Any = None, lat: Any = None, *, zorder: float = 0) -> bool:
    """Draw US state borders (grey) on ``ax`` when the points ``lon``, ``lat`` [deg] lie in the
    contiguous US (or always, when none are given); returns whether they were drawn."""
    if lon is not None and lat is not None and not _in_us(lon, lat):
        return False
    try:
        lines = _state_lines()
    except Exception:  # the shapes are optional decoration: no outlines rather than no map
        return False
    lines.plot(ax=ax, color="#718096", linewidth=0.5, zorder=zorder)
    ax.set_xlabel("")  # geopandas labels the axes with the CRS's names
    ax.set_ylabel("")
    return True


def unit_territories(geography: Any, assignment: pd.DataFrame | None) -> pd.Series:
    """Territory of every polygon (index ``unit_id``) under an account assignment
    (``account_id, territory_id``); ``None`` gives NaN everywhere."""
    if assignment is None:
        return pd.Series(np.nan, index=geography.units["unit_id"].astype(str), dtype=object)
    t = geography.territory_units(assignment)
    return pd.Series(t["territory_id"].to_numpy(), index=t["unit_id"].astype(str))


def draw_territories(
    ax: Any,
    units: Any,
    territory: pd.Series,
    colours: dict[str, Any],
    *,
    moved: np.ndarray | None = None,
    reps: pd.DataFrame | None = None,
    states: bool = True,
) -> None:
    """Fill each unit with its territory's colour, outline territories, hatch ``moved`` units.

    Parameters
    ----------
    ax : matplotlib Axes
    units : GeoDataFrame
        Polygons with ``unit_id`` (lon/lat).
    territory : Series
        Territory per ``unit_id`` (NaN: not served; drawn light grey).
    colours : dict
        Territory -> colour.
    moved : bool array, optional
        Units (in the order of ``units``) whose territory changes: hatched.
    reps : DataFrame, optional
        Home bases (``lat``, ``lon``) drawn as black triangles.
    states : bool
        Draw US state borders underneath when the units are in the US.
    """
    g = (
        units.to_crs("EPSG:4326")
        if units.crs is not None and not units.crs.is_geographic
        else units
    )
    terr = territory.reindex(g["unit_id"].astype(str)).to_numpy()
    fill = [
        colours.get(str(t), (0.93, 0.93, 0.93, 1.0)) if pd.notna(t) else (0.95, 0.95, 0.95, 1.0)
        for t in terr
    ]
    g.plot(ax=ax, color=fill, edgecolor="white", linewidth=0.15, zorder=1)
    served = g.assign(territory_id=terr).loc[pd.notna(terr)]
    if len(served):
        borders = served.dissolve(by="territory_id")
        borders.boundary.plot(ax=ax, color="#1a202c", linewidth=0.8, zorder=3)
    if moved is not None and np.asarray(moved).any():
        g.loc[np.asarray(moved, dtype=bool)].plot(
            ax=ax, facecolor="none", edgecolor="#1a202c", hatch="////", linewidth=0.0, zorder=2
        )
    b = g.total_bounds
    if states:
        cx, cy = np.array([b[0], b[2]]), np.array([b[1], b[3]])
        draw_state_outlines(ax, cx, cy, zorder=4)
    if reps is not None and len(reps):
        ax.scatter(
            reps["lon"], reps["lat"], marker="^", s=46, c="black", edgecolors="white", lw=0.7,
            zorder=5,
        )  # fmt: skip
    pad_x, pad_y = 0.02 * (b[2] - b[0]) + 0.05, 0.02 * (b[3] - b[1]) + 0.05
    ax.set_xlim(b[0] - pad_x, b[2] + pad_x)
    ax.set_ylim(b[1] - pad_y, b[3] + pad_y)
    ax.set_aspect(1.0 / max(np.cos(np.radians((b[1] + b[3]) / 2)), 0.2))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_visible(False)


def polygon_map_figure(
    geography: Any,
    after: pd.DataFrame,
    reps_before: pd.DataFrame,
    reps_after: pd.DataFrame,
    before: pd.DataFrame | None = None,
    *,
    only_served: bool = True,
) -> Figure:
    """Before / after territory maps on the basic units' polygons.

    Parameters
    ----------
    geography : spmopt.geo.Geography
        Units and accounts (``geography.accounts`` holds ``current_territory`` for "before").
    after : DataFrame
        The new assignment (``account_id, territory_id``).
    reps_before, reps_after : DataFrame
        Reps with home bases (``territory_id``, ``lat``, ``lon``).
    before : DataFrame, optional
        Today's assignment (default: ``current_territory`` of the accounts).
    only_served : bool
        Draw only units served by a territory (leaves out polygons with no accounts near).

    Returns
    -------
    Figure
        Two panels; units whose territory changes are hatched in the right one, whose title
        counts them and the share of potential they hold.
    """
    acc = geography.accounts
    if before is None and "current_territory" in acc:
        before = pd.DataFrame(
            {"account_id": acc["account_id"], "territory_id": acc["current_territory"]}
        ).dropna()
    t_before = unit_territories(geography, before) if before is not None else None
    t_after = unit_territories(geography, after)
    units = geography.units
    if only_served:
        keep = t_after.reindex(units["unit_id"].astype(str)).notna().to_numpy()
        units = units.loc[keep]
    ids = units["unit_id"].astype(str)
    colours = map_colours(geography, *(t for t in (t_before, t_after) if t is not None))
    b = units.to_crs("EPSG:4326").total_bounds if units.crs is not None else units.total_bounds
    aspect = 1.0 / max(np.cos(np.radians((b[1] + b[3]) / 2)), 0.2)
    ratio = (b[3] - b[1]) * aspect / max(b[2] - b[0], 1e-9)
    fig = Figure(figsize=(13, float(np.clip(6.3 * ratio + 0.9, 3.5, 9.0))), layout="constrained")
    axes = fig.subplots(1, 2)
    moved = None
    if t_before is not None:
        tb = t_before.reindex(ids).to_numpy()
        ta = t_after.reindex(ids).to_numpy()
        moved = pd.notna(tb) & pd.notna(ta) & (tb.astype(str) != ta.astype(str))
    if t_before is not None:
        draw_territories(axes[0], units, t_before, colours, reps=reps_before)
        axes[0].set_title("Before (current alignment)", fontsize=11)
    else:
        axes[0].text(0.5, 0.5, "no current territories", ha="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    draw_territories(axes[1], units, t_after, colours, moved=moved, reps=reps_after)
    title = "After"
    if moved is not None:
        pot = units["potential"].to_numpy(float)
        share = float(pot[moved].sum() / max(pot.sum(), 1e-12))
        title += (
            f": {int(moved.sum()):,} units change territory (hatched, {share:.0%} of potential)"
        )
    axes[1].set_title(title, fontsize=11)
    return fig


def interactive_map(
    geography: Any,
    assignment: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    tolerance: float = 0.01,
    only_served: bool = True,
) -> Any:
    """An interactive territory map (plotly): hover a unit to see its territory, potential,
    workload and accounts.

    Parameters
    ----------
    geography : spmopt.geo.Geography
    assignment : DataFrame
        ``account_id, territory_id``.
    reps : DataFrame, optional
        Home bases drawn as markers.
    tolerance : float
        Simplification of the outlines [deg] (keeps the notebook small).
    only_served : bool
        Leave out polygons no territory serves.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import json

    import plotly.graph_objects as go

    terr = unit_territories(geography, assignment)
    u = geography.units.copy()
    u["unit_id"] = u["unit_id"].astype(str)
    u["territory_id"] = terr.reindex(u["unit_id"]).to_numpy()
    if only_served:
        u = u.loc[u["territory_id"].notna()]
    u = u.to_crs("EPSG:4326") if u.crs is not None and not u.crs.is_geographic else u
    u = u.assign(geometry=u.geometry.simplify(tolerance, preserve_topology=True))
    gj = json.loads(u[["unit_id", "geometry"]].to_json())
    ids = sorted(set(u["territory_id"].astype(str)))
    colours = map_colours(geography, terr)
    code = {t: i for i, t in enumerate(ids)}

    def hexcol(c: Any) -> str:
        r, g, b = (round(255 * float(x)) for x in c[:3])
        return f"#{r:02x}{g:02x}{b:02x}"

    n = max(len(ids), 1)
    scale = []
    for t, i in code.items():
        lo, hi = i / n, (i + 1) / n
        scale += [[lo, hexcol(colours[t])], [hi, hexcol(colours[t])]]
    name = u["name"].astype(str) if "name" in u else u["unit_id"]
    fig = go.Figure(
        go.Choropleth(
            geojson=gj,
            featureidkey="properties.unit_id",
            locations=u["unit_id"],
            z=u["territory_id"].astype(str).map(code).to_numpy(float) + 0.5,
            zmin=0,
            zmax=n,
            colorscale=scale or [[0, "#cccccc"], [1, "#cccccc"]],
            showscale=False,
            marker_line_color="white",
            marker_line_width=0.3,
            customdata=np.column_stack(
                [
                    name,
                    u["territory_id"].astype(str),
                    u["potential"].to_numpy(float),
                    u["workload"].to_numpy(float),
                    u["n_accounts"].to_numpy(int),
                ]
            ),
            hovertemplate="<b>%{customdata[0]}</b> (%{location})<br>territory %{customdata[1]}"
            "<br>potential %{customdata[2]:,.0f}<br>workload %{customdata[3]:,.0f} h"
            "<br>accounts %{customdata[4]}<extra></extra>",
        )
    )
    if reps is not None and len(reps):
        fig.add_trace(
            go.Scattergeo(
                lon=reps["lon"],
                lat=reps["lat"],
                text=reps["territory_id"].astype(str),
                mode="markers",
                marker={"symbol": "triangle-up", "size": 9, "color": "black"},
                hovertemplate="home base of %{text}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0}, height=520, title="Territories")
    return fig
