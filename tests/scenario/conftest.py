"""Fixtures of the scenario tests: a small data folder and a 2-worker Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spmopt.data import generate


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 accounts, 8 reps, 36 months of history, written as CSV."""
    path = tmp_path_factory.mktemp("scenario-data") / "data"
    generate(300, 8, 36, seed=11).write(path)
    return path


@pytest.fixture(scope="package")
def client() -> Iterator[Any]:
    """A LocalCluster of two single-threaded worker processes."""
    from spmopt.scenario import local_cluster

    with local_cluster(2) as c:
        yield c
