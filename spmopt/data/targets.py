"""Planning targets: the company's revenue target and the financial guard-rails of the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from spmopt.errors import ConfigError
from spmopt.settings_errors import format_validation_error

__all__ = ["PlanningTargets", "format_validation_error"]


class PlanningTargets(BaseModel):
    """Targets of one planning year (``targets.yaml``).

    Attributes
    ----------
    plan_year : int
        Calendar year being planned; quotas and forecasts cover its twelve months.
    company_revenue_target : float
        Revenue the company commits to for the plan year [currency/yr].
    over_assignment : float
        Share by which the sum of rep quotas exceeds the company target (0.10 = 10%).
    gross_margin : float
        Gross margin on revenue before sales compensation, as a fraction (0.72 = 72%).
    ccos_band : tuple of float
        Acceptable band of incentive cost of sales (incentive pay / revenue), as fractions.
    margin_floor : float
        Lowest acceptable margin after all sales compensation (base + incentive), as a fraction
        of revenue.
    currency : str
        ISO code of the currency of every money column.
    health : dict
        Bands of the plan-health checks by check name (see :class:`spmopt.health.HealthBands`);
        checks not named keep their defaults.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan_year: int = Field(ge=1900, le=2200)
    company_revenue_target: float = Field(gt=0)
    over_assignment: float = Field(default=0.10, ge=0, le=1)
    gross_margin: float = Field(default=0.70, gt=0, le=1)
    ccos_band: tuple[float, float] = (0.03, 0.09)
    margin_floor: float = Field(default=0.55, ge=-1, le=1)
    currency: str = "USD"
    health: dict[str, Any] = Field(default_factory=dict)

    @field_validator("health")
    @classmethod
    def _check_health(cls, v: dict[str, Any]) -> dict[str, Any]:
        from spmopt.health.bands import HealthBands

        HealthBands.from_dict(v, source="health")  # raises naming the bad key
        return v

    @model_validator(mode="after")
    def _check_band(self) -> PlanningTargets:
        lo, hi = self.ccos_band
        if not 0 <= lo <= hi <= 1:
            raise ValueError(
                f"ccos_band must be [low, high] with 0 <= low <= high <= 1, got {lo, hi}"
            )
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> PlanningTargets:
        """Read and validate ``targets.yaml``."""
        p = Path(path)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        return cls.from_dict(raw, source=str(p))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "targets") -> PlanningTargets:
        """Validate a mapping; errors name the key and the allowed values."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, source, cls)) from None

    def to_yaml(self) -> str:
        d = self.model_dump()
        d["ccos_band"] = list(d["ccos_band"])
        if not d["health"]:
            d.pop("health")
        return yaml.safe_dump(d, sort_keys=False)
