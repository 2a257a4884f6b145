"""Shared fixtures: the example data and small synthetic instances (no network)."""

from __future__ import annotations

import pytest

import spmopt as spm
from spmopt.data import PlanningData, generate


@pytest.fixture(scope="session")
def example() -> PlanningData:
    """The example data of data/example, validated."""
    return spm.load_example()


@pytest.fixture(scope="session")
def small_data() -> PlanningData:
    """A small synthetic data set: 300 accounts, 8 reps, 36 months."""
    return generate(300, 8, 36, seed=7)
