"""Incentive comp plans and the comp-cost simulator.

* :class:`CompPlan`: a plan validated from YAML (roles, measures, tiers, gates, modifiers,
  SPIFs, draws, clawbacks, proration) with an exact, vectorised :meth:`CompPlan.payout`;
* :func:`simulate`: Monte Carlo cost of a plan on quotas and a revenue forecast (or a parametric
  attainment distribution with a common shock), checked against the CCOS band and margin floor;
* :func:`compare_plans`: several plans or what-ifs on the same draws (common random numbers);
* attainment distributions :class:`Normal`, :class:`LogNormal`, :class:`Empirical`,
  :class:`Mixture`.

>>> import spmopt as spm
>>> plan = spm.comp.CompPlan.from_yaml("data/example/plan.yaml")   # doctest: +SKIP
>>> sim = spm.comp.simulate(plan, quotas, forecast, n_draws=10_000, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from spmopt.comp.attainment import AttainmentDistribution, Empirical, LogNormal, Mixture, Normal
from spmopt.comp.curves import PayCurve
from spmopt.comp.plan import CompPlan
from spmopt.comp.simulator import (
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
