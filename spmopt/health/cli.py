"""spmopt health: the plan-health checks of a finished plan or of a batch run folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``health`` command."""
    p = subparsers.add_parser(
        "health",
        help="check a finished plan (or every scenario of a run folder) against the field's norms",
        description="Each check with its number, its band, pass/warn/fail, the reason and the "
        "lever that moves it. Bands come from targets.yaml (health:) or the defaults. Exit "
        "status 2 when a check fails.",
    )
    p.add_argument("run", type=Path, help="output folder of `spmopt plan` or run folder of "
                   "`spmopt batch`")  # fmt: skip
    p.add_argument("--all", action="store_true", help="print every check, not only those "
                   "that warn or fail")  # fmt: skip
    p.add_argument("--remedies", action="store_true", help="rerun the plan's scenario and "
                   "sweep the settings that bring it inside its bands (a minute)")  # fmt: skip
    p.add_argument("--csv", type=Path, help="also write the checks as a CSV table to this file")
    p.set_defaults(func=_cmd_health)


def _cmd_health(args: argparse.Namespace) -> int:
    from spmopt.errors import ConfigError
    from spmopt.formatting import table
    from spmopt.health import BatchHealth, check
    from spmopt.io_utils import atomic_write_frame
    from spmopt.scenario.cli import health_verdict

    if not args.run.is_dir():
        raise ConfigError(f"{args.run} is not a folder: give the --out folder of spmopt plan or "
                          "a run folder of spmopt batch")  # fmt: skip
    res = check(args.run)
    if isinstance(res, BatchHealth):
        print(f"{len(res.reports)} scenarios, healthiest first:")
        cols = ["rank", "scenario", "health", "n_fail", "n_warn", "failing"]
        print(table(res.ranking[cols]))
        for name, rep in res.reports.items():
            lines = rep.lines(all_checks=args.all)
            if lines:
                print(f"\n{name}: {health_verdict(rep)}")
                print("\n".join(f"  {x}" for x in lines))
        if args.csv:
            atomic_write_frame(res.to_frame(), args.csv)
        return 0 if res.ok else 2
    print(f"{res.scenario}: {health_verdict(res)}")
    for line in res.lines(all_checks=args.all):
        print(f"  {line}")
    if res.gap is not None:
        print(f"target gap: {res.gap.sentence()}")
    if args.csv:
        atomic_write_frame(res.to_frame(), args.csv)
    if args.remedies:
        _print_remedies(args.run)
    return 0 if res.ok else 2


def _print_remedies(folder: Path) -> None:
    from spmopt.errors import ConfigError
    from spmopt.health import remedies
    from spmopt.scenario.config import Scenario

    path = folder / "scenario.yaml"
    if not path.is_file():
        raise ConfigError(f"{folder} has no scenario.yaml: --remedies needs the plan's settings")
    print("what would it take (rerunning the plan, then a small sweep):", file=sys.stderr)
    rem = remedies(Scenario.from_yaml(path))
    print(repr(rem))
