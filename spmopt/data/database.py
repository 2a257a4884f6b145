"""Planning data from a database, and results back into it, through SQLAlchemy.

DuckDB (``duckdb:///plan.duckdb``: a file, embedded, no server) and PostgreSQL
(``postgresql://user@host/db``, driven by psycopg 3) are tested; any SQLAlchemy URL with an
installed driver works through the generic path.

* :func:`read_database` reads ``accounts``, ``reps`` and ``sales`` (tables, mapped tables or SQL
  queries) and the optional ``planning_documents`` table holding ``plan.yaml`` and
  ``targets.yaml`` as text.
* :func:`write_planning_data` stores a :class:`~spmopt.data.PlanningData` in a database (for the
  example, tests and benchmarks).
* :func:`write_results` writes a scenario's results into tables of a schema in **one
  transaction**: a failed run leaves nothing written, and writing the same run again replaces
  its rows.

Every failure becomes a :class:`spmopt.DataError` naming the table (and column) and the fix.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from spmopt.data.schema import TABLES
from spmopt.data.sources import PLANNING_TABLES, ColumnMap, parse_column_map
from spmopt.data.targets import PlanningTargets
from spmopt.errors import ConfigError, DataError

__all__ = [
    "DOCUMENTS_TABLE",
    "RESULT_TABLES",
    "WriteBack",
    "connect",
    "read_database",
    "read_results",
    "redact",
    "write_planning_data",
    "write_results",
]

#: Table holding YAML documents (``name`` = ``plan`` or ``targets``, ``body`` = the YAML text).
DOCUMENTS_TABLE = "planning_documents"

#: Result tables written back, in order: name in the schema <- name in ``result.tables()``.
RESULT_TABLES: dict[str, str] = {
    "assignment": "assignment",
    "territories": "territories",
    "quotas": "quotas",
    "quota_annual": "quota_annual",
    "payout_summary": "comp_per_rep",
    "comp_summary": "comp_summary",
    "comp_checks": "comp_checks",
    "summary": "summary",
}
_RUNS = "runs"


def redact(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages)."""
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL we cannot parse is shown as given, minus user info
        head, sep, rest = url.partition("://")
        return f"{head}{sep}{rest.rpartition('@')[2]}" if sep else url


def _normalise_url(url: str) -> str:
    # postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3, so use it unless told.
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util

        if importlib.util.find_spec("psycopg2") is None:
            return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _dialect(conn: Any) -> str:
    return str(conn.dialect.name)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def connect(url: str) -> Any:
    """A SQLAlchemy engine for ``url`` (``postgresql://`` uses psycopg 3).

    Raises
    ------
    spmopt.DataError
        The URL names no known database dialect or driver.
    """
    import sqlalchemy as sa

    try:
        return sa.create_engine(_normalise_url(url))
    except (sa.exc.NoSuchModuleError, sa.exc.ArgumentError, ImportError) as exc:
        raise DataError(
            f"cannot open database URL {redact(url)!r}: {_first_line(exc)}",
            table="accounts",
            fix="use a URL like duckdb:///plan.duckdb or postgresql://user:password@host:5432/db",
        ) from None


@contextlib.contextmanager
def _connection(url: str, table: str, *, begin: bool = False) -> Iterator[Any]:
    import sqlalchemy as sa

    engine = connect(url)
    try:
        try:
            ctx = engine.begin() if begin else engine.connect()
            conn = ctx.__enter__()
        except sa.exc.DBAPIError as exc:
            raise DataError(
                f"cannot connect to {redact(url)}: {_first_line(exc)}",
                table=table,
                fix="check host, port, user, password and database name, and that the server "
                "is running",
            ) from None
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(Exception):  # roll back; the original error is the news
                ctx.__exit__(*sys.exc_info())
            raise
        ctx.__exit__(None, None, None)  # commits a transaction begun with begin=True
    finally:
        engine.dispose()


def _split(name: str) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def _quote(conn: Any, name: str) -> str:
    prep = conn.dialect.identifier_preparer
    schema, table = _split(name)
    return (f"{prep.quote(schema)}." if schema else "") + prep.quote(table)


