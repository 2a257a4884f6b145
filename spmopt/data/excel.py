"""Excel workbooks (``.xlsx``, through openpyxl): planning data in, quotas and the plan out.

* :func:`read_excel` reads the sheets ``accounts``, ``reps`` and ``sales`` (other sheet names and
  column names through the same mapping as a database), with ``plan.yaml`` and
  ``targets.yaml`` next to the workbook when present.
* :func:`write_planning_excel` writes planning data as such a workbook.
* :func:`write_plan_workbook` writes what a sales operations analyst opens first: the per-rep
  plan summary, quotas per rep and month (one column a month) and the long quota table.

Every workbook is written to a temporary file and moved into place, so a reader never sees a
half-written one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.sources import PLANNING_TABLES, ColumnMap, parse_column_map
from spmopt.errors import ConfigError, DataError
from spmopt.io_utils import atomic_write_bytes

__all__ = ["plan_summary", "read_excel", "write_plan_workbook", "write_planning_excel"]

_ID_COLUMNS = (
    "account_id",
    "rep_id",
    "territory_id",
    "current_territory",
    "locked_territory",
    "basic_unit",
)


def read_excel(
    path: str | Path,
    *,
    tables: Mapping[str, str] | None = None,
    columns: Any = None,
    plan: str | Path | Mapping[str, Any] | None = None,
    targets: Any = None,
    validate: bool = True,
) -> Any:
    """Read planning data from an ``.xlsx`` workbook.

    Parameters
    ----------
    path : str or Path
        The workbook.
    tables : mapping, optional
        Planning table -> sheet name (default: sheets named ``accounts``, ``reps``, ``sales``).
    columns : list of str or mapping, optional
        Column mapping (``["accounts.potential <- Accounts.Annual potential"]`` is not possible
        with spaces; use ``{"accounts": {"potential": "Annual potential"}}``).
    plan, targets : optional
        Comp plan and targets; default ``plan.yaml`` / ``targets.yaml`` next to the workbook.
    validate : bool
        Validate and normalise the tables.

    Raises
    ------
    spmopt.DataError
        The file is missing or not a workbook, a sheet or mapped column is missing, or the data
        fails validation.
    """
    from spmopt.data.planning import assemble_planning_data

    p = Path(path)
    if not p.is_file():
        raise DataError(
            f"workbook {p} does not exist",
            table="accounts",
            fix="give the path of an .xlsx file with sheets accounts, reps and sales",
        )
    mapping = ColumnMap(dict(tables or {})).merged(parse_column_map(columns))
    try:
        with pd.ExcelFile(p, engine="openpyxl") as book:
            sheets = [str(s) for s in book.sheet_names]
            frames: dict[str, pd.DataFrame] = {}
            for name in PLANNING_TABLES:
                sheet = mapping.source_table(name)
                if sheet not in sheets:
                    lowered = {s.lower().strip(): s for s in sheets}
                    if sheet.lower() in lowered:
                        sheet = lowered[sheet.lower()]
                    else:
                        raise DataError(
                            f"sheet '{sheet}' not found in {p.name} (sheets: {sheets})",
                            table=name,
                            fix=f"name a sheet '{name}', or map it: tables={{'{name}': "
                            "'<sheet name>'}",
                        )
                frame = pd.read_excel(
                    book, sheet_name=sheet, dtype={c: "str" for c in _ID_COLUMNS}, na_values=[""]
                ).rename(columns=lambda c: str(c).strip())
                for dst, src in mapping.columns.get(name, {}).items():
                    if src not in frame.columns:
                        raise DataError(
                            f"column '{src}' (mapped to {name}.{dst}) is not on sheet '{sheet}' "
                            f"(columns: {list(frame.columns)})",
                            table=name,
                            column=dst,
                            fix=f"correct the mapping of {name}.{dst}",
                        )
                frames[name] = frame.rename(columns=mapping.renames(name))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"cannot read workbook {p.name}: {exc}",
            table="accounts",
            fix=f"check that {p} is an .xlsx file (Excel 2007 or later)",
        ) from None
    if "period" in frames["sales"]:
        s = frames["sales"]["period"]
        if not pd.api.types.is_datetime64_any_dtype(s):
            conv = pd.to_datetime(s, errors="coerce", format="mixed")
            frames["sales"]["period"] = conv.where(conv.notna(), s)
    plan = plan if plan is not None else _beside(p, "plan.yaml")
    targets = targets if targets is not None else _beside(p, "targets.yaml")
    return assemble_planning_data(frames, plan, targets, str(p), validate)


def _beside(p: Path, name: str) -> Path | None:
    q = p.with_name(name)
    return q if q.is_file() else None


def _autofit(ws: Any, frame: pd.DataFrame, money: set[str], pct: set[str]) -> None:
    """Bold header, frozen first row, column widths and number formats."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "B2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        sample = [str(col), *(str(v) for v in frame[col].head(200))]
        ws.column_dimensions[letter].width = min(max(len(s) for s in sample) + 2, 40)
        fmt = "#,##0" if col in money else "0.0%" if col in pct else None
        if fmt is None and frame[col].dtype.kind == "M":
            fmt = "yyyy-mm-dd"
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt


