"""Every Python snippet of the README runs as a script saved by a newcomer.

Each snippet is pasted into its own file in a fresh folder (with the repository's ``data`` and
``scenarios`` beside it) and run with ``python file.py``, in README order: that is how a reader
tries them, and it is what catches a missing ``if __name__ == "__main__":`` guard around Dask
batches or a snippet that leans on a name defined in another.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.scripts import run_script

ROOT = Path(__file__).resolve().parents[1]


def snippets() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_the_two_commands_first() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("## A five-minute tour")]
    assert "make demo" in head and "make test" in head


@pytest.mark.slow
def test_readme_python_snippets_run_as_scripts(tmp_path: Path) -> None:
    found = snippets()
    assert len(found) >= 3, "the README lost its Python snippets"
    for name in ("data", "scenarios"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "out").mkdir()
    for i, code in enumerate(found):
        script = tmp_path / f"snippet_{i}.py"
        script.write_text(code, encoding="utf-8")
        proc = run_script(script, tmp_path, 900, PYTHONWARNINGS="ignore")
        first = code.strip().splitlines()[0]
        assert proc.returncode == 0, f"README snippet {i} ({first!r}):\n{proc.stderr[-3000:]}"
        assert "Nanny failed to start" not in proc.stderr
