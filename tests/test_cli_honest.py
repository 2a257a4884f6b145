"""The command line says what is wrong, checks what ``plan`` will check and answers ``--help``
at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import build_parser, main
from spmopt.data import generate

HEAVY = ("pandas", "numpy", "scipy", "pyomo", "dask", "pydantic")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(60, 4, 24, seed=2).write(tmp_path_factory.mktemp("h") / "d")


@pytest.mark.parametrize("argv", [["--help"], ["align", "--help"], ["simulate", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code = "\n".join(
        [
            "import sys",
            "from spmopt.cli import main",
            "try:",
            f"    main({argv!r})",
            "except SystemExit:",
            "    pass",
            f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "HEAVY:", f"--help imported {out.splitlines()[-1]}"


def _actions(parser: object) -> list[tuple[str, object]]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    out: list[tuple[str, object]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [(f"{name} {a}", b) for a, b in _actions(sub)]
        else:
            out.append((str(action.dest), action))
    return out


def test_every_option_has_plain_help() -> None:
    import argparse

    parser = build_parser()
    texts = [parser.description or ""]
    for name, action in _actions(parser):
        assert isinstance(action, argparse.Action)
        if action.dest in ("help", "version"):
            continue
        assert action.help, f"option {name} has no help text"
        texts.append(str(action.help))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for p in sub.choices.values():
        texts.append(p.description or "")
    for t in texts:
        assert "``" not in t and ":class:" not in t and ":func:" not in t, t


def test_generate_refuses_a_folder_that_is_not_empty(folder: Path, tmp_path: Path) -> None:
    target = shutil.copytree(folder, tmp_path / "g")
    before = (target / "accounts.csv").read_bytes()
    small = ["--accounts", "20", "--reps", "4", "--months", "12"]
    assert main(["generate", str(target), *small]) == 1
    assert (target / "accounts.csv").read_bytes() == before
    assert main(["generate", str(target), *small, "--force"]) == 0
    assert len(pd.read_csv(target / "accounts.csv")) == 20


def test_validate_reports_plan_level_problems(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = shutil.copytree(folder, tmp_path / "bad")
    (d / "plan.yaml").write_text((d / "plan.yaml").read_text().replace("threshold:", "treshold:"))
    (d / "targets.yaml").unlink()
    assert main(["validate", str(d)]) == 1
    err = capsys.readouterr().err
    assert "treshold" in err and "did you mean 'threshold'" in err
    assert "no targets.yaml" in err
    (d / "plan.yaml").unlink()
    assert main(["validate", str(d), "--set", "quota.company_target=1e6"]) == 1
    err = capsys.readouterr().err
    assert "plan.yaml is missing" in err and "no targets.yaml" in err
    assert main(["validate", str(folder), "--set", "forecast.model=magic"]) == 1
    assert "forecast.model" in capsys.readouterr().err


def test_validate_warns_on_suspicious_data(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = shutil.copytree(folder, tmp_path / "odd")
    s = pd.read_csv(d / "sales.csv")
    s.loc[:3, "rep_id"] = "R999"
    s.to_csv(d / "sales.csv", index=False)
    a = pd.read_csv(d / "accounts.csv")
    a["potential"] = 0.0
    a.to_csv(d / "accounts.csv", index=False)
    assert main(["validate", str(d)]) == 0
    captured = capsys.readouterr()
    warnings = [x for x in captured.err.splitlines() if x.startswith("warning: ")]
    assert any("'R999'" in w for w in warnings)
    assert any("potential is 0 for every account" in w for w in warnings)
    assert "valid with" in captured.out


# ---------------------------------------------------------------------- chained stages
@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small data folder and the --out folder of spmopt plan on it (realigned)."""
    root = tmp_path_factory.mktemp("chain")
    data = generate(200, 8, 36, seed=0).write(root / "d")
    rc = main(["plan", str(data), "--out", str(root / "p"), "--set", "comp.n_draws=1000",
               "--set", "forecast.n_windows=0"])  # fmt: skip
    assert rc in (0, 2)
    return data, root / "p"


def _summary(folder: Path, name: str = "summary.csv") -> pd.Series:
    return pd.read_csv(folder / name).set_index("metric")["value"]


