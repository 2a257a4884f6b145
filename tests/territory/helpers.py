"""Small instances for the territory tests, and a brute-force solver to check them against."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from spmopt.data.geo import haversine_km


def make_instance(
    n: int, K: int, seed: int, *, current: bool = True, spread: float = 3.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:03d}" for i in range(n)],
            "lat": 40 + rng.uniform(-spread, spread, n),
            "lon": -90 + rng.uniform(-spread, spread, n),
            "potential": np.round(rng.lognormal(10, 0.6, n), -2),
            "workload": np.round(rng.uniform(5, 30, n), 1),
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{k}" for k in range(K)],
            "territory_id": [f"T{k}" for k in range(K)],
            "lat": 40 + rng.uniform(-spread, spread, K),
            "lon": -90 + rng.uniform(-spread, spread, K),
        }
    )
    if current:
        acc["current_territory"] = [f"T{k}" for k in rng.integers(0, K, n)]
    return acc, reps


def brute_force(
    acc: pd.DataFrame,
    reps: pd.DataFrame,
    tol: float,
    *,
    attr: str = "potential",
    dist: np.ndarray | None = None,
    locked: dict[int, int] | None = None,
    max_move_share: float | None = None,
    feasible_extra=None,
) -> tuple[float, tuple[int, ...] | None]:
    """Optimal potential-weighted distance by enumerating every assignment."""
    n, K = len(acc), len(reps)
    if dist is None:
        dist = haversine_km(
            acc["lat"].to_numpy()[:, None],
            acc["lon"].to_numpy()[:, None],
            reps["lat"].to_numpy()[None, :],
            reps["lon"].to_numpy()[None, :],
        )
    w = acc["potential"].to_numpy(float)
    a = np.ones(n) if attr == "accounts" else acc[attr].to_numpy(float)
    target = a.sum() / K
    cost = w[:, None] * dist
    cur = (
        acc["current_territory"].str[1:].astype(int).to_numpy()
        if "current_territory" in acc
        else None
    )
    best, arg = np.inf, None
    for combo in itertools.product(range(K), repeat=n):
        c = np.asarray(combo)
        if locked and any(c[i] != k for i, k in locked.items()):
            continue
        loads = np.bincount(c, weights=a, minlength=K)
        if (loads > target * (1 + tol) + 1e-9).any() or (loads < target * (1 - tol) - 1e-9).any():
            continue
        if max_move_share is not None and cur is not None:
            if w[c != cur].sum() > max_move_share * w.sum() + 1e-9:
                continue
        if feasible_extra is not None and not feasible_extra(c):
            continue
        v = cost[np.arange(n), c].sum()
        if v < best:
            best, arg = v, combo
    return best, arg


def array_model(acc: pd.DataFrame, reps: pd.DataFrame, tol: dict[str, float]):  # type: ignore[no-untyped-def]
    """The dense :class:`AlignmentModel` of ``acc`` and ``reps`` (potential-weighted km, equal
    targets, no capacity), for testing the solve phases without the estimator."""
    from spmopt.territory.model import AlignmentModel

    d = haversine_km(
        acc["lat"].to_numpy()[:, None],
        acc["lon"].to_numpy()[:, None],
        reps["lat"].to_numpy()[None, :],
        reps["lon"].to_numpy()[None, :],
    )
    n, K = d.shape
    attrs = list(tol)
    W = np.column_stack([np.ones(n) if a == "accounts" else acc[a].to_numpy(float) for a in attrs])
    target = np.tile(W.sum(axis=0) / K, (K, 1))
    t = np.array([tol[a] for a in attrs])
    return AlignmentModel(
        ids=acc["account_id"].to_numpy(),
        territories=reps["territory_id"].to_numpy(),
        cand=np.tile(np.arange(K), (n, 1)),
        cost=acc["potential"].to_numpy(float)[:, None] * d,
        move=np.zeros((n, K)),
        W=W,
        attrs=attrs,
        target=target,
        lo=target * (1 - t),
        hi=target * (1 + t),
        load=acc["workload"].to_numpy(float),
        cap=np.full(K, np.inf),
    )
