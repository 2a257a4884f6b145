"""Data benchmark: generating and validating a 100k-account planning data set.

``python -m benchmarks.data [--quick]``

Rows: the seeded generator (100,000 accounts, 400 reps, 48 months; ``--quick``: 10,000 × 40),
spmopt's validator on the result, and, side by side, the same sales checks written the obvious
way in pandas (``duplicated`` on the key, a ``groupby`` for each account's first and last month
and row count) as the peer.
"""

from __future__ import annotations

import argparse

import pandas as pd

from benchmarks.common import measure, print_table
from spmopt.data import generate, validate_tables


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


if __name__ == "__main__":
    main()
