"""Incentive comp plans and the comp-cost simulator.

* :class:`CompPlan`: a plan validated from YAML (roles, measures, tiers, gates, modifiers,
  SPIFs, draws, clawbacks, proration) with an exact, vectorised :meth:`CompPlan.payout`;
* :class:`CompSimulator`: the estimator (settings ``n_draws, seed, targets, overrides, n_keep,
  max_breach_prob, chunk_draws`` in ``__init__``, ``get_params``/``set_params``);
  :meth:`CompSimulator.simulate` gives the Monte Carlo cost of a plan on quotas and a revenue
  forecast (or a parametric attainment distribution with a common shock), checked against the
  CCOS band and margin floor, as a :class:`CostSimulation` (``status`` ok/failed, ``ok``,
  ``raise_for_status()``, ``summary_row()``, ``to_frame()``); :meth:`CompSimulator.compare`
  pays several plans or what-ifs on the same draws (common random numbers);
* :func:`simulate` and :func:`compare_plans`: their functional forms;
* attainment distributions :class:`Normal`, :class:`LogNormal`, :class:`Empirical`,
  :class:`Mixture`.

>>> import spmopt as spm
>>> plan = spm.comp.CompPlan.from_yaml("data/example/plan.yaml")   # doctest: +SKIP
>>> sim = spm.comp.CompSimulator(n_draws=10_000, seed=0, targets=data.targets)  # doctest: +SKIP
>>> cost = sim.simulate(plan, quotas=quotas, forecast=forecast, reps=data.reps)  # doctest: +SKIP
>>> cost.summary_row()                                             # doctest: +SKIP
>>> spm.comp.simulate(plan, quotas, forecast, n_draws=10_000, seed=0)  # the same  # doctest: +SKIP
"""

from __future__ import annotations

from spmopt.comp.attainment import AttainmentDistribution, Empirical, LogNormal, Mixture, Normal
from spmopt.comp.curves import PayCurve
from spmopt.comp.plan import CompPlan
from spmopt.comp.simulator import (
    CompSimulator,
    CostSimulation,
    Overrides,
    PlanComparison,
    RepsAt,
    compare_plans,
    simulate,
)

__all__ = [
    "AttainmentDistribution",
    "CompPlan",
    "CompSimulator",
    "CostSimulation",
    "Empirical",
    "LogNormal",
    "Mixture",
    "Normal",
    "Overrides",
    "PayCurve",
    "PlanComparison",
    "RepsAt",
    "compare_plans",
    "simulate",
]
