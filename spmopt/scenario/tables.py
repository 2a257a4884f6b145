"""A scenario's results as named long tables, and back.

These tables are what a run folder stores (one Parquet file each) and what the report draws
from, so a stored run can be reported without rerunning it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from spmopt.scenario.pipeline import ScenarioResult

__all__ = ["TABLE_NAMES", "as_frame", "cost_draws", "result_tables"]

#: Tables of one scenario, in the order they are written.
TABLE_NAMES = (
    "summary",
    "assignment",
    "territories",
    "reps",
    "forecast",
    "backtest",
    "quotas",
    "quota_annual",
    "comp_summary",
    "comp_per_rep",
    "comp_checks",
    "comp_draws",
    "history",
    "health",
)


def as_frame(obj: Any) -> pd.DataFrame | None:
    """A DataFrame view of a table-like result part (frame, Series, dict of scalars, or an
    object with ``to_frame()``); ``None`` when there is nothing tabular."""
    if obj is None:
        return None
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return pd.DataFrame([obj.to_dict()])  # one row, each column its own dtype
    if isinstance(obj, Mapping):
        flat = {k: v for k, v in obj.items() if np.isscalar(v) or v is None}
        return pd.DataFrame([flat]) if flat else None
    to_frame = getattr(obj, "to_frame", None)
    if callable(to_frame):
        try:
            out = to_frame()
        except TypeError:
            return None
        return out if isinstance(out, pd.DataFrame) else None
    return None


def cost_draws(cost: Any) -> pd.DataFrame | None:
    """Per-draw totals of a cost simulation (``draw, incentive, revenue, ccos, margin, ...``)
    when the simulation keeps them."""
    for name in ("draws", "totals", "total_draws", "by_draw"):
        v = getattr(cost, name, None)
        if callable(v):
            try:
                v = v()
            except TypeError:
                continue
        f = as_frame(v) if not isinstance(v, np.ndarray) else None
        if f is not None and len(f) > 1:
            return f
    return None


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet-safe copy: string column names, objects of mixed type as strings."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out = out.reset_index()
        out.columns = [str(c) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object:
            kinds = {type(v) for v in out[c].dropna()}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                out[c] = out[c].map(lambda v: None if v is None else str(v))
    return out


def result_tables(result: ScenarioResult) -> dict[str, pd.DataFrame]:
    """The results of one scenario as named tables (see :data:`TABLE_NAMES`)."""
    al, q, c = result.alignment, result.quotas, result.cost
    bt = result.backtest
    parts: dict[str, Any] = {
        "summary": result.summary,
        "assignment": getattr(al, "assignment", None),
        "territories": getattr(al, "summary", None),
        "reps": result.reps,
        "forecast": getattr(result.forecast, "frame", None),
        "backtest": getattr(bt, "metrics", bt if isinstance(bt, pd.DataFrame) else None),
        "quotas": getattr(q, "quotas", None),
        "quota_annual": getattr(q, "annual", None),
        "comp_summary": as_frame(getattr(c, "summary", None)),
        "comp_per_rep": as_frame(getattr(c, "per_rep", None)),
        "comp_checks": as_frame(getattr(c, "checks", None)),
        "comp_draws": cost_draws(c),
        "history": result.history,
        "health": result.health.to_frame() if result.health is not None else None,
    }
    out: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        f = as_frame(parts.get(name))
        if f is not None:
            out[name] = _clean(f)
    return out
