"""spmopt plan (one scenario, with its report) and spmopt batch (many, on Dask)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register"]

_SET_HELP = (
    "change a setting by dotted path, e.g. --set quota.over_assignment=0.15 "
    "--set territory.balance.potential=0.03 (values are read as YAML; repeatable)"
)


def register(subparsers: Any) -> None:
    """Add the ``plan`` and ``batch`` commands."""
    p = subparsers.add_parser(
        "plan",
        help="run the planning cycle on a data folder and write the outputs and an HTML report",
        description="Territories, forecast, quotas and comp cost for one scenario; writes the "
        "result tables (CSV), the summary and report.html to --out. Exit status 1 on a data or "
        "settings error (spmopt validate finds them first), 2 when a comp check (CCOS band, "
        "margin floor) fails, or, with --strict, a plan-health check; each failing check is "
        "named on its own line.",
    )
    p.add_argument("path", help="planning data folder (accounts, reps, sales, plan.yaml, "
                   "targets.yaml), an .xlsx workbook, a database URL, a source .yaml, or "
                   "'example'")  # fmt: skip
    p.add_argument("--out", type=Path, help="output folder (needed unless --write-back)")
    p.add_argument("--scenario", type=Path, help="scenario YAML file (default: all defaults)")
    p.add_argument("--write-back", nargs="?", const="", default=None, metavar="URL",
                   help="write the results into tables of the database URL (default: the data's "
                   "URL), in one transaction; the same run again replaces its rows")  # fmt: skip
    p.add_argument("--schema", default="spmopt", help="schema of the --write-back tables")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=_SET_HELP)
    p.add_argument("--seed", type=int, help="seed of every random step (overrides the file)")
    p.add_argument("--strict", action="store_true", help="exit with status 2 when a plan-health "
                   "check fails (see spmopt health)")  # fmt: skip
    p.set_defaults(func=_cmd_plan)

    b = subparsers.add_parser(
        "batch",
        help="run many scenarios on Dask into a resumable run folder, with a comparison report",
        description="Each file is a scenario or a sweep (a 'grid' of settings). Finished "
        "scenarios are skipped when the command is run again with the same --out.",
    )
    b.add_argument("files", nargs="+", help="scenario or sweep YAML files (globs allowed)")
    b.add_argument("--out", type=Path, required=True, help="run folder")
    b.add_argument("--scheduler", help="address of a running Dask scheduler, tcp://host:port")
    b.add_argument("--workers", type=int, help="local worker processes (default: one per core; "
                   "0 runs in this process)")  # fmt: skip
    b.add_argument("--batch-size", type=int, help="scenarios per Dask task (default: automatic)")
    b.add_argument("--no-resume", action="store_true", help="rerun finished scenarios too")
    b.add_argument("--no-report", action="store_true", help="skip report.html")
    b.add_argument("--detail", help="scenario the report shows in detail (default: 'base' if "
                   "there is one, else the first)")  # fmt: skip
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=_SET_HELP)
    b.set_defaults(func=_cmd_batch)


def _updates(pairs: list[str]) -> dict[str, Any]:
    import yaml

    from spmopt.errors import ConfigError

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--set {pair!r}: expected KEY=VALUE, e.g. quota.over_assignment=0.15"
            )
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {pair!r}: the value is not valid YAML: {exc}") from None
    return out


def _cmd_plan(args: argparse.Namespace) -> int:
    from spmopt.errors import ConfigError
    from spmopt.scenario.config import Scenario
    from spmopt.scenario.output import write_plan_outputs
    from spmopt.scenario.pipeline import run

    t0 = time.perf_counter()
    wb_url = (args.write_back or args.path) if args.write_back is not None else None
    if args.out is None and wb_url is None:
        raise ConfigError("spmopt plan needs --out FOLDER, --write-back, or both")
    if wb_url is not None and "://" not in wb_url:
        raise ConfigError(
            f"--write-back: {wb_url!r} is not a database URL; give one, e.g. "
            "--write-back duckdb:///plan.duckdb"
        )
    s = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    keep = args.path == "example" or "://" in args.path
    data = args.path if keep else str(Path(args.path).resolve())
    updates: dict[str, Any] = {"data": data, **_updates(args.set)}
    if args.seed is not None:
        updates["seed"] = args.seed
    s = s.with_updates(updates)
    print(f"spmopt plan: scenario {s.name!r} on {data}", file=sys.stderr)
    result = run(s)
    report = write_plan_outputs(result, args.out) if args.out is not None else None
    if wb_url is not None:
        from spmopt.data.database import write_results

        wb = write_results(result, wb_url, schema=args.schema)
        print(f"results written back: {wb!r}", file=sys.stderr)
    print(_summary_text(result.summary.iloc[0]))
    health = result.health
    if health is not None:
        print(health_verdict(health))
        for line in health.lines():
            print(f"  {line}")
    if report is not None:
        print(f"outputs in {args.out}/ ({time.perf_counter() - t0:.0f} s)")
        print(f"report: {report}")
    from spmopt.cli import failing_checks

    comp_fail = failing_checks(getattr(result.cost, "checks", None))
    health_fail = []
    if args.strict and health is not None and not health.ok:
        health_fail = _health_failures(health)
    if comp_fail or health_fail:
        what = " and ".join(w for w, f in (("comp", comp_fail), ("health", health_fail)) if f)
        print(f"spmopt plan: the plan fails its {what} checks:", file=sys.stderr)
        for line in [*comp_fail, *health_fail]:
            print(f"  {line}", file=sys.stderr)
        return 2
    return 0


def _health_failures(report: Any) -> list[str]:
    """One line per failing plan-health check: its name, number and band."""
    return [
        f"health {c.name}: {c.label} {c.fmt(c.value)} (band {c.band_text})" for c in report.failed
    ]


def health_verdict(report: Any) -> str:
    """One line: the plan's health and how many checks warn or fail."""
    n_fail, n_warn = len(report.failed), len(report.warnings)
    word = {"pass": "pass", "warn": "pass with warnings", "fail": "FAIL"}[report.status]
    return (
        f"plan health: {word} ({len(report.checks) - n_fail - n_warn} pass, {n_warn} warn, "
        f"{n_fail} fail)"
    )


