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

__all__ = ["build_parser", "main"]

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
