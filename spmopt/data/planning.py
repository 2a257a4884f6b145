"""``PlanningData``: everything one planning cycle starts from, and its readers and writers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from spmopt.data.schema import ID_COLUMNS
from spmopt.data.targets import PlanningTargets
from spmopt.data.validate import validate_tables
from spmopt.errors import ConfigError, DataError
from spmopt.io_utils import atomic_dir, atomic_write_frame

__all__ = ["PlanningData", "assemble_planning_data", "read_csv_table", "read_planning_data"]

_TABLES = ("accounts", "reps", "sales")


@dataclass(frozen=True, repr=False)
class PlanningData:
    """The inputs of a planning cycle.

    Attributes
    ----------
    accounts : DataFrame
        One row per account (see :data:`spmopt.data.schema.ACCOUNTS`).
    reps : DataFrame
        One row per rep, each holding one territory.
    sales : DataFrame
        Monthly revenue per account, long format (``account_id``, ``period``, ``revenue``).
    plan : dict or None
        The incentive comp plan as read from ``plan.yaml``; validated by
        :class:`spmopt.comp.CompPlan`.
    targets : PlanningTargets or None
        Company revenue target and financial guard-rails (``targets.yaml``).
    source : str
        Where the data came from (a folder, ``"example"`` or ``"synthetic"``).
    geography : spmopt.geo.Geography or None
        Basic units as polygons and their adjacency (see :meth:`with_geography`); with it,
        contiguous territories need no hand-made adjacency.
    """

    accounts: pd.DataFrame
    reps: pd.DataFrame
    sales: pd.DataFrame
    plan: dict[str, Any] | None = None
    targets: PlanningTargets | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    geography: Any = None

    def __repr__(self) -> str:
        n_months = self.sales["period"].nunique() if "period" in self.sales else 0
        return (
            f"PlanningData(source={self.source!r}, accounts={len(self.accounts):,}, "
            f"reps={len(self.reps):,}, sales={len(self.sales):,} rows over {n_months} months, "
            f"plan={'yes' if self.plan else 'no'}, targets={'yes' if self.targets else 'no'})"
        )

    def with_geography(
        self, units: Any = "us-counties", by: str = "location", rule: str = "rook", **kw: Any
    ) -> PlanningData:
        """A copy with every account in a basic unit of ``units`` (polygons, a polygon file or
        ``"us-counties"``), joined ``by`` location or a code column, and the units' adjacency
        (``rook`` or ``queen``) in :attr:`geography` (see :func:`spmopt.geo.build_geography`)."""
        from spmopt.geo import with_geography

        out: PlanningData = with_geography(self, units, by=by, rule=rule, **kw)
        return out

    def issues(self) -> list[DataError]:
        """Every problem found in the tables, without raising."""
        return validate_tables(self.accounts, self.reps, self.sales)[1]

    def validate(self) -> PlanningData:
        """Check every table and return a copy with normalised dtypes.

        Raises
        ------
        spmopt.DataError
            The first problem found, naming table, column, rows and the fix; the message says
            how many further problems exist.
        """
        tables, errors = validate_tables(self.accounts, self.reps, self.sales)
        if errors:
            first = errors[0]
            if len(errors) > 1:
                more = "; ".join(str(e) for e in errors[1:4])
                first.args = (f"{first.args[0]}\n  ({len(errors) - 1} further problem(s): {more})",)
            raise first
        return dataclasses.replace(self, **{k: v for k, v in tables.items() if v is not None})

    def summary(self) -> pd.DataFrame:
        """One-column overview of the data (counts, totals, history span)."""
        a, r, s = self.accounts, self.reps, self.sales
        per = pd.to_datetime(s["period"])
        last12 = s[per > per.max() - pd.DateOffset(months=12)]["revenue"].sum()
        rows: dict[str, object] = {
            "accounts": len(a),
            "reps (territories)": len(r),
            "regions": r["region"].nunique() if "region" in r else None,
            "districts": r["district"].nunique() if "district" in r else None,
            "total potential [/yr]": float(a["potential"].sum()),
            "total workload [h/yr]": float(a["workload"].sum()),
            "sales rows": len(s),
            "history": f"{per.min():%Y-%m} to {per.max():%Y-%m} ({per.nunique()} months)",
            "revenue, last 12 months": float(last12),
        }
        if "current_territory" in a:
            pot = a.groupby("current_territory")["potential"].sum()
            rows["current potential spread (max/min)"] = float(pot.max() / max(pot.min(), 1e-9))
        if "locked_territory" in a:
            rows["locked accounts"] = int(a["locked_territory"].notna().sum())
        if self.targets is not None:
            rows["plan year"] = self.targets.plan_year
            rows["company revenue target"] = self.targets.company_revenue_target
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    def write(self, path: str | Path, format: str = "csv") -> Path:
        """Write the tables (CSV or Parquet), ``plan.yaml`` and ``targets.yaml`` to a folder.

        The folder is built aside and moved into place, so a failed write leaves nothing
        half-written.
        """
        if format not in ("csv", "parquet"):
            raise ConfigError(f"format={format!r}: allowed 'csv' or 'parquet'")
        path = Path(path)
        with atomic_dir(path) as tmp:
            for name in _TABLES:
                frame: pd.DataFrame = getattr(self, name)
                if format == "csv" and "period" in frame:
                    frame = frame.assign(
                        period=pd.to_datetime(frame["period"]).dt.strftime("%Y-%m-%d")
                    )
                atomic_write_frame(frame, tmp / f"{name}.{format}")
            if self.plan is not None:
                (tmp / "plan.yaml").write_text(
                    yaml.safe_dump(self.plan, sort_keys=False), encoding="utf-8"
                )
            if self.targets is not None:
                (tmp / "targets.yaml").write_text(self.targets.to_yaml(), encoding="utf-8")
        return path


_DATE_COLUMNS = {"sales": ("period",), "reps": ("hire_date",)}
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _first_line(p: Path) -> bytes:
    import gzip

    opener: Any = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rb") as fh:
        line: bytes = fh.readline(1 << 20)
    return line


def _sniff_separator(header: bytes) -> str:
    """The field separator of a CSV header line: the most frequent of ``,``, ``;``, tab and
    ``|`` (comma when none occurs)."""
    counts = {sep: header.count(sep.encode()) for sep in _SEPARATOR_NAMES}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


def read_csv_table(
    p: Path,
    name: str,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read one planning table from a CSV file, the way the file is written.

    The encoding is UTF-8 (with or without a byte-order mark), else Windows-1252 / Latin-1
    with a warning; the separator is sniffed from the header (``,``, ``;``, tab, ``|``); dates
    written ``dd/mm/yyyy`` or ``mm/dd/yyyy`` are read as the values show (see
    :func:`spmopt.data.validate.parse_dates`).

    Parameters
    ----------
    p : Path
        The ``.csv`` (or ``.csv.gz``) file.
    name : str
        The planning table it holds (``accounts``, ``reps``, ``sales``).
    encoding, sep : str, optional
        Force the text encoding or the separator.
    dayfirst : bool, optional
        Force day-first (``True``) or month-first (``False``) dates.

    Returns
    -------
    DataFrame, list of str
        The table (ids as strings, dates parsed) and warnings, one line each.

    Raises
    ------
    spmopt.DataError
        The file cannot be read, naming the file and the option that reads it.
    """
    from spmopt.data.validate import parse_dates

    warnings: list[str] = []
    header = _first_line(p)
    if sep is None:
        sep = _sniff_separator(header)
        if sep != ",":
            warnings.append(f"{p.name} is {_SEPARATOR_NAMES[sep]}-separated; read it so")
    if encoding is None:
        encodings = ["utf-8-sig", "cp1252", "latin-1"]
    else:
        encodings = [encoding]
    dtypes = dict.fromkeys(ID_COLUMNS, "str")
    frame: pd.DataFrame | None = None
    for enc in encodings:
        try:
            frame = pd.read_csv(p, sep=sep, dtype=dtypes, encoding=enc)  # type: ignore[arg-type]
        except UnicodeDecodeError:
            if encoding is not None:
                raise DataError(
                    f"cannot read {p.name} as {encoding}",
                    table=name,
                    fix="pass the file's encoding as encoding= to read_planning_data or under "
                    "csv: in a source .yaml (e.g. encoding='cp1252'), or save it as UTF-8",
                ) from None
            continue
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise DataError(
                f"cannot read {p.name}: {exc}",
                table=name,
                fix=f"check that {p} is a {_SEPARATOR_NAMES.get(sep, repr(sep))}-separated "
                "text table with one header line (or pass sep= and encoding= to "
                "read_planning_data, or under csv: in a source .yaml)",
            ) from None
        if enc in ("cp1252", "latin-1"):
            warnings.append(
                f"{p.name} is not UTF-8: read as {enc}; if names look wrong, pass encoding= "
                "to read_planning_data (or under csv: in a source .yaml), or save the file as "
                "UTF-8"
            )
        break
    if frame is None:  # pragma: no cover - latin-1 decodes any byte
        raise DataError(
            f"cannot decode {p.name}",
            table=name,
            fix="pass encoding= to read_planning_data, or save the file as UTF-8",
        )
    for col in _DATE_COLUMNS.get(name, ()):
        if col in frame.columns:
            frame[col] = parse_dates(frame[col], table=name, column=col, dayfirst=dayfirst)
    return frame, warnings


