"""Chain repair: fix territories outside their bands by chains of moves (ejection chains).

After an LP solution is rounded, a few territories sit just outside their bands, and their
neighbours usually sit exactly on a limit too (that is why the LP put them there), so no single
move can fix them. A *chain* moves one item from the violated territory ``k`` to a neighbour
``b1``, one item from ``b1`` on to ``b2``, and so on, until a territory can absorb what it
receives. Every intermediate territory must end inside its bands; the first move must reduce
``k``'s violation (fully, whenever some item can). For a territory below its lower limit the
chain runs the other way: ``k`` pulls an item from ``b1``, which pulls one from ``b2``, ...

The cheapest chain (sum of the exact changes in the objective) is found by a label-setting
shortest-path search over territories: each territory is reached once, by the cheapest move
found so far, and expanding it scans all its items (pushing) or all items that list it as a
candidate (pulling) at once with numpy. Chains are applied one at a time, most violated
territory first, until every band holds, nothing helps, or time is up. Capacity rows are checked
with the bands; a chain that would break the disruption cap is not applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from spmopt.territory.model import AlignmentModel

__all__ = ["chain_repair"]

_EPS = 1e-12


@dataclass
class _State:
    """Loads of the current assignment, updated in place as chains are applied."""

    slot: np.ndarray
    terr: np.ndarray
    L: np.ndarray  # (K, m) balance totals
    wl: np.ndarray  # (K,) workload
    moved: float


class _Rows:
    """Relative violation of each territory's rows for trial loads."""

    def __init__(self, model: AlignmentModel) -> None:
        self.lo, self.hi = model.lo, model.hi
        self.scale = np.maximum(np.abs(model.target), 1e-12)
        fin = np.isfinite(model.cap)
        self.cap = np.where(fin, model.cap, np.inf)
        self.cap_scale = np.where(fin, np.maximum(np.abs(self.cap), 1e-12), 1.0)

    def __call__(self, L: np.ndarray, k: np.ndarray | int, wl: np.ndarray | float) -> np.ndarray:
        v = np.maximum(L - self.hi[k], 0.0) + np.maximum(self.lo[k] - L, 0.0)
        out = (v / self.scale[k]).sum(axis=-1)
        return np.asarray(out + np.maximum(wl - self.cap[k], 0.0) / self.cap_scale[k])


