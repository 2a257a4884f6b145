"""spmopt report: the HTML report of any output folder spmopt writes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["folder_kind", "register"]

# the file that tells each kind of output folder apart, first match wins
_KINDS = (
    ("manifest.json", "batch"),
    ("scenario.yaml", "plan"),
    ("draws.csv", "simulate"),
    ("assignment.csv", "align"),
    ("compromise_assignment.csv", "align"),
    ("quotas.csv", "quota"),
    ("conflicts.csv", "quota"),
    ("forecast.csv", "forecast"),
)
_DATE_COLUMNS = ("ds", "period", "hire_date")
_ID_COLUMNS = ("account_id", "rep_id", "territory_id", "unique_id", "scenario")


def folder_kind(folder: Path) -> str | None:
    """Which command wrote ``folder``: ``batch``, ``plan``, ``simulate``, ``align``, ``quota``
    or ``forecast``; ``None`` when it is none of them."""
    for name, kind in _KINDS:
        if (folder / name).is_file():
            return kind
    return None


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    p = subparsers.add_parser(
        "report",
        help="write the HTML report of an output folder (plan, batch, align, quota, simulate)",
        description="The report of an output folder spmopt wrote: a run folder of spmopt batch "
        "(every scenario compared, one in detail), an --out folder of spmopt plan (the full "
        "report of that scenario), or the --out folder of spmopt align, quota, simulate or "
        "forecast (its tables, numbers formatted, and its notes).",
    )
    p.add_argument("run", type=Path, help="output folder written by spmopt (plan, batch, ...)")
    p.add_argument("--out", type=Path, help="HTML file (default: RUN/report.html)")
    p.add_argument("--detail", help="scenario of a batch to show in detail (default: the first)")
    p.add_argument("--title", help="page title (default: from the folder)")
    p.set_defaults(func=_cmd_report)


def _read_csv(path: Path) -> Any:
    import pandas as pd

    head = pd.read_csv(path, nrows=0).columns
    frame = pd.read_csv(path, dtype={c: str for c in _ID_COLUMNS if c in head})
    for c in _DATE_COLUMNS:
        if c in frame and not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = pd.to_datetime(frame[c], errors="coerce")
    return frame


def _plan_result(folder: Path) -> Any:
    """A plan's output folder read back as a stored result (settings and tables)."""
    import json

    from spmopt.scenario.config import Scenario
    from spmopt.scenario.store import StoredResult

    tables = {p.stem: _read_csv(p) for p in sorted(folder.glob("*.csv"))}
    info: dict[str, Any] = {}
    if (folder / "notes.json").is_file():
        info = json.loads((folder / "notes.json").read_text(encoding="utf-8"))
    return StoredResult(
        scenario=Scenario.from_yaml(folder / "scenario.yaml"),
        tables=tables,
        notes=tuple(info.get("notes", ())),
        timings=dict(info.get("timings", {})),
    )


def _tables_html(folder: Path, kind: str, title: str | None) -> str:
    """A plain page of a stage's output folder: each table (first 200 rows, formatted) and
    each text file."""
    import html
    import time

    from spmopt import __version__
    from spmopt.formatting import format_frame

    ttl = title or f"spmopt {kind} — {folder.name}"
    body = []
    for p in sorted(folder.glob("*.txt")):
        body.append(f"<h2>{html.escape(p.name)}</h2><pre>{html.escape(p.read_text())}</pre>")
    for p in sorted(folder.glob("*.csv")):
        frame = _read_csv(p)
        shown = format_frame(frame.head(200))
        more = f"<p>first 200 of {len(frame):,} rows</p>" if len(frame) > 200 else ""
        body.append(
            f"<h2>{html.escape(p.name)}</h2>{more}"
            + shown.to_html(index=False, border=0, escape=True)
        )
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    css = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}pre{background:#f6f6f6;padding:1em}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(ttl)}</title><style>{css}</style></head><body>"
        f"<h1>{html.escape(ttl)}</h1><p>{html.escape(str(folder))} · generated {stamp} by "
        f"spmopt {__version__}</p>" + "\n".join(body) + "</body></html>\n"
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from spmopt.errors import ConfigError

    folder: Path = args.run
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder: give an output folder spmopt wrote")
    kind = folder_kind(folder)
    if kind is None:
        raise ConfigError(
            f"{folder} is not a run folder nor an output folder of spmopt (no manifest.json, "
            "scenario.yaml, "
            "assignment.csv, quotas.csv, draws.csv or forecast.csv): give the --out folder of "
            "spmopt plan, batch, align, quota, simulate or forecast"
        )
    out = args.out or folder / "report.html"
    if kind in ("batch", "plan"):
        from spmopt.report import write_html

        src: Any = folder if kind == "batch" else _plan_result(folder)
        path = write_html(src, out, detail=args.detail, title=args.title)
    else:
        from spmopt.io_utils import atomic_write_text

        path = atomic_write_text(out, _tables_html(folder, kind, args.title))
    print(f"report ({kind} folder): {path}")
    return 0
