"""spmopt: sales performance management planning.

Territory alignment, revenue forecasting, quota setting and incentive comp-cost simulation, for
one scenario or for batches of what-ifs on Dask.

>>> import spmopt as spm
>>> data = spm.load_example()          # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from spmopt.errors import ConfigError, DataError, InfeasibleError, SpmoptError

if TYPE_CHECKING:
    from spmopt.comp import CompSimulator
    from spmopt.data import PlanningData, PlanningTargets, load_example, read_planning_data
    from spmopt.scenario import Scenario
    from spmopt.solver import SolveInfo, SolverOptions

__version__ = "0.1.0"

_SUBMODULES = ("territory", "forecast", "quota", "comp", "scenario", "report", "data", "geo",
               "health")  # fmt: skip
# pandas, numpy and scipy load on first use too, so that `spmopt --help` answers at once
_LAZY = {
    "CompSimulator": ("spmopt.comp", "CompSimulator"),
    "Scenario": ("spmopt.scenario", "Scenario"),
    "PlanningData": ("spmopt.data", "PlanningData"),
    "PlanningTargets": ("spmopt.data", "PlanningTargets"),
    "load_example": ("spmopt.data", "load_example"),
    "read_planning_data": ("spmopt.data", "read_planning_data"),
    "SolveInfo": ("spmopt.solver", "SolveInfo"),
    "SolverOptions": ("spmopt.solver", "SolverOptions"),
}

__all__ = [
    "CompSimulator",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "PlanningData",
    "PlanningTargets",
    "Scenario",
    "SolveInfo",
    "SolverOptions",
    "SpmoptError",
    "__version__",
    "comp",
    "data",
    "forecast",
    "geo",
    "health",
    "load_example",
    "quota",
    "read_planning_data",
    "report",
    "scenario",
    "territory",
]


def __getattr__(name: str) -> Any:
    # Heavy stages (prophet, dask, pyomo) load on first use, so `import spmopt` stays fast.
    if name in _SUBMODULES:
        return importlib.import_module(f"spmopt.{name}")
    if name in _LAZY:
        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'spmopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
