"""``spmopt plan``, ``spmopt batch`` and ``spmopt report`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import main


def test_plan_writes_tables_and_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["plan", str(data_dir), "--out", str(out), "--set", "forecast.n_windows=0",
         "--set", "comp.n_draws=500", "--set", "territory.realign=false", "--seed", "4"]
    )  # fmt: skip
    comp_ok = pd.read_csv(out / "comp_checks.csv")["passed"].all()
    assert code == (0 if comp_ok else 2)  # 2: the plan fails its comp checks
    printed = capsys.readouterr().out
    assert f"report: {out / 'report.html'}" in printed
    assert "quotas" in printed and "incentive cost" in printed
    for name in ("report.html", "summary.csv", "assignment.csv", "quotas.csv", "forecast.csv",
                 "comp_per_rep.csv", "scenario.yaml", "notes.json"):  # fmt: skip
        assert (out / name).is_file(), name
    summ = pd.read_csv(out / "summary.csv")
    assert summ.loc[0, "seed"] == 4 and summ.loc[0, "disruption_share"] == 0
    assert "seed: 4" in (out / "scenario.yaml").read_text()


def test_plan_errors_exit_1(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", str(data_dir), "--out", str(tmp_path), "--set", "quota.nope=1"]) == 1
    assert "quota has no key 'nope'" in capsys.readouterr().err
    assert main(["plan", str(data_dir), "--out", str(tmp_path), "--set", "seed"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert main(["plan", str(tmp_path / "none"), "--out", str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_batch_and_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"data: {data_dir}\nterritory: {{realign: false}}\nforecast: {{n_windows: 0}}\n"
        "comp: {n_draws: 500}\ngrid:\n  quota.over_assignment: [0.05, 0.15]\n",
        encoding="utf-8",
    )
    run_dir = tmp_path / "run"
    detail = "sweep__over_assignment=0.15"
    assert main(["batch", str(sweep), "--out", str(run_dir), "--workers", "0", "--detail",
                 detail]) == 0  # fmt: skip
    assert f"Scenario in detail: {detail}" in (run_dir / "report.html").read_text()
    printed = capsys.readouterr().out
    assert "sweep__over_assignment=0.05" in printed and "sweep__over_assignment=0.15" in printed
    assert (run_dir / "report.html").is_file() and (run_dir / "summary.parquet").is_file()
    # again: nothing left to do
    assert main(["batch", str(tmp_path / "*.yaml"), "--out", str(run_dir), "--workers", "0",
                 "--no-report"]) == 0  # fmt: skip
    assert "skipped=2" in capsys.readouterr().out
    assert main(["report", str(run_dir), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").is_file()
    assert main(["report", str(tmp_path)]) == 1
    assert "not a run folder" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing*.yaml"), "--out", str(run_dir)]) == 1
