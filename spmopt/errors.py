"""Exceptions raised by spmopt.

Every error message says what was wrong, where (table, column, rows or key) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["ConfigError", "DataError", "InfeasibleError", "SpmoptError", "format_ids"]


class SpmoptError(Exception):
    """Base class of every error spmopt raises on purpose."""


class DataError(SpmoptError, ValueError):
    """Input data violates the table contract of ``spmopt``.

    Attributes
    ----------
    table : str
        Name of the offending table (``accounts``, ``reps``, ``sales``, ...).
    column : str or None
        Offending column, where one is to blame.
    rows : list
        The first offending row identifiers (ids or index labels), at most ten.
    fix : str
        What to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str,
        column: str | None = None,
        rows: Sequence[object] = (),
        fix: str = "",
        n_rows: int | None = None,
    ) -> None:
        self.table = table
        self.column = column
        self.rows = list(rows)[:10]
        self.n_rows = len(rows) if n_rows is None else n_rows
        self.fix = fix
        where = f"table '{table}'"
        if column is not None:
            where += f", column '{column}'"
        text = f"{where}: {message}"
        if self.rows:
            text += f" (rows: {format_ids(rows, n_rows)})"
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)


class ConfigError(SpmoptError, ValueError):
    """A settings file or argument is invalid (names the key and the allowed values)."""


class InfeasibleError(SpmoptError):
    """An optimisation model has no solution; ``diagnosis`` says which constraint and where."""

    def __init__(self, message: str, diagnosis: object = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis


def format_ids(ids: Iterable[object], total: int | None = None, limit: int = 5) -> str:
    """Format the first ``limit`` ids of a collection as ``a, b, c, ... (N in all)``."""
    ids = list(ids)
    n = len(ids) if total is None else total
    head = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in ids[:limit])
    if n > limit:
        head += f", ... ({n} in all)"
    return head