def _read_table(folder: Path, name: str, warnings: list[str], **options: Any) -> pd.DataFrame:
    for suffix in (".parquet", ".csv", ".csv.gz"):
        p = folder / f"{name}{suffix}"
        if p.exists():
            if suffix != ".parquet":
                frame, warns = read_csv_table(p, name, **options)
                warnings += warns
                return frame
            try:
                return pd.read_parquet(p)
            except (OSError, ValueError) as exc:
                raise DataError(
                    f"cannot read {p.name}: {exc}",
                    table=name,
                    fix=f"check that {p} is a Parquet file (or write the table as {name}.csv)",
                ) from None
    raise DataError(
        f"no {name}.csv or {name}.parquet in {folder}",
        table=name,
        fix=f"put the {name} table in {folder}/{name}.csv (or .parquet)",
    )


def read_planning_data(
    path: str | Path,
    validate: bool = True,
    *,
    tables: Mapping[str, str] | None = None,
    queries: Mapping[str, str] | None = None,
    columns: Any = None,
    plan: str | Path | Mapping[str, Any] | None = None,
    targets: str | Path | PlanningTargets | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    dayfirst: bool | None = None,
) -> PlanningData:
    """Read planning data from a folder, an Excel workbook, a database URL or a source file.

    * a **folder**: ``accounts``, ``reps``, ``sales`` (CSV or Parquet), ``plan.yaml`` and
      ``targets.yaml`` (both optional);
    * an **Excel workbook** (``.xlsx``): sheets ``accounts``, ``reps``, ``sales`` (see
      :func:`spmopt.data.excel.read_excel`);
    * a **database URL** (``duckdb:///plan.duckdb``, ``postgresql://user@host/db``): tables
      ``accounts``, ``reps``, ``sales`` and optionally ``planning_documents`` (see
      :func:`spmopt.data.database.read_database`);
    * a **source file** (``.yaml``): a URL with its table, query and column mapping (see
      :mod:`spmopt.data.sources`).

    Parameters
    ----------
    path : str or Path
        The source.
    validate : bool
        Validate and normalise the tables (raises :class:`spmopt.DataError` on the first problem).
    tables, queries, columns : optional
        Table mapping, SQL queries and column mapping for a database (``tables`` and ``columns``
        also rename sheets and columns of a workbook), e.g.
        ``columns=["accounts.potential <- crm.accounts.annual_potential_usd"]``.
    plan, targets : optional
        Comp plan and targets files (default: found next to the data, or in the database).
    encoding, sep, dayfirst : optional
        How a folder's CSV files are written, where the reader's detection (UTF-8, else
        Windows-1252 with a warning; separator from the header; day-first dates when a day
        is above 12) is not enough. Warnings land in ``data.meta["read_warnings"]``.
    """
    from spmopt.data.sources import source_kind

    kind = source_kind(path)
    if kind == "url":
        from spmopt.data.database import read_database

        return read_database(
            str(path),
            tables=tables,
            queries=queries,
            columns=columns,
            plan=plan,
            targets=targets,
            validate=validate,
        )
    if kind == "excel":
        from spmopt.data.excel import read_excel

        return read_excel(
            path, tables=tables, columns=columns, plan=plan, targets=targets, validate=validate
        )
    if kind == "source-file":
        return _read_source_file(path, validate=validate)
    if tables or queries or columns:
        raise ConfigError(
            "tables=, queries= and columns= apply to a database URL or a workbook, not to a folder"
        )
    options = {"encoding": encoding, "sep": sep, "dayfirst": dayfirst}
    return _read_folder(path, validate=validate, **options)


