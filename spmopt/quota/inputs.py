"""Gather what the quota model needs, one row per territory, from the planning tables.

The alignment (an ``AlignmentResult`` or a plain assignment table) decides which accounts form
each territory and which rep holds it; potential and last year's actuals are re-aggregated from
accounts and sales through that assignment, so a realignment moves history with its accounts.
The forecast (a ``ForecastResult`` or a forecast table) gives each territory's monthly revenue
for the plan year and, for achievability, revenue draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.alignment import current_assignment
from spmopt.errors import DataError
from spmopt.quota.draws import draws_from_intervals, interval_scales

__all__ = ["TerritoryInputs", "assignment_frame", "build_inputs", "current_assignment"]

_RAMP_DEFAULT = 12


@dataclass(frozen=True)
class TerritoryInputs:
    """Per-territory arrays (length ``n``) and plan-year months (length 12).

    Attributes
    ----------
    frame : DataFrame
        One row per territory: ``territory_id, rep_id`` (None when vacant), ``region, district,
        role, hire_date, potential [currency/yr], last_year [currency/yr]`` (NaN without sales),
        ``prior_year`` (the year before last), ``has_history, forecast [currency/yr],
        forecast_source`` (``forecast`` or ``fallback``).
    months : DatetimeIndex
        The twelve month starts of the plan year.
    forecast_monthly : ndarray, shape (n, 12)
        Forecast revenue per territory and month [currency/month].
    draws : ndarray or None, shape (n_draws, n, 12)
        Revenue draws per territory and month; None when no forecast was given.
    last_year_monthly : ndarray or None, shape (n, 12)
        Last year's actuals per territory and calendar month; None without sales.
    notes : list of str
        What was filled in or assumed, for the result's report.
    """

    frame: pd.DataFrame
    months: pd.DatetimeIndex
    forecast_monthly: np.ndarray
    draws: np.ndarray | None
    last_year_monthly: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT


def assignment_frame(alignment: Any) -> pd.DataFrame:
    """The ``account_id, territory_id, rep_id`` table of an alignment.

    Accepts an ``AlignmentResult`` (anything with an ``assignment`` DataFrame) or a DataFrame.
    """
    frame = getattr(alignment, "assignment", alignment)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"alignment must be an AlignmentResult or a DataFrame, got {type(alignment).__name__}",
            table="alignment",
            fix="pass TerritoryAligner(...).solve(...) or a table account_id, territory_id, rep_id",
        )
    missing = [c for c in ("account_id", "territory_id") if c not in frame]
    if missing:
        raise DataError(
            f"needs columns account_id, territory_id (rep_id optional); missing {missing}",
            table="alignment",
            column=missing[0],
            fix="pass the assignment table of an AlignmentResult",
        )
    unaligned = frame["territory_id"].isna().to_numpy()
    if unaligned.any():
        raise DataError(
            "accounts without a territory",
            table="alignment",
            column="territory_id",
            rows=frame.loc[unaligned, "account_id"].astype(str).tolist(),
            n_rows=int(unaligned.sum()),
            fix="give every account a territory (e.g. realign with TerritoryAligner)",
        )
    out = pd.DataFrame(
        {
            "account_id": frame["account_id"].astype(str).to_numpy(),
            "territory_id": frame["territory_id"].astype(str).to_numpy(),
        }
    )
    if "rep_id" in frame:
        rid = frame["rep_id"]
        out["rep_id"] = np.where(rid.isna().to_numpy(), None, rid.astype(str).to_numpy())
        out.loc[out["rep_id"].isin(["", "nan", "None", "<NA>"]), "rep_id"] = None
    else:
        out["rep_id"] = None
    dup = out["account_id"].duplicated()
    if dup.any():
        raise DataError(
            "an account is assigned more than once",
            table="alignment",
            column="account_id",
            rows=out.loc[dup, "account_id"].tolist(),
            fix="give each account exactly one territory",
        )
    return out


def _territory_reps(assign: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """One row per territory with its rep and the rep's attributes."""
    terrs = pd.Index(pd.unique(assign["territory_id"]))
    held = assign.dropna(subset=["rep_id"]).drop_duplicates("territory_id")
    rep_of: dict[str, Any] = dict(zip(held["territory_id"], held["rep_id"]))
    clash = assign.dropna(subset=["rep_id"]).groupby("territory_id")["rep_id"].nunique().gt(1)
    if clash.any():
        raise DataError(
            "a territory is held by more than one rep in the alignment",
            table="alignment",
            column="rep_id",
            rows=clash[clash].index.tolist(),
            fix="give each territory one rep_id (or none, when vacant)",
        )
    cols = ["region", "district", "role", "hire_date"]
    if reps is not None:
        r = reps.copy()
        r["rep_id"] = r["rep_id"].astype(str)
        r["territory_id"] = r["territory_id"].astype(str)
        if assign["rep_id"].isna().all():
            rep_of = dict(zip(r["territory_id"], r["rep_id"]))
        extra = r[~r["territory_id"].isin(terrs) & ~r["rep_id"].isin(set(rep_of.values()))]
        terrs = terrs.append(pd.Index(extra["territory_id"]))
        for t, rid in zip(extra["territory_id"], extra["rep_id"]):
            rep_of[t] = rid
    out = pd.DataFrame({"territory_id": terrs.astype(str)})
    out["rep_id"] = [rep_of.get(t) for t in out["territory_id"]]
    for c in cols:
        out[c] = None
    if reps is not None:
        r = reps.copy()
        r["rep_id"] = r["rep_id"].astype(str)
        by_rep = r.set_index("rep_id")
        known = out["rep_id"].isin(by_rep.index)
        unknown = out["rep_id"].notna() & ~known
        if unknown.any():
            raise DataError(
                "alignment names reps that are not in the reps table",
                table="alignment",
                column="rep_id",
                rows=out.loc[unknown, "rep_id"].tolist(),
                fix="add them to reps, or pass the reps table the alignment was made with",
            )
        # Region/district of vacant territories come from the reps table's territory rows.
        by_terr = r.drop_duplicates("territory_id").set_index(r["territory_id"].astype(str))
        for c in cols:
            if c in r:
                vals = out["rep_id"].map(by_rep[c].astype(object))
                if c in ("region", "district"):
                    vals = vals.where(vals.notna(), out["territory_id"].map(by_terr[c]))
                out[c] = vals.astype(object).where(vals.notna(), None)
        if "hire_date" in r:
            out["hire_date"] = pd.to_datetime(out["hire_date"])
    if out["hire_date"].dtype == object:
        out["hire_date"] = pd.to_datetime(out["hire_date"])
    return out.sort_values("territory_id", kind="stable").reset_index(drop=True)


