"""Helpers shared by the benchmarks: wall time, peak memory, and a plain-text table."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

try:
    import psutil
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "the benchmarks sample peak memory with psutil, which is not installed; install the "
        "bench extra: pip install -c constraints.txt -e '.[bench]' (or run make bench)"
    ) from exc

__all__ = ["Measured", "format_table", "measure", "print_table"]


@dataclass(frozen=True)
class Measured:
    """Result of :func:`measure`: the return value, wall seconds and peak resident memory [MB]."""

    value: Any
    seconds: float
    peak_mb: float


def measure(fn: Callable[[], Any], interval: float = 0.05) -> Measured:
    """Run ``fn()`` and report wall time and the peak RSS of this process (sampled)."""
    proc = psutil.Process(os.getpid())
    peak = proc.memory_info().rss
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, proc.memory_info().rss)
            stop.wait(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    try:
        value = fn()
    finally:
        seconds = time.perf_counter() - t0
        stop.set()
        t.join()
    peak = max(peak, proc.memory_info().rss)
    return Measured(value, seconds, peak / 2**20)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != v:
            return "-"
        if abs(v) >= 1e5:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.1f}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return "-" if v is None else str(v)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A fixed-width text table of ``rows`` (dicts) in the order of ``columns``."""
    if not rows:
        return "(no rows)"
    cols = list(columns or rows[0].keys())
    cells = [[_fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(x.rjust(w) for x, w in zip(row, widths)) for row in cells]
    return "\n".join([line, sep, *body])


def print_table(
    title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None
) -> None:
    """Print ``title`` and the table, with the machine's core count for context."""
    print(f"\n## {title}  (cores: {os.cpu_count()})")
    print(format_table(rows, columns))
