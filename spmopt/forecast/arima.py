"""Automatic seasonal ARIMA: unit-root tests, a stepwise AICc search and psi-weight variances.

Model (Box & Jenkins; period ``s``, backshift ``B``)::

    φ(B) Φ(Bˢ) (w_t − μ) = θ(B) Θ(Bˢ) ε_t,   w_t = (1 − B)ᵈ (1 − Bˢ)ᴰ y_t,   ε_t ~ N(0, σ²)

with ``φ(B) = 1 − φ₁B − … − φ_pBᵖ``, ``θ(B) = 1 + θ₁B + … + θ_qB^q``, ``Φ(Bˢ) = 1 − Φ₁Bˢ`` and
``Θ(Bˢ) = 1 + Θ₁Bˢ`` (``P, Q ≤ 1``; ``p, q ≤ 3``; ``p + q + P + Q ≤ 5``). The mean ``μ`` of the
differenced series (a drift when ``d + D = 1``, a level when ``d + D = 0``) is the sample mean
of ``w``; with ``d + D ≥ 2`` there is no constant.

Order selection follows Hyndman & Khandakar (2008):

1. ``D`` (0 or 1): seasonal differencing when the seasonal strength of a classical additive
   decomposition, ``max(0, 1 − Var(R) / Var(S + R))``, exceeds 0.64 (and the series has two
   full seasons);
2. ``d`` (0, 1 or 2): difference while the KPSS level-stationarity test rejects at 5 %
   (statistic ``Σ S_t² / (n² σ̂²_LR)`` against 0.463; Bartlett long-run variance with
   ``⌊4 (n/100)^¼⌋`` lags) on the seasonally differenced series;
3. a stepwise search over ``p, q, P, Q`` and the constant: start from ARIMA(2,d,2)(1,D,1),
   (0,d,0)(0,D,0), (1,d,0)(1,D,0) and (0,d,1)(0,D,1) and move to a neighbour (one order ±1,
   ``p`` and ``q`` together ±1, ``P`` and ``Q`` together ±1, constant on/off) while that
   lowers the AICc.

Each candidate is fitted by conditional sum of squares (CSS): residuals are computed from
the first month after the longest AR lag (earlier innovations set to 0) and the parameters
minimise ``Σε²`` by Nelder–Mead. Stationarity and invertibility hold by construction: each AR
and MA polynomial is parametrised by its partial autocorrelations ``r = 0.99 tanh(u)``
(Durbin–Levinson recursion). The AICc of a model is ``N log σ̂² + 2(k+1) + 2(k+1)(k+2) /
(N − k − 2)`` with ``N`` the length of the differenced series (the same for every candidate of
a series, so models with different AR lags compare on the same footing), ``σ̂²`` the mean
squared CSS residual and ``k`` the number of ARMA coefficients plus the constant.

Forecasts run the recursion with future innovations 0 and undo the differencing; prediction
variances are ``σ² Σ_{j<k} ψ_j²`` with the psi weights of ``θ(B)Θ(Bˢ) / (φ(B)Φ(Bˢ)(1 −
B)ᵈ(1 − Bˢ)ᴰ)``. Everything is numba-compiled and runs in parallel over the series of a block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from spmopt.forecast._optim import make_nelder_mead

__all__ = [
    "ArimaFit",
    "arima_fit",
    "arima_forecast_at",
    "arima_variance",
    "kpss_stat",
    "ndiffs",
    "nsdiffs",
    "seasonal_strength",
]

MAX_P = 3
MAX_Q = 3
MAX_ORDER = 5  # p + q + P + Q
KPSS_CRIT = 0.463  # 5 % critical value of the KPSS level test
STRENGTH_CRIT = 0.64  # seasonal strength above which D = 1 (Wang, Smith & Hyndman 2006)
_NPAR = 9  # phi1..3, theta1..3, Phi, Theta, mu
# order columns: p, d, q, P, D, Q, constant
P_, D_, Q_, SP_, SD_, SQ_, C_ = range(7)


# ----------------------------------------------------------------------------- tests for d, D
def kpss_stat(x: np.ndarray) -> np.ndarray:
    """KPSS level-stationarity statistic of every row of ``x`` (n, T), no NaN.

    ``η = Σ_t S_t² / (T² σ̂²)``, ``S_t`` the partial sums of the demeaned row and ``σ̂²`` the
    Bartlett-weighted long-run variance with ``⌊4 (T/100)^¼⌋`` lags. Rows without variation
    get 0 (stationary).
    """
    x = np.asarray(x, dtype=float)
    t = x.shape[1]
    e = x - x.mean(axis=1, keepdims=True)
    s = np.cumsum(e, axis=1)
    lags = int(4 * (t / 100) ** 0.25)
    lrv = (e * e).sum(axis=1) / t
    for j in range(1, min(lags, t - 1) + 1):
        lrv += 2 * (1 - j / (lags + 1)) * (e[:, j:] * e[:, :-j]).sum(axis=1) / t
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = (s * s).sum(axis=1) / (t * t * lrv)
    return np.where(lrv > 1e-12 * np.maximum((x * x).mean(axis=1), 1e-300), eta, 0.0)


def ndiffs(x: np.ndarray, max_d: int = 2) -> np.ndarray:
    """First differences needed per row (0..``max_d``): difference while KPSS rejects at 5 %."""
    x = np.asarray(x, dtype=float)
    d = np.zeros(len(x), dtype=np.int64)
    cur = x
    active = np.ones(len(x), dtype=bool)
    for _ in range(max_d):
        if cur.shape[1] < 8:
            break
        reject = (kpss_stat(cur) > KPSS_CRIT) & active
        d += reject
        active &= reject
        if not active.any():
            break
        cur = np.diff(cur, axis=1)
    return d


def seasonal_strength(y: np.ndarray, season: int = 12) -> np.ndarray:
    """``max(0, 1 − Var(R) / Var(S + R))`` of a classical additive decomposition, per row.

    Rows shorter than two seasons get 0.
    """
    y = np.asarray(y, dtype=float)
    n, t = y.shape
    if t < 2 * season:
        return np.zeros(n)
    half = season // 2
    cs = np.cumsum(np.c_[np.zeros(n), y], axis=1)
    trend = np.full((n, t), np.nan)
    for j in range(half, t - half):
        if season % 2 == 0:
            trend[:, j] = (
                (cs[:, j + half] - cs[:, j - half + 1]) + 0.5 * (y[:, j - half] + y[:, j + half])
            ) / season
        else:
            trend[:, j] = (cs[:, j + half + 1] - cs[:, j - half]) / season
    det = y - trend
    pos = np.arange(t) % season
    idx = np.stack([np.nanmean(det[:, pos == k], axis=1) for k in range(season)], axis=1)
    idx -= idx.mean(axis=1, keepdims=True)
    seas = idx[:, pos]
    rem = det - seas
    ok = np.isfinite(det[0])
    var_r = np.var(rem[:, ok], axis=1)
    var_sr = np.var(det[:, ok], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 1 - var_r / var_sr
    return np.where(var_sr > 1e-12, np.clip(f, 0.0, 1.0), 0.0)


def nsdiffs(y: np.ndarray, season: int = 12) -> np.ndarray:
    """Seasonal differences per row (0 or 1): 1 where the seasonal strength exceeds 0.64."""
    y = np.asarray(y, dtype=float)
    if y.shape[1] < 2 * season:
        return np.zeros(len(y), dtype=np.int64)
    return (seasonal_strength(y, season) > STRENGTH_CRIT).astype(np.int64)


# -------------------------------------------------------------------------- compiled kernels
@nb.njit(cache=True)
def _pacf_to_poly(u: np.ndarray, off: int, k: int, out: np.ndarray, work: np.ndarray) -> None:
    """Coefficients ``c`` of a stationary ``1 − Σ c_j B^j`` from unconstrained ``u[off:off+k]``."""
    for j in range(k):
        r = 0.99 * np.tanh(u[off + j])
        for i in range(j):
            work[i] = out[i] - r * out[j - 1 - i]
        for i in range(j):
            out[i] = work[i]
        out[j] = r


@nb.njit(cache=True)
def _expand(
    phi: np.ndarray,
    p: int,
    sar: float,
    sp: int,
    theta: np.ndarray,
    q: int,
    sma: float,
    sq: int,
    s: int,
    ar: np.ndarray,
    ma: np.ndarray,
) -> tuple[int, int]:
    """Lag coefficients of ``φ(B)Φ(Bˢ) = 1 − Σ ar_i Bⁱ`` and ``θ(B)Θ(Bˢ) = 1 + Σ ma_i Bⁱ``.

    ``ar`` and ``ma`` (length ≥ 1 + 3 + s) get index = lag; returns the highest AR and MA lags.
    """
    la = p + s * sp
    lm = q + s * sq
    for i in range(la + 1):
        ar[i] = 0.0
    for i in range(lm + 1):
        ma[i] = 0.0
    for i in range(p):
        ar[i + 1] += phi[i]
    if sp:
        ar[s] += sar
        for i in range(p):
            ar[s + i + 1] -= phi[i] * sar
    for i in range(q):
        ma[i + 1] += theta[i]
    if sq:
        ma[s] += sma
        for i in range(q):
            ma[s + i + 1] += theta[i] * sma
    return la, lm


@nb.njit(cache=True)
def _residuals(
    x: np.ndarray, n: int, ar: np.ndarray, la: int, ma: np.ndarray, lm: int, e: np.ndarray
) -> float:
    """CSS residuals of ``x[:n]`` into ``e`` (0 before lag ``la``); returns their sum of squares."""
    sse = 0.0
    for t in range(n):
        if t < la:
            e[t] = 0.0
            continue
        v = x[t]
        for i in range(1, la + 1):
            c = ar[i]
            if c != 0.0:
                v -= c * x[t - i]
        for j in range(1, min(lm, t) + 1):
            c = ma[j]
            if c != 0.0:
                v -= c * e[t - j]
        e[t] = v
        sse += v * v
    return sse


@nb.njit(cache=True)
def _decode(
    u: np.ndarray, p: int, q: int, sp: int, sq: int, par: np.ndarray, work: np.ndarray
) -> None:
    """Unconstrained ``u`` → ``par`` (phi1..3, theta1..3, Phi, Theta; mu untouched)."""
    phi = par[0:3]
    theta = par[3:6]
    for i in range(3):
        phi[i] = 0.0
        theta[i] = 0.0
    _pacf_to_poly(u, 0, p, phi, work)
    _pacf_to_poly(u, p, q, theta, work)
    for i in range(q):
        theta[i] = -theta[i]
    par[6] = 0.99 * np.tanh(u[p + q]) if sp else 0.0
    par[7] = 0.99 * np.tanh(u[p + q + sp]) if sq else 0.0


@nb.njit(cache=True)
def _objective(u: np.ndarray, args: tuple) -> float:  # type: ignore[type-arg]
    x, n, s, p, q, sp, sq, par, work, ar, ma, e = args
    _decode(u, p, q, sp, sq, par, work)
    la, lm = _expand(par[0:3], p, par[6], sp, par[3:6], q, par[7], sq, s, ar, ma)
    sse = _residuals(x, n, ar, la, ma, lm, e)
    return np.log(max(sse, 1e-20) / max(n - la, 1))


_minimise = make_nelder_mead(_objective)


@nb.njit(cache=True)
def _fit_order(
    x: np.ndarray,
    n: int,
    s: int,
    p: int,
    q: int,
    sp: int,
    sq: int,
    max_eval: int,
    polish: bool,
    lc: int,
    par: np.ndarray,
    work: np.ndarray,
    ar: np.ndarray,
    ma: np.ndarray,
    e: np.ndarray,
) -> float:
    """CSS fit of one order to ``x[:n]`` (already centred); returns ``σ̂²`` (inf if too short)."""
    la = p + s * sp
    k = p + q + sp + sq
    if n - la < max(k + 4, 8):
        return np.inf
    # σ̂² for the AICc over a sample common to every candidate of the series (from lag ``lc``)
    lc = min(max(lc, la), n - k - 4)
    if k == 0:
        for i in range(8):
            par[i] = 0.0
        _expand(par[0:3], 0, 0.0, 0, par[3:6], 0, 0.0, 0, s, ar, ma)
        _residuals(x, n, ar, 0, ma, 0, e)
        return _tail_mse(e, n, lc)
    u0 = np.zeros(k)
    args = (x, n, s, p, q, sp, sq, par, work, ar, ma, e)
    u, _ = _minimise(u0, 0.5, max_eval * (k + 1), 1e-8, args)
    if polish:
        u, _ = _minimise(u, 0.1, max_eval * (k + 1) // 2, 1e-10, args)
    _decode(u, p, q, sp, sq, par, work)
    la, lm = _expand(par[0:3], p, par[6], sp, par[3:6], q, par[7], sq, s, ar, ma)
    _residuals(x, n, ar, la, ma, lm, e)
    return _tail_mse(e, n, lc)


@nb.njit(cache=True)
def _tail_mse(e: np.ndarray, n: int, lc: int) -> float:
    v = 0.0
    for t in range(lc, n):
        v += e[t] * e[t]
    return max(v / max(n - lc, 1), 1e-20)


@nb.njit(cache=True)
def _aicc(sigma2: float, big_n: int, k: int) -> float:
    if not np.isfinite(sigma2) or big_n - k - 2 <= 0:
        return np.inf
    kk = k + 1
    return big_n * np.log(sigma2) + 2.0 * kk + 2.0 * kk * (kk + 1) / (big_n - kk - 1)


@nb.njit(cache=True)
def _difference(y: np.ndarray, n: int, d: int, sd: int, s: int, w: np.ndarray) -> int:
    """``w = (1 − B)ᵈ (1 − Bˢ)ᴰ y[:n]``; returns its length."""
    m = n
    for t in range(n):
        w[t] = y[t]
    for _ in range(sd):
        for t in range(m - 1, s - 1, -1):
            w[t] = w[t] - w[t - s]
        for t in range(m - s):
            w[t] = w[t + s]
        m -= s
    for _ in range(d):
        for t in range(m - 1, 0, -1):
            w[t] = w[t] - w[t - 1]
        for t in range(m - 1):
            w[t] = w[t + 1]
        m -= 1
    return m


@nb.njit(cache=True)
def _search_one(
    w: np.ndarray,
    big_n: int,
    s: int,
    seasonal: bool,
    const_ok: bool,
    max_eval: int,
    polish: bool,
    max_models: int,
    fixed: np.ndarray,
    order: np.ndarray,
    par: np.ndarray,
) -> tuple[float, float]:
    """Stepwise AICc search (or one fixed order when ``fixed[0] >= 0``) on the differenced ``w``.

    Writes the chosen ``p, q, P, Q, constant`` into ``order`` (columns 0, 2, 3, 5, 6) and the
    parameters into ``par``; returns ``(σ̂², AICc)``.
    """
    mean = 0.0
    for t in range(big_n):
        mean += w[t]
    mean /= max(big_n, 1)
    xc = np.empty(big_n)
    x0 = np.empty(big_n)
    for t in range(big_n):
        xc[t] = w[t] - mean
        x0[t] = w[t]
    work = np.zeros(8)
    ar = np.zeros(4 + 2 * s)
    ma = np.zeros(4 + 2 * s)
    e = np.zeros(big_n)
    cur = np.zeros(_NPAR)
    seen = np.zeros((MAX_P + 1, MAX_Q + 1, 2, 2, 2), dtype=np.bool_)
    best = np.inf
    best_s2 = np.inf
    bo = np.zeros(5, dtype=np.int64)  # p, q, P, Q, c
    cand = np.zeros((16, 5), dtype=np.int64)
    n_models = 0
    lc = MAX_P + (s if seasonal else 0)
    if fixed[0] >= 0:
        nc = 1
        cand[0, 0] = fixed[P_]
        cand[0, 1] = fixed[Q_]
        cand[0, 2] = fixed[SP_] if seasonal else 0
        cand[0, 3] = fixed[SQ_] if seasonal else 0
        cand[0, 4] = fixed[C_] if const_ok else 0
    else:
        c0 = 1 if const_ok else 0
        sa = 1 if seasonal else 0
        nc = 4
        cand[0, 0], cand[0, 1], cand[0, 2], cand[0, 3], cand[0, 4] = 2, 2, sa, sa, c0
        cand[1, 0], cand[1, 1], cand[1, 2], cand[1, 3], cand[1, 4] = 0, 0, 0, 0, c0
        cand[2, 0], cand[2, 1], cand[2, 2], cand[2, 3], cand[2, 4] = 1, 0, sa, 0, c0
        cand[3, 0], cand[3, 1], cand[3, 2], cand[3, 3], cand[3, 4] = 0, 1, 0, sa, c0
    while nc > 0:
        improved = False
        for ci in range(nc):
            p, q, sp, sq, c = cand[ci, 0], cand[ci, 1], cand[ci, 2], cand[ci, 3], cand[ci, 4]
            if p < 0 or q < 0 or sp < 0 or sq < 0 or p > MAX_P or q > MAX_Q:
                continue
            if sp > 1 or sq > 1 or p + q + sp + sq > MAX_ORDER:
                continue
            if (sp + sq > 0 and not seasonal) or (c == 1 and not const_ok) or c < 0 or c > 1:
                continue
            if seen[p, q, sp, sq, c]:
                continue
            seen[p, q, sp, sq, c] = True
            if n_models >= max_models and fixed[0] < 0:
                continue
            n_models += 1
            x = xc if c == 1 else x0
            s2 = _fit_order(x, big_n, s, p, q, sp, sq, max_eval, polish, lc, cur, work, ar, ma, e)
            a = _aicc(s2, big_n, p + q + sp + sq + c)
            if a < best or (fixed[0] >= 0 and not np.isfinite(best)):
                best = a
                best_s2 = s2
                bo[0], bo[1], bo[2], bo[3], bo[4] = p, q, sp, sq, c
                for i in range(8):
                    par[i] = cur[i]
                par[8] = mean if c == 1 else 0.0
                improved = True
        if fixed[0] >= 0 or not improved:
            break
        # neighbours of the best model so far
        p, q, sp, sq, c = bo[0], bo[1], bo[2], bo[3], bo[4]
        nc = 0
        for dp, dq, dsp, dsq, dc in (
            (0, 0, 1, 0, 0), (0, 0, -1, 0, 0), (0, 0, 0, 1, 0), (0, 0, 0, -1, 0),
            (0, 0, 1, 1, 0), (0, 0, -1, -1, 0), (1, 0, 0, 0, 0), (-1, 0, 0, 0, 0),
            (0, 1, 0, 0, 0), (0, -1, 0, 0, 0), (1, 1, 0, 0, 0), (-1, -1, 0, 0, 0),
            (0, 0, 0, 0, 1 - 2 * c),
        ):  # fmt: skip
            pp, qq, ss, tt, cc = p + dp, q + dq, sp + dsp, sq + dsq, c + dc
            if pp < 0 or qq < 0 or ss < 0 or tt < 0 or pp > MAX_P or qq > MAX_Q:
                continue
            if ss > 1 or tt > 1 or cc < 0 or cc > 1:
                continue
            if seen[pp, qq, ss, tt, cc]:
                continue
            cand[nc, 0], cand[nc, 1], cand[nc, 2], cand[nc, 3], cand[nc, 4] = pp, qq, ss, tt, cc
            nc += 1
    if not np.isfinite(best):
        # too short for any ARMA term: white noise around the mean of w
        bo[:] = 0
        bo[4] = 1 if const_ok else 0
        for i in range(8):
            par[i] = 0.0
        par[8] = mean if const_ok else 0.0
        v = 0.0
        for t in range(big_n):
            r = w[t] - par[8]
            v += r * r
        best_s2 = max(v / max(big_n, 1), 1e-20)
        best = _aicc(best_s2, big_n, bo[4])
    order[P_], order[Q_], order[SP_], order[SQ_], order[C_] = bo[0], bo[1], bo[2], bo[3], bo[4]
    return best_s2, best


@nb.njit(cache=True, parallel=True)
def _fit_block(
    y: np.ndarray,
    s: int,
    orders: np.ndarray,
    fixed: np.ndarray,
    max_eval: int,
    polish: bool,
    max_models: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit every row of ``y`` with its differencing in ``orders`` (columns d, D set)."""
    nser, n = y.shape
    par = np.zeros((nser, _NPAR))
    sigma2 = np.zeros(nser)
    aicc = np.zeros(nser)
    for i in nb.prange(nser):
        d = orders[i, D_]
        sd = orders[i, SD_]
        w = np.empty(n)
        big_n = _difference(y[i], n, d, sd, s, w)
        seasonal = orders[i, SD_] >= 0 and n >= 2 * s and big_n > s + 8
        const_ok = d + sd <= 1
        s2, a = _search_one(
            w,
            big_n,
            s,
            seasonal,
            const_ok,
            max_eval,
            polish,
            max_models,
            fixed[i],
            orders[i],
            par[i],
        )
        sigma2[i] = s2
        aicc[i] = a
    return par, sigma2, aicc


