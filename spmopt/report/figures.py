"""The report's figures, each a function of result tables returning a matplotlib Figure.

The figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so they
are safe in worker processes and notebooks alike; :func:`to_png_base64` turns one into the text
the HTML report inlines.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "attainment_figure",
    "balance_figure",
    "cost_figure",
    "fan_figure",
    "map_figure",
    "to_png_base64",
    "tradeoff_figure",
]

_BLUE = "#2b6cb0"
_GREY = "#a0aec0"
_RED = "#c53030"
_GREEN = "#2f855a"
_BAND = "#c6f6d5"


def to_png_base64(fig: Figure, dpi: int = 100) -> str:
    """The figure as a base64 PNG (for an ``<img src="data:image/png;base64,...">``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _money(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.2f}B"
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def _territory_colours(ids: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    uniq = sorted(set(map(str, ids)))
    # neighbours in id order get distant colours: stride through the table's 18 non-grey colours
    table = [cmap(k / 20 + 0.025) for k in range(20) if k not in (14, 15)]
    return {t: table[(i * 7) % 18] for i, t in enumerate(uniq)}


def map_figure(
    accounts: pd.DataFrame,
    after: pd.DataFrame,
    reps_before: pd.DataFrame,
    reps_after: pd.DataFrame,
    *,
    geography: object | None = None,
    states: bool = True,
) -> Figure:
    """Territory map before (``accounts.current_territory``) and after (``after``).

    With ``geography`` (a :class:`spmopt.geo.Geography`, e.g. ``data.geography``) the basic
    units are drawn as filled polygons, one colour per territory, moved units hatched (see
    :func:`spmopt.report.maps.polygon_map_figure`). Without it, dots are accounts (size by
    potential) coloured by territory over the US state outlines (``states``); black triangles are
    the reps' home bases; the right panel's title counts the accounts that changed territory.
    """
    if geography is not None:
        from spmopt.report.maps import polygon_map_figure

        return polygon_map_figure(geography, after, reps_before, reps_after)
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    acc = accounts.set_index(accounts["account_id"].astype(str))
    pot = acc["potential"].to_numpy(float)
    size = 4 + 40 * np.sqrt(pot / max(pot.max(), 1e-9))
    all_terr = list(reps_after["territory_id"].astype(str)) + list(
        reps_before["territory_id"].astype(str)
    )
    col = _territory_colours(all_terr)
    before = acc.get("current_territory")
    a = after.set_index(after["account_id"].astype(str))["territory_id"].astype(str)
    a = a.reindex(acc.index)
    panels = [("Before (current alignment)", before, reps_before, None)]
    moved = None
    if before is not None:
        moved = (before.astype(str) != a).to_numpy() & a.notna().to_numpy()
    panels.append(("After (planned alignment)", a, reps_after, moved))
    for ax, (title, terr, reps, mv) in zip(axes, panels):
        if terr is None:
            ax.text(0.5, 0.5, "no current territories", ha="center", transform=ax.transAxes)
            continue
        c = [col.get(str(t), (0.8, 0.8, 0.8, 1.0)) for t in terr.to_numpy()]
        if states:
            from spmopt.report.maps import draw_state_outlines

            if draw_state_outlines(ax, acc["lon"], acc["lat"]):
                ax.set_xlim(acc["lon"].min() - 1, acc["lon"].max() + 1)
                ax.set_ylim(acc["lat"].min() - 1, acc["lat"].max() + 1)
        ax.scatter(acc["lon"], acc["lat"], s=size, c=c, linewidths=0, alpha=0.85, zorder=2)
        if mv is not None:
            share = float(pot[mv].sum() / max(pot.sum(), 1e-12))
            title = f"{title}: {int(mv.sum()):,} accounts moved ({share:.0%} of potential)"
        ax.scatter(
            reps["lon"], reps["lat"], marker="^", s=40, c="black", edgecolors="white", lw=0.6
        )
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("longitude [°]")
        ax.set_aspect(1.25)
        ax.grid(alpha=0.2)
    axes[0].set_ylabel("latitude [°]")
    return fig


def balance_figure(
    before: pd.DataFrame | None,
    after: pd.DataFrame,
    tolerance: Mapping[str, float],
    attrs: Sequence[str] = ("potential", "workload"),
) -> Figure:
    """Per-territory totals against the balance band, before (grey) and after (blue).

    ``before`` and ``after`` have ``territory_id`` and one column per attribute; the green band
    is mean × (1 ± tolerance) for balanced attributes.
    """
    attrs = [a for a in attrs if a in after]
    fig = Figure(figsize=(13, 3.2 * len(attrs)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(attrs), 1))
    order = after.sort_values(attrs[0], ascending=False)["territory_id"].astype(str).tolist()
    x = np.arange(len(order))
    for ax, attr in zip(axes, attrs):
        aft = after.set_index(after["territory_id"].astype(str))[attr].reindex(order)
        mean = float(aft.mean())
        tol = tolerance.get(attr)
        if tol is not None:
            ax.axhspan(mean * (1 - tol), mean * (1 + tol), color=_BAND, zorder=0,
                       label=f"target ±{tol:.0%}")  # fmt: skip
        ax.axhline(mean, color=_GREEN, lw=0.8, zorder=1)
        if before is not None and attr in before:
            bef = before.set_index(before["territory_id"].astype(str))[attr].reindex(order)
            ax.bar(x - 0.2, bef.fillna(0).to_numpy(), 0.4, color=_GREY, label="before")
            ax.bar(x + 0.2, aft.to_numpy(), 0.4, color=_BLUE, label="after")
        else:
            ax.bar(x, aft.to_numpy(), 0.7, color=_BLUE, label="after")
        ax.set_ylabel(attr)
        if attr == "potential":
            ax.yaxis.set_major_formatter(lambda v, _p: _money(v))
        ax.set_xticks(x, order, rotation=90, fontsize=7)
        ax.set_xlim(-0.7, len(order) - 0.3)
        ax.legend(loc="upper right", fontsize=8, ncols=3, frameon=False)
        ax.grid(axis="y", alpha=0.2)
        dev = np.abs(aft.to_numpy() / mean - 1).max() if mean else np.nan
        ax.set_title(f"{attr} per territory (max deviation after: {dev:.1%})", fontsize=10)
    return fig


def fan_figure(
    history: pd.DataFrame | None,
    forecast: pd.DataFrame,
    levels: Sequence[str] = ("total", "region"),
    months_back: int = 36,
) -> Figure:
    """Fan charts: history and forecast with 80% and 95% intervals, one panel per series of the
    given levels (total first, then regions)."""
    f = forecast.copy()
    f["ds"] = pd.to_datetime(f["ds"])
    ids: list[tuple[str, str]] = []
    present = set(f["level"].astype(str))
    if "region" in levels and "region" not in present and "district" in present:
        levels = [("district" if lv == "region" else lv) for lv in levels]
    for lv in levels:
        for uid in sorted(f.loc[f["level"] == lv, "unique_id"].astype(str).unique()):
            ids.append((lv, uid))
    n = max(1, len(ids))
    ncol = 3 if n > 4 else min(n, 2) if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(13, 3.0 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax, (lv, uid) in zip(axes, ids):
        g = f.loc[f["unique_id"].astype(str) == uid].sort_values("ds")
        if history is not None and len(history):
            h = history.loc[history["unique_id"].astype(str) == uid].copy()
            h["ds"] = pd.to_datetime(h["ds"])
            h = h.sort_values("ds").tail(months_back)
            ax.plot(h["ds"], h["y"], color="black", lw=1.0, label="history")
        for lvl, alpha in ((95, 0.18), (80, 0.35)):
            lo, hi = f"yhat_lo_{lvl}", f"yhat_hi_{lvl}"
            if lo in g and hi in g:
                ax.fill_between(g["ds"], g[lo], g[hi], color=_BLUE, alpha=alpha, lw=0,
                                label=f"{lvl}% interval")  # fmt: skip
        ax.plot(g["ds"], g["yhat"], color=_BLUE, lw=1.5, label="forecast")
        total = g["yhat"].sum()
        ax.set_title(f"{uid} ({lv}) — plan year {_money(total)}", fontsize=10)
        ax.yaxis.set_major_formatter(lambda v, _p: _money(v))
        ax.grid(alpha=0.2)
        loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes[len(ids) :]:
        ax.set_visible(False)
    if ids:
        axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def attainment_figure(per_rep: pd.DataFrame, annual: pd.DataFrame | None = None) -> Figure:
    """Expected attainment per rep and each rep's probability of reaching quota."""
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    att = per_rep["expected_attainment"].to_numpy(float) if "expected_attainment" in per_rep else []
    if len(att):
        bins = np.linspace(min(0.4, np.nanmin(att)), max(1.6, np.nanmax(att)), 25)
        ax1.hist(att, bins=bins, color=_BLUE, alpha=0.85)
        ax1.axvline(1.0, color=_RED, lw=1.2, label="quota (100%)")
        ax1.set_xlabel("expected attainment (revenue / quota)")
        ax1.set_ylabel("reps")
        ax1.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        ax1.legend(fontsize=8, frameon=False)
        ax1.set_title("Expected attainment per rep", fontsize=10)
    if "p_at_quota" in per_rep:
        p = per_rep.sort_values("p_at_quota")
        ax2.bar(np.arange(len(p)), p["p_at_quota"], color=_BLUE)
        ax2.axhspan(0.6, 0.7, color=_BAND, zorder=0, label="usual aim: 60–70%")
        ax2.axhline(p["p_at_quota"].mean(), color=_GREEN, lw=1.0,
                    label=f"expected share at quota {p['p_at_quota'].mean():.0%}")  # fmt: skip
        ax2.set_xticks(np.arange(len(p)), p["rep_id"].astype(str), rotation=90, fontsize=6)
        ax2.set_ylim(0, 1)
        ax2.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        ax2.set_ylabel("P(attainment ≥ 100%)")
        ax2.legend(fontsize=8, frameon=False, loc="upper left")
        ax2.set_title("Probability of reaching quota, per rep", fontsize=10)
    return fig


def cost_figure(
    draws: pd.DataFrame,
    ccos_band: tuple[float, float] | None,
    margin_floor: float | None,
    currency: str = "currency",
) -> Figure:
    """Distribution over draws of the incentive cost, the cost of sales against the CCOS band and
    the margin after comp against the floor."""
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    inc = draws["incentive"].to_numpy(float)
    ax1.hist(inc, bins=40, color=_BLUE, alpha=0.85)
    for q, ls, h in ((10, ":", 0.97), (50, "-", 0.80), (90, ":", 0.97)):
        v = np.percentile(inc, q)
        ax1.axvline(v, color="black", ls=ls, lw=1)
        ax1.text(v, ax1.get_ylim()[1] * h, f" P{q}\n {_money(v)}", fontsize=7, va="top")
    ax1.xaxis.set_major_formatter(lambda v, _p: _money(v))
    ax1.set_title("Incentive cost of the plan year", fontsize=10)
    ax1.set_xlabel(f"incentive paid [{currency}]")
    ax1.set_ylabel("draws")
    if "ccos" in draws:
        c = draws["ccos"].to_numpy(float)
        if ccos_band is not None:
            ax2.axvspan(ccos_band[0], ccos_band[1], color=_BAND, zorder=0,
                        label=f"CCOS band {ccos_band[0]:.0%}–{ccos_band[1]:.0%}")  # fmt: skip
        ax2.hist(c, bins=40, color=_BLUE, alpha=0.85)
        ax2.xaxis.set_major_formatter(lambda v, _p: f"{v:.1%}")
        ax2.set_xlabel("incentive / revenue")
        ax2.legend(fontsize=8, frameon=False)
        ax2.set_title("Incentive cost of sales (CCOS)", fontsize=10)
    mcol = "margin_after_comp" if "margin_after_comp" in draws else "margin"
    if mcol in draws:
        m = draws[mcol].to_numpy(float)
        ax3.hist(m, bins=40, color=_BLUE, alpha=0.85)
        if margin_floor is not None:
            ax3.axvline(margin_floor, color=_RED, lw=1.5,
                        label=f"margin floor {margin_floor:.0%}")  # fmt: skip
            ax3.axvspan(min(m.min(), margin_floor) - 0.01, margin_floor, color=_RED, alpha=0.08)
        ax3.xaxis.set_major_formatter(lambda v, _p: f"{v:.1%}")
        ax3.set_xlabel("margin after sales comp")
        ax3.legend(fontsize=8, frameon=False)
        ax3.set_title("Margin after comp", fontsize=10)
    return fig


def tradeoff_figure(
    summary: pd.DataFrame,
    ccos_band: tuple[float, float] | None = None,
) -> Figure:
    """Trade-off across scenarios: expected incentive cost (P10–P90) and CCOS against the
    expected share of reps at quota; green passes every check, red fails one. Points are labelled
    with the ``#`` column when there is one (the comparison table's row numbers), else with the
    scenario names less their common prefix."""
    s = summary.loc[summary.get("status", pd.Series("done", index=summary.index)) != "failed"]
    s = s.dropna(subset=["share_at_quota", "expected_cost"])
    fig = Figure(figsize=(13, 4.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ok = s["passes"].astype("boolean").fillna(False).to_numpy(bool) if "passes" in s else None
    colours = np.where(ok, _GREEN, _RED) if ok is not None else np.full(len(s), _BLUE)
    x = s["share_at_quota"].to_numpy(float)
    y = s["expected_cost"].to_numpy(float)
    if {"cost_p10", "cost_p90"} <= set(s.columns):
        lo = y - s["cost_p10"].to_numpy(float)
        hi = s["cost_p90"].to_numpy(float) - y
        ax1.errorbar(x, y, yerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt="none",
                     ecolor=_GREY, lw=1)  # fmt: skip
    ax1.scatter(x, y, c=colours, s=36, zorder=3)
    ax1.set_xlabel("expected share of reps at or above quota")
    ax1.set_ylabel("expected incentive cost (P10–P90)")
    ax1.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    ax1.yaxis.set_major_formatter(lambda v, _p: _money(v))
    ax1.set_title("Comp cost versus share at quota", fontsize=10)
    if "ccos" in s:
        ax2.scatter(x, s["ccos"].to_numpy(float), c=colours, s=36, zorder=3)
        if ccos_band is not None:
            ax2.axhspan(ccos_band[0], ccos_band[1], color=_BAND, zorder=0,
                        label=f"CCOS band {ccos_band[0]:.0%}–{ccos_band[1]:.0%}")  # fmt: skip
            ax2.legend(fontsize=8, frameon=False)
        ax2.set_xlabel("expected share of reps at or above quota")
        ax2.set_ylabel("expected CCOS")
        ax2.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        ax2.yaxis.set_major_formatter(lambda v, _p: f"{v:.1%}")
        ax2.set_title("Cost of sales versus share at quota", fontsize=10)
    if "#" in s:
        short = [str(v) for v in s["#"]]
    else:
        short = _short_labels([str(n) for n in s["scenario"]])
    if len(short) <= 60:
        for ax, yy in ((ax1, y), (ax2, s["ccos"].to_numpy(float) if "ccos" in s else None)):
            if yy is None:
                continue
            for xi, yi, lab in zip(x, yy, short):
                ax.annotate(lab, (xi, yi), fontsize=7.5, xytext=(4, 2),
                            textcoords="offset points")  # fmt: skip
    for ax in (ax1, ax2):
        ax.grid(alpha=0.2)
    return fig


def _short_labels(names: list[str]) -> list[str]:
    """Names without their common prefix (a sweep's base name)."""
    if len(names) < 2:
        return names
    pre = names[0]
    for n in names[1:]:
        k = 0
        while k < min(len(pre), len(n)) and pre[k] == n[k]:
            k += 1
        pre = pre[:k]
    cut = pre.rfind("__") + 2 if "__" in pre else 0
    out = [n[cut:] or n for n in names]
    return [o.replace("__", " ") for o in out]
