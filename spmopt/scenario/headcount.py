"""Headcount what-ifs: plan with fewer or more territories than today.

Fewer: remove the territories whose reps' home bases sit closest to another rep's (the coverage
that is most redundant), one at a time; their accounts lose their current territory and the
aligner places them. More: add to-be-hired reps, each based in the part of today's largest
territory (by potential per rep) farthest from its rep.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.geo import haversine_km
from spmopt.errors import ConfigError

__all__ = ["adjust_headcount"]


def adjust_headcount(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    n_territories: int,
    *,
    plan_year: int | None = None,
    plan: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Accounts and reps for ``n_territories`` territories.

    Parameters
    ----------
    accounts, reps : DataFrame
        Validated tables (``accounts.current_territory``, ``reps.territory_id``, ``lat``, ``lon``).
    n_territories : int
        Territories wanted (one rep each), at least 1 and at most the number of accounts.
    plan_year : int, optional
        New hires get ``hire_date`` on 1 January of this year.
    plan : dict, optional
        The comp plan; a new hire's base salary and target incentive come from its ``AE`` role
        (else the median of today's reps).

    Returns
    -------
    accounts, reps : DataFrame
        Changed copies (unchanged when ``n_territories`` equals today's count).
    notes : list of str
        What was removed or added, for the scenario's notes.
    """
    n_now = len(reps)
    if not 1 <= n_territories <= len(accounts):
        raise ConfigError(
            f"territory.n_territories={n_territories}: allowed 1 to {len(accounts)} "
            f"(the number of accounts); today there are {n_now}"
        )
    if n_territories == n_now:
        return accounts, reps, []
    if n_territories < n_now:
        return _remove(accounts, reps, n_now - n_territories)
    return _add(accounts, reps, n_territories - n_now, plan_year, plan)


def _remove(
    accounts: pd.DataFrame, reps: pd.DataFrame, k: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    r = reps.reset_index(drop=True)
    lat, lon = r["lat"].to_numpy(float), r["lon"].to_numpy(float)
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d, np.inf)
    keep = np.ones(len(r), dtype=bool)
    removed: list[int] = []
    for _ in range(k):
        dd = d[np.ix_(keep, keep)]
        idx = np.flatnonzero(keep)
        nearest = dd.min(axis=1)
        # the rep with the closest neighbour; ties broken by the lower rep_id
        cand = idx[nearest == nearest.min()]
        victim = int(min(cand, key=lambda i: str(r.at[i, "rep_id"])))
        keep[victim] = False
        removed.append(victim)
    gone = r.loc[removed, "territory_id"].astype(str).tolist()
    acc = accounts.copy()
    n_orphans = (
        int(acc["current_territory"].astype(str).isin(gone).sum())
        if "current_territory" in acc
        else 0
    )
    notes = [
        f"headcount {len(r)} -> {len(r) - k}: removed territories {', '.join(sorted(gone))} "
        f"(reps {', '.join(sorted(r.loc[removed, 'rep_id'].astype(str)))}); their "
        f"{n_orphans} accounts are realigned"
    ]
    for col in ("current_territory", "locked_territory"):
        if col in acc:
            hit = acc[col].astype(str).isin(gone)
            acc[col] = acc[col].where(~hit, other=None)
    return acc, r.loc[keep].reset_index(drop=True), notes


def _add(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    k: int,
    plan_year: int | None,
    plan: dict | None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    r = reps.reset_index(drop=True).copy()
    if "current_territory" not in accounts:
        raise ConfigError(
            "territory.n_territories above today's count needs accounts.current_territory to "
            "place the new hires"
        )
    acc = accounts
    terr = acc["current_territory"].astype(str)
    pot = acc["potential"].to_numpy(float)
    tot = pd.Series(pot).groupby(terr.to_numpy()).sum()
    share = {t: 1 for t in tot.index}  # reps per territory so far
    rows = []
    width = max(2, len(str(k)))
    role_pay: dict[str, float] = {}
    if plan and isinstance(plan.get("roles"), dict) and "AE" in plan["roles"]:
        role = plan["roles"]["AE"]
        for key in ("base_salary", "target_incentive"):
            if isinstance(role.get(key), (int, float)):
                role_pay[key] = float(role[key])
    notes = []
    for j in range(k):
        # the territory with the most potential per rep (ties: lowest id)
        load = {t: tot[t] / share[t] for t in tot.index}
        t = min(load, key=lambda x: (-load[x], x))
        share[t] += 1
        host = r.loc[r["territory_id"].astype(str) == t]
        m = (terr == t).to_numpy()
        a_lat, a_lon, a_pot = (
            acc.loc[m, "lat"].to_numpy(float),
            acc.loc[m, "lon"].to_numpy(float),
            pot[m],
        )
        if len(host):
            h_lat, h_lon = float(host["lat"].iloc[0]), float(host["lon"].iloc[0])
            dist = haversine_km(a_lat, a_lon, h_lat, h_lon)
            far = dist >= np.median(dist)
        else:
            far = np.ones(len(a_lat), dtype=bool)
        w = a_pot[far] + 1e-9
        new: dict[str, Any] = {c: None for c in r.columns}
        src = host.iloc[0] if len(host) else r.iloc[0]
        for c in ("region", "district", "capacity", "role", "base_salary", "target_incentive"):
            if c in r.columns:
                new[c] = src[c]
        new["rep_id"] = f"NEW{j + 1:0{width}d}"
        new["territory_id"] = f"TN{j + 1:0{width}d}"
        new["lat"] = float(np.average(a_lat[far], weights=w))
        new["lon"] = float(np.average(a_lon[far], weights=w))
        if "role" in r.columns:
            new["role"] = "AE"
        for c, v in role_pay.items():
            if c in r.columns:
                new[c] = v
        if "hire_date" in r.columns and plan_year is not None:
            new["hire_date"] = pd.Timestamp(f"{plan_year}-01-01")
        if "city" in r.columns:
            new["city"] = None
        rows.append(new)
        notes.append(
            f"new hire {new['rep_id']} (territory {new['territory_id']}) based in the far half "
            f"of {t}"
        )
    added = pd.DataFrame(rows, columns=r.columns)
    for c in r.columns:
        if c in added and r[c].dtype.kind in "fiM":
            added[c] = added[c].astype(r[c].dtype)
    out = pd.concat([r, added], ignore_index=True)
    return accounts, out, [f"headcount {len(r)} -> {len(out)}", *notes]
