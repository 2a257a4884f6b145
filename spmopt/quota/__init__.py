"""Quota setting: achievable, fair quotas in whole increments that roll up to the target.

>>> import spmopt as spm
>>> data = spm.load_example()                                   # doctest: +SKIP
>>> qs = spm.quota.QuotaSetter(over_assignment=0.10, method="blend", increment=1000,
...                            solver=spm.SolverOptions(time_limit=60))
>>> res = qs.solve(assignment, forecast=forecast, accounts=data.accounts, reps=data.reps,
...                sales=data.sales, targets=data.targets)     # doctest: +SKIP
>>> res.raise_for_status().summary_row()                        # doctest: +SKIP
>>> res.quotas, res.annual, res.metrics, res.compare()         # doctest: +SKIP

Public API

* :class:`QuotaSetter`: the estimator (:class:`spmopt.contracts.Estimator`): settings in
  ``__init__`` (validated in one place, :class:`~spmopt.quota.settings.QuotaSettings`),
  ``get_params``/``set_params``; solver knobs only through ``solver=SolverOptions(...)``;
  ``solve(alignment, *, forecast, accounts, reps, sales, targets)``.
* :class:`QuotaResult`: ``status`` (optimal / feasible / time_limit / infeasible / error),
  ``ok``, ``raise_for_status()``, ``summary_row()`` (``company_target, quota_total,
  over_assignment, quota_spread, share_at_quota, quota_status``), ``to_frame()`` (the quota
  table), ``score``, ``baselines``, ``compare``.

The steps of ``solve`` live in files named for them: :mod:`spmopt.quota.inputs` (tables to
territory arrays), :mod:`spmopt.quota.problem` (coverage, fair share, bounds, group targets),
:mod:`spmopt.quota.model` (the MIP, stated there, and its diagnosis) and
:mod:`spmopt.quota.assembly` (period split, tables, metrics). Historical baselines are in
:mod:`spmopt.quota.baselines`, fairness and attainment metrics in :mod:`spmopt.quota.metrics`.
"""

from __future__ import annotations

from spmopt.quota.baselines import last_year_growth, ratchet
from spmopt.quota.draws import draws_from_intervals, interval_scales
from spmopt.quota.inputs import assignment_frame, current_assignment
from spmopt.quota.metrics import attainment_metrics, fairness_metrics, p_attain
from spmopt.quota.result import QuotaResult, compare
from spmopt.quota.setter import METHODS, QuotaSetter
from spmopt.quota.split import apportion, apportion_rows

__all__ = [
    "METHODS",
    "QuotaResult",
    "QuotaSetter",
    "apportion",
    "apportion_rows",
    "assignment_frame",
    "attainment_metrics",
    "compare",
    "current_assignment",
    "draws_from_intervals",
    "fairness_metrics",
    "interval_scales",
    "last_year_growth",
    "p_attain",
    "ratchet",
]
