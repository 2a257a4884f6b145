"""Pay curves as segment tables: the one exact representation of a measure's tiers.

A measure's pay curve maps attainment ``a`` (credited value / quota, 1.0 = 100%) to a payout
factor ``f(a)`` (a multiple of the measure's target incentive, or, for commission-rate measures,
currency per currency of quota). Every combination of threshold, marginal or retroactive tiers,
accelerators, decelerators and a payout cap is a piecewise-linear function with possible jumps,
stored as segments ``k`` with a start ``lo[k]`` (ascending, ``lo[0] = 0``), a value ``c[k]`` at the
start and a slope ``m[k]``::

    f(a) = min(c[k] + m[k] * (a - lo[k]), cap)     for lo[k] <= a < lo[k+1]

The same table feeds the exact float64 evaluation in :meth:`PayCurve.__call__` and the float32
Monte Carlo kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PayCurve", "build_curve"]


@dataclass(frozen=True)
class PayCurve:
    """A piecewise-linear pay curve (see the module docstring).

    Attributes
    ----------
    lo : ndarray of float64
        Segment starts [attainment], ascending, ``lo[0] == 0``.
    c : ndarray of float64
        Payout factor at each segment start.
    m : ndarray of float64
        Slope of each segment [payout factor per unit attainment].
    cap : float
        Largest payout factor (``inf`` when uncapped).
    """

    lo: NDArray[np.float64]
    c: NDArray[np.float64]
    m: NDArray[np.float64]
    cap: float = float("inf")

    def __call__(self, attainment: ArrayLike) -> NDArray[np.float64]:
        """Payout factor at ``attainment`` (any shape), exact in float64."""
        a = np.asarray(attainment, dtype=np.float64)
        k = np.searchsorted(self.lo, a, side="right") - 1
        k = np.clip(k, 0, len(self.lo) - 1)
        f = self.c[k] + self.m[k] * (a - self.lo[k])
        f = np.where(a < 0, 0.0, f)
        return np.minimum(f, self.cap)

    @property
    def is_monotone(self) -> bool:
        """Whether the curve never falls as attainment rises (no negative slope or drop)."""
        if np.any(self.m < 0):
            return False
        ends = self.c[:-1] + self.m[:-1] * np.diff(self.lo)
        return bool(np.all(self.c[1:] >= ends - 1e-12))

    def as_float32(self) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
        """``(lo, c, m)`` as float32 arrays for the Monte Carlo kernel."""
        return (
            self.lo.astype(np.float32),
            self.c.astype(np.float32),
            self.m.astype(np.float32),
        )


def build_curve(
    tiers: Sequence[tuple[float, float | None, float]],
    *,
    threshold: float = 0.0,
    mode: str = "marginal",
    cap: float | None = None,
    attainment_cap: float | None = None,
) -> PayCurve:
    """Build the segment table of a tiered curve.

    Parameters
    ----------
    tiers : sequence of (start, end, rate)
        Contiguous tiers [attainment]; ``end`` None for the last, open tier. ``rate`` is the
        payout factor per unit attainment inside the tier.
    threshold : float
        Attainment below which nothing is paid. At the threshold the curve's value applies
        (a jump when the tiers start below the threshold).
    mode : {"marginal", "retroactive"}
        Marginal: each tier's rate pays only the attainment inside that tier. Retroactive: the
        rate of the tier reached pays all attainment from the first tier's start.
    cap : float or None
        Largest payout factor.
    attainment_cap : float or None
        Attainment credited at most (the curve is flat beyond it).
    """
    s0 = float(tiers[0][0])
    # breakpoints of the uncapped tier function g(a)
    los: list[float] = [0.0]
    cs: list[float] = [0.0]
    ms: list[float] = [0.0]
    acc = 0.0
    for start, end, rate in tiers:
        start = float(start)
        if mode == "marginal":
            value = acc
        else:
            value = rate * (start - s0)
        los.append(start)
        cs.append(value)
        ms.append(float(rate))
        if end is not None:
            acc += float(rate) * (float(end) - start)
    last_end = tiers[-1][1]
    if last_end is not None:
        end_value = acc if mode == "marginal" else tiers[-1][2] * (float(last_end) - s0)
        los.append(float(last_end))
        cs.append(float(end_value))
        ms.append(0.0)
    lo = np.array(los)
    c = np.array(cs)
    m = np.array(ms)
    # merge a first tier starting at 0 with the leading zero segment
    if len(lo) > 1 and lo[1] == 0.0:
        lo, c, m = lo[1:], c[1:], m[1:]
    curve = PayCurve(lo, c, m)
    if attainment_cap is not None:
        curve = _flatten_above(curve, float(attainment_cap))
    if threshold > 0:
        curve = _zero_below(curve, float(threshold))
    return PayCurve(curve.lo, curve.c, curve.m, float("inf") if cap is None else float(cap))


def _split(curve: PayCurve, x: float) -> PayCurve:
    """The same curve with a segment boundary at ``x``."""
    if np.any(np.isclose(curve.lo, x, rtol=0, atol=0)):
        return curve
    k = int(np.searchsorted(curve.lo, x, side="right") - 1)
    value = curve.c[k] + curve.m[k] * (x - curve.lo[k])
    return PayCurve(
        np.insert(curve.lo, k + 1, x),
        np.insert(curve.c, k + 1, value),
        np.insert(curve.m, k + 1, curve.m[k]),
        curve.cap,
    )


def _zero_below(curve: PayCurve, t: float) -> PayCurve:
    cv = _split(curve, t)
    keep = cv.lo >= t
    lo = np.concatenate([[0.0], cv.lo[keep]])
    c = np.concatenate([[0.0], cv.c[keep]])
    m = np.concatenate([[0.0], cv.m[keep]])
    return PayCurve(lo, c, m, cv.cap)


def _flatten_above(curve: PayCurve, x: float) -> PayCurve:
    cv = _split(curve, x)
    keep = cv.lo <= x
    lo, c, m = cv.lo[keep].copy(), cv.c[keep].copy(), cv.m[keep].copy()
    m[-1] = 0.0
    return PayCurve(lo, c, m, cv.cap)