@nb.njit(cache=True)
def _forecast_one(
    y: np.ndarray,
    o: int,
    s: int,
    order: np.ndarray,
    par: np.ndarray,
    h: int,
    out: np.ndarray,
) -> None:
    """Forecast ``h`` steps after ``y[:o]`` into ``out`` (parameters fixed)."""
    d = order[D_]
    sd = order[SD_]
    if o <= d + s * sd + 1:  # too short for the differencing: the last value
        for k in range(h):
            out[k] = y[o - 1] if o > 0 else 0.0
        return
    w = np.empty(o + h)
    big_n = _difference(y, o, d, sd, s, w)
    mu = par[8]
    ar = np.zeros(4 + 2 * s)
    ma = np.zeros(4 + 2 * s)
    la, lm = _expand(
        par[0:3], order[P_], par[6], order[SP_], par[3:6], order[Q_], par[7], order[SQ_], s,
        ar, ma,
    )  # fmt: skip
    x = np.empty(big_n + h)
    for t in range(big_n):
        x[t] = w[t] - mu
    e = np.zeros(big_n + h)
    if big_n > 0:
        _residuals(x, big_n, ar, la, ma, lm, e)
    for k in range(h):
        t = big_n + k
        v = 0.0
        for i in range(1, la + 1):
            if t - i >= 0:
                v += ar[i] * x[t - i]
        for j in range(1, lm + 1):
            if t - j >= 0:
                v += ma[j] * e[t - j]
        x[t] = v
        e[t] = 0.0
    # undo the differencing: y_t = w_t − Σ_{i≥1} δ_i y_{t−i}
    dl = d + s * sd
    delta = np.zeros(dl + 1)
    delta[0] = 1.0
    cur = 0
    for _ in range(sd):
        for i in range(cur + s, s - 1, -1):
            delta[i] -= delta[i - s]
        cur += s
    for _ in range(d):
        for i in range(cur + 1, 0, -1):
            delta[i] -= delta[i - 1]
        cur += 1
    yy = np.empty(o + h)
    for t in range(o):
        yy[t] = y[t]
    for k in range(h):
        t = o + k
        v = x[big_n + k] + mu
        for i in range(1, dl + 1):
            if t - i >= 0:
                v -= delta[i] * yy[t - i]
        yy[t] = v
        out[k] = v