def _plan_year(
    targets: Any, forecast_frame: pd.DataFrame | None, sales: pd.DataFrame | None
) -> int:
    if targets is not None and getattr(targets, "plan_year", None) is not None:
        return int(targets.plan_year)
    if forecast_frame is not None and "ds" in forecast_frame and len(forecast_frame):
        return int(pd.to_datetime(forecast_frame["ds"]).min().year)
    if sales is not None and len(sales):
        return int(pd.to_datetime(sales["period"]).max().year) + 1
    raise DataError(
        "cannot tell the plan year: no targets, forecast or sales",
        table="targets",
        column="plan_year",
        fix="pass targets=PlanningTargets(plan_year=...) or a forecast for the plan year",
    )


def _yearly(sales: pd.DataFrame, assign: pd.DataFrame, year: int, terrs: pd.Index) -> np.ndarray:
    """Monthly revenue per territory (n, 12) for ``year`` through the assignment."""
    per = pd.to_datetime(sales["period"])
    s = sales.loc[per.dt.year == year, ["account_id", "revenue"]].copy()
    s["month"] = per[per.dt.year == year].dt.month.to_numpy()
    s["account_id"] = s["account_id"].astype(str)
    s["territory_id"] = s["account_id"].map(dict(zip(assign["account_id"], assign["territory_id"])))
    g = s.dropna(subset=["territory_id"]).groupby(["territory_id", "month"])["revenue"].sum()
    mat = g.unstack("month").reindex(index=terrs, columns=range(1, 13)).fillna(0.0)
    return mat.to_numpy(float)