def _read_source_file(path: str | Path, validate: bool) -> PlanningData:
    from spmopt.data.sources import read_source_file, source_kind

    spec = read_source_file(path)
    if spec.csv and source_kind(spec.url) != "folder":
        raise ConfigError(f"{path}: csv: applies to a folder of CSV files, not to {spec.url}")
    data = read_planning_data(
        spec.url,
        **spec.csv,
        validate=validate and spec.geography is None,
        tables=spec.mapping.tables or None,
        queries=spec.queries or None,
        columns=spec.mapping.columns or None,
        plan=spec.plan,
        targets=spec.targets,
    )
    if spec.geography is not None:
        from spmopt.geo import with_geography

        data = with_geography(data.validate() if validate else data, **spec.geography)
    return dataclasses.replace(data, source=str(path))


def _read_folder(path: str | Path, validate: bool = True, **options: Any) -> PlanningData:
    """Read a planning folder: ``accounts``, ``reps``, ``sales`` (CSV or Parquet), ``plan.yaml``
    and ``targets.yaml`` (both optional).

    Parameters
    ----------
    path : str or Path
        The folder.
    validate : bool
        Validate and normalise the tables (raises :class:`spmopt.DataError` on the first problem).
    **options
        ``encoding``, ``sep``, ``dayfirst`` of the CSV files (see :func:`read_csv_table`).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            f"planning data folder {folder} does not exist",
            table="accounts",
            fix="give the folder holding accounts.csv, reps.csv and sales.csv",
        )
    warnings: list[str] = []
    tables = {name: _read_table(folder, name, warnings, **options) for name in _TABLES}
    plan = folder / "plan.yaml" if (folder / "plan.yaml").exists() else None
    targets = folder / "targets.yaml" if (folder / "targets.yaml").exists() else None
    return assemble_planning_data(
        tables, plan, targets, str(folder), validate, meta={"read_warnings": warnings}
    )


def _load_plan(plan: Any, text: str | None = None) -> dict[str, Any] | None:
    """A comp plan from a mapping, a YAML file or YAML text."""
    if isinstance(plan, Mapping):
        return dict(plan)
    where = "comp plan"
    if plan is not None:
        p = Path(plan)
        if not p.is_file():
            raise ConfigError(f"comp plan file {p} does not exist")
        text, where = p.read_text(encoding="utf-8"), str(p)
    if text is None:
        return None
    try:
        out = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    return out if isinstance(out, dict) else None


def _load_targets(targets: Any, text: str | None = None) -> PlanningTargets | None:
    """Planning targets from an object, a YAML file or YAML text."""
    if isinstance(targets, PlanningTargets) or (targets is None and text is None):
        return targets
    if targets is not None:
        return PlanningTargets.from_yaml(Path(targets))
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "targets.yaml"
        p.write_text(str(text), encoding="utf-8")
        return PlanningTargets.from_yaml(p)


def assemble_planning_data(
    frames: Mapping[str, pd.DataFrame],
    plan: Any,
    targets: Any,
    source: str,
    validate: bool = True,
    *,
    plan_text: str | None = None,
    targets_text: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> PlanningData:
    """:class:`PlanningData` from the three tables read by a reader, the plan and targets (a
    path, an object or YAML text), validated unless ``validate`` is false."""
    data = PlanningData(
        accounts=frames["accounts"],
        reps=frames["reps"],
        sales=frames["sales"],
        plan=_load_plan(plan, plan_text),
        targets=_load_targets(targets, targets_text),
        source=source,
        meta=dict(meta or {}),
    )
    return data.validate() if validate else data