@nb.njit(cache=True, parallel=True)
def _forecast_block(
    y: np.ndarray, s: int, orders: np.ndarray, par: np.ndarray, origins: np.ndarray, h: int
) -> np.ndarray:
    nser = y.shape[0]
    out = np.zeros((len(origins), nser, h))
    for i in nb.prange(nser):
        for k in range(len(origins)):
            _forecast_one(y[i], origins[k], s, orders[i], par[i], h, out[k, i])
    return out


@nb.njit(cache=True)
def _psi_block(s: int, orders: np.ndarray, par: np.ndarray, h: int) -> np.ndarray:
    """Psi weights ψ_0..ψ_{h−1} of every row's full (differenced) model."""
    nser = orders.shape[0]
    out = np.zeros((nser, h))
    for i in range(nser):
        o = orders[i]
        ar = np.zeros(4 + 2 * s)
        ma = np.zeros(4 + 2 * s)
        la, lm = _expand(
            par[i, 0:3], o[P_], par[i, 6], o[SP_], par[i, 3:6], o[Q_], par[i, 7], o[SQ_], s,
            ar, ma,
        )  # fmt: skip
        # full AR operator: (1 − Σ ar_j Bʲ) (1 − B)ᵈ (1 − Bˢ)ᴰ = 1 − Σ alpha_j Bʲ
        dl = o[D_] + s * o[SD_]
        poly = np.zeros(la + dl + 1)
        poly[0] = 1.0
        for j in range(1, la + 1):
            poly[j] = -ar[j]
        cur = la
        for _ in range(o[SD_]):
            for j in range(cur + s, s - 1, -1):
                poly[j] -= poly[j - s]
            cur += s
        for _ in range(o[D_]):
            for j in range(cur + 1, 0, -1):
                poly[j] -= poly[j - 1]
            cur += 1
        psi = out[i]
        psi[0] = 1.0
        for k in range(1, h):
            v = ma[k] if k <= lm else 0.0
            for j in range(1, min(k, cur) + 1):
                v -= poly[j] * psi[k - j]
            psi[k] = v
    return out


