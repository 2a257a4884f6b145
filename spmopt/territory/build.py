"""Build the alignment model: validated tables, per-group arrays, candidate slots and rows.

:func:`build_model` is the first stage of a territory solve, usable (and testable) without
solving: it validates the tables, computes each account's costs to each territory, prunes the
candidates of large instances (keeping a function that prices every territory, so bounds stay
valid), splits the problem into independent groups with ``within``, aggregates accounts into
basic units with ``contiguity``, and states every row (balance bands, capacities, disruption
cap). The formulation is in :mod:`spmopt.territory.model`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.geo import haversine_km
from spmopt.data.validate import validate_tables
from spmopt.errors import ConfigError, DataError
from spmopt.territory.checks import presolve_problems
from spmopt.territory.metrics import attribute_values
from spmopt.territory.model import AlignmentModel, FullRows

__all__ = ["DENSE_MAX", "AlignmentSettings", "BuiltAlignment", "ModelGroup", "build_model"]

DENSE_MAX = 1_500_000  # items x territories above which candidates are pruned
#: pruned groups of at most this many items x territories keep every territory's cost and
#: disruption rows once priced (16 bytes a pair: 320 MB at 100,000 x 200): the bound phase
#: prices every territory eight times, about 10 s of great-circle distances at that size
FULL_ROWS_KEPT_MAX = 25_000_000


class _RowsOnce:
    """Every territory's cost and disruption rows of a pruned group, priced once while the
    candidates are chosen and then served as read-only slices (the ``full_rows`` of
    :class:`~spmopt.territory.model.AlignmentModel`)."""

    def __init__(self, n: int, K: int) -> None:
        self.cost = np.empty((n, K))
        self.move = np.empty((n, K))

    def keep(self, i0: int, cost: np.ndarray, move: np.ndarray) -> None:
        """Store the rows of items ``i0 : i0 + len(cost)``."""
        self.cost[i0 : i0 + cost.shape[0]] = cost
        self.move[i0 : i0 + move.shape[0]] = move
        if i0 + cost.shape[0] == self.cost.shape[0]:
            self.cost.flags.writeable = False
            self.move.flags.writeable = False

    def rows(self, i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
        """The cost and disruption rows of items ``i0:i1`` (read-only views)."""
        return self.cost[i0:i1], self.move[i0:i1]


@dataclass(frozen=True)
class AlignmentSettings:
    """The settings of a :class:`~spmopt.territory.TerritoryAligner`, as the stages read them
    (see the aligner for their meaning)."""

    balance: Mapping[str, float]
    targets: pd.DataFrame | Mapping[str, float] | str | None = None
    compactness: str | None = "potential"
    max_disruption: float | None = None
    disruption_basis: str = "potential"
    disruption_price: float | None = None
    capacity: bool = True
    contiguity: bool = False
    within: str | None = None
    candidates: int = 16
    method: str = "auto"
    time_limit: float = 60.0
    mip_rel_gap: float = 1e-2
    effort: float = 1.0


@dataclass(frozen=True)
class ModelGroup:
    """One independent alignment problem (the whole instance unless ``within`` splits it).

    Attributes
    ----------
    name, label : str
        The group's name (``all`` without ``within``) and how messages call it.
    accounts, territories : ndarray of int
        Row positions of the group's accounts and reps in the validated tables.
    model : AlignmentModel
        Its arrays: candidate slots, costs, rows.
    members : list of ndarray
        Account positions of each item (one account, or the accounts of a basic unit).
    kind : str
        ``accounts`` or ``basic units``.
    neighbours : list of ndarray or None
        Basic-unit adjacency (contiguity only).
    problems : tuple of str
        What the pre-solve checks proved impossible (empty when none).
    """

    name: str
    label: str
    accounts: np.ndarray
    territories: np.ndarray
    model: AlignmentModel
    members: list[np.ndarray]
    kind: str = "accounts"
    neighbours: list[np.ndarray] | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltAlignment:
    """What :func:`build_model` returns: the validated tables and one model per group."""

    accounts: pd.DataFrame
    reps: pd.DataFrame
    settings: AlignmentSettings
    tolerance: dict[str, float]
    shares: dict[str, np.ndarray]
    current: np.ndarray
    groups: tuple[ModelGroup, ...]

    @property
    def model(self) -> AlignmentModel:
        """The model of a single-group problem."""
        if len(self.groups) != 1:
            raise ConfigError(
                f"{len(self.groups)} groups (within={self.settings.within!r}): use .groups"
            )
        return self.groups[0].model

    def rows(self) -> pd.DataFrame:
        """Every balance row: group, territory, attribute, lower limit, target, upper limit."""
        out = []
        for g in self.groups:
            m = g.model
            for a, attr in enumerate(m.attrs):
                out.append(
                    pd.DataFrame(
                        {
                            "group": g.name,
                            "territory_id": m.territories,
                            "attribute": attr,
                            "lo": m.lo[:, a],
                            "target": m.target[:, a],
                            "hi": m.hi[:, a],
                        }
                    )
                )
        cols = ["group", "territory_id", "attribute", "lo", "target", "hi"]
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)

    def __repr__(self) -> str:
        cols = sum(int(g.model.valid().sum()) for g in self.groups)
        return (
            f"BuiltAlignment(accounts={len(self.accounts)}, territories={len(self.reps)}, "
            f"groups={len(self.groups)}, columns={cols:,}, "
            f"pruned={any(not g.model.dense for g in self.groups)})"
        )


def _as_neighbours(adjacency: Any, units: np.ndarray) -> list[np.ndarray]:
    """Adjacency (dict unit -> neighbours, or DataFrame of pairs) as index arrays."""
    pos = {str(u): i for i, u in enumerate(units)}
    pairs: list[tuple[str, str]] = []
    if isinstance(adjacency, pd.DataFrame):
        if adjacency.shape[1] < 2:
            raise DataError(
                "adjacency needs two columns (unit, neighbour)",
                table="adjacency",
                fix="pass a DataFrame with columns like basic_unit, neighbor",
            )
        a, b = adjacency.columns[:2]
        pairs = list(zip(adjacency[a].astype(str), adjacency[b].astype(str)))
    elif isinstance(adjacency, Mapping):
        for u, nb in adjacency.items():
            for v in nb:
                pairs.append((str(u), str(v)))
    else:
        raise ConfigError(
            "adjacency must be a dict {unit: [neighbours]} or a DataFrame of (unit, neighbour) "
            f"pairs; got {type(adjacency).__name__}"
        )
    neigh: list[set[int]] = [set() for _ in units]
    for u, v in pairs:
        if u in pos and v in pos and u != v:
            neigh[pos[u]].add(pos[v])
            neigh[pos[v]].add(pos[u])
    return [np.array(sorted(s), dtype=int) for s in neigh]


def _shares(
    settings: AlignmentSettings, rp: pd.DataFrame, attrs: list[str]
) -> dict[str, np.ndarray]:
    K = len(rp)
    tid = rp["territory_id"].astype(str)
    out = {a: np.ones(K) for a in attrs}
    t = settings.targets
    if t is None:
        return out
    if isinstance(t, str):
        if t not in rp.columns:
            raise DataError(
                f"targets={t!r} is not a column of reps",
                table="reps",
                column=t,
                fix="add the column (relative target per rep, e.g. FTE) or pass a mapping",
            )
        v = rp[t].to_numpy(dtype=float, na_value=np.nan)
        return {a: _check_share(v, tid, t) for a in attrs}
    if isinstance(t, pd.DataFrame):
        frame = t.set_index("territory_id") if "territory_id" in t.columns else t
        frame.index = frame.index.astype(str)
        for a in attrs:
            if a in frame.columns:
                v = frame[a].reindex(tid).to_numpy(dtype=float, na_value=np.nan)
                out[a] = _check_share(v, tid, a)
        return out
    if isinstance(t, Mapping):
        v = pd.Series({str(k): float(x) for k, x in t.items()}).reindex(tid).to_numpy(float)
        return {a: _check_share(v, tid, "targets") for a in attrs}
    raise ConfigError(f"targets must be a DataFrame, mapping or reps column name, got {t!r}")


def _check_share(v: np.ndarray, tid: pd.Series, what: str) -> np.ndarray:
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise DataError(
            f"targets '{what}' missing or negative for some territories",
            table="targets",
            column=what,
            rows=tid[bad].tolist(),
            fix="give every territory a share >= 0 (1 = a full territory)",
        )
    if v.sum() <= 0:
        raise DataError(
            f"targets '{what}' sum to zero", table="targets", column=what, fix="give shares > 0"
        )
    return v


def _distance(
    distance: pd.DataFrame | np.ndarray | None, acc: pd.DataFrame, rp: pd.DataFrame
) -> np.ndarray | None:
    if distance is None:
        return None
    n, K = len(acc), len(rp)
    if isinstance(distance, pd.DataFrame):
        d = distance.copy()
        d.index = d.index.astype(str)
        d.columns = d.columns.astype(str)
        miss_r = set(acc["account_id"].astype(str)) - set(d.index)
        miss_c = set(rp["territory_id"].astype(str)) - set(d.columns)
        if miss_r or miss_c:
            raise DataError(
                f"distance matrix lacks {len(miss_r)} accounts and {len(miss_c)} territories",
                table="distance",
                rows=sorted(miss_r)[:10] or sorted(miss_c)[:10],
                fix="index rows by account_id and columns by territory_id",
            )
        arr = d.loc[acc["account_id"].astype(str), rp["territory_id"].astype(str)].to_numpy(float)
    else:
        arr = np.asarray(distance, dtype=float)
        if arr.shape != (n, K):
            raise DataError(
                f"distance matrix has shape {arr.shape}, expected {(n, K)} "
                "(accounts x reps, in table order)",
                table="distance",
                fix="pass one row per account and one column per rep",
            )
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        r = np.nonzero(bad.any(axis=1))[0]
        raise DataError(
            "distance matrix has negative, missing or infinite entries",
            table="distance",
            rows=acc["account_id"].astype(str).to_numpy()[r].tolist(),
            n_rows=int(r.size),
            fix="give every account a finite distance >= 0 to every territory",
        )
    return arr


def _groups(
    settings: AlignmentSettings,
    acc: pd.DataFrame,
    rp: pd.DataFrame,
    cur: np.ndarray,
    locked: np.ndarray,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    n, K = len(acc), len(rp)
    if settings.within is None:
        return [("all", np.arange(n), np.arange(K))]
    col = settings.within
    if col not in rp.columns:
        raise DataError(
            f"within={col!r} but reps has no such column",
            table="reps",
            column=col,
            fix="add the column (e.g. region or district) or set within=None",
        )
    rg = rp[col].astype(str).to_numpy()
    if col in acc.columns:
        ag = acc[col].astype("string").to_numpy(dtype=object, na_value=None)
    else:
        ag = np.array([None] * n, dtype=object)
    for src in (locked, cur):
        fill = np.array([a is None for a in ag]) & (src >= 0)
        ag[fill] = rg[src[fill]]
    miss = np.array([a is None for a in ag])
    if miss.any():
        raise DataError(
            f"cannot tell the {col} of some accounts (no {col} column, no current territory)",
            table="accounts",
            column=col,
            rows=acc.loc[miss, "account_id"].astype(str).tolist(),
            n_rows=int(miss.sum()),
            fix=f"add accounts.{col} or current_territory",
        )
    out = []
    for g in sorted(set(ag.tolist())):
        ai = np.nonzero(ag == g)[0]
        ki = np.nonzero(rg == g)[0]
        if ki.size == 0:
            raise DataError(
                f"{ai.size} accounts belong to {col} {g!r}, where no rep works",
                table="accounts",
                column=col,
                rows=acc["account_id"].astype(str).to_numpy()[ai].tolist(),
                n_rows=int(ai.size),
                fix=f"add a rep in {g!r} or correct the accounts' {col}",
            )
        out.append((str(g), ai, ki))
    return out


def build_model(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    settings: AlignmentSettings,
    *,
    distance: pd.DataFrame | np.ndarray | None = None,
    adjacency: Mapping[str, Iterable[str]] | pd.DataFrame | None = None,
) -> BuiltAlignment:
    """Validate the tables and build one :class:`AlignmentModel` per group.

    Parameters
    ----------
    accounts, reps : DataFrame
        Tables of the data contract.
    settings : AlignmentSettings
        What to balance and how (``TerritoryAligner(...).settings()``).
    distance : DataFrame or ndarray, optional
        Distance or travel time from each account to each territory's home base (replaces
        great-circle km).
    adjacency : mapping or DataFrame, optional
        Neighbouring basic units (contiguity).

    Returns
    -------
    BuiltAlignment
    """
    tables, errors = validate_tables(accounts, reps, None)
    if errors:
        raise errors[0]
    acc = tables["accounts"]
    rp = tables["reps"]
    assert acc is not None and rp is not None
    acc = acc.reset_index(drop=True)
    rp = rp.reset_index(drop=True)
    if len(rp) == 0 or len(acc) == 0:
        raise DataError(
            "nothing to align", table="reps" if len(rp) == 0 else "accounts", fix="add rows"
        )
    if rp["territory_id"].astype(str).duplicated().any():
        dup = rp["territory_id"][rp["territory_id"].astype(str).duplicated()].tolist()
        raise DataError(
            "territory_id must be unique (one rep per territory)",
            table="reps",
            column="territory_id",
            rows=dup,
            fix="give each rep its own territory_id",
        )
    tolerance = {str(k): float(v) for k, v in settings.balance.items()}
    attrs = list(tolerance)
    n, K = len(acc), len(rp)
    W = np.column_stack([attribute_values(acc, a) for a in attrs]) if attrs else np.zeros((n, 0))
    shares = _shares(settings, rp, attrs)
    cur = territory_index(acc, rp, "current_territory")
    locked = territory_index(acc, rp, "locked_territory")
    c = settings.compactness
    wt = np.ones(n) if c is None else attribute_values(acc, c)
    wt = np.where(wt > 0, wt, max(1e-3 * float(wt.mean()), 1e-9) if wt.mean() > 0 else 1.0)
    basis = attribute_values(acc, settings.disruption_basis)
    dist_matrix = _distance(distance, acc, rp)
    load = acc["workload"].to_numpy(float)
    cap = (
        rp["capacity"].to_numpy(dtype=float, na_value=np.nan)
        if settings.capacity and "capacity" in rp.columns
        else np.full(K, np.nan)
    )
    cap = np.where(np.isfinite(cap), cap, np.inf)
    inputs = _Inputs(
        acc,
        rp,
        W,
        attrs,
        tolerance,
        shares,
        wt,
        basis,
        cur,
        locked,
        load,
        cap,
        dist_matrix,
        adjacency,
    )
    groups = tuple(
        _build_group(settings, inputs, gname, ai, ki)
        for gname, ai, ki in _groups(settings, acc, rp, cur, locked)
    )
    return BuiltAlignment(acc, rp, settings, tolerance, shares, cur, groups)


def territory_index(acc: pd.DataFrame, rp: pd.DataFrame, col: str) -> np.ndarray:
    """Position in ``rp`` of each account's territory in column ``col`` (-1 for none)."""
    n = len(acc)
    if col not in acc.columns:
        return np.full(n, -1)
    kpos = {t: k for k, t in enumerate(rp["territory_id"].astype(str))}
    s = acc[col].astype("string").to_numpy(dtype=object, na_value=None)
    return np.array([kpos.get(v, -1) if v is not None else -1 for v in s], dtype=int)


