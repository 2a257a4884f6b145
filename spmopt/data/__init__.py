"""Planning data: tables, validation, I/O (folders, Excel, databases), the example and the
synthetic generator."""

from spmopt.data.alignment import current_assignment
from spmopt.data.database import (
    WriteBack,
    connect,
    read_database,
    read_results,
    write_planning_data,
    write_results,
)
from spmopt.data.example import example_path, load_example
from spmopt.data.excel import plan_summary, read_excel, write_plan_workbook, write_planning_excel
from spmopt.data.geo import haversine_km, us_places
from spmopt.data.planning import PlanningData, read_planning_data
from spmopt.data.schema import TABLES
from spmopt.data.sources import ColumnMap, parse_column_map, read_source_file
from spmopt.data.synthetic import generate
from spmopt.data.targets import PlanningTargets
from spmopt.data.validate import validate_tables

__all__ = [
    "TABLES",
    "ColumnMap",
    "PlanningData",
    "PlanningTargets",
    "WriteBack",
    "connect",
    "current_assignment",
    "example_path",
    "generate",
    "haversine_km",
    "load_example",
    "parse_column_map",
    "plan_summary",
    "read_database",
    "read_excel",
    "read_planning_data",
    "read_results",
    "read_source_file",
    "us_places",
    "validate_tables",
    "write_plan_workbook",
    "write_planning_data",
    "write_planning_excel",
    "write_results",
]
