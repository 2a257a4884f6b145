"""The typed tables that pass between spmopt's stages, and :func:`as_table` that checks them.

The input tables (``accounts``, ``reps``, ``sales``) are in :mod:`spmopt.data.schema`; this
module adds the tables one stage hands the next (DESIGN.md section 3):

=============  ======================  ==============================  =========================
table          key                     produced by                     consumed by
=============  ======================  ==============================  =========================
alignment      account_id              ``TerritoryAligner.solve``      build_history, QuotaSetter
history        unique_id, ds           ``forecast.build_history``      RevenueForecaster.fit
forecast       unique_id, ds           ``RevenueForecaster.predict``   QuotaSetter, CompSimulator
quotas         territory_id, period    ``QuotaSetter.solve``           CompSimulator.simulate
payouts        draw, rep_id            ``CostSimulation.payouts``      reports, users
=============  ======================  ==============================  =========================

Any stage that takes another's table can pass it through :func:`as_table` first::

    from spmopt.tables import ALIGNMENT, as_table
    assignment = as_table(alignment_result, ALIGNMENT)   # or a DataFrame read from CSV
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.schema import Column, TableSpec
from spmopt.errors import DataError

__all__ = [
    "ALIGNMENT",
    "FORECAST",
    "HISTORY",
    "PAYOUTS",
    "QUOTAS",
    "STAGE_TABLES",
    "Column",
    "TableSpec",
    "as_table",
]

ALIGNMENT = TableSpec(
    "alignment",
    key=("account_id",),
    columns=(
        Column("account_id", "str"),
        Column("territory_id", "str"),
        Column("rep_id", "str", nullable=True, doc="missing for a vacant territory"),
        Column("distance_km", "float", "km", required=False, nonnegative=True),
        Column("moved", "bool", required=False, doc="territory differs from current_territory"),
    ),
    produced_by="spmopt.territory.TerritoryAligner.solve",
    consumed_by=("spmopt.forecast.build_history", "spmopt.quota.QuotaSetter.solve"),
)

HISTORY = TableSpec(
    "history",
    key=("unique_id", "ds"),
    columns=(
        Column("unique_id", "str", doc="rep, district, region or total id"),
        Column("ds", "datetime", doc="month start"),
        Column("y", "float", "currency/month"),
        Column("level", "str", required=False),
        Column("parent", "str", required=False, nullable=True, doc="missing at the top"),
    ),
    produced_by="spmopt.forecast.build_history",
    consumed_by=("spmopt.forecast.RevenueForecaster.fit", "spmopt.forecast.backtest"),
)

FORECAST = TableSpec(
    "forecast",
    key=("unique_id", "ds"),
    columns=(
        Column("unique_id", "str"),
        Column("ds", "datetime", doc="month start"),
        Column("level", "str", doc="rep, district, region or total"),
        Column("yhat", "float", "currency/month"),
        *(
            Column(f"yhat_{side}_{lvl}", "float", "currency/month", required=False)
            for lvl in (80, 95)
            for side in ("lo", "hi")
        ),
        Column("model", "str", required=False, nullable=True),
    ),
    produced_by="spmopt.forecast.RevenueForecaster.predict",
    consumed_by=("spmopt.quota.QuotaSetter.solve", "spmopt.comp.CompSimulator.simulate"),
)

QUOTAS = TableSpec(
    "quotas",
    key=("territory_id", "period"),
    columns=(
        Column("rep_id", "str", nullable=True, doc="missing for a vacant territory"),
        Column("territory_id", "str"),
        Column("period", "datetime", doc="month or quarter start"),
        Column("quota", "float", "currency", nonnegative=True),
        Column("potential_share", "float", required=False, nonnegative=True),
        Column("forecast", "float", "currency", required=False),
        Column("growth", "float", required=False, nullable=True, doc="quota / last year - 1"),
    ),
    produced_by="spmopt.quota.QuotaSetter.solve",
    consumed_by=("spmopt.comp.CompSimulator.simulate",),
)

PAYOUTS = TableSpec(
    "payouts",
    key=("draw", "rep_id"),
    columns=(
        Column("draw", "int", nonnegative=True),
        Column("rep_id", "str"),
        Column("attainment", "float", nonnegative=True, doc="revenue / quota"),
        Column("incentive", "float", "currency/yr", nonnegative=True),
        Column("total_pay", "float", "currency/yr", nonnegative=True),
        Column("role", "str", required=False, nullable=True),
        Column("measure", "str", required=False, nullable=True),
    ),
    produced_by="spmopt.comp.CostSimulation.payouts",
    consumed_by=(),
)

#: The tables between stages, by name.
STAGE_TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ALIGNMENT, HISTORY, FORECAST, QUOTAS, PAYOUTS)
}

#: What :func:`as_table` calls on a result object for a table (``to_frame`` otherwise).
_FROM_RESULT = {"payouts": "payouts"}


def as_table(obj: Any, spec: TableSpec | str) -> pd.DataFrame:
    """The table ``spec`` from a stage result or a DataFrame, checked against its contract.

    Parameters
    ----------
    obj : result object or DataFrame
        A result (its ``to_frame()`` is read; ``payouts()`` for the payouts table) or a frame.
    spec : TableSpec or str
        The table's spec (:data:`ALIGNMENT`, :data:`HISTORY`, :data:`FORECAST`,
        :data:`QUOTAS`, :data:`PAYOUTS`, or an input table of :mod:`spmopt.data.schema`), or
        its name.

    Returns
    -------
    DataFrame
        A copy where a numeric or datetime column held text that converts losslessly.

    Raises
    ------
    DataError
        Naming the table, the column, the first offending rows (by key) and the fix: a missing
        required column, a value of the wrong kind, a missing value, a negative amount, or a
        duplicate key.
    """
    spec = _spec(spec)
    frame = _frame(obj, spec)
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise DataError(
            f"the {spec.name} table has no column(s) {missing}; it has {list(frame.columns)}",
            table=spec.name,
            column=missing[0],
            fix=f"pass the table {spec.produced_by or 'the reader'} returns, or add "
            f"{', '.join(missing)}",
        )
    out = frame.copy()
    for col in spec.columns:
        if col.name in out.columns:
            out[col.name] = _checked_column(out, col, spec)
    _check_key(out, spec)
    return out


def _spec(spec: TableSpec | str) -> TableSpec:
    if isinstance(spec, TableSpec):
        return spec
    from spmopt.data.schema import TABLES

    known = {**TABLES, **STAGE_TABLES}
    if spec not in known:
        raise KeyError(f"no table spec {spec!r}; known: {sorted(known)}")
    return known[spec]


def _frame(obj: Any, spec: TableSpec) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    method = getattr(obj, _FROM_RESULT.get(spec.name, "to_frame"), None)
    frame = method() if callable(method) else None
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"the {spec.name} table was given as a {type(obj).__name__}, which has no "
            f"{_FROM_RESULT.get(spec.name, 'to_frame')}() returning a DataFrame",
            table=spec.name,
            fix=f"pass the result of {spec.produced_by or 'a reader'} or a DataFrame with "
            f"columns {spec.required}",
        )
    return frame


def _rows(frame: pd.DataFrame, mask: np.ndarray, spec: TableSpec) -> list[str]:
    """The key values of the rows where ``mask`` holds (index labels without the key)."""
    hit = frame.loc[mask]
    key = [k for k in spec.key if k in frame.columns]
    if not key:
        return [str(i) for i in hit.index[:10]]
    return ["/".join(map(str, r)) for r in hit[key].head(10).itertuples(index=False)]


def _fail(
    frame: pd.DataFrame, mask: np.ndarray, spec: TableSpec, col: Column, what: str, fix: str
) -> DataError:
    n = int(mask.sum())
    return DataError(
        f"the {spec.name} table has {n} row(s) whose {col.name} {what}",
        table=spec.name,
        column=col.name,
        rows=_rows(frame, mask, spec),
        n_rows=n,
        fix=fix,
    )


def _checked_column(frame: pd.DataFrame, col: Column, spec: TableSpec) -> pd.Series:
    s = frame[col.name]
    null = s.isna().to_numpy()
    if null.any() and not col.nullable:
        raise _fail(frame, null, spec, col, "is missing", f"fill {col.name} in every row")
    s = _converted(frame, s, col, spec)
    if col.nonnegative and col.kind in ("float", "int"):
        neg = (s.to_numpy(float) < 0) & ~null
        if neg.any():
            raise _fail(frame, neg, spec, col, "is negative", f"{col.name} must be >= 0")
    return s


def _converted(frame: pd.DataFrame, s: pd.Series, col: Column, spec: TableSpec) -> pd.Series:
    """``s`` as the kind ``col`` asks, or a DataError naming the rows that do not convert."""
    kind = col.kind
    if kind in ("float", "int"):
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            return s
        conv = pd.to_numeric(s, errors="coerce")
        fix = f"give {col.name} as numbers" + (f" [{col.unit}]" if col.unit else "")
    elif kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(s):
            return s
        conv = pd.to_datetime(s, errors="coerce")
        fix = f"give {col.name} as dates (YYYY-MM-DD)"
    elif kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return s
        bad = ~s.isna().to_numpy() & ~s.isin([True, False]).to_numpy()
        if bad.any():
            raise _fail(frame, bad, spec, col, "is not true/false", f"give {col.name} as bool")
        return s
    else:  # str: ids and labels as text
        bad = s.map(lambda v: v is not None and v == v and not isinstance(v, str)).to_numpy(bool)
        if bad.any():
            raise _fail(frame, bad, spec, col, "is not text", f"give {col.name} as strings")
        return s
    bad = conv.isna().to_numpy() & ~s.isna().to_numpy()
    if bad.any():
        raise _fail(frame, bad, spec, col, f"is not a {kind}", fix)
    return conv


def _check_key(frame: pd.DataFrame, spec: TableSpec) -> None:
    key = list(spec.key)
    dup = frame.duplicated(subset=key, keep=False).to_numpy()
    if dup.any():
        n = int(dup.sum())
        raise DataError(
            f"the {spec.name} table has {n} rows sharing a key ({', '.join(key)})",
            table=spec.name,
            column=key[0],
            rows=_rows(frame, dup, spec),
            n_rows=n,
            fix=f"keep one row per {' and '.join(key)}",
        )