def _workbook_bytes(
    sheets: Mapping[str, pd.DataFrame],
    money: Mapping[str, set[str]] | None = None,
    pct: Mapping[str, set[str]] | None = None,
) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name[:31], index=False)
            _autofit(
                xw.sheets[name[:31]],
                frame,
                (money or {}).get(name, set()),
                (pct or {}).get(name, set()),
            )
    return buf.getvalue()


def write_planning_excel(data: Any, path: str | Path) -> Path:
    """Write planning data as a workbook with sheets ``accounts``, ``reps``, ``sales`` (and
    ``plan.yaml`` / ``targets.yaml`` beside it), atomically."""
    import yaml

    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise ConfigError(f"{p}: a workbook path must end in .xlsx")
    sheets = {name: getattr(data, name) for name in PLANNING_TABLES}
    atomic_write_bytes(p, _workbook_bytes(sheets))
    from spmopt.io_utils import atomic_write_text

    if data.plan is not None:
        atomic_write_text(p.with_name("plan.yaml"), yaml.safe_dump(data.plan, sort_keys=False))
    if data.targets is not None:
        atomic_write_text(p.with_name("targets.yaml"), data.targets.to_yaml())
    return p


_PAY_COLUMNS = (
    "expected_attainment",
    "p_at_quota",
    "expected_incentive",
    "incentive_p10",
    "incentive_p90",
)


def plan_summary(result: Any) -> pd.DataFrame:
    """One row per rep: territory, region, accounts, potential, workload, annual quota, quota /
    potential, expected attainment and pay, share of draws at quota.

    Columns (as present in the result): ``rep_id``, ``territory_id``, ``region``, ``role``,
    ``n_accounts``, ``potential`` [currency/yr], ``workload`` [h/yr], ``quota`` [currency],
    ``quota_to_potential``, ``forecast`` [currency], and from the comp simulation
    ``expected_attainment``, ``p_at_quota`` (probability of reaching quota),
    ``expected_incentive``, ``incentive_p10``, ``incentive_p90`` [currency].
    """
    tables = result.tables() if hasattr(result, "tables") else dict(result)
    reps = tables.get("reps", pd.DataFrame())
    keep = [c for c in ("rep_id", "territory_id", "region", "district", "role") if c in reps]
    out = reps[keep].copy() if keep else pd.DataFrame(columns=["rep_id"])
    terr = tables.get("territories")
    if terr is not None and "territory_id" in terr and "territory_id" in out:
        cols = [c for c in ("n_accounts", "potential", "workload") if c in terr]
        out = out.merge(terr[["territory_id", *cols]], on="territory_id", how="left")
    annual = tables.get("quota_annual")
    if annual is not None and "rep_id" in annual:
        cols = [c for c in ("quota", "forecast") if c in annual]
        out = out.merge(annual[["rep_id", *cols]], on="rep_id", how="left")
        if "quota" in out and "potential" in out:
            pot = out["potential"].to_numpy(float)
            out["quota_to_potential"] = out["quota"].to_numpy(float) / np.where(
                pot > 0, pot, np.nan
            )
    per_rep = tables.get("comp_per_rep")
    if per_rep is not None and "rep_id" in per_rep:
        pick = [c for c in _PAY_COLUMNS if c in per_rep and c not in out]
        out = out.merge(per_rep[["rep_id", *pick]], on="rep_id", how="left")
    return out.reset_index(drop=True)


def write_plan_workbook(result: Any, path: str | Path) -> Path:
    """Write the plan a sales operations analyst opens first, atomically.

    Sheets: ``Plan summary`` (one row per rep, :func:`plan_summary`), ``Quotas by month`` (one
    row per rep, one column per period, and the annual total) and ``Quotas`` (the long table
    ``rep_id, territory_id, period, quota, ...``).

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise ConfigError(f"{p}: a workbook path must end in .xlsx")
    tables = result.tables() if hasattr(result, "tables") else dict(result)
    summary = plan_summary(result)
    quotas = tables.get("quotas")
    sheets: dict[str, pd.DataFrame] = {"Plan summary": summary}
    if quotas is not None and {"rep_id", "period", "quota"} <= set(quotas.columns):
        q = quotas.copy()
        q["period"] = pd.to_datetime(q["period"])
        wide = q.pivot_table(index="rep_id", columns="period", values="quota", aggfunc="sum")
        wide.columns = [f"{c:%Y-%m}" for c in wide.columns]
        wide["annual"] = wide.sum(axis=1)
        wide = wide.reset_index()
        if "territory_id" in q:
            tid = q.drop_duplicates("rep_id").set_index("rep_id")["territory_id"]
            wide.insert(1, "territory_id", wide["rep_id"].map(tid))
        sheets["Quotas by month"] = wide
        sheets["Quotas"] = quotas
    money = {
        "Plan summary": {
            "potential",
            "quota",
            "forecast",
            "expected_incentive",
            "incentive_p10",
            "incentive_p90",
        },
        "Quotas by month": {c for c in sheets.get("Quotas by month", pd.DataFrame()).columns}
        - {"rep_id", "territory_id"},
        "Quotas": {"quota", "forecast"},
    }
    pct = {"Plan summary": {"quota_to_potential", "expected_attainment", "p_at_quota"}}
    atomic_write_bytes(p, _workbook_bytes(sheets, money, pct))
    return p
