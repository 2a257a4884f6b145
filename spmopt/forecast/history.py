"""Revenue history as long tables, the sales hierarchy and the panel the models work on.

The hierarchy is account → rep (= territory) → district → region → total. Accounts are the
atoms: the history of a rep is the sum over the accounts assigned to it *under the given
alignment* (not under whoever sold them in the past), so a new alignment re-aggregates the same
account history, and a rep hired inside the plan year inherits the history of its territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from spmopt.errors import ConfigError, DataError

__all__ = ["LEVELS", "REALIGNED", "Panel", "build_history", "to_panel"]

#: Hierarchy levels from the bottom to the top.
LEVELS: tuple[str, ...] = ("rep", "district", "region", "total")


def _require_columns(frame: pd.DataFrame, cols: tuple[str, ...], table: str, fix: str) -> None:
    """Raise a :class:`DataError` naming the first of ``cols`` that ``frame`` lacks."""
    for col in cols:
        if col not in frame.columns:
            raise DataError(
                f"missing column {col!r}; detected {list(frame.columns)}",
                table=table,
                column=col,
                fix=fix,
            )


def _assignment_frame(assignment: Any) -> pd.DataFrame:
    frame = getattr(assignment, "assignment", assignment)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"expected a DataFrame or an AlignmentResult, got {type(assignment).__name__}",
            table="assignment",
            fix="pass AlignmentResult.assignment or a frame with account_id and rep_id",
        )
    missing = [c for c in ("account_id", "rep_id") if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; detected {list(frame.columns)}",
            table="assignment",
            column=missing[0],
            fix="the assignment needs one row per account with account_id and rep_id",
        )
    dup = frame["account_id"][frame["account_id"].duplicated()]
    if len(dup):
        raise DataError(
            "an account is assigned to more than one rep",
            table="assignment",
            column="account_id",
            rows=dup.astype(str).tolist(),
            fix="keep one row per account",
        )
    # accounts without a rep (unaligned, or in a vacant territory) carry no rep history
    frame = frame[frame["rep_id"].notna()]
    return frame[["account_id", "rep_id"]].astype(str)


def build_history(
    sales: pd.DataFrame,
    assignment: Any,
    reps: pd.DataFrame,
    *,
    levels: tuple[str, ...] = LEVELS,
) -> pd.DataFrame:
    """Monthly revenue per rep, district, region and total under an alignment.

    Parameters
    ----------
    sales : DataFrame
        ``account_id, period, revenue`` (period: month start; revenue in the plan's currency).
    assignment : DataFrame or AlignmentResult
        One row per account with ``account_id, rep_id``.
    reps : DataFrame
        ``rep_id`` and, for the upper levels, ``district`` and ``region``.
    levels : tuple of str
        Levels to emit, a subset of ``("rep", "district", "region", "total")``.

    Returns
    -------
    DataFrame
        Long table ``unique_id, ds, y, level, parent`` sorted by level and id, one row per series
        and month over the full range of ``sales`` (months without sales are 0). ``parent`` is the
        ``unique_id`` of the series one level up (missing at the top); ``y`` is currency/month.
        Every rep in ``reps`` appears, including reps with no accounts (an all-zero series).
        Sales of accounts that the assignment leaves out are not counted. When ``sales`` has
        a ``rep_id`` column (who sold each row) and some accounts now belong to another rep,
        a column ``realigned_share`` gives each rep the share of its history revenue that
        was sold by other reps (re-aggregated after the realignment; 0 elsewhere), and the
        forecaster notes those territories.
    """
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels:
        raise ConfigError(f"unknown level(s) {bad}; allowed: {list(LEVELS)}")
    _require_columns(
        sales,
        ("account_id", "period", "revenue"),
        "sales",
        "sales needs account_id, period (month start) and revenue",
    )
    if "rep_id" not in reps.columns:
        raise DataError("missing column 'rep_id'", table="reps", column="rep_id")
    for col in ("district", "region"):
        if col in levels and col not in reps.columns:
            raise DataError(
                f"level {col!r} asked for but reps has no {col!r} column",
                table="reps",
                column=col,
                fix=f"add a {col} column to reps or drop {col!r} from levels",
            )
    asg = _assignment_frame(assignment)
    unknown = sorted(set(asg["rep_id"]) - set(reps["rep_id"].astype(str)))
    if unknown:
        raise DataError(
            "the assignment names reps that are not in the reps table",
            table="assignment",
            column="rep_id",
            rows=unknown,
            fix="add the reps or correct the assignment",
        )
    period = pd.to_datetime(sales["period"], errors="coerce")
    if period.isna().any():
        rows = sales.index[period.isna()].tolist()
        raise DataError(
            "period is not a date", table="sales", column="period", rows=rows,
            fix="use month-start dates such as 2026-01-01",
        )  # fmt: skip
    months = period.dt.to_period("M").dt.to_timestamp()
    s = pd.DataFrame(
        {
            "account_id": sales["account_id"].astype(str),
            "ds": months,
            "y": pd.to_numeric(sales["revenue"], errors="coerce"),
            "row": np.arange(len(sales)),
        }
    )
    if s["y"].isna().any():
        raise DataError(
            "revenue is missing or not a number",
            table="sales",
            column="revenue",
            rows=sales.index[s["y"].isna()].tolist(),
            fix="fill the revenue (0 for no sales)",
        )
    all_months = pd.date_range(months.min(), months.max(), freq="MS")
    s = s.merge(asg, on="account_id", how="inner")
    realigned = _realigned_share(sales, s)
    rep_ids = reps["rep_id"].astype(str).to_numpy()
    by_rep = s.groupby(["rep_id", "ds"])["y"].sum().unstack("ds")
    by_rep = by_rep.reindex(index=rep_ids, columns=all_months).fillna(0.0)
    mat = by_rep.to_numpy(dtype=float)
    info = _distinct_names(reps.set_index(reps["rep_id"].astype(str)))
    frames: list[pd.DataFrame] = []

    def emit(ids: np.ndarray, values: np.ndarray, level: str, parents: np.ndarray | None) -> None:
        n, t = values.shape
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": np.repeat(ids.astype(str), t),
                    "ds": np.tile(all_months.to_numpy(), n),
                    "y": values.ravel(),
                    "level": level,
                    "parent": np.repeat(parents, t) if parents is not None else None,
                }
            )
        )

    chain = [lv for lv in LEVELS if lv in levels]

    def parent_of(level: str) -> str | None:
        i = chain.index(level)
        return chain[i + 1] if i + 1 < len(chain) else None

    def key(level: str, ids: np.ndarray) -> np.ndarray:
        if level == "rep":
            return ids
        if level == "total":
            return np.full(len(ids), "total", dtype=object)
        return info.loc[ids, level].astype(str).to_numpy()

    for level in chain:
        up = parent_of(level)
        k = key(level, rep_ids)
        grouped = pd.DataFrame(mat).groupby(k, sort=True).sum()
        ids = grouped.index.to_numpy().astype(str)
        first = pd.Series(np.arange(len(rep_ids))).groupby(k, sort=True).first().to_numpy()
        parents = key(up, rep_ids[first]).astype(str) if up else None
        emit(ids, grouped.to_numpy(dtype=float), level, parents)
    out = pd.concat(frames, ignore_index=True)
    out["ds"] = pd.to_datetime(out["ds"])
    if realigned is not None:
        # share of each rep's history that the realignment brought in from other reps
        out[REALIGNED] = out["unique_id"].map(realigned).where(out["level"] == "rep", 0.0)
        out[REALIGNED] = out[REALIGNED].fillna(0.0).astype(float)
    if "parent" in out:
        out["parent"] = out["parent"].astype(object).where(out["parent"].notna(), None)
    return out


#: Column of :func:`build_history` (only when sales name the rep who sold them and some
#: accounts changed rep): share of a rep's history revenue sold by another rep before the
#: realignment, re-aggregated to it.
REALIGNED = "realigned_share"


def _realigned_share(sales: pd.DataFrame, s: pd.DataFrame) -> pd.Series | None:
    """Per new rep, the share of its history revenue sold by other reps (None if none moved).

    ``s`` holds the sales rows already mapped to their new ``rep_id``; ``sales`` the original
    rows, whose optional ``rep_id`` says who sold them.
    """
    if "rep_id" not in sales.columns or s.empty:
        return None
    sold_by = sales["rep_id"].iloc[s["row"].to_numpy()]
    known = sold_by.notna().to_numpy()
    old = sold_by.astype(str).to_numpy()
    moved = known & (old != s["rep_id"].to_numpy())
    if not moved.any():
        return None
    rev = s["y"].abs().to_numpy()
    tot = pd.Series(rev).groupby(s["rep_id"].to_numpy()).sum()
    mov = pd.Series(np.where(moved, rev, 0.0)).groupby(s["rep_id"].to_numpy()).sum()
    share = (mov / tot.where(tot > 0)).fillna(0.0)
    return share[share > 0]


def _distinct_names(info: pd.DataFrame) -> pd.DataFrame:
    """Make district and region names distinct from each other, from rep ids and from "total".

    Series ids must be unique across the levels of the hierarchy; a region with one district
    often gives it the region's name. Such a district becomes ``"<name> (district)"`` and a region
    named like a rep ``"<name> (region)"``; quotas and comp match reps by ``rep_id`` and are
    unaffected.
    """
    taken = set(info.index.astype(str)) | {"total"}
    out = info
    for col, upper in (("region", set()), ("district", {"region"})):
        if col not in out.columns:
            continue
        clash_with = set(taken)
        for u in upper:
            if u in out.columns:
                clash_with |= set(out[u].astype(str))
        names = out[col].astype(str)
        clash = names.isin(clash_with)
        if clash.any():
            out = out.copy()
            out[col] = names.where(~clash, names + f" ({col})")
        taken |= set(out[col].astype(str))
    return out


@dataclass(frozen=True)
class Panel:
    """Series as a dense array: one row per series, one column per month.

    Attributes
    ----------
    ids : ndarray of str, (m,)
    level : ndarray of str, (m,)
    parent : ndarray of int, (m,), row index of the parent series or -1 at the top.
    ds : DatetimeIndex, (T,)
    y : ndarray, (m, T), NaN before a series starts.
    start : ndarray of int, (m,), first observed column of each series.
    notes : list of str, what was repaired on the way in.
    left : ndarray of bool, (m,), series that stopped before the last month (forecast 0).
    """

    ids: np.ndarray
    level: np.ndarray
    parent: np.ndarray
    ds: pd.DatetimeIndex
    y: np.ndarray
    start: np.ndarray
    notes: list[str] = field(default_factory=list)
    left: np.ndarray | None = None

    @property
    def levels(self) -> list[str]:
        """Levels present, bottom first (as given by the parent links)."""
        seen: list[str] = []
        for lv in self.level[self.bottom_order()]:
            if lv not in seen:
                seen.append(str(lv))
        return seen

    def bottom_order(self) -> np.ndarray:
        """Rows ordered by depth from the bottom (leaves first)."""
        return np.argsort(-self.depth(), kind="stable")

    def depth(self) -> np.ndarray:
        """Distance of each series from the top (the root has depth 0)."""
        d = np.zeros(len(self.ids), dtype=int)
        p = self.parent.copy()
        while (p >= 0).any():
            d += p >= 0
            p = np.where(p >= 0, self.parent[np.maximum(p, 0)], -1)
        return d

    def is_leaf(self) -> np.ndarray:
        leaf = np.ones(len(self.ids), dtype=bool)
        leaf[self.parent[self.parent >= 0]] = False
        return leaf

    def summing_matrix(self) -> tuple[sparse.csr_matrix, np.ndarray]:
        """``S`` (m × n_bottom, sparse 0/1) and the row indices of the bottom series.

        Row ``i`` of ``S`` marks the bottom series that add up to series ``i``.
        """
        bottom = np.flatnonzero(self.is_leaf())
        rows, cols = [], []
        node = bottom.copy()
        col = np.arange(len(bottom))
        while len(node):
            rows.append(node)
            cols.append(col)
            keep = self.parent[node] >= 0
            node, col = self.parent[node][keep], col[keep]
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        s = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(self.ids), len(bottom)))
        return s, bottom

    def is_hierarchy(self) -> bool:
        return bool((self.parent >= 0).any())


#: Months without revenue at the end of a history after which a series counts as left.
LEFT_MONTHS = 6


def to_panel(history: pd.DataFrame, *, allow_negative: bool = False) -> Panel:
    """Validate a long history table and turn it into a :class:`Panel`.

    Months missing inside a series are read as no revenue (0) and reported in ``notes``; a
    series may start later than others (a new territory). Dates must be monthly.
    """
    if not isinstance(history, pd.DataFrame):
        raise DataError(
            f"expected a DataFrame, got {type(history).__name__}",
            table="history",
            fix="build it with spm.forecast.build_history(sales, assignment, reps)",
        )
    _require_columns(
        history,
        ("unique_id", "ds", "y"),
        "history",
        "the history needs unique_id, ds (month start) and y (revenue)",
    )
    if history.empty:
        raise DataError("the history is empty", table="history", fix="pass at least one series")
    h = history.copy()
    h["unique_id"] = h["unique_id"].astype(str)
    ds = pd.to_datetime(h["ds"], errors="coerce")
    if ds.isna().any():
        raise DataError(
            "ds is not a date",
            table="history",
            column="ds",
            rows=h.index[ds.isna()].tolist(),
            fix="use month-start dates such as 2026-01-01",
        )
    y = pd.to_numeric(h["y"], errors="coerce")
    if y.isna().any() or not np.isfinite(y.to_numpy(dtype=float)).all():
        raise DataError(
            "y is missing, not a number or infinite",
            table="history",
            column="y",
            rows=h.index[~np.isfinite(y.to_numpy(dtype=float, na_value=np.nan))].tolist(),
            fix="fill the revenue (0 for a month without sales)",
        )
    h["y"] = y.astype(float)
    month = ds.dt.to_period("M").dt.to_timestamp()
    if not (month == ds.dt.normalize()).all():
        bad = h.index[month != ds.dt.normalize()].tolist()
        raise DataError(
            "ds is not monthly: spmopt forecasts monthly revenue with ds on the first of the "
            "month (frequency 'MS')",
            table="history",
            column="ds",
            rows=bad,
            fix="aggregate to months first, e.g. df.groupby(['unique_id', "
            "df.ds.dt.to_period('M').dt.to_timestamp()]).y.sum()",
        )
    h["ds"] = month
    dup = h.duplicated(["unique_id", "ds"])
    if dup.any():
        raise DataError(
            "more than one row per series and month",
            table="history",
            column="ds",
            rows=h.loc[dup, "unique_id"].unique().tolist(),
            fix="sum the rows of each month first (daily or weekly data must be aggregated)",
        )
    neg = h["y"] < 0
    if neg.any() and not allow_negative:
        raise DataError(
            f"{int(neg.sum())} month(s) of negative revenue",
            table="history",
            column="y",
            rows=h.loc[neg, "unique_id"].unique().tolist(),
            fix="net credits and returns against sales of the same month, or pass "
            "allow_negative=True to forecast net revenue that may go below zero",
        )
    notes: list[str] = []
    if neg.any():
        notes.append(f"{int(neg.sum())} negative month(s) kept (allow_negative=True)")
    ids = pd.unique(h["unique_id"])
    all_ds = pd.date_range(h["ds"].min(), h["ds"].max(), freq="MS")
    wide = h.pivot(index="unique_id", columns="ds", values="y").reindex(index=ids, columns=all_ds)
    y_arr = np.array(wide.to_numpy(dtype=float), dtype=float, copy=True)
    observed = ~np.isnan(y_arr)
    start = observed.argmax(axis=1)
    last = y_arr.shape[1] - 1 - observed[:, ::-1].argmax(axis=1)
    cols = np.arange(y_arr.shape[1])
    inside = (cols[None, :] >= start[:, None]) & ~observed
    gaps = inside.any(axis=1)
    if gaps.any():
        notes.append(
            f"{int(inside.sum())} missing month(s) inside {int(gaps.sum())} series read as no "
            f"revenue (0): {', '.join(ids[gaps][:5])}{' ...' if gaps.sum() > 5 else ''}"
        )
        y_arr[inside] = 0.0
    ended = last < y_arr.shape[1] - 1
    # revenue that stopped: no sales in the last LEFT_MONTHS months after sales before
    obs = np.nan_to_num(y_arr)
    nz = obs != 0
    last_sale = np.where(nz.any(axis=1), y_arr.shape[1] - 1 - nz[:, ::-1].argmax(axis=1), -1)
    quiet = (last_sale >= 0) & (last_sale < y_arr.shape[1] - LEFT_MONTHS)
    last = np.where(quiet & ~ended, last_sale, last)
    ended = ended | quiet
    if ended.any():
        # a series that stops before the last month has left (a rep who quit, a closed
        # territory): no revenue after its last month, and it is not forecast
        y_arr[(cols[None, :] > last[:, None]) & ended[:, None]] = 0.0
        gone = [f"{u} (last month {all_ds[k]:%Y-%m})" for u, k in zip(ids[ended], last[ended])]
        notes.append(
            f"{int(ended.sum())} series stop before {all_ds[-1]:%Y-%m} and are taken as left: "
            f"forecast 0, no interval: {', '.join(gone[:5])}{' ...' if len(gone) > 5 else ''}"
        )
    first = h.groupby("unique_id", sort=False).first().reindex(ids)
    if REALIGNED in h.columns:
        share = pd.to_numeric(first[REALIGNED], errors="coerce").fillna(0.0)
        moved = share[share > 0].sort_values(ascending=False)
        if len(moved):
            listed = ", ".join(f"{u} ({v:.0%})" for u, v in moved.head(5).items())
            notes.append(
                f"{len(moved)} territor{'y' if len(moved) == 1 else 'ies'} with history "
                "re-aggregated after a realignment "
                "(accounts sold by other reps now count for them, so their past does not "
                "describe the rep who sold it; forecasts follow the accounts): "
                f"{listed}{' ...' if len(moved) > 5 else ''}"
            )
    level = (
        first["level"].astype(str).to_numpy()
        if "level" in h.columns
        else np.full(len(ids), "series", dtype=object)
    )
    parent = np.full(len(ids), -1, dtype=int)
    if "parent" in h.columns:
        pos = {u: i for i, u in enumerate(ids)}
        par = first["parent"]
        for i, p in enumerate(par.to_numpy()):
            if p is None or (isinstance(p, float) and np.isnan(p)) or p is pd.NA:
                continue
            if str(p) not in pos:
                raise DataError(
                    f"parent {p!r} of series {ids[i]!r} is not a series of the history",
                    table="history",
                    column="parent",
                    rows=[ids[i]],
                    fix="include every level of the hierarchy (build_history does)",
                )
            parent[i] = pos[str(p)]
        _check_tree(ids, parent, y_arr)
    return Panel(
        ids=np.asarray(ids, dtype=object),
        level=np.asarray(level, dtype=object),
        parent=parent,
        ds=all_ds,
        y=y_arr,
        start=start,
        notes=notes,
        left=ended,
    )


def _check_tree(ids: np.ndarray, parent: np.ndarray, y: np.ndarray) -> None:
    m = len(ids)
    node = parent.copy()
    for _ in range(m + 1):
        if (node < 0).all():
            break
        node = np.where(node >= 0, parent[np.maximum(node, 0)], -1)
    else:  # pragma: no cover - only a cycle gets here
        raise DataError("the parent links form a cycle", table="history", column="parent")
    if (node >= 0).any():
        raise DataError("the parent links form a cycle", table="history", column="parent")
    # Children must add up to their parent (the hierarchy is what the forecasts are made
    # coherent with).
    has_child = np.zeros(m, dtype=bool)
    has_child[parent[parent >= 0]] = True
    sums = np.zeros_like(np.nan_to_num(y))
    np.add.at(sums, parent[parent >= 0], np.nan_to_num(y[parent >= 0]))
    tol = 1e-6 + 1e-9 * np.abs(np.nan_to_num(y))
    off = has_child & (np.abs(sums - np.nan_to_num(y)) > tol).any(axis=1)
    if off.any():
        raise DataError(
            "series do not equal the sum of their children",
            table="history",
            column="y",
            rows=ids[off].tolist(),
            fix="rebuild the upper levels from the bottom series (build_history does)",
        )
