"""The bands a healthy plan lies in, with their defaults and where the defaults come from.

Each check has a *pass* band and a wider *warn* band: a value inside the pass band passes, one
inside the warn band only warns, anything else fails. Set them in ``targets.yaml``::

    health:
      share_at_quota: [0.60, 0.70]                 # pass band; the warn band keeps its margin
      over_assignment: {band: [0.10, 0.20], warn: [0.05, 0.30]}
      aim_share_at_quota: 0.65

An unknown key is an error naming the key and the keys allowed.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spmopt.errors import ConfigError

__all__ = ["DEFAULT_BANDS", "Band", "HealthBands"]

INF = math.inf


@dataclass(frozen=True)
class Band:
    """A pass band ``[lo, hi]`` inside a warn band ``[warn_lo, warn_hi]`` (units of the check)."""

    lo: float
    hi: float
    warn_lo: float
    warn_hi: float

    def status(self, value: float) -> str:
        """``pass``, ``warn`` or ``fail`` for ``value``; ``n/a`` when it is missing."""
        if value is None or math.isnan(value):
            return "n/a"
        if self.lo <= value <= self.hi:
            return "pass"
        if self.warn_lo <= value <= self.warn_hi:
            return "warn"
        return "fail"

    def side(self, value: float) -> str:
        """``low``, ``high`` or ``ok``: where ``value`` lies against the pass band."""
        if value < self.lo:
            return "low"
        if value > self.hi:
            return "high"
        return "ok"

    def distance(self, value: float) -> float:
        """How far ``value`` lies outside the pass band, relative to the band's scale."""
        if not math.isfinite(value):
            return 0.0
        scale = max(abs(self.hi - self.lo) if math.isfinite(self.hi - self.lo) else 0, 1e-9)
        scale = max(scale, 0.05 * max(abs(self.lo), abs(self.hi) if math.isfinite(self.hi) else 0))
        return max(self.lo - value, value - self.hi, 0.0) / scale

    def with_pass(self, lo: float, hi: float) -> Band:
        """The band with a new pass band, the warn band keeping its margins around it."""
        dlo = self.lo - self.warn_lo
        dhi = self.warn_hi - self.hi
        return Band(lo, hi, round(lo - dlo, 12), round(hi + dhi, 12))


#: Default bands. Sources: FACTS of the planning field ("Planning anchors"): 60-70% of reps at
#: or above quota is the usual aim, attainment is positively skewed (Alexander Group; the
#: Bridge Group found 51% of AEs at quota in 2024); over-assignment is commonly 10-20%; comp
#: cost of sales is 3-9% of revenue for B2B (median range). The others are spmopt's own
#: conventions, stated in :class:`HealthBands`.
DEFAULT_BANDS: dict[str, Band] = {
    "share_at_quota": Band(0.60, 0.70, 0.50, 0.80),
    "attainment_skew": Band(0.0, INF, -0.15, INF),
    "over_assignment": Band(0.10, 0.20, 0.05, 0.25),
    "p_make_target": Band(0.70, 1.0, 0.50, 1.0),
    "ccos": Band(0.03, 0.09, 0.02, 0.10),
    "margin_after_comp": Band(0.55, INF, 0.53, INF),
    "pay_mix": Band(0.50, 0.70, 0.40, 0.80),
    "payout_at_target": Band(0.95, 1.05, 0.90, 1.10),
    "payout_p90": Band(1.5, 3.0, 1.2, 3.5),
    "growth_vs_last_year": Band(-0.20, 0.30, -0.20, 0.30),
    "growth_vs_forecast": Band(-0.15, 0.15, -0.15, 0.15),
    "growth_outliers": Band(0.0, 0.05, 0.0, 0.15),
    "quota_potential_spread": Band(0.0, 0.30, 0.0, 0.40),
    "potential_balance": Band(0.0, 0.10, 0.0, 0.20),
    "workload_balance": Band(0.0, 0.20, 0.0, 0.30),
    "disruption": Band(0.0, 0.25, 0.0, 0.50),
    "forecast_calibration": Band(0.70, 0.90, 0.60, 0.95),
}

_SCALARS = {"aim_share_at_quota": 0.65}


