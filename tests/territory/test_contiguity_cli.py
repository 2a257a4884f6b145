"""Contiguity on a grid against enumeration, hierarchy, the pruned path, and the CLI."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

import spmopt.territory.build as aligner_mod
from spmopt.cli import main
from spmopt.solver import SolverOptions
from spmopt.territory import TerritoryAligner
from tests.territory.helpers import make_instance


def _grid(rows: int, cols: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    ids = [f"U{r}{c}" for r in range(rows) for c in range(cols)]
    acc = pd.DataFrame(
        {
            "account_id": ids,
            "lat": [40 + 0.2 * r for r in range(rows) for c in range(cols)],
            "lon": [-90 + 0.2 * c for r in range(rows) for c in range(cols)],
            "potential": rng.integers(5, 15, rows * cols).astype(float),
            "workload": 1.0,
            "basic_unit": ids,
        }
    )
    adj: dict[str, list[str]] = {u: [] for u in ids}
    for r in range(rows):
        for c in range(cols):
            if r + 1 < rows:
                adj[f"U{r}{c}"].append(f"U{r + 1}{c}")
            if c + 1 < cols:
                adj[f"U{r}{c}"].append(f"U{r}{c + 1}")
    reps = pd.DataFrame(
        {
            "rep_id": ["R0", "R1"],
            "territory_id": ["T0", "T1"],
            "lat": [40.0, 40 + 0.2 * (rows - 1)],
            "lon": [-90.0, -90 + 0.2 * (cols - 1)],
        }
    )
    return acc, reps, adj


@pytest.mark.parametrize("seed", [0, 1])
def test_contiguity_matches_enumeration(seed: int) -> None:
    acc, reps, adj = _grid(3, 4, seed)
    n = len(acc)
    tol = 0.1
    res = TerritoryAligner(
        {"potential": tol}, contiguity=True, solver=SolverOptions(mip_rel_gap=1e-9)
    ).solve(acc, reps, adjacency=adj)
    ids = acc["account_id"].tolist()
    pos = {u: i for i, u in enumerate(ids)}
    A = np.zeros((n, n))
    for u, vs in adj.items():
        for v in vs:
            A[pos[u], pos[v]] = A[pos[v], pos[u]] = 1
    from spmopt.data.geo import haversine_km

    d = haversine_km(
        acc["lat"].to_numpy()[:, None],
        acc["lon"].to_numpy()[:, None],
        reps["lat"].to_numpy()[None],
        reps["lon"].to_numpy()[None],
    )
    w = acc["potential"].to_numpy()
    tgt = w.sum() / 2
    best = np.inf
    for combo in itertools.product((0, 1), repeat=n):
        c = np.asarray(combo)
        if c[0] != 0 or c[n - 1] != 1:  # roots: the reps' home units
            continue
        loads = np.bincount(c, weights=w, minlength=2)
        if (np.abs(loads / tgt - 1) > tol + 1e-9).any():
            continue
        if any(connected_components(A[c == k][:, c == k])[0] > 1 for k in (0, 1)):
            continue
        best = min(best, float((w * d[np.arange(n), c]).sum()))
    assert res.status == "optimal"
    assert res.metrics["objective"] == pytest.approx(best, rel=1e-7)
    t = res.assignment.set_index("account_id")["territory_id"].reindex(ids).to_numpy()
    for k in ("T0", "T1"):
        m = t == k
        assert connected_components(A[m][:, m])[0] == 1


def test_within_region_keeps_accounts_home_and_balances_each_region() -> None:
    acc, reps = make_instance(40, 4, 9)
    reps["region"] = ["N", "N", "S", "S"]
    acc["region"] = np.where(acc["lat"] > 40, "N", "S")
    res = TerritoryAligner({"potential": 0.1}, within="region").solve(acc, reps)
    assert res.feasible
    a = res.assignment.merge(acc[["account_id", "region"]], on="account_id")
    region_of = dict(zip(reps["territory_id"], reps["region"]))
    assert (a["territory_id"].map(region_of) == a["region"]).all()
    assert (res.summary["potential_deviation"].abs() <= 0.1 + 1e-7).all()


def test_pruned_path_bound_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    acc, reps = make_instance(300, 12, 3)
    exact = TerritoryAligner(
        {"potential": 0.05}, solver=SolverOptions(time_limit=8, mip_rel_gap=1e-3)
    ).solve(acc, reps)
    monkeypatch.setattr(aligner_mod, "DENSE_MAX", 100)
    res = TerritoryAligner(
        {"potential": 0.05}, candidates=4, solver=SolverOptions(time_limit=8, mip_rel_gap=0.01)
    ).solve(acc, reps)
    assert res.feasible
    assert res.metrics["max_deviation_potential"] <= 0.05 + 1e-7
    # a valid bound never exceeds the optimum
    assert res.metrics["bound"] <= exact.metrics["objective"] * (1 + 1e-9)
    assert res.metrics["objective"] >= exact.metrics["bound"] * (1 - 1e-9)


@pytest.mark.parametrize(
    "settings",
    [
        {"balance": {"potential": 0.05, "accounts": 0.1}},
        {"balance": {"potential": 0.05}, "max_disruption": 0.6, "disruption_basis": "accounts"},
    ],
)
def test_pruned_path_meets_every_row(monkeypatch: pytest.MonkeyPatch, settings: dict) -> None:
    acc, reps = make_instance(400, 10, 5)
    monkeypatch.setattr(aligner_mod, "DENSE_MAX", 100)
    res = TerritoryAligner(
        candidates=4, **settings, solver=SolverOptions(time_limit=10, mip_rel_gap=1e-3)
    ).solve(acc, reps)
    assert res.feasible
    assert res.assignment["account_id"].is_unique and len(res.assignment) == len(acc)
    for attr, tol in settings["balance"].items():
        assert res.metrics[f"max_deviation_{attr}"] <= tol + 1e-7
    if "max_disruption" in settings:
        assert res.metrics["disruption_share"] <= settings["max_disruption"] + 1e-9
    assert res.metrics["objective"] >= res.metrics["bound"] * (1 - 1e-9)


def test_cli_align_writes_tables(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from spmopt.data import generate

    generate(200, 6, 12, seed=3).write(tmp_path / "data")
    rc = main(
        [
            "align",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
            "--balance",
            "potential=0.1",
            "--time-limit",
            "20",
        ]
    )
    assert rc == 0
    a = pd.read_csv(tmp_path / "out" / "assignment.csv")
    s = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(a.columns[:5]) == ["account_id", "territory_id", "rep_id", "distance_km", "moved"]
    assert len(a) == 200 and a["account_id"].is_unique
    assert (s["potential_deviation"].abs() <= 0.1 + 1e-7).all()
    out = capsys.readouterr().out
    assert "max_deviation_potential" in out and "AlignmentResult" in out
