"""The folder readers read files the way they are written, or say which option reads them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from spmopt.data import generate, read_planning_data
from spmopt.data.validate import parse_dates
from spmopt.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(40, 4, 14, seed=4).write(tmp_path_factory.mktemp("r") / "d")


def test_day_first_dates_are_detected(folder: Path, tmp_path: Path) -> None:
    d = shutil.copytree(folder, tmp_path / "dmy")
    s = pd.read_csv(d / "sales.csv")
    s["period"] = pd.to_datetime(s["period"]).dt.strftime("%d/%m/%Y")
    s.to_csv(d / "sales.csv", index=False)
    data = read_planning_data(d)
    ref = read_planning_data(folder)
    assert (data.sales["period"].to_numpy() == ref.sales["period"].to_numpy()).all()


def test_ambiguous_dates_name_the_dayfirst_option() -> None:
    with pytest.raises(DataError, match="dayfirst=True or dayfirst=False"):
        parse_dates(pd.Series(["03/04/2024", "05/06/2024"]), table="reps", column="hire_date")
    got = parse_dates(
        pd.Series(["03/04/2024", "05/06/2024"]), table="reps", column="hire_date", dayfirst=True
    )
    assert list(got.dt.month) == [4, 6]
    got = parse_dates(pd.Series(["02/13/2024", "01/02/2024"]), table="reps", column="hire_date")
    assert list(got.dt.day) == [13, 2]  # a second field above 12: month-first


def test_latin1_file_is_read_with_a_warning(folder: Path, tmp_path: Path) -> None:
    d = shutil.copytree(folder, tmp_path / "lat")
    a = pd.read_csv(d / "accounts.csv")
    a.loc[0, "name"] = "Café Müller"
    a.to_csv(d / "accounts.csv", index=False, encoding="latin-1")
    data = read_planning_data(d)
    assert data.accounts.loc[0, "name"] == "Café Müller"
    assert any("not UTF-8" in w for w in data.meta["read_warnings"])


def test_semicolon_file_is_sniffed(folder: Path, tmp_path: Path) -> None:
    d = shutil.copytree(folder, tmp_path / "semi")
    pd.read_csv(d / "reps.csv").to_csv(d / "reps.csv", sep=";", index=False)
    data = read_planning_data(d)
    assert len(data.reps) == 4
    assert any("semicolon-separated" in w for w in data.meta["read_warnings"])


def test_glued_columns_say_semicolon() -> None:
    from spmopt.data.validate import validate_tables

    reps = pd.DataFrame({"rep_id;territory_id;lat;lon": ["R1;T1;1;2"]})
    errors = validate_tables(reps=reps)[1]
    assert len(errors) == 1 and "looks semicolon-separated" in str(errors[0])


def test_empty_accounts_is_said_first_and_alone(folder: Path, tmp_path: Path) -> None:
    d = shutil.copytree(folder, tmp_path / "empty")
    pd.read_csv(d / "accounts.csv").head(0).to_csv(d / "accounts.csv", index=False)
    problems = read_planning_data(d, validate=False).issues()
    assert len(problems) == 1
    assert "accounts table is empty" in str(problems[0])


def test_source_file_csv_options_reach_the_reader(folder: Path, tmp_path: Path) -> None:
    d = shutil.copytree(folder, tmp_path / "amb")
    reps = pd.read_csv(d / "reps.csv")
    reps["hire_date"] = ["03/04/2020", "05/06/2021", "07/08/2019", "01/02/2022"]
    reps.to_csv(d / "reps.csv", index=False)
    with pytest.raises(DataError, match=re.escape("csv: {dayfirst: true}")):
        read_planning_data(d)
    src = tmp_path / "source.yaml"
    src.write_text(f"url: {d}\ncsv: {{dayfirst: true}}\n")
    data = read_planning_data(src)
    assert list(data.reps["hire_date"].dt.month) == [4, 6, 8, 2]
    src.write_text(f"url: {d}\ncsv: {{day_first: true}}\n")
    with pytest.raises(ConfigError, match="csv: expected a mapping with keys"):
        read_planning_data(src)
