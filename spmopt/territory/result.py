"""The outcome of a territory alignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spmopt.errors import InfeasibleError

__all__ = ["AlignmentResult"]


@dataclass(frozen=True)
class AlignmentResult:
    """An alignment and how good it is.

    Attributes
    ----------
    assignment : DataFrame
        One row per account: ``account_id, territory_id, rep_id, distance_km`` (great-circle km
        to the rep's home base), ``moved`` (territory differs from ``current_territory``). When
        the model is infeasible this is the least-violating assignment found by the diagnosis
        (possibly empty).
    summary : DataFrame
        One row per territory: totals, targets, signed deviations (``<attr>_deviation`` =
        total / target - 1), capacity use, distances, moves in and out.
    metrics : dict
        ``max_deviation_<attr>``, ``weighted_distance``, ``mean_distance_km``,
        ``disruption_share``, ``accounts_moved``, ``objective``, ``bound``, ``gap``, ``seconds``,
        ``method`` and the same measures of the current alignment with a ``before_`` prefix.
    status : str
        ``optimal`` | ``feasible`` | ``time_limit`` | ``infeasible`` | ``error``.
    diagnosis : str or None
        For an infeasible model: the constraint, the territories/accounts involved and the
        smallest feasible setting found.
    violations : DataFrame
        For an infeasible model, every row the returned best compromise violates: ``group``,
        ``row`` (balance, capacity or disruption), ``territory``, ``attribute``, ``value``,
        ``limit`` and ``relative`` (the excess as a share of the target, capacity or cap).
        Empty when every row holds. ``metrics["feasible_balance"]`` then gives the
        tolerances the compromise meets, ``metrics["proven_infeasible"]`` whether the LP proved
        that no assignment meets the bands asked.
    """

    assignment: pd.DataFrame
    summary: pd.DataFrame
    metrics: dict[str, Any]
    status: str
    diagnosis: str | None = None
    settings: dict[str, Any] = field(default_factory=dict, repr=False)
    violations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __repr__(self) -> str:
        m = self.metrics
        devs = ", ".join(
            f"{k[len('max_deviation_') :]} ±{v:.1%}"
            for k, v in m.items()
            if k.startswith("max_deviation_") and isinstance(v, float) and v == v
        )
        gap = m.get("gap")
        gap_s = "n/a" if gap is None else f"{gap:.3%}"
        head = (
            f"AlignmentResult(status={self.status!r}, accounts={len(self.assignment)}, "
            f"territories={len(self.summary)}, max deviation: {devs or 'n/a'}, "
            f"gap={gap_s}, seconds={m.get('seconds', float('nan')):.1f}"
        )
        if "disruption_share" in m:
            head += f", disruption={m['disruption_share']:.1%}"
        if self.diagnosis:
            head += f", diagnosis={self.diagnosis.splitlines()[0]!r}"
        return head + ")"

    @property
    def feasible(self) -> bool:
        """Whether the assignment meets every constraint."""
        return self.status in ("optimal", "feasible", "time_limit")

    @property
    def ok(self) -> bool:
        """Whether the assignment meets every constraint (same as :attr:`feasible`)."""
        return self.feasible

    def raise_for_status(self) -> AlignmentResult:
        """Raise :class:`~spmopt.errors.InfeasibleError` (with the diagnosis) unless feasible."""
        if not self.feasible:
            raise InfeasibleError(
                f"territory alignment is {self.status}: {self.diagnosis or 'no diagnosis'}",
                diagnosis=self.diagnosis,
            )
        return self

    def to_frame(self) -> pd.DataFrame:
        """The assignment table."""
        return self.assignment.copy()

    def moves(self) -> pd.DataFrame:
        """The rows of :attr:`assignment` whose account changes territory."""
        return self.assignment[self.assignment["moved"]].copy()
