"""Plan health: is the plan inside the field's norms, and if not, why and what would fix it.

- :func:`check` runs the named checks (share of reps at quota, attainment shape,
  over-assignment, probability of making the target, CCOS, margin, pay mix, payouts, quota
  growth, quota/potential spread, balance, disruption, forecast calibration) and returns a
  :class:`HealthReport`.
- :func:`target_gap` sets the top-down target against the bottom-up forecast.
- :func:`remedies` sweeps a few settings on the batch runner and ranks the smallest changes
  that bring the plan inside its bands.
"""

from __future__ import annotations

from spmopt.health.bands import DEFAULT_BANDS, Band, HealthBands
from spmopt.health.checks import CHECKS, BatchHealth, HealthCheck, HealthReport, PlanView, check
from spmopt.health.gap import TargetGap, target_gap
from spmopt.health.remedies import MOVABLE as MOVABLE_GOALS
from spmopt.health.remedies import Candidate, Remedies, remedies

__all__ = [
    "CHECKS",
    "DEFAULT_BANDS",
    "MOVABLE_GOALS",
    "Band",
    "BatchHealth",
    "Candidate",
    "HealthBands",
    "HealthCheck",
    "HealthReport",
    "PlanView",
    "Remedies",
    "TargetGap",
    "check",
    "remedies",
    "target_gap",
]
