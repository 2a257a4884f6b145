"""Fairness and attainment metrics of a set of quotas.

Fairness is the spread of quota/potential across territories: in a fair plan every territory is
asked for the same share of its opportunity. Achievability is the probability that a rep reaches
quota, from revenue draws; its mean over reps is the expected share of reps at or above quota
(industry anchor: 60-70% aimed for, about 50% reached in recent surveys).
"""

from __future__ import annotations

import numpy as np

__all__ = ["attainment_metrics", "fairness_metrics", "p_attain"]


def fairness_metrics(quota: np.ndarray, potential: np.ndarray) -> dict[str, float]:
    """Spread of ``quota / potential`` over territories with positive potential.

    Parameters
    ----------
    quota, potential : array, shape (n,)
        Annual quota and potential per territory [currency/yr].

    Returns
    -------
    dict
        ``quota_potential_cv`` (standard deviation / mean of the ratio), ``quota_potential_p90_p10``
        (90th / 10th percentile), ``quota_potential_max_min`` and ``quota_potential_mean``; NaN
        when fewer than two territories have potential.
    """
    q = np.asarray(quota, float)
    p = np.asarray(potential, float)
    ok = p > 0
    nan = float("nan")
    if ok.sum() < 2:
        return {
            "quota_potential_cv": nan,
            "quota_potential_p90_p10": nan,
            "quota_potential_max_min": nan,
            "quota_potential_mean": nan,
        }
    r = q[ok] / p[ok]
    mean = float(r.mean())
    p10, p90 = np.percentile(r, [10, 90])
    return {
        "quota_potential_cv": float(r.std() / mean) if mean > 0 else nan,
        "quota_potential_p90_p10": float(p90 / p10) if p10 > 0 else float("inf"),
        "quota_potential_max_min": float(r.max() / r.min()) if r.min() > 0 else float("inf"),
        "quota_potential_mean": mean,
    }


def p_attain(quota: np.ndarray, revenue_draws: np.ndarray) -> np.ndarray:
    """Probability of reaching quota per rep: share of draws with ``revenue >= quota``.

    Parameters
    ----------
    quota : array, shape (n,)
        Carried quota per rep [currency]; reps with quota 0 get NaN.
    revenue_draws : array, shape (n_draws, n)
        Revenue draws over the same months [currency].
    """
    q = np.asarray(quota, float)
    out = (np.asarray(revenue_draws) >= q[None, :]).mean(axis=0)
    return np.where(q > 0, out, np.nan)


def attainment_metrics(quota: np.ndarray, revenue_draws: np.ndarray) -> dict[str, float]:
    """Distribution of attainment (revenue / quota) over reps and draws.

    Returns
    -------
    dict
        ``expected_share_at_quota`` (mean over reps of P(attain)), ``p_attain_min``,
        ``p_attain_median``, ``p_attain_max``, ``attainment_p10/p50/p90`` (over reps and draws),
        ``share_below_50`` (expected share of reps under 50% of quota).
    """
    q = np.asarray(quota, float)
    ok = q > 0
    nan = float("nan")
    if not ok.any():
        keys = [
            "expected_share_at_quota",
            "p_attain_min",
            "p_attain_median",
            "p_attain_max",
            "attainment_p10",
            "attainment_p50",
            "attainment_p90",
            "share_below_50",
        ]
        return dict.fromkeys(keys, nan)
    x = np.asarray(revenue_draws, float)[:, ok]
    att = x / q[ok][None, :]
    pa = (att >= 1.0).mean(axis=0)
    p10, p50, p90 = np.percentile(att, [10, 50, 90])
    return {
        "expected_share_at_quota": float(pa.mean()),
        "p_attain_min": float(pa.min()),
        "p_attain_median": float(np.median(pa)),
        "p_attain_max": float(pa.max()),
        "attainment_p10": float(p10),
        "attainment_p50": float(p50),
        "attainment_p90": float(p90),
        "share_below_50": float((att < 0.5).mean()),
    }
