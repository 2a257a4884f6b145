"""Every notebook in notebooks/ also runs as a plain Python script, outside Jupyter.

The code cells are joined into one ``.py`` file (IPython magics and shell lines, ``%`` and
``!``, left out) and run by this interpreter in a subprocess from ``notebooks/``, as the
notebook test runs its kernel there. A cell's last expression is printed with ``repr``, as
Jupyter would display it (unless the line ends in ``;``), so the result reprs run too. A
notebook that needs IPython (``display``, ``get_ipython``) or a cell's state from Jupyter fails
here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.scripts import run_script

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: seconds per code cell, as tests/test_notebooks.py gives nbclient
CELL_TIMEOUT = 600

_SHOW = "def _show_(value):\n    if value is not None:\n        print(repr(value))\n\n"


def _shown(code: str) -> str:
    """``code`` with its last top-level expression passed to ``_show_`` (Jupyter's display)."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or code.rstrip().endswith(";"):
        return code
    lines = code.splitlines(keepends=True)
    start = _offset(lines, last.lineno, last.col_offset)
    end = _offset(lines, last.end_lineno or last.lineno, last.end_col_offset or 0)
    return f"{code[:start]}_show_(({code[start:end]})){code[end:]}"


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """The character offset in the joined ``lines`` of (``lineno``, UTF-8 byte ``col``)."""
    before = sum(len(x) for x in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode()[:col].decode())


def notebook_script(path: Path) -> str:
    """The code cells of the notebook at ``path`` as one script, magics left out."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    parts = [_SHOW]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kept = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        code = "\n".join(kept).strip()
        if code:
            parts.append(f"# ---- cell {i}\n{_shown(code)}\n")
    return "\n".join(parts)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no notebook"


def test_the_last_expression_is_shown() -> None:
    assert _shown("x = 1\nx") == "x = 1\n_show_((x))"
    assert _shown("x = 1\nx;") == "x = 1\nx;"
    assert _shown("a = 'é'; len(\n  a)") == "a = 'é'; _show_((len(\n  a)))"
    assert _shown("import os") == "import os"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_as_a_script(path: Path, tmp_path: Path) -> None:
    script = tmp_path / f"{path.stem}.py"
    script.write_text(notebook_script(path), encoding="utf-8")
    n_cells = sum(c["cell_type"] == "code" for c in json.loads(path.read_text())["cells"])
    # a script has no inline backend: run_script draws off screen, as the notebook kernel does
    proc = run_script(script, NOTEBOOK_DIR, CELL_TIMEOUT * max(n_cells, 1))
    assert proc.returncode == 0, (
        f"{path.name} as {script} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    )
