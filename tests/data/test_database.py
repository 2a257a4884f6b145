"""Planning data from DuckDB and PostgreSQL, and results written back in one transaction.

The PostgreSQL tests run against the throwaway server of ``.ci/postgres.sh`` (``.ci/run`` starts
it and exports ``SPMOPT_TEST_POSTGRES_URL``); without that variable they are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import spmopt as spm
from spmopt import DataError, PlanningData
from spmopt.data import generate
from spmopt.data.database import read_results, write_planning_data, write_results
from spmopt.errors import ConfigError
from spmopt.scenario import Scenario, ScenarioResult, run

PG_URL = os.environ.get("SPMOPT_TEST_POSTGRES_URL")
needs_pg = pytest.mark.skipif(
    PG_URL is None,
    reason="SPMOPT_TEST_POSTGRES_URL is unset: start the test server with "
    '`eval "$(.ci/postgres.sh start)"` (.ci/run does this)',
)


@pytest.fixture(scope="module")
def data() -> PlanningData:
    return generate(300, 8, 36, seed=11)


def _pg_schema_url() -> Iterator[str]:
    """The test server's URL with a fresh schema on the search path, dropped afterwards."""
    import sqlalchemy as sa

    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:10]}"
    eng = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with eng.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema}_out CASCADE"))
    eng.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=needs_pg)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'plan.duckdb'}"
    else:
        yield from _pg_schema_url()


def _out(url: str) -> str:
    """Schema for result tables: per test on the shared PostgreSQL server."""
    return url.rsplit("search_path%3D", 1)[1] + "_out" if "search_path%3D" in url else "spm_out"


def _schema_exists(url: str, schema: str) -> bool:
    import sqlalchemy as sa

    from spmopt.data.database import connect

    eng = connect(url)
    try:
        with eng.connect() as c:
            n = c.execute(
                sa.text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": schema},
            ).scalar()
        return bool(n)
    finally:
        eng.dispose()


def _frames_equal(a: PlanningData, b: PlanningData) -> None:
    for name in ("accounts", "reps", "sales"):
        pd.testing.assert_frame_equal(
            getattr(a, name).reset_index(drop=True),
            getattr(b, name).reset_index(drop=True),
            check_dtype=False,
        )


def test_round_trip_through_the_database(url: str, data: PlanningData) -> None:
    write_planning_data(data, url)
    back = spm.read_planning_data(url)
    _frames_equal(data.validate(), back)
    assert back.plan == data.plan
    assert back.targets == data.targets
    assert "plan.duckdb" in back.source or "127.0.0.1" in back.source