@dataclass(frozen=True)
class _Inputs:
    """The per-account arrays every group is cut from."""

    acc: pd.DataFrame
    rp: pd.DataFrame
    W: np.ndarray
    attrs: list[str]
    tolerance: dict[str, float]
    shares: dict[str, np.ndarray]
    wt: np.ndarray
    basis: np.ndarray
    cur: np.ndarray
    locked: np.ndarray
    load: np.ndarray
    cap: np.ndarray
    dist_matrix: np.ndarray | None
    adjacency: Any


def _build_group(
    settings: AlignmentSettings, inp: _Inputs, gname: str, ai: np.ndarray, ki: np.ndarray
) -> ModelGroup:
    acc, rp, attrs, basis = inp.acc, inp.rp, inp.attrs, inp.basis
    label = f"{settings.within} {gname}" if settings.within else ""
    K = ki.size
    kloc = np.full(len(rp), -1)
    kloc[ki] = np.arange(K)
    g_cur = np.where(inp.cur[ai] >= 0, kloc[inp.cur[ai].clip(min=0)], -1)
    g_lock = np.where(inp.locked[ai] >= 0, kloc[inp.locked[ai].clip(min=0)], -1)
    bad = (inp.locked[ai] >= 0) & (g_lock < 0)
    if bad.any():
        raise DataError(
            f"locked_territory lies outside the account's {settings.within}",
            table="accounts",
            column="locked_territory",
            rows=acc["account_id"].astype(str).to_numpy()[ai[bad]].tolist(),
            n_rows=int(bad.sum()),
            fix="correct the lock or align without `within`",
        )
    Wg = inp.W[ai]
    target = np.zeros((K, len(attrs)))
    for a, attr in enumerate(attrs):
        s = inp.shares[attr][ki]
        if s.sum() <= 0:
            s = np.ones(K)
        target[:, a] = Wg[:, a].sum() * s / s.sum()
    tol = np.array([inp.tolerance[a] for a in attrs])
    lo = target * (1 - tol)
    hi = target * (1 + tol)
    hlat = rp["lat"].to_numpy(float)[ki]
    hlon = rp["lon"].to_numpy(float)[ki]
    lat = acc["lat"].to_numpy(float)[ai]
    lon = acc["lon"].to_numpy(float)[ai]
    price = float(settings.disruption_price or 0.0)
    dist_matrix, wt = inp.dist_matrix, inp.wt

    def cost_block(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if dist_matrix is not None:
            d = dist_matrix[np.ix_(ai[rows], ki)]
        else:
            d = haversine_km(lat[rows, None], lon[rows, None], hlat[None, :], hlon[None, :])
        kk = np.arange(K)[None, :]
        cr = g_cur[rows, None]
        mv = np.where((cr >= 0) & (kk != cr), basis[ai[rows], None], 0.0)
        c = wt[ai[rows], None] * d
        if price:
            c = c + price * wt[ai[rows], None] * (mv > 0)
        lk = g_lock[rows, None]
        c = np.where((lk >= 0) & (kk != lk), np.inf, c)
        return c, mv

    basis_total = float(basis[ai].sum())
    if settings.contiguity:
        return _contiguous_group(
            settings, inp, gname, label, ai, ki, Wg, target, lo, hi, cost_block, basis_total
        )
    ng = ai.size
    full_rows: FullRows | None = None
    if ng * K <= DENSE_MAX or K <= settings.candidates:
        cost, move = cost_block(np.arange(ng))
        cand = np.tile(np.arange(K), (ng, 1))
    else:
        P = min(K - 1, int(settings.candidates))
        cand = np.empty((ng, P + 1), dtype=int)
        cost = np.empty((ng, P + 1))
        move = np.empty((ng, P + 1))
        rows_of = _RowsOnce(ng, K) if ng * K <= FULL_ROWS_KEPT_MAX else None
        for i0 in range(0, ng, 4096):
            rows = np.arange(i0, min(ng, i0 + 4096))
            c, mv = cost_block(rows)
            if rows_of is not None:
                rows_of.keep(i0, c, mv)
            near = np.argpartition(c, P - 1, axis=1)[:, :P]
            cc = g_cur[rows]
            has_cur = (cc < 0) | (near == cc[:, None]).any(axis=1)
            extra = np.where(has_cur, -1, cc)
            cb = np.column_stack([near, extra])
            cand[rows] = cb
            rr = np.arange(rows.size)[:, None]
            cost[rows] = np.where(cb >= 0, c[rr, cb.clip(min=0)], np.inf)
            move[rows] = np.where(cb >= 0, mv[rr, cb.clip(min=0)], 0.0)

        def priced(i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
            return cost_block(np.arange(i0, i1))

        full_rows = rows_of.rows if rows_of is not None else priced

    cand = np.where(np.isfinite(cost), cand, -1)
    # the cap is a share of the group's whole disruption basis (as disruption_share reports)
    max_move = (
        float(settings.max_disruption) * basis_total
        if settings.max_disruption is not None
        else None
    )
    model = AlignmentModel(
        ids=acc["account_id"].astype(str).to_numpy()[ai],
        territories=rp["territory_id"].astype(str).to_numpy()[ki],
        cand=cand,
        cost=cost,
        move=move,
        W=Wg,
        attrs=attrs,
        target=target,
        lo=lo,
        hi=hi,
        load=inp.load[ai],
        cap=inp.cap[ki],
        max_move=max_move,
        full_rows=full_rows,
        extra={"candidates": int(settings.candidates), "basis_total": basis_total},
    )
    problems = presolve_problems(model, inp.tolerance, "accounts", label)
    members = [np.array([i]) for i in ai]
    return ModelGroup(gname, label, ai, ki, model, members, "accounts", None, tuple(problems))


def _contiguous_group(
    settings: AlignmentSettings,
    inp: _Inputs,
    gname: str,
    group_label: str,
    ai: np.ndarray,
    ki: np.ndarray,
    Wg: np.ndarray,
    target: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    cost_block: Any,
    basis_total: float,
) -> ModelGroup:
    """The group with basic units as items (their accounts' sums), each territory rooted at
    the unit nearest its rep's home."""
    acc, rp, adjacency, load, cap, attrs = (
        inp.acc,
        inp.rp,
        inp.adjacency,
        inp.load,
        inp.cap,
        inp.attrs,
    )
    if "basic_unit" not in acc.columns:
        raise DataError(
            "contiguity=True needs basic units",
            table="accounts",
            column="basic_unit",
            fix="add basic_unit (e.g. county or ZIP code) and pass its adjacency",
        )
    if adjacency is None:
        raise ConfigError(
            "contiguity=True needs solve(..., adjacency=...) (neighbour list of basic units)"
        )
    bu = acc["basic_unit"].astype("string").to_numpy(dtype=object, na_value=None)[ai]
    if any(b is None for b in bu):
        miss = np.array([b is None for b in bu])
        raise DataError(
            "accounts without basic_unit cannot be aligned contiguously",
            table="accounts",
            column="basic_unit",
            rows=acc["account_id"].astype(str).to_numpy()[ai[miss]].tolist(),
            n_rows=int(miss.sum()),
            fix="fill basic_unit",
        )
    units, inv = np.unique(bu.astype(str), return_inverse=True)
    U, K = units.size, ki.size
    c_acc, mv_acc = cost_block(np.arange(ai.size))
    cost = np.zeros((U, K))
    move = np.zeros((U, K))
    np.add.at(cost, inv, c_acc)
    np.add.at(move, inv, mv_acc)
    Wu = np.zeros((U, Wg.shape[1]))
    np.add.at(Wu, inv, Wg)
    lu = np.bincount(inv, weights=load[ai], minlength=U)
    members = [np.nonzero(inv == u)[0] for u in range(U)]
    members = [ai[m] for m in members]
    # roots: the unit nearest each rep's home (by the unit's mean position)
    lat = np.bincount(inv, weights=acc["lat"].to_numpy(float)[ai], minlength=U) / np.bincount(
        inv, minlength=U
    )
    lon = np.bincount(inv, weights=acc["lon"].to_numpy(float)[ai], minlength=U) / np.bincount(
        inv, minlength=U
    )
    hd = haversine_km(
        lat[:, None],
        lon[:, None],
        rp["lat"].to_numpy(float)[ki][None, :],
        rp["lon"].to_numpy(float)[ki][None, :],
    )
    root = np.full(K, -1)
    taken: set[int] = set()
    for k in np.argsort(hd.min(axis=0)):
        for u in np.argsort(hd[:, k]):
            if int(u) not in taken and np.isfinite(cost[u, k]):
                root[k] = int(u)
                taken.add(int(u))
                break
    for k in range(K):
        if root[k] >= 0:
            cost[root[k], np.arange(K) != k] = np.inf
    cand = np.where(np.isfinite(cost), np.tile(np.arange(K), (U, 1)), -1)
    model = AlignmentModel(
        ids=units,
        territories=rp["territory_id"].astype(str).to_numpy()[ki],
        cand=cand,
        cost=cost,
        move=move,
        W=Wu,
        attrs=attrs,
        target=target,
        lo=lo,
        hi=hi,
        load=lu,
        cap=cap[ki],
        max_move=(
            float(settings.max_disruption) * basis_total
            if settings.max_disruption is not None
            else None
        ),
        root=root,
    )
    model.extra["basis_total"] = basis_total
    problems = presolve_problems(model, inp.tolerance, "basic units", group_label)
    neigh = _as_neighbours(adjacency, units)
    return ModelGroup(
        gname, group_label, ai, ki, model, members, "basic units", neigh, tuple(problems)
    )