def _cmd_batch(args: argparse.Namespace) -> int:
    from spmopt.scenario.batch import run_batch, scenario_paths
    from spmopt.scenario.config import read_scenarios

    scenarios = [s for p in scenario_paths(args.files) for s in read_scenarios(p)]
    updates = _updates(args.set)
    if updates:
        scenarios = [s.with_updates(updates) for s in scenarios]
    where = args.scheduler or (
        "this process" if args.workers == 0 else f"{args.workers or 'one per core'} local workers"
    )
    print(f"spmopt batch: {len(scenarios)} scenarios on {where} -> {args.out}", file=sys.stderr)
    batch = run_batch(
        scenarios,
        out=args.out,
        scheduler=args.scheduler,
        n_workers=args.workers,
        batch_size=args.batch_size,
        resume=not args.no_resume,
        keep_results=False,
    )
    summ = batch.summary
    cols = [
        c
        for c in ("scenario", "status", "health", "n_fail", "n_warn", "share_at_quota",
                  "expected_cost", "ccos", "margin_after_comp", "failing")
        if c in summ
    ]  # fmt: skip
    if "health_score" in summ:  # healthiest first, failed scenarios last
        order = summ.assign(_f=summ["status"] == "failed").sort_values(
            ["_f", "n_fail", "n_warn", "health_score"], kind="stable"
        )
        summ = order.drop(columns="_f")
    from spmopt.formatting import table

    print(table(summ[cols]))
    for name, err in batch.errors.items():
        print(f"FAILED {name}: {err.error_type}: {err.message}", file=sys.stderr)
    print(f"{len(summ)} scenarios in {batch.seconds:.0f} s: {batch!r}")
    if not args.no_report:
        from spmopt.report import write_html

        path = write_html(args.out, args.out / "report.html", detail=args.detail)
        print(f"report: {path}")
    return 1 if batch.errors else 0


def _summary_text(row: Any) -> str:
    from spmopt.formatting import money, number, share

    verdict = {True: "pass", False: "FAIL"}.get(row.get("passes"), "n/a")
    return "\n".join(
        [
            f"territories {row.get('n_territories')}: max potential deviation "
            f"{share(row.get('max_deviation_potential'))}, potential moved "
            f"{share(row.get('disruption_share'))} ({row.get('align_status')})",
            f"forecast for the plan year {money(row.get('forecast_revenue'))} "
            f"(backtest MASE {number(row.get('forecast_mase'), 2)})",
            f"quotas {money(row.get('quota_total'))} against a target of "
            f"{money(row.get('company_target'))} (over-assignment "
            f"{share(row.get('over_assignment'))}); reps expected at quota "
            f"{share(row.get('share_at_quota'), 0)}",
            f"incentive cost {money(row.get('expected_cost'))} (P10 "
            f"{money(row.get('cost_p10'))}, P90 {money(row.get('cost_p90'))}); CCOS "
            f"{share(row.get('ccos'), 2)}; margin after comp {share(row.get('margin_after_comp'))}"
            f"; comp checks: {verdict}",
        ]
    )
