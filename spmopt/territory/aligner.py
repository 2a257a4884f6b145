"""TerritoryAligner: balanced, compact, low-disruption territories.

Model (each account ``i`` to exactly one territory ``k``; each territory has one rep with a fixed
home base)::

    min   sum_{i,k} w_i d_ik x_ik  +  price * sum_{i,k != cur_i} w_i x_ik
    s.t.  sum_k x_ik = 1                                        every account
          (1 - tol_a) T_ka <= sum_i a_ia x_ik <= (1 + tol_a) T_ka  every territory k and balance
                                                                 attribute a (targets T_ka equal,
                                                                 or proportional to given shares)
          sum_i workload_i x_ik <= capacity_k                    when reps carry a capacity
          sum_i v_i (1 - x_{i,cur_i}) <= max_disruption * sum_i v_i   (v: potential or 1)
          x_{i, locked_i} = 1                                    locked accounts
          territory k connected in the basic-unit adjacency     (contiguity=True)
          x_ik = 0 when k is in another district/region         (within=...)
          x binary

``w`` is the compactness weight (potential by default), ``d`` great-circle km to the rep's home
(or a user matrix). With ``within`` the problem splits into one independent model per group,
each balanced against its own totals.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.geo import haversine_km
from spmopt.data.validate import validate_tables
from spmopt.errors import ConfigError, DataError
from spmopt.solver import SolveInfo, SolverOptions, relative_gap
from spmopt.territory.checks import presolve_problems
from spmopt.territory.diagnose import describe
from spmopt.territory.engine import EngineResult, best_compromise, solve_model
from spmopt.territory.metrics import attribute_values, evaluate
from spmopt.territory.model import AlignmentModel
from spmopt.territory.phases import WorkBudget
from spmopt.territory.phases.compromise import row_violations
from spmopt.territory.result import AlignmentResult

__all__ = ["TerritoryAligner"]

VIOLATION_COLUMNS = ("group", "row", "territory", "attribute", "value", "limit", "relative")
DENSE_MAX = 1_500_000  # items x territories above which candidates are pruned
DIAGNOSE_MAX_COLUMNS = 200_000
METHODS = ("auto", "mip", "heuristic")


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


class TerritoryAligner:
    """Draw territories: balanced on chosen attributes, compact, with limited disruption.

    Parameters
    ----------
    balance : mapping str -> float
        Attribute -> relative tolerance (0.05 = ±5% of the territory's target). Attributes are
        numeric columns of ``accounts`` or ``"accounts"`` (account counts).
    targets : DataFrame, mapping or str, optional
        Relative targets (shares) per territory: a DataFrame indexed by ``territory_id`` with a
        column per attribute, a mapping ``territory_id -> share`` for every attribute, or the
        name of a numeric column of ``reps`` (e.g. an FTE column). Normalised to the total of
        each attribute (within each group with ``within``). Equal targets by default.
    compactness : str or None
        Weight of the distance objective: ``"potential"`` (default), ``"workload"``, another
        numeric column, or None for unweighted km. Zero weights are floored at 1e-3 times the
        mean so that every account still prefers a nearby rep.
    max_disruption : float or None
        Largest share of the disruption basis allowed to change territory against
        ``current_territory`` (accounts without one are not counted).
    disruption_basis : {"potential", "accounts"} or column
        What a move counts: its potential (default) or one per account.
    disruption_price : float or None
        Price a move in the objective: moving an account costs as much as it travelling this
        many km further (weight x km). Can be combined with ``max_disruption``.
    capacity : bool
        Keep each territory's workload within ``reps.capacity`` (where given).
    contiguity : bool
        Territories connected in the adjacency of ``accounts.basic_unit`` (pass ``adjacency`` to
        :meth:`solve`); basic units are assigned whole.
    within : str or None
        Reps column (``"region"``, ``"district"``) to align within: accounts stay in their group
        (``accounts[within]`` or the group of their current territory's rep) and each group is
        balanced on its own.
    candidates : int
        Nearest territories kept per account on large instances (with column generation, so
        the bound stays valid).
    method : {"auto", "mip", "heuristic"}
        ``auto``: LP or Lagrangian bound, LP rounding repaired by chains of moves, boundary
        and neighbourhood MIPs, and the exact reduced MIP (see
        :mod:`spmopt.territory.engine`); ``mip``: the plain full MIP through pyomo;
        ``heuristic``: skip the exact phase.
    time_limit : float
        Seconds for the whole solve (overrides ``solver.time_limit``).
    mip_rel_gap : float
        Relative gap at which the solve stops as optimal.
    solver : SolverOptions, optional
        Threads, seed, verbosity and extra HiGHS options.
    seed : int
        Random seed handed to HiGHS and to the order of the neighbourhood searches.
    effort : float
        Multiplies the work budget of every solve phase (simplex iterations, branch-and-bound
        nodes, chain-repair steps, neighbourhood MIPs; see
        :class:`~spmopt.territory.phases.WorkBudget`). The work budget, not the clock, decides
        when each phase stops, so equal inputs and seed give the same assignment on any machine;
        ``time_limit`` is a safety cap, and the status says when it bound.
    """

    def __init__(
        self,
        balance: Mapping[str, float] | None = None,
        *,
        targets: pd.DataFrame | Mapping[str, float] | str | None = None,
        compactness: str | None = "potential",
        max_disruption: float | None = None,
        disruption_basis: str = "potential",
        disruption_price: float | None = None,
        capacity: bool = True,
        contiguity: bool = False,
        within: str | None = None,
        candidates: int = 16,
        method: str = "auto",
        time_limit: float = 60,
        mip_rel_gap: float = 1e-2,
        solver: SolverOptions | None = None,
        seed: int = 0,
        effort: float = 1.0,
    ) -> None:
        self.balance = {"potential": 0.05} if balance is None else balance
        self.targets = targets
        self.compactness = compactness
        self.max_disruption = max_disruption
        self.disruption_basis = disruption_basis
        self.disruption_price = disruption_price
        self.capacity = capacity
        self.contiguity = contiguity
        self.within = within
        self.candidates = candidates
        self.method = method
        self.time_limit = time_limit
        self.mip_rel_gap = mip_rel_gap
        self.solver = solver
        self.seed = seed
        self.effort = effort

    def __repr__(self) -> str:
        keys = ("balance", "max_disruption", "contiguity", "within", "method", "time_limit")
        return f"TerritoryAligner({', '.join(f'{k}={getattr(self, k)!r}' for k in keys)})"

    # ------------------------------------------------------------------ settings
    def _check_settings(self) -> None:
        if not isinstance(self.balance, Mapping):
            raise ConfigError(
                f"balance must be a mapping attribute -> tolerance, got {self.balance!r}"
            )
        for k, v in self.balance.items():
            if not isinstance(v, int | float) or not 0 <= float(v) <= 10:
                raise ConfigError(
                    f"balance[{k!r}]={v!r}: give a relative tolerance in [0, 10], e.g. 0.05"
                )
        if self.max_disruption is not None and not 0 <= self.max_disruption <= 1:
            raise ConfigError(f"max_disruption={self.max_disruption!r}: give a share in [0, 1]")
        if self.disruption_price is not None and self.disruption_price < 0:
            raise ConfigError(f"disruption_price={self.disruption_price!r}: must be >= 0 (km)")
        if self.method not in METHODS:
            raise ConfigError(f"method={self.method!r}; allowed: {', '.join(METHODS)}")
        if not self.time_limit or self.time_limit <= 0:
            raise ConfigError(f"time_limit={self.time_limit!r}: give seconds > 0")
        if not isinstance(self.effort, int | float) or not 0 < float(self.effort) <= 100:
            raise ConfigError(f"effort={self.effort!r}: give a factor in (0, 100], e.g. 1 or 2")
        if int(self.candidates) < 2:
            raise ConfigError(f"candidates={self.candidates!r}: keep at least 2 per account")
        if self.within is not None and self.contiguity and self.method == "mip":
            raise ConfigError("method='mip' does not support contiguity; use method='auto'")

    def _work(self) -> WorkBudget:
        """The work budget of each solve phase, scaled by ``effort``."""
        return WorkBudget().scaled(float(self.effort))

    def _options(self) -> SolverOptions:
        base = self.solver or SolverOptions(seed=self.seed)
        return replace(base, time_limit=float(self.time_limit), mip_rel_gap=self.mip_rel_gap)

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        accounts: pd.DataFrame,
        reps: pd.DataFrame,
        *,
        distance: pd.DataFrame | np.ndarray | None = None,
        adjacency: Mapping[str, Iterable[str]] | pd.DataFrame | None = None,
    ) -> AlignmentResult:
        """Align ``accounts`` to the territories of ``reps``.

        Parameters
        ----------
        accounts, reps : DataFrame
            Tables of the data contract (``accounts``: account_id, lat, lon, potential,
            workload, optional current_territory, locked_territory, basic_unit; ``reps``:
            rep_id, territory_id, lat, lon, optional capacity, region, district).
        distance : DataFrame or ndarray, optional
            Distance or travel time from each account to each territory's home base, replacing
            great-circle km in the objective: an (accounts x reps) array in table order, or a
            DataFrame indexed by account_id with a column per territory_id.
        adjacency : mapping or DataFrame, optional
            Neighbouring basic units (required with ``contiguity=True``).

        Returns
        -------
        AlignmentResult
        """
        t0 = time.perf_counter()
        self._check_settings()
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
        options = self._options()
        tolerance = {str(k): float(v) for k, v in self.balance.items()}
        attrs = list(tolerance)
        n, K = len(acc), len(rp)
        W = (
            np.column_stack([attribute_values(acc, a) for a in attrs])
            if attrs
            else np.zeros((n, 0))
        )
        shares = self._shares(rp, attrs)
        tid = rp["territory_id"].astype(str).to_numpy()
        kpos = {t: k for k, t in enumerate(tid)}

        def idx_of(col: str) -> np.ndarray:
            if col not in acc.columns:
                return np.full(n, -1)
            s = acc[col].astype("string")
            return np.array(
                [
                    kpos.get(v, -1) if v is not None else -1
                    for v in s.to_numpy(dtype=object, na_value=None)
                ]
            )

        cur = idx_of("current_territory")
        locked = idx_of("locked_territory")
        wt = np.ones(n) if self.compactness is None else attribute_values(acc, self.compactness)
        wt = np.where(wt > 0, wt, max(1e-3 * float(wt.mean()), 1e-9) if wt.mean() > 0 else 1.0)
        basis = attribute_values(acc, self.disruption_basis)
        dist_matrix = self._distance(distance, acc, rp)
        load = acc["workload"].to_numpy(float)
        cap = (
            rp["capacity"].to_numpy(dtype=float, na_value=np.nan)
            if self.capacity and "capacity" in rp.columns
            else np.full(K, np.nan)
        )
        cap = np.where(np.isfinite(cap), cap, np.inf)
        groups = self._groups(acc, rp, cur, locked)

        slots_terr = np.full(n, -1)
        viol_rows: list[dict[str, Any]] = []
        proven = False
        infos: list[SolveInfo] = []
        diagnoses: list[str] = []
        methods = []
        for gname, ai, ki in groups:
            label = f"{self.within} {gname}" if self.within else ""
            res, model, members, diag = self._solve_group(
                ai,
                ki,
                acc=acc,
                rp=rp,
                W=W,
                attrs=attrs,
                tolerance=tolerance,
                shares=shares,
                wt=wt,
                basis=basis,
                cur=cur,
                locked=locked,
                load=load,
                cap=cap,
                dist_matrix=dist_matrix,
                adjacency=adjacency,
                options=replace(
                    options,
                    time_limit=max(
                        float(self.time_limit) * len(ai) / n
                        if len(groups) > 1
                        else float(self.time_limit),
                        1.0,
                    ),
                ),
                group_label=label,
            )
            infos.append(res.info)
            methods.append(res.info.message)
            if diag is not None:
                diagnoses.append(diag)
            if res.info.status == "infeasible" and res.slot is not None:
                viol_rows += [
                    {"group": gname if self.within else None, **vars(v)}
                    for v in row_violations(res.model, res.slot)
                ]
                if res.compromise is not None:
                    proven = proven or res.compromise.lower > 1e-9
            slot = res.slot
            if slot is not None:
                terr_local = model.territory_of(slot)
                for item, members_i in enumerate(members):
                    slots_terr[members_i] = ki[terr_local[item]]
        res_all = self._result(
            acc, rp, slots_terr, infos, diagnoses, tolerance, shares, cur, t0, methods
        )
        violations = pd.DataFrame(viol_rows, columns=list(VIOLATION_COLUMNS))
        metrics = dict(res_all.metrics)
        metrics["max_violation"] = float(violations["relative"].max()) if len(violations) else 0.0
        metrics["proven_infeasible"] = bool(proven)
        metrics["time_capped"] = any(i.time_capped for i in infos)
        if len(violations):
            metrics["feasible_balance"] = {
                a: max(tolerance[a], float(np.ceil(metrics[f"max_deviation_{a}"] * 1000) / 1000))
                for a in tolerance
            }
        return replace(res_all, metrics=metrics, violations=violations)

    # ------------------------------------------------------------------ helpers
    def _shares(self, rp: pd.DataFrame, attrs: list[str]) -> dict[str, np.ndarray]:
        K = len(rp)
        tid = rp["territory_id"].astype(str)
        out = {a: np.ones(K) for a in attrs}
        t = self.targets
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
            return {a: self._check_share(v, tid, t) for a in attrs}
        if isinstance(t, pd.DataFrame):
            frame = t.set_index("territory_id") if "territory_id" in t.columns else t
            frame.index = frame.index.astype(str)
            for a in attrs:
                if a in frame.columns:
                    v = frame[a].reindex(tid).to_numpy(dtype=float, na_value=np.nan)
                    out[a] = self._check_share(v, tid, a)
            return out
        if isinstance(t, Mapping):
            v = pd.Series({str(k): float(x) for k, x in t.items()}).reindex(tid).to_numpy(float)
            return {a: self._check_share(v, tid, "targets") for a in attrs}
        raise ConfigError(f"targets must be a DataFrame, mapping or reps column name, got {t!r}")

    @staticmethod
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
        self, distance: pd.DataFrame | np.ndarray | None, acc: pd.DataFrame, rp: pd.DataFrame
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
            arr = d.loc[acc["account_id"].astype(str), rp["territory_id"].astype(str)].to_numpy(
                float
            )
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
        self, acc: pd.DataFrame, rp: pd.DataFrame, cur: np.ndarray, locked: np.ndarray
    ) -> list[tuple[str, np.ndarray, np.ndarray]]:
        n, K = len(acc), len(rp)
        if self.within is None:
            return [("all", np.arange(n), np.arange(K))]
        col = self.within
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

    def _solve_group(
        self,
        ai: np.ndarray,
        ki: np.ndarray,
        *,
        acc: pd.DataFrame,
        rp: pd.DataFrame,
        W: np.ndarray,
        attrs: list[str],
        tolerance: dict[str, float],
        shares: dict[str, np.ndarray],
        wt: np.ndarray,
        basis: np.ndarray,
        cur: np.ndarray,
        locked: np.ndarray,
        load: np.ndarray,
        cap: np.ndarray,
        dist_matrix: np.ndarray | None,
        adjacency: Any,
        options: SolverOptions,
        group_label: str,
    ) -> tuple[EngineResult, AlignmentModel, list[np.ndarray], str | None]:
        K = ki.size
        kloc = np.full(len(rp), -1)
        kloc[ki] = np.arange(K)
        g_cur = np.where(cur[ai] >= 0, kloc[cur[ai].clip(min=0)], -1)
        g_lock = np.where(locked[ai] >= 0, kloc[locked[ai].clip(min=0)], -1)
        bad = (locked[ai] >= 0) & (g_lock < 0)
        if bad.any():
            raise DataError(
                f"locked_territory lies outside the account's {self.within}",
                table="accounts",
                column="locked_territory",
                rows=acc["account_id"].astype(str).to_numpy()[ai[bad]].tolist(),
                n_rows=int(bad.sum()),
                fix="correct the lock or align without `within`",
            )
        Wg = W[ai]
        target = np.zeros((K, len(attrs)))
        for a, attr in enumerate(attrs):
            s = shares[attr][ki]
            if s.sum() <= 0:
                s = np.ones(K)
            target[:, a] = Wg[:, a].sum() * s / s.sum()
        tol = np.array([tolerance[a] for a in attrs])
        lo = target * (1 - tol)
        hi = target * (1 + tol)
        hlat = rp["lat"].to_numpy(float)[ki]
        hlon = rp["lon"].to_numpy(float)[ki]
        lat = acc["lat"].to_numpy(float)[ai]
        lon = acc["lon"].to_numpy(float)[ai]
        price = float(self.disruption_price or 0.0)

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

        members: list[np.ndarray] = [np.array([i]) for i in ai]
        if self.contiguity:
            return self._solve_contiguous(
                ai,
                ki,
                acc,
                rp,
                Wg,
                attrs,
                target,
                lo,
                hi,
                cost_block,
                g_lock,
                load,
                cap,
                adjacency,
                options,
                tolerance,
                group_label,
                float(basis[ai].sum()),
            )
        ng = ai.size
        full_rows = None
        if ng * K <= DENSE_MAX or K <= self.candidates:
            cost, move = cost_block(np.arange(ng))
            cand = np.tile(np.arange(K), (ng, 1))
        else:
            # start wide (3x): a narrow list of nearest territories may be unable to meet the
            # bands, which makes the pruned dual unbounded; repricing then narrows it
            P = min(K - 1, int(self.candidates))
            cand = np.empty((ng, P + 1), dtype=int)
            cost = np.empty((ng, P + 1))
            move = np.empty((ng, P + 1))
            for i0 in range(0, ng, 4096):
                rows = np.arange(i0, min(ng, i0 + 4096))
                c, mv = cost_block(rows)
                near = np.argpartition(c, P - 1, axis=1)[:, :P]
                cc = g_cur[rows]
                has_cur = (cc < 0) | (near == cc[:, None]).any(axis=1)
                extra = np.where(has_cur, -1, cc)
                cb = np.column_stack([near, extra])
                cand[rows] = cb
                rr = np.arange(rows.size)[:, None]
                cost[rows] = np.where(cb >= 0, c[rr, cb.clip(min=0)], np.inf)
                move[rows] = np.where(cb >= 0, mv[rr, cb.clip(min=0)], 0.0)
            cand = np.where(np.isfinite(cost), cand, -1)

            def full_rows(i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
                return cost_block(np.arange(i0, i1))

        cand = np.where(np.isfinite(cost), cand, -1)
        # the cap is a share of the group's whole disruption basis (as disruption_share reports)
        max_move = (
            float(self.max_disruption) * float(basis[ai].sum())
            if self.max_disruption is not None
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
            load=load[ai],
            cap=cap[ki],
            max_move=max_move,
            full_rows=full_rows,
            extra={"candidates": int(self.candidates)},
        )
        model.extra["basis_total"] = float(basis[ai].sum())
        problems = presolve_problems(model, tolerance, "accounts", group_label)
        if problems:
            res = best_compromise(model, options, work=self._work())
        elif self.method == "mip":
            from spmopt.territory.mip import solve_pyomo_mip

            res = solve_pyomo_mip(model, options)
            if res.slot is None:
                res = best_compromise(model, options, work=self._work())
        else:
            res = solve_model(
                model,
                options,
                exact_phase=False if self.method == "heuristic" else None,
                work=self._work(),
            )
        diag = None
        if res.info.status == "infeasible":
            parts = list(problems)
            if res.compromise is not None:
                parts.append(
                    describe(res.model, res.compromise, tolerance, "accounts", group_label)
                )
            diag = "\n".join(parts) or res.info.message
        return res, res.model, members, diag

    def _solve_contiguous(
        self,
        ai,
        ki,
        acc,
        rp,
        Wg,
        attrs,
        target,
        lo,
        hi,
        cost_block,
        g_lock,
        load,
        cap,
        adjacency,
        options,
        tolerance,
        group_label,
        basis_total,
    ):  # type: ignore[no-untyped-def]
        from spmopt.territory.contiguity import solve_contiguous

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
                float(self.max_disruption) * basis_total
                if self.max_disruption is not None
                else None
            ),
            root=root,
        )
        model.extra["basis_total"] = basis_total
        problems = presolve_problems(model, tolerance, "basic units", group_label)
        if problems:
            res = best_compromise(model, options, work=self._work())
            text = (
                describe(res.model, res.compromise, tolerance, "basic units", group_label)
                if (res.compromise is not None)
                else ""
            )
            return res, model, members, "\n".join([*problems, text]).strip()
        neigh = _as_neighbours(adjacency, units)
        res = solve_contiguous(model, neigh, options)
        diag = None
        if res.slot is None:
            # always an answer: the best assignment without contiguity, said as such
            alt = solve_model(model, options, work=self._work())
            if alt.compromise is not None:
                why = "without contiguity too: " + describe(
                    alt.model, alt.compromise, tolerance, "basic units", group_label
                )
            else:
                why = (
                    "without contiguity the bands can be met; the assignment returned meets "
                    "them but leaves some territories in pieces"
                )
            diag = (
                "contiguous territories within the bands were not found ("
                + res.info.message
                + "); "
                + why
            )
            info = SolveInfo(
                "infeasible",
                alt.info.objective,
                None,
                None,
                res.info.seconds + alt.info.seconds,
                res.info.message,
                time_capped=res.info.time_capped or alt.info.time_capped,
            )
            res = EngineResult(alt.slot, info, alt.model, alt.dual, alt.compromise)
        return res, model, members, diag

    def _result(
        self,
        acc: pd.DataFrame,
        rp: pd.DataFrame,
        terr: np.ndarray,
        infos: list[SolveInfo],
        diagnoses: list[str],
        tolerance: dict[str, float],
        shares: dict[str, np.ndarray],
        cur: np.ndarray,
        t0: float,
        methods: list[str],
    ) -> AlignmentResult:
        tid = rp["territory_id"].astype(str).to_numpy()
        rid = rp["rep_id"].astype(str).to_numpy()
        ok = terr >= 0
        statuses = [i.status for i in infos]
        if all(s == "optimal" for s in statuses):
            status = "optimal"
        elif any(s in ("infeasible", "error") for s in statuses):
            status = "infeasible" if any(s == "infeasible" for s in statuses) else "error"
        elif any(s == "time_limit" for s in statuses):
            status = "time_limit"
        else:
            status = "feasible"
        assignment = pd.DataFrame(
            {
                "account_id": acc["account_id"].astype(str).to_numpy()[ok],
                "territory_id": tid[terr[ok]],
                "rep_id": rid[terr[ok]],
            }
        )
        k = terr[ok]
        assignment["distance_km"] = haversine_km(
            acc["lat"].to_numpy(float)[ok],
            acc["lon"].to_numpy(float)[ok],
            rp["lat"].to_numpy(float)[k],
            rp["lon"].to_numpy(float)[k],
        )
        assignment["moved"] = (cur[ok] >= 0) & (cur[ok] != k)
        targets = self._target_totals(acc, rp, shares, tolerance)
        summary, metrics = evaluate(
            assignment, acc, rp, tolerance, targets, disruption_basis=self.disruption_basis
        )
        summary["moved_in"] = np.bincount(k[assignment["moved"].to_numpy()], minlength=len(rp))
        cur_ok = cur[ok][assignment["moved"].to_numpy()]
        summary["moved_out"] = np.bincount(cur_ok, minlength=len(rp))
        m: dict[str, Any] = dict(metrics)
        objs = [i.objective for i in infos]
        bounds = [i.bound for i in infos]
        m["objective"] = (
            float(sum(o for o in objs if o is not None))
            if all(o is not None for o in objs)
            else None
        )
        m["bound"] = (
            float(sum(b for b in bounds if b is not None))
            if all(b is not None for b in bounds)
            else None
        )
        m["gap"] = relative_gap(m["objective"], m["bound"])
        m["seconds"] = time.perf_counter() - t0
        m["solve_seconds"] = float(sum(i.seconds for i in infos))
        m["method"] = (
            self.method
            if self.method != "auto"
            else ("contiguity cuts" if self.contiguity else "lp/lagrangian bound + mip")
        )
        m["algorithm"] = "; ".join(dict.fromkeys(methods))
        m["groups"] = len(infos)
        if "current_territory" in acc.columns:
            try:
                from spmopt.territory.metrics import current_assignment

                _, before = evaluate(
                    current_assignment(acc, rp).dropna(subset=["territory_id"]),
                    acc,
                    rp,
                    tolerance,
                    targets,
                    disruption_basis=self.disruption_basis,
                )
                for key in [k for k in before if k.startswith("max_deviation_")] + [
                    "weighted_distance",
                    "mean_distance_km",
                ]:
                    m[f"before_{key}"] = before[key]
            except DataError:
                pass
        settings = {
            "balance": tolerance,
            "max_disruption": self.max_disruption,
            "contiguity": self.contiguity,
            "within": self.within,
            "method": self.method,
            "time_limit": self.time_limit,
        }
        return AlignmentResult(
            assignment=assignment,
            summary=summary,
            metrics=m,
            status=status,
            diagnosis="\n".join(diagnoses) if diagnoses else None,
            settings=settings,
        )

    def _target_totals(
        self,
        acc: pd.DataFrame,
        rp: pd.DataFrame,
        shares: dict[str, np.ndarray],
        tolerance: dict[str, float],
    ) -> dict[str, np.ndarray]:
        """Target of each territory per attribute, as the model used them (per group)."""
        K = len(rp)
        out: dict[str, np.ndarray] = {}
        cur = np.full(len(acc), -1)
        lk = np.full(len(acc), -1)
        if "current_territory" in acc.columns or "locked_territory" in acc.columns:
            kpos = {t: k for k, t in enumerate(rp["territory_id"].astype(str))}
            for col, arr in (("current_territory", cur), ("locked_territory", lk)):
                if col in acc.columns:
                    s = acc[col].astype("string").to_numpy(dtype=object, na_value=None)
                    arr[:] = [kpos.get(v, -1) if v is not None else -1 for v in s]
        groups = self._groups(acc, rp, cur, lk)
        attrs = list(dict.fromkeys(["potential", "workload", *tolerance]))
        for attr in attrs:
            v = attribute_values(acc, attr)
            s_all = shares.get(attr, np.ones(K))
            t = np.zeros(K)
            for _, ai, ki in groups:
                s = s_all[ki]
                t[ki] = v[ai].sum() * s / s.sum()
            out[attr] = t
        return out
