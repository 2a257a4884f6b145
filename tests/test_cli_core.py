"""The core commands: validate and generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmopt.cli import main
from spmopt.data import generate


def test_validate_example(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[1]
    assert main(["validate", str(root / "data" / "example"), "--summary"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "accounts" in out


def test_validate_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = generate(50, 4, 12, seed=1)
    path = data.write(tmp_path / "d")
    acc = (path / "accounts.csv").read_text().splitlines()
    acc[1] = acc[1].replace(acc[1].split(",")[0], acc[2].split(",")[0], 1)  # duplicate id
    (path / "accounts.csv").write_text("\n".join(acc) + "\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "table 'accounts', column 'account_id'" in err and "duplicate" in err


def test_generate_then_validate(tmp_path: Path) -> None:
    assert (
        main(
            [
                "generate",
                str(tmp_path / "g"),
                "--accounts",
                "80",
                "--reps",
                "4",
                "--months",
                "12",
                "--format",
                "parquet",
            ]
        )
        == 0
    )
    assert (tmp_path / "g" / "sales.parquet").exists()
    assert main(["validate", str(tmp_path / "g")]) == 0


def test_error_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err
