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
with the bands; a chain that would break the disruption cap is not applied, and when the start
itself exceeds the cap, single moves back towards the current alignment that keep every band
reduce it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

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


class _Labels:
    """Label-setting state of one chain search: the cheapest known way to reach each
    territory, what it receives there, and which territories are settled."""

    def __init__(self, K: int, m: int, source: int, max_depth: int) -> None:
        self.dist = np.full(K, np.inf)
        self.dist[source] = 0.0
        self.settled = np.zeros(K, dtype=bool)
        self.flow_w = np.zeros((K, m))  # what the territory receives from its predecessor
        self.flow_l = np.zeros(K)
        self.depth = np.zeros(K, dtype=int)
        self.max_depth = max_depth

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.dist, self.settled, self.flow_w, self.flow_l, self.depth

    def pop(self, bound: float) -> int | None:
        """Settle and return the cheapest open territory below ``bound`` that may still be
        extended (None when there is none)."""
        while True:
            open_d = np.where(self.settled, np.inf, self.dist)
            a = int(np.argmin(open_d))
            if not np.isfinite(open_d[a]) or open_d[a] >= bound:
                return None
            self.settled[a] = True
            if self.depth[a] < self.max_depth:
                return a


def _first_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Indices of the least ``value`` within each distinct ``group``."""
    o = np.lexsort((value, group))
    first = np.ones(o.size, dtype=bool)
    first[1:] = group[o][1:] != group[o][:-1]
    return np.asarray(o[first])


def _top_per_group(
    group: np.ndarray, value: np.ndarray, groups: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``groups`` (sorted), the indices of its ``top`` least values and those values,
    as (len(groups), top) tables padded with -1 and inf."""
    o = np.lexsort((value, group))
    g_sorted = group[o]
    first = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(o.size) - first
    row = np.searchsorted(groups, g_sorted)
    use = (rank < top) & (row < groups.size)
    use[use] &= groups[row[use]] == g_sorted[use]
    idx = np.full((groups.size, top), -1)
    val = np.full((groups.size, top), np.inf)
    idx[row[use], rank[use]] = o[use]
    val[row[use], rank[use]] = value[o[use]]
    return idx, val


def _pair(
    i_in: np.ndarray, s_in: np.ndarray, j_out: np.ndarray, s_out: np.ndarray, x: Any, y: Any
) -> list[tuple[int, int]]:
    """The two moves of an exchange: item ``i_in[x]`` in, item ``j_out[y]`` out."""
    return [(int(i_in[x]), int(s_in[x])), (int(j_out[y]), int(s_out[y]))]


