"""The outcome of a territory alignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from spmopt.contracts import ResultContract, check_status

__all__ = ["AlignmentResult"]


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class AlignmentResult(ResultContract):
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

    _label: ClassVar[str | None] = "territory alignment"

    def __post_init__(self) -> None:
        check_status(self.status)

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
        """Whether the assignment meets every constraint (an alias of :attr:`ok`)."""
        return self.ok

    def _problem(self) -> str:
        return self.diagnosis or "no diagnosis"

    def summary_row(self) -> dict[str, Any]:
        """Headline figures: ``n_territories``, ``align_status``, ``align_gap`` (relative MIP
        gap), ``max_deviation_potential``, ``max_deviation_workload`` (largest |total / target -
        1|), ``weighted_distance`` (weight x km), ``mean_distance_km`` [km] and
        ``disruption_share`` (share of the disruption basis that moved); NaN where not
        measured."""
        m = self.metrics
        return {
            "n_territories": len(self.summary),
            "align_status": str(self.status),
            "align_gap": _num(m.get("gap")),
            "max_deviation_potential": _num(m.get("max_deviation_potential")),
            "max_deviation_workload": _num(m.get("max_deviation_workload")),
            "weighted_distance": _num(m.get("weighted_distance")),
            "mean_distance_km": _num(m.get("mean_distance_km")),
            "disruption_share": _num(m.get("disruption_share", m.get("disruption"))),
        }

    def to_frame(self) -> pd.DataFrame:
        """The assignment table (the ``alignment`` table of :mod:`spmopt.tables`)."""
        return self.assignment.copy()

    def moves(self) -> pd.DataFrame:
        """The rows of :attr:`assignment` whose account changes territory."""
        return self.assignment[self.assignment["moved"]].copy()
