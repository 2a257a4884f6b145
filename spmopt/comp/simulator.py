"""Monte Carlo comp cost: what the plan costs, how that cost varies, whether margin holds.

:class:`CompSimulator` is the public entry (settings in ``__init__``, plans and data in
:meth:`~CompSimulator.simulate` / :meth:`~CompSimulator.compare`); :func:`simulate` and
:func:`compare_plans` are its functional forms. For each draw ``d`` every rep gets an attainment
(from the forecast's sample paths or a parametric distribution with a common company-wide shock,
:mod:`spmopt.comp.sampling`), the plan pays each rep exactly (:meth:`CompPlan.payout`), and the
draw's totals give the incentive cost, the cost of sales ``CCOS[d] = incentive[d] / revenue[d]``
and the margin after comp ``gross_margin - (base + incentive[d]) / revenue[d]``
(:mod:`spmopt.comp.statistics`). The payout is never evaluated at the mean attainment: the curve
is non-linear, so ``E[payout(A)] != payout(E[A])``; the summary reports both to show the gap.

Memory does not grow with the rep-draw count: draws run in chunks and the per-rep statistics are
streamed (:mod:`spmopt.comp.run`); only the company totals (a few floats per draw) and the
payouts of the first ``n_keep`` draws per rep (for per-rep percentiles) are kept.

Common random numbers: every plan of :meth:`CompSimulator.compare` is paid on the very same
draws, so differences between plans carry no sampling noise from the attainment.

The pieces: :mod:`spmopt.comp.overrides` (what-ifs), :mod:`spmopt.comp.reps` (quotas, roles,
proration), :mod:`spmopt.comp.sampling`, :mod:`spmopt.comp.run`, :mod:`spmopt.comp.statistics`
and :mod:`spmopt.comp.results` (:class:`CostSimulation`, :class:`PlanComparison`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp.attainment import AttainmentDistribution
from spmopt.comp.overrides import Overrides, OverridesLike, RepsAt
from spmopt.comp.plan import CompPlan
from spmopt.comp.results import CostSimulation, PlanComparison
from spmopt.comp.run import SimData, SimSettings, run_plans
from spmopt.contracts import Estimator
from spmopt.errors import ConfigError
from spmopt.protocols import CostTargets, ForecastSampler, SamplePathsLike
from spmopt.quota.result import QuotaResult

__all__ = [
    "CompSimulator",
    "CostSimulation",
    "ForecastLike",
    "Overrides",
    "OverridesLike",
    "PlanComparison",
    "PlanLike",
    "PlansLike",
    "QuotasLike",
    "RepsAt",
    "compare_plans",
    "simulate",
]

PlanLike: TypeAlias = CompPlan | Mapping[str, Any] | str | os.PathLike[str]
"""A :class:`CompPlan`, its mapping, or the path of its YAML file."""
PlansLike: TypeAlias = Mapping[str, PlanLike] | Sequence[CompPlan]
"""Plans by name, or a sequence of plans (named by ``CompPlan.name``)."""
QuotasLike: TypeAlias = QuotaResult | pd.DataFrame
"""A :class:`~spmopt.quota.QuotaResult` or a table ``rep_id, quota`` (optionally ``period``)."""
ForecastLike: TypeAlias = AttainmentDistribution | ForecastSampler | SamplePathsLike | None
"""A forecast with ``samples``, given sample paths, an attainment distribution, or None."""


def _pct(x: NDArray[np.float64], q: float) -> float:
    return float(np.percentile(x, q)) if x.size else float("nan")


def _coerce_plan(plan: Any) -> CompPlan:
    if isinstance(plan, CompPlan):
        return plan
    if isinstance(plan, Mapping):
        return CompPlan.from_dict(plan)
    if isinstance(plan, str) or hasattr(plan, "__fspath__"):
        return CompPlan.from_yaml(plan)
    raise ConfigError(f"plan must be a CompPlan, a mapping or a YAML path, got {type(plan)}")


class CompSimulator(Estimator):
    """Monte Carlo cost of incentive plans: settings here, plans and data in :meth:`simulate`.

    Parameters
    ----------
    n_draws : int
        Monte Carlo draws (capped at the number of given sample paths).
    seed : int
        Seed: equal seeds give equal results, whatever the chunking or thread count.
    targets : PlanningTargets, optional
        ``gross_margin`` [share of revenue], ``ccos_band`` (low, high) [share of revenue],
        ``margin_floor`` [share of revenue] (and ``plan_year`` when the plan has none): the
        checks. None: no checks (``status`` is ``"ok"``, ``passed`` None).
    overrides : Overrides or mapping, optional
        What-ifs, e.g. ``{"revenue_change": -0.1}``, ``{"reps_at": {"share": 0.8,
        "attainment": 1.2}}``, ``{"accelerator": 1.5}``. For :meth:`compare`, also a mapping of
        plan name to overrides.
    n_keep : int
        Draws whose rep-level payouts and attainment are kept, for per-rep percentiles and
        :meth:`CostSimulation.payouts` (at most ~8M rep-draws: fewer draws for huge teams).
    max_breach_prob : float
        A check passes when its probability of breach is at most this (a share in [0, 1]).
    chunk_draws : int, optional
        Draws per chunk; None sizes chunks to ~2M rep-draws (~8 MB of float32 attainment). The
        results do not depend on it.

    Examples
    --------
    >>> sim = CompSimulator(n_draws=10_000, seed=0, targets=data.targets)  # doctest: +SKIP
    >>> cost = sim.simulate(plan, quotas=q, forecast=fc, reps=data.reps)  # doctest: +SKIP
    >>> cost.summary_row()["ccos"], cost.ok  # doctest: +SKIP
    """

    def __init__(
        self,
        n_draws: int = 10_000,
        seed: int = 0,
        *,
        targets: CostTargets | None = None,
        overrides: OverridesLike = None,
        n_keep: int = 4_096,
        max_breach_prob: float = 0.10,
        chunk_draws: int | None = None,
    ) -> None:
        self.n_draws = n_draws
        self.seed = seed
        self.targets = targets
        self.overrides = overrides
        self.n_keep = n_keep
        self.max_breach_prob = max_breach_prob
        self.chunk_draws = chunk_draws

    def _validate(self) -> None:
        def bad(key: str, fix: str) -> ConfigError:
            return ConfigError(f"CompSimulator {key}={getattr(self, key)!r}: {fix}")

        if not _whole(self.n_draws) or int(self.n_draws) < 1:
            raise bad("n_draws", "n_draws must be a whole number >= 1, e.g. 10_000")
        if not _whole(self.seed):
            raise bad("seed", "give a whole number")
        if not _whole(self.n_keep) or int(self.n_keep) < 0:
            raise bad("n_keep", "give a whole number >= 0")
        if not 0.0 <= float(self.max_breach_prob) <= 1.0:
            raise bad("max_breach_prob", "give a probability in [0, 1], e.g. 0.10")
        if self.chunk_draws is not None and (not _whole(self.chunk_draws) or self.chunk_draws < 1):
            raise bad("chunk_draws", "give a whole number of draws >= 1, or None")

    def simulate(
        self,
        plan: PlanLike,
        *,
        quotas: QuotasLike,
        forecast: ForecastLike = None,
        reps: pd.DataFrame | None = None,
    ) -> CostSimulation:
        """Simulate the cost of one incentive plan.

        Parameters
        ----------
        plan : CompPlan, mapping or path
            The plan (a mapping or YAML path is validated into a :class:`CompPlan`).
        quotas : QuotaResult or DataFrame
            ``rep_id`` and ``quota`` [currency]: one row per rep (annual quota) or per rep and
            ``period`` (month start; the active months of mid-year hires are summed). A
            ``forecast`` column gives each rep's expected attainment to parametric
            distributions whose ``mean`` is None.
        forecast : ForecastResult, SamplePaths or AttainmentDistribution, optional
            Revenue uncertainty. A ForecastResult is sampled in chunks
            (``forecast.samples(n, seed, level="rep")``) and attainment is the rep's revenue
            over the active months divided by the active quota. An attainment distribution
            (:class:`~spmopt.comp.Normal`, :class:`~spmopt.comp.LogNormal`,
            :class:`~spmopt.comp.Empirical`, :class:`~spmopt.comp.Mixture`) draws attainment
            with a common shock. None: lognormal, sd 0.25, common shock 10%, mean from the
            quotas' forecast (reported in ``assumptions``).
        reps : DataFrame, optional
            ``rep_id`` with ``role``, and optionally ``target_incentive``, ``base_salary``
            [currency/yr] (per rep, else the role's) and ``hire_date`` (proration within the
            plan year).

        Returns
        -------
        CostSimulation
        """
        self._validate()
        p = _coerce_plan(plan)
        ov = Overrides.coerce(self.overrides)
        return self._run([p], [ov], [p.name], quotas, forecast, reps)[0]

    def compare(
        self,
        plans: PlansLike,
        *,
        quotas: QuotasLike,
        forecast: ForecastLike = None,
        reps: pd.DataFrame | None = None,
    ) -> PlanComparison:
        """Simulate several plans (or what-ifs) on the same draws (common random numbers).

        Parameters
        ----------
        plans : mapping of name to plan, or sequence of plans
            The first is the reference of :attr:`PlanComparison.delta`. The ``overrides``
            setting may map plan names to overrides (``{"base": {}, "downturn":
            {"revenue_change": -0.1}}`` compares what-ifs of one plan).
        quotas, forecast, reps
            As in :meth:`simulate`.

        Returns
        -------
        PlanComparison
        """
        self._validate()
        names, plist = _named_plans(plans)
        ovs = _per_plan_overrides(self.overrides, names)
        sims = self._run(plist, ovs, names, quotas, forecast, reps)
        return _comparison(names, sims)

    def _run(
        self,
        plans: Sequence[CompPlan],
        overrides: Sequence[Overrides],
        names: Sequence[str],
        quotas: QuotasLike,
        forecast: ForecastLike,
        reps: pd.DataFrame | None,
    ) -> list[CostSimulation]:
        settings = SimSettings(
            n_draws=int(self.n_draws),
            seed=int(self.seed),
            targets=self.targets,
            n_keep=int(self.n_keep),
            max_breach_prob=float(self.max_breach_prob),
            chunk_draws=self.chunk_draws,
        )
        return run_plans(plans, overrides, names, SimData(quotas, forecast, reps), settings)


def _whole(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _named_plans(plans: PlansLike) -> tuple[list[str], list[CompPlan]]:
    if isinstance(plans, Mapping):
        names = [str(k) for k in plans]
        plist = [_coerce_plan(v) for v in plans.values()]
    else:
        plist = [_coerce_plan(v) for v in plans]
        names = [p.name for p in plist]
        if len(set(names)) != len(names):
            names = [f"{n} [{i}]" for i, n in enumerate(names)]
    if not plist:
        raise ConfigError("compare_plans needs at least one plan")
    return names, plist


def _per_plan_overrides(overrides: OverridesLike, names: list[str]) -> list[Overrides]:
    if (
        isinstance(overrides, Mapping)
        and overrides
        and set(overrides) <= set(names)
        and all(isinstance(v, (Mapping, Overrides)) or v is None for v in overrides.values())
    ):
        return [Overrides.coerce(overrides.get(n)) for n in names]
    return [Overrides.coerce(overrides)] * len(names)


def _comparison(names: list[str], sims: list[CostSimulation]) -> PlanComparison:
    summary = pd.DataFrame(
        [s.summary for s in sims], index=pd.Index(names, name="plan")
    ).infer_objects()
    ref = sims[0].draws["incentive"].to_numpy()
    rows = []
    for s in sims:
        diff = s.draws["incentive"].to_numpy() - ref
        rows.append(
            {
                "mean_diff": float(diff.mean()),
                "diff_p10": _pct(diff, 10),
                "diff_p90": _pct(diff, 90),
                "se_diff": float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0,
                "p_costlier": float((diff > 0).mean()),
            }
        )
    delta = pd.DataFrame(rows, index=pd.Index(names, name="plan"))
    return PlanComparison(
        summary=summary,
        delta=delta,
        simulations=dict(zip(names, sims, strict=True)),
        status="ok" if all(s.ok for s in sims) else "failed",
    )


def simulate(
    plan: PlanLike,
    quotas: QuotasLike,
    forecast: ForecastLike = None,
    n_draws: int = 10_000,
    seed: int = 0,
    reps: pd.DataFrame | None = None,
    targets: CostTargets | None = None,
    overrides: OverridesLike = None,
    *,
    n_keep: int = 4_096,
    max_breach_prob: float = 0.10,
) -> CostSimulation:
    """Simulate the cost of an incentive plan: the functional form of
    :meth:`CompSimulator.simulate`.

    ``simulate(plan, quotas, forecast, n_draws, seed, reps, targets, overrides)`` equals
    ``CompSimulator(n_draws, seed, targets=targets, overrides=overrides, n_keep=n_keep,
    max_breach_prob=max_breach_prob).simulate(plan, quotas=quotas, forecast=forecast,
    reps=reps)``; see :class:`CompSimulator` for the parameters.

    Returns
    -------
    CostSimulation
    """
    return CompSimulator(
        n_draws,
        seed,
        targets=targets,
        overrides=overrides,
        n_keep=n_keep,
        max_breach_prob=max_breach_prob,
    ).simulate(plan, quotas=quotas, forecast=forecast, reps=reps)


def compare_plans(
    plans: PlansLike,
    quotas: QuotasLike,
    forecast: ForecastLike = None,
    n_draws: int = 10_000,
    seed: int = 0,
    reps: pd.DataFrame | None = None,
    targets: CostTargets | None = None,
    overrides: OverridesLike = None,
    *,
    n_keep: int = 4_096,
    max_breach_prob: float = 0.10,
) -> PlanComparison:
    """Several plans (or what-ifs) on the same draws: the functional form of
    :meth:`CompSimulator.compare`.

    Parameters
    ----------
    plans : mapping of name to plan, or sequence of plans
        The first is the reference of :attr:`PlanComparison.delta`.
    overrides : Overrides, mapping, or mapping of plan name to overrides
        One set for every plan, or one per plan name (``{"base": {}, "downturn":
        {"revenue_change": -0.1}}`` compares what-ifs of one plan).

    Other parameters are those of :func:`simulate`.
    """
    return CompSimulator(
        n_draws,
        seed,
        targets=targets,
        overrides=overrides,
        n_keep=n_keep,
        max_breach_prob=max_breach_prob,
    ).compare(plans, quotas=quotas, forecast=forecast, reps=reps)
