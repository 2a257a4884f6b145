"""Districts built from territories: the second level of the sales hierarchy.

Each territory (one rep) goes to exactly one district; districts are balanced on the territories'
totals and compact around a seat, the home base of one of their reps (where a district manager
would sit). The model is the territory model one level up, with territories as the items::

    min   sum_{t,d} w_t dist(home_t, seat_d) y_td
    s.t.  sum_d y_td = 1                                   every territory t
          (1 - tol_a) T_da <= sum_t a_ta y_td <= (1 + tol_a) T_da   every district d, attribute a
          y_{seat_d, d} = 1                                each seat stays in its own district
          y binary

with equal targets ``T_da`` (the group's total over its number of districts). Seats are the
territories nearest to potential-weighted k-means centres of the rep home bases (seeded).
With ``within`` (e.g. ``"region"``) districts never cross that column of ``reps``: the number of
districts is shared among the groups in proportion to potential and each group is solved alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.geo import allocate, project_km, weighted_kmeans
from spmopt.errors import ConfigError, DataError
from spmopt.solver import SolverOptions

__all__ = ["DistrictPlan", "build_districts"]

_STATUS_ORDER = ("infeasible", "error", "time_limit", "feasible", "optimal")


@dataclass(frozen=True, repr=False)
class DistrictPlan:
    """Territories grouped into districts.

    Attributes
    ----------
    districts : DataFrame
        One row per territory: ``territory_id, rep_id, district_id, seat_territory,
        distance_km`` (great-circle km from the rep's home to the district seat).
    summary : DataFrame
        One row per district: ``district_id, seat_territory, n_territories`` and, per balanced
        attribute, its total and ``<attr>_deviation`` (total / target - 1).
    status : str
        The worst status over the groups solved (``optimal`` | ``feasible`` | ``time_limit`` |
        ``infeasible`` | ``error``).
    diagnosis : str or None
        Why a group is infeasible, with the smallest feasible tolerance where found.
    metrics : dict
        ``max_deviation_<attr>``, ``mean_distance_km``, ``n_districts``.
    """

    districts: pd.DataFrame
    summary: pd.DataFrame
    status: str
    diagnosis: str | None
    metrics: dict[str, Any]

    def __repr__(self) -> str:
        devs = ", ".join(
            f"{k}={v:.1%}" for k, v in self.metrics.items() if k.startswith("max_deviation_")
        )
        return (
            f"DistrictPlan(status={self.status!r}, districts={self.metrics.get('n_districts')}, "
            f"territories={len(self.districts)}, {devs})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The territory → district table."""
        return self.districts.copy()


def _territory_totals(
    assignment: Any, accounts: pd.DataFrame, reps: pd.DataFrame, attrs: list[str]
) -> pd.DataFrame:
    frame = getattr(assignment, "assignment", assignment)
    if not isinstance(frame, pd.DataFrame) or not {"account_id", "territory_id"} <= set(frame):
        raise DataError(
            "needs an AlignmentResult or a table with account_id and territory_id",
            table="assignment",
            fix="pass TerritoryAligner(...).solve(...) or current_assignment(accounts, reps)",
        )
    for col in ("rep_id", "territory_id", "lat", "lon"):
        if col not in reps.columns:
            raise DataError("missing column", table="reps", column=col, fix=f"add '{col}'")
    acc_attrs = [a for a in attrs if a != "accounts"]
    acc_attrs += [c for c in ("potential", "workload") if c in accounts.columns and c not in attrs]
    missing = [a for a in acc_attrs if a not in accounts.columns]
    if missing:
        raise DataError(
            f"balance attribute(s) {missing} are not columns of accounts",
            table="accounts",
            column=missing[0],
            fix=f"balance on columns of accounts (found {list(accounts.columns)}) or 'accounts'",
        )
    a = frame[["account_id", "territory_id"]].dropna().astype(str)
    a = a.merge(
        accounts[["account_id", *acc_attrs]].assign(
            account_id=lambda d: d["account_id"].astype(str)
        ),
        on="account_id",
        how="left",
    )
    a["accounts"] = 1.0
    tot = a.groupby("territory_id")[[*acc_attrs, "accounts"]].sum()
    out = reps[["territory_id", "rep_id", "lat", "lon"]].astype({"territory_id": str})
    for col in ("region", "district"):
        if col in reps.columns:
            out[col] = reps[col].to_numpy()
    out = out.merge(tot, left_on="territory_id", right_index=True, how="left")
    return out.fillna({c: 0.0 for c in [*acc_attrs, "accounts"]})


def build_districts(
    assignment: Any,
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    n_districts: int,
    *,
    balance: Mapping[str, float] | None = None,
    within: str | None = None,
    time_limit: float = 30.0,
    solver: SolverOptions | None = None,
    seed: int = 0,
) -> DistrictPlan:
    """Group the territories of an alignment into balanced, compact districts.

    Parameters
    ----------
    assignment : AlignmentResult or DataFrame
        The alignment whose territories are grouped (``account_id, territory_id``).
    accounts, reps : DataFrame
        The planning tables (reps give each territory's rep and home base).
    n_districts : int
        Number of districts in all (at least one per group with ``within``).
    balance : mapping of str to float, optional
        ± tolerance per attribute (an ``accounts`` column, or ``"accounts"`` for the count);
        default ``{"potential": 0.10}``.
    within : str, optional
        A column of ``reps`` (e.g. ``"region"``) that districts must not cross.
    time_limit : float
        Seconds per group solve.
    solver : SolverOptions, optional
    seed : int
        Seed of the seat choice and the solver.

    Returns
    -------
    DistrictPlan
    """
    from spmopt.territory.aligner import DEFAULT_SOLVER, TerritoryAligner

    balance = dict(balance) if balance is not None else {"potential": 0.10}
    if not isinstance(n_districts, int | np.integer) or n_districts < 1:
        raise ConfigError(f"n_districts={n_districts!r}: give a whole number >= 1")
    if n_districts > len(reps):
        raise ConfigError(
            f"n_districts={n_districts} is more than the {len(reps)} territories to group"
        )
    if within is not None and within not in reps.columns:
        raise ConfigError(
            f"within={within!r} is not a column of reps; columns: {list(reps.columns)}"
        )
    attrs = list(balance)
    terr = _territory_totals(assignment, accounts, reps, attrs)
    weight_col = attrs[0]
    rng = np.random.default_rng(seed)
    groups = [("", terr)] if within is None else list(terr.groupby(within, sort=True))
    if len(groups) > n_districts:
        raise ConfigError(
            f"n_districts={n_districts} is fewer than the {len(groups)} groups of within={within!r}"
        )
    shares = np.array([g[weight_col].sum() for _, g in groups], dtype=float)
    counts = allocate(np.maximum(shares, 1e-9), n_districts, minimum=1)
    rows: list[pd.DataFrame] = []
    sums: list[pd.DataFrame] = []
    statuses: list[str] = []
    notes: list[str] = []
    next_id = 1
    for (name, g), k in zip(groups, counts, strict=True):
        g = g.reset_index(drop=True)
        k = int(min(k, len(g)))
        xy = project_km(g["lat"].to_numpy(), g["lon"].to_numpy())
        w = g[weight_col].to_numpy(dtype=float)
        centres = weighted_kmeans(xy, np.maximum(w, 0.0), k, rng)
        seats: list[int] = []
        for c in centres:
            d = ((xy - c) ** 2).sum(1)
            d[seats] = np.inf
            seats.append(int(np.argmin(d)))
        ids = [f"D{next_id + j:02d}" for j in range(k)]
        next_id += k
        seat_tids = g["territory_id"].to_numpy()[seats]
        items = pd.DataFrame(
            {
                "account_id": g["territory_id"].to_numpy(),
                "lat": g["lat"].to_numpy(),
                "lon": g["lon"].to_numpy(),
                "potential": g["potential"].to_numpy() if "potential" in g else w,
                "workload": g["workload"].to_numpy() if "workload" in g else np.zeros(len(g)),
                **{a: g[a].to_numpy() for a in attrs if a not in ("potential", "workload")},
            }
        )
        lock = pd.Series(None, index=items.index, dtype=object)
        lock.iloc[seats] = ids
        items["locked_territory"] = lock.to_numpy()
        centers = pd.DataFrame(
            {
                "rep_id": ids,
                "territory_id": ids,
                "lat": g["lat"].to_numpy()[seats],
                "lon": g["lon"].to_numpy()[seats],
            }
        )
        aligner = TerritoryAligner(
            balance={a: tol for a, tol in balance.items()},
            compactness=weight_col if weight_col != "accounts" else None,
            capacity=False,
            solver=replace(solver or replace(DEFAULT_SOLVER, seed=seed), time_limit=time_limit),
            seed=seed,
        )
        res = aligner.solve(items, centers)
        statuses.append(res.status)
        label = f"{within}={name}: " if within is not None else ""
        if res.diagnosis:
            notes.append(label + res.diagnosis)
        seat_of = dict(zip(ids, seat_tids, strict=True))
        got = res.assignment.rename(
            columns={"account_id": "territory_id", "territory_id": "district_id"}
        )[["territory_id", "district_id", "distance_km"]]
        got["seat_territory"] = got["district_id"].map(seat_of)
        got = got.merge(g[["territory_id", "rep_id"]], on="territory_id", how="left")
        rows.append(got)
        s = res.summary.rename(columns={"territory_id": "district_id"})
        keep = ["district_id"] + [
            c for c in s.columns if any(c == a or c == f"{a}_deviation" for a in attrs)
        ]
        s = s[keep].copy()
        s.insert(1, "seat_territory", s["district_id"].map(seat_of))
        s.insert(2, "n_territories", s["district_id"].map(got["district_id"].value_counts()))
        if within is not None:
            s.insert(1, within, name)
        sums.append(s)
    districts = pd.concat(rows, ignore_index=True)[
        ["territory_id", "rep_id", "district_id", "seat_territory", "distance_km"]
    ]
    summary = pd.concat(sums, ignore_index=True)
    status = min(statuses, key=_STATUS_ORDER.index) if statuses else "error"
    metrics: dict[str, Any] = {
        "n_districts": int(
            sum(int(min(c, len(g))) for (_, g), c in zip(groups, counts, strict=True))
        )
    }
    for a in attrs:
        col = f"{a}_deviation"
        if col in summary:
            metrics[f"max_deviation_{a}"] = float(summary[col].abs().max())
    metrics["mean_distance_km"] = float(districts["distance_km"].mean())
    return DistrictPlan(
        districts=districts,
        summary=summary,
        status=status,
        diagnosis="\n".join(notes) or None,
        metrics=metrics,
    )
