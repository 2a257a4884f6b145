"""The settings of :class:`~spmopt.quota.QuotaSetter`, validated in one place.

:class:`QuotaSettings` is a frozen copy of the setter's ``__init__`` arguments; building it
checks every one and raises :class:`~spmopt.errors.ConfigError` naming the key, the value and
the fix. The model code reads settings only from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spmopt.errors import ConfigError
from spmopt.quota.mip import Backend
from spmopt.solver import SolverOptions

__all__ = ["METHODS", "PERIODS", "SOURCES", "QuotaSettings"]

METHODS: dict[str, dict[str, float]] = {
    "potential": {"potential": 1.0},
    "history": {"history": 1.0},
    "forecast": {"forecast": 1.0},
    "blend": {"potential": 0.5, "forecast": 0.3, "history": 0.2},
}
"""Fair-share bases: method -> source -> weight."""
SOURCES: tuple[str, ...] = ("potential", "forecast", "history")
PERIODS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
"""Granularity of the quota table -> months per period."""

_CHOICES: dict[str, tuple[str, ...]] = {
    "method": tuple(METHODS),
    "period": tuple(PERIODS),
    "relief": ("hold", "redistribute"),
    "seasonality": ("total", "territory", "flat"),
    "attainment_solver": ("auto", "exact", "protect-and-resolve"),
    "integer_method": ("auto", "mip", "lp_round"),
    "backend": ("auto", "highspy", "pyomo"),
}


def _bad(key: str, value: object, fix: str) -> ConfigError:
    return ConfigError(f"QuotaSetter {key}={value!r}: {fix}")


@dataclass(frozen=True)
class QuotaSettings:
    """The validated settings of one quota solve (see :class:`~spmopt.quota.QuotaSetter` for
    their meaning and units). Building one raises :class:`ConfigError` for a bad value."""

    company_target: float | None = None
    over_assignment: float | None = None
    method: str = "blend"
    weights: Mapping[str, Any] | None = None
    increment: float = 1000
    period: str = "month"
    growth_floor: float | None = None
    growth_cap: float | None = None
    forecast_floor: float | None = None
    forecast_cap: float | None = None
    potential_cap: float | None = None
    region_targets: Mapping[str, float] | None = None
    district_targets: Mapping[str, float] | None = None
    relief: str = "hold"
    ramp: int | Sequence[float] = 12
    seasonality: str = "total"
    target_attainment: float | None = None
    attainment_levels: Sequence[float] = (0.25, 0.5, 0.75)
    attainment_solver: str = "auto"
    fairness_weight: float = 1.0
    n_draws: int = 1000
    seed: int | None = 0
    common_shock: float = 0.3
    month_correlation: float = 0.6
    integer_method: str = "auto"
    backend: Backend = "auto"
    solver: SolverOptions | None = None

    def __post_init__(self) -> None:
        for key, allowed in _CHOICES.items():
            if getattr(self, key) not in allowed:
                raise _bad(key, getattr(self, key), f"allowed {list(allowed)}")
        self._check_amounts()
        self._check_bounds()
        self._check_attainment()
        self._check_ramp()
        self.role_weights()

    def _check_amounts(self) -> None:
        if not (isinstance(self.increment, int | float) and self.increment > 0):
            raise _bad("increment", self.increment, "give a positive amount, e.g. 1000")
        if self.over_assignment is not None and not 0 <= self.over_assignment <= 1:
            raise _bad("over_assignment", self.over_assignment, "give a share in [0, 1]")
        if self.company_target is not None and not self.company_target > 0:
            raise _bad("company_target", self.company_target, "give a positive amount")
        if self.fairness_weight < 0:
            raise _bad("fairness_weight", self.fairness_weight, "give a weight >= 0")
        if self.n_draws < 0:
            raise _bad("n_draws", self.n_draws, "give 0 or more")
        if self.solver is not None and not isinstance(self.solver, SolverOptions):
            raise _bad("solver", self.solver, "give spmopt.SolverOptions(time_limit=..., ...)")

    def _check_bounds(self) -> None:
        for key in ("growth_floor", "growth_cap", "forecast_floor", "forecast_cap"):
            v = getattr(self, key)
            if v is not None and not v > -1:
                raise _bad(key, v, "give a growth rate above -1 (e.g. 0.05 for +5%)")
        if self.potential_cap is not None and not self.potential_cap > 0:
            raise _bad("potential_cap", self.potential_cap, "give a share of potential > 0")
        for lo, hi in (("growth_floor", "growth_cap"), ("forecast_floor", "forecast_cap")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise _bad(hi, b, f"the cap is below {lo}={a!r}: every territory is infeasible")

    def _check_attainment(self) -> None:
        if self.target_attainment is not None and not 0 < self.target_attainment < 1:
            raise _bad("target_attainment", self.target_attainment, "give a share in (0, 1)")
        lv = np.asarray(self.attainment_levels, float)
        if lv.size == 0 or np.any(np.diff(lv) <= 0) or lv.min() <= 0 or lv.max() >= 1:
            raise _bad("attainment_levels", self.attainment_levels, "increasing values in (0, 1)")

    def _check_ramp(self) -> None:
        if isinstance(self.ramp, int | float):
            if self.ramp < 0:
                raise _bad("ramp", self.ramp, "give months >= 0 or a list of factors")
        elif any(not 0 <= float(x) <= 1 for x in self.ramp):
            raise _bad("ramp", self.ramp, "factors must lie in [0, 1]")

    # ------------------------------------------------------------------ derived
    @property
    def months_per_period(self) -> int:
        """Months in one period of the quota table (1, 3 or 12)."""
        return PERIODS[self.period]

    def ramp_factors(self) -> np.ndarray:
        """Productivity per month since hire (linear over ``ramp`` months when a number)."""
        if isinstance(self.ramp, int | float):
            r = int(self.ramp)
            return np.array([(k + 1) / r for k in range(r)]) if r > 0 else np.array([])
        return np.asarray(self.ramp, float)

    def role_weights(self) -> dict[str, dict[str, float]]:
        """role -> source -> weight of the fair share (key ``"default"`` for roles not named)."""
        if self.method != "blend" or self.weights is None:
            return {"default": dict(METHODS[self.method])}
        w = dict(self.weights)
        if all(isinstance(v, int | float) for v in w.values()):
            w = {"default": w}
        out = {str(role): _source_weights(role, ws) for role, ws in w.items()}
        out.setdefault("default", dict(METHODS["blend"]))
        return out


def _source_weights(role: object, ws: object) -> dict[str, float]:
    if not isinstance(ws, Mapping):
        raise ConfigError(
            f"QuotaSetter weights[{role!r}]={ws!r}: give source -> weight, sources {list(SOURCES)}"
        )
    unknown = set(ws) - set(SOURCES)
    if unknown:
        raise ConfigError(
            f"QuotaSetter weights: unknown source(s) {sorted(unknown)}; allowed {list(SOURCES)}"
        )
    vals = {k: float(v) for k, v in ws.items()}
    if any(v < 0 for v in vals.values()) or sum(vals.values()) <= 0:
        raise ConfigError(
            f"QuotaSetter weights[{role!r}]={ws!r}: weights must be >= 0 with a positive sum"
        )
    return vals
