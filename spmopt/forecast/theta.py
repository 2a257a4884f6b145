"""The Theta family: standard, optimised and dynamic optimised Theta models.

Formulation (state-space Theta models of Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler
2016). On the (seasonally adjusted) series ``Y_1..Y_n`` let ``A_t, B_t`` be the intercept and
slope of the least-squares line through ``Y_1..Y_t`` (time ``1..t``), ``q = 1 − α``. Then

- one-step forecast ``μ_t = ℓ_{t−1} + (1 − 1/θ) [q^{t−1} A_{t−1} + (1 − q^t)/α · B_{t−1}]``;
- level ``ℓ_t = α Y_t + q ℓ_{t−1}`` (simple exponential smoothing);
- ``h``-step forecast ``ℓ_n + (1 − 1/θ) [q^n A_n + ((1 − q^{n+1})/α + h − 1) B_n]``.

*Static* models (``STM`` with θ = 2, the classical Theta method of Assimakopoulos &
Nikolopoulos, i.e. SES with drift of half the trend; ``OTM`` with θ ≥ 1 estimated) use the
line of the whole sample, ``A_t = A_n, B_t = B_n``. *Dynamic* models (``DSTM``, ``DOTM``) update
the line every month: ``Ȳ_t = ((t−1) Ȳ_{t−1} + Y_t)/t``,
``B_t = ((t−2) B_{t−1} + 6 (Y_t − Ȳ_{t−1})/t)/(t+1)``, ``A_t = Ȳ_t − (t+1) B_t / 2``.
``α``, ``ℓ_0`` (and ``θ``) minimise the in-sample mean squared one-step error (Nelder–Mead) and
the model with the smallest error is chosen per series. Seasonality is handled outside, by a
classical multiplicative decomposition when a seasonality test says so
(:func:`spmopt.forecast.statistical.decompose`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from spmopt.forecast._optim import make_nelder_mead

__all__ = ["MODEL_NAMES", "ThetaFit", "theta_fit", "theta_forecast_at"]

#: (dynamic, theta estimated) per model code.
MODEL_NAMES: tuple[str, ...] = ("STM", "OTM", "DSTM", "DOTM")
_KINDS = np.array([(0, 0), (0, 1), (1, 0), (1, 1)], dtype=np.int64)


@nb.njit(cache=True)
def _line(y: np.ndarray, n: int) -> tuple[float, float]:
    """Intercept (at time 0) and slope of the least-squares line through y[:n] at times 1..n."""
    if n < 2:
        return y[0], 0.0
    tm = (n + 1) / 2.0
    ym = 0.0
    for t in range(n):
        ym += y[t]
    ym /= n
    num = 0.0
    den = 0.0
    for t in range(n):
        num += (t + 1 - tm) * (y[t] - ym)
        den += (t + 1 - tm) ** 2
    b = num / den
    return ym - b * tm, b


@nb.njit(cache=True)
def _run(
    y: np.ndarray, n: int, dynamic: int, alpha: float, theta: float, l0: float, h: int
) -> tuple[float, np.ndarray]:
    """Filter ``y[:n]``: mean squared one-step error and the ``h``-step forecasts."""
    q = 1.0 - alpha
    w = 1.0 - 1.0 / theta
    lev = l0
    if dynamic:
        a_t, b_t, ybar = 0.0, 0.0, 0.0
    else:
        a_t, b_t = _line(y, n)
        ybar = 0.0
    sse = 0.0
    qt = 1.0  # q ** (t - 1)
    for t in range(1, n + 1):
        yt = y[t - 1]
        mu = lev + w * (qt * a_t + (1.0 - qt * q) / alpha * b_t)
        e = yt - mu
        sse += e * e
        lev = alpha * yt + q * lev
        if dynamic:
            ybar_new = ((t - 1) * ybar + yt) / t
            if t == 1:
                b_t = 0.0
            else:
                b_t = ((t - 2) * b_t + 6.0 * (yt - ybar) / t) / (t + 1)
            ybar = ybar_new
            a_t = ybar - (t + 1) * b_t / 2.0
        qt *= q
    f = np.empty(h)
    for k in range(h):
        f[k] = lev + w * (qt * a_t + ((1.0 - qt * q) / alpha + k) * b_t)
    return sse / n, f


@nb.njit(cache=True)
def _decode(u: np.ndarray, opt_theta: int, l0i: float) -> tuple[float, float, float]:
    alpha = 0.01 + 0.98 / (1.0 + np.exp(-u[0]))
    l0 = l0i + u[1]
    theta = 1.0 + np.exp(min(u[2], 5.0)) if opt_theta else 2.0
    return alpha, theta, l0


@nb.njit(cache=True)
def _objective(u: np.ndarray, args: tuple) -> float:  # type: ignore[type-arg]
    y, n, dynamic, opt_theta, l0i = args
    alpha, theta, l0 = _decode(u, opt_theta, l0i)
    mse, _ = _run(y, n, dynamic, alpha, theta, l0, 0)
    return mse if np.isfinite(mse) else 1e300


_minimise = make_nelder_mead(_objective)


@nb.njit(cache=True, parallel=True)
def _fit_block(
    y: np.ndarray, allowed: np.ndarray, max_eval: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the models allowed per row (``allowed`` (n, 4)); keep the smallest MSE."""
    nser, n = y.shape
    code = np.zeros(nser, dtype=np.int64)
    par = np.zeros((nser, 3))  # alpha, theta, l0
    mse = np.full((nser, 4), np.inf)
    for i in nb.prange(nser):
        yi = y[i]
        best = np.inf
        start = np.zeros(3)  # the optimised models start from the standard model's optimum
        for c in range(4):
            if not allowed[i, c]:
                continue
            dyn, opt = _KINDS[c, 0], _KINDS[c, 1]
            d = 3 if opt else 2
            args = (yi, n, dyn, opt, yi[0])
            u, val = _minimise(start[:d].copy(), 0.5, max_eval, 1e-8, args)
            if opt and val > mse[i, c - 1] and allowed[i, c - 1]:
                # never worse than the θ = 2 model it nests (θ = 2 is u[2] = 0)
                u = start.copy()
                val = mse[i, c - 1]
            if not opt:
                start[:2] = u
            else:
                start[:] = 0.0
            mse[i, c] = val
            if val < best:
                best = val
                code[i] = c
                uu = np.zeros(3)
                uu[:d] = u
                alpha, theta, l0 = _decode(uu, opt, yi[0])
                par[i, 0] = alpha
                par[i, 1] = theta
                par[i, 2] = l0
    return code, par, mse


