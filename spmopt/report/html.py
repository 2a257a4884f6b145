"""The HTML report: one self-contained file for a scenario or a batch of scenarios.

Figures are inlined as base64 PNG and the style sheet is in the page, so the file opens anywhere
without a network or a server, and can be mailed as it is.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmopt.errors import ConfigError
from spmopt.io_utils import atomic_write_text
from spmopt.report import figures as F

__all__ = ["ReportInput", "render_html", "write_html"]


@dataclass(frozen=True)
class ReportInput:
    """What one scenario's report section is drawn from: its settings and result tables."""

    name: str
    scenario: Any
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Any) -> ReportInput:
        tables = result.tables() if callable(getattr(result, "tables", None)) else result.tables
        return cls(
            name=result.scenario.name,
            scenario=result.scenario,
            tables=dict(tables),
            notes=tuple(getattr(result, "notes", ())),
            timings=dict(getattr(result, "timings", {})),
        )


# ---------------------------------------------------------------------- formatting
def _fmt_money(v: Any) -> str:
    return "" if _missing(v) else f"{float(v):,.0f}"


def _fmt_pct(v: Any, digits: int = 1) -> str:
    return "" if _missing(v) else f"{float(v):.{digits}%}"


def _fmt_num(v: Any) -> str:
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        a = abs(float(v))
        return f"{v:,.0f}" if a >= 1000 else f"{v:.3g}"
    return str(v)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _table(
    frame: pd.DataFrame,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    *,
    max_rows: int = 200,
    classes: str = "",
    row_class: Callable[[pd.Series], str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """An escaped HTML table with per-column formatting and optional header labels."""
    formats = formats or {}
    labels = labels or {}
    f = frame.head(max_rows)
    head = "".join(
        f'<th title="{html.escape(str(c))}">{html.escape(labels.get(str(c), str(c)))}</th>'
        for c in f.columns
    )
    rows = []
    for _, r in f.iterrows():
        cells = []
        for c in f.columns:
            v = r[c]
            fmt = formats.get(str(c), _fmt_num)
            text = html.escape(fmt(v))
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        cls = f' class="{row_class(r)}"' if row_class else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    more = (
        f'<p class="muted">first {max_rows} of {len(frame):,} rows</p>'
        if len(frame) > max_rows
        else ""
    )
    return (
        f'<table class="{classes}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def _img(fig: Any, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{F.to_png_base64(fig)}">'


def _card(label: str, value: str, state: str = "") -> str:
    return (
        f'<div class="card {state}"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div></div>'
    )


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1a202c;
background:#f7fafc;font-size:14px}
main{max-width:1320px;margin:0 auto;padding:16px 28px 60px}
h1{font-size:26px;margin:18px 0 4px}h2{font-size:20px;margin:34px 0 8px;border-bottom:2px solid
#e2e8f0;padding-bottom:4px}h3{font-size:16px;margin:20px 0 6px}
.muted{color:#718096}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:150px}
.card .label{font-size:12px;color:#718096}.card .value{font-size:20px;font-weight:600}
.card.ok{border-left:5px solid #2f855a}.card.bad{border-left:5px solid #c53030}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:12.5px}
th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:left}th{background:#edf2f7;
position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td{background:#fff5f5}tr.pass td:first-child{border-left:4px solid #2f855a}
tr.fail td:first-child{border-left:4px solid #c53030}
img{max-width:100%;background:#fff;border:1px solid #e2e8f0;border-radius:6px;margin:6px 0}
pre{background:#fff;border:1px solid #e2e8f0;padding:10px;overflow:auto;font-size:12px}
nav a{margin-right:14px;color:#2b6cb0;text-decoration:none}
.scroll{max-height:560px;max-width:100%;overflow:auto;display:inline-block}
table.health td{vertical-align:top}table.health td.st{font-weight:700;white-space:nowrap}
tr.h-pass td.st{color:#22543d;border-left:6px solid #2f855a}
tr.h-warn td.st{color:#744210;border-left:6px solid #d69e2e}tr.h-warn td{background:#fffff0}
tr.h-fail td.st{color:#9b2c2c;border-left:6px solid #c53030}tr.h-fail td{background:#fff5f5}
tr.h-na td.st{color:#718096;border-left:6px solid #a0aec0}
.verdict{font-size:18px;font-weight:700;margin:10px 0}.verdict.fail{color:#9b2c2c}
.verdict.warn{color:#744210}.verdict.pass{color:#22543d}
@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}.scroll{max-height:none}
th{position:static}}
"""


# ---------------------------------------------------------------------- plan health
_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "n/a": "n/a"}


def _health_section(inp: ReportInput, data: Any, *, anchor: str = "") -> str:
    """The health table (status in colour and in words), the target gap and its chart."""
    from spmopt.health import check

    try:
        rep = check(inp, data=data)
    except ConfigError as exc:
        return f'<p class="muted">Plan health not measured: {html.escape(str(exc))}</p>'
    a = f"{anchor}-" if anchor else ""
    n_fail, n_warn = len(rep.failed), len(rep.warnings)
    word = {"pass": "passes", "warn": "passes with warnings", "fail": "FAILS"}[rep.status]
    out = [f'<h2 id="{a}health">Plan health</h2>']
    out.append(
        f'<p class="verdict {rep.status}">The plan {word} its health checks: '
        f"{len(rep.checks) - n_fail - n_warn} pass, {n_warn} warn, {n_fail} fail.</p>"
    )
    order = {"fail": 0, "warn": 1, "pass": 2, "n/a": 3}
    rows = []
    for c in sorted(rep.checks, key=lambda c: order[c.status]):
        cls = "h-na" if c.status == "n/a" else f"h-{c.status}"
        lever = c.lever if c.status in ("warn", "fail") else ""
        rows.append(
            f'<tr class="{cls}"><td class="st">{_STATUS_WORD[c.status]}</td>'
            f'<td>{html.escape(c.label)}<br><span class="muted">{html.escape(c.name)}</span>'
            f'</td><td class="num">{html.escape(c.fmt(c.value))}</td>'
            f'<td class="num">{html.escape(c.band_text)}</td><td>{html.escape(c.reason)}</td>'
            f"<td>{html.escape(lever)}</td></tr>"
        )
    out.append(
        '<table class="health"><thead><tr><th>status</th><th>check</th><th>value</th>'
        "<th>band</th><th>why</th><th>lever</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    out.append(
        '<p class="muted">Bands: targets.yaml <code>health:</code> or the defaults of '
        "spmopt.health.HealthBands (their sources are in its docstring).</p>"
    )
    gap = rep.gap
    if gap is not None:
        out.append("<h3>The target gap</h3>")
        out.append(f"<p>{html.escape(gap.sentence())}</p>")
        out.append(_img(gap.figure(), "target against the simulated revenue; gap by region"))
        if len(gap.by_region):
            out.append(
                _table(
                    gap.by_region,
                    {"forecast": _fmt_money, "quota": _fmt_money, "gap": _fmt_money,
                     "share_of_gap": lambda v: _fmt_pct(v, 0)},
                    labels={"gap": "quota − forecast", "share_of_gap": "share of the gap"},
                )
            )  # fmt: skip
    return "\n".join(out)


# ---------------------------------------------------------------------- one scenario
def _targets_of(data: Any) -> tuple[tuple[float, float] | None, float | None, str]:
    t = getattr(data, "targets", None)
    if t is None:
        return None, None, ""
    return tuple(t.ccos_band), float(t.margin_floor), str(t.currency)  # type: ignore[return-value]


def _scenario_section(inp: ReportInput, data: Any, *, anchor: str = "") -> str:
    t = inp.tables
    summ = t.get("summary", pd.DataFrame()).iloc[0] if len(t.get("summary", [])) else pd.Series()
    band, floor, currency = _targets_of(data)
    cur = f" [{currency}]" if currency else ""
    out: list[str] = [_health_section(inp, data, anchor=anchor)]
    a = f"{anchor}-" if anchor else ""

    # headline cards
    passes = summ.get("passes")
    passes = None if _missing(passes) else bool(passes)
    cards = [
        _card("territories", _fmt_num(summ.get("n_territories"))),
        _card("max potential deviation", _fmt_pct(summ.get("max_deviation_potential"))),
        _card("potential moved", _fmt_pct(summ.get("disruption_share"))),
        _card("forecast, plan year" + cur, _fmt_money(summ.get("forecast_revenue"))),
        _card("sum of quotas" + cur, _fmt_money(summ.get("quota_total"))),
        _card("over-assignment", _fmt_pct(summ.get("over_assignment"))),
        _card("reps at/above quota (exp.)", _fmt_pct(summ.get("share_at_quota"), 0)),
        _card("expected incentive" + cur, _fmt_money(summ.get("expected_cost"))),
        _card(
            "CCOS (exp.)",
            _fmt_pct(summ.get("ccos"), 2),
            _state(band is not None and _in_band(summ.get("ccos"), band)),
        ),
        _card(
            "margin after comp (exp.)",
            _fmt_pct(summ.get("margin_after_comp")),
            _state(floor is not None and _ge(summ.get("margin_after_comp"), floor)),
        ),
        _card(
            "comp checks",
            "pass" if passes is True else "FAIL" if passes is False else "n/a",
            _state(passes) if passes is not None else "",
        ),
    ]
    out.append(f'<div class="cards">{"".join(cards)}</div>')
    if "comp_checks" in t and len(t["comp_checks"]):
        chk = t["comp_checks"]
        out.append(
            _table(
                chk,
                {"p_breach": _fmt_pct, "max_breach_prob": _fmt_pct, "expected": _fmt_num},
                row_class=lambda r: "pass" if bool(r.get("passed")) else "fail",
            )
        )

    # territories
    out.append(f'<h2 id="{a}territories">Territories</h2>')
    assign = t.get("assignment")
    reps_after = t.get("reps")
    if data is not None and assign is not None and reps_after is not None:
        out.append(
            _img(
                F.map_figure(
                    data.accounts,
                    assign,
                    data.reps,
                    reps_after,
                    geography=getattr(data, "geography", None),  # polygons, when read with data
                ),
                "territory map",
            )
        )
    terr = t.get("territories")
    before = _before_summary(data) if data is not None else None
    if terr is not None and len(terr):
        tol = _tolerances(inp.scenario)
        out.append(_img(F.balance_figure(before, terr, tol), "balance per territory"))
        cols = [
            c
            for c in (
                "territory_id", "rep_id", "region", "district", "n_accounts", "potential",
                "workload", "potential_deviation", "workload_deviation", "mean_distance_km",
            )
            if c in terr
        ]  # fmt: skip
        out.append("<details><summary>Territory table</summary>")
        out.append(
            _table(
                terr[cols],
                {"potential_deviation": _fmt_pct, "workload_deviation": _fmt_pct},
                classes="scroll",
            )
        )
        out.append("</details>")
    al_bits = [
        f"status {summ.get('align_status', '')}",
        f"gap {_fmt_pct(summ.get('align_gap'), 2) or 'n/a'}",
        f"mean distance to rep {_fmt_num(summ.get('mean_distance_km'))} km",
    ]
    out.append(f'<p class="muted">Solver: {html.escape("; ".join(al_bits))}</p>')

    # forecast
    out.append(f'<h2 id="{a}forecast">Revenue forecast</h2>')
    fc = t.get("forecast")
    if fc is not None and len(fc):
        out.append(_img(F.fan_figure(t.get("history"), fc), "forecast fan charts"))
    bt = t.get("backtest")
    if bt is not None and len(bt):
        keep = [
            c
            for c in ("model", "level", "n_series", "mase", "smape", "bias", "coverage_80",
                      "coverage_95")
            if c in bt
        ]  # fmt: skip
        bt = bt.copy()
        for c, frac_max in (("coverage_80", 1.0), ("coverage_95", 1.0), ("smape", 2.0)):
            if c in bt and bt[c].max() > frac_max + 1e-9:  # given in percent
                bt[c] = bt[c] / 100.0
        out.append("<h3>Backtest (rolling origin)</h3>")
        out.append(
            _table(
                bt[keep],
                {"bias": _fmt_pct, "coverage_80": _fmt_pct, "coverage_95": _fmt_pct,
                 "smape": _fmt_pct},
            )
        )  # fmt: skip

    # quotas
    out.append(f'<h2 id="{a}quotas">Quotas</h2>')
    qa = t.get("quota_annual")
    if qa is not None and len(qa):
        q = qa.copy()
        if terr is not None and "potential" in terr and "potential" not in q:
            pot = terr.set_index(terr["territory_id"].astype(str))["potential"]
            q["potential"] = pot.reindex(q["territory_id"].astype(str)).to_numpy()
        if "quota" in q and "potential" in q:
            q["quota / potential"] = q["quota"] / q["potential"].replace(0, np.nan)
        pref = ["rep_id", "territory_id", "region", "potential", "forecast", "last_year",
                "quota", "quota / potential", "growth", "p_attain"]  # fmt: skip
        cols = [c for c in pref if c in q] + [
            c for c in q.columns if c not in pref and q[c].dtype.kind in "fiub"
        ][:4]
        qsum = summ.get("quota_total")
        qsum = q["quota"].sum() if _missing(qsum) else qsum
        held = float(q["held"].sum()) if "held" in q else 0.0
        held_txt = (
            f", of which {_fmt_money(held)}{cur} is held at territory level (relief for new "
            "hires and vacancies: the 'held' column)"
            if held > 0
            else ""
        )
        total = (
            f"<p>Quotas add up to {_fmt_money(qsum)}{cur}{held_txt}, against a company target "
            f"of {_fmt_money(summ.get('company_target'))}{cur} "
            f"(over-assignment {_fmt_pct(summ.get('over_assignment'))}). Spread of quota / "
            f"potential across reps (coefficient of variation): "
            f"{_fmt_pct(summ.get('quota_spread'))}.</p>"
        )
        out.append(total)
        out.append(
            '<div class="scroll">'
            + _table(
                q[cols],
                {
                    "potential": _fmt_money,
                    "forecast": _fmt_money,
                    "last_year": _fmt_money,
                    "quota": _fmt_money,
                    "growth": _fmt_pct,
                    "p_attain": lambda v: _fmt_pct(v, 0),
                    "quota / potential": lambda v: _fmt_pct(v, 1),
                },
                max_rows=1000,
            )
            + "</div>"
        )

    # comp
    out.append(f'<h2 id="{a}comp">Attainment and comp cost</h2>')
    pr = t.get("comp_per_rep")
    if pr is not None and len(pr):
        out.append(_img(F.attainment_figure(pr), "attainment distribution"))
    dr = t.get("comp_draws")
    if dr is not None and len(dr) and "incentive" in dr:
        out.append(
            _img(F.cost_figure(dr, band, floor, currency or "currency"), "comp cost distribution")
        )
    cs = t.get("comp_summary")
    if cs is not None and len(cs):
        row = cs.iloc[0]
        items = [(k, row[k]) for k in cs.columns if not _missing(row[k])]
        fmt_items = []
        for k, v in items:
            if any(s in k for s in ("ccos", "margin", "share", "p_")):
                fmt_items.append((k, _fmt_pct(v, 2)))
            else:
                fmt_items.append((k, _fmt_num(v)))
        out.append("<details><summary>Cost simulation summary</summary>")
        out.append(_table(pd.DataFrame(fmt_items, columns=["figure", "value"])))
        out.append("</details>")

    # settings
    out.append(f'<h2 id="{a}settings">Settings and notes</h2>')
    out.append("<details><summary>Scenario settings (YAML)</summary>")
    out.append(f"<pre>{html.escape(inp.scenario.to_yaml())}</pre></details>")
    if inp.notes:
        out.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in inp.notes) + "</ul>")
    if inp.timings:
        tm = ", ".join(f"{k} {v:.1f} s" for k, v in inp.timings.items())
        out.append(f'<p class="muted">Seconds per stage: {html.escape(tm)}</p>')
    return "\n".join(out)


def _state(ok: Any) -> str:
    return "ok" if ok is True or ok is np.True_ else "bad" if ok is False or ok is np.False_ else ""


def _in_band(v: Any, band: tuple[float, float]) -> bool | None:
    return None if _missing(v) else bool(band[0] <= float(v) <= band[1])


def _ge(v: Any, floor: float) -> bool | None:
    return None if _missing(v) else bool(float(v) >= floor)


def _tolerances(scenario: Any) -> dict[str, float]:
    try:
        return dict(scenario.territory.balance)
    except AttributeError:
        return {}


def _before_summary(data: Any) -> pd.DataFrame | None:
    acc = data.accounts
    if "current_territory" not in acc:
        return None
    g = acc.groupby(acc["current_territory"].astype(str))[["potential", "workload"]].sum()
    return g.rename_axis("territory_id").reset_index()


# ---------------------------------------------------------------------- a batch
_COMPARE_COLS: dict[str, Callable[[Any], str]] = {
    "#": str,
    "scenario": str,
    "status": str,
    "health": lambda v: "" if _missing(v) else _STATUS_WORD.get(str(v), str(v)),
    "n_fail": _fmt_num,
    "n_warn": _fmt_num,
    "failing": lambda v: "" if _missing(v) else str(v),
    "n_territories": _fmt_num,
    "max_deviation_potential": _fmt_pct,
    "disruption_share": _fmt_pct,
    "forecast_mase": _fmt_num,
    "over_assignment": _fmt_pct,
    "quota_spread": _fmt_pct,
    "share_at_quota": lambda v: _fmt_pct(v, 0),
    "expected_cost": _fmt_money,
    "cost_p90": _fmt_money,
    "ccos": lambda v: _fmt_pct(v, 2),
    "margin_after_comp": _fmt_pct,
    "p_ccos_breach": lambda v: _fmt_pct(v, 0),
    "p_margin_breach": lambda v: _fmt_pct(v, 0),
    "passes": lambda v: "" if _missing(v) else ("pass" if bool(v) else "FAIL"),
    "error": lambda v: "" if _missing(v) else str(v)[:160],
}


def _batch_section(summary: pd.DataFrame, data: Any) -> str:
    band, _floor, _cur = _targets_of(data)
    out = ['<h2 id="comparison">Scenario comparison</h2>']
    summary = _by_health(summary)
    summary.insert(0, "#", np.arange(1, len(summary) + 1))
    n = len(summary)
    st = summary["status"].value_counts().to_dict() if "status" in summary else {}
    out.append(
        f"<p>{n} scenarios: {st.get('done', 0) + st.get('skipped', 0)} finished "
        f"({st.get('skipped', 0)} from an earlier run), {st.get('failed', 0)} failed"
        + (", ranked by plan health (fewest failing checks first)" if "health" in summary else "")
        + ".</p>"
    )
    ok = summary.loc[summary.get("status", pd.Series("done", index=summary.index)) != "failed"]
    if len(ok) and {"share_at_quota", "expected_cost"} <= set(ok.columns):
        out.append(_img(F.tradeoff_figure(summary, band), "trade-off across scenarios"))
    cols = [c for c in _COMPARE_COLS if c in summary]
    if "error" in cols and summary["error"].isna().all():
        cols.remove("error")
    out.append(
        '<div class="scroll">'
        + _table(
            summary[cols],
            _COMPARE_COLS,
            max_rows=2000,
            row_class=_verdict_class,
            labels=_COMPARE_LABELS,
        )
        + "</div>"
    )
    return "\n".join(out)


_COMPARE_LABELS = {
    "n_territories": "territories",
    "max_deviation_potential": "max potential deviation",
    "disruption_share": "potential moved",
    "forecast_mase": "forecast MASE",
    "over_assignment": "over-assignment",
    "quota_spread": "quota/potential spread (CV)",
    "share_at_quota": "reps at quota (exp.)",
    "expected_cost": "expected incentive",
    "cost_p90": "incentive P90",
    "ccos": "CCOS (exp.)",
    "margin_after_comp": "margin after comp (exp.)",
    "p_ccos_breach": "P(CCOS outside band)",
    "p_margin_breach": "P(margin below floor)",
    "passes": "comp checks",
    "health": "plan health",
    "n_fail": "checks failing",
    "n_warn": "checks warning",
    "failing": "failing checks",
}


def _by_health(summary: pd.DataFrame) -> pd.DataFrame:
    """Scenarios ranked by plan health: fewest failing checks, then fewest warnings, then
    closest to the bands; scenarios that did not run last."""
    out = summary.copy()
    if "health_score" not in out:
        return out
    failed = out["status"] == "failed" if "status" in out else pd.Series(False, index=out.index)
    keys = out.assign(_failed=failed)
    keys = keys.sort_values(["_failed", "n_fail", "n_warn", "health_score"], kind="stable")
    return out.loc[keys.index].reset_index(drop=True)


def _verdict_class(row: pd.Series) -> str:
    if row.get("status") == "failed":
        return "fail"
    h = row.get("health")
    if not _missing(h):
        return "pass" if h in ("pass", "warn") else "fail"
    v = row.get("passes")
    if _missing(v):
        return ""
    return "pass" if bool(v) else "fail"


# ---------------------------------------------------------------------- entry points
def render_html(
    result: Any,
    *,
    data: Any = None,
    title: str | None = None,
    detail: str | None = None,
) -> str:
    """The report as an HTML string; see :func:`write_html`."""
    from spmopt.scenario.batch import BatchResult
    from spmopt.scenario.store import RunStore

    summary: pd.DataFrame | None = None
    inp: ReportInput | None = None
    if isinstance(result, (str, os.PathLike)):
        if not (Path(result) / "manifest.json").is_file():
            raise ConfigError(f"{result} is not a run folder (no manifest.json)")
        store = RunStore(result)
        summary = store.read_summary()
        done = summary.loc[summary["status"] == "done", "scenario"].tolist()
        pick = detail or _default_detail(done)
        inp = ReportInput.of(store.load(pick)) if pick else None
        if len(summary) == 1 and detail is None:
            summary = None
    elif isinstance(result, BatchResult):
        summary = result.summary
        names = summary.loc[summary["status"] != "failed", "scenario"].tolist()
        pick = detail or _default_detail(names)
        if pick is not None:
            try:
                inp = ReportInput.of(result.load(pick))
            except ConfigError:
                inp = None
    elif hasattr(result, "scenario") and hasattr(result, "tables"):
        inp = ReportInput.of(result)
    else:
        raise ConfigError(
            "write_html takes a ScenarioResult, a BatchResult, a StoredResult or a run folder; "
            f"got {type(result).__name__}"
        )
    if data is None and inp is not None:
        data = _load_data(inp.scenario)
    elif data is None and summary is not None and isinstance(result, BatchResult):
        data = None
    head_name = inp.name if inp is not None and summary is None else "scenario comparison"
    ttl = title or f"spmopt plan — {head_name}"
    nav = []
    body = []
    if summary is not None:
        nav.append('<a href="#comparison">Comparison</a>')
        body.append(_batch_section(summary, data))
    if inp is not None:
        if summary is not None:
            body.append(f'<h2 id="detail">Scenario in detail: {html.escape(inp.name)}</h2>')
            nav.append('<a href="#detail">Detail</a>')
        desc = getattr(inp.scenario, "description", "")
        if desc:
            body.append(f"<p>{html.escape(desc)}</p>")
        body.append(_scenario_section(inp, data))
        nav += [
            f'<a href="#{k}">{v}</a>'
            for k, v in (
                ("health", "Health"),
                ("territories", "Territories"),
                ("forecast", "Forecast"),
                ("quotas", "Quotas"),
                ("comp", "Comp cost"),
                ("settings", "Settings"),
            )
        ]
    from spmopt import __version__

    source = getattr(data, "source", "") if data is not None else ""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sub = f"Data: {source} · generated {stamp} by spmopt {__version__}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(ttl)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{html.escape(ttl)}</h1><p class="muted">{html.escape(sub)}</p>'
        f"<nav>{''.join(nav)}</nav>" + "\n".join(body) + "</main></body></html>\n"
    )


def _default_detail(names: list[str]) -> str | None:
    """The scenario a batch report details: one named 'base' if there is one, else the first."""
    for n in names:
        if n == "base":
            return n
    return names[0] if names else None


def _load_data(scenario: Any) -> Any:
    """The scenario's planning data (today's alignment for the map's "before", the targets)."""
    from spmopt.scenario.pipeline import load_data

    try:
        return load_data(scenario.data)
    except Exception:  # the data moved since the run: report without the map
        return None


def write_html(
    result: Any,
    path: str | os.PathLike[str],
    *,
    data: Any = None,
    title: str | None = None,
    detail: str | None = None,
) -> Path:
    """Write the report of a scenario or a batch as one self-contained HTML file.

    Parameters
    ----------
    result : ScenarioResult, BatchResult, StoredResult or path of a run folder
        One scenario gives its report: first its plan health (every check of
        :func:`spmopt.health.check` with its status in colour and in words, the reason and the
        lever, then the target gap with its chart), then the territory map before/after,
        balance bars, forecast fan charts by region, quota table, attainment and comp-cost
        distributions against the CCOS band and margin floor, settings. A batch (or a run
        folder) adds a comparison table and
        the cost-versus-share-at-quota trade-off, ranks the scenarios by plan health, and
        details one scenario.
    path : path
        The HTML file to write (atomically).
    data : PlanningData, optional
        The planning data (for the map and the targets); read from the scenario when omitted.
    title : str, optional
    detail : str, optional
        Name of the scenario a batch report details (default: the first finished one).

    Returns
    -------
    Path
        ``path``.
    """
    text = render_html(result, data=data, title=title, detail=detail)
    return atomic_write_text(Path(path), text)
