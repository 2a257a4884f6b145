"""Planning data: tables, validation, I/O, the example and the synthetic generator."""

from spmopt.data.alignment import current_assignment
from spmopt.data.example import example_path, load_example
from spmopt.data.geo import haversine_km, us_places
from spmopt.data.planning import PlanningData, read_planning_data
from spmopt.data.schema import TABLES
from spmopt.data.synthetic import generate
from spmopt.data.targets import PlanningTargets
from spmopt.data.validate import validate_tables

__all__ = [
    "TABLES",
    "PlanningData",
    "PlanningTargets",
    "current_assignment",
    "example_path",
    "generate",
    "haversine_km",
    "load_example",
    "read_planning_data",
    "us_places",
    "validate_tables",
]