def _first_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Indices of the least ``value`` within each distinct ``group``."""
    o = np.lexsort((value, group))
    first = np.ones(o.size, dtype=bool)
    first[1:] = group[o][1:] != group[o][:-1]
    return np.asarray(o[first])


def chain_repair(
    model: AlignmentModel,
    slot: np.ndarray,
    seconds: float = 10.0,
    *,
    max_depth: int = 16,
) -> np.ndarray:
    """Repair band and capacity violations of ``slot`` by cheapest chains of moves.

    Parameters
    ----------
    model : AlignmentModel
    slot : ndarray of int, (n,)
        Slot per item; usually a rounded LP solution, a few territories slightly outside.
    seconds : float
        Wall-clock budget [s].
    max_depth : int
        Longest chain (number of moves).

    Returns
    -------
    ndarray of int, (n,)
        The repaired slots; territories no chain could fix keep their violation.
    """
    t0 = time.perf_counter()
    n, K, P = model.n, model.K, model.cand.shape[1]
    rows = np.arange(n)
    cand = model.cand
    valid = model.valid()
    cost = np.where(valid, model.cost, np.inf)
    W, load = model.W, model.load
    viol = _Rows(model)
    terr = cand[rows, slot]
    st = _State(
        slot.copy(),
        terr.copy(),
        model.loads(slot),
        np.bincount(terr, weights=load, minlength=K),
        float(model.move[rows, slot].sum()),
    )
    # for pulling: every (item, slot) pair that lists territory k, grouped by k
    flat = np.where(valid, cand, -1).ravel()
    pairs = np.nonzero(flat >= 0)[0]
    pairs = pairs[np.argsort(flat[pairs], kind="stable")]
    starts = np.searchsorted(flat[pairs], np.arange(K + 1))

    wscale = np.maximum(np.abs(model.target).mean(axis=0), 1e-12)

    def search(k: int, push: bool, light: bool) -> tuple[float, list[tuple[int, int]]] | None:
        v0 = float(viol(st.L[k], k, st.wl[k]))
        dist = np.full(K, np.inf)
        dist[k] = 0.0
        settled = np.zeros(K, dtype=bool)
        flow_w = np.zeros((K, model.m))  # the item entering (push) / leaving (pull) a territory
        flow_l = np.zeros(K)
        depth = np.zeros(K, dtype=int)
        pred: dict[int, tuple[int, int, int]] = {}  # territory -> (previous, item, new slot)
        best_d = np.inf
        end_pred: tuple[int, int, int] | None = None
        while True:
            open_d = np.where(settled, np.inf, dist)
            a = int(np.argmin(open_d))
            if not np.isfinite(open_d[a]) or open_d[a] >= best_d:
                break
            settled[a] = True
            if depth[a] >= max_depth:
                continue
            if push:  # a sends one of its items on to a neighbour
                items = np.nonzero(st.terr == a)[0]
                va = viol(st.L[a] + flow_w[a] - W[items], a, st.wl[a] + flow_l[a] - load[items])
            else:  # a takes an item from the territory that holds it
                pr = pairs[starts[a] : starts[a + 1]]
                items, sl = pr // P, pr % P
                keep = st.terr[items] != a
                items, sl = items[keep], sl[keep]
                va = viol(st.L[a] - flow_w[a] + W[items], a, st.wl[a] - flow_l[a] + load[items])
            ok = va <= _EPS
            if a == k and not ok.any() and va.size:  # no full fix: the biggest reductions
                ok = (va <= va.min() + 0.25 * (v0 - va.min())) & (va < v0 - _EPS)
            if not ok.any():
                continue
            items = items[ok]
            if push:
                dc = cost[items] - cost[items, st.slot[items]][:, None]
                bb = cand[items]
                ii, ss = np.nonzero(np.isfinite(dc) & (bb != a) & (bb >= 0))
                it, ss, b_of = items[ii], ss, bb[ii, ss]
                d = (
                    dist[a] + (np.abs(W[it]) / wscale).sum(axis=1)
                    if light
                    else dist[a] + dc[ii, ss]
                )
                vb = viol(st.L[b_of] + W[it], b_of, st.wl[b_of] + load[it])
            else:
                ss = sl[ok]
                it, b_of = items, st.terr[items]
                dc1 = cost[it, ss] - cost[it, st.slot[it]]
                d = dist[a] + ((np.abs(W[it]) / wscale).sum(axis=1) if light else dc1)
                vb = viol(st.L[b_of] - W[it], b_of, st.wl[b_of] - load[it])
            if it.size == 0:
                continue
            sink = (vb <= _EPS) & ~settled[b_of]  # the path's own territories are settled
            if sink.any():  # the cheapest chain ending here
                j = int(np.flatnonzero(sink)[np.argmin(d[sink])])
                if d[j] < best_d:
                    best_d = float(d[j])
                    end_pred = (a, int(it[j]), int(ss[j]))
            for j in _first_per_group(b_of, d).tolist():
                b = int(b_of[j])
                if settled[b] or d[j] >= dist[b] or sink[j]:
                    continue
                dist[b] = d[j]
                pred[b] = (a, int(it[j]), int(ss[j]))
                flow_w[b] = W[it[j]]
                flow_l[b] = load[it[j]]
                depth[b] = depth[a] + 1
        if end_pred is None:
            return None
        chain = [(end_pred[1], end_pred[2])]
        b = end_pred[0]
        while b != k:
            a, i, s = pred[b]
            chain.append((i, s))
            b = a
        return best_d, chain[::-1]

    def best_swap(k: int) -> list[tuple[int, int]] | None:
        """Cheapest exchange of one item each way between ``k`` and a neighbour that leaves
        both inside every row: fixes two rows pulling opposite ways (e.g. potential below its
        band while workload sits at capacity), which no one-way chain can."""
        v_k = float(viol(st.L[k], k, st.wl[k]))
        mine = np.nonzero(st.terr == k)[0]
        pr = pairs[starts[k] : starts[k + 1]]
        theirs, t_sl = pr // P, pr % P
        keep = st.terr[theirs] != k
        theirs, t_sl = theirs[keep], t_sl[keep]
        best: tuple[tuple[int, float], list[tuple[int, int]]] | None = None
        for b in np.unique(st.terr[theirs]).tolist():
            sel = st.terr[theirs] == b
            i_in, s_in = theirs[sel], t_sl[sel]  # b -> k
            hit = (cand[mine] == b) & valid[mine]
            jj, s_out = np.nonzero(hit)
            j_out = mine[jj]  # k -> b
            if i_in.size == 0 or j_out.size == 0:
                continue
            dW = W[i_in][:, None, :] - W[j_out][None, :, :]
            dl = load[i_in][:, None] - load[j_out][None, :]
            vk = viol(st.L[k] + dW, k, st.wl[k] + dl)
            vb = viol(st.L[b] - dW, b, st.wl[b] - dl)
            vb0 = float(viol(st.L[b], b, st.wl[b]))
            ok = (vk < v_k - _EPS) & (vb <= vb0 + _EPS)
            if not ok.any():
                continue
            c = (cost[i_in, s_in] - cost[i_in, st.slot[i_in]])[:, None] + (
                cost[j_out, s_out] - cost[j_out, st.slot[j_out]]
            )[None, :]
            full = ok & (vk <= _EPS)
            # a full fix at least cost; else the largest reduction
            key = (0, np.where(full, c, np.inf)) if full.any() else (1, np.where(ok, vk, np.inf))
            a_, b_ = np.unravel_index(int(np.argmin(key[1])), c.shape)
            rank = (key[0], float(key[1][a_, b_]))
            if best is None or rank < best[0]:
                best = (rank, [(int(i_in[a_]), int(s_in[a_])), (int(j_out[b_]), int(s_out[b_]))])
        return None if best is None else best[1]

    skip = np.zeros(K, dtype=bool)
    all_k = np.arange(K)
    while time.perf_counter() - t0 < seconds:
        v = np.where(skip, 0.0, viol(st.L, all_k, st.wl))
        k = int(np.argmax(v))
        if v[k] <= _EPS:
            break
        over = bool((st.L[k] > model.hi[k]).any() or st.wl[k] > viol.cap[k])
        found = search(k, push=over, light=False)
        if found is None:  # retry preferring the lightest moves, which keep most slack downstream
            found = search(k, push=over, light=True)
        if found is None:
            swap = best_swap(k)
            if swap is None:
                skip[k] = True
                continue
            found = (0.0, swap)
        _, chain = found
        if model.max_move is not None:
            d_mv = sum(float(model.move[i, s] - model.move[i, st.slot[i]]) for i, s in chain)
            if d_mv > 0 and st.moved + d_mv > model.max_move + 1e-9:
                skip[k] = True
                continue
            st.moved += d_mv
        for i, s in chain:
            a, b = int(st.terr[i]), int(cand[i, s])
            st.L[a] -= W[i]
            st.L[b] += W[i]
            st.wl[a] -= load[i]
            st.wl[b] += load[i]
            st.slot[i] = s
            st.terr[i] = b
    return st.slot
