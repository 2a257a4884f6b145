"""The ``spmopt`` command line.

Core commands live here (``validate``, ``generate``); each stage adds its own commands from its
``cli`` module (``spmopt/<stage>/cli.py`` with a ``register(subparsers)`` function), so that
``spmopt --help`` lists the whole planning cycle.

The stage ``cli`` modules are loaded from their files without importing their packages, and
import pandas, the solvers and Dask only inside the command handlers: ``spmopt --help`` and
``spmopt COMMAND --help`` answer without loading any of them.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from spmopt.errors import SpmoptError

__all__ = [
    "build_parser",
    "check_alignment_ids",
    "check_quota_forecast",
    "failing_checks",
    "main",
    "read_alignment",
    "read_quota_table",
]

_STAGE_CLIS = (
    "spmopt.territory.cli",
    "spmopt.forecast.cli",
    "spmopt.quota.cli",
    "spmopt.comp.cli",
    "spmopt.scenario.cli",
    "spmopt.report.cli",
    "spmopt.health.cli",
)

Handler = Callable[[argparse.Namespace], int]


def _load_stage_cli(name: str) -> ModuleType | None:
    """The stage's ``cli`` module, executed from its file so that the stage package (and what
    its ``__init__`` imports) is not loaded; ``None`` when the stage is not installed."""
    if name in sys.modules:
        return sys.modules[name]
    parts = name.split(".")
    path = Path(__file__).resolve().parent.joinpath(*parts[1:-1], f"{parts[-1]}.py")
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover
        return None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


# ---------------------------------------------------------------------- shared by stage CLIs
def _table_in(arg: Path, names: Sequence[str], what: str) -> Path:
    """``arg`` itself when a file, else the first of ``names`` inside the folder ``arg``."""
    from spmopt.errors import ConfigError

    if arg.is_file():
        return arg
    if arg.is_dir():
        for n in names:
            if (arg / n).is_file():
                return arg / n
        if what == "alignment" and (arg / "compromise_assignment.csv").is_file():
            raise ConfigError(
                f"{arg} holds only compromise_assignment.csv: the alignment there is infeasible "
                "(its bands cannot all be met). Fix: rerun spmopt align with wider bands, or "
                "pass --alignment compromise_assignment.csv to use the compromise on purpose"
            )
        raise ConfigError(
            f"{arg} has no {' or '.join(names)}: give the {what} file, or an output folder of "
            "spmopt plan, align or quota"
        )
    raise ConfigError(f"--{what} {arg} does not exist")


def read_alignment(arg: Path | None, data: Any) -> tuple[Any, str]:
    """The alignment a command works on: ``assignment.csv`` (a file, or an output folder of
    ``spmopt plan`` / ``align``), else today's (``accounts.current_territory``).

    Returns
    -------
    DataFrame, str
        ``account_id, territory_id, rep_id`` and where it came from, for the printout.

    Raises
    ------
    spmopt.DataError
        A column is missing, or the table names accounts or reps the data does not have.
    """
    import pandas as pd

    from spmopt.data.alignment import current_assignment
    from spmopt.errors import DataError

    if arg is None:
        return current_assignment(data.accounts, data.reps), "today's (current_territory)"
    path = _table_in(Path(arg), ("assignment.csv",), "alignment")
    asg = pd.read_csv(path, dtype={"account_id": str, "territory_id": str, "rep_id": str})
    missing = [c for c in ("account_id", "rep_id") if c not in asg]
    if missing:
        raise DataError(
            f"{path} lacks column(s) {missing}; found {list(asg.columns)}",
            table="alignment",
            column=missing[0],
            fix="pass the assignment.csv that spmopt align or spmopt plan wrote",
        )
    reps = data.reps.astype({"rep_id": str, "territory_id": str})
    if "territory_id" not in asg:
        asg["territory_id"] = asg["rep_id"].map(dict(zip(reps["rep_id"], reps["territory_id"])))
    unknown_reps = sorted(set(asg["rep_id"].dropna()) - set(reps["rep_id"]))
    if unknown_reps:
        raise DataError(
            f"{path} names reps that are not in reps",
            table="alignment",
            column="rep_id",
            rows=unknown_reps,
            fix="align the same data folder the alignment was made for",
        )
    unknown = sorted(set(asg["account_id"]) - set(data.accounts["account_id"].astype(str)))
    if unknown:
        raise DataError(
            f"{path} names accounts that are not in accounts",
            table="alignment",
            column="account_id",
            rows=unknown,
            fix="align the same data folder the alignment was made for",
        )
    return asg, str(path)


def read_quota_table(arg: Path) -> tuple[Any, Path]:
    """A quota table: a ``.csv``/``.parquet`` file or an output folder holding ``quotas.csv``."""
    import pandas as pd

    path = _table_in(Path(arg), ("quotas.csv", "quotas.parquet"), "quotas")
    if path.suffix == ".parquet":
        return pd.read_parquet(path), path
    return pd.read_csv(path, dtype={"rep_id": str, "territory_id": str}), path


def check_alignment_ids(table: Any, asg: Any, reps: Any, what: str) -> None:
    """Refuse a quota or forecast table made for another alignment.

    Parameters
    ----------
    table : DataFrame
        ``rep_id`` (and ``territory_id``) per row: quotas, or rep-level forecast rows with
        ``unique_id``.
    asg : DataFrame
        The alignment: ``account_id, territory_id, rep_id``.
    reps : DataFrame
        The reps table (a rep without accounts may still hold a quota).
    what : str
        ``quotas`` or ``forecast``, for the message.

    Raises
    ------
    spmopt.DataError
        Naming the reps (and territories) found on one side only.
    """
    from spmopt.errors import DataError, format_ids

    col = "rep_id" if "rep_id" in table else "unique_id"
    held = asg.dropna(subset=["rep_id"])
    have = set(table[col].astype(str))
    if col == "unique_id" and "level" in table:
        have = set(table.loc[table["level"] == "rep", col].astype(str))
    want = set(held["rep_id"].astype(str))
    extra = sorted(have - set(reps["rep_id"].astype(str)))
    lacking = sorted(want - have)
    if extra or lacking:
        parts = []
        if extra:
            parts.append(f"{what} for reps that are not in reps: {format_ids(extra)}")
        if lacking:
            parts.append(f"reps of the alignment without {what}: {format_ids(lacking)}")
        raise DataError(
            "; ".join(parts),
            table=what,
            column=col,
            fix=f"pass the {what} made for this alignment (--alignment of the same run), or "
            f"leave --{what} out to build them for it",
        )
    if "territory_id" in table and "territory_id" in held:
        pairs = set(zip(table["rep_id"].astype(str), table["territory_id"].astype(str)))
        mine = set(zip(held["rep_id"].astype(str), held["territory_id"].astype(str)))
        wrong = sorted(pairs - mine)
        if wrong:
            raise DataError(
                "quota rows pair reps with territories the alignment gives to others: "
                + format_ids([f"{r}/{t}" for r, t in wrong]),
                table=what,
                column="territory_id",
                fix="pass the quotas made for this alignment",
            )


def check_quota_forecast(quotas: Any, forecast: Any, source: str, tol: float = 0.01) -> None:
    """Refuse quotas set on another forecast than the one a command is about to use.

    A quota table that carries the forecast it was set on (``forecast`` per rep and period, as
    ``spmopt quota`` and ``spmopt plan`` write it) is compared with the rep-level forecast
    built for the alignment; reps whose totals differ by more than ``tol`` are named.

    Raises
    ------
    spmopt.DataError
        The quotas were set for another alignment or forecast.
    """
    import pandas as pd

    from spmopt.errors import DataError
    from spmopt.formatting import money

    frame = getattr(forecast, "frame", None)
    if frame is None or "forecast" not in quotas or "period" not in quotas:
        return
    fc = frame[frame["level"] == "rep"]
    q = quotas.assign(period=pd.to_datetime(quotas["period"]), rep_id=quotas["rep_id"].astype(str))
    mine = fc.assign(ds=pd.to_datetime(fc["ds"]), unique_id=fc["unique_id"].astype(str))
    joined = q.merge(
        mine[["unique_id", "ds", "yhat"]],
        left_on=["rep_id", "period"],
        right_on=["unique_id", "ds"],
        how="inner",
    )
    if joined.empty:
        return
    tot = joined.groupby("rep_id")[["forecast", "yhat"]].sum()
    rel = (tot["forecast"] - tot["yhat"]).abs() / tot["yhat"].abs().clip(lower=1.0)
    bad = rel[rel > tol].sort_values(ascending=False)
    if len(bad):
        shown = [
            f"{r} ({money(tot.at[r, 'forecast'])} vs {money(tot.at[r, 'yhat'])})"
            for r in bad.index[:5]
        ]
        raise DataError(
            f"the quotas were set on another forecast than that of the alignment {source}: "
            "forecast in the quota table vs for this alignment, "
            + ", ".join(shown)
            + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""),
            table="quotas",
            column="forecast",
            rows=list(bad.index),
            fix="pass --alignment with the assignment.csv (or the output folder) of the run "
            "that set these quotas",
        )


def failing_checks(checks: Any) -> list[str]:
    """One line per comp check that fails (the CostSimulation.checks table)."""
    from spmopt.formatting import share

    if checks is None or len(checks) == 0 or "passed" not in checks:
        return []
    lines = []
    for row in checks[~checks["passed"].astype(bool)].itertuples(index=False):
        lines.append(
            f"FAIL {row.check}: expected {share(row.expected, 2)} (P10 {share(row.p10, 2)}, "
            f"P90 {share(row.p90, 2)}), breached in {share(row.p_breach)} of draws (allowed "
            f"{share(row.max_breach_prob, 0)})"
        )
    return lines


# ---------------------------------------------------------------------- validate
def _scenario_for(args: argparse.Namespace) -> Any:
    """The scenario ``spmopt plan`` would run with ``--scenario`` and ``--set``."""
    from spmopt.scenario.cli import _updates
    from spmopt.scenario.config import Scenario

    s = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    updates = _updates(args.set)
    return s.with_updates(updates) if updates else s


def _plan_checks(data: Any, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """What ``spmopt plan`` checks beyond the tables: the scenario settings, the comp plan
    (after the scenario's overrides) and the targets. Returns (errors, warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    scenario = None
    try:
        scenario = _scenario_for(args).check()
    except SpmoptError as exc:
        errors.append(f"scenario: {exc}")
    plan = data.plan
    if scenario is not None:
        try:
            from spmopt.scenario.pipeline import prepare_data

            plan = prepare_data(scenario, data)[0].plan
        except SpmoptError as exc:
            errors.append(str(exc))
    plan_file = Path(data.source) / "plan.yaml" if data.source else Path("plan.yaml")
    if plan is None:
        errors.append(
            f"no comp plan: {plan_file} is missing, so spmopt plan cannot cost the incentive "
            "plan. Fix: add plan.yaml (see data/example/plan.yaml) or set comp.plan in the "
            "scenario"
        )
    else:
        from spmopt.comp import CompPlan

        try:
            CompPlan.from_dict(plan, source=str(plan_file))
        except SpmoptError as exc:
            errors.append(str(exc))
    if data.targets is None:
        has_target = scenario is not None and scenario.quota.company_target is not None
        msg = (
            "no targets.yaml: the company revenue target, plan year, CCOS band and margin floor "
            "are unknown"
        )
        if has_target:
            warnings.append(f"{msg}; the comp checks will not run")
        else:
            errors.append(
                f"{msg}, so spmopt plan cannot set quotas. Fix: add targets.yaml (see "
                "data/example/targets.yaml) or set quota.company_target in the scenario"
            )
    return errors, warnings


def _cmd_validate(args: argparse.Namespace) -> int:
    from spmopt.data import read_planning_data
    from spmopt.data.validate import data_warnings

    data = read_planning_data(args.path, validate=False)
    errors = [str(p) for p in data.issues()]
    warnings: list[str] = list(data.meta.get("read_warnings", []))
    if not errors:
        data = data.validate()
        warnings += data_warnings(data.accounts, data.reps, data.sales, data.targets)
    plan_errors, plan_warnings = _plan_checks(data, args)
    errors += plan_errors
    warnings += plan_warnings
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if errors:
        print(f"{args.path}: {len(errors)} problem(s) found", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    extra = f" with {len(warnings)} warning(s)" if warnings else ""
    print(f"{args.path}: valid{extra}. {data!r}")
    if args.summary:
        from spmopt.formatting import table

        summ = data.summary().reset_index(names="item")
        summ["value"] = [_summary_value(k, v) for k, v in zip(summ["item"], summ["value"])]
        print(table(summ))
    return 0


def _summary_value(item: str, v: Any) -> str:
    """One value of :meth:`PlanningData.summary` for print."""
    from spmopt.formatting import money, number

    if isinstance(v, bool) or not isinstance(v, (int, float)) or "year" in item:
        return "n/a" if v is None else str(v)
    if "spread" in item:
        return number(v, 2)
    if any(w in item for w in ("potential", "revenue", "target")):
        return money(v)
    return number(v)


# ---------------------------------------------------------------------- generate
def _cmd_generate(args: argparse.Namespace) -> int:
    from spmopt.data.sources import source_kind
    from spmopt.errors import ConfigError

    kind = source_kind(args.out)
    target = Path(args.out)
    if kind != "url" and not args.force:
        if target.is_dir() and any(target.iterdir()):
            raise ConfigError(
                f"{target} is not empty: generate would replace what is there. Fix: give an "
                "empty or new folder, or pass --force to overwrite it"
            )
        if target.is_file():
            raise ConfigError(f"{target} exists: pass --force to overwrite it")
    from spmopt.data.synthetic import generate

    if args.example:
        from spmopt.data.example import EXAMPLE_SEED, EXAMPLE_SIZE

        data = generate(
            EXAMPLE_SIZE["n_accounts"],
            EXAMPLE_SIZE["n_reps"],
            EXAMPLE_SIZE["n_months"],
            seed=EXAMPLE_SEED,
        )
    else:
        data = generate(args.accounts, args.reps, args.months, seed=args.seed)
    if kind == "url":
        from spmopt.data.database import write_planning_data

        write_planning_data(data, args.out)
    elif kind == "excel":
        from spmopt.data.excel import write_planning_excel

        write_planning_excel(data, args.out)
    else:
        data.write(target, format=args.format)
    print(f"wrote {data!r} to {args.out}")
    return 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every stage's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="spmopt",
        description="Sales performance management planning: territories, forecasts, quotas and "
        "comp cost. Exit status: 0 ok, 1 a data or settings error, 2 the plan fails its checks.",
    )
    from spmopt import __version__

    parser.add_argument("--version", action="version", version=f"spmopt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "validate",
        help="check a planning data set and its settings as spmopt plan will",
        description="Check the tables (columns, values, cross-table references), plan.yaml, "
        "targets.yaml and the scenario settings: everything spmopt plan checks before it "
        "runs. Problems are listed one per line and exit with status 1; suspicious data (all "
        "zero potential, reps without accounts, missing months, ...) is printed as warnings "
        "and exits with status 0.",
    )
    p.add_argument(
        "path",
        help="folder with accounts, reps, sales (.csv or .parquet), an .xlsx workbook, a "
        "database URL (duckdb:///plan.duckdb) or a source .yaml",
    )
    p.add_argument("--summary", action="store_true", help="print a summary of the data")
    p.add_argument(
        "--scenario", type=Path, help="scenario YAML file spmopt plan will be given (checked too)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario setting spmopt plan will be given, e.g. quota.over_assignment=0.15 "
        "(repeatable)",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "generate",
        help="write a seeded synthetic planning data set",
        description="Write accounts, reps, sales, plan.yaml and targets.yaml of a synthetic "
        "sales organisation. A folder that is not empty is refused unless --force.",
    )
    p.add_argument("out", help="output folder, .xlsx workbook or database URL")
    p.add_argument("--accounts", type=int, default=2_500, help="number of accounts (2500)")
    p.add_argument("--reps", type=int, default=40, help="number of reps and territories (40)")
    p.add_argument("--months", type=int, default=48, help="months of sales history (48)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0); equal seeds, equal data")
    p.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="table file format (csv)"
    )
    p.add_argument(
        "--example", action="store_true", help="regenerate data/example exactly (ignores sizes)"
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite a folder or file that already exists"
    )
    p.set_defaults(func=_cmd_generate)

    for name in _STAGE_CLIS:
        mod = _load_stage_cli(name)
        if mod is not None:
            mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0 ok, 1 a data or settings error (named
    on stderr, nothing written), 2 the plan fails its checks."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler = args.func
    try:
        return int(func(args) or 0)
    except SpmoptError as exc:
        print(f"spmopt {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
