"""The outputs of ``spmopt plan``: one folder of CSV tables, the settings and the report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from spmopt.io_utils import atomic_write_frame, atomic_write_text

__all__ = ["write_plan_outputs"]


def write_plan_outputs(
    result: Any, out: str | os.PathLike[str], *, report: bool = True, data: Any = None
) -> Path:
    """Write a scenario's results to ``out``: every result table as CSV (``assignment.csv``,
    ``territories.csv``, ``forecast.csv``, ``quotas.csv``, ``comp_per_rep.csv``, ...),
    ``summary.csv``, ``plan.xlsx`` (per-rep plan summary and quotas by month),
    ``scenario.yaml``, ``notes.json`` and ``report.html``.

    Each file is written atomically; other files in ``out`` are left alone.

    Returns
    -------
    Path
        The report (or the folder when ``report`` is false).
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in result.tables().items():
        atomic_write_frame(frame, folder / f"{name}.csv")
    from spmopt.data.excel import write_plan_workbook

    write_plan_workbook(result, folder / "plan.xlsx")  # per-rep plan summary and quotas
    atomic_write_text(folder / "scenario.yaml", result.scenario.to_yaml())
    atomic_write_text(
        folder / "notes.json",
        json.dumps({"timings": result.timings, "notes": list(result.notes)}, indent=1),
    )
    if not report:
        return folder
    from spmopt.report import write_html

    return write_html(result, folder / "report.html", data=data)
