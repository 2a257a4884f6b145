"""The ``spmopt`` command line.

Core commands live here (``validate``, ``generate``); each stage adds its own commands from its
``cli`` module (``spmopt/<stage>/cli.py`` with a ``register(subparsers)`` function), so that
``spmopt --help`` lists the whole planning cycle.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from spmopt.errors import SpmoptError

__all__ = ["build_parser", "main"]

_STAGE_CLIS = (
    "spmopt.territory.cli",
    "spmopt.forecast.cli",
    "spmopt.quota.cli",
    "spmopt.comp.cli",
    "spmopt.scenario.cli",
    "spmopt.report.cli",
    "spmopt.health.cli",
)

Handler = Callable[[argparse.Namespace], int]


def _cmd_validate(args: argparse.Namespace) -> int:
    from spmopt.data import read_planning_data

    data = read_planning_data(args.path, validate=False)
    problems = data.issues()
    if problems:
        print(f"{args.path}: {len(problems)} problem(s) found", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    data = data.validate()
    print(f"{args.path}: valid. {data!r}")
    if args.summary:
        import pandas as pd

        with pd.option_context(
            "display.max_colwidth", 60, "display.float_format", "{:,.0f}".format
        ):
            print(data.summary().to_string())
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from spmopt.data.synthetic import generate

    if args.example:
        from spmopt.data.example import EXAMPLE_SEED, EXAMPLE_SIZE

        data = generate(
            EXAMPLE_SIZE["n_accounts"],
            EXAMPLE_SIZE["n_reps"],
            EXAMPLE_SIZE["n_months"],
            seed=EXAMPLE_SEED,
        )
    else:
        data = generate(args.accounts, args.reps, args.months, seed=args.seed)
    from spmopt.data.sources import source_kind

    kind = source_kind(args.out)
    if kind == "url":
        from spmopt.data.database import write_planning_data

        write_planning_data(data, args.out)
    elif kind == "excel":
        from spmopt.data.excel import write_planning_excel

        write_planning_excel(data, args.out)
    else:
        data.write(Path(args.out), format=args.format)
    print(f"wrote {data!r} to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every stage's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="spmopt",
        description="Sales performance management planning: territories, forecasts, quotas and "
        "comp cost.",
    )
    from spmopt import __version__

    parser.add_argument("--version", action="version", version=f"spmopt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="check a planning data folder against the table contract")
    p.add_argument(
        "path",
        help="folder with accounts, reps, sales (.csv or .parquet), an .xlsx workbook, a "
        "database URL (duckdb:///plan.duckdb) or a source .yaml",
    )
    p.add_argument("--summary", action="store_true", help="print a summary of the data")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("generate", help="write a seeded synthetic planning data set")
    p.add_argument("out", help="output folder, .xlsx workbook or database URL")
    p.add_argument("--accounts", type=int, default=2_500)
    p.add_argument("--reps", type=int, default=40)
    p.add_argument("--months", type=int, default=48)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--example", action="store_true", help="regenerate data/example exactly")
    p.set_defaults(func=_cmd_generate)

    for mod in _STAGE_CLIS:
        if importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0 ok, 1 a data or settings error (named
    on stderr, nothing written), 2 the plan fails its checks."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler = args.func
    try:
        return int(func(args) or 0)
    except SpmoptError as exc:
        print(f"spmopt {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
