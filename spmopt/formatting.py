"""Numbers for people: what the command line prints.

Money with thousands separators and no decimals, shares as percentages, distances in km with
one decimal, counts as integers. CSV files keep full precision (they are data); only printed
text goes through these functions.

>>> money(3310311.4)
'3,310,311'
>>> share(0.2312)
'23.1%'
>>> km(12.345)
'12.3 km'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["format_frame", "format_value", "kind_of", "km", "money", "number", "share", "table"]

NA = "n/a"


def _finite(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def money(v: Any, currency: str | None = None) -> str:
    """An amount of money rounded to the unit, with thousands separators (``3,310,311``).

    Parameters
    ----------
    v : number
        The amount, in the plan's currency.
    currency : str, optional
        Code written before the amount (``USD 3,310,311``).
    """
    x = _finite(v)
    if x is None:
        return NA
    text = f"{x:,.0f}"
    if text == "-0":
        text = "0"
    return f"{currency} {text}" if currency else text


def share(v: Any, decimals: int = 1) -> str:
    """A fraction as a percentage (``0.2312`` -> ``23.1%``)."""
    x = _finite(v)
    return NA if x is None else f"{x:.{decimals}%}"


def number(v: Any, decimals: int = 0) -> str:
    """A plain number with thousands separators and ``decimals`` decimals."""
    x = _finite(v)
    if x is None:
        return NA
    return f"{x:,.{decimals}f}"


def km(v: Any) -> str:
    """A distance in km with one decimal (``12.3 km``)."""
    x = _finite(v)
    return NA if x is None else f"{x:,.1f} km"


# What a column or metric name says about its values; the first match wins.
_KINDS: tuple[tuple[str, str], ...] = (
    (r"(^|_)(year|seed)($|_)", "plain"),
    (
        r"(^|_)(n|count|rank|draws?|rows|months|windows|groups|iterations)($|_)|^n_|"
        r"accounts_moved|reps_moved|^moved_accounts",
        "count",
    ),
    (r"_km$|(^|_)km($|_)|distance_km", "km"),
    (r"coverage_\d+$", "percent"),  # the backtest writes interval coverage in percent
    (r"mase|smape|rmsse|pinball|score|ratio|skew|seconds|_cv$|p90_p10|_sd_rel", "decimal"),
    (
        r"share|bias|ccos|deviation|disruption|margin|(^|_)gap|growth|attainment|probability|"
        r"^p_|_pct$|rate|moved|over_assignment|spread_rel|fairness|achievability|skew_share",
        "share",
    ),
    (
        r"cost|revenue|potential|quota|target|pay|incentive|salary|forecast|yhat|amount|"
        r"payout|budget|value_money|p10|p50|p90|mean$|total",
        "money",
    ),
    (r"weighted_distance", "number"),
    (r"workload|hours|capacity", "number"),
)


def kind_of(name: str) -> str:
    """How to print the values of column or metric ``name``: ``plain`` (years, seeds),
    ``count``, ``km``, ``share``, ``percent``, ``money``, ``decimal`` or ``number``."""
    low = str(name).lower()
    for pattern, kind in _KINDS:
        if re.search(pattern, low):
            return kind
    return "number"


_FORMATS: dict[str, Callable[[Any], str]] = {
    "plain": lambda v: str(int(v)) if float(v).is_integer() else str(v),
    "count": lambda v: number(v, 0),
    "km": km,
    "share": share,
    "percent": lambda v: share(None if _finite(v) is None else float(v) / 100.0),
    "money": money,
    "decimal": lambda v: number(v, 3),
    "number": lambda v: number(v, 0) if abs(_finite(v) or 0.0) >= 100 else number(v, 3),
}


def format_value(v: Any, name: str = "", kind: str | None = None) -> str:
    """One value for print, formatted by ``kind`` or by what ``name`` says it is.

    Strings, booleans and dates are printed as they are; numbers go through :func:`money`,
    :func:`share`, :func:`km` or :func:`number`.
    """
    if v is None:
        return NA
    if isinstance(v, bool) or isinstance(v, str):
        return str(v)
    if _finite(v) is None:
        try:
            if v != v:  # NaN, NaT
                return NA
        except (TypeError, ValueError):
            pass
        if hasattr(v, "strftime"):
            return str(v.strftime("%Y-%m-%d"))
        if isinstance(v, float):
            return NA
        return str(v)
    if hasattr(v, "strftime"):
        return str(v.strftime("%Y-%m-%d"))
    kind = kind or kind_of(name)
    if kind in ("number", "decimal") and float(v).is_integer() and not isinstance(v, float):
        kind = "count"  # an int is a count unless its name says otherwise
    return _FORMATS[kind](v)


def format_frame(frame: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every numeric column as formatted text (for printing only).

    Parameters
    ----------
    frame : DataFrame
        A result table.
    kinds : mapping, optional
        Column -> kind (``money``, ``share``, ``km``, ``count``, ``decimal``, ``number``,
        ``percent``) where the column name does not say it.
    """
    import pandas as pd

    kinds = dict(kinds or {})
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or not (
            pd.api.types.is_numeric_dtype(s) or s.dtype == object
        ):
            if pd.api.types.is_datetime64_any_dtype(s):
                out[col] = s.dt.strftime("%Y-%m-%d").fillna(NA)
            else:
                out[col] = s.astype(str)
            continue
        kind = kinds.get(str(col))
        out[col] = [format_value(v, str(col), kind) for v in s]
    return out


def table(
    frame: pd.DataFrame, kinds: Mapping[str, str] | None = None, *, index: bool = False
) -> str:
    """``frame`` formatted by :func:`format_frame`, as text for the terminal."""
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_rows",
                           500, "display.max_colwidth", 60):  # fmt: skip
        return str(format_frame(frame, kinds).to_string(index=index))
