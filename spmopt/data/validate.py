"""Validation of planning tables against the contract in :mod:`spmopt.data.schema`.

Every check is vectorised (a 100k-account, 5M-row sales table validates in seconds) and every
problem becomes a :class:`~spmopt.errors.DataError` naming the table, the column, the first
offending rows and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from spmopt.data.schema import TABLES, TableSpec
from spmopt.errors import DataError

__all__ = ["check_table", "coerce_table", "cross_checks", "validate_tables"]


def _ids(frame: pd.DataFrame, mask: np.ndarray | pd.Series, key: Iterable[str]) -> list[object]:
    """The key values of the rows selected by ``mask`` (first 10), for error messages."""
    key = [k for k in key if k in frame.columns]
    sel = frame.loc[np.asarray(mask, dtype=bool)]
    if not key:
        return list(sel.index[:10])
    if len(key) == 1:
        return [str(v) for v in sel[key[0]].head(10)]
    return [
        "/".join(str(v)[:10] if isinstance(v, pd.Timestamp) else str(v) for v in row)
        for row in sel[key].head(10).itertuples(index=False)
    ]


def _missing_columns(frame: pd.DataFrame, spec: TableSpec) -> list[DataError]:
    errors = []
    present = [str(c) for c in frame.columns]
    for col in spec.required:
        if col in frame.columns:
            continue
        close = difflib.get_close_matches(col, present, n=1, cutoff=0.6)
        if not close:
            lowered = {c.lower().strip(): c for c in present}
            if col in lowered:
                close = [lowered[col]]
        fix = (
            f"rename column '{close[0]}' to '{col}'"
            if close
            else f"add column '{col}' ({spec.column(col).kind}"
            + (f", {spec.column(col).unit}" if spec.column(col).unit else "")
            + ")"
        )
        errors.append(
            DataError(
                f"required column is missing; found columns {present}",
                table=spec.name,
                column=col,
                fix=fix,
            )
        )
    return errors


def coerce_table(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, list[DataError]]:
    """Convert each known column to its kind; report values that cannot be converted.

    Ids become strings (``str`` dtype), numbers float64, dates datetime64. Unknown columns are
    kept as they are.
    """
    out = frame.copy()
    errors: list[DataError] = []
    key = spec.key
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind == "str":
            if s.dtype.kind in "f":
                # ids read as floats (e.g. '101' in a column with blanks): drop the '.0'
                as_int = s.dropna()
                if (as_int == np.round(as_int)).all():
                    s = s.astype("Int64")
            na = s.isna()
            conv = s.astype("str")
            out[col.name] = conv.where(~na, None)
        elif col.kind in ("float", "int"):
            if s.dtype.kind not in "fiub":
                conv = pd.to_numeric(s, errors="coerce")
                bad = conv.isna() & s.notna()
                if bad.any():
                    examples = [repr(v) for v in s[bad].head(3)]
                    errors.append(
                        DataError(
                            f"values are not numbers (e.g. {', '.join(examples)})",
                            table=spec.name,
                            column=col.name,
                            rows=_ids(out, bad, key),
                            n_rows=int(bad.sum()),
                            fix=f"write plain numbers in '{col.name}'"
                            + (f" (unit: {col.unit})" if col.unit else ""),
                        )
                    )
                s = conv
            out[col.name] = s.astype("float64")
        elif col.kind == "datetime":
            if not pd.api.types.is_datetime64_any_dtype(s):
                conv = pd.to_datetime(s, errors="coerce", format="mixed")
                bad = conv.isna() & s.notna()
                if bad.any():
                    examples = [repr(v) for v in s[bad].head(3)]
                    errors.append(
                        DataError(
                            f"values are not dates (e.g. {', '.join(examples)})",
                            table=spec.name,
                            column=col.name,
                            rows=_ids(out, bad, key),
                            n_rows=int(bad.sum()),
                            fix="write dates as YYYY-MM-DD",
                        )
                    )
                s = conv
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_localize(None)
            out[col.name] = s.astype("datetime64[ns]")
        elif col.kind == "bool":
            out[col.name] = s.astype(bool)
    return out, errors


def check_table(frame: pd.DataFrame, spec: TableSpec) -> list[DataError]:
    """Checks of one table on its own: columns, nulls, duplicates, signs and ranges."""
    errors = _missing_columns(frame, spec)
    if errors:
        return errors
    key = list(spec.key)
    if spec.name == "sales" and "product" in frame.columns:
        key.append("product")
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        if not col.nullable:
            na = s.isna().to_numpy().copy()
            if col.kind == "str":
                na |= (s.astype("str").str.strip() == "").to_numpy() & ~na
            if na.any():
                errors.append(
                    DataError(
                        "missing values (NaN or empty)",
                        table=spec.name,
                        column=col.name,
                        rows=_ids(frame, na, key),
                        n_rows=int(na.sum()),
                        fix=f"fill '{col.name}' for these rows or drop them",
                    )
                )
        if col.kind in ("float", "int") and s.dtype.kind in "fiu":
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            if col.nonnegative:
                bad = v < 0
                if bad.any():
                    errors.append(
                        DataError(
                            f"negative values (min {np.nanmin(v):g})",
                            table=spec.name,
                            column=col.name,
                            rows=_ids(frame, bad, key),
                            n_rows=int(bad.sum()),
                            fix=f"'{col.name}' must be >= 0"
                            + (f" ({col.unit})" if col.unit else "")
                            + "; correct or drop these rows (credits belong in a separate table)",
                        )
                    )
            if col.lo is not None or col.hi is not None:
                lo = -np.inf if col.lo is None else col.lo
                hi = np.inf if col.hi is None else col.hi
                bad = (v < lo) | (v > hi)
                if bad.any():
                    errors.append(
                        DataError(
                            f"values outside [{lo:g}, {hi:g}] {col.unit}",
                            table=spec.name,
                            column=col.name,
                            rows=_ids(frame, bad, key),
                            n_rows=int(bad.sum()),
                            fix="check for swapped lat/lon or coordinates in another unit",
                        )
                    )
            inf = np.isinf(v)
            if inf.any():
                errors.append(
                    DataError(
                        "infinite values",
                        table=spec.name,
                        column=col.name,
                        rows=_ids(frame, inf, key),
                        n_rows=int(inf.sum()),
                        fix="replace with finite numbers",
                    )
                )
    if spec.name == "reps" and "territory_id" in frame.columns:
        tdup = (
            frame["territory_id"].notna() & frame.duplicated("territory_id", keep=False)
        ).to_numpy()
        if tdup.any():
            errors.append(
                DataError(
                    "a territory is held by more than one rep",
                    table="reps",
                    column="territory_id",
                    rows=_ids(frame, tdup, key),
                    n_rows=int(tdup.sum()),
                    fix="give each rep its own territory_id (one rep per territory)",
                )
            )
    if spec.name != "sales":
        dup = frame.duplicated(key, keep=False).to_numpy()
        if dup.any():
            errors.append(
                DataError(
                    f"duplicate {'/'.join(key)} values",
                    table=spec.name,
                    column="/".join(key),
                    rows=sorted({str(i) for i in _ids(frame, dup, key)}),
                    n_rows=int(dup.sum()),
                    fix=f"make '{'/'.join(key)}' unique (one row each)",
                )
            )
    return errors


def _month_index(period: pd.Series) -> np.ndarray:
    p = period.to_numpy(dtype="datetime64[M]")
    return p.astype("int64")


def _check_sales(sales: pd.DataFrame, accounts: pd.DataFrame | None) -> list[DataError]:
    errors: list[DataError] = []
    key = ["account_id", "period"] + (["product"] if "product" in sales.columns else [])
    per = sales["period"]
    if per.isna().any():
        return errors  # reported by the null check
    ns = per.to_numpy(dtype="datetime64[ns]")
    bad = ns != ns.astype("datetime64[M]").astype("datetime64[ns]")
    if bad.any():
        errors.append(
            DataError(
                "periods are not month starts",
                table="sales",
                column="period",
                rows=_ids(sales, bad, key),
                n_rows=int(bad.sum()),
                fix="aggregate revenue to calendar months and date each row on the 1st, "
                "e.g. df['period'] = df['period'].dt.to_period('M').dt.to_timestamp()",
            )
        )
        return errors
    if accounts is not None and "account_id" in accounts.columns:
        ids = pd.Index(accounts["account_id"].astype("str"))
        codes = ids.get_indexer(sales["account_id"].astype("str"))
        unknown = codes < 0
        if unknown.any():
            errors.append(
                DataError(
                    "sales for accounts that are not in the accounts table",
                    table="sales",
                    column="account_id",
                    rows=sorted(set(sales.loc[unknown, "account_id"].astype("str").head(50)))[:10],
                    n_rows=int(unknown.sum()),
                    fix="add these accounts to accounts or drop their sales rows",
                )
            )
            return errors
    else:
        codes = pd.factorize(sales["account_id"])[0]
    m = _month_index(per)
    m0 = int(m.min())
    span = int(m.max()) - m0 + 1
    if "product" in sales.columns:
        prod = pd.factorize(sales["product"])[0].astype(np.int64)
        keyval = (codes.astype(np.int64) * (prod.max() + 1) + prod) * span + (m - m0)
    else:
        keyval = codes.astype(np.int64) * span + (m - m0)
    order = np.argsort(keyval, kind="stable")
    sk = keyval[order]
    dupe_sorted = np.zeros(len(sk), dtype=bool)
    same = sk[1:] == sk[:-1]
    dupe_sorted[1:] |= same
    dupe_sorted[:-1] |= same
    if dupe_sorted.any():
        dup = np.zeros(len(sk), dtype=bool)
        dup[order] = dupe_sorted
        errors.append(
            DataError(
                f"duplicate {'/'.join(key)} rows",
                table="sales",
                column="/".join(key),
                rows=_ids(sales, dup, key),
                n_rows=int(dup.sum()),
                fix="sum revenue per account and month (and product) before loading",
            )
        )
        return errors
    # calendar gaps: a month inside the history with no row for any account
    present = np.zeros(span, dtype=bool)
    present[m - m0] = True
    if not present.all():
        missing = np.flatnonzero(~present) + m0
        months = [str(np.datetime64(int(x), "M")) for x in missing]
        errors.append(
            DataError(
                f"the history has no rows at all for {len(months)} month(s): "
                + ", ".join(months[:6]),
                table="sales",
                column="period",
                rows=months,
                fix="load the missing months (months with no revenue need rows with revenue 0)",
            )
        )
        return errors
    # per-account gaps: between an account's first and last month every month must have a row
    n_acc = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_acc, np.iinfo(np.int64).max)
    last = np.full(n_acc, np.iinfo(np.int64).min)
    np.minimum.at(first, codes, m)
    np.maximum.at(last, codes, m)
    months_per_acc = np.bincount(codes, minlength=n_acc)
    if "product" in sales.columns:
        # count distinct months per account across products
        am = np.unique(codes.astype(np.int64) * span + (m - m0))
        months_per_acc = np.bincount((am // span).astype(np.int64), minlength=n_acc)
    seen = months_per_acc > 0
    expected = np.where(seen, last - first + 1, 0)
    gap = seen & (months_per_acc < expected)
    if gap.any():
        if accounts is not None and "account_id" in accounts.columns:
            names = accounts["account_id"].astype("str").to_numpy()
        else:
            names = np.asarray(pd.factorize(sales["account_id"])[1]).astype(str)
        gap_ids = [str(x) for x in names[np.flatnonzero(gap)[:10]]]
        errors.append(
            DataError(
                "history has gaps: months missing between an account's first and last month",
                table="sales",
                column="period",
                rows=gap_ids,
                n_rows=int(gap.sum()),
                fix="add rows with revenue 0 for the months without sales",
            )
        )
    return errors


def cross_checks(
    accounts: pd.DataFrame | None, reps: pd.DataFrame | None, sales: pd.DataFrame | None
) -> list[DataError]:
    """Checks between tables: territories held by reps, sales for known accounts, gaps."""
    errors: list[DataError] = []
    if reps is not None and accounts is not None and "territory_id" in reps.columns:
        held = set(reps["territory_id"].dropna().astype("str"))
        for col in ("current_territory", "locked_territory"):
            if col not in accounts.columns:
                continue
            s = accounts[col]
            bad = (s.notna() & ~s.astype("str").isin(held)).to_numpy()
            if bad.any():
                terr = sorted(set(s[bad].astype("str")))
                errors.append(
                    DataError(
                        f"{col} names territories that no rep holds: {terr[:5]}",
                        table="accounts",
                        column=col,
                        rows=_ids(accounts, bad, ["account_id"]),
                        n_rows=int(bad.sum()),
                        fix="add a rep (row in reps) holding each territory, or correct the "
                        "territory ids; known territories: "
                        + ", ".join(sorted(held)[:8])
                        + (" ..." if len(held) > 8 else ""),
                    )
                )
    if sales is not None:
        errors += _check_sales(sales, accounts)
    if reps is not None and sales is not None and "rep_id" in sales.columns:
        known = set(reps["rep_id"].astype("str"))
        s = sales["rep_id"]
        bad = (s.notna() & ~s.astype("str").isin(known)).to_numpy()
        # former reps may appear in history; only a hard error when none of them is known
        if bad.all() and len(s) > 0 and s.notna().any():
            errors.append(
                DataError(
                    "no rep_id in sales matches a rep in reps",
                    table="sales",
                    column="rep_id",
                    rows=sorted(set(s[bad].astype("str").head(50)))[:10],
                    n_rows=int(bad.sum()),
                    fix="use the same rep ids in sales and reps, or drop sales.rep_id",
                )
            )
    return errors


def validate_tables(
    accounts: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    sales: pd.DataFrame | None = None,
) -> tuple[dict[str, pd.DataFrame | None], list[DataError]]:
    """Coerce and check the tables; return the normalised tables and every problem found."""
    out: dict[str, pd.DataFrame | None] = {}
    errors: list[DataError] = []
    ok: dict[str, bool] = {}
    for name, frame in (("accounts", accounts), ("reps", reps), ("sales", sales)):
        if frame is None:
            out[name] = None
            continue
        if not isinstance(frame, pd.DataFrame):
            errors.append(
                DataError(
                    f"expected a pandas DataFrame, got {type(frame).__name__}",
                    table=name,
                    fix="pass a DataFrame",
                )
            )
            out[name] = None
            continue
        spec = TABLES[name]
        miss = _missing_columns(frame, spec)
        if miss:
            errors += miss
            out[name] = frame
            ok[name] = False
            continue
        coerced, errs = coerce_table(frame, spec)
        errs += check_table(coerced, spec) if not errs else []
        errors += errs
        ok[name] = not errs
        out[name] = coerced
    if all(ok.values()):
        errors += cross_checks(out["accounts"], out["reps"], out["sales"])
    return out, errors
