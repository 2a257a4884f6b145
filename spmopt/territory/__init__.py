"""Territory alignment: balanced, compact, low-disruption territories, exact or with a bound.

The pipeline, one module each: :func:`build_model` (:mod:`.build`: tables to per-group arrays)
-> the solve phases (:mod:`.phases`: bound, primal, improve, exact, compromise, each
``phase(model, state, budget) -> state`` under a work budget; run by :mod:`.engine`) ->
:func:`assemble` (:mod:`.assemble`: the :class:`AlignmentResult`). :class:`TerritoryAligner`
holds the settings and calls the three.

>>> import spmopt as spm
>>> data = spm.load_example()                                         # doctest: +SKIP
>>> res = spm.territory.TerritoryAligner({"potential": 0.05}).solve(data.accounts, data.reps)
>>> res.summary, res.metrics["gap"]                                   # doctest: +SKIP
"""

from spmopt.territory.aligner import TerritoryAligner
from spmopt.territory.assemble import assemble
from spmopt.territory.build import AlignmentSettings, BuiltAlignment, build_model
from spmopt.territory.districts import DistrictPlan, build_districts
from spmopt.territory.engine import solve_group, solve_model
from spmopt.territory.metrics import current_assignment, evaluate, territory_summary
from spmopt.territory.phases import WorkBudget
from spmopt.territory.result import AlignmentResult

__all__ = [
    "AlignmentResult",
    "AlignmentSettings",
    "BuiltAlignment",
    "DistrictPlan",
    "TerritoryAligner",
    "WorkBudget",
    "assemble",
    "build_districts",
    "build_model",
    "current_assignment",
    "evaluate",
    "solve_group",
    "solve_model",
    "territory_summary",
]
