"""Where planning data comes from: a folder, an Excel workbook, a database URL or a source file.

A *source file* (YAML) names a database and says which of its tables or queries hold the planning
tables and how their columns are called::

    url: duckdb:///crm.duckdb          # relative DuckDB paths are read against this file's folder
    tables:
      reps: sales_team                 # reps <- the table sales_team
    queries:
      sales: SELECT account_id, period, revenue FROM crm.bookings
    columns:                           # target <- source, one line each
      - accounts.potential <- crm.accounts.annual_potential_usd
      - accounts.account_id <- crm.accounts.id
    plan: plan.yaml                    # optional, against this file's folder
    targets: targets.yaml
    csv: {dayfirst: true, encoding: cp1252, sep: ";"}   # how a folder's CSV files are written

A source file is also how the command line reads a folder of CSV files that the readers'
detection gets wrong: ``url: data/`` with ``csv:`` options, then ``spmopt plan source.yaml``.

:class:`ColumnMap` is the same mapping in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spmopt.errors import ConfigError

__all__ = [
    "ColumnMap",
    "SourceSpec",
    "is_database_url",
    "parse_column_map",
    "read_source_file",
    "source_kind",
    "source_stamp",
]

PLANNING_TABLES = ("accounts", "reps", "sales")

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_ARROW = re.compile(r"^\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*<-\s*(\S+)\s*$")


def is_database_url(source: object) -> bool:
    """Whether ``source`` is a database URL (``dialect[+driver]://...``) rather than a path."""
    return isinstance(source, str) and bool(_URL.match(source))


def source_kind(source: object) -> str:
    """``"url"``, ``"excel"``, ``"source-file"`` or ``"folder"`` for a planning data source."""
    if is_database_url(source):
        return "url"
    s = str(source).lower()
    if s.endswith((".xlsx", ".xlsm")):
        return "excel"
    if s.endswith((".yaml", ".yml")):
        return "source-file"
    return "folder"


def source_stamp(source: str) -> tuple[str, tuple[float, ...]] | None:
    """A cache key (source, file times) for a file-backed source (a DuckDB file or a
    workbook); ``None`` for a database server or a source file, which are read every time."""
    kind = source_kind(source)
    file: Path | None = None
    if kind == "excel":
        file = Path(source)
    elif kind == "url" and source.startswith("duckdb:///"):
        file = Path(source[len("duckdb:///") :].split("?", 1)[0])
    if file is None or not file.is_file():
        return None
    wal = file.with_name(file.name + ".wal")
    times = [file.stat().st_mtime] + ([wal.stat().st_mtime] if wal.exists() else [])
    return (f"{kind}:{file.resolve()}", tuple(times))


@dataclass(frozen=True)
class ColumnMap:
    """Which source table and columns hold each planning table.

    Attributes
    ----------
    tables : dict of str to str
        Planning table -> source table (``"crm.accounts"`` with a schema, or ``"accounts"``).
    columns : dict of str to dict of str to str
        Planning table -> {planning column: source column}.
    """

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def source_table(self, name: str) -> str:
        """The source table of planning table ``name`` (itself when not mapped)."""
        return self.tables.get(name, name)

    def renames(self, name: str) -> dict[str, str]:
        """{source column: planning column} of planning table ``name``."""
        return {src: dst for dst, src in self.columns.get(name, {}).items()}

    def merged(self, other: ColumnMap) -> ColumnMap:
        """This map with ``other``'s entries added (``other`` wins on conflicts)."""
        cols = {k: dict(v) for k, v in self.columns.items()}
        for t, m in other.columns.items():
            cols.setdefault(t, {}).update(m)
        return ColumnMap({**self.tables, **other.tables}, cols)


def parse_column_map(
    spec: Iterable[str] | Mapping[str, Any] | ColumnMap | None,
) -> ColumnMap:
    """Read a column mapping given as lines or as a nested mapping.

    Parameters
    ----------
    spec : list of str, mapping or ColumnMap
        Lines ``"accounts.potential <- crm.accounts.annual_potential_usd"`` (planning
        ``table.column`` <- source ``[schema.]table.column``), or
        ``{"accounts": {"potential": "annual_potential_usd"}}``.

    Raises
    ------
    spmopt.ConfigError
        A line that is not of that form, a planning table that does not exist, or two source
        tables for one planning table.
    """
    if spec is None:
        return ColumnMap()
    if isinstance(spec, ColumnMap):
        return spec
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    if isinstance(spec, Mapping):
        for t, m in spec.items():
            _check_table_name(str(t))
            if not isinstance(m, Mapping):
                raise ConfigError(
                    f"columns.{t}: expected a mapping of planning column to source column, "
                    f"got {type(m).__name__}"
                )
            columns[str(t)] = {str(k): str(v) for k, v in m.items()}
        return ColumnMap(tables, columns)
    if isinstance(spec, str):
        spec = [spec]
    for line in spec:
        m = _ARROW.match(str(line))
        if m is None:
            raise ConfigError(
                f"column mapping {line!r}: expected 'table.column <- [schema.]table.column', "
                "e.g. 'accounts.potential <- crm.accounts.annual_potential_usd'"
            )
        table, col, src = m.groups()
        _check_table_name(table)
        parts = src.split(".")
        if len(parts) == 1:
            src_table, src_col = None, parts[0]
        else:
            src_table, src_col = ".".join(parts[:-1]), parts[-1]
        if src_table is not None:
            if tables.get(table, src_table) != src_table:
                raise ConfigError(
                    f"column mapping {line!r}: planning table '{table}' is already read from "
                    f"'{tables[table]}'; one planning table comes from one source table"
                )
            tables[table] = src_table
        columns.setdefault(table, {})[col] = src_col
    return ColumnMap(tables, columns)


def _check_table_name(name: str) -> None:
    if name not in PLANNING_TABLES:
        raise ConfigError(
            f"planning table {name!r} in a column mapping: allowed {list(PLANNING_TABLES)}"
        )


@dataclass(frozen=True)
class SourceSpec:
    """A planning data source read from a YAML source file (see the module docstring).

    Attributes
    ----------
    url : str
        Database URL (or a path to a folder or ``.xlsx``).
    mapping : ColumnMap
        Source tables and columns.
    queries : dict of str to str
        Planning table -> SQL query returning it (instead of a table).
    plan, targets : Path or None
        Comp plan and targets YAML files.
    csv : dict
        ``encoding``, ``sep``, ``dayfirst`` of a folder's CSV files (see
        :func:`spmopt.data.planning.read_csv_table`).
    geography : dict or None
        Basic units for the accounts (``units``: a polygon file or ``us-counties``; ``by``:
        ``location`` or a code column; ``rule``: ``rook`` or ``queen``), see
        :func:`spmopt.geo.build_geography`.
    path : Path or None
        The source file itself.
    """

    url: str
    mapping: ColumnMap = field(default_factory=ColumnMap)
    queries: dict[str, str] = field(default_factory=dict)
    plan: Path | None = None
    targets: Path | None = None
    geography: dict[str, Any] | None = None
    path: Path | None = None
    csv: dict[str, Any] = field(default_factory=dict)


_SOURCE_KEYS = ("url", "tables", "queries", "columns", "plan", "targets", "geography", "csv")
_CSV_KEYS = ("encoding", "sep", "dayfirst")


def read_source_file(path: str | Path) -> SourceSpec:
    """Read a YAML source file (see the module docstring).

    Raises
    ------
    spmopt.ConfigError
        The file is missing, not YAML, has unknown keys or lacks ``url``.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"source file {p} does not exist")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{p}: expected a mapping with keys {list(_SOURCE_KEYS)}")
    unknown = sorted(set(raw) - set(_SOURCE_KEYS))
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) {unknown}; allowed {list(_SOURCE_KEYS)}")
    if "url" not in raw:
        raise ConfigError(f"{p}: 'url' is required (e.g. url: duckdb:///crm.duckdb)")
    base = p.resolve().parent
    url = str(raw["url"])
    if url.startswith("duckdb:///") and url[len("duckdb:///") :] not in ("", ":memory:"):
        file = Path(url[len("duckdb:///") :])
        if not file.is_absolute():
            url = f"duckdb:///{(base / file).resolve()}"
    elif not is_database_url(url) and not Path(url).is_absolute():
        url = str((base / url).resolve())
    tables = raw.get("tables") or {}
    if not isinstance(tables, Mapping):
        raise ConfigError(f"{p}: tables: expected a mapping planning table -> source table")
    for t in tables:
        _check_table_name(str(t))
    mapping = ColumnMap({str(k): str(v) for k, v in tables.items()}).merged(
        parse_column_map(raw.get("columns"))
    )
    queries = raw.get("queries") or {}
    if not isinstance(queries, Mapping):
        raise ConfigError(f"{p}: queries: expected a mapping planning table -> SQL")
    for t in queries:
        _check_table_name(str(t))

    def rel(key: str) -> Path | None:
        v = raw.get(key)
        if v is None:
            return None
        q = Path(str(v))
        return q if q.is_absolute() else base / q

    geo = raw.get("geography")
    if geo is not None and not isinstance(geo, Mapping):
        raise ConfigError(f"{p}: geography: expected a mapping (units, by, rule)")
    if geo is not None:
        geo = dict(geo)
        u = str(geo.get("units", ""))
        if u and u != "us-counties" and not Path(u).is_absolute():
            geo["units"] = str(base / u)
    csv = raw.get("csv") or {}
    if not isinstance(csv, Mapping) or set(csv) - set(_CSV_KEYS):
        raise ConfigError(
            f"{p}: csv: expected a mapping with keys {list(_CSV_KEYS)}, e.g. "
            "csv: {dayfirst: true, encoding: cp1252, sep: ';'}; got "
            f"{dict(csv) if isinstance(csv, Mapping) else csv!r}"
        )
    if "dayfirst" in csv and not isinstance(csv["dayfirst"], bool):
        raise ConfigError(f"{p}: csv.dayfirst: true or false, got {csv['dayfirst']!r}")
    return SourceSpec(
        csv={str(k): v for k, v in csv.items()},
        url=url,
        mapping=mapping,
        queries={str(k): str(v) for k, v in queries.items()},
        plan=rel("plan"),
        targets=rel("targets"),
        geography=geo,
        path=p,
    )
