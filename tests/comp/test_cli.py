"""``spmopt simulate`` end to end on the example folder (small draws)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from spmopt.cli import main
from spmopt.comp.cli import fallback_quotas

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "example"


def test_simulate_writes_every_table(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "sim"
    rc = main(["simulate", str(EXAMPLE), "--draws", "500", "--seed", "3", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "quotas: spmopt.quota.QuotaSetter" in text and "CCOS" in text
    assert "attainment: spmopt.forecast.RevenueForecaster sample paths" in text
    for name in ("summary", "per_rep", "checks", "draws", "assumptions"):
        assert (out / f"{name}.csv").exists()
    summary = pd.read_csv(out / "summary.csv").set_index("metric")["value"]
    assert int(summary["n_draws"]) == 500
    draws = pd.read_csv(out / "draws.csv")
    assert len(draws) == 500
    assert float(summary["expected_incentive"]) == pytest.approx(draws["incentive"].mean())
    per_rep = pd.read_csv(out / "per_rep.csv")
    assert len(per_rep) == 40
    # no temporary files left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_given_quotas_plan_and_overrides(tmp_path: Path, example: Any) -> None:
    q = fallback_quotas(example)
    # the fallback: target x (1 + over-assignment), to the nearest 1,000 per rep
    total = example.targets.company_revenue_target * 1.1
    assert q["quota"].sum() == pytest.approx(total, abs=1_000 * len(q))
    qpath = tmp_path / "quotas.csv"
    q.to_csv(qpath, index=False)
    base = tmp_path / "base"
    down = tmp_path / "down"
    args = ["simulate", str(EXAMPLE), "--quotas", str(qpath), "--plan",
            str(EXAMPLE / "plan.yaml"), "--draws", "400", "--attainment", "history"]  # fmt: skip
    assert main([*args, "--out", str(base)]) == 0
    assert main([*args, "--out", str(down), "--override", "revenue_change=-0.2"]) == 0
    b = pd.read_csv(base / "draws.csv")
    d = pd.read_csv(down / "draws.csv")
    assert (d["revenue"] < b["revenue"]).all()
    assert (d["incentive"] <= b["incentive"] + 1e-6).all()
    a = pd.read_csv(down / "assumptions.csv").set_index("key")["value"]
    assert "table" in a["quotas"]


def test_bad_plan_and_override_exit_1(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("roles:\n  AE:\n    target_incentive: 1\n    measures: []\n")
    rc = main(["simulate", str(EXAMPLE), "--plan", str(bad), "--out", str(tmp_path / "o")])
    assert rc == 1
    assert "roles.AE.measures" in capsys.readouterr().err
    rc = main(["simulate", str(EXAMPLE), "--draws", "10", "--out", str(tmp_path / "o"),
               "--override", "revenue=0.1"])  # fmt: skip
    assert rc == 1
    assert "did you mean 'revenue_change'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
