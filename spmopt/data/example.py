"""The example planning data shipped in ``data/example``."""

from __future__ import annotations

from pathlib import Path

from spmopt.data.planning import PlanningData, read_planning_data
from spmopt.errors import DataError

__all__ = ["example_path", "load_example"]

EXAMPLE_SEED = 2027
EXAMPLE_SIZE = {"n_accounts": 2_500, "n_reps": 40, "n_months": 48}


def example_path() -> Path:
    """Folder of the example data: ``data/example`` of the source checkout."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "data" / "example"
        if (cand / "accounts.csv").exists():
            return cand
    raise DataError(
        "the example data folder data/example was not found next to the package",
        table="accounts",
        fix="run from a source checkout of spmopt, or regenerate it with "
        "`spmopt generate data/example --example`",
    )


def load_example() -> PlanningData:
    """Load and validate the example: 2,500 accounts at real US places, 40 reps in 4 regions,
    48 months of sales (2023-2026), the comp plan and the 2027 targets."""
    data = read_planning_data(example_path())
    return data