def _forecast_table(forecast: Any) -> pd.DataFrame | None:
    if forecast is None:
        return None
    frame = getattr(forecast, "frame", forecast)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"forecast must be a ForecastResult or a DataFrame, got {type(forecast).__name__}",
            table="forecast",
            fix="pass RevenueForecaster(...).fit(history).predict() or its .frame",
        )
    missing = [c for c in ("unique_id", "ds", "yhat") if c not in frame]
    if missing:
        raise DataError(
            f"forecast table needs unique_id, ds, yhat; missing {missing}",
            table="forecast",
            column=missing[0],
            fix="use the forecast table format: unique_id, ds, level, yhat, yhat_lo_80, ...",
        )
    return frame


def _match_ids(ids: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Row of each territory (-1 when absent) among ``ids``, matched by rep then territory."""
    pos = {u: k for k, u in enumerate(ids)}
    rep = frame["rep_id"].to_numpy()
    terr = frame["territory_id"].to_numpy()
    out = np.full(len(frame), -1, dtype=np.int64)
    for i in range(len(frame)):
        if rep[i] is not None and rep[i] in pos:
            out[i] = pos[rep[i]]
        elif terr[i] in pos:
            out[i] = pos[terr[i]]
    return out


def build_inputs(
    alignment: Any,
    forecast: Any,
    *,
    accounts: pd.DataFrame | None,
    reps: pd.DataFrame | None,
    sales: pd.DataFrame | None,
    targets: Any,
    n_draws: int,
    seed: int | None,
    common_shock: float,
    month_correlation: float,
) -> TerritoryInputs:
    """Assemble :class:`TerritoryInputs` (see the module docstring for the sources)."""
    notes: list[str] = []
    if reps is None:
        notes.append("no reps table: no hire dates (no proration or ramp), regions or roles")
    assign = assignment_frame(alignment)
    terr = _territory_reps(assign, reps)
    ids = pd.Index(terr["territory_id"])
    n = len(terr)
    if n == 0:
        raise DataError(
            "the alignment holds no territory",
            table="alignment",
            fix="pass an alignment with at least one territory",
        )

    # potential [currency/yr]
    if accounts is not None:
        if "potential" not in accounts:
            raise DataError(
                "no potential column",
                table="accounts",
                column="potential",
                fix="add each account's annual potential",
            )
        pot_of = dict(zip(accounts["account_id"].astype(str), accounts["potential"].astype(float)))
        unknown = ~assign["account_id"].isin(pot_of.keys())
        if unknown.any():
            raise DataError(
                "alignment names accounts that are not in the accounts table",
                table="alignment",
                column="account_id",
                rows=assign.loc[unknown, "account_id"].tolist(),
                fix="pass the accounts table the alignment was made from",
            )
        pot = assign.assign(p=assign["account_id"].map(pot_of)).groupby("territory_id")["p"].sum()
        terr["potential"] = ids.map(pot).to_numpy(float)
    else:
        summary = getattr(alignment, "summary", None)
        if isinstance(summary, pd.DataFrame) and "potential" in summary:
            pot = summary.set_index(summary["territory_id"].astype(str))["potential"]
            terr["potential"] = ids.map(pot).to_numpy(float)
        else:
            raise DataError(
                "potential per territory is unknown",
                table="accounts",
                column="potential",
                fix="pass accounts= (with potential) to QuotaSetter.solve",
            )
    terr["potential"] = np.nan_to_num(terr["potential"].to_numpy(float), nan=0.0)

    fc_frame = _forecast_table(forecast)
    year = _plan_year(targets, fc_frame, sales)
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")

    # last year's and the prior year's actuals through the assignment
    if sales is not None:
        for c in ("account_id", "period", "revenue"):
            if c not in sales:
                raise DataError(
                    f"sales needs account_id, period, revenue; missing {c!r}",
                    table="sales",
                    column=c,
                    fix="pass the sales table of the planning data",
                )
        ly_m = _yearly(sales, assign, year - 1, ids)
        py_m = _yearly(sales, assign, year - 2, ids)
        has_ly = (pd.to_datetime(sales["period"]).dt.year == year - 1).any()
        if not has_ly:
            notes.append(f"sales hold no month of {year - 1}: growth bounds vs last year unused")
        terr["last_year"] = ly_m.sum(axis=1) if has_ly else np.nan
        terr["prior_year"] = py_m.sum(axis=1)
    else:
        ly_m = np.zeros((n, 12))
        terr["last_year"] = np.nan
        terr["prior_year"] = np.nan
        notes.append(
            "no sales given: the history share falls back to potential, no growth bounds vs "
            "last year, baselines use potential"
        )
    terr["has_history"] = terr["last_year"].fillna(0.0).to_numpy() > 0

    # forecast per territory and month
    fc = np.full((n, 12), np.nan)
    sig_lo = np.zeros((n, 12))
    sig_hi = np.zeros((n, 12))
    draws: np.ndarray | None = None
    if fc_frame is not None:
        f = fc_frame
        if "level" in f:
            lv = f["level"].astype(str)
            f = f[lv.isin(["rep", "territory"])]
        f = f.assign(ds=pd.to_datetime(f["ds"]), unique_id=f["unique_id"].astype(str))
        f = f[f["ds"].isin(months)]
        if f.empty:
            raise DataError(
                f"the forecast has no rep or territory row in the plan year {year}",
                table="forecast",
                column="ds",
                fix=f"forecast the twelve months of {year} (horizon from the end of the history)",
            )
        dup = f.duplicated(["unique_id", "ds"])
        if dup.any():
            raise DataError(
                "more than one forecast row per series and month",
                table="forecast",
                column="ds",
                rows=f.loc[dup, "unique_id"].unique().tolist(),
                fix="keep one row per unique_id and ds (e.g. one level and one model)",
            )
        uids = np.array(sorted(f["unique_id"].unique()), dtype=object)
        row = _match_ids(uids, terr)

        def pivot(col: str) -> np.ndarray:
            g = f.pivot_table(index="unique_id", columns="ds", values=col, aggfunc="sum")
            g = g.reindex(index=uids, columns=months)
            return g.to_numpy(float)

        yh = pivot("yhat")
        gaps = np.isnan(yh[row[row >= 0]]).any(axis=1)
        if gaps.any():
            bad = uids[row[row >= 0][gaps]].tolist()
            raise DataError(
                f"forecast misses months of {year} for some series",
                table="forecast",
                column="ds",
                rows=bad,
                fix="forecast all twelve months of the plan year for every rep",
            )
        opt = {
            c: pivot(c) if c in f else None
            for c in ("yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95")
        }
        lo, hi = interval_scales(
            yh, opt["yhat_lo_80"], opt["yhat_hi_80"], opt["yhat_lo_95"], opt["yhat_hi_95"]
        )
        ok = row >= 0
        fc[ok] = yh[row[ok]]
        sig_lo[ok] = lo[row[ok]]
        sig_hi[ok] = hi[row[ok]]
        matched = ok
        if not matched.any():
            raise DataError(
                "no forecast series matches a rep_id or territory_id of the alignment",
                table="forecast",
                column="unique_id",
                rows=uids[:10].tolist(),
                fix="forecast with the rep ids of this alignment (level 'rep')",
            )
        if (~matched).any():
            # fill: last year's months scaled by the matched territories' growth, else potential
            g = np.nansum(fc[matched]) / max(ly_m[matched].sum(), 1e-9)
            tot_pot = max(float(terr.loc[matched, "potential"].sum()), 1e-9)
            per_pot = np.nansum(fc[matched], axis=0) / tot_pot
            for i in np.flatnonzero(~matched):
                if ly_m[i].sum() > 0 and ly_m[matched].sum() > 0:
                    fc[i] = ly_m[i] * g
                else:
                    fc[i] = terr["potential"].iat[i] * per_pot
            rel_lo = np.nanmedian(sig_lo[matched] / np.maximum(fc[matched], 1e-9), axis=0)
            rel_hi = np.nanmedian(sig_hi[matched] / np.maximum(fc[matched], 1e-9), axis=0)
            sig_lo[~matched] = fc[~matched] * rel_lo
            sig_hi[~matched] = fc[~matched] * rel_hi
            lab = [
                f"{t} ({r})" if r else f"{t} (vacant)"
                for t, r in zip(terr.loc[~matched, "territory_id"], terr.loc[~matched, "rep_id"])
            ]
            notes.append(
                f"no forecast for {len(lab)} territories ({', '.join(lab[:5])}"
                f"{', ...' if len(lab) > 5 else ''}): last year x forecast growth "
                f"({g - 1:+.1%}) used, or potential where there is no history"
            )
        terr["forecast_source"] = np.where(matched, "forecast", "fallback")
        fc = np.clip(fc, 0.0, None)

        samples = getattr(forecast, "samples", None)
        if callable(samples) and n_draws > 0:
            paths = samples(n_draws, seed=seed, level="rep")
            draws = _draws_from_paths(paths, terr, months, fc, year)
            notes.append(f"achievability from {n_draws:,} forecast sample paths")
        elif n_draws > 0:
            if not (sig_lo.any() or sig_hi.any()):
                notes.append(
                    "the forecast table has no intervals: draws equal the point forecast, so "
                    "P(attain) is 0 or 1"
                )
            draws = draws_from_intervals(
                fc, sig_lo, sig_hi, n_draws, seed, common_shock, month_correlation
            )
            notes.append(
                f"achievability from {n_draws:,} draws derived from the forecast intervals "
                f"(split normal, common shock {common_shock:.2f}, month correlation "
                f"{month_correlation:.2f})"
            )
    else:
        terr["forecast_source"] = "none"
        notes.append("no forecast given: forecast share uses last year; no achievability")
        if np.nansum(ly_m) > 0:
            fc = ly_m.copy()
        else:
            fc = np.outer(terr["potential"].to_numpy(float), np.full(12, 1 / 12))
    terr["forecast"] = fc.sum(axis=1)
    return TerritoryInputs(
        frame=terr,
        months=months,
        forecast_monthly=fc,
        draws=draws,
        last_year_monthly=ly_m if sales is not None else None,
        notes=notes,
    )


def _draws_from_paths(
    paths: Any,
    terr: pd.DataFrame,
    months: pd.DatetimeIndex,
    fc: np.ndarray,
    year: int,
) -> np.ndarray:
    """Territory x month draws from duck-typed ``SamplePaths`` (unique_id, ds, values)."""
    uid = np.asarray(paths.unique_id).astype(str)
    ds = pd.DatetimeIndex(pd.to_datetime(paths.ds))
    vals = np.asarray(paths.values, float)
    cols = np.array([ds.get_loc(m) if m in ds else -1 for m in months])
    if (cols < 0).any():
        raise DataError(
            f"forecast sample paths do not cover the twelve months of {year}",
            table="forecast",
            column="ds",
            fix=f"predict with a horizon that covers {year}",
        )
    vals = vals[:, :, cols]
    row = _match_ids(uid, terr)
    n_draws = vals.shape[0]
    out = np.empty((n_draws, len(terr), 12))
    have = row >= 0
    out[:, have, :] = vals[:, row[have], :]
    miss = ~have
    if miss.any():
        # territories without paths follow the matched total's relative path (keeps the shock)
        base = vals[:, row[have], :].sum(axis=1) if have.any() else np.ones((n_draws, 12))
        mean = np.maximum(base.mean(axis=0), 1e-9)
        out[:, miss, :] = (base / mean)[:, None, :] * fc[miss][None]
    return np.clip(out, 0.0, None)
