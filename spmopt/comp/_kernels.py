"""Numba kernels of the Monte Carlo simulator: attainment draws and the fused payout statistics.

Random numbers come from a counter-based stream: draw ``d`` (global index) starts from
``splitmix64(seed ^ d * K)``, so results do not depend on the chunking, the number of threads or
the order in which draws run. Normals come from the inverse normal CDF of 32-bit uniforms
(tabulated, linear interpolation), in float32
(attainment needs no more: its own sampling error is ~1e-2).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from scipy.special import ndtri

U64 = np.uint64
_GOLD = U64(0x9E3779B97F4A7C15)
_M1 = U64(0xBF58476D1CE4E5B9)
_M2 = U64(0x94D049BB133111EB)
_STREAM = U64(0xD1B54A32D192ED03)
_INV24 = np.float32(1.0 / 16777216.0)

KIND_NORMAL = 0
KIND_LOGNORMAL = 1
KIND_EMPIRICAL = 2


@nb.njit(inline="always", cache=True)
def _next(state):
    state = state + _GOLD
    z = state
    z = (z ^ (z >> U64(30))) * _M1
    z = (z ^ (z >> U64(27))) * _M2
    return state, z ^ (z >> U64(31))


# Inverse normal CDF tables: the 32-bit uniform's top 12 bits pick one of 4,096 bins, linear
# interpolation inside (error < 2e-4 in z); the outer 16 bins on each side use a finer table
# (4,096 bins of 2^-20) and the outermost 2^-20 takes the exact quantile of each of its 4,096
# 32-bit values. Tails are exact to |z| ~ 6.2, the largest a 32-bit uniform can express.
_T = np.zeros(4097, dtype=np.float32)
_T[16:4081] = ndtri(np.arange(16, 4081) / 4096.0)
_L = np.zeros(4097, dtype=np.float32)
_L[1:] = ndtri(np.arange(1, 4097) / 2.0**20)
_M = ndtri((np.arange(4096) + 0.5) / 2.0**32).astype(np.float32)
_I20 = np.float32(1.0 / 2**20)
_I12 = np.float32(1.0 / 4096)


@nb.njit(inline="always", cache=True)
def _z(ui):
    """Standard normal quantile of the 32-bit uniform ``ui`` (uint64 < 2^32), float32."""
    i = ui >> U64(20)
    if i >= U64(16) and i < U64(4080):
        f = np.float32(ui & U64(0xFFFFF)) * _I20
        return _T[i] + f * (_T[i + U64(1)] - _T[i])
    neg = i >= U64(4080)
    if neg:
        ui = U64(0xFFFFFFFF) - ui
    j = ui >> U64(12)
    if j >= U64(1):
        f = np.float32(ui & U64(0xFFF)) * _I12
        z = _L[j] + f * (_L[j + U64(1)] - _L[j])
    else:
        z = _M[ui]
    return -z if neg else z


@nb.njit(inline="always", cache=True)
def _normal_pair(state):
    """Two independent standard normals from one 64-bit output (inverse CDF, float32)."""
    state, x = _next(state)
    return state, _z(x >> U64(32)), _z(x & U64(0xFFFFFFFF))


_LOG2E = np.float32(1.4426950408889634)


@nb.njit(inline="always", fastmath=True, cache=True)
def _exp32(x):
    """``exp(x)`` in float32 (relative error < 4e-6 for |x| < 80): ``2^n * 2^f`` with a
    degree-6 polynomial for ``2^f``, ``f`` in [-0.5, 0.5]; no libm call, so it pipelines."""
    t = x * _LOG2E
    n = np.floor(t + np.float32(0.5))
    f = t - n
    p = np.float32(1.5403530393381606e-4)
    p = p * f + np.float32(1.3333558146428443e-3)
    p = p * f + np.float32(9.618129107628477e-3)
    p = p * f + np.float32(5.550410866482158e-2)
    p = p * f + np.float32(2.402265069591007e-1)
    p = p * f + np.float32(6.931471805599453e-1)
    p = p * f + np.float32(1.0)
    n = min(max(n, np.float32(-126.0)), np.float32(127.0))
    bits = np.int32(np.int32(n + np.float32(127.0)) << np.int32(23))
    return p * bits.view(np.float32)


@nb.njit(inline="always", cache=True)
def _draw_one(state, spare, have, r, kinds, wcum, mu, sd, emp, shock):
    """Attainment of rep ``r`` in the current draw; returns ``(state, spare, have, a)``."""
    n_comp = kinds.shape[0]
    k = 0
    if n_comp > 1:
        state, x = _next(state)
        u = np.float32(x >> U64(40)) * _INV24
        while k < n_comp - 1 and u >= wcum[k]:
            k += 1
    kind = kinds[k]
    if kind == KIND_EMPIRICAL:
        state, x = _next(state)
        idx = np.int64((x >> U64(11)) % U64(emp.shape[0]))
        a = mu[k, r] * emp[idx]
    else:
        if have:
            z = spare
            have = False
        else:
            state, z, spare = _normal_pair(state)
            have = True
        if kind == KIND_NORMAL:
            a = mu[k, r] + sd[k, r] * z
        else:
            s = sd[k, r]
            a = mu[k, r] * _exp32(s * z - np.float32(0.5) * s * s)
    a = a * shock
    if a < 0:
        a = np.float32(0.0)
    return state, spare, have, a


@nb.njit(inline="always", cache=True)
def _start_draw(seed, d, shock_sd):
    """Stream state of global draw ``d`` and its common shock; returns
    ``(state, spare, have, shock)``."""
    state = U64(seed) ^ (U64(d) * _STREAM)
    state, _ = _next(state)
    state, z0, z1 = _normal_pair(state)
    shock = np.exp(shock_sd * z0 - np.float32(0.5) * shock_sd * shock_sd)
    return state, z1, True, shock


@nb.njit(parallel=True, fastmath=True, cache=True)
def gen_attainment(seed, d0, kinds, wcum, mu, sd, emp, shock_sd, out, shock_out):
    """Fill ``out[d, r]`` with attainment draws ``d0 + d`` and ``shock_out[d]`` with the shock.

    kinds (K,) int64, wcum (K,) float32 cumulative weights, mu/sd (K, n_reps) float32
    (lognormal: mu is the mean and sd the log-sd; empirical: mu scales the drawn value),
    emp (n,) float32 values for the empirical kind, shock_sd float32 log-sd of the
    company-wide multiplicative shock (mean 1).
    """
    nd, nr = out.shape
    for d in nb.prange(nd):
        state, spare, have, shock = _start_draw(seed, d0 + d, shock_sd)
        shock_out[d] = shock
        for r in range(nr):
            state, spare, have, a = _draw_one(
                state, spare, have, r, kinds, wcum, mu, sd, emp, shock
            )
            out[d, r] = a


@nb.njit(inline="always", fastmath=True, cache=True)
def _factor(a, q, lo, c, m, cap):
    """Payout factor of attainment ``a`` on segment table row ``q`` (branch-free search;
    ``lo`` is padded with +inf beyond a role's last segment)."""
    k = 0
    for j in range(1, lo.shape[1]):
        k += a >= lo[q, j]
    return min(c[q, k] + m[q, k] * (a - lo[q, k]), cap[q])


@nb.njit(inline="always", fastmath=True, cache=True)
def _pay_row(row, role_idx, lo, c, m, cap, scale, quota, weight, rs, rs2, ra, rat):
    """Pay one draw's row of attainment; add to the per-rep sums; return the draw's totals
    ``(incentive, revenue, reps at quota)``. ``weight`` is 1.0 for reps counted here."""
    tot = 0.0
    rev = 0.0
    n_at = 0.0
    for r in range(row.shape[0]):
        a = row[r]
        p = _factor(a, role_idx[r], lo, c, m, cap) * scale[r]
        w = weight[r]
        at = (a >= np.float32(1.0)) * w
        tot += p
        rev += a * quota[r] * w
        n_at += at
        rs[r] += p
        rs2[r] += p * p
        ra[r] += a * w
        rat[r] += at
    return tot, rev, n_at


@nb.njit(inline="always", fastmath=True, cache=True)
def _keep_row(row, role_idx, lo, c, m, cap, scale, keep_row, katt_row):
    for r in range(row.shape[0]):
        a = row[r]
        keep_row[r] = _factor(a, role_idx[r], lo, c, m, cap) * scale[r]
        katt_row[r] = a


@nb.njit(parallel=True, fastmath=True, cache=True)
def simulate_fused(
    seed,
    d0,
    kinds,
    wcum,
    mu,
    sd,
    emp,
    shock_sd,
    factor,
    role_idx,
    lo,
    c,
    m,
    cap,
    scale,
    quota,
    weight,
    draw_pay,
    draw_rev,
    draw_at,
    rep_sum,
    rep_sum2,
    rep_att,
    rep_at,
    keep,
    keep_att,
):
    """Draw attainment (times ``factor``) and pay it in one pass: :func:`gen_attainment`
    followed by :func:`payout_stats` without the rep x draw block (same draws, same results)."""
    nd = draw_pay.shape[0]
    nr = role_idx.shape[0]
    n_blocks = rep_sum.shape[0]
    n_keep = keep.shape[0]
    per = (nd + n_blocks - 1) // n_blocks
    for b in nb.prange(n_blocks):
        start = b * per
        stop = min(nd, start + per)
        buf = np.empty(nr, dtype=np.float32)
        rs, rs2, ra, rat = rep_sum[b], rep_sum2[b], rep_att[b], rep_at[b]
        for d in range(start, stop):
            state, spare, have, shock = _start_draw(seed, d0 + d, shock_sd)
            for r in range(nr):
                state, spare, have, a = _draw_one(
                    state, spare, have, r, kinds, wcum, mu, sd, emp, shock
                )
                buf[r] = a * factor
            tot, rev, n_at = _pay_row(
                buf, role_idx, lo, c, m, cap, scale, quota, weight, rs, rs2, ra, rat
            )
            if d < n_keep:
                _keep_row(buf, role_idx, lo, c, m, cap, scale, keep[d], keep_att[d])
            draw_pay[d] = tot
            draw_rev[d] = rev
            draw_at[d] = n_at


@nb.njit(parallel=True, fastmath=True, cache=True)
def payout_stats(
    att,
    role_idx,
    lo,
    c,
    m,
    cap,
    scale,
    quota,
    weight,
    draw_pay,
    draw_rev,
    draw_at,
    rep_sum,
    rep_sum2,
    rep_att,
    rep_at,
    keep,
    keep_att,
):
    """Payout of one-measure roles and streamed statistics.

    att (nd, nr) float32 attainment; role_idx (nr,) int64 row of the segment tables lo/c/m
    (n_roles, n_seg) float32 (lo padded with +inf) and cap (n_roles,) float32; scale (nr,)
    float64 money per payout factor (TI x active share, 0 to skip a rep); quota (nr,) float64
    active quota [currency]; weight (nr,) float64, 1 for reps counted in the statistics.
    Outputs: draw_pay/draw_rev/draw_at (nd,) float64 per draw; rep_sum, rep_sum2, rep_att,
    rep_at (n_blocks, nr) float64 per block of draws (summed by the caller); keep / keep_att
    (n_keep, nr) float32 payouts and attainment of the first draws.
    """
    nd = att.shape[0]
    n_blocks = rep_sum.shape[0]
    n_keep = keep.shape[0]
    per = (nd + n_blocks - 1) // n_blocks
    for b in nb.prange(n_blocks):
        start = b * per
        stop = min(nd, start + per)
        rs, rs2, ra, rat = rep_sum[b], rep_sum2[b], rep_att[b], rep_at[b]
        for d in range(start, stop):
            tot, rev, n_at = _pay_row(
                att[d], role_idx, lo, c, m, cap, scale, quota, weight, rs, rs2, ra, rat
            )
            if d < n_keep:
                _keep_row(att[d], role_idx, lo, c, m, cap, scale, keep[d], keep_att[d])
            draw_pay[d] = tot
            draw_rev[d] = rev
            draw_at[d] = n_at