def _table_columns(conn: Any, name: str) -> list[tuple[str, str]] | None:
    """(column, database type) of a table or view, or ``None`` when it does not exist."""
    import sqlalchemy as sa

    schema, table = _split(name)
    sql = (
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = "
        + (":s" if schema else "current_schema()")
        + " ORDER BY ordinal_position"
    )
    params = {"t": table, **({"s": schema} if schema else {})}
    rows = conn.execute(sa.text(sql), params).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows] if rows else None


def _list_tables(conn: Any) -> list[str]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            "NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
        )
    ).fetchall()
    cur = conn.execute(sa.text("SELECT current_schema()")).scalar()
    return [str(t) if s == cur else f"{s}.{t}" for s, t in rows]


def _dtypes_for(name: str) -> tuple[dict[str, str], list[str]]:
    spec = TABLES.get(name)
    if spec is None:
        return {}, []
    dtypes = {c.name: "str" for c in spec.columns if c.kind == "str"}
    dates = [c.name for c in spec.columns if c.kind == "datetime"]
    return dtypes, dates


def _query_frame(conn: Any, sql: str, name: str) -> pd.DataFrame:
    """Run ``sql`` and return a DataFrame, with a fast path for DuckDB and PostgreSQL."""
    import sqlalchemy as sa

    dialect = _dialect(conn)
    raw = conn.connection.dbapi_connection
    if dialect == "duckdb":
        return raw.execute(sql).df()
    if dialect == "postgresql" and conn.dialect.driver == "psycopg":
        # COPY ... TO STDOUT as CSV, parsed by pandas' C reader: ~10x faster than row fetches.
        buf = io.BytesIO()
        with raw.cursor() as cur:
            with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp:
                for block in cp:
                    buf.write(block)
        buf.seek(0)
        header = buf.readline().decode("utf-8").rstrip("\r\n")
        buf.seek(0)
        dtypes, dates = _dtypes_for(name)
        present = set(pd.read_csv(io.StringIO(header + "\n"), nrows=0).columns)
        return pd.read_csv(
            buf,
            dtype={k: v for k, v in dtypes.items() if k in present},
            parse_dates=[d for d in dates if d in present],
            keep_default_na=False,  # only an empty field is NULL in PostgreSQL's CSV
            na_values=[""],
            true_values=["t"],  # booleans are written t / f
            false_values=["f"],
        )
    return pd.read_sql_query(sa.text(sql), conn)


def _read_sql(
    conn: Any, sql: str, table: str, what: str, fix: str, *, typed: bool = True
) -> pd.DataFrame:
    """:func:`_query_frame` with a database failure turned into a :class:`DataError`;
    ``typed`` reads the planning table ``table``'s id and date columns as text and dates."""
    import sqlalchemy as sa

    try:
        return _query_frame(conn, sql, table if typed else "")
    except sa.exc.DBAPIError as exc:
        raise DataError(f"{what} failed: {_first_line(exc)}", table=table, fix=fix) from None


def _read_one(
    conn: Any, name: str, mapping: ColumnMap, query: str | None, url: str
) -> pd.DataFrame:
    renames = mapping.renames(name)
    if query is not None:
        frame = _read_sql(
            conn,
            query,
            name,
            f"the query for {name}",
            f"check the SQL of queries.{name} against the database {redact(url)}",
        )
        return frame.rename(columns=renames)
    src = mapping.source_table(name)
    cols = _table_columns(conn, src)
    if cols is None:
        have = _list_tables(conn)
        raise DataError(
            f"table '{src}' not found in {redact(url)} (tables there: {have[:20]})",
            table=name,
            fix=f"create table '{src}', or map it: tables={{'{name}': '<your table>'}} "
            f"(or `tables: {{{name}: <your table>}}` in a source file)",
        )
    names = [c for c, _ in cols]
    for dst, s in mapping.columns.get(name, {}).items():
        if s not in names:
            raise DataError(
                f"source column '{s}' (mapped to {name}.{dst}) is not in table '{src}' "
                f"(columns: {names})",
                table=name,
                column=dst,
                fix=f"correct the mapping '{name}.{dst} <- {src}.{s}'",
            )
    sql = f"SELECT * FROM {_quote(conn, src)}"
    frame = _read_sql(
        conn,
        sql,
        name,
        f"reading table '{src}'",
        "check the connection and that this user may read the table",
        typed=not renames,
    )
    frame = frame.rename(columns=renames)
    if renames:  # the typed fast path was skipped: ids back to text here
        dtypes, _ = _dtypes_for(name)
        for c in dtypes:
            if c in frame and frame[c].dtype.kind not in "OSUT" and frame[c].dtype != "str":
                frame[c] = frame[c].astype("string").astype("str").where(frame[c].notna(), None)
    return frame