# ------------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class ArimaFit:
    """Seasonal ARIMA models fitted to the rows of a block (data scaled by ``scale`` per row).

    Attributes
    ----------
    order : ndarray (n, 7) int
        ``p, d, q, P, D, Q, constant`` per row.
    params : ndarray (n, 9)
        ``φ₁..φ₃, θ₁..θ₃, Φ₁, Θ₁, μ`` (``μ`` on the scaled data; unused coefficients 0).
    sigma2 : ndarray (n,)
        Innovation variance on the scaled data (mean squared CSS residual).
    aicc : ndarray (n,)
        AICc of the chosen model (on the differenced, scaled series).
    scale : ndarray (n,)
        Mean absolute value of each row's fitting data [currency].
    season : int
    """

    order: np.ndarray
    params: np.ndarray
    sigma2: np.ndarray
    aicc: np.ndarray
    scale: np.ndarray
    season: int

    @property
    def names(self) -> np.ndarray:
        """Chosen model per row, e.g. ``"ARIMA(1,1,1)(0,1,1)[12]"`` (``with drift``/``mean``)."""
        out = []
        for p, d, q, sp, sd, sq, c in self.order:
            name = f"ARIMA({p},{d},{q})"
            if sp or sd or sq:
                name += f"({sp},{sd},{sq})[{self.season}]"
            if c:
                name += " with drift" if d + sd == 1 else " with mean"
            out.append(name)
        return np.array(out, dtype=object)


