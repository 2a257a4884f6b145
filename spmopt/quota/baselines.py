"""Historical quota baselines that planners use today, for comparison with the MIP.

* :func:`last_year_growth`: last year's actuals times one common growth rate, chosen so that the
  quotas roll up to the company roll-up.
* :func:`ratchet`: the asymmetric quota ratchet described by Leone, Misra and Zimmerman
  ("Investigating quota ratcheting", 2004): next year's quota starts from last year's quota and
  moves by a larger share of a favourable variance (sales above quota) than of an unfavourable
  one. The coefficients here are settings, not the paper's estimates.

Both return whole increments per territory that sum exactly to the roll-up; territories without
history get their potential times the company's sales/potential ratio (a planner's usual fill).
"""

from __future__ import annotations

import numpy as np

from spmopt.quota.split import apportion

__all__ = ["last_year_growth", "ratchet"]


def _fill(history: np.ndarray, potential: np.ndarray) -> np.ndarray:
    h = np.nan_to_num(np.asarray(history, float), nan=0.0)
    pot = np.asarray(potential, float)
    have = h > 0
    if have.any() and pot[have].sum() > 0:
        h = np.where(have, h, pot * h[have].sum() / pot[have].sum())
    elif not have.any():
        h = pot.copy()
    return h


def last_year_growth(
    last_year: np.ndarray, potential: np.ndarray, total: int, increment: float = 1000.0
) -> np.ndarray:
    """Last year's actuals times ``1 + g``, ``g`` common, rolled up exactly.

    Parameters
    ----------
    last_year, potential : array, shape (n,)
        Actuals of the last complete year and potential per territory [currency/yr].
    total : int
        Roll-up in increments.
    increment : float
        Quota increment [currency] (only scales the result).

    Returns
    -------
    ndarray, shape (n,)
        Annual quota per territory [currency].
    """
    base = _fill(last_year, potential)
    return apportion(int(total), base) * float(increment)


def ratchet(
    last_year: np.ndarray,
    prior_year: np.ndarray,
    potential: np.ndarray,
    total: int,
    increment: float = 1000.0,
    *,
    last_quota: np.ndarray | None = None,
    up: float = 0.6,
    down: float = 0.3,
) -> np.ndarray:
    """Asymmetric ratchet: ``q = q_prev + up (s - q_prev)^+ - down (q_prev - s)^+``, rolled up.

    Parameters
    ----------
    last_year, prior_year, potential : array, shape (n,)
        Actuals of the last and the year before, potential [currency/yr].
    total : int
        Roll-up in increments.
    increment : float
    last_quota : array, optional
        Last year's quotas. When absent they are rebuilt as the year-before actuals grown by the
        company's growth between the two years (the :func:`last_year_growth` rule, one year back).
    up, down : float
        Share of a favourable / unfavourable variance passed into next year's quota.

    Returns
    -------
    ndarray, shape (n,)
        Annual quota per territory [currency], summing to ``total * increment``.
    """
    s = _fill(last_year, potential)
    if last_quota is None:
        prev = _fill(prior_year, potential)
        q_prev = prev * (s.sum() / max(prev.sum(), 1e-9))
    else:
        q_prev = np.nan_to_num(np.asarray(last_quota, float), nan=0.0)
    var = s - q_prev
    raw = q_prev + up * np.clip(var, 0, None) - down * np.clip(-var, 0, None)
    return apportion(int(total), np.clip(raw, 0.0, None)) * float(increment)