@dataclass(frozen=True)
class HealthBands:
    """The bands of every health check and the share of reps at quota aimed for.

    Defaults and their sources (all shares as fractions):

    - ``share_at_quota`` 60-70% pass, 50-80% warn: the usual aim (Alexander Group); recent
      surveys find about 50% (Bridge Group: 51% of AEs in 2024).
    - ``attainment_skew`` >= 0: attainment across reps is positively skewed (a few reps far
      above quota, most near it); quantile skewness of expected attainment, warn down to -0.15.
    - ``over_assignment`` 10-20% pass, 5-25% warn: common practice (enterprise software ~20%).
    - ``p_make_target`` >= 70% pass, >= 50% warn: probability the company revenue reaches the
      target in the simulated plan year (spmopt's convention: a target is a commitment).
    - ``ccos`` 3-9% pass (median range of comp cost of sales in B2B), 2-10% warn; the
      ``ccos_band`` of ``targets.yaml`` replaces the pass band when given.
    - ``margin_after_comp`` >= the ``margin_floor`` of ``targets.yaml`` (default 55%), warn 2
      points below.
    - ``pay_mix`` base share of on-target earnings 50-70% (the usual 50/50 to 70/30 mixes of
      quota-carrying roles), warn 40-80%.
    - ``payout_at_target`` 95-105% of target incentive at 100% attainment (a plan pays its target
      incentive at quota; clawbacks and gates move it a little), warn 90-110%.
    - ``payout_p90`` 1.5-3.0x target incentive for the rep at the 90th percentile of
      attainment (the upside or leverage of the plan), warn 1.2-3.5x.
    - ``growth_vs_last_year`` -20% to +30%, ``growth_vs_forecast`` -15% to +15%: per-rep quota
      growth counted as an outlier outside these (last year is the new territory's own history,
      so a falling forecast may take a quota below it; the forecast band is the tighter guard);
      ``growth_outliers`` is the share of reps that may be outliers: 5% pass, 15% warn.
    - ``quota_potential_spread`` coefficient of variation of quota / potential across reps,
      <= 30% pass, <= 40% warn (spmopt's convention: quotas that follow each territory's
      forecast and history spread it on purpose; beyond that, territories of equal potential
      carry visibly unequal quotas).
    - ``potential_balance`` <= 10% and ``workload_balance`` <= 20% largest deviation of a
      territory from its target (warn 20% / 30%).
    - ``disruption`` share of potential moved to another territory, <= 25% pass, <= 50% warn.
    - ``forecast_calibration`` backtest coverage of the 80% interval at every level, 70-90% pass,
      60-95% warn.
    - ``aim_share_at_quota`` 65%: the share of reps at quota the target gap is measured against.

    Parameters
    ----------
    bands : mapping of str to Band
        Bands by check name (missing ones take the defaults).
    aim_share_at_quota : float
        Share of reps at quota aimed for [fraction].
    """

    bands: Mapping[str, Band]
    aim_share_at_quota: float = 0.65

    def __getitem__(self, name: str) -> Band:
        return self.bands[name]

    @classmethod
    def default(cls) -> HealthBands:
        return cls(bands=dict(DEFAULT_BANDS))

    @classmethod
    def from_targets(cls, targets: Any) -> HealthBands:
        """The bands of a :class:`~spmopt.PlanningTargets` (its ``health`` settings, its CCOS
        band and margin floor), defaults elsewhere. ``None`` gives the defaults."""
        if targets is None:
            return cls.default()
        out = dict(DEFAULT_BANDS)
        lo, hi = (float(x) for x in targets.ccos_band)
        out["ccos"] = out["ccos"].with_pass(lo, hi)
        floor = float(targets.margin_floor)
        out["margin_after_comp"] = Band(floor, INF, floor - 0.02, INF)
        raw = getattr(targets, "health", None) or {}
        return cls.from_dict(raw, source="targets.yaml health", base=out)

    @classmethod
    def from_dict(
        cls,
        raw: Mapping[str, Any],
        source: str = "health",
        base: Mapping[str, Band] | None = None,
    ) -> HealthBands:
        """Bands from a mapping: each key a check name with ``[lo, hi]`` (the pass band; the
        warn band keeps its default margins) or ``{band: [lo, hi], warn: [lo, hi]}``, or
        ``aim_share_at_quota``.

        Raises
        ------
        ConfigError
            An unknown key (naming it, the closest key and the allowed ones) or a bad band.
        """
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"{source}: health settings are a mapping of check name to band, got "
                f"{type(raw).__name__}"
            )
        bands = dict(base if base is not None else DEFAULT_BANDS)
        scalars = dict(_SCALARS)
        allowed = sorted([*DEFAULT_BANDS, *_SCALARS])
        for key, value in raw.items():
            k = str(key)
            if k in _SCALARS:
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    raise ConfigError(
                        f"{source}: key {k!r} needs a number, got {value!r}"
                    ) from None
                if not 0 < v < 1:
                    raise ConfigError(f"{source}: key {k!r} is a share in (0, 1), got {v}")
                scalars[k] = v
                continue
            if k not in DEFAULT_BANDS:
                close = difflib.get_close_matches(k, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(
                    f"{source}: unknown key {k!r}{hint}; allowed keys: {', '.join(allowed)}"
                )
            bands[k] = _band(value, bands[k], f"{source}: key {k!r}")
        return cls(bands=bands, aim_share_at_quota=scalars["aim_share_at_quota"])

    def to_dict(self) -> dict[str, Any]:
        """Plain settings (what ``from_dict`` reads back)."""
        out: dict[str, Any] = {
            k: {"band": [b.lo, b.hi], "warn": [b.warn_lo, b.warn_hi]} for k, b in self.bands.items()
        }
        out["aim_share_at_quota"] = self.aim_share_at_quota
        return out


def _pair(v: Any, where: str) -> tuple[float, float]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ConfigError(f"{where}: give [low, high], e.g. [0.6, 0.7]; got {v!r}")
    try:
        lo, hi = (INF if x is None and i == 1 else float(x) for i, x in enumerate(v))
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: [low, high] must be numbers (null for no upper limit)"
        ) from None
    if lo > hi:
        raise ConfigError(f"{where}: low {lo} is above high {hi}")
    return lo, hi


def _band(value: Any, default: Band, where: str) -> Band:
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - {"band", "warn"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed keys: band, warn")
        b = default
        if "band" in value:
            b = b.with_pass(*_pair(value["band"], f"{where}.band"))
        if "warn" in value:
            wlo, whi = _pair(value["warn"], f"{where}.warn")
            if not (wlo <= b.lo and b.hi <= whi):
                raise ConfigError(
                    f"{where}: the warn band [{wlo}, {whi}] must hold the pass band "
                    f"[{b.lo}, {b.hi}]"
                )
            b = Band(b.lo, b.hi, wlo, whi)
        return b
    return default.with_pass(*_pair(value, where))