def arima_fit(
    y: np.ndarray,
    season: int = 12,
    *,
    seasonal: bool | None = None,
    only: np.ndarray | None = None,
    max_eval: int = 30,
    max_models: int = 20,
    polish: bool = False,
) -> ArimaFit:
    """Choose and fit a seasonal ARIMA model per row of ``y`` (n, T; one length, no NaN).

    Parameters
    ----------
    y : ndarray (n, T)
        Series of one length [currency/month].
    season : int
        Months per seasonal cycle ``s``.
    seasonal : bool, optional
        Allow seasonal differencing and seasonal terms (default: when ``T ≥ 2 s``).
    only : ndarray of int (n, 7), optional
        Fit just this order per row (``p, d, q, P, D, Q, constant``, e.g. the choice of an
        earlier fit on a longer history). Seasonal parts that do not fit the rows' length are
        dropped; the constant is dropped where ``d + D ≥ 2``.
    max_eval : int
        Nelder–Mead budget per model, per parameter (objective evaluations).
    max_models : int
        Most models the stepwise search fits per series.
    polish : bool
        Restart Nelder–Mead once from its result with a smaller simplex (half the budget).

    Returns
    -------
    ArimaFit
    """
    y = np.ascontiguousarray(y, dtype=float)
    n, t = y.shape
    if not np.isfinite(y).all():
        raise ValueError("arima_fit needs rows without NaN (one block of one length)")
    scale = np.abs(y).mean(axis=1)
    scale = np.where(scale > 1e-12, scale, 1.0)
    ys = np.ascontiguousarray(y / scale[:, None])
    seasonal_ok = t >= 2 * season if seasonal is None else bool(seasonal) and t >= 2 * season
    orders = np.zeros((n, 7), dtype=np.int64)
    fixed = np.full((n, 7), -1, dtype=np.int64)
    if only is not None:
        fixed = np.array(only, dtype=np.int64, copy=True).reshape(n, 7)
        orders[:, D_] = fixed[:, D_]
        orders[:, SD_] = fixed[:, SD_] if seasonal_ok else 0
        # the shorter history must leave enough differenced months for the chosen terms
        short = t - orders[:, SD_] * season - orders[:, D_] < season + 10
        orders[short & (orders[:, SD_] > 0), SD_] = 0
    else:
        if seasonal_ok:
            orders[:, SD_] = nsdiffs(ys, season)
        x = ys.copy()
        sd = orders[:, SD_] == 1
        if sd.any():
            x = np.where(
                sd[:, None], np.c_[np.zeros((n, season)), ys[:, season:] - ys[:, :-season]], ys
            )
        for val in (0, 1) if seasonal_ok else (0,):
            rows = orders[:, SD_] == val
            if rows.any():
                orders[rows, D_] = ndiffs(x[rows][:, season * val :])
    if not seasonal_ok:
        orders[:, SD_] = -1  # marks "no seasonal terms" for the kernel
    par, sigma2, aicc = _fit_block(ys, season, orders, fixed, max_eval, polish, max_models)
    orders[:, SD_] = np.maximum(orders[:, SD_], 0)
    if not seasonal_ok:
        orders[:, SP_] = 0
        orders[:, SQ_] = 0
    return ArimaFit(orders, par, sigma2, aicc, scale, season)


def arima_forecast_at(fit: ArimaFit, y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """Forecasts (len(origins), n, h) [currency/month] after each origin, parameters fixed.

    An origin ``o`` is a column count: the forecast has seen ``y[:, :o]``, where ``y`` holds
    the fitted rows and possibly later months (a rolling-origin backtest at the cost of one
    fit).
    """
    scaled = np.ascontiguousarray(y / fit.scale[:, None], dtype=float)
    return (
        _forecast_block(
            scaled, fit.season, fit.order, fit.params, np.asarray(origins, dtype=np.int64), int(h)
        )
        * fit.scale[None, :, None]
    )


def arima_variance(fit: ArimaFit, h: int) -> np.ndarray:
    """Prediction variance of the 1..``h``-step forecasts per row, (n, h) [currency²].

    ``σ² Σ_{j<k} ψ_j²`` from the psi weights of the full model (differencing included).
    """
    psi = _psi_block(fit.season, fit.order, fit.params, int(h))
    return np.cumsum(psi * psi, axis=1) * (fit.sigma2 * fit.scale**2)[:, None]