class _ChainSearch:
    """The searches of one chain repair over the state ``st`` (updated in place): one-way
    chains (:meth:`search`), direct exchanges (:meth:`direct_swap`) and chains of exchanges
    (:meth:`exchange_search`). ``late`` counts the work and says when the budget is spent."""

    def __init__(
        self,
        model: AlignmentModel,
        st: _State,
        cost: np.ndarray,
        max_depth: int,
        late: Any,
    ) -> None:
        self.model = model
        self.st = st
        self.cost = cost
        self.max_depth = max_depth
        self.late = late
        self.K, self.P = model.K, int(model.cand.shape[1])
        self.cand = model.cand
        self.valid = model.valid()
        self.W, self.load = model.W, model.load
        self.viol = model.territory_violation
        self.cap = model.row_scales[1]  # capacity, inf where none
        self.wscale = np.maximum(np.abs(model.target).mean(axis=0), 1e-12)
        # for pulling: every (item, slot) pair that lists territory k, grouped by k
        flat = np.where(self.valid, self.cand, -1).ravel()
        pairs = np.nonzero(flat >= 0)[0]
        self.pairs = pairs[np.argsort(flat[pairs], kind="stable")]
        self.starts = np.searchsorted(flat[self.pairs], np.arange(self.K + 1))

    def incoming(self, a: int, skip: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items that list territory ``a`` as a candidate and sit in another territory not in
        ``skip``: their indices, the slot that would move them to ``a``, and where they sit."""
        pr = self.pairs[self.starts[a] : self.starts[a + 1]]
        items, sl = pr // self.P, pr % self.P
        held = self.st.terr[items]
        keep = (held != a) & ~skip[held]
        return items[keep], sl[keep], held[keep]

    def search(self, k: int, push: bool, light: bool) -> tuple[float, list[tuple[int, int]]] | None:
        v0 = float(self.viol(self.st.L[k], k, self.st.wl[k]))
        lab = _Labels(self.K, self.model.m, k, self.max_depth)  # flow: the item entering / leaving
        dist, settled, flow_w, flow_l, depth = lab.arrays()
        pred: dict[int, tuple[int, int, int]] = {}  # territory -> (previous, item, new slot)
        best_d = np.inf
        end_pred: tuple[int, int, int] | None = None
        while (a_ := lab.pop(best_d)) is not None and not self.late():
            a = a_
            if push:  # a sends one of its items on to a neighbour
                items = np.nonzero(self.st.terr == a)[0]
                va = self.viol(
                    self.st.L[a] + flow_w[a] - self.W[items],
                    a,
                    self.st.wl[a] + flow_l[a] - self.load[items],
                )
            else:  # a takes an item from the territory that holds it
                items, sl, _ = self.incoming(a, settled)  # nothing from the path itself
                va = self.viol(
                    self.st.L[a] - flow_w[a] + self.W[items],
                    a,
                    self.st.wl[a] - flow_l[a] + self.load[items],
                )
            ok = va <= _EPS
            if a == k and not ok.any() and va.size:  # no full fix: the biggest reductions
                ok = (va <= va.min() + 0.25 * (v0 - va.min())) & (va < v0 - _EPS)
            if not ok.any():
                continue
            items = items[ok]
            if push:
                dc = self.cost[items] - self.cost[items, self.st.slot[items]][:, None]
                bb = self.cand[items]
                ii, ss = np.nonzero(np.isfinite(dc) & (bb != a) & (bb >= 0))
                it, ss, b_of = items[ii], ss, bb[ii, ss]
                step = dc[ii, ss]
                vb = self.viol(self.st.L[b_of] + self.W[it], b_of, self.st.wl[b_of] + self.load[it])
            else:
                ss = sl[ok]
                it, b_of = items, self.st.terr[items]
                step = self.cost[it, ss] - self.cost[it, self.st.slot[it]]
                vb = self.viol(self.st.L[b_of] - self.W[it], b_of, self.st.wl[b_of] - self.load[it])
            if it.size == 0:
                continue
            d = dist[a] + ((np.abs(self.W[it]) / self.wscale).sum(axis=1) if light else step)
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
                flow_w[b] = self.W[it[j]]
                flow_l[b] = self.load[it[j]]
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

    def direct_swap(self, k: int, top: int = 512) -> list[tuple[int, int]] | None:
        """Cheapest exchange of one item each way between ``k`` and one neighbour (among each
        side's ``top`` cheapest movable items) that keeps the neighbour inside every row and
        fixes ``k``, or else most reduces its violation."""
        mine = np.nonzero(self.st.terr == k)[0]
        theirs, t_sl, held = self.incoming(k, np.zeros(self.K, dtype=bool))
        room_k = (
            self.model.lo[k] - self.st.L[k],
            self.model.hi[k] - self.st.L[k],
        )  # allowed change at k
        v_k = float(self.viol(self.st.L[k], k, self.st.wl[k]))
        best: tuple[tuple[int, float], list[tuple[int, int]]] | None = None
        for b in np.unique(held).tolist():
            if self.late():
                break
            if self.viol(self.st.L[b], b, self.st.wl[b]) > _EPS:
                continue
            sel = held == b
            i_in, s_in = theirs[sel], t_sl[sel]
            jj, s_out = np.nonzero((self.cand[mine] == b) & self.valid[mine])
            j_out = mine[jj]
            if j_out.size == 0:
                continue
            c_in = self.cost[i_in, s_in] - self.cost[i_in, self.st.slot[i_in]]
            c_out = self.cost[j_out, s_out] - self.cost[j_out, self.st.slot[j_out]]
            oi, oj = np.argsort(c_in)[:top], np.argsort(c_out)[:top]
            dl = self.load[i_in[oi]][:, None] - self.load[j_out[oj]][None, :]
            ok_b = self.st.wl[b] - dl <= self.cap[b]
            full = self.st.wl[k] + dl <= self.cap[k]
            for a_ in range(self.model.m):  # attribute by attribute: (|in|, |out|) tables only
                d_a = self.W[i_in[oi], a_][:, None] - self.W[j_out[oj], a_][None, :]  # change at k
                ok_b &= (d_a <= self.st.L[b, a_] - self.model.lo[b, a_]) & (
                    d_a >= self.st.L[b, a_] - self.model.hi[b, a_]
                )
                full &= (d_a >= room_k[0][a_]) & (d_a <= room_k[1][a_])
            if not ok_b.any():
                continue
            full &= ok_b
            if full.any():  # k fixed: the cheapest such exchange
                key = np.where(full, c_in[oi][:, None] + c_out[oj][None, :], np.inf)
                rank0 = 0
            else:  # else the one that most reduces k's violation
                xs, ys = np.nonzero(ok_b)
                dW = self.W[i_in[oi][xs]] - self.W[j_out[oj][ys]]
                vk = self.viol(self.st.L[k] + dW, k, self.st.wl[k] + dl[xs, ys])
                key = np.full(ok_b.shape, np.inf)
                key[xs, ys] = np.where(vk < v_k - _EPS, vk, np.inf)
                rank0 = 1
            x, y = np.unravel_index(int(np.argmin(key)), key.shape)
            if not np.isfinite(key[x, y]):
                continue
            rank = (rank0, float(key[x, y]))
            if best is None or rank < best[0]:
                best = (rank, _pair(i_in[oi], s_in[oi], j_out[oj], s_out[oj], x, y))
        return None if best is None else best[1]

    def exchange_search(self, k: int, top: int = 48) -> list[tuple[int, int]] | None:
        """Cheapest chain of *exchanges* fixing ``k``: ``k`` swaps one item each way with a
        neighbour ``b1``, which passes its change on by swapping with ``b2``, and so on until a
        territory absorbs it. This fixes two self.rows pulling opposite ways (potential below its
        band while the account count or the workload sits at its limit), which no one-way
        chain can. Each step looks at the ``top`` cheapest items each way."""
        v0 = float(self.viol(self.st.L[k], k, self.st.wl[k]))
        lab = _Labels(
            self.K, self.model.m, k, self.max_depth
        )  # flow: the net change an exchange brings
        dist, settled, flow_w, flow_l, depth = lab.arrays()
        pred: dict[int, tuple[int, list[tuple[int, int]]]] = {}
        best_d = np.inf
        best_end: tuple[int, list[tuple[int, int]]] | None = None
        while (a_ := lab.pop(best_d)) is not None and not self.late():
            a = a_
            La, wla = self.st.L[a] + flow_w[a], self.st.wl[a] + flow_l[a]
            mine = np.nonzero(self.st.terr == a)[0]
            if a in pred:  # the item a already gave its predecessor stays there
                mine = mine[mine != pred[a][1][0][0]]
            # in: items of neighbours b that list a; out: items of a that list b
            i_in, s_in, b_in = self.incoming(a, settled)
            jj, s_out = np.nonzero(self.valid[mine] & (self.cand[mine] != a))
            j_out, b_out = mine[jj], self.cand[mine[jj], s_out]
            keep_out = ~settled[b_out]
            j_out, s_out, b_out = j_out[keep_out], s_out[keep_out], b_out[keep_out]
            B = np.intersect1d(b_in, b_out)
            if B.size == 0:
                continue
            c_in = self.cost[i_in, s_in] - self.cost[i_in, self.st.slot[i_in]]
            c_out = self.cost[j_out, s_out] - self.cost[j_out, self.st.slot[j_out]]
            # the ``top`` cheapest each way per neighbour, padded into (|B|, top) tables
            ix_in, CI = _top_per_group(b_in, c_in, B, top)
            ix_out, CJ = _top_per_group(b_out, c_out, B, top)
            Ii, Is = i_in[ix_in.clip(min=0)], s_in[ix_in.clip(min=0)]
            Jj, Js = j_out[ix_out.clip(min=0)], s_out[ix_out.clip(min=0)]
            dW = (
                self.W[Ii][:, :, None, :] - self.W[Jj][:, None, :, :]
            )  # change at a, (|B|, top, top, m)
            dl = self.load[Ii][:, :, None] - self.load[Jj][:, None, :]
            real = (ix_in >= 0)[:, :, None] & (ix_out >= 0)[:, None, :]
            va = self.viol(La + dW, a, wla + dl)
            ok = real & (va <= _EPS)
            if a == k and not ok.any():
                vmin = float(np.where(real, va, np.inf).min())
                ok = real & (va <= vmin + 0.25 * (v0 - vmin)) & (va < v0 - _EPS)
            if not ok.any():
                continue
            d = dist[a] + CI[:, :, None] + CJ[:, None, :]
            Bb = B[:, None, None]
            vb = self.viol(self.st.L[Bb] - dW, Bb, self.st.wl[Bb] - dl)
            sink = ok & (vb <= _EPS)
            if sink.any():
                e = np.unravel_index(int(np.argmin(np.where(sink, d, np.inf))), d.shape)
                if d[e] < best_d:
                    best_d = float(d[e])
                    best_end = (a, _pair(Ii[e[0]], Is[e[0]], Jj[e[0]], Js[e[0]], e[1], e[2]))
            dd = np.where(ok & ~sink, d, np.inf).reshape(B.size, -1)
            flat = dd.argmin(axis=1)
            for g in np.nonzero(dd[np.arange(B.size), flat] < dist[B])[0].tolist():
                b = int(B[g])
                x, y = divmod(int(flat[g]), ix_out.shape[1])
                dist[b] = d[g, x, y]
                flow_w[b] = -dW[g, x, y]
                flow_l[b] = -dl[g, x, y]
                depth[b] = depth[a] + 1
                pred[b] = (a, _pair(Ii[g], Is[g], Jj[g], Js[g], x, y))
        if best_end is None:
            return None
        chain = list(best_end[1])
        a = best_end[0]
        while a != k:
            prev, mv = pred[a]
            chain = mv + chain
            a = prev
        return chain


def chain_repair(
    model: AlignmentModel,
    slot: np.ndarray,
    seconds: float = 3600.0,
    *,
    max_steps: int = 400_000,
    max_depth: int = 16,
    move_price: float = 0.0,
    stats: dict[str, Any] | None = None,
) -> np.ndarray:
    """Repair band and capacity violations of ``slot`` by cheapest chains of moves.

    Parameters
    ----------
    model : AlignmentModel
    slot : ndarray of int, (n,)
        Slot per item; usually a rounded LP solution, a few territories slightly outside.
    seconds : float
        Wall-clock safety cap [s]; ``stats["time_capped"]`` says whether it bound.
    max_steps : int
        Work budget: label expansions, swap searches and passes counted together. The result
        depends on this count only, not on the machine's speed.
    max_depth : int
        Longest chain (territories on its path; an exchange chain moves two items per step).
    move_price : float
        Price per unit of disruption added to each move's cost (the disruption row's
        multiplier), so chains prefer moves that keep accounts where they are.
    stats : dict, optional
        Receives ``steps`` (work done) and ``time_capped``.

    Returns
    -------
    ndarray of int, (n,)
        The repaired slots; territories no chain could fix keep their violation.
    """
    t0 = time.perf_counter()
    deadline = t0 + seconds
    work = {"steps": 0, "time_capped": False}

    def late() -> bool:
        work["steps"] += 1
        if work["steps"] % 64 == 0 and time.perf_counter() > deadline:
            work["time_capped"] = True
        return work["steps"] > max_steps or bool(work["time_capped"])

    n, K = model.n, model.K
    rows = np.arange(n)
    valid = model.valid()
    cost = np.where(valid, model.cost + move_price * model.move, np.inf)
    terr = model.cand[rows, slot]
    st = _State(
        slot.copy(),
        terr.copy(),
        model.loads(slot),
        np.bincount(terr, weights=model.load, minlength=K),
        float(model.move[rows, slot].sum()),
    )
    cs = _ChainSearch(model, st, cost, max_depth, late)
    viol, cand, W, load, cap = cs.viol, cs.cand, cs.W, cs.load, cs.cap
    search, direct_swap, exchange_search = cs.search, cs.direct_swap, cs.exchange_search
    skip = np.zeros(K, dtype=bool)
    all_k = np.arange(K)
    applied = 0  # chains applied since the skipped territories were last retried
    while not late():
        v = np.where(skip, 0.0, viol(st.L, all_k, st.wl))
        k = int(np.argmax(v))
        if v[k] <= _EPS:
            if applied == 0 or not skip.any():
                break
            skip[:] = False  # the neighbourhoods changed since: try the skipped ones again
            applied = 0
            continue
        over = bool((st.L[k] > model.hi[k]).any() or st.wl[k] > cap[k])
        found = search(k, push=over, light=False)
        if found is None:  # retry preferring the lightest moves, which keep most slack downstream
            found = search(k, push=over, light=True)
        if found is None:
            swap = direct_swap(k)
            if swap is None:
                swap = exchange_search(k)
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
        else:
            d_mv = 0.0
        before = float(viol(st.L, all_k, st.wl).sum())
        undo = [(i, int(st.slot[i])) for i, _ in chain]
        _apply(st, chain, cand, W, load)
        if float(viol(st.L, all_k, st.wl).sum()) >= before - _EPS:  # no net gain: take it back
            _apply(st, undo[::-1], cand, W, load)
            skip[k] = True
            continue
        st.moved += d_mv
        applied += 1
    if model.max_move is not None:
        _undo_disruption(model, st, late)
    if stats is not None:
        stats.update(work)
    return st.slot


def _undo_disruption(model: AlignmentModel, st: _State, late: Any) -> None:
    """While the disruption cap is exceeded, make the single moves that reduce disruption
    (mostly accounts going back to their current territory) at least extra cost per unit of
    disruption removed, keeping both territories inside every row; many per pass, each
    territory in at most one of them."""
    assert model.max_move is not None
    rows = np.arange(model.n)
    valid = model.valid()
    while not late() and st.moved > model.max_move * (1 + 1e-12) + 1e-12:
        d_mv = model.move - model.move[rows, st.slot][:, None]
        ii, ss = np.nonzero(valid & (d_mv < -_EPS) & (model.cand != st.terr[:, None]))
        if ii.size == 0:
            return
        a, b = st.terr[ii], model.cand[ii, ss]
        viol = model.territory_violation
        feas = viol(st.L[a] - model.W[ii], a, st.wl[a] - model.load[ii]) <= _EPS
        feas &= viol(st.L[b] + model.W[ii], b, st.wl[b] + model.load[ii]) <= _EPS
        if not feas.any():
            return
        ii, ss, a, b = ii[feas], ss[feas], a[feas], b[feas]
        gain = -d_mv[ii, ss]
        score = (model.cost[ii, ss] - model.cost[ii, st.slot[ii]]) / gain
        used = np.zeros(model.K, dtype=bool)
        for j in np.argsort(score, kind="stable").tolist():
            if st.moved <= model.max_move * (1 + 1e-12) + 1e-12:
                break
            if used[a[j]] or used[b[j]]:
                continue
            used[a[j]] = used[b[j]] = True
            _apply(st, [(int(ii[j]), int(ss[j]))], model.cand, model.W, model.load)
            st.moved -= float(gain[j])


def _apply(
    st: _State, moves: list[tuple[int, int]], cand: np.ndarray, W: np.ndarray, load: np.ndarray
) -> None:
    for i, s in moves:
        a, b = int(st.terr[i]), int(cand[i, s])
        st.L[a] -= W[i]
        st.L[b] += W[i]
        st.wl[a] -= load[i]
        st.wl[b] += load[i]
        st.slot[i] = s
        st.terr[i] = b
