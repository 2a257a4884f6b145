"""The tables that pass between spmopt's modules: names, columns, kinds and units.

The contract is DESIGN.md section 3; this module is its machine-readable form, used by the
validator and the readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ID_COLUMNS", "TABLES", "Column", "TableSpec"]

Kind = Literal["str", "float", "int", "datetime", "bool"]


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind, unit and the bounds its values must respect."""

    name: str
    kind: Kind
    unit: str = ""
    required: bool = True
    nonnegative: bool = False
    lo: float | None = None
    hi: float | None = None
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table's key and columns, and which stages produce and consume it.

    Attributes
    ----------
    name : str
        The table's name in messages and run folders.
    key : tuple of str
        Columns whose values identify a row (unique together).
    columns : tuple of Column
    produced_by : str
        The stage (function or method) whose result holds the table; empty for input data.
    consumed_by : tuple of str
        The stages that read it.
    """

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    produced_by: str = ""
    consumed_by: tuple[str, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def optional(self) -> list[str]:
        return [c.name for c in self.columns if not c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ACCOUNTS = TableSpec(
    "accounts",
    key=("account_id",),
    columns=(
        Column("account_id", "str", doc="unique account identifier"),
        Column("lat", "float", "deg", lo=-90, hi=90, doc="latitude (WGS84)"),
        Column("lon", "float", "deg", lo=-180, hi=180, doc="longitude (WGS84)"),
        Column("potential", "float", "currency/yr", nonnegative=True, doc="annual potential"),
        Column("workload", "float", "hours/yr", nonnegative=True, doc="annual coverage effort"),
        Column("name", "str", required=False, nullable=True),
        Column("segment", "str", required=False, nullable=True),
        Column("region", "str", required=False, nullable=True),
        Column("current_territory", "str", required=False, nullable=True),
        Column("locked_territory", "str", required=False, nullable=True),
        Column("basic_unit", "str", required=False, nullable=True),
    ),
)

REPS = TableSpec(
    "reps",
    key=("rep_id",),
    columns=(
        Column("rep_id", "str"),
        Column("territory_id", "str", doc="the territory the rep holds (unique)"),
        Column("lat", "float", "deg", lo=-90, hi=90, doc="home base latitude"),
        Column("lon", "float", "deg", lo=-180, hi=180, doc="home base longitude"),
        Column("region", "str", required=False, nullable=True),
        Column("district", "str", required=False, nullable=True),
        Column("capacity", "float", "hours/yr", required=False, nonnegative=True, nullable=True),
        Column("base_salary", "float", "currency/yr", required=False, nonnegative=True),
        Column("target_incentive", "float", "currency/yr", required=False, nonnegative=True),
        Column("hire_date", "datetime", required=False, nullable=True),
        Column("role", "str", required=False, nullable=True),
    ),
)

SALES = TableSpec(
    "sales",
    key=("account_id", "period"),
    columns=(
        Column("account_id", "str"),
        Column("period", "datetime", doc="month start"),
        Column("revenue", "float", "currency", nonnegative=True),
        Column("rep_id", "str", required=False, nullable=True),
        Column("product", "str", required=False, nullable=True),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (ACCOUNTS, REPS, SALES)}

# Columns that hold ids: read as text, so that '007' stays '007' and 101 is not 101.0.
ID_COLUMNS: tuple[str, ...] = (
    *dict.fromkeys(
        c.name
        for t in TABLES.values()
        for c in t.columns
        if c.kind == "str" and (c.name.endswith("_id") or c.name.endswith("_territory"))
    ),
    "basic_unit",
)