def _read_documents(conn: Any) -> dict[str, str]:
    import sqlalchemy as sa

    if _table_columns(conn, DOCUMENTS_TABLE) is None:
        return {}
    rows = conn.execute(sa.text(f"SELECT name, body FROM {DOCUMENTS_TABLE}")).fetchall()
    return {str(n): str(b) for n, b in rows}


def _check_duckdb_file(url: str) -> None:
    """Reading must not create an empty DuckDB file where none was."""
    if not url.startswith("duckdb:///"):
        return
    path = url[len("duckdb:///") :].split("?", 1)[0]
    if path in ("", ":memory:") or Path(path).exists():
        return
    raise DataError(
        f"DuckDB file {path} does not exist",
        table="accounts",
        fix="check the path (duckdb:///relative/path.duckdb or duckdb:////absolute/path.duckdb), "
        "or create it with `spmopt generate duckdb:///plan.duckdb --example`",
    )


def read_database(
    url: str,
    *,
    tables: Mapping[str, str] | None = None,
    queries: Mapping[str, str] | None = None,
    columns: Any = None,
    plan: str | Path | Mapping[str, Any] | None = None,
    targets: str | Path | PlanningTargets | None = None,
    validate: bool = True,
) -> Any:
    """Read the planning tables from a database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``duckdb:///plan.duckdb``, ``postgresql://user:pw@host:5432/db``, ...
    tables : mapping, optional
        Planning table -> source table (``{"accounts": "crm.accounts"}``); unmapped tables are
        read from tables of their own name in the default schema.
    queries : mapping, optional
        Planning table -> SQL query returning it (wins over ``tables``).
    columns : list of str or mapping, optional
        Column mapping, e.g. ``["accounts.potential <- crm.accounts.annual_potential_usd"]`` or
        ``{"accounts": {"potential": "annual_potential_usd"}}`` (see
        :func:`spmopt.data.sources.parse_column_map`).
    plan, targets : path or object, optional
        Comp plan and targets; by default read from the ``planning_documents`` table if the
        database has one.
    validate : bool
        Validate and normalise the tables.

    Returns
    -------
    PlanningData

    Raises
    ------
    spmopt.DataError
        Unknown URL, no connection, a missing table or column, a failing query, or data that
        fails validation (naming table, column and rows).
    """
    from spmopt.data.planning import assemble_planning_data

    mapping = ColumnMap(dict(tables or {})).merged(parse_column_map(columns))
    queries = dict(queries or {})
    for t in [*mapping.tables, *queries]:
        if t not in PLANNING_TABLES:
            raise ConfigError(f"planning table {t!r}: allowed {list(PLANNING_TABLES)}")
    _check_duckdb_file(url)
    frames: dict[str, pd.DataFrame] = {}
    with _connection(url, "accounts") as conn:
        for name in PLANNING_TABLES:
            frames[name] = _read_one(conn, name, mapping, queries.get(name), url)
        docs = _read_documents(conn) if plan is None or targets is None else {}
    return assemble_planning_data(
        frames,
        plan,
        targets,
        redact(url),
        validate,
        plan_text=docs.get("plan") if plan is None else None,
        targets_text=docs.get("targets") if targets is None else None,
    )