@nb.njit(cache=True, parallel=True)
def _forecast_block(
    y: np.ndarray, code: np.ndarray, par: np.ndarray, origins: np.ndarray, h: int
) -> np.ndarray:
    nser = y.shape[0]
    out = np.zeros((len(origins), nser, h))
    for i in nb.prange(nser):
        dyn = _KINDS[code[i], 0]
        for k in range(len(origins)):
            _, f = _run(y[i], origins[k], dyn, par[i, 0], par[i, 1], par[i, 2], h)
            out[k, i] = f
    return out


@dataclass(frozen=True)
class ThetaFit:
    """Theta models fitted to the rows of a block (data scaled by ``scale`` per row).

    Attributes
    ----------
    code : ndarray (n,) int, index into :data:`MODEL_NAMES`.
    params : ndarray (n, 3), ``alpha, theta, l0`` (``l0`` on the scaled data).
    mse : ndarray (n, 4), in-sample mean squared one-step error of every model (scaled data).
    scale : ndarray (n,), mean absolute value of each row's fitting data.
    """

    code: np.ndarray
    params: np.ndarray
    mse: np.ndarray
    scale: np.ndarray

    @property
    def names(self) -> np.ndarray:
        """Chosen model per row (``STM, OTM, DSTM, DOTM``)."""
        return np.array(MODEL_NAMES, dtype=object)[self.code]


def theta_fit(
    y: np.ndarray,
    *,
    models: tuple[str, ...] | None = None,
    max_eval: int = 200,
    only: np.ndarray | None = None,
) -> ThetaFit:
    """Fit the Theta models to every row of ``y`` (n, T; seasonally adjusted, no NaN).

    ``models`` restricts the choice (e.g. ``("STM",)`` for the classical Theta method); the
    model with the smallest in-sample MSE is kept. ``only`` (a code per row into
    :data:`MODEL_NAMES`) fits just that model on each row.
    """
    y = np.ascontiguousarray(y, dtype=float)
    scale = np.abs(y).mean(axis=1)
    scale = np.where(scale > 1e-12, scale, 1.0)
    ys = np.ascontiguousarray(y / scale[:, None])
    keep = np.ones((len(ys), 4), dtype=bool)
    if models is not None:
        keep[:] = np.isin(np.array(MODEL_NAMES), models)[None, :]
        if not keep.any():
            raise ValueError(f"theta models {models} unknown; allowed: {list(MODEL_NAMES)}")
    if only is not None:
        keep[:] = False
        keep[np.arange(len(ys)), np.asarray(only, dtype=np.int64)] = True
    code, par, mse = _fit_block(ys, keep, max_eval)
    return ThetaFit(code, par, mse, scale)


def theta_forecast_at(fit: ThetaFit, y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """Forecasts ``h`` months after each origin with the fitted parameters fixed.

    The line (static models) and the states (dynamic models) are recomputed from ``y[:, :o]``
    for every origin ``o``. Returns (len(origins), n, h).
    """
    ys = np.ascontiguousarray(y / fit.scale[:, None], dtype=float)
    org = np.asarray(origins, dtype=np.int64)
    return _forecast_block(ys, fit.code, fit.params, org, h) * fit.scale[None, :, None]
