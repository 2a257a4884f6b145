"""Parametric attainment distributions with a common company-wide shock.

Reps are not independent: a weak economy or a product delay moves everyone. Every distribution
here draws a rep's attainment as ``A[d, r] = X[d, r] * S[d]`` where ``X`` is the rep's own
draw and ``S[d] = exp(s Z[d] - s^2 / 2)`` (``Z`` standard normal, ``s = common_shock``) is shared
by all reps of draw ``d`` and has mean 1, so the expected attainment is unchanged while the
spread of the total cost widens. Attainment is floored at 0.

* :class:`Normal`: ``X = mean + sd * N(0, 1)``;
* :class:`LogNormal`: moment-matched, ``E[X] = mean``, ``sd(X) = sd`` (positively skewed, as
  real attainment is);
* :class:`Empirical`: a bootstrap of observed attainment ratios (e.g. from history), optionally
  scaled per rep;
* :class:`Mixture`: a weighted mixture of normal / lognormal components (bimodal teams).

``mean`` and ``sd`` are scalars or per-rep mappings ``{rep_id: value}``; ``mean=None`` takes each
rep's expected attainment from the quotas' forecast (``forecast / quota``) when the simulator
knows it, else 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp import _kernels
from spmopt.errors import ConfigError, DataError

__all__ = ["AttainmentDistribution", "Empirical", "LogNormal", "Mixture", "Normal"]

PerRep = float | Mapping[str, float] | None


def _per_rep(
    value: PerRep, rep_ids: Sequence[str], default: NDArray[np.float64], name: str
) -> NDArray[np.float64]:
    if value is None:
        return np.asarray(default, dtype=np.float64)
    if isinstance(value, Mapping) or isinstance(value, pd.Series):
        mapping = dict(value.items())
        missing = [r for r in rep_ids if r not in mapping]
        if missing:
            raise DataError(
                f"no {name} for {len(missing)} rep(s)",
                table="attainment",
                column=name,
                rows=missing,
                fix=f"give a {name} for every rep, or a single number",
            )
        return np.array([float(mapping[r]) for r in rep_ids])
    return np.full(len(rep_ids), float(value))


def seed_key(seed: int) -> np.uint64:
    """A 64-bit stream key from a user seed (SeedSequence-mixed)."""
    return np.uint64(np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0])


@dataclass(frozen=True)
class AttainmentDistribution:
    """Base class: per-rep attainment draws with a common shock (see the module docstring)."""

    def kernel_params(
        self, rep_ids: Sequence[str], default_mean: NDArray[np.float64]
    ) -> tuple[Any, ...]:
        """``(kinds, wcum, mu, sd, emp, shock_sd)`` arrays for :func:`_kernels.gen_attainment`."""
        raise NotImplementedError

    @property
    def shock(self) -> float:
        return float(getattr(self, "common_shock", 0.0))

    def sample(
        self,
        n_draws: int,
        rep_ids: Sequence[str] | int,
        seed: int = 0,
        *,
        default_mean: NDArray[np.float64] | None = None,
        start: int = 0,
    ) -> NDArray[np.float32]:
        """Attainment draws, shape ``(n_draws, n_reps)`` float32.

        Draw ``start + i`` is the same whatever ``n_draws`` is (a counter-based stream).
        """
        ids = [f"R{i}" for i in range(rep_ids)] if isinstance(rep_ids, int) else list(rep_ids)
        dm = np.ones(len(ids)) if default_mean is None else default_mean
        out = np.empty((n_draws, len(ids)), dtype=np.float32)
        shock = np.empty(n_draws, dtype=np.float32)
        params = self.kernel_params(ids, dm)
        _kernels.gen_attainment(seed_key(seed), start, *params, out, shock)  # type: ignore[call-arg]
        return out


def _single(kind: int, mu: NDArray[Any], sd: NDArray[Any], shock: float) -> tuple[Any, ...]:
    return (
        np.array([kind], dtype=np.int64),
        np.array([1.0], dtype=np.float32),
        mu[None, :].astype(np.float32),
        sd[None, :].astype(np.float32),
        np.zeros(1, dtype=np.float32),
        np.float32(shock),
    )


def _check(x: float, name: str, lo: float = 0.0) -> None:
    if not np.isfinite(x) or x < lo:
        raise ConfigError(f"{name} must be a finite number >= {lo}, got {x}")


@dataclass(frozen=True)
class Normal(AttainmentDistribution):
    """Normal attainment ``mean + sd * N(0, 1)`` (floored at 0), times the common shock."""

    mean: PerRep = None
    sd: PerRep = 0.25
    common_shock: float = 0.10

    def __post_init__(self) -> None:
        _check(self.common_shock, "common_shock")

    def kernel_params(
        self, rep_ids: Sequence[str], default_mean: NDArray[np.float64]
    ) -> tuple[Any, ...]:
        mu = _per_rep(self.mean, rep_ids, default_mean, "mean")
        sd = _per_rep(self.sd, rep_ids, np.full(len(rep_ids), 0.25), "sd")
        if np.any(sd < 0):
            raise ConfigError("sd must be >= 0")
        return _single(_kernels.KIND_NORMAL, mu, sd, self.common_shock)


@dataclass(frozen=True)
class LogNormal(AttainmentDistribution):
    """Lognormal attainment moment-matched to ``mean`` and ``sd``, times the common shock.

    ``log X ~ N(log mean - s^2 / 2, s^2)`` with ``s^2 = log(1 + sd^2 / mean^2)``.
    """

    mean: PerRep = None
    sd: PerRep = 0.25
    common_shock: float = 0.10

    def __post_init__(self) -> None:
        _check(self.common_shock, "common_shock")

    def kernel_params(
        self, rep_ids: Sequence[str], default_mean: NDArray[np.float64]
    ) -> tuple[Any, ...]:
        mu = _per_rep(self.mean, rep_ids, default_mean, "mean")
        sd = _per_rep(self.sd, rep_ids, np.full(len(rep_ids), 0.25), "sd")
        if np.any(mu <= 0) or np.any(sd < 0):
            raise ConfigError("a lognormal needs mean > 0 and sd >= 0")
        s = np.sqrt(np.log1p((sd / mu) ** 2))
        return _single(_kernels.KIND_LOGNORMAL, mu, s, self.common_shock)


@dataclass(frozen=True)
class Empirical(AttainmentDistribution):
    """Bootstrap of observed attainment ratios ``values`` (pooled over reps and years).

    Each draw picks one value at random; with ``mean`` given (or known from the quotas'
    forecast when ``rescale=True``) the value is scaled by ``mean / mean(values)``.
    """

    values: tuple[float, ...] = ()
    mean: PerRep = None
    rescale: bool = False
    common_shock: float = 0.0

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        if v.size < 2 or not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ConfigError("Empirical needs at least two finite, non-negative attainment values")
        object.__setattr__(self, "values", tuple(float(x) for x in v))
        _check(self.common_shock, "common_shock")

    @classmethod
    def from_history(
        cls,
        sales: pd.DataFrame,
        *,
        by: str = "rep_id",
        min_revenue: float = 1.0,
        common_shock: float = 0.0,
        mean: PerRep = None,
    ) -> Empirical:
        """Relative attainment observed in history: each rep's calendar-year revenue over the
        mean rep revenue of that year (the company-wide year effect is left to the common
        shock; complete years only).

        Parameters
        ----------
        sales : DataFrame
            ``period`` (month start), ``revenue`` and the ``by`` column.
        """
        need = {"period", "revenue", by}
        missing = need - set(sales.columns)
        if missing:
            raise DataError(
                f"needs columns {sorted(need)}; missing {sorted(missing)}",
                table="sales",
                column=sorted(missing)[0],
                fix=f"pass sales with {by}, period and revenue",
            )
        s = sales.assign(year=pd.to_datetime(sales["period"]).dt.year)
        months = s.groupby("year")["period"].nunique()
        full = months.index[months >= 12]
        yearly = s[s["year"].isin(full)].groupby(["year", by])["revenue"].sum()
        yearly = yearly[yearly >= min_revenue]
        if yearly.empty:
            raise DataError(
                "no complete calendar year with revenue",
                table="sales",
                column="period",
                fix="give at least one full year (12 months) of sales",
            )
        rel = yearly / yearly.groupby(level="year").transform("mean")
        return cls(values=tuple(rel.to_numpy()), mean=mean, rescale=True, common_shock=common_shock)

    def kernel_params(
        self, rep_ids: Sequence[str], default_mean: NDArray[np.float64]
    ) -> tuple[Any, ...]:
        v = np.asarray(self.values, dtype=np.float64)
        if self.mean is None and not self.rescale:
            scale = np.ones(len(rep_ids))
        else:
            scale = _per_rep(self.mean, rep_ids, default_mean, "mean") / v.mean()
        kinds, wcum, mu, sd, _, shock = _single(
            _kernels.KIND_EMPIRICAL, scale, np.zeros(len(rep_ids)), self.common_shock
        )
        return kinds, wcum, mu, sd, v.astype(np.float32), shock


@dataclass(frozen=True)
class Mixture(AttainmentDistribution):
    """A mixture: each rep-draw comes from component ``k`` with probability ``weights[k]``.

    Components are :class:`Normal` or :class:`LogNormal` with scalar means (their own
    ``common_shock`` is ignored: the mixture's applies). Example, a team where a third of reps
    struggle::

        Mixture([LogNormal(0.7, 0.15), LogNormal(1.15, 0.2)], weights=[1/3, 2/3])
    """

    components: tuple[Normal | LogNormal, ...] = ()
    weights: tuple[float, ...] = ()
    common_shock: float = 0.10

    def __init__(
        self,
        components: Sequence[Normal | LogNormal],
        weights: Sequence[float],
        common_shock: float = 0.10,
    ) -> None:
        object.__setattr__(self, "components", tuple(components))
        object.__setattr__(self, "weights", tuple(float(w) for w in weights))
        object.__setattr__(self, "common_shock", float(common_shock))
        w = np.asarray(self.weights)
        if len(self.components) < 1 or len(w) != len(self.components):
            raise ConfigError("Mixture needs one weight per component (at least one)")
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ConfigError(f"mixture weights must be >= 0 and add to 1, got {list(w)}")
        for comp in self.components:
            if not isinstance(comp, (Normal, LogNormal)):
                raise ConfigError("mixture components must be Normal or LogNormal")
        _check(self.common_shock, "common_shock")

    def kernel_params(
        self, rep_ids: Sequence[str], default_mean: NDArray[np.float64]
    ) -> tuple[Any, ...]:
        parts = [c.kernel_params(rep_ids, default_mean) for c in self.components]
        kinds = np.array([p[0][0] for p in parts], dtype=np.int64)
        wcum = np.cumsum(np.asarray(self.weights)).astype(np.float32)
        wcum[-1] = np.float32(2.0)  # never fall off the end through rounding
        mu = np.concatenate([p[2] for p in parts], axis=0)
        sd = np.concatenate([p[3] for p in parts], axis=0)
        return kinds, wcum, mu, sd, np.zeros(1, dtype=np.float32), np.float32(self.common_shock)