def test_column_and_table_mapping_in_code(url: str, data: PlanningData) -> None:
    import sqlalchemy as sa

    from spmopt.data.database import connect

    write_planning_data(data, url)
    eng = connect(url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE SCHEMA IF NOT EXISTS crm"))
        c.execute(sa.text("DROP TABLE IF EXISTS crm.accounts"))
        c.execute(
            sa.text(
                "CREATE TABLE crm.accounts AS SELECT account_id AS id, lat, lon, "
                "potential AS annual_potential_usd, workload, current_territory FROM accounts"
            )
        )
        c.execute(sa.text("ALTER TABLE reps RENAME TO sales_team"))
    eng.dispose()
    back = spm.read_planning_data(
        url,
        tables={"reps": "sales_team"},
        columns=[
            "accounts.potential <- crm.accounts.annual_potential_usd",
            "accounts.account_id <- crm.accounts.id",
        ],
        queries={"sales": "SELECT account_id, period, revenue FROM sales"},
    )
    acc = data.validate().accounts
    assert list(back.accounts["account_id"]) == list(acc["account_id"])
    assert back.accounts["potential"].tolist() == pytest.approx(acc["potential"].tolist())
    assert len(back.reps) == len(data.reps)
    assert set(back.sales.columns) == {"account_id", "period", "revenue"}
    assert back.sales["revenue"].sum() == pytest.approx(data.sales["revenue"].sum())


def test_source_file_with_mapping(tmp_path: Path, data: PlanningData) -> None:
    import sqlalchemy as sa

    from spmopt.data.database import connect

    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    write_planning_data(data, url)
    eng = connect(url)
    with eng.begin() as c:
        c.execute(sa.text("ALTER TABLE accounts RENAME COLUMN potential TO annual_potential_usd"))
    eng.dispose()
    (tmp_path / "source.yaml").write_text(
        "url: duckdb:///crm.duckdb\n"
        "columns:\n"
        "  - accounts.potential <- accounts.annual_potential_usd\n",
        encoding="utf-8",
    )
    back = spm.read_planning_data(tmp_path / "source.yaml")
    assert back.accounts["potential"].sum() == pytest.approx(data.accounts["potential"].sum())
    assert back.source.endswith("source.yaml")


def test_wrong_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot open database URL") as e:
        spm.read_planning_data("nosuchdb://host/db")
    assert e.value.fix
    with pytest.raises(DataError, match="does not exist"):
        spm.read_planning_data(f"duckdb:///{tmp_path / 'none.duckdb'}")
    assert not (tmp_path / "none.duckdb").exists()  # reading created no empty database
    with pytest.raises(DataError, match=r"cannot connect to .*server is running"):
        spm.read_planning_data("postgresql://nobody:secret@127.0.0.1:1/none")
    try:
        spm.read_planning_data("postgresql://nobody:secret@127.0.0.1:1/none")
    except DataError as exc:
        assert "secret" not in str(exc)


def test_missing_table_names_it_and_what_is_there(url: str, data: PlanningData) -> None:
    import sqlalchemy as sa

    from spmopt.data.database import connect

    write_planning_data(data, url)
    eng = connect(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP TABLE reps"))
    eng.dispose()
    with pytest.raises(DataError) as e:
        spm.read_planning_data(url)
    assert e.value.table == "reps"
    assert "table 'reps' not found" in str(e.value) and "accounts" in str(e.value)
    with pytest.raises(DataError) as e2:
        spm.read_planning_data(url, columns=["accounts.potential <- accounts.no_such"])
    assert e2.value.column == "potential" and "no_such" in str(e2.value)


def test_wrong_column_type_names_table_column_and_rows(url: str, data: PlanningData) -> None:
    acc = data.accounts.copy()
    acc["potential"] = acc["potential"].round(0).astype(int).astype(str)
    acc.loc[[3, 7], "potential"] = ["12k", "n/a"]
    bad = PlanningData(acc, data.reps, data.sales, data.plan, data.targets)
    write_planning_data(bad, url)
    with pytest.raises(DataError) as e:
        spm.read_planning_data(url)
    assert (e.value.table, e.value.column) == ("accounts", "potential")
    assert e.value.rows == [acc.loc[3, "account_id"], acc.loc[7, "account_id"]]
    assert "not numbers" in str(e.value) and e.value.fix


def test_bad_mapping_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"expected 'table\.column <-"):
        spm.read_planning_data("duckdb:///x.duckdb", columns=["potential = annual"])
    with pytest.raises(ConfigError, match="planning table 'deals'"):
        spm.read_planning_data("duckdb:///x.duckdb", columns=["deals.x <- y"])


# ---------------------------------------------------------------------- write-back
@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, data: PlanningData) -> ScenarioResult:
    folder = tmp_path_factory.mktemp("db-run") / "data"
    data.write(folder)
    s = Scenario(
        name="small",
        data=str(folder),
        seed=5,
        territory={"realign": False},  # today's alignment: these tests are about the database
        forecast={"n_windows": 0, "model": "snaive"},
        comp={"n_draws": 500},
    )
    return run(s)


def _count(url: str, schema: str, table: str, run_id: str) -> int:
    import sqlalchemy as sa

    from spmopt.data.database import connect

    eng = connect(url)
    try:
        with eng.connect() as c:
            return int(
                c.execute(
                    sa.text(f"SELECT count(*) FROM {schema}.{table} WHERE run_id = :r"),
                    {"r": run_id},
                ).scalar()
            )
    finally:
        eng.dispose()


def test_write_back_round_trip_and_rerun_replaces(url: str, result: ScenarioResult) -> None:
    schema = _out(url)
    wb = write_results(result, url, schema=schema)
    assert wb.run_id.startswith("small-")
    assert wb.rows["assignment"] == len(result.alignment.assignment)
    assert wb.rows["quotas"] == len(result.quotas.quotas)
    assert wb.rows["runs"] == 1 and wb.replaced == 0
    back = read_results(url, schema=schema, run_id=wb.run_id)
    asg = back["assignment"].drop(columns="run_id").sort_values("account_id")
    want = result.tables()["assignment"].sort_values("account_id")
    pd.testing.assert_frame_equal(
        asg.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )
    q = back["quotas"].drop(columns="run_id").sort_values(["rep_id", "period"])
    wq = result.tables()["quotas"].sort_values(["rep_id", "period"])
    assert q["quota"].to_numpy() == pytest.approx(wq["quota"].to_numpy())
    assert pd.to_datetime(q["period"]).tolist() == pd.to_datetime(wq["period"]).tolist()
    assert back["runs"]["scenario"].tolist() == ["small"]
    assert set(back) >= {"runs", "assignment", "territories", "quotas", "payout_summary"}
    if "health" in result.tables():  # the plan-health checks of the run, when it has them
        assert len(back["health"]) == len(result.tables()["health"])
    # the same run again: its rows are replaced, not doubled; another run id adds rows
    wb2 = write_results(result, url, schema=schema)
    assert wb2.replaced == sum(wb.rows.values())
    assert _count(url, schema, "assignment", wb.run_id) == len(result.alignment.assignment)
    write_results(result, url, schema=schema, run_id="other")
    assert _count(url, schema, "assignment", "other") == len(result.alignment.assignment)
    assert _count(url, schema, "assignment", wb.run_id) == len(result.alignment.assignment)