def test_simulate_on_plans_quotas_gives_plans_numbers(
    planned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, plan_out = planned
    args = ["simulate", str(data), "--quotas", str(plan_out), "--strict"]
    rc = main([*args, "--out", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert f"alignment: {plan_out / 'assignment.csv'}" in out
    plan = pd.read_csv(plan_out / "comp_summary.csv").iloc[0]
    sim = _summary(tmp_path / "s")
    assert float(sim["n_draws"]) == 1000
    for key in ("expected_incentive", "share_at_quota", "ccos", "margin_after_comp"):
        assert float(sim[key]) == pytest.approx(float(plan[key]), rel=1e-9), key
    assert rc == (0 if bool(plan["passed"]) else 2)


def test_simulate_refuses_quotas_of_another_alignment(
    planned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, plan_out = planned
    alone = tmp_path / "q.csv"
    quotas = pd.read_csv(plan_out / "quotas.csv")
    quotas.to_csv(alone, index=False)
    # the plan realigned: its quotas against today's alignment's forecast are refused
    assert main(["simulate", str(data), "--quotas", str(alone), "--out", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "set on another forecast" in err and "--alignment" in err
    assert not (tmp_path / "s").exists()
    # a rep without quota and a quota of an unknown rep: both named
    bad = quotas[quotas["rep_id"] != "R003"].copy()
    bad.loc[bad.index[0], "rep_id"] = "R999"
    bad.to_csv(alone, index=False)
    args = ["simulate", str(data), "--quotas", str(alone), "--alignment", str(plan_out)]
    assert main([*args, "--out", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "'R999'" in err and "'R003'" in err


def test_quota_takes_the_plans_alignment(
    planned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, plan_out = planned
    fc = tmp_path / "fc.csv"
    frame = pd.read_csv(plan_out / "forecast.csv")
    frame[frame["unique_id"] != "R002"].to_csv(fc, index=False)
    args = ["quota", str(data), "--alignment", str(plan_out), "--out", str(tmp_path / "q")]
    assert main([*args, "--forecast", str(fc)]) == 1
    assert "'R002'" in capsys.readouterr().err
    assert main(args) == 0
    assert f"alignment: {plan_out / 'assignment.csv'}" in capsys.readouterr().out
    assert (tmp_path / "q" / "quotas.csv").exists()


def test_report_takes_a_plan_and_a_stage_folder(
    planned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, plan_out = planned
    assert main(["report", str(plan_out), "--out", str(tmp_path / "r.html")]) == 0
    assert "plan folder" in capsys.readouterr().out
    assert "Comp cost" in (tmp_path / "r.html").read_text()
    sim = tmp_path / "sim"
    sim.mkdir()
    (sim / "draws.csv").write_text("draw,incentive\n0,3088877.0\n")
    assert main(["report", str(sim)]) == 0
    page = (sim / "report.html").read_text()
    assert "3,088,877" in page and "e+06" not in page
    assert main(["report", str(tmp_path / "nothing")]) == 1


def test_plan_names_failing_comp_checks_and_exits_2(
    planned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    checks = pd.read_csv(planned[1] / "comp_checks.csv")
    if checks["passed"].all():
        pytest.skip("the small plan passes its comp checks")
    data = planned[0]
    rc = main(["plan", str(data), "--out", str(planned[1].parent / "p2"), "--set",
               "territory.realign=false", "--set", "comp.n_draws=200", "--set",
               "forecast.n_windows=0"])  # fmt: skip
    assert rc == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip().startswith("FAIL")]
    assert len(lines) == int((~checks["passed"]).sum())
    assert any("ccos" in x for x in lines)


def test_infeasible_align_leaves_no_result_looking_files(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a"
    out.mkdir()
    (out / "assignment.csv").write_text("account_id,territory_id,rep_id\n")  # an earlier run
    (out / "summary.csv").write_text("territory_id\n")
    rc = main(["align", str(folder), "--out", str(out), "--balance", "potential=0.0001",
               "--max-disruption", "0", "--time-limit", "20"])  # fmt: skip
    text = capsys.readouterr().out
    if rc == 0:
        pytest.skip("these bands happen to be feasible")
    assert rc == 1
    assert not (out / "assignment.csv").exists() and not (out / "summary.csv").exists()
    assert (out / "compromise_assignment.csv").exists() and (out / "violations.csv").exists()
    assert "e+" not in text
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
