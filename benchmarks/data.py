"""Data benchmark: generating, validating and reading a 100k-account planning data set, and the
county adjacency of the whole US.

``python -m benchmarks.data [--quick] [--postgres URL]``

Rows: the seeded generator (100,000 accounts, 400 reps, 48 months; ``--quick``: 10,000 × 40),
spmopt's validator on the result, and, side by side, the same sales checks written the obvious
way in pandas (``duplicated`` on the key, a ``groupby`` for each account's first and last month
and row count) as the peer. Then ``read_planning_data`` (read + validate) of the same data from a
Parquet folder, a DuckDB file and PostgreSQL (``--postgres``, default
``$SPMOPT_TEST_POSTGRES_URL``; start a throwaway server with ``eval "$(.ci/postgres.sh
start)"``), and the rook and queen adjacency of the 3,108 counties of the contiguous US.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import measure, print_table
from spmopt.data import (
    generate,
    read_planning_data,
    validate_tables,
    write_planning_data,
)


def _plain_pandas_checks(sales: pd.DataFrame, accounts: pd.DataFrame) -> int:
    """Duplicate keys, unknown accounts, month starts and per-account gaps, the obvious way."""
    problems = 0
    problems += int(sales.duplicated(["account_id", "period"]).sum())
    problems += int((~sales["account_id"].isin(accounts["account_id"])).sum())
    problems += int((sales["period"].dt.day != 1).sum())
    g = sales.groupby("account_id")["period"].agg(["min", "max", "count"])
    span = (g["max"].dt.year - g["min"].dt.year) * 12 + (g["max"].dt.month - g["min"].dt.month) + 1
    problems += int((g["count"] < span).sum())
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 accounts x 40 reps")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SPMOPT_TEST_POSTGRES_URL"),
        help="PostgreSQL URL to read from (default: $SPMOPT_TEST_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    n_acc, n_reps = (10_000, 40) if args.quick else (100_000, 400)
    gen = measure(lambda: generate(n_acc, n_reps, 48, seed=1))
    data = gen.value
    val = measure(lambda: validate_tables(data.accounts, data.reps, data.sales))
    plain = measure(lambda: _plain_pandas_checks(data.sales, data.accounts))
    rows = [
        {"step": "spmopt.data.generate", "accounts": n_acc, "sales rows": len(data.sales),
         "seconds": gen.seconds, "peak MB": gen.peak_mb, "problems": "-", "vs pandas": None},
        {"step": "spmopt validate (all tables, every check)", "accounts": n_acc,
         "sales rows": len(data.sales), "seconds": val.seconds, "peak MB": val.peak_mb,
         "problems": len(val.value[1]), "vs pandas": plain.seconds / val.seconds},
        {"step": "plain pandas (sales checks only)", "accounts": n_acc,
         "sales rows": len(data.sales), "seconds": plain.seconds, "peak MB": plain.peak_mb,
         "problems": plain.value, "vs pandas": 1.0},
    ]  # fmt: skip
    print_table("planning data: generate and validate", rows)
    print("vs pandas: how many times faster than the plain pandas checks (higher is better).")
    print_table("planning data: read and validate by source", _sources(data, args.postgres))
    print("write: storing the data set there first (setup, not part of the read).")
    print_table("US county adjacency (3,108 counties, contiguous US)", _adjacency())


def _sources(data: Any, postgres: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "parquet"
        targets: list[tuple[str, str | None]] = [
            ("Parquet folder", str(folder)),
            ("DuckDB file", f"duckdb:///{Path(tmp) / 'plan.duckdb'}"),
            ("PostgreSQL", postgres),
        ]
        for name, where in targets:
            if where is None:
                rows.append({"source": name, "note": "skipped: no --postgres URL"})
                continue
            if name == "Parquet folder":
                w = measure(lambda: data.write(folder, format="parquet"))
            else:
                w = measure(lambda where=where: write_planning_data(data, where))
            r = measure(lambda where=where: read_planning_data(where))
            rows.append(
                {
                    "source": name,
                    "sales rows": len(r.value.sales),
                    "read+validate s": r.seconds,
                    "peak MB": r.peak_mb,
                    "write s": w.seconds,
                    "note": "",
                }
            )
    base = rows[0].get("read+validate s")
    for row in rows:
        if base and row.get("read+validate s"):
            row["vs Parquet"] = row["read+validate s"] / base
    return rows


def _adjacency() -> list[dict[str, Any]]:
    from spmopt.geo import adjacency, us_counties

    read = measure(us_counties)
    rows: list[dict[str, Any]] = [
        {"step": "read the county shapes (plotly-geo)", "seconds": read.seconds,
         "peak MB": read.peak_mb, "pairs": "-", "bridges": "-"},
    ]  # fmt: skip
    for rule in ("rook", "queen"):
        m = measure(lambda rule=rule: adjacency(read.value, rule=rule))
        rows.append(
            {
                "step": f"spm.geo.adjacency(rule={rule!r})",
                "seconds": m.seconds,
                "peak MB": m.peak_mb,
                "pairs": len(m.value.pairs),
                "bridges": len(m.value.bridges),
            }
        )
    return rows


if __name__ == "__main__":
    main()
