"""The quota MIP: fair, bounded, integer quotas that roll up exactly.

Formulation
-----------
Territories ``i = 1..n``; increment ``u`` [currency]; quotas are ``Q_i = u * k_i`` with integer
``k_i``. Given the fair share ``f_i`` [currency] (the blended share of the roll-up, see
:class:`spmopt.quota.QuotaSetter`), per-territory bounds ``[L_i, U_i]`` (growth floor/cap vs last
year and vs forecast, cap as a share of potential, all in increments), the roll-up ``R`` and the
targets ``R_g`` of the given regions/districts ``g`` (all whole increments)::

    minimise    t + gamma * sum_i (d+_i + d-_i) / R
    subject to  sum_i k_i               = R                  (company roll-up)
                sum_{i in g} k_i        = R_g    for each g  (region / district targets)
                k_i - d+_i + d-_i       = f_i / u            (deviation from the fair share)
                d+_i + d-_i             <= w_i t             (largest relative deviation)
                L_i <= k_i <= U_i,  k_i integer;  d+, d-, t >= 0

with ``w_i = max(f_i, 0.01 mean f) / u``: ``t`` is the largest deviation from the fair share as
a fraction of it (for proportional fair shares this equalises quota/potential), the second term
the total absolute deviation as a fraction of the roll-up.

Optional achievability target (share ``s*`` of reps at or above quota). For each rep ``i`` with
carried fraction ``kappa_i`` (the part of the territory quota the rep carries) and probability
levels ``l_1 < ... < l_L`` with steps ``D_l``, binaries ``y_il`` certify
``P(revenue_i >= quota_i) >= l`` via the revenue quantiles ``x_il`` (at ``1 - l``, in increments,
nonincreasing in ``l``; ``x_i0 = kappa_i U_i``), in the incremental (staircase) form::

    kappa_i k_i + sum_l (x_i,l-1 - x_il) y_il <= x_i0,   y_i1 >= y_i2 >= ... >= y_iL,
    sum_i sum_l D_l y_il >= s* * n_reps

so switching on ``y_i1..y_il`` caps the carried quota at ``x_il`` (``y_il`` is fixed to 0 when
even ``L_i`` is above ``x_il``). The left side of the last row is a lower bound on the expected
number of reps at or above quota. The staircase needs no big-M constant, but the search still
grows combinatorially with reps x levels: :func:`solve_attainment_large` is the heuristic used
for large plans (cap the reps whose protection costs the least quota per unit of probability,
re-solve, repeat).

Large models (:func:`solve_lp_round`): proving the integer optimum of what is mostly round-off
is slow for thousands of territories, so the LP relaxation (same rows, ``k`` continuous) is
solved and rounded down the hierarchy by largest remainder, keeping every roll-up and bound
exact and every quota within about one increment of the LP optimum; the LP objective is reported
as the bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spmopt.quota.mip import Backend, LinearMip, solve_mip
from spmopt.quota.split import apportion
from spmopt.solver import SolveInfo, SolverOptions

__all__ = [
    "AttainmentSpec",
    "Group",
    "QuotaProblem",
    "build_mip",
    "diagnose",
    "solve_attainment_large",
    "solve_lp_round",
    "solve_problem",
]


@dataclass(frozen=True)
class Group:
    """A hierarchy node with a target: ``level`` (region/district), ``name``, members, total."""

    level: str
    name: str
    members: np.ndarray
    total: int  # increments


@dataclass(frozen=True)
class AttainmentSpec:
    """Achievability target: reps (indices), carried fractions, quantile caps, levels, share."""

    reps: np.ndarray
    kappa: np.ndarray  # (n_reps,)
    caps: np.ndarray  # (n_reps, L) revenue quantiles at 1 - level, in increments
    levels: np.ndarray  # (L,) increasing probabilities
    share: float


@dataclass(frozen=True)
class QuotaProblem:
    """Everything the MIP needs, in increments (see the module docstring)."""

    labels: list[str]
    increment: float
    total: int
    fair: np.ndarray  # currency
    lo: np.ndarray  # increments
    hi: np.ndarray  # increments
    lo_why: list[str]
    hi_why: list[str]
    region: np.ndarray
    district: np.ndarray
    groups: list[Group] = field(default_factory=list)
    attain: AttainmentSpec | None = None
    gamma: float = 1.0

    @property
    def n(self) -> int:
        return len(self.fair)


def _money(x: float) -> str:
    return f"{x:,.0f}"


def diagnose(p: QuotaProblem) -> pd.DataFrame:
    """Conflicts that make the problem infeasible, found before solving.

    Checks each territory (floor above cap) and each node of the hierarchy company > region >
    district (its target outside the range its members can reach). The hierarchy is laminar and
    the quotas integer, so when no conflict is found (and no achievability target is set) the
    MIP is feasible.

    Returns
    -------
    DataFrame
        One row per conflict: ``level, name, constraint, required, allowed, reps, message``
        (money in currency).
    """
    u = p.increment
    rows: list[dict[str, object]] = []
    bad = np.flatnonzero(p.lo > p.hi)
    for i in bad:
        rows.append(
            {
                "level": "territory",
                "name": p.labels[i],
                "constraint": "floor above cap",
                "required": p.lo[i] * u,
                "allowed": p.hi[i] * u,
                "reps": p.labels[i],
                "message": (
                    f"{p.labels[i]}: floor {_money(p.lo[i] * u)} ({p.lo_why[i]}) is above the "
                    f"cap {_money(p.hi[i] * u)} ({p.hi_why[i]})"
                ),
            }
        )
    lo = np.minimum(p.lo, p.hi).astype(np.int64)
    hi = np.maximum(p.lo, p.hi).astype(np.int64)
    target = {(g.level, g.name): g.total for g in p.groups}

    def report(level: str, name: str, idx: np.ndarray, tgt: int, slo: int, shi: int) -> None:
        what = "the company roll-up" if level == "company" else f"{level} {name!r}"
        if tgt < slo:
            top = idx[np.argsort(-lo[idx], kind="stable")][:5]
            who = "; ".join(f"{p.labels[i]} >= {_money(lo[i] * u)} ({p.lo_why[i]})" for i in top)
            constraint, req, allow = "floors exceed target", slo, tgt
            msg = (
                f"{what} must be {_money(tgt * u)}, but what lies under it cannot go below "
                f"{_money(slo * u)} (over by {_money((slo - tgt) * u)}); largest floors: {who}"
            )
        else:
            top = idx[np.argsort(hi[idx], kind="stable")][:5]
            who = "; ".join(f"{p.labels[i]} <= {_money(hi[i] * u)} ({p.hi_why[i]})" for i in top)
            constraint, req, allow = "caps below target", tgt, shi
            msg = (
                f"{what} must be {_money(tgt * u)}, but what lies under it cannot exceed "
                f"{_money(shi * u)} (short by {_money((tgt - shi) * u)}); tightest caps: {who}"
            )
        rows.append(
            {
                "level": level,
                "name": name,
                "constraint": constraint,
                "required": req * u,
                "allowed": allow * u,
                "reps": ", ".join(p.labels[i] for i in top),
                "message": msg,
            }
        )

    # The hierarchy company > region > district > territory is laminar and quotas are whole
    # increments, so a node's reachable totals are exactly the sums of its children's ranges
    # (a child with a target contributes its target).
    def node_range(level: str, name: str, idx: np.ndarray) -> tuple[int, int]:
        if level == "district":
            slo, shi = int(lo[idx].sum()), int(hi[idx].sum())
        else:
            key = p.region if level == "company" else p.district
            sub = "region" if level == "company" else "district"
            slo = shi = 0
            for child in pd.unique(key[idx]):
                cidx = idx[key[idx] == child]
                clo, chi = node_range(sub, str(child), cidx)
                slo, shi = slo + clo, shi + chi
        tgt = p.total if level == "company" else target.get((level, name))
        if tgt is None:
            return slo, shi
        if not slo <= tgt <= shi:
            report(level, name, idx, tgt, slo, shi)
        return tgt, tgt

    node_range("company", "company", np.arange(p.n))
    cols = ["level", "name", "constraint", "required", "allowed", "reps", "message"]
    return pd.DataFrame(rows, columns=cols)


def build_mip(p: QuotaProblem) -> LinearMip:
    """The arrays of the formulation in the module docstring.

    Columns: ``k (n) | d+ (n) | d- (n) | t | y (n_reps * L)``.
    """
    n = p.n
    u = p.increment
    f = np.asarray(p.fair, float) / u
    w = np.maximum(f, 0.01 * max(float(f.mean()), 1e-9))
    a = p.attain
    n_y = 0 if a is None else len(a.reps) * len(a.levels)
    n_col = 3 * n + 1 + n_y
    it, iy0 = 3 * n, 3 * n + 1
    c = np.zeros(n_col)
    c[it] = 1.0
    c[n : 3 * n] = p.gamma / max(p.total, 1)
    lb = np.zeros(n_col)
    ub = np.full(n_col, np.inf)
    lb[:n] = p.lo
    ub[:n] = p.hi
    integer = np.zeros(n_col, bool)
    integer[:n] = True
    integer[iy0:] = True
    ub[iy0:] = 1.0

    rows_i: list[np.ndarray] = []
    cols_i: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rlo: list[np.ndarray] = []
    rhi: list[np.ndarray] = []
    r = 0

    def add(ri: np.ndarray, ci: np.ndarray, vi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> int:
        nonlocal r
        rows_i.append(ri + r)
        cols_i.append(ci)
        vals.append(vi)
        rlo.append(lo)
        rhi.append(hi)
        r += len(lo)
        return r

    idx = np.arange(n)
    # company roll-up
    add(np.zeros(n, int), idx, np.ones(n), np.array([p.total]), np.array([p.total]))
    # region / district targets
    for g in p.groups:
        m = len(g.members)
        add(np.zeros(m, int), g.members, np.ones(m), np.array([g.total]), np.array([g.total]))
    # deviation rows: k - d+ + d- = f
    add(
        np.concatenate([idx, idx, idx]),
        np.concatenate([idx, n + idx, 2 * n + idx]),
        np.concatenate([np.ones(n), -np.ones(n), np.ones(n)]),
        f,
        f,
    )
    # d+ + d- - w t <= 0
    add(
        np.concatenate([idx, idx, idx]),
        np.concatenate([n + idx, 2 * n + idx, np.full(n, it)]),
        np.concatenate([np.ones(n), np.ones(n), -w]),
        np.full(n, -np.inf),
        np.zeros(n),
    )
    if a is not None:
        nr, L = len(a.reps), len(a.levels)
        ycol = iy0 + np.arange(nr * L).reshape(nr, L)
        kap = a.kappa
        # staircase of caps: x_0 = no cap (kappa * U), x_l nonincreasing in l
        x0 = np.maximum(kap * p.hi[a.reps], a.caps[:, 0])
        x = np.minimum.accumulate(np.column_stack([x0, a.caps]), axis=1)
        drops = x[:, :-1] - x[:, 1:]  # (nr, L) >= 0
        never = kap[:, None] * p.lo[a.reps][:, None] > x[:, 1:] + 1e-9
        ub[ycol[never]] = 0.0
        ri = np.arange(nr)
        add(
            np.concatenate([ri, np.repeat(ri, L)]),
            np.concatenate([a.reps, ycol.ravel()]),
            np.concatenate([kap, drops.ravel()]),
            np.full(nr, -np.inf),
            x0,
        )
        if L > 1:
            rj = np.arange(nr * (L - 1))
            add(
                np.concatenate([rj, rj]),
                np.concatenate([ycol[:, :-1].ravel(), ycol[:, 1:].ravel()]),
                np.concatenate([np.ones(nr * (L - 1)), -np.ones(nr * (L - 1))]),
                np.zeros(nr * (L - 1)),
                np.full(nr * (L - 1), np.inf),
            )
        steps = np.diff(np.concatenate([[0.0], a.levels]))
        add(
            np.zeros(nr * L, int),
            ycol.ravel(),
            np.tile(steps, nr),
            np.array([a.share * nr - 1e-9]),
            np.array([np.inf]),
        )
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))), shape=(r, n_col)
    )
    return LinearMip(
        c=c,
        lb=lb,
        ub=ub,
        integer=integer,
        A=A,
        row_lo=np.concatenate(rlo),
        row_hi=np.concatenate(rhi),
    )


def solve_problem(
    p: QuotaProblem, options: SolverOptions, backend: Backend = "auto"
) -> tuple[np.ndarray | None, SolveInfo]:
    """Solve the quota MIP; returns integer increments per territory (None when none found)."""
    mip = build_mip(p)
    x, info = solve_mip(mip, options, backend)
    if x is None:
        return None, info
    k = np.rint(x[: p.n]).astype(np.int64)
    if int(k.sum()) != p.total:  # pragma: no cover - guards solver tolerance
        raise RuntimeError(f"roll-up broken by solver tolerance: {k.sum()} != {p.total}")
    return k, info


def ceil_inc(x: np.ndarray, u: float) -> np.ndarray:
    """Smallest whole number of increments at or above ``x``."""
    out = np.ceil(np.asarray(x, float) / u - 1e-9)
    return np.where(np.isfinite(out), out, 0).astype(np.int64)


def floor_inc(x: np.ndarray, u: float) -> np.ndarray:
    """Largest whole number of increments at or below ``x``."""
    out = np.floor(np.asarray(x, float) / u + 1e-9)
    return np.where(np.isfinite(out), out, float(2**60)).astype(np.int64)


def solve_lp_round(
    p: QuotaProblem, options: SolverOptions
) -> tuple[np.ndarray | None, SolveInfo, np.ndarray | None]:
    """Large models: the LP relaxation, then exact integer rounding down the hierarchy.

    1. Solve the LP relaxation (``k`` continuous) with HiGHS: ``k*`` and its objective, a valid
       lower bound of the MIP.
    2. Round top-down: the company total is split among regions, regions among districts,
       districts among territories, each node's whole increments going to its children by
       largest remainder of their ``k*`` sums (children with a target get exactly it). Every
       quota ends within one increment of ``k*`` and every roll-up is exact.
    3. Repair the rare bound violation a rounding step causes by moving single increments
       between territories of the same district (or region, or company, where no target binds).

    Returns ``(k, info, k_star)``; ``info.bound`` is the LP bound, ``info.gap`` the gap of the
    rounded plan against it.
    """
    import dataclasses
    import time

    t0 = time.perf_counter()
    mip = build_mip(dataclasses.replace(p, attain=None))
    lp = dataclasses.replace(mip, integer=np.zeros_like(mip.integer))
    x, info_lp = solve_mip(lp, options, "highspy")
    if x is None:
        return None, info_lp, None
    n = p.n
    ks = np.clip(x[:n], p.lo, p.hi)
    k = np.zeros(n, dtype=np.int64)
    target = {(g.level, g.name): g.total for g in p.groups}

    def split(total: int, idx: np.ndarray, level: str) -> None:
        if level == "territory":
            k[idx] = apportion(total, ks[idx])
            return
        key = p.region if level == "region" else p.district
        sub = "district" if level == "region" else "territory"
        names = pd.unique(key[idx])
        parts = [idx[key[idx] == nm] for nm in names]
        fixed = [target.get((level, str(nm))) for nm in names]
        free = [j for j, f in enumerate(fixed) if f is None]
        rest = total - sum(f for f in fixed if f is not None)
        amount: dict[int, int] = {}
        if free:
            alloc = apportion(max(rest, 0), np.array([ks[parts[j]].sum() for j in free]))
            amount = {j: int(a) for j, a in zip(free, alloc)}
        for j, part in enumerate(parts):
            f = fixed[j]
            split(int(f) if f is not None else amount[j], part, sub)

    split(p.total, np.arange(n), "region")
    # repair: move single increments within the smallest group without a binding target
    for _ in range(4 * n):
        over = np.flatnonzero(k > p.hi)
        under = np.flatnonzero(k < p.lo)
        if not len(over) and not len(under):
            break
        i = int(over[0]) if len(over) else int(under[0])
        sign = 1 if len(over) else -1  # +1: i gives an increment away
        pools = [p.district == p.district[i]]
        if (p.district[i] not in {g.name for g in p.groups if g.level == "district"}) and (
            ("district", str(p.district[i])) not in target
        ):
            pools.append(p.region == p.region[i])
            if ("region", str(p.region[i])) not in target:
                pools.append(np.ones(n, bool))
        moved = False
        for pool in pools:
            slack = (k < p.hi) if sign == 1 else (k > p.lo)
            cand = np.flatnonzero(pool & slack)
            cand = cand[cand != i]
            if len(cand):
                j = int(cand[np.argmax(sign * (ks[cand] - k[cand]))])
                k[i] -= sign
                k[j] += sign
                moved = True
                break
        if not moved:
            return None, SolveInfo("error", None, info_lp.objective, None, 0.0, "rounding"), ks
    f = np.asarray(p.fair, float) / p.increment
    w = np.maximum(f, 0.01 * max(float(f.mean()), 1e-9))
    d = np.abs(k - f)
    obj = float((d / w).max() + p.gamma * d.sum() / max(p.total, 1))
    bound = info_lp.objective
    gap = None if bound is None else abs(obj - bound) / max(abs(obj), 1e-9)
    info = SolveInfo(
        "feasible",
        obj,
        bound,
        gap,
        time.perf_counter() - t0,
        "LP relaxation rounded to whole increments down the hierarchy",
    )
    return k, info, ks


def solve_attainment_large(
    p: QuotaProblem, options: SolverOptions, integer_method: str
) -> tuple[np.ndarray | None, SolveInfo, QuotaProblem, np.ndarray | None]:
    """Achievability target for many reps: protect the cheapest reps step by step.

    Start from the fair plan without the target. While the share of reps certified at or
    above quota (each rep's highest step whose quantile its carried quota stays under) is below
    ``s*``: protect the rep-steps that cost the least quota per unit of probability gained
    (``(carried - x_il) / (l - l_now)``), a batch covering the deficit at a time, by capping
    those reps at ``x_il``, and re-solve the plain model (the roll-up moves the freed quota to
    the others, which the next round sees). Each round is one plain solve (MIP, or LP rounding
    with ``integer_method == "lp_round"``). A heuristic: no bound is claimed.

    Returns ``(k, info, capped_problem, k_star)``; ``k`` is None when no plan was found.
    """
    import dataclasses
    import time

    a = p.attain
    assert a is not None
    t0 = time.perf_counter()
    nr, L = len(a.reps), len(a.levels)
    kap = np.maximum(a.kappa, 1e-12)
    x0 = np.maximum(a.kappa * p.hi[a.reps], a.caps[:, 0])
    stair = np.minimum.accumulate(np.column_stack([x0, a.caps]), axis=1)  # (nr, L + 1)
    cum = np.concatenate([[0.0], np.cumsum(np.diff(np.concatenate([[0.0], a.levels])))])
    need = a.share * nr
    hi = p.hi.copy()
    why = list(p.hi_why)
    protected = np.zeros(nr, dtype=np.int64)
    reachable = a.kappa[:, None] * p.lo[a.reps][:, None] <= stair[:, 1:] + 1e-9

    def solve_capped() -> tuple[np.ndarray | None, SolveInfo, np.ndarray | None, QuotaProblem]:
        q = dataclasses.replace(p, hi=hi, hi_why=list(why), attain=None)
        if integer_method == "lp_round":
            k, info, ks = solve_lp_round(q, options)
            return k, info, ks, q
        k, info = solve_problem(q, options, "highspy")
        return k, info, None, q

    for _ in range(4 * L + 20):
        k, info, ks, capped = solve_capped()
        if k is None:
            return None, info, capped, None
        carried = a.kappa * k[a.reps]
        level = (carried[:, None] <= stair[:, 1:] + 1e-9).sum(axis=1)
        share = float(cum[level].sum())
        if share >= need - 1e-9:
            msg = f"protect-and-resolve heuristic; {info.message}"
            out = SolveInfo("feasible", info.objective, None, None, time.perf_counter() - t0, msg)
            return k, out, capped, ks
        # candidate steps above each rep's current level, cost per unit of probability
        nxt = np.arange(1, L + 1)[None, :]
        gain = cum[np.broadcast_to(nxt, (nr, L))] - cum[level][:, None]
        cost = np.maximum(carried[:, None] - stair[:, 1:], 0.0)
        ok = (nxt > level[:, None]) & reachable & (gain > 0)
        if not ok.any():
            break
        ratio = np.where(ok, cost / np.where(gain > 0, gain, 1.0), np.inf)
        order = np.argsort(ratio, axis=None, kind="stable")
        deficit = need - share
        got = 0.0
        seen: set[int] = set()
        for flat in order:
            i, j = divmod(int(flat), L)
            if not np.isfinite(ratio[i, j]) or got >= deficit + 1e-9:
                break
            if i in seen:
                continue
            seen.add(i)
            got += float(gain[i, j])
            protected[i] = max(protected[i], j + 1)
            r = a.reps[i]
            cap = int(np.floor(stair[i, j + 1] / kap[i] + 1e-9))
            if cap < hi[r]:
                hi[r] = max(cap, int(p.lo[r]))
                why[r] = f"achievability: P(attain) >= {a.levels[j]:.0%}"
    return (
        None,
        SolveInfo("infeasible", None, None, None, time.perf_counter() - t0, "no protection left"),
        p,
        None,
    )
