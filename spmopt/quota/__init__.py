"""Quota setting: achievable, fair quotas in whole increments that roll up to the target.

>>> import spmopt as spm
>>> data = spm.load_example()                                   # doctest: +SKIP
>>> qs = spm.quota.QuotaSetter(over_assignment=0.10, method="blend", increment=1000)
>>> res = qs.solve(assignment, forecast, accounts=data.accounts, reps=data.reps,
...                sales=data.sales, targets=data.targets)     # doctest: +SKIP
>>> res.quotas, res.annual, res.metrics, res.compare()         # doctest: +SKIP

The model is stated in :mod:`spmopt.quota.model`; historical baselines are in
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
