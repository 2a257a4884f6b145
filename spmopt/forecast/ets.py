"""The exponential-smoothing (ETS) family in state-space form, fitted by maximum likelihood.

Formulation (Hyndman, Koehler, Ord & Snyder 2008, innovations state space). With level ``l``,
trend ``b``, seasonal states ``s`` (period ``m``), damping ``φ`` (``φ = 1`` for an additive,
undamped trend; ``b = 0`` without trend), write ``q = l + φ b`` and ``p`` for the observation
with the season taken out (``y - s`` additive, ``y / s`` multiplicative). Then

- one-step forecast ``μ = q`` (no season), ``q + s`` (additive) or ``q · s`` (multiplicative);
- ``l ← α p + (1 − α) q``;  ``b ← φ b + β (p − q)``;
  ``s ← s + γ (y − q − s)`` (additive) or ``s + γ (y / q − s)`` (multiplicative);
- error ``ε = y − μ`` (additive error) or ``ε = (y − μ) / μ`` (multiplicative error).

The point recursions are the same for both error types; the error type changes the likelihood:
``−2 log L = T log Σε² + 2 Σ log|μ|`` (the second term for multiplicative errors only), up to a
constant. The admissible models are errors A/M × trend N/A/Ad × season N/A/M less the unstable
additive-error, multiplicative-season ones (15 models; multiplicative ones need positive data).
Parameters are ``0 < α < 1``, ``0 < β < α``, ``0 < γ < 1 − α``, ``0.8 ≤ φ ≤ 0.98`` together with
the initial level and trend, estimated by Nelder–Mead on the likelihood; the initial seasonal
states come from a classical decomposition of the first three seasons (counted as parameters in
the AICc, as the forecast package does). The model is chosen per series by AICc.

Everything runs in numba-compiled loops over the series of a block, so thousands of series fit
in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from spmopt.forecast._optim import make_nelder_mead

__all__ = ["MODEL_NAMES", "EtsFit", "ets_fit", "ets_forecast_at"]

# model codes: (error, trend, season) with error 0=A 1=M, trend 0=N 1=A 2=Ad, season 0=N 1=A 2=M
_SPECS = np.array(
    [
        (e, t, s)
        for e in (0, 1)
        for t in (0, 1, 2)
        for s in (0, 1, 2)
        if not (e == 0 and s == 2)  # additive error with multiplicative season: unstable
    ],
    dtype=np.int64,
)
#: Names of the admissible models, in the order of their codes (``ETS(error, trend, season)``).
MODEL_NAMES: tuple[str, ...] = tuple(
    "".join(("AM"[e], ("N", "A", "Ad")[t], "NAM"[s])) for e, t, s in _SPECS
)

_CODE = {tuple(int(v) for v in spec): i for i, spec in enumerate(_SPECS)}
_BIG = 1e300


@nb.njit(cache=True, inline="always")
def _sig(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


@nb.njit(cache=True)
def _decode(
    u: np.ndarray, trend: int, season: int, l0i: float, b0i: float, out: np.ndarray
) -> None:
    """Unconstrained vector ``u`` → (alpha, beta, gamma, phi, l0, b0) in ``out``."""
    k = 0
    alpha = 1e-4 + (0.9998 - 1e-4) * _sig(u[k])
    k += 1
    beta = 0.0
    phi = 1.0
    if trend > 0:
        beta = alpha * (1e-3 + 0.998 * _sig(u[k]))
        k += 1
    gamma = 0.0
    if season > 0:
        gamma = (1.0 - alpha) * (1e-3 + 0.998 * _sig(u[k]))
        k += 1
    if trend == 2:
        phi = 0.8 + 0.18 * _sig(u[k])
        k += 1
    l0 = l0i + u[k]
    k += 1
    b0 = 0.0
    if trend > 0:
        b0 = b0i + 0.1 * u[k]
    out[0] = alpha
    out[1] = beta
    out[2] = gamma
    out[3] = phi
    out[4] = l0
    out[5] = b0


@nb.njit(cache=True)
def _loglik(
    y: np.ndarray,
    n: int,
    m: int,
    error: int,
    trend: int,
    season: int,
    par: np.ndarray,
    s0: np.ndarray,
    s: np.ndarray,
    res: np.ndarray,
) -> float:
    """``T log Σε² + 2 Σ log|μ|`` (second term for multiplicative errors) over ``y[:n]``.

    The errors ``ε`` are written to ``res`` when it has room for them.
    """
    keep = len(res) >= n
    alpha, beta, gamma, phi = par[0], par[1], par[2], par[3]
    lev = par[4]
    b = par[5]
    for j in range(m):
        s[j] = s0[j]
    sse = 0.0
    slog = 0.0
    for t in range(n):
        q = lev + phi * b
        j = t % m
        if season == 0:
            mu = q
            p = y[t]
        elif season == 1:
            mu = q + s[j]
            p = y[t] - s[j]
        else:
            mu = q * s[j]
            if s[j] <= 1e-8:
                return _BIG
            p = y[t] / s[j]
        if error == 1:
            if mu <= 1e-8 or q <= 1e-8:
                return _BIG
            e = (y[t] - mu) / mu
            slog += np.log(mu)
        else:
            e = y[t] - mu
            if season == 2 and q <= 1e-8:
                return _BIG
        sse += e * e
        if keep:
            res[t] = e
        lev = alpha * p + (1.0 - alpha) * q
        b = phi * b + beta * (p - q)
        if season == 1:
            s[j] = s[j] + gamma * (y[t] - q - s[j])
        elif season == 2:
            s[j] = s[j] + gamma * (y[t] / q - s[j])
        if not np.isfinite(lev) or abs(lev) > 1e10:
            return _BIG
    return n * np.log(max(sse, 1e-20 * n)) + 2.0 * slog


@nb.njit(cache=True)
def _objective(u: np.ndarray, args: tuple) -> float:  # type: ignore[type-arg]
    y, n, m, spec, l0i, b0i, s0, par, s = args
    _decode(u, spec[1], spec[2], l0i, b0i, par)
    return _loglik(y, n, m, spec[0], spec[1], spec[2], par, s0, s, np.empty(0))


_minimise = make_nelder_mead(_objective)


@nb.njit(cache=True)
def _refine_initial(
    y: np.ndarray, n: int, m: int, spec: np.ndarray, par: np.ndarray, s0: np.ndarray
) -> float:
    """Gauss–Newton steps on the initial states (level, trend, seasonal) for fixed smoothing.

    Minimises the one-step errors over ``x0 = (l0, b0, s0)`` with a finite-difference Jacobian
    (damped, accepted only when the likelihood improves), then renormalises the seasonal
    states (sum 0 or mean 1) against the level. Updates ``par[4:6]`` and ``s0`` in place and
    returns the likelihood term.
    """
    error, trend, season = spec[0], spec[1], spec[2]
    idx = [4]
    if trend > 0:
        idx.append(5)
    p = len(idx) + (m if season > 0 else 0)
    s = np.empty(m)
    r0 = np.empty(n)
    r1 = np.empty(n)
    jac = np.empty((n, p))
    best = _loglik(y, n, m, error, trend, season, par, s0, s, r0)
    if best >= _BIG:
        return best
    trial = par.copy()
    ts0 = s0.copy()
    for _ in range(3):
        for k in range(p):
            for j in range(6):
                trial[j] = par[j]
            for j in range(m):
                ts0[j] = s0[j]
            if k < len(idx):
                trial[idx[k]] += 1e-5
            else:
                ts0[k - len(idx)] += 1e-5
            _loglik(y, n, m, error, trend, season, trial, ts0, s, r1)
            for t in range(n):
                jac[t, k] = (r1[t] - r0[t]) / 1e-5
        jtj = jac.T @ jac
        lam = 1e-6 * (np.trace(jtj) / p + 1e-12)
        for k in range(p):
            jtj[k, k] += lam
        step = np.linalg.solve(jtj, -(jac.T @ r0))
        improved = False
        for shrink in (1.0, 0.5, 0.25):
            for j in range(6):
                trial[j] = par[j]
            for j in range(m):
                ts0[j] = s0[j]
            for k in range(p):
                if k < len(idx):
                    trial[idx[k]] += shrink * step[k]
                else:
                    ts0[k - len(idx)] += shrink * step[k]
            val = _loglik(y, n, m, error, trend, season, trial, ts0, s, r1)
            if val < best - 1e-9:
                best = val
                for j in range(6):
                    par[j] = trial[j]
                for j in range(m):
                    s0[j] = ts0[j]
                for t in range(n):
                    r0[t] = r1[t]
                improved = True
                break
        if not improved:
            break
    if season == 1:
        c = s0.mean()
        s0 -= c
        par[4] += c
    elif season == 2:
        c = s0.mean()
        if c > 1e-8:
            s0 /= c
            par[4] *= c
            par[5] *= c
    return _loglik(y, n, m, error, trend, season, par, s0, s, np.empty(0))


@nb.njit(cache=True)
def _init_states(y: np.ndarray, n: int, m: int, season: int) -> tuple[float, float, np.ndarray]:
    """Heuristic initial level, trend and seasonal states (classical decomposition)."""
    s0 = np.zeros(m) if season != 2 else np.ones(m)
    x = y[:n].copy()
    if season > 0 and n >= 2 * m:
        k = min(n, 3 * m)
        # centred 2×m moving average over the first k months
        half = m // 2
        cnt = np.zeros(m)
        acc = np.zeros(m)
        for t in range(half, k - half):
            tr = 0.5 * (y[t - half] + y[t + half])
            for j in range(t - half + 1, t + half):
                tr += y[j]
            tr /= m
            if season == 1:
                acc[t % m] += y[t] - tr
            else:
                acc[t % m] += y[t] / tr if tr > 1e-12 else 1.0
            cnt[t % m] += 1
        tot = 0.0
        for j in range(m):
            s0[j] = acc[j] / cnt[j] if cnt[j] > 0 else (0.0 if season == 1 else 1.0)
            tot += s0[j]
        for j in range(m):
            if season == 1:
                s0[j] -= tot / m
            else:
                s0[j] *= m / tot
        for t in range(n):
            x[t] = y[t] - s0[t % m] if season == 1 else y[t] / s0[t % m]
    k = min(n, 10)
    tm = (k - 1) / 2.0
    num = 0.0
    den = 0.0
    mean = 0.0
    for t in range(k):
        mean += x[t]
    mean /= k
    for t in range(k):
        num += (t - tm) * (x[t] - mean)
        den += (t - tm) ** 2
    b0 = num / den if den > 0 else 0.0
    l0 = mean - b0 * (tm + 1.0)  # level one step before the first observation
    return l0, b0, s0


@nb.njit(cache=True)
def _n_par(spec: np.ndarray) -> int:
    return 2 + (2 if spec[1] > 0 else 0) + (1 if spec[2] > 0 else 0) + (1 if spec[1] == 2 else 0)


@nb.njit(cache=True, parallel=True)
def _fit_block(
    y: np.ndarray, m: int, specs: np.ndarray, allowed: np.ndarray, max_eval: int, refine: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit every allowed spec to every row; return best spec index, params, seasonal, AICc."""
    nser, n = y.shape
    nspec = specs.shape[0]
    best = np.full(nser, -1, dtype=np.int64)
    bpar = np.zeros((nser, 6))
    bs0 = np.zeros((nser, m))
    aicc = np.full((nser, nspec), np.inf)
    for i in nb.prange(nser):
        yi = y[i]
        par = np.empty(6)
        s = np.empty(m)
        best_val = np.inf
        for c in range(nspec):
            if not allowed[i, c]:
                continue
            spec = specs[c]
            l0i, b0i, s0 = _init_states(yi, n, m, spec[2])
            d = _n_par(spec)
            u0 = np.zeros(d)
            u0[0] = -1.0  # alpha ≈ 0.27
            k = 1
            if spec[1] > 0:
                u0[k] = -2.0
                k += 1
            if spec[2] > 0:
                u0[k] = -2.0
                k += 1
            if spec[1] == 2:
                u0[k] = 1.0
            args = (yi, n, m, spec, l0i, b0i, s0, par, s)
            u, val = _minimise(u0, 0.6, max_eval, 1e-7, args)
            if val >= _BIG:
                continue
            if refine:
                # initial states by Gauss-Newton, then the smoothing parameters once more
                _decode(u, spec[1], spec[2], l0i, b0i, par)
                _refine_initial(yi, n, m, spec, par, s0)
                l0i, b0i = par[4], par[5]
                u[d - (2 if spec[1] > 0 else 1) :] = 0.0
                args = (yi, n, m, spec, l0i, b0i, s0, par, s)
                u, val = _minimise(u, 0.2, max_eval // 2, 1e-7, args)
                if val >= _BIG:
                    continue
            k_all = d + 1 + (m - 1 if spec[2] > 0 else 0)
            if n - k_all - 1 <= 0:
                continue
            a = val + 2.0 * k_all + 2.0 * k_all * (k_all + 1) / (n - k_all - 1)
            aicc[i, c] = a
            if a < best_val:
                best_val = a
                best[i] = c
                _decode(u, spec[1], spec[2], l0i, b0i, par)
                bpar[i] = par
                bs0[i] = s0
    return best, bpar, bs0, aicc


@nb.njit(cache=True, parallel=True)
def _forecast_block(
    y: np.ndarray,
    m: int,
    specs: np.ndarray,
    code: np.ndarray,
    par: np.ndarray,
    s0: np.ndarray,
    origins: np.ndarray,
    h: int,
) -> np.ndarray:
    """Filter every row with fixed parameters and forecast ``h`` steps after each origin."""
    nser = y.shape[0]
    no = len(origins)
    out = np.zeros((no, nser, h))
    for i in nb.prange(nser):
        spec = specs[code[i]]
        season = spec[2]
        alpha, beta, gamma, phi = par[i, 0], par[i, 1], par[i, 2], par[i, 3]
        lev = par[i, 4]
        b = par[i, 5]
        s = s0[i].copy()
        t = 0
        for k in range(no):
            o = origins[k]
            while t < o:
                q = lev + phi * b
                j = t % m
                yt = y[i, t]
                if season == 0:
                    p = yt
                elif season == 1:
                    p = yt - s[j]
                else:
                    p = yt / max(s[j], 1e-8)
                lev = alpha * p + (1.0 - alpha) * q
                b = phi * b + beta * (p - q)
                if season == 1:
                    s[j] = s[j] + gamma * (yt - q - s[j])
                elif season == 2:
                    s[j] = s[j] + gamma * (yt / max(q, 1e-8) - s[j])
                t += 1
            damp = 0.0
            pw = 1.0
            for step in range(h):
                pw *= phi
                damp += pw if spec[1] > 0 else 0.0
                q = lev + damp * b
                j = (o + step) % m
                if season == 0:
                    out[k, i, step] = q
                elif season == 1:
                    out[k, i, step] = q + s[j]
                else:
                    out[k, i, step] = q * s[j]
    return out


@dataclass(frozen=True)
class EtsFit:
    """ETS models fitted to the rows of a block (data scaled by ``scale`` per row).

    Attributes
    ----------
    code : ndarray (n,) int, index into :data:`MODEL_NAMES` of the model chosen by AICc.
    params : ndarray (n, 6), ``alpha, beta, gamma, phi, l0, b0`` (states on the scaled data).
    seasonal : ndarray (n, m), initial seasonal states.
    aicc : ndarray (n, 15), AICc of every admissible model (inf where not fitted).
    scale : ndarray (n,), mean absolute value of each row's fitting data [currency].
    season : int
    """

    code: np.ndarray
    params: np.ndarray
    seasonal: np.ndarray
    aicc: np.ndarray
    scale: np.ndarray
    season: int

    @property
    def names(self) -> np.ndarray:
        """Chosen model per row, e.g. ``"MAdM"``."""
        return np.array(MODEL_NAMES, dtype=object)[self.code]


def _allowed(
    y: np.ndarray,
    models: tuple[str, ...] | None,
    seasonal_ok: bool,
    only: np.ndarray | None = None,
    season_mask: np.ndarray | None = None,
) -> np.ndarray:
    n = y.shape[0]
    positive: np.ndarray = np.asarray((y > 0).all(axis=1))
    ok = np.ones((n, len(_SPECS)), dtype=bool)
    if only is not None:
        # one model per row; a seasonal one that cannot be fitted becomes its season-less twin
        code = np.asarray(only, dtype=np.int64)
        if not seasonal_ok:
            spec = _SPECS[code]
            spec[:, 2] = 0
            code = np.array([_CODE[tuple(r)] for r in spec], dtype=np.int64)
        ok[:] = False
        ok[np.arange(n), code] = True
    mult = (_SPECS[:, 0] == 1) | (_SPECS[:, 2] == 2)
    ok[:, mult] &= np.asarray(positive)[:, None]
    if not seasonal_ok:
        ok[:, _SPECS[:, 2] > 0] = False
    elif season_mask is not None and only is None:
        has = _SPECS[:, 2] > 0
        ok &= np.where(np.asarray(season_mask, bool)[:, None], has[None, :], ~has[None, :])
    if models is not None:
        ok &= np.isin(np.array(MODEL_NAMES), models)[None, :]
    # always at least ETS(A,N,N)
    none = ~ok.any(axis=1)
    ok[none, 0] = True
    return ok


def ets_fit(
    y: np.ndarray,
    season: int = 12,
    *,
    models: tuple[str, ...] | None = None,
    seasonal: bool | None = None,
    max_eval: int = 120,
    refine: bool = True,
    only: np.ndarray | None = None,
    season_mask: np.ndarray | None = None,
) -> EtsFit:
    """Fit the admissible ETS models to every row of ``y`` (n, T) and keep the best by AICc.

    Parameters
    ----------
    y : ndarray (n, T)
        Series of one length, no NaN [currency/month].
    season : int
        Months per seasonal cycle ``m``.
    models : tuple of str, optional
        Restrict the candidates (names as in :data:`MODEL_NAMES`, e.g. ``("AAdN",)``).
    seasonal : bool, optional
        Allow seasonal models (default: when there are at least two full seasons plus two
        months). Multiplicative models are only tried on strictly positive rows.
    max_eval : int
        Likelihood evaluations per model and series (Nelder–Mead budget).
    refine : bool
        Estimate all initial states (seasonal ones included) by Gauss–Newton after the first
        Nelder–Mead search, then search the smoothing parameters again.
    only : ndarray of int (n,), optional
        Fit just this model per row (a code into :data:`MODEL_NAMES`, e.g. the choice of an
        earlier fit on a longer history); a seasonal one becomes season-less when the rows are
        too short for a season, a multiplicative one additive when a row is not positive.
    season_mask : ndarray of bool (n,), optional
        Result of a seasonality test per row: seasonal rows try only the seasonal models,
        the others only the season-less ones (40 % fewer fits, the choice left to the test).
    """
    y = np.ascontiguousarray(y, dtype=float)
    t = y.shape[1]
    scale = np.abs(y).mean(axis=1)
    scale = np.where(scale > 1e-12, scale, 1.0)
    ys = np.ascontiguousarray(y / scale[:, None])
    seasonal_ok = t >= 2 * season + 2 if seasonal is None else bool(seasonal)
    allowed = _allowed(ys, models, seasonal_ok and t >= 2 * season, only, season_mask)
    code, par, s0, aicc = _fit_block(ys, season, _SPECS, allowed, max_eval, refine)
    bad = code < 0
    if bad.any():  # nothing fitted (degenerate rows): a flat level at the mean
        code[bad] = 0
        par[bad] = [0.5, 0.0, 0.0, 1.0, 0.0, 0.0]
        par[bad, 4] = ys[bad].mean(axis=1)
        s0[bad] = 0.0
    return EtsFit(code, par, s0, aicc, scale, season)


def ets_forecast_at(fit: EtsFit, y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """Forecasts ``h`` months after each origin with the fitted models (parameters fixed).

    ``y`` (n, T) holds the rows the models were fitted on, possibly extended with later months;
    ``origins`` are column counts (forecast after seeing ``y[:, :o]``). Returns
    (len(origins), n, h) [currency/month].
    """
    y = np.ascontiguousarray(y / fit.scale[:, None], dtype=float)
    org = np.asarray(origins, dtype=np.int64)
    out = _forecast_block(y, fit.season, _SPECS, fit.code, fit.params, fit.seasonal, org, h)
    return out * fit.scale[None, :, None]
