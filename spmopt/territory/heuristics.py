"""Greedy repair: from a near-feasible assignment to a feasible one by single moves.

Each step evaluates every (item, slot) move at once: the change in total relative violation of
the coupling rows (balance bands, capacities, disruption cap) and the change in cost. Among moves
that reduce the violation it takes the one with the least extra cost per unit of violation
removed, and repeats until the assignment is feasible or no move helps.
"""

from __future__ import annotations

import time

import numpy as np

from spmopt.territory.model import AlignmentModel

__all__ = ["repair"]


def repair(
    model: AlignmentModel, slot: np.ndarray, seconds: float = 3600.0, max_moves: int | None = None
) -> np.ndarray:
    """Move items until every coupling row holds (best effort within ``max_moves`` passes;
    ``seconds`` is only a wall-clock safety cap)."""
    t0 = time.perf_counter()
    slot = slot.copy()
    n, K = model.n, model.K
    rows = np.arange(n)
    valid = model.valid()
    cand = model.cand.clip(min=0)
    viol = model.territory_violation
    all_k = np.arange(K)
    mv_scale = max(float(model.max_move or 0.0), 1e-9)
    max_moves = max_moves if max_moves is not None else 4 * n
    terr = model.cand[rows, slot]
    L = model.loads(slot)
    wl = np.bincount(terr, weights=model.load, minlength=K)
    moved = float(model.move[rows, slot].sum())
    for _ in range(max_moves):
        if time.perf_counter() - t0 > seconds:
            break
        v_now = viol(L, all_k, wl)  # (K,) bands and capacity
        mv_now = (
            max(moved - (model.max_move or 0.0), 0.0) / mv_scale
            if model.max_move is not None
            else 0.0
        )
        if v_now.sum() + mv_now <= 1e-9:
            break
        # leaving the current territory, then joining a candidate one
        d_out = viol(L[terr] - model.W, terr, wl[terr] - model.load) - v_now[terr]  # (n,)
        d_in = viol(L[cand] + model.W[:, None, :], cand, wl[cand] + model.load[:, None])
        dv = d_out[:, None] + d_in - v_now[cand]  # (n, P)
        if model.max_move is not None:
            new_moved = moved - model.move[rows, slot][:, None] + model.move
            dv += np.maximum(new_moved - model.max_move, 0.0) / mv_scale - mv_now
        dc = model.cost - model.cost[rows, slot][:, None]
        same = cand == terr[:, None]
        ok = valid & ~same & (dv < -1e-12)
        if not ok.any():
            break
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            score = np.where(ok, dc / np.maximum(-dv, 1e-300), np.inf)
        # take many moves at once, each territory in at most one of them (their effects on the
        # rows are then independent, so each move's evaluated gain is exact)
        n_ok = int(ok.sum())
        top = min(n_ok, 4 * K)
        flat = (
            np.argpartition(score.ravel(), top - 1)[:top]
            if top < score.size
            else np.arange(score.size)
        )
        flat = flat[np.argsort(score.ravel()[flat])]
        used = np.zeros(K, dtype=bool)
        moved_items: set[int] = set()
        n_taken = 0
        for f in flat.tolist():
            if not np.isfinite(score.ravel()[f]):
                break
            i, s_ = divmod(f, score.shape[1])
            k_old, k_new = int(terr[i]), int(cand[i, s_])
            if used[k_old] or used[k_new] or i in moved_items:
                continue
            if (
                model.max_move is not None
                and n_taken > 0
                and model.move[i, s_] > model.move[i, slot[i]]
            ):
                continue  # disruption is one global row: one move that adds to it per pass
            used[k_old] = used[k_new] = True
            moved_items.add(i)
            L[k_old] -= model.W[i]
            L[k_new] += model.W[i]
            wl[k_old] -= model.load[i]
            wl[k_new] += model.load[i]
            moved += float(model.move[i, s_] - model.move[i, slot[i]])
            slot[i] = s_
            terr[i] = k_new
            n_taken += 1
    return slot
