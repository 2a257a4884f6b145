"""Scenarios: the planning cycle end to end, for one what-if or hundreds on Dask.

>>> import spmopt as spm
>>> s = spm.Scenario(name="tight", territory={"balance": {"potential": 0.03}})
>>> res = spm.scenario.run(s)                                  # doctest: +SKIP
>>> sweep = spm.Scenario.grid(s, {"quota.over_assignment": [0.05, 0.10, 0.15]})
>>> batch = spm.scenario.run_batch(sweep, out="runs/sweep")     # doctest: +SKIP
"""

from spmopt.scenario.batch import BatchResult, ScenarioError, local_cluster, run_batch
from spmopt.scenario.config import (
    CompSettings,
    ForecastSettings,
    QuotaSettings,
    Scenario,
    TerritorySettings,
    read_scenarios,
)
from spmopt.scenario.pipeline import (
    CurrentAlignment,
    ForecastStage,
    ScenarioResult,
    Stages,
    load_data,
    run,
    summarise,
)
from spmopt.scenario.store import RunStore, StoredResult

__all__ = [
    "BatchResult",
    "CompSettings",
    "CurrentAlignment",
    "ForecastSettings",
    "ForecastStage",
    "QuotaSettings",
    "RunStore",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Stages",
    "StoredResult",
    "TerritorySettings",
    "load_data",
    "local_cluster",
    "read_scenarios",
    "run",
    "run_batch",
    "summarise",
]