def test_failure_mid_write_leaves_nothing(url: str, result: ScenarioResult) -> None:
    import sqlalchemy as sa

    schema = _out(url)
    write_results(result, url, schema=schema, run_id="kept")
    calls: list[str] = []

    def fail_at_quotas(conn: Any, table: str) -> None:
        calls.append(table)
        if table == "quotas":
            raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    with pytest.raises(DataError) as e:
        write_results(result, url, schema=schema, run_id="broken", _before_table=fail_at_quotas)
    assert e.value.table == "quotas" and "nothing was written" in str(e.value)
    assert "assignment" in calls  # earlier tables had been inserted inside the transaction
    assert _count(url, schema, "assignment", "broken") == 0
    assert _count(url, schema, "runs", "broken") == 0
    # a failed rewrite of an existing run keeps the old rows
    with pytest.raises(DataError):
        write_results(result, url, schema=schema, run_id="kept", _before_table=fail_at_quotas)
    assert _count(url, schema, "assignment", "kept") == len(result.alignment.assignment)


@needs_pg
def test_connection_killed_mid_write_leaves_nothing(result: ScenarioResult) -> None:
    """The server ends the writer's session between two tables: rolled back, a DataError."""
    import sqlalchemy as sa

    for url in _pg_schema_url():
        killer = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))

        def kill_self(conn: Any, table: str, killer: Any = killer) -> None:
            if table == "quotas":
                pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
                with killer.connect() as k:
                    k.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})

        with pytest.raises(DataError) as e:
            write_results(result, url, schema=_out(url), run_id="killed", _before_table=kill_self)
        killer.dispose()
        assert e.value.table == "quotas"
        assert "connection was lost" in str(e.value) and "nothing was written" in str(e.value)
        assert not _schema_exists(url, _out(url))  # not even the schema was committed


def test_cli_plan_with_duckdb_url_and_write_back(
    tmp_path: Path, data: PlanningData, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spmopt.cli import main

    monkeypatch.chdir(tmp_path)
    write_planning_data(data, "duckdb:///plan.duckdb")
    (tmp_path / "s.yaml").write_text(
        "name: cli\nseed: 1\nterritory: {realign: false}\n"
        "forecast: {n_windows: 0, model: snaive}\n"
        "comp: {n_draws: 300}\n",
        encoding="utf-8",
    )
    rc = main(["validate", "duckdb:///plan.duckdb"])
    assert rc == 0
    rc = main(
        [
            "plan",
            "duckdb:///plan.duckdb",
            "--scenario",
            "s.yaml",
            "--out",
            "out",
            "--write-back",
        ]
    )
    # this small synthetic plan fails its comp cost checks, so plan exits 2 (checks failed)
    # after writing every output and the write-back
    assert rc == 2
    assert (tmp_path / "out" / "report.html").exists()
    book = pd.read_excel(tmp_path / "out" / "plan.xlsx", sheet_name=None)
    assert len(book["Plan summary"]) == len(data.reps)
    assert book["Quotas by month"]["annual"].sum() > 0
    back = read_results("duckdb:///plan.duckdb", schema="spmopt")
    assert back["runs"]["scenario"].tolist() == ["cli"]
    assert len(back["assignment"]) == len(data.accounts)


def test_source_file_and_mapping_errors(tmp_path: Path) -> None:
    from spmopt.data.sources import parse_column_map, read_source_file

    (tmp_path / "a.yaml").write_text("tables: {accounts: crm}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'url' is required"):
        read_source_file(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("url: duckdb:///x.duckdb\nschemas: [a]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['schemas'\]"):
        read_source_file(tmp_path / "b.yaml")
    spec = read_source_file(
        _write(tmp_path / "c.yaml", "url: duckdb:///sub/x.duckdb\nplan: plan.yaml\n")
    )
    assert spec.url == f"duckdb:///{(tmp_path / 'sub' / 'x.duckdb').resolve()}"
    assert spec.plan == tmp_path / "plan.yaml"
    with pytest.raises(ConfigError, match="one planning table comes from one source table"):
        parse_column_map(["accounts.a <- crm.accounts.x", "accounts.b <- erp.accounts.y"])
    m = parse_column_map(["accounts.potential <- crm.accounts.annual_potential_usd"])
    assert m.source_table("accounts") == "crm.accounts" and m.source_table("reps") == "reps"
    assert m.renames("accounts") == {"annual_potential_usd": "potential"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
