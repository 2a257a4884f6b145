"""Contiguous territories on basic units: the alignment MIP with connectivity cuts.

Each territory ``k`` keeps a root unit ``r_k`` (the unit of its rep's home base). A territory is
connected when every unit it holds reaches ``r_k`` inside it. For a set ``S`` of units without
``r_k`` and its outer boundary ``N(S)``, every solution satisfies the cut

    x[j, k] <= sum_{u in N(S)} x[u, k]        for every j in S

(a unit of ``S`` in territory ``k`` needs a path to ``r_k``, which leaves ``S`` through ``N(S)``).
We start with the cuts of single units (each unit needs a neighbour in its territory), solve the
MIP with HiGHS, find the components of every territory that miss its root, add their cuts for
every territory whose root is outside the component, and solve again until every territory is
connected. Every cut is valid, so each round's bound is a valid bound for the contiguous model.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from spmopt.solver import SolveInfo, SolverOptions, relative_gap
from spmopt.territory.engine import EngineResult
from spmopt.territory.highs_model import build_submip, solve_submip
from spmopt.territory.model import AlignmentModel

__all__ = ["components_missing_root", "solve_contiguous"]

Cut = tuple[np.ndarray, np.ndarray, np.ndarray]


def _graph(neigh: list[np.ndarray], n: int) -> sp.csr_matrix:
    rows = np.concatenate([np.full(len(v), i) for i, v in enumerate(neigh)] or [np.zeros(0)])
    cols = np.concatenate(neigh or [np.zeros(0)])
    g = sp.csr_matrix((np.ones(rows.size), (rows.astype(int), cols.astype(int))), shape=(n, n))
    return (g + g.T).tocsr()


def components_missing_root(
    terr: np.ndarray, graph: sp.csr_matrix, root: np.ndarray
) -> list[tuple[int, np.ndarray]]:
    """Components (territory, unit indices) of each territory that do not hold its root."""
    out = []
    for k in range(root.size):
        units = np.nonzero(terr == k)[0]
        if units.size <= 1:
            continue
        sub = graph[units][:, units]
        nc, lab = connected_components(sub, directed=False)
        if nc <= 1:
            continue
        root_lab = lab[units == root[k]]
        for c in range(nc):
            if root_lab.size and c == root_lab[0]:
                continue
            out.append((k, units[lab == c]))
    return out


def _cuts_for(S: np.ndarray, graph: sp.csr_matrix, root: np.ndarray, K: int) -> list[Cut]:
    in_s = np.zeros(graph.shape[0], dtype=bool)
    in_s[S] = True
    nb = np.unique(graph[S].indices)
    B = nb[~in_s[nb]]
    cuts: list[Cut] = []
    for k in range(K):
        if in_s[root[k]]:
            continue
        for j in S:
            items = np.concatenate([[j], B]).astype(int)
            cuts.append((items, np.full(items.size, k), np.concatenate([[1.0], -np.ones(B.size)])))
    return cuts


def solve_contiguous(
    model: AlignmentModel,
    neighbours: list[np.ndarray],
    options: SolverOptions,
    max_rounds: int = 50,
) -> EngineResult:
    """Cut generation until every territory is connected (see the module docstring)."""
    t0 = time.perf_counter()
    limit = options.time_limit if options.time_limit is not None else 3600.0
    assert model.root is not None
    root = model.root
    graph = _graph(neighbours, model.n)
    K = model.K
    cuts: list[Cut] = []
    for j in range(model.n):
        for k in range(K):
            if root[k] == j:
                continue
            B = neighbours[j]
            items = np.concatenate([[j], B]).astype(int)
            cuts.append((items, np.full(items.size, k), np.concatenate([[1.0], -np.ones(B.size)])))
    free = np.arange(model.n)
    allowed = model.valid()
    fixed = np.zeros(model.n, dtype=int)
    bound: float | None = None
    info = SolveInfo("error", None, None, None, 0.0, "not solved")
    slot = None
    rounds = 0
    for _ in range(max_rounds):
        rounds += 1
        left = limit - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        sub = build_submip(model, free, allowed, fixed, cuts=cuts)
        info, slot = solve_submip(
            sub, replace(options, time_limit=left, node_limit=options.node_limit or 20_000)
        )
        if info.bound is not None:
            bound = info.bound if bound is None else max(bound, info.bound)
        if slot is None:
            break
        missing = components_missing_root(model.territory_of(slot), graph, root)
        if not missing:
            break
        for _, S in missing:
            cuts += _cuts_for(S, graph, root, K)
        slot = None
    seconds = time.perf_counter() - t0
    if slot is None:
        status = "infeasible" if info.status == "infeasible" else "time_limit"
        msg = (
            "the contiguous model is infeasible"
            if status == "infeasible"
            else f"no contiguous assignment within the time limit after {rounds} cut rounds"
        )
        return EngineResult(
            None,
            SolveInfo(
                "infeasible" if status == "infeasible" else "error", None, bound, None, seconds, msg
            ),
            model,
        )
    obj = model.objective(slot)
    bound = obj if bound is None else min(bound, obj)
    gap = relative_gap(obj, bound)
    status_s = (
        info.status
        if info.status != "optimal" or (gap or 0) <= options.mip_rel_gap
        else ("feasible")
    )
    return EngineResult(
        slot,
        SolveInfo(
            status_s,
            obj,
            bound,
            gap,
            seconds,
            f"contiguity cuts: {rounds} rounds, {len(cuts)} cuts",
        ),
        model,
    )
