"""The alignment model as arrays: candidate territories, costs and coupling rows.

Every solver in :mod:`spmopt.territory` works on one :class:`AlignmentModel`. Rows ``i`` are the
items to assign (accounts, or basic units when contiguity is asked for); each item has ``P``
candidate *slots*, ``cand[i, s]`` being a territory index (``-1`` and cost ``inf`` for padding).
Small instances are dense (every territory is a candidate); large ones keep each item's nearest
territories and carry a function that prices every territory, so that lower bounds stay valid for
the full model.

Formulation (the same in every solver)::

    min   sum_i sum_s cost[i, s] x[i, s]
    s.t.  sum_s x[i, s] = 1                                   for every item i
          lo[k, a] <= sum_{i, s: cand=k} W[i, a] x[i, s] <= hi[k, a]   balance, per territory k
                                                               and attribute a
          sum_{i, s: cand=k} load[i] x[i, s] <= cap[k]           capacity (finite caps only)
          sum_{i, s} move[i, s] x[i, s] <= max_move              disruption cap (when given)
          x binary (locked items have their one territory as the only slot)

``cost[i, s] = weight[i] * distance[i, cand[i, s]] + price * move[i, s]``, with distance in km
(or the user's matrix) and ``weight`` the compactness weight (potential by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = ["AlignmentModel", "FullRows"]

# (row start, row stop) -> (cost (r, K), move (r, K)) over every territory; inf where not allowed
FullRows = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


@dataclass
class AlignmentModel:
    """Array form of one alignment problem (see the module docstring for the formulation).

    Attributes
    ----------
    ids : ndarray of str, (n,)
        Item ids (account ids or basic-unit ids).
    territories : ndarray of str, (K,)
    cand : ndarray of int, (n, P)
        Candidate territory per slot; -1 pads.
    cost : ndarray of float, (n, P)
        Objective coefficient [weight x km]; ``inf`` on padding.
    move : ndarray of float, (n, P)
        Disruption weight counted when the item takes that slot (0 where it stays).
    W : ndarray of float, (n, m)
        Balance attributes of each item.
    attrs : list of str
        Names of the ``m`` balance attributes.
    target, lo, hi : ndarray of float, (K, m)
        Target and band of each territory and attribute.
    load : ndarray of float, (n,)
        Workload, for the capacity rows.
    cap : ndarray of float, (K,)
        Capacity per territory (``inf`` for none).
    max_move : float or None
        Disruption cap in units of ``move``.
    full_rows : callable or None
        For pruned models, prices every territory for a block of items.
    """

    ids: np.ndarray
    territories: np.ndarray
    cand: np.ndarray
    cost: np.ndarray
    move: np.ndarray
    W: np.ndarray
    attrs: list[str]
    target: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    load: np.ndarray
    cap: np.ndarray
    max_move: float | None = None
    full_rows: FullRows | None = None
    root: np.ndarray | None = None  # per territory, the item that must stay in it (contiguity)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.cand.shape[0])

    @property
    def K(self) -> int:
        return int(self.territories.shape[0])

    @property
    def m(self) -> int:
        return int(self.W.shape[1])

    @property
    def has_cap(self) -> bool:
        return bool(np.isfinite(self.cap).any())

    @property
    def dense(self) -> bool:
        return self.full_rows is None

    def valid(self) -> np.ndarray:
        """Mask of real (non-padding) slots."""
        return (self.cand >= 0) & np.isfinite(self.cost)

    def cheapest_slot(self) -> np.ndarray:
        """Each item's slot of least cost (a valid assignment that ignores the coupling rows)."""
        return np.asarray(np.where(self.valid(), self.cost, np.inf).argmin(axis=1))

    def territory_of(self, slot: np.ndarray) -> np.ndarray:
        """Territory index of each item given its chosen slot."""
        return self.cand[np.arange(self.n), slot]

    def objective(self, slot: np.ndarray) -> float:
        return float(self.cost[np.arange(self.n), slot].sum())

    def loads(self, slot: np.ndarray) -> np.ndarray:
        """Balance totals (K, m) of an assignment."""
        k = self.territory_of(slot)
        out = np.zeros((self.K, self.m))
        for a in range(self.m):
            out[:, a] = np.bincount(k, weights=self.W[:, a], minlength=self.K)
        return out

    @cached_property
    def row_scales(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Band scale (K, m), capacity with ``inf`` for none (K,), capacity scale (K,)."""
        fin = np.isfinite(self.cap)
        return (
            np.maximum(np.abs(self.target), 1e-12),
            np.where(fin, self.cap, np.inf),
            np.where(fin, np.maximum(self.cap, 1.0), 1.0),
        )

    def territory_violation(
        self, L: np.ndarray, k: np.ndarray | int, wl: np.ndarray | float
    ) -> np.ndarray:
        """Relative violation of the band and capacity rows of territories ``k`` for trial
        balance totals ``L`` (..., m) and workloads ``wl`` (...): each band's excess over its
        target, plus the workload over capacity relative to ``max(capacity, 1)``. These are the
        per-territory terms of :meth:`violation`; ``k`` broadcasts like ``wl``."""
        scale, cap, cap_scale = self.row_scales
        v = np.maximum(L - self.hi[k], 0.0) + np.maximum(self.lo[k] - L, 0.0)
        out = (v / scale[k]).sum(axis=-1)
        return np.asarray(out + np.maximum(wl - cap[k], 0.0) / cap_scale[k])

    def violation(self, slot: np.ndarray) -> float:
        """Total relative violation of the coupling rows (0 when feasible)."""
        wl = (
            np.bincount(self.territory_of(slot), weights=self.load, minlength=self.K)
            if self.has_cap
            else np.zeros(self.K)
        )
        v = float(self.territory_violation(self.loads(slot), np.arange(self.K), wl).sum())
        if self.max_move is not None:
            mv = float(self.move[np.arange(self.n), slot].sum())
            v += max(mv - self.max_move, 0.0) / max(self.max_move, 1e-9)
        return v

    def is_feasible(self, slot: np.ndarray, tol: float = 1e-7) -> bool:
        return self.violation(slot) <= tol and bool(
            np.isfinite(self.cost[np.arange(self.n), slot]).all()
        )

    def slot_of(self, territory: np.ndarray) -> np.ndarray:
        """Slot index of each item's territory (-1 where it is not a candidate)."""
        hit = self.cand == np.asarray(territory)[:, None]
        return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
