"""What-if overrides of a simulation: revenue change, reps at a fixed attainment, accelerator,
target incentive change, common shock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spmopt.errors import ConfigError
from spmopt.settings_errors import format_validation_error

__all__ = ["Overrides", "OverridesLike", "RepsAt"]


class RepsAt(BaseModel):
    """A share of reps, picked at random in each draw, put at a fixed attainment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(ge=0, le=1)
    attainment: float = Field(ge=0)


class Overrides(BaseModel):
    """What-if overrides of one simulation.

    Attributes
    ----------
    revenue_change : float
        Relative change of every rep's revenue and attainment (-0.10 = revenue 10% lower).
    reps_at : RepsAt or None
        ``{"share": 0.8, "attainment": 1.2}``: in every draw 80% of reps, picked at random, are
        at 120% (the others keep their drawn attainment).
    accelerator : float
        Factor on the rates of tiers starting at or above ``accelerator_above`` (1.5 = 50%
        steeper accelerator).
    accelerator_above : float
        Attainment from which ``accelerator`` applies.
    target_incentive_change : float
        Relative change of every target incentive (0.05 = 5% more).
    common_shock : float or None
        Replace the common shock of a parametric attainment distribution.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    revenue_change: float = Field(default=0.0, gt=-1)
    reps_at: RepsAt | None = None
    accelerator: float = Field(default=1.0, ge=0)
    accelerator_above: float = Field(default=1.0, ge=0)
    target_incentive_change: float = Field(default=0.0, gt=-1)
    common_shock: float | None = Field(default=None, ge=0)

    @classmethod
    def coerce(cls, value: Overrides | Mapping[str, Any] | None) -> Overrides:
        if value is None:
            return cls()
        if isinstance(value, Overrides):
            return value
        try:
            return cls.model_validate(dict(value))
        except ValidationError as exc:
            raise ConfigError(
                format_validation_error(exc, "overrides", cls, "what-if overrides")
            ) from None

    def describe(self) -> str:
        parts = []
        if self.revenue_change:
            parts.append(f"revenue {self.revenue_change:+.0%}")
        if self.reps_at is not None:
            parts.append(f"{self.reps_at.share:.0%} of reps at {self.reps_at.attainment:.0%}")
        if self.accelerator != 1.0:
            parts.append(f"accelerator x{self.accelerator:g} from {self.accelerator_above:.0%}")
        if self.target_incentive_change:
            parts.append(f"TI {self.target_incentive_change:+.0%}")
        if self.common_shock is not None:
            parts.append(f"common shock {self.common_shock:.0%}")
        return ", ".join(parts) or "none"


OverridesLike: TypeAlias = Overrides | Mapping[str, Any] | None
"""What-if overrides: an :class:`Overrides`, its mapping, or None for none."""
