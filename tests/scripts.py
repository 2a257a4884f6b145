"""Run a Python file as a user would: a fresh interpreter, off-screen plots, a time limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_script(
    script: Path, cwd: Path, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with this interpreter from ``cwd`` (matplotlib off screen, ``env`` added
    to the environment); the caller asserts on the return code and output."""
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
