"""``QuotaResult``: the quotas, one row per rep and year, metrics and what could not be done."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmopt.contracts import ResultContract, check_status
from spmopt.errors import InfeasibleError
from spmopt.quota.baselines import last_year_growth, ratchet
from spmopt.quota.metrics import attainment_metrics, fairness_metrics

__all__ = ["QuotaContext", "QuotaResult", "compare"]


@dataclass(frozen=True)
class QuotaContext:
    """Per-territory inputs kept to score other quotas on the same footing (see ``score``)."""

    territory_id: np.ndarray
    potential: np.ndarray
    fair: np.ndarray
    kappa: np.ndarray  # share of the territory quota the rep carries
    is_rep: np.ndarray
    last_year: np.ndarray
    prior_year: np.ndarray
    active_draws: np.ndarray | None  # (n_draws, n) revenue over the rep's months [currency]
    company_target: float
    total: int  # roll-up in increments
    increment: float


@dataclass(frozen=True, repr=False)
class QuotaResult(ResultContract):
    """Quotas set by :class:`spmopt.quota.QuotaSetter`.

    Attributes
    ----------
    quotas : DataFrame
        One row per territory and period: ``rep_id`` (None when vacant), ``territory_id``,
        ``period`` (period start), ``quota`` (carried by the rep) [currency], ``held`` (held at
        territory level: vacancy before a hire, ramp relief, vacant territories),
        ``territory_quota`` (``quota + held``), ``potential_share`` (the territory's share of
        company potential), ``forecast`` [currency], ``growth`` (territory quota vs last year's
        same period, NaN without history).
    annual : DataFrame
        One row per territory (rep): ``rep_id, territory_id, region, district, role, hire_date,
        status`` (active / ramping / new hire / starts later / vacant), ``potential,
        potential_share, last_year, forecast, fair_share, territory_quota, quota, held,
        coverage`` (productive share of the year, seasonally weighted: vacant months 0, ramp
        months their ramp factor), ``quota_to_potential, growth, growth_vs_forecast,
        fair_deviation, lower_bound, upper_bound, p_attain, attainment_p50``.
    metrics : dict
        Roll-up, over-assignment (configured and realised, territory and carried), fairness
        (spread of quota/potential), achievability, counts, solver statistics.
    status : str
        ``optimal``, ``feasible``, ``time_limit``, ``infeasible`` or ``error`` (the vocabulary
        of :mod:`spmopt.contracts`; :attr:`ok` is true for the first three).
    diagnosis : str or None
        Why the model is infeasible (reps and numbers), else None.
    conflicts : DataFrame
        The conflicts behind ``diagnosis``, one per row.
    notes : list of str
        What was assumed or filled in (missing forecasts, vacant territories, ...).
    method : str
        The quota method used.
    attainment_draws : ndarray or None, shape (n_draws, n_reps)
        Attainment (revenue of the rep's months / carried quota) per draw, for the reps in
        ``attainment_reps`` (those carrying a quota); None without a forecast.
    attainment_reps : ndarray or None
        The rep ids of the columns of ``attainment_draws``.
    context : QuotaContext or None
        Inputs kept for :meth:`score`, :meth:`baselines` and :meth:`compare`.
    """

    quotas: pd.DataFrame
    annual: pd.DataFrame
    metrics: dict[str, Any]
    status: str
    diagnosis: str | None = None
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    method: str = "blend"
    attainment_draws: np.ndarray | None = None
    attainment_reps: np.ndarray | None = None
    context: QuotaContext | None = None

    def __repr__(self) -> str:
        m = self.metrics
        if self.status in ("infeasible", "error"):
            return f"QuotaResult(status={self.status!r}, diagnosis={self.diagnosis!r})"
        parts = [
            f"status={self.status!r}",
            f"method={self.method!r}",
            f"territories={m.get('n_territories', 0)}",
            f"roll_up={m.get('roll_up', 0):,.0f}",
            f"over_assignment={m.get('over_assignment_realised', float('nan')):.1%}",
            f"quota/potential cv={m.get('quota_potential_cv', float('nan')):.3f}",
        ]
        share = m.get("expected_share_at_quota")
        if share is not None and share == share:
            parts.append(f"expected share at quota={share:.0%}")
        return f"QuotaResult({', '.join(parts)})"

    def __post_init__(self) -> None:
        check_status(self.status)

    def _problem(self) -> str:
        return str(self.diagnosis or f"status {self.status}")

    def raise_for_status(self) -> QuotaResult:
        """Return ``self`` when quotas were set; else raise :class:`spmopt.InfeasibleError`.

        The error's ``diagnosis`` is the :attr:`conflicts` table (reps, constraints, numbers).
        """
        if not self.ok:
            raise InfeasibleError(
                f"quota model {self.status}: {self.diagnosis}", diagnosis=self.conflicts
            )
        return self

    def raise_if_infeasible(self) -> QuotaResult:
        """Deprecated alias of :meth:`raise_for_status` (removed in the next release)."""
        warnings.warn(
            "QuotaResult.raise_if_infeasible() is deprecated; use raise_for_status()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.raise_for_status()

    def summary_row(self) -> dict[str, Any]:
        """Headline figures as one flat dict.

        Keys: ``company_target`` and ``quota_total`` (the roll-up of territory quotas)
        [currency/yr], ``over_assignment`` (``quota_total / company_target - 1``),
        ``quota_spread`` (coefficient of variation of quota / potential across territories;
        lower is fairer), ``share_at_quota`` (expected share of reps at or above quota, mean
        of ``annual.p_attain``; NaN without draws) and ``quota_status``.
        """
        m = self.metrics
        target = _num(m.get("company_target"))
        if "roll_up" in m:
            total = _num(m["roll_up"])
        elif "quota" in self.annual:
            total = float(self.annual["quota"].sum())
        else:
            total = float("nan")
        ok_target = bool(target) and target == target
        spread = _num(m["quota_potential_cv"]) if "quota_potential_cv" in m else self._spread()
        p_attain = self.annual["p_attain"] if "p_attain" in self.annual else pd.Series(dtype=float)
        return {
            "company_target": target,
            "quota_total": total,
            "over_assignment": total / target - 1.0 if ok_target else float("nan"),
            "quota_spread": spread,
            "share_at_quota": float(p_attain.mean()) if len(p_attain) else float("nan"),
            "quota_status": str(self.status),
        }

    def _spread(self) -> float:
        """CV of quota / potential from ``annual`` (NaN under two territories with potential)."""
        a = self.annual
        if not {"quota", "potential"} <= set(a.columns):
            return float("nan")
        pot = a["potential"].to_numpy(float)
        ratio = a["quota"].to_numpy(float) / np.where(pot > 0, pot, np.nan)
        ratio = ratio[np.isfinite(ratio)]
        if len(ratio) < 2 or ratio.mean() == 0:
            return float("nan")
        return float(ratio.std() / ratio.mean())

    def to_frame(self) -> pd.DataFrame:
        """The quota table (territory x period)."""
        return self.quotas.copy()

    def score(self, territory_quota: np.ndarray | pd.Series) -> dict[str, float]:
        """Fairness, achievability and over-assignment of other annual territory quotas.

        Parameters
        ----------
        territory_quota : array or Series
            Annual quota per territory [currency], in the order of ``annual`` (a Series is
            aligned on ``territory_id``). The rep carries the same share of it as of this
            result's quota (``coverage``).
        """
        ctx = self.context
        if ctx is None:
            raise ValueError("this result holds no context to score against")
        if isinstance(territory_quota, pd.Series):
            q = territory_quota.reindex(ctx.territory_id).to_numpy(float)
        else:
            q = np.asarray(territory_quota, float)
        out: dict[str, float] = {}
        out["roll_up"] = float(q.sum())
        out["over_assignment"] = float(q.sum() / ctx.company_target - 1.0)
        out.update(fairness_metrics(q, ctx.potential))
        ok = ctx.fair > 0
        dev = np.abs(q[ok] - ctx.fair[ok]) / ctx.fair[ok]
        out["max_fair_deviation"] = float(dev.max()) if ok.any() else float("nan")
        carried = q * ctx.kappa
        out["carried_over_assignment"] = float(carried.sum() / ctx.company_target - 1.0)
        if ctx.active_draws is not None:
            reps = ctx.is_rep & (carried > 0)
            am = attainment_metrics(carried[reps], ctx.active_draws[:, reps])
            out.update(am)
        return out

    def baselines(self, up: float = 0.6, down: float = 0.3) -> pd.DataFrame:
        """Historical baselines on the same territories and roll-up.

        Returns
        -------
        DataFrame
            ``territory_id, this`` (this result's territory quota), ``last_year_growth`` and
            ``ratchet`` [currency/yr]; see :mod:`spmopt.quota.baselines`.
        """
        ctx = self.context
        if ctx is None:
            raise ValueError("this result holds no context")
        ly = last_year_growth(ctx.last_year, ctx.potential, ctx.total, ctx.increment)
        rt = ratchet(
            ctx.last_year,
            ctx.prior_year,
            ctx.potential,
            ctx.total,
            ctx.increment,
            up=up,
            down=down,
        )
        this = self.annual.set_index("territory_id")["territory_quota"].reindex(ctx.territory_id)
        return pd.DataFrame(
            {
                "territory_id": ctx.territory_id,
                "this": this.to_numpy(float),
                "last_year_growth": ly,
                "ratchet": rt,
            }
        )

    def compare(self) -> pd.DataFrame:
        """This result beside the historical baselines: one row per method, metrics as columns."""
        return compare({self.method: self})


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


_COMPARE_COLS = [
    "over_assignment",
    "carried_over_assignment",
    "quota_potential_cv",
    "quota_potential_p90_p10",
    "max_fair_deviation",
    "expected_share_at_quota",
    "p_attain_min",
    "p_attain_max",
    "share_below_50",
]


def compare(results: dict[str, QuotaResult], baselines: bool = True) -> pd.DataFrame:
    """Side-by-side metrics of several results (same data) and the historical baselines.

    Parameters
    ----------
    results : dict
        Label -> :class:`QuotaResult` (e.g. one per method), all solved on the same inputs.
    baselines : bool
        Add ``last_year_growth`` and ``ratchet`` rows, scored on the first result's inputs.

    Returns
    -------
    DataFrame
        One row per method: over-assignment (territory and carried), spread of quota/potential
        (cv, P90/P10), largest deviation from the first result's fair share, expected share of
        reps at or above quota, lowest/highest P(attain), expected share under 50% of quota.
    """
    rows: dict[str, dict[str, float]] = {}
    first: QuotaResult | None = None
    for label, res in results.items():
        if not res.ok:
            continue
        first = first or res
        q = res.annual.set_index("territory_id")["territory_quota"]
        rows[label] = first.score(q)
    if baselines and first is not None:
        b = first.baselines()
        for col in ("last_year_growth", "ratchet"):
            rows[col] = first.score(b[col].to_numpy(float))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "method"
    return frame.reindex(columns=[c for c in _COMPARE_COLS if c in frame.columns])