# ---------------------------------------------------------------------- writing
def _sql_type(s: pd.Series) -> str:
    k = s.dtype.kind
    if k == "b":
        return "BOOLEAN"
    if k in "iu":
        return "BIGINT"
    if k == "f":
        return "DOUBLE PRECISION"
    if k == "M":
        return "TIMESTAMP"
    if k == "m":
        return "DOUBLE PRECISION"
    return "TEXT"


def _prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for c in out.columns:
        s = out[c]
        if s.dtype.kind == "M" and getattr(s.dt, "tz", None) is not None:
            out[c] = s.dt.tz_localize(None)
        elif s.dtype.kind == "m":
            out[c] = s.dt.total_seconds()
        elif s.dtype.kind == "O" or str(s.dtype) in ("str", "string"):
            out[c] = s.map(lambda v: v if v is None or isinstance(v, str) else _text(v))
            out[c] = out[c].astype(object).where(s.notna(), None)
    return out


def _text(v: Any) -> Any:
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, default=str)
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)):
        return str(v)
    return str(v)


def _create_table(conn: Any, name: str, frame: pd.DataFrame) -> None:
    import sqlalchemy as sa

    cols = ", ".join(
        f"{conn.dialect.identifier_preparer.quote(c)} {_sql_type(frame[c])}" for c in frame.columns
    )
    conn.execute(sa.text(f"CREATE TABLE {_quote(conn, name)} ({cols})"))


def _add_missing_columns(conn: Any, name: str, frame: pd.DataFrame, have: list[str]) -> None:
    import sqlalchemy as sa

    for c in frame.columns:
        if c not in have:
            conn.execute(
                sa.text(
                    f"ALTER TABLE {_quote(conn, name)} ADD COLUMN "
                    f"{conn.dialect.identifier_preparer.quote(c)} {_sql_type(frame[c])}"
                )
            )


