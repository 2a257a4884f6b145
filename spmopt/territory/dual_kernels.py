"""Numba kernel of the entropy-smoothed Lagrangian dual (value and gradient in one pass).

:func:`~spmopt.territory.lagrangian.maximise_smoothed_dual` evaluates the smoothed dual a few
hundred times per solve. In numpy one evaluation makes about fifteen passes over the
``(items, slots)`` arrays (reduced costs, their minimum, the exponentials, the shares, one
weighted ``bincount`` per attribute); this kernel makes one, item by item, and keeps each
item's reduced costs in a buffer of its slots. Items are processed in fixed blocks whose
partial sums are added in block order, so the result does not depend on the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["smoothed_dual_pass"]

#: items per block of the parallel pass (fixed: the partial sums, and so the result, do not
#: depend on the number of threads)
BLOCK = 2048
#: slots whose reduced cost exceeds the item's minimum by this many temperatures get share 0
_EXP_CUT = 50.0


@nb.njit(cache=True)
def _reduced(i, slots, mult, flags, r):  # pragma: no cover
    """Reduced costs of item ``i``'s valid slots into ``r``; returns their minimum."""
    cand, cost, valid, W, load, move = slots
    mu, gam, nu = mult
    use_cap, use_mv = flags
    rmin = np.inf
    for s in range(cand.shape[1]):
        if not valid[i, s]:
            continue
        k = cand[i, s]
        v = cost[i, s]
        for a in range(W.shape[1]):
            v += W[i, a] * mu[k, a]
        if use_cap:
            v += load[i] * gam[k]
        if use_mv:
            v += nu * move[i, s]
        r[s] = v
        rmin = min(rmin, v)
    return rmin


@nb.njit(cache=True)
def _add_shares(i, slots, flags, p, loads, wl):  # pragma: no cover
    """Add item ``i``'s shares ``p`` to the territory loads; returns its expected moves."""
    cand, _, valid, W, load, move = slots
    use_cap, use_mv = flags
    mv = 0.0
    for s in range(cand.shape[1]):
        if not valid[i, s]:
            continue
        q = p[s]
        if q == 0.0:
            continue
        k = cand[i, s]
        for a in range(W.shape[1]):
            loads[k, a] += q * W[i, a]
        if use_cap:
            wl[k] += q * load[i]
        if use_mv:
            mv += q * move[i, s]
    return mv


@nb.njit(parallel=True, cache=True)
def _pass(slots, temp, mult, flags, K):  # pragma: no cover
    cand, valid, W = slots[0], slots[2], slots[3]
    n, P = cand.shape
    n_blocks = (n + BLOCK - 1) // BLOCK
    soft_b = np.zeros(n_blocks)
    mv_b = np.zeros(n_blocks)
    loads_b = np.zeros((n_blocks, K, W.shape[1]))
    wl_b = np.zeros((n_blocks, K))
    for b in nb.prange(n_blocks):
        r = np.empty(P)
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            rmin = _reduced(i, slots, mult, flags, r)
            se = 0.0
            for s in range(P):
                if valid[i, s]:
                    x = (r[s] - rmin) / temp[i]
                    # exp(-50) < 2e-22: below the last bit of the sum (at least 1), so 0
                    r[s] = np.exp(-x) if x < _EXP_CUT else 0.0
                    se += r[s]
            soft_b[b] += rmin - temp[i] * np.log(se)
            r /= se
            mv_b[b] += _add_shares(i, slots, flags, r, loads_b[b], wl_b[b])
    return soft_b, loads_b, wl_b, mv_b


def smoothed_dual_pass(
    slots: tuple[np.ndarray, ...],
    temp: np.ndarray,
    mult: tuple[np.ndarray, np.ndarray, float],
    flags: tuple[bool, bool],
    K: int,
) -> tuple[float, np.ndarray, np.ndarray, float]:
    """One evaluation of the smoothed dual's item terms.

    Parameters
    ----------
    slots : tuple of ndarray
        ``(cand, cost, valid, W, load, move)``: candidate territories (n, P, int64), costs
        (n, P), the mask of real slots (n, P), balance coefficients (n, m), capacity
        coefficients (n,) and disruption weights (n, P), each C-contiguous.
    temp : ndarray (n,)
        Each item's temperature (cost units).
    mult : tuple
        ``(mu, gam, nu)``: multipliers of the balance (K, m), capacity (K,) and disruption rows.
    flags : tuple of bool
        ``(use_cap, use_mv)``: whether the capacity and disruption terms count.
    K : int
        Number of territories.

    Returns
    -------
    soft : float
        ``sum_i -t_i log sum_s exp(-r[i, s] / t_i)`` over the valid slots.
    loads : ndarray (K, m)
        ``sum_i p[i, s] W[i, a]`` per territory, ``p`` the soft-min shares.
    wl : ndarray (K,)
        ``sum_i p[i, s] load[i]`` per territory (zeros without ``use_cap``).
    mv : float
        ``sum_i p[i, s] move[i, s]`` (0 without ``use_mv``).
    """
    mu, gam, nu = mult
    soft, loads, wl, mv = _pass(
        slots, temp, (mu, gam, float(nu)), (bool(flags[0]), bool(flags[1])), K
    )
    # the blocks' partial sums added here, in block order: inside the parallel kernel numba
    # would turn these sums into reductions split by thread, and the last bits would follow
    # the number of threads
    return float(np.sum(soft)), np.sum(loads, axis=0), np.sum(wl, axis=0), float(np.sum(mv))
