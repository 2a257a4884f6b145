"""Fixtures of the forecast tests: the example history and small synthetic panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spmopt as spm
from spmopt.data import PlanningData


@pytest.fixture(scope="session")
def example_history(example: PlanningData) -> pd.DataFrame:
    asg = spm.forecast.current_assignment(example.accounts, example.reps)
    return spm.forecast.build_history(example.sales, asg, example.reps)


@pytest.fixture(scope="session")
def example_forecast(example_history: pd.DataFrame) -> spm.forecast.ForecastResult:
    return spm.forecast.RevenueForecaster(horizon=12, seed=0).fit(example_history).predict()


def flat_history(y: np.ndarray, start: str = "2022-01-01") -> pd.DataFrame:
    """Long table of a panel ``y`` (n, T), ids s0, s1, ..."""
    n, t = y.shape
    ds = pd.date_range(start, periods=t, freq="MS")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(n)], t),
            "ds": np.tile(ds, n),
            "y": y.ravel(),
        }
    )
