"""spmopt simulate: the comp-cost simulation of a planning data folder.

Attainment comes from the revenue forecast of the alignment the quotas were set for (joint
sample paths of spmopt.forecast.RevenueForecaster), built for that alignment, unless
--attainment picks a parametric distribution. The alignment is --alignment (an assignment.csv
or an output folder of spmopt plan or align), else the folder of --quotas when it holds an
assignment.csv, else today's (accounts.current_territory). Quotas whose reps or territories do
not match the alignment are refused.

Quotas come from --quotas (a table rep_id, quota[, territory_id, period, forecast], or an output
folder with quotas.csv), else from spmopt.quota.QuotaSetter on the alignment and the folder's
targets, else (when the quota stage cannot run) from the documented fallback: each rep's quota
is the company revenue target times 1 + over_assignment, split in proportion to the last twelve
months of revenue of the rep's current territory. The sources used are printed and written to
assumptions.csv. A comp check (CCOS band, margin floor) that fails is named on its own line;
with --strict the exit status is then 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["fallback_quotas", "register"]


def fallback_quotas(data: Any) -> Any:
    """Quotas without the quota stage: target x (1 + over-assignment) split by last-12-month
    revenue of each rep's current territory (a rep with no history gets the mean share).

    Returns
    -------
    DataFrame
        ``rep_id, territory_id, quota, forecast`` (forecast = last twelve months' revenue).
    """
    import numpy as np
    import pandas as pd

    from spmopt.errors import DataError

    targets = data.targets
    if targets is None:
        raise DataError(
            "no targets.yaml: the fallback quotas need the company revenue target",
            table="targets",
            fix="add targets.yaml or pass --quotas",
        )
    sales, accounts, reps = data.sales, data.accounts, data.reps
    end = pd.to_datetime(sales["period"]).max()
    last = sales[pd.to_datetime(sales["period"]) > end - pd.DateOffset(months=12)]
    terr = (
        accounts.set_index("account_id")["current_territory"]
        if ("current_territory" in accounts)
        else None
    )
    if terr is not None:
        by_terr = last.groupby(last["account_id"].map(terr))["revenue"].sum()
        hist = reps["territory_id"].astype(str).map(by_terr).to_numpy(float)
    elif "rep_id" in last:
        hist = reps["rep_id"].map(last.groupby("rep_id")["revenue"].sum()).to_numpy(float)
    else:
        hist = np.full(len(reps), np.nan)
    hist = np.where(np.isfinite(hist) & (hist > 0), hist, np.nan)
    fill = np.nanmean(hist) if np.isfinite(hist).any() else 1.0
    hist = np.where(np.isfinite(hist), hist, fill)
    total = float(targets.company_revenue_target) * (1.0 + float(targets.over_assignment))
    return pd.DataFrame(
        {
            "rep_id": reps["rep_id"].astype(str).to_numpy(),
            "territory_id": reps["territory_id"].astype(str).to_numpy(),
            "quota": np.round(total * hist / hist.sum(), -3),
            "forecast": hist,
        }
    )


def _parse_override(items: list[str]) -> dict[str, Any]:
    import yaml

    from spmopt.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(
                f"--override {item!r}: write KEY=VALUE, e.g. revenue_change=-0.1, "
                "accelerator=1.5, reps_at={share: 0.8, attainment: 1.2}"
            )
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def _run_settings(folder: Path | None) -> dict[str, Any]:
    """Forecast, draws and seed of the spmopt plan run whose output folder is ``folder``
    (from its scenario.yaml), so that simulate repeats the plan's numbers; empty otherwise."""
    if folder is None or not (folder / "scenario.yaml").is_file():
        return {}
    from spmopt.scenario.config import Scenario

    s = Scenario.from_yaml(folder / "scenario.yaml")
    f = s.forecast
    return {
        "forecast": dict(
            model=f.model, horizon=f.horizon, levels=tuple(f.levels), **dict(f.options)
        ),
        "draws": s.comp.n_draws,
        "seed": s.seed,
        "scenario": str(folder / "scenario.yaml"),
    }


def _handler(args: argparse.Namespace) -> int:
    import pandas as pd

    import spmopt as spm
    from spmopt.cli import (
        check_alignment_ids,
        check_quota_forecast,
        failing_checks,
        read_alignment,
        read_quota_table,
    )
    from spmopt.comp import CompPlan, Empirical, LogNormal, Normal, simulate
    from spmopt.errors import ConfigError
    from spmopt.formatting import table
    from spmopt.io_utils import atomic_dir, atomic_write_frame

    data = spm.read_planning_data(args.path)
    if args.plan is not None:
        plan = CompPlan.from_yaml(args.plan)
    elif data.plan is not None:
        plan = CompPlan.from_dict(data.plan, source=str(Path(args.path) / "plan.yaml"))
    else:
        raise ConfigError(f"{args.path}: no plan.yaml; pass --plan PATH")
    quotas: Any = None
    quota_path: Path | None = None
    if args.quotas is not None:
        quotas, quota_path = read_quota_table(args.quotas)
    alignment_arg = args.alignment
    if alignment_arg is None and quota_path is not None:
        if (quota_path.parent / "assignment.csv").is_file():
            alignment_arg = quota_path.parent  # the alignment the quotas were set for
    asg, alignment_source = read_alignment(alignment_arg, data)
    run = _run_settings(Path(alignment_arg) if alignment_arg is not None else None)
    if run and not Path(alignment_arg).is_dir():
        run = {}
    seed = args.seed if args.seed is not None else run.get("seed", 0)
    draws = args.draws if args.draws is not None else run.get("draws", 10_000)
    if quotas is not None:
        check_alignment_ids(quotas, asg, data.reps, "quotas")
    forecast: Any = None
    forecast_note = ""
    if args.attainment == "forecast":
        try:
            from spmopt.forecast import RevenueForecaster, build_history

            settings = run.get("forecast", {"horizon": 12})
            history = build_history(data.sales, asg, data.reps)
            forecast = RevenueForecaster(**settings, seed=seed).fit(history).predict()
            forecast_note = (
                "spmopt.forecast.RevenueForecaster sample paths for the alignment "
                + alignment_source
            )
            if run:
                forecast_note += f" (settings of {run['scenario']})"
        except ImportError as exc:
            forecast_note = f"lognormal (spmopt.forecast unavailable: {exc})"
    if quotas is not None and forecast is not None:
        check_quota_forecast(quotas, forecast, alignment_source)
    if quotas is not None:
        quota_source = f"table {quota_path}"
    else:
        try:
            from spmopt.quota import QuotaSetter

            quotas = QuotaSetter().solve(
                asg,
                forecast=forecast,
                accounts=data.accounts,
                reps=data.reps,
                sales=data.sales,
                targets=data.targets,
            )
            if getattr(quotas, "status", "optimal") not in ("optimal", "feasible", "time_limit"):
                raise RuntimeError(getattr(quotas, "diagnosis", "quota model failed"))
            quota_source = f"spmopt.quota.QuotaSetter on the alignment {alignment_source}"
        except (ImportError, AttributeError, RuntimeError) as exc:
            quotas = fallback_quotas(data)
            quota_source = (
                "fallback: target x (1 + over-assignment) split by last-12-month territory "
                f"revenue ({type(exc).__name__}: {exc})"
            )
    print(f"alignment: {alignment_source}")
    print(f"quotas: {quota_source}")
    if quota_path is not None and alignment_arg is None and "forecast" not in quotas:
        print(
            "note: the quota table carries no forecast column, so nothing shows which alignment "
            "it was set for; pass --alignment if not today's",
            file=sys.stderr,
        )
    if forecast is not None:
        dist: Any = forecast
    elif args.attainment == "history":
        dist = Empirical.from_history(
            data.sales, by="rep_id", common_shock=args.common_shock, mean=None
        )
    elif args.attainment == "normal":
        dist = Normal(mean=None, sd=args.sd, common_shock=args.common_shock)
    else:
        dist = LogNormal(mean=None, sd=args.sd, common_shock=args.common_shock)
    sim = simulate(
        plan,
        quotas,
        dist,
        n_draws=draws,
        seed=seed,
        reps=data.reps,
        targets=data.targets,
        overrides=_parse_override(args.override or []),
    )
    if forecast_note:
        print(f"attainment: {forecast_note}")
    print(sim)
    assumptions = {
        "alignment": alignment_source,
        "quotas": quota_source,
        **{k: str(v) for k, v in sim.assumptions.items()},
    }
    if forecast_note:
        assumptions["attainment_source"] = forecast_note
    with atomic_dir(args.out) as tmp:
        atomic_write_frame(
            sim.summary.rename("value").rename_axis("metric").reset_index(), tmp / "summary.csv"
        )
        atomic_write_frame(sim.per_rep, tmp / "per_rep.csv")
        atomic_write_frame(sim.checks, tmp / "checks.csv")
        atomic_write_frame(sim.draws, tmp / "draws.csv")
        atomic_write_frame(
            pd.DataFrame({"key": list(assumptions), "value": list(assumptions.values())}),
            tmp / "assumptions.csv",
        )
    if args.per_rep:
        print(table(sim.per_rep))
    print(f"wrote summary.csv, per_rep.csv, checks.csv, draws.csv, assumptions.csv to {args.out}")
    failing = failing_checks(sim.checks)
    if failing:
        print(f"spmopt simulate: {len(failing)} comp check(s) fail:", file=sys.stderr)
        for line in failing:
            print(f"  {line}", file=sys.stderr)
    return 2 if failing and args.strict else 0


def register(subparsers: Any) -> None:
    """Add ``spmopt simulate`` to the command line."""
    p = subparsers.add_parser(
        "simulate",
        help="Monte Carlo cost of the incentive plan against the CCOS band and margin floor",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, help="planning data folder (accounts, reps, sales, ...)")
    p.add_argument("--plan", type=Path, default=None, help="plan YAML (default PATH/plan.yaml)")
    p.add_argument(
        "--quotas",
        type=Path,
        default=None,
        help="quota table (CSV or Parquet) or an output folder of spmopt plan or quota "
        "(default: set quotas with spmopt.quota on the alignment)",
    )
    p.add_argument(
        "--alignment",
        type=Path,
        default=None,
        help="assignment.csv or an output folder of spmopt plan or align (default: the folder "
        "of --quotas when it holds assignment.csv, else today's alignment)",
    )
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        help="Monte Carlo draws (default: the plan run's, else 10000)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the forecast and the draws (default: the plan run's, else 0)",
    )
    p.add_argument(
        "--attainment",
        choices=("forecast", "lognormal", "normal", "history"),
        default="forecast",
        help="where attainment comes from: the revenue forecast's joint sample paths "
        "(default; lognormal when spmopt.forecast is unavailable), a moment-matched lognormal "
        "or normal around the quotas' forecast / quota (--sd, --common-shock), or a bootstrap "
        "of historical relative attainment",
    )
    p.add_argument("--sd", type=float, default=0.25, help="attainment sd (0.25)")
    p.add_argument("--common-shock", type=float, default=0.10, help="company-wide shock sd (0.10)")
    p.add_argument(
        "--override",
        action="append",
        metavar="KEY=VALUE",
        help="what-if, repeatable: revenue_change=-0.1, accelerator=1.5, "
        "'reps_at={share: 0.8, attainment: 1.2}', target_incentive_change=0.05",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (written atomically)")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 2 when a comp check fails"
    )
    p.add_argument(
        "--per-rep", action="store_true", help="print the per-rep table (always in per_rep.csv)"
    )
    p.set_defaults(func=_handler)
