"""Structural types of what the stages hand each other (static typing only).

The stages accept results of the stage before them *or* plain tables, and read them by attribute;
these Protocols name the attributes actually read, so that ``: Any`` is not needed on public
arguments. Nothing here is checked at run time (the stages raise :class:`~spmopt.errors.DataError`
or :class:`~spmopt.errors.ConfigError` naming what is missing).

* :class:`SamplePathsLike`: joint revenue paths (``spmopt.forecast.SamplePaths``);
* :class:`ForecastSampler`: anything with ``samples(n, seed=, level=)`` returning such paths
  (``spmopt.forecast.ForecastResult``);
* :class:`HasForecastFrame`: a forecast result holding the long ``forecast`` table as ``frame``;
* :class:`HasAssignment`: an alignment result holding ``assignment``
  (``spmopt.territory.AlignmentResult``);
* :class:`CostTargets` / :class:`QuotaTargets`: the planning targets the comp simulator and the
  quota setter read (``spmopt.data.PlanningTargets`` satisfies both).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = [
    "CostTargets",
    "ForecastSampler",
    "HasAssignment",
    "HasForecastFrame",
    "QuotaTargets",
    "SamplePathsLike",
]


@runtime_checkable
class SamplePathsLike(Protocol):
    """Joint sample paths: ``values`` (n_draws, n_series, horizon) [currency per month]."""

    @property
    def unique_id(self) -> np.ndarray: ...

    @property
    def ds(self) -> pd.DatetimeIndex: ...

    @property
    def values(self) -> np.ndarray: ...


@runtime_checkable
class ForecastSampler(Protocol):
    """A forecast that draws joint sample paths at a level (``"rep"`` for quotas and comp)."""

    def samples(self, n: int = ..., seed: int | None = ..., level: str = ...) -> Any: ...


@runtime_checkable
class HasForecastFrame(Protocol):
    """A forecast result whose ``frame`` is the long table ``unique_id, ds, level, yhat, ...``."""

    @property
    def frame(self) -> pd.DataFrame: ...


@runtime_checkable
class HasAssignment(Protocol):
    """An alignment result whose ``assignment`` is ``account_id, territory_id, rep_id``."""

    @property
    def assignment(self) -> pd.DataFrame: ...


class CostTargets(Protocol):
    """Targets the comp simulator checks: margin [share of revenue], CCOS band, plan year."""

    @property
    def gross_margin(self) -> float | None: ...

    @property
    def ccos_band(self) -> tuple[float, float] | None: ...

    @property
    def margin_floor(self) -> float | None: ...

    @property
    def plan_year(self) -> int | None: ...


class QuotaTargets(Protocol):
    """Targets the quota setter reads: company target [currency/yr], over-assignment, year."""

    @property
    def company_revenue_target(self) -> float: ...

    @property
    def over_assignment(self) -> float: ...

    @property
    def plan_year(self) -> int: ...
