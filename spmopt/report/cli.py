"""``spmopt report``: the HTML report of a stored run folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    p = subparsers.add_parser(
        "report",
        help="write the HTML report of a run folder (from spmopt batch)",
        description="Comparison of every scenario of a run folder, with one scenario in detail.",
    )
    p.add_argument("run", type=Path, help="run folder written by spmopt batch")
    p.add_argument("--out", type=Path, help="HTML file (default: RUN/report.html)")
    p.add_argument("--detail", help="scenario to show in detail (default: the first finished)")
    p.add_argument("--title", help="page title")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from spmopt.errors import ConfigError
    from spmopt.report import write_html

    if not (args.run / "manifest.json").exists():
        raise ConfigError(f"{args.run} is not a run folder (no manifest.json); run spmopt batch")
    out = args.out or args.run / "report.html"
    path = write_html(args.run, out, detail=args.detail, title=args.title)
    print(f"report: {path}")
    return 0
