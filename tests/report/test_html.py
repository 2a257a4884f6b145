"""The HTML report: self-contained, every section present, batch comparison, figures."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

import spmopt as spm
from spmopt.data import generate
from spmopt.errors import ConfigError
from spmopt.report import figures as F
from spmopt.scenario import Scenario, ScenarioResult, run, run_batch


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-data") / "data"
    generate(300, 8, 36, seed=21).write(path)
    return path


@pytest.fixture(scope="module")
def result(data_dir: Path) -> ScenarioResult:
    s = Scenario(
        name="rpt",
        description="A small scenario <for the report> & its checks",
        data=str(data_dir),
        forecast={"n_windows": 1},
        comp={"n_draws": 1000},
    )
    return run(s)


def _images(text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]


def test_single_scenario_report_is_self_contained(result: ScenarioResult, tmp_path: Path) -> None:
    path = spm.report.write_html(result, tmp_path / "r" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # nothing to fetch: no links, scripts or style sheets from elsewhere
    assert not re.search(r"https?://", text)
    assert "<script" not in text and "<link" not in text
    assert not re.search(r'src="(?!data:)', text)
    # every section, and the figures are real PNGs
    for anchor in ("health", "territories", "forecast", "quotas", "comp", "settings"):
        assert f'id="{anchor}"' in text
    for alt in ("territory map", "balance per territory", "forecast fan charts",
                "attainment distribution", "comp cost distribution",
                "target against the simulated revenue; gap by region"):  # fmt: skip
        assert f'alt="{alt}"' in text
    imgs = _images(text)
    assert len(imgs) == 6 and all(i.startswith(b"\x89PNG\r\n\x1a\n") for i in imgs)
    # the report opens with the health table: every check, its status in words and colour
    assert text.index('id="health"') < text.index('id="territories"')
    word = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "n/a": "n/a"}
    for c in result.health.checks:
        cls = "h-na" if c.status == "n/a" else f"h-{c.status}"
        assert f'<tr class="{cls}"><td class="st">{word[c.status]}</td>' in text
        assert f'<span class="muted">{c.name}</span>' in text
    # the quota table lists every rep with its quota
    for rep, quota in result.quotas.annual[["rep_id", "quota"]].itertuples(index=False):
        assert f"<td>{rep}</td>" in text
        assert f"{quota:,.0f}" in text
    # user text is escaped, and the headline numbers are shown
    assert "A small scenario &lt;for the report&gt; &amp; its checks" in text
    row = result.summary.iloc[0]
    assert f"{row['expected_cost']:,.0f}" in text
    assert f"{row['ccos']:.2%}" in text


def test_batch_report_has_comparison_and_trade_off(data_dir: Path, tmp_path: Path) -> None:
    base = Scenario(name="b", data=str(data_dir), territory={"realign": False},
                    forecast={"n_windows": 0}, comp={"n_draws": 500})  # fmt: skip
    sweep = Scenario.grid(base, {"quota.over_assignment": [0.05, 0.2]})
    bad = base.with_updates({"territory.n_territories": 5000}, name="bad")
    batch = run_batch([*sweep, bad], n_workers=0, out=tmp_path / "run", progress=False)
    assert batch.summary["status"].tolist() == ["done", "done", "failed"]
    for source, detail in ((batch, None), (tmp_path / "run", sweep[1].name)):
        text = spm.report.render_html(source, detail=detail)
        assert not re.search(r"https?://", text)
        assert 'id="comparison"' in text and 'alt="trade-off across scenarios"' in text
        # ranked by plan health: fewest failing checks, then warnings, then distance
        done = batch.summary.loc[batch.summary["status"] == "done"]
        ranked = done.sort_values(["n_fail", "n_warn", "health_score"], kind="stable")
        for i, (name, health) in enumerate(zip(ranked["scenario"], ranked["health"]), start=1):
            cls = "pass" if health in ("pass", "warn") else "fail"
            assert f'<tr class="{cls}"><td class="num">{i}</td><td>{name}</td>' in text
        assert '<tr class="fail"><td class="num">3</td><td>bad</td>' in text
        assert "territory.n_territories=5000: allowed 1 to 300" in text  # the error is shown
        assert f"Scenario in detail: {detail or sweep[0].name}" in text
        assert len(_images(text)) == 7
        assert "ranked by plan health" in text
    with pytest.raises(ConfigError, match="not a run folder"):
        spm.report.render_html(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="write_html takes"):
        spm.report.render_html(42)


def test_tradeoff_figure_marks_pass_and_fail() -> None:
    summ = pd.DataFrame(
        {
            "scenario": ["a", "b"],
            "status": ["done", "done"],
            "share_at_quota": [0.4, 0.6],
            "expected_cost": [1e6, 1.2e6],
            "cost_p10": [0.9e6, 1.1e6],
            "cost_p90": [1.1e6, 1.3e6],
            "ccos": [0.05, 0.1],
            "passes": [True, False],
        }
    )
    fig = F.tradeoff_figure(summ, (0.04, 0.09))
    ax = fig.axes[0]
    colours = ax.collections[-1].get_facecolors()
    assert len(colours) == 2
    assert tuple(colours[0][:3]) != tuple(colours[1][:3])  # pass and fail differ
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


def test_balance_figure_draws_the_band() -> None:
    after = pd.DataFrame({"territory_id": ["T1", "T2"], "potential": [100.0, 104.0]})
    fig = F.balance_figure(None, after, {"potential": 0.05})
    ax = fig.axes[0]
    band = [p for p in ax.patches if p.get_label() == "target ±5%"]
    assert len(band) == 1
    y0, y1 = band[0].get_bbox().y0, band[0].get_bbox().y1
    assert y0 == pytest.approx(102 * 0.95) and y1 == pytest.approx(102 * 1.05)
    assert "max deviation after: 2.0%" in ax.get_title()
