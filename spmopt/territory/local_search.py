"""Local search on a feasible assignment: improving single moves and pairwise exchanges.

Each pass evaluates, with numpy, every single move of an item to another of its candidate
territories and, for each pair of neighbouring territories, every exchange of one item of each,
keeping every row (balance bands, capacity, disruption cap) satisfied. It applies the improving
ones, best first, at most one per territory per pass (so the evaluated gains stay exact), and
repeats until a pass gains nothing or the pass budget is spent. The result depends only on the
inputs and the budget.
"""

from __future__ import annotations

import numpy as np

from spmopt.territory.model import AlignmentModel

__all__ = ["local_search"]

_EPS = 1e-9


def _fits(model: AlignmentModel, L: np.ndarray, k: np.ndarray, wl: np.ndarray) -> np.ndarray:
    """Whether trial totals ``L`` (..., m) and workloads ``wl`` (...) of territories ``k`` meet
    their bands and capacities."""
    return np.asarray(model.territory_violation(L, k, wl) <= _EPS)


def _cost_to(model: AlignmentModel, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cost and slot of moving each of ``items`` to territory ``k`` (inf, -1 if not allowed)."""
    hit = (model.cand[items] == k) & np.isfinite(model.cost[items])
    s = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    c = np.where(s >= 0, model.cost[items, s.clip(min=0)], np.inf)
    return c, s


def local_search(
    model: AlignmentModel,
    slot: np.ndarray,
    *,
    max_passes: int = 60,
    pairs: list[np.ndarray] | None = None,
    max_items: int = 96,
) -> np.ndarray:
    """Improve a feasible ``slot`` by moves and exchanges (see the module docstring).

    Parameters
    ----------
    model : AlignmentModel
    slot : ndarray of int, (n,)
        A feasible assignment.
    max_passes : int
        Work budget: passes over all moves and exchanges.
    pairs : list of ndarray, optional
        For each territory, the neighbouring territories to exchange with (default: the five
        sharing most cheap choices).
    max_items : int
        Items per territory considered for an exchange with a neighbour: those that would
        cost least to move there.
    """
    from spmopt.territory.phases.primal import territory_neighbours

    slot = slot.copy()
    n, K = model.n, model.K
    rows = np.arange(n)
    valid = model.valid()
    cand = model.cand.clip(min=0)
    neigh = pairs if pairs is not None else [g[1:] for g in territory_neighbours(model, 6)]
    has_mv = model.max_move is not None
    cap_mv = float(model.max_move) if model.max_move is not None else 0.0
    for _ in range(max_passes):
        terr = model.cand[rows, slot]
        L = model.loads(slot)
        wl = np.bincount(terr, weights=model.load, minlength=K)
        moved = float(model.move[rows, slot].sum())
        cur_c = model.cost[rows, slot]
        # single moves
        out_ok = _fits(model, L[terr] - model.W, terr, wl[terr] - model.load)  # (n,)
        in_ok = _fits(model, L[cand] + model.W[:, None, :], cand, wl[cand] + model.load[:, None])
        gain = cur_c[:, None] - model.cost  # > 0 improves
        ok = valid & out_ok[:, None] & in_ok & (cand != terr[:, None]) & (gain > _EPS)
        if has_mv:
            ok &= moved - model.move[rows, slot][:, None] + model.move <= cap_mv + _EPS
        cands: list[tuple[float, int, int, int, int]] = []  # gain, i, s_i, j, s_j (j=-1: move)
        ii, ss = np.nonzero(ok)
        for i, s_ in zip(ii.tolist(), ss.tolist()):
            cands.append((float(gain[i, s_]), i, s_, -1, -1))
        # exchanges between neighbouring territories
        members = [np.nonzero(terr == k)[0] for k in range(K)]
        for a in range(K):
            Ia = members[a]
            if Ia.size == 0:
                continue
            for b in neigh[a].tolist():
                if b <= a or members[b].size == 0:
                    continue
                Ib = members[b]
                ca_b, sa_b = _cost_to(model, Ia, b)  # items of a going to b
                cb_a, sb_a = _cost_to(model, Ib, a)
                fa = np.isfinite(ca_b)
                fb = np.isfinite(cb_a)
                if not fa.any() or not fb.any():
                    continue
                Ia2, ca_b, sa_b = Ia[fa], ca_b[fa], sa_b[fa]
                Ib2, cb_a, sb_a = Ib[fb], cb_a[fb], sb_a[fb]
                da = ca_b - cur_c[Ia2]
                db = cb_a - cur_c[Ib2]
                if Ia2.size > max_items:
                    keep = np.argsort(da, kind="stable")[:max_items]
                    Ia2, ca_b, sa_b, da = Ia2[keep], ca_b[keep], sa_b[keep], da[keep]
                if Ib2.size > max_items:
                    keep = np.argsort(db, kind="stable")[:max_items]
                    Ib2, cb_a, sb_a, db = Ib2[keep], cb_a[keep], sb_a[keep], db[keep]
                g = -(da[:, None] + db[None, :])  # (|a|, |b|)
                if not (g > _EPS).any():
                    continue
                dW = model.W[Ib2][None, :, :] - model.W[Ia2][:, None, :]  # a gains j, loses i
                dl = model.load[Ib2][None, :] - model.load[Ia2][:, None]
                ok_a = _fits(model, L[a] + dW, np.full(g.shape, a), wl[a] + dl)
                ok_b = _fits(model, L[b] - dW, np.full(g.shape, b), wl[b] - dl)
                okx = ok_a & ok_b & (g > _EPS)
                if has_mv:
                    dm = (
                        model.move[Ia2, sa_b][:, None]
                        + model.move[Ib2, sb_a][None, :]
                        - model.move[Ia2, slot[Ia2]][:, None]
                        - model.move[Ib2, slot[Ib2]][None, :]
                    )
                    okx &= moved + dm <= cap_mv + _EPS
                if not okx.any():
                    continue
                flat = int(np.argmax(np.where(okx, g, -np.inf)))
                p, q = divmod(flat, g.shape[1])
                cands.append((float(g[p, q]), int(Ia2[p]), int(sa_b[p]), int(Ib2[q]), int(sb_a[q])))
        if not cands:
            break
        cands.sort(key=lambda t: (-t[0], t[1], t[3]))
        used = np.zeros(K, dtype=bool)
        applied = 0
        for _gain, i, s_i, j, s_j in cands:
            a, b = int(terr[i]), int(model.cand[i, s_i])
            if used[a] or used[b]:
                continue
            if has_mv and applied:
                d = model.move[i, s_i] - model.move[i, slot[i]]
                if j >= 0:
                    d += model.move[j, s_j] - model.move[j, slot[j]]
                if d > 0:
                    continue  # the disruption row is shared: one move that adds to it per pass
            used[a] = used[b] = True
            slot[i] = s_i
            if j >= 0:
                slot[j] = s_j
            applied += 1
        if applied == 0:
            break
    return slot