def _insert(conn: Any, name: str, frame: pd.DataFrame) -> None:
    """Append ``frame`` to table ``name`` (``schema.table``) on this connection's transaction."""
    import sqlalchemy as sa

    if frame.empty:
        return
    dialect = _dialect(conn)
    raw = conn.connection.dbapi_connection
    prep = conn.dialect.identifier_preparer
    collist = ", ".join(prep.quote(c) for c in frame.columns)
    if dialect == "duckdb":
        view = f"_spmopt_insert_{id(frame)}"
        raw.register(view, frame)
        try:
            raw.execute(
                f"INSERT INTO {_quote(conn, name)} ({collist}) SELECT {collist} FROM {view}"
            )
        finally:
            raw.unregister(view)
        return
    if dialect == "postgresql" and conn.dialect.driver == "psycopg":
        buf = io.StringIO()
        frame.to_csv(buf, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f")
        with raw.cursor() as cur:
            with cur.copy(
                f"COPY {_quote(conn, name)} ({collist}) FROM STDIN WITH (FORMAT csv)"
            ) as cp:
                cp.write(buf.getvalue())
        return
    table = sa.table(
        _split(name)[1], *(sa.column(c) for c in frame.columns), schema=_split(name)[0]
    )
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    conn.execute(sa.insert(table), records)


def _ensure_schema(conn: Any, schema: str | None) -> None:
    import sqlalchemy as sa

    if schema:
        conn.execute(
            sa.text(f"CREATE SCHEMA IF NOT EXISTS {conn.dialect.identifier_preparer.quote(schema)}")
        )


def _qualified(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def write_planning_data(data: Any, url: str, *, schema: str | None = None) -> str:
    """Store planning data in a database: ``accounts``, ``reps``, ``sales`` and
    ``planning_documents`` (plan and targets as YAML text), replacing those tables.

    One transaction: on failure the database is left as it was.

    Returns
    -------
    str
        ``url``.
    """
    import sqlalchemy as sa

    docs = []
    if data.plan is not None:
        docs.append(("plan", yaml.safe_dump(data.plan, sort_keys=False)))
    if data.targets is not None:
        docs.append(("targets", data.targets.to_yaml()))
    current = "accounts"
    try:
        with _connection(url, "accounts", begin=True) as conn:
            _ensure_schema(conn, schema)
            for current in (*PLANNING_TABLES, DOCUMENTS_TABLE):
                name = _qualified(schema, current)
                if current == DOCUMENTS_TABLE:
                    frame = pd.DataFrame(docs, columns=["name", "body"])
                else:
                    frame = _prepare_frame(getattr(data, current))
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {_quote(conn, name)}"))
                _create_table(conn, name, frame)
                _insert(conn, name, frame)
    except sa.exc.DBAPIError as exc:
        raise DataError(
            f"writing the planning data to {redact(url)} failed: {_first_line(exc)}; nothing "
            "was written (the transaction was rolled back)",
            table=current,
            fix="check the connection and that this user may create tables",
        ) from None
    return url


@dataclass(frozen=True)
class WriteBack:
    """What :func:`write_results` wrote.

    Attributes
    ----------
    url : str
        The database (password hidden).
    schema : str
        Schema of the result tables.
    run_id : str
        Key of this run's rows in every table.
    rows : dict of str to int
        Rows written per table.
    replaced : int
        Rows of an earlier write of the same run that were replaced.
    seconds : float
        Wall time [s].
    """

    url: str
    schema: str
    run_id: str
    rows: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    seconds: float = 0.0

    def __repr__(self) -> str:
        n = sum(self.rows.values())
        return (
            f"WriteBack(run_id={self.run_id!r}, schema={self.schema!r}, tables={len(self.rows)}, "
            f"rows={n:,}, replaced={self.replaced:,}, url={self.url!r})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Rows written per table (``table``, ``rows``)."""
        return pd.DataFrame({"table": list(self.rows), "rows": list(self.rows.values())})


def _result_frames(result: Any) -> dict[str, pd.DataFrame]:
    tables = result.tables() if hasattr(result, "tables") else dict(result)
    out: dict[str, pd.DataFrame] = {}
    for dst, src in RESULT_TABLES.items():
        f = tables.get(src)
        if isinstance(f, pd.DataFrame):
            out[dst] = f
    for name, f in tables.items():  # plan-health checks, when the run has them
        if str(name).startswith("health") and isinstance(f, pd.DataFrame):
            out[str(name)] = f
    health = getattr(result, "health", None)
    if health is not None and "health" not in out:
        frame = health.to_frame() if hasattr(health, "to_frame") else None
        if isinstance(frame, pd.DataFrame):
            out["health"] = frame
    return out


def _run_row(result: Any, run_id: str, source: str | None) -> pd.DataFrame:
    from spmopt import __version__

    s = getattr(result, "scenario", None)
    timings = getattr(result, "timings", {}) or {}
    return pd.DataFrame(
        [
            {
                "scenario": getattr(s, "name", None),
                "scenario_key": s.key() if s is not None and hasattr(s, "key") else None,
                "data_source": source if source is not None else getattr(s, "data", None),
                "written_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
                "spmopt_version": __version__,
                "seconds": float(sum(timings.values())),
                "settings": s.to_yaml() if s is not None and hasattr(s, "to_yaml") else None,
                "notes": json.dumps(list(getattr(result, "notes", ()) or ())),
            }
        ]
    )


def default_run_id(result: Any) -> str:
    """``<scenario name>-<scenario key>``: the same settings give the same run id."""
    s = getattr(result, "scenario", None)
    if s is None:
        raise ConfigError("write_results needs run_id= for a result without a scenario")
    key = s.key() if hasattr(s, "key") else ""
    return f"{s.name}-{key}" if key else str(s.name)


def write_results(
    result: Any,
    url: str,
    *,
    schema: str = "spmopt",
    run_id: str | None = None,
    source: str | None = None,
    _before_table: Callable[[Any, str], None] | None = None,
) -> WriteBack:
    """Write a scenario's results into tables of ``schema``, in one transaction.

    Tables (each with ``run_id`` as first column): ``runs`` (one row of run metadata: scenario,
    settings, data source, version, seconds, notes), ``assignment``, ``territories``,
    ``quotas`` (per rep and period), ``quota_annual``, ``payout_summary`` (per rep: the comp
    draws summarised), ``comp_summary``, ``comp_checks``, ``summary`` and the plan-health tables
    when the run has them. Rows of an earlier write of the same ``run_id`` are deleted first,
    inside the same transaction, so re-running replaces them and a failure leaves the database
    as it was.

    Parameters
    ----------
    result : ScenarioResult
        The run (or a mapping of table name -> DataFrame, with ``run_id`` given).
    url : str
        Database URL.
    schema : str
        Schema of the result tables (created when missing).
    run_id : str, optional
        Key of the run's rows; default ``<scenario name>-<scenario key>``.
    source : str, optional
        Data source recorded in ``runs`` (default: the scenario's data).

    Returns
    -------
    WriteBack

    Raises
    ------
    spmopt.DataError
        No connection, the connection lost mid-write, or a table that cannot take the rows;
        nothing is written then.
    """
    import sqlalchemy as sa

    t0 = time.perf_counter()
    rid = run_id if run_id is not None else default_run_id(result)
    frames = _result_frames(result)
    if hasattr(result, "scenario"):
        frames = {_RUNS: _run_row(result, rid, source), **frames}
    rows: dict[str, int] = {}
    replaced = 0
    current = _RUNS
    try:
        with _connection(url, _RUNS, begin=True) as conn:
            _ensure_schema(conn, schema)
            for current, frame in frames.items():
                if _before_table is not None:
                    _before_table(conn, current)
                name = _qualified(schema, current)
                f = _prepare_frame(frame)
                if "run_id" not in f:
                    f.insert(0, "run_id", rid)
                have = _table_columns(conn, name)
                if have is None:
                    _create_table(conn, name, f)
                else:
                    _add_missing_columns(conn, name, f, [c for c, _ in have])
                    res = conn.execute(
                        sa.text(f"DELETE FROM {_quote(conn, name)} WHERE run_id = :r"), {"r": rid}
                    )
                    replaced += max(int(res.rowcount or 0), 0)
                _insert(conn, name, f)
                rows[current] = len(f)
            # tables of earlier writes this run no longer produces: drop its old rows there too
            for t in _schema_tables(conn, schema):
                if t not in frames and "run_id" in [c for c, _ in _table_columns(conn, t) or []]:
                    res = conn.execute(
                        sa.text(
                            f"DELETE FROM {_quote(conn, _qualified(schema, t))} WHERE run_id = :r"
                        ),
                        {"r": rid},
                    )
                    replaced += max(int(res.rowcount or 0), 0)
    except sa.exc.DBAPIError as exc:
        lost = bool(getattr(exc, "connection_invalidated", False)) or isinstance(
            exc, sa.exc.OperationalError
        )
        what = "the connection was lost" if lost else "the database refused the rows"
        raise DataError(
            f"writing run {rid!r} to {redact(url)} failed at table '{schema}.{current}': {what} "
            f"({_first_line(exc)}); nothing was written (the transaction was rolled back)",
            table=current,
            fix="check the connection and run the write again"
            if lost
            else f"check that '{schema}.{current}' has compatible columns, or drop it",
        ) from None
    return WriteBack(
        url=redact(url),
        schema=schema,
        run_id=rid,
        rows=rows,
        replaced=replaced,
        seconds=time.perf_counter() - t0,
    )


def _schema_tables(conn: Any, schema: str) -> list[str]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
        {"s": schema},
    ).fetchall()
    return [str(r[0]) for r in rows]


def read_results(
    url: str, *, schema: str = "spmopt", run_id: str | None = None
) -> dict[str, pd.DataFrame]:
    """The result tables of ``schema`` (all runs, or one ``run_id``), by table name."""
    out: dict[str, pd.DataFrame] = {}
    with _connection(url, _RUNS) as conn:
        for t in _schema_tables(conn, schema):
            sql = f"SELECT * FROM {_quote(conn, _qualified(schema, t))}"
            if run_id is not None:
                safe = run_id.replace("'", "''")
                sql += f" WHERE run_id = '{safe}'"
            out[t] = _read_sql(
                conn, sql, t, f"reading result table '{schema}.{t}'", "check the connection",
                typed=False,
            )  # fmt: skip
    return out
