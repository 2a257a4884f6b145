"""Exact integer apportionment: split whole numbers of increments along weights.

Quotas are whole multiples of an increment (e.g. 1,000). Splitting an annual quota into months,
or a company total into territories, must keep every part a multiple of the increment *and* make
the parts sum exactly to the whole. The largest-remainder (Hamilton) method does both.
"""

from __future__ import annotations

import numpy as np

__all__ = ["apportion", "apportion_rows", "round_to_increment"]


def round_to_increment(value: float, increment: float) -> float:
    """``value`` rounded to the nearest multiple of ``increment`` (halves round up)."""
    return float(np.floor(value / increment + 0.5) * increment)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split the integer ``total`` into integers proportional to ``weights`` that sum to it.

    Parameters
    ----------
    total : int
        Non-negative whole number to split (e.g. a count of increments).
    weights : ndarray, shape (k,)
        Non-negative weights; all zero splits evenly.

    Returns
    -------
    ndarray of int64, shape (k,)
        Parts with ``parts.sum() == total`` and ``|parts - total * w / w.sum()| < 1``.
    """
    return apportion_rows(np.array([int(total)]), np.asarray(weights, float)[None, :])[0]


def apportion_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise :func:`apportion`: split ``totals[i]`` along ``weights[i, :]``.

    Parameters
    ----------
    totals : ndarray of int, shape (n,)
    weights : ndarray of float, shape (n, k)
        Rows of all zeros split evenly.

    Returns
    -------
    ndarray of int64, shape (n, k)
        Each row sums exactly to its total; ties go to the earlier column.
    """
    totals = np.asarray(totals, dtype=np.int64)
    w = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    n, k = w.shape
    s = w.sum(axis=1, keepdims=True)
    w = np.where(s > 0, w / np.where(s > 0, s, 1.0), 1.0 / k)
    exact = totals[:, None] * w
    base = np.floor(exact + 1e-9).astype(np.int64)
    short = totals - base.sum(axis=1)
    rem = exact - base
    # rank columns by remainder (stable: earlier column wins ties), give one more to the top
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(k)[None, :]
    base += (rank < short[:, None]).astype(np.int64)
    return base
