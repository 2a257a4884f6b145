"""How good an alignment is: per-territory summary and headline metrics.

These work on any assignment table (``account_id``, ``territory_id``), the optimiser's or the
current one, so before/after comparisons use the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spmopt.data.alignment import current_assignment
from spmopt.data.geo import haversine_km
from spmopt.errors import DataError

__all__ = ["attribute_values", "current_assignment", "evaluate", "territory_summary"]

COUNT_ATTRS = ("accounts", "n_accounts", "count")


def attribute_values(accounts: pd.DataFrame, attr: str) -> np.ndarray:
    """Values of a balance attribute per account (``accounts``/``count`` gives 1 each)."""
    if attr in COUNT_ATTRS:
        return np.ones(len(accounts))
    if attr not in accounts.columns:
        raise DataError(
            f"balance attribute '{attr}' is not a column; numeric columns are "
            f"{[c for c in accounts.columns if pd.api.types.is_numeric_dtype(accounts[c])]}",
            table="accounts",
            column=attr,
            fix="name a numeric column of accounts, or 'accounts' to balance account counts",
        )
    col = accounts[attr]
    if not pd.api.types.is_numeric_dtype(col):
        raise DataError(
            f"balance attribute '{attr}' is not numeric (dtype {col.dtype})",
            table="accounts",
            column=attr,
            fix="convert it to numbers or balance another column",
        )
    vals = col.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(vals)
    if bad.any():
        raise DataError(
            f"balance attribute '{attr}' has missing or infinite values",
            table="accounts",
            column=attr,
            rows=accounts.loc[bad, "account_id"].astype(str).tolist()[:10],
            n_rows=int(bad.sum()),
            fix="fill the values (0 if the account carries none)",
        )
    return vals


def territory_summary(
    assignment: pd.DataFrame,
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    balance: Mapping[str, float] | None = None,
    targets: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per territory: totals, targets and signed relative deviations.

    Parameters
    ----------
    assignment : DataFrame
        ``account_id``, ``territory_id``.
    accounts, reps : DataFrame
    balance : mapping attr -> tolerance, optional
        Attributes to report deviations for (potential and workload always are).
    targets : mapping attr -> ndarray (K,), optional
        Target per territory in the order of ``reps``; equal shares of the total by default.

    Returns
    -------
    DataFrame
        ``territory_id, rep_id, [region, district], n_accounts, potential, workload,
        weighted_distance, mean_distance_km, <attr>_target, <attr>_deviation, [capacity,
        utilisation]``; deviation is ``total / target - 1``.
    """
    balance = dict(balance or {})
    attrs = list(dict.fromkeys(["potential", "workload", *balance]))
    acc = accounts.set_index(accounts["account_id"].astype(str))
    a = assignment[["account_id", "territory_id"]].copy()
    a["account_id"] = a["account_id"].astype(str)
    a = a.dropna(subset=["territory_id"])
    a["territory_id"] = a["territory_id"].astype(str)
    tid = reps["territory_id"].astype(str).to_numpy()
    kidx = pd.Series(np.arange(len(tid)), index=tid)
    k = kidx.reindex(a["territory_id"]).to_numpy()
    ok = ~np.isnan(k)
    a = a[ok]
    k = k[ok].astype(int)
    sub = acc.loc[a["account_id"]]
    K = len(tid)
    out = pd.DataFrame({"territory_id": tid, "rep_id": reps["rep_id"].astype(str).to_numpy()})
    for c in ("region", "district"):
        if c in reps.columns:
            out[c] = reps[c].to_numpy()
    out["n_accounts"] = np.bincount(k, minlength=K)
    totals = {}
    for attr in attrs:
        v = attribute_values(sub, attr)
        totals[attr] = np.bincount(k, weights=v, minlength=K)
        if attr not in COUNT_ATTRS:
            out[attr] = totals[attr]
    d = haversine_km(
        sub["lat"].to_numpy(float),
        sub["lon"].to_numpy(float),
        reps["lat"].to_numpy(float)[k],
        reps["lon"].to_numpy(float)[k],
    )
    pot = sub["potential"].to_numpy(float)
    wd = np.bincount(k, weights=pot * d, minlength=K)
    out["weighted_distance"] = wd
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_distance_km"] = np.where(
            totals["potential"] > 0, wd / np.maximum(totals["potential"], 1e-300), np.nan
        )
    for attr in attrs:
        tot_all = float(attribute_values(acc, attr).sum())
        tgt = (
            np.asarray(targets[attr], dtype=float)
            if targets is not None and attr in targets
            else np.full(K, tot_all / max(K, 1))
        )
        out[f"{attr}_target"] = tgt
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{attr}_deviation"] = np.where(tgt > 0, totals[attr] / tgt - 1.0, np.nan)
    if "capacity" in reps.columns:
        cap = reps["capacity"].to_numpy(dtype=float, na_value=np.nan)
        out["capacity"] = cap
        with np.errstate(invalid="ignore", divide="ignore"):
            out["utilisation"] = totals["workload"] / cap
    return out


def evaluate(
    assignment: pd.DataFrame,
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    balance: Mapping[str, float] | None = None,
    targets: Mapping[str, np.ndarray] | None = None,
    disruption_basis: str = "potential",
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Summary table and headline metrics of an assignment.

    Returns
    -------
    summary : DataFrame
        See :func:`territory_summary`.
    metrics : dict
        ``max_deviation_<attr>`` (max ``|total/target - 1|``), ``weighted_distance``
        [potential x km], ``mean_distance_km`` (potential-weighted), ``disruption_share`` (share
        of the disruption basis that changes territory against ``current_territory``),
        ``accounts_moved``, ``potential_moved_share``, ``n_accounts``, ``n_territories``.
    """
    summary = territory_summary(assignment, accounts, reps, balance, targets)
    attrs = list(dict.fromkeys(["potential", "workload", *(balance or {})]))
    metrics: dict[str, float] = {}
    for attr in attrs:
        dev = summary[f"{attr}_deviation"].to_numpy(float)
        metrics[f"max_deviation_{attr}"] = (
            float(np.nanmax(np.abs(dev))) if np.isfinite(dev).any() else np.nan
        )
    wd = float(summary["weighted_distance"].sum())
    pot_total = float(summary["potential"].sum())
    metrics["weighted_distance"] = wd
    metrics["mean_distance_km"] = wd / pot_total if pot_total > 0 else float("nan")
    if "current_territory" in accounts.columns:
        cur = (
            accounts.set_index(accounts["account_id"].astype(str))["current_territory"]
            .astype("string")
            .reindex(assignment["account_id"].astype(str))
        )
        new = assignment["territory_id"].astype("string").to_numpy()
        curv = cur.to_numpy(dtype=object, na_value=None)
        moved = np.array([c is not None and c != t for c, t in zip(curv, new)], dtype=bool)
        acc = accounts.set_index(accounts["account_id"].astype(str)).loc[
            assignment["account_id"].astype(str)
        ]
        basis = attribute_values(acc, disruption_basis)
        pot = acc["potential"].to_numpy(float)
        metrics["disruption_share"] = float(basis[moved].sum() / max(basis.sum(), 1e-300))
        metrics["accounts_moved"] = float(moved.sum())
        metrics["potential_moved_share"] = float(pot[moved].sum() / max(pot.sum(), 1e-300))
    metrics["n_accounts"] = float(len(assignment))
    metrics["n_territories"] = float(len(reps))
    return summary, metrics
