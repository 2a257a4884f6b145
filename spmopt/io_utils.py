"""Atomic file output: a reader never sees a half-written file or folder.

Every file spmopt writes goes through these helpers (a temporary file in the same folder, then
an atomic rename). pandas is imported only to write a table, so that command-line modules can
import this one at no cost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_dir", "atomic_write_bytes", "atomic_write_frame", "atomic_write_text"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and an atomic rename."""
    p = Path(path)
    with _atomic_path(p) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return p


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    p = Path(path)
    with _atomic_path(p) as tmp:
        tmp.write_bytes(data)
    return p


def atomic_write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame as CSV or Parquet (by the suffix of ``path``) atomically."""
    p = Path(path)
    with _atomic_path(p) as tmp:
        if p.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif p.suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            raise ValueError(f"unknown table format '{p.suffix}' for {p}: use .csv or .parquet")
    return p


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place when the block succeeds.

    An existing folder at ``path`` is replaced only after the new one is complete; on error the
    old folder is left untouched and the temporary one removed.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
