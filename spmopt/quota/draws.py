"""Revenue draws per territory and month of the plan year, for achievability.

Two sources:

* a ``ForecastResult`` (duck-typed: anything with ``.samples(n, seed=..., level="rep")`` that
  returns sample paths with ``unique_id``, ``ds`` and ``values`` of shape
  ``(n_draws, n_series, horizon)``): its own draws are used as they are, cross-series
  correlation included;
* a forecast table (``unique_id, ds, yhat, yhat_lo_80, yhat_hi_80[, yhat_lo_95, yhat_hi_95]``):
  draws are derived from the intervals, see :func:`draws_from_intervals`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Z80", "Z95", "draws_from_intervals", "interval_scales"]

Z80 = 1.2815515655446004  # standard normal quantile at 0.90
Z95 = 1.959963984540054  # standard normal quantile at 0.975


def interval_scales(
    yhat: np.ndarray,
    lo80: np.ndarray | None,
    hi80: np.ndarray | None,
    lo95: np.ndarray | None = None,
    hi95: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper standard deviations of a split normal matching the intervals.

    ``sigma_lo = (yhat - lo_80) / z_0.90`` and ``sigma_hi = (hi_80 - yhat) / z_0.90``; where the
    80% bounds are missing the 95% bounds are used with ``z_0.975``; where both are missing the
    scale is 0 (a point forecast). Negative widths (bounds on the wrong side) count as 0.
    """
    y = np.asarray(yhat, float)
    sig_lo = np.full_like(y, np.nan)
    sig_hi = np.full_like(y, np.nan)
    for lo, hi, z in ((lo80, hi80, Z80), (lo95, hi95, Z95)):
        if lo is not None:
            cand = (y - np.asarray(lo, float)) / z
            sig_lo = np.where(np.isnan(sig_lo), cand, sig_lo)
        if hi is not None:
            cand = (np.asarray(hi, float) - y) / z
            sig_hi = np.where(np.isnan(sig_hi), cand, sig_hi)
    sig_lo = np.clip(np.nan_to_num(sig_lo, nan=0.0), 0.0, None)
    sig_hi = np.clip(np.nan_to_num(sig_hi, nan=0.0), 0.0, None)
    return sig_lo, sig_hi


def draws_from_intervals(
    yhat: np.ndarray,
    sigma_lo: np.ndarray,
    sigma_hi: np.ndarray,
    n_draws: int,
    seed: int | None = 0,
    common_shock: float = 0.3,
    month_correlation: float = 0.6,
    chunk: int = 2048,
) -> np.ndarray:
    """Monthly revenue draws from point forecasts and interval half-widths.

    Model, for series ``i``, month ``m`` and draw ``d``::

        e[d, i, m] = sqrt(rho_c) Z[d] + sqrt(rho_t - rho_c) A[d, i] + sqrt(1 - rho_t) B[d, i, m]
        x[d, i, m] = max(0, yhat[i, m] + e[d, i, m] * (sigma_hi if e > 0 else sigma_lo)[i, m])

    with ``Z, A, B`` independent standard normals: ``Z`` is a common (macro) shock shared by every
    series, so two series correlate by ``rho_c = common_shock``; ``A`` is a per-series level
    shock, so two months of one series correlate by ``rho_t = month_correlation``. The split
    normal keeps asymmetric intervals asymmetric (positive skew when the upper bound is wider).

    Parameters
    ----------
    yhat, sigma_lo, sigma_hi : ndarray, shape (n_series, horizon)
        Point forecast and lower/upper scales [currency/month] (see :func:`interval_scales`).
    n_draws : int
    seed : int or None
    common_shock : float
        Correlation between series, in [0, month_correlation].
    month_correlation : float
        Correlation between months of one series, in [common_shock, 1].
    chunk : int
        Series per block (bounds memory at ``n_draws * chunk * horizon`` floats).

    Returns
    -------
    ndarray, shape (n_draws, n_series, horizon)
    """
    rho_c, rho_t = float(common_shock), float(month_correlation)
    if not 0.0 <= rho_c <= rho_t <= 1.0:
        raise ValueError(f"need 0 <= common_shock <= month_correlation <= 1, got {rho_c}, {rho_t}")
    y = np.asarray(yhat, float)
    n, h = y.shape
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_draws)
    out = np.empty((n_draws, n, h), dtype=float)
    a_c, a_s, a_m = np.sqrt(rho_c), np.sqrt(rho_t - rho_c), np.sqrt(1.0 - rho_t)
    for s in range(0, n, chunk):
        e = slice(s, min(n, s + chunk))
        k = e.stop - e.start
        eps = (
            a_c * z[:, None, None]
            + a_s * rng.standard_normal((n_draws, k, 1))
            + a_m * rng.standard_normal((n_draws, k, h))
        )
        scale = np.where(eps > 0, sigma_hi[e][None], sigma_lo[e][None])
        out[:, e, :] = np.maximum(0.0, y[e][None] + eps * scale)
    return out
