"""Territory alignment: balanced, compact, low-disruption territories, exact or with a bound.

>>> import spmopt as spm
>>> data = spm.load_example()                                         # doctest: +SKIP
>>> res = spm.territory.TerritoryAligner({"potential": 0.05}).solve(data.accounts, data.reps)
>>> res.summary, res.metrics["gap"]                                   # doctest: +SKIP
"""

from spmopt.territory.aligner import TerritoryAligner
from spmopt.territory.districts import DistrictPlan, build_districts
from spmopt.territory.metrics import current_assignment, evaluate, territory_summary
from spmopt.territory.result import AlignmentResult

__all__ = [
    "AlignmentResult",
    "DistrictPlan",
    "TerritoryAligner",
    "build_districts",
    "current_assignment",
    "evaluate",
    "territory_summary",
]
