"""spmopt quota PATH --out DIR: set quotas on a planning data folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``quota`` command."""
    p = subparsers.add_parser(
        "quota",
        help="set fair, achievable quotas that roll up to the company target",
        description="Set annual and per-period quotas on a planning data folder (accounts, reps, "
        "sales, targets.yaml) for an alignment (--alignment: an assignment.csv or an output "
        "folder of spmopt plan or align; default today's) and a forecast of that alignment "
        "(--forecast CSV, else fitted with spmopt.forecast on the alignment). A forecast whose "
        "reps do not match the alignment is refused. Writes quotas.csv, annual.csv, compare.csv "
        "(methods vs historical baselines), metrics.json and notes.txt to --out, each "
        "atomically; on infeasibility writes conflicts.csv and notes.txt only and exits 1.",
    )
    p.add_argument("path", type=Path, help="planning data folder")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--alignment",
        type=Path,
        default=None,
        help="assignment.csv (account_id, territory_id, rep_id) or an output folder of spmopt "
        "plan or align (default: accounts' current_territory)",
    )
    p.add_argument(
        "--forecast",
        type=Path,
        default=None,
        help="forecast CSV of the same alignment (unique_id, ds, level, yhat, yhat_lo_80, ...); "
        "default: fit one on the alignment",
    )
    p.add_argument(
        "--method", default="blend", help="blend (default), potential, forecast or history"
    )
    p.add_argument(
        "--target", type=float, default=None, help="company target (default: targets.yaml)"
    )
    p.add_argument(
        "--over-assignment",
        type=float,
        default=None,
        help="quotas above the target, as a share, e.g. 0.10 (default: targets.yaml)",
    )
    p.add_argument("--increment", type=float, default=1000.0, help="quota increment (1000)")
    p.add_argument(
        "--period",
        default="month",
        choices=("month", "quarter", "year"),
        help="period of the quota rows (month)",
    )
    p.add_argument(
        "--growth-floor", type=float, default=None, help="least growth vs last year, e.g. 0.0"
    )
    p.add_argument(
        "--growth-cap", type=float, default=None, help="most growth vs last year, e.g. 0.5"
    )
    p.add_argument(
        "--forecast-floor", type=float, default=None, help="least quota vs forecast, e.g. -0.1"
    )
    p.add_argument(
        "--forecast-cap", type=float, default=None, help="most quota vs forecast, e.g. 0.3"
    )
    p.add_argument(
        "--potential-cap",
        type=float,
        default=None,
        help="most quota as a share of potential, e.g. 0.6",
    )
    p.add_argument(
        "--relief",
        default="hold",
        choices=("hold", "redistribute"),
        help="quota of vacant months: hold it back (default) or redistribute it to the team",
    )
    p.add_argument("--ramp", type=int, default=12, help="months for a new hire to ramp (12)")
    p.add_argument(
        "--target-attainment",
        type=float,
        default=None,
        help="require this expected share of reps at/above quota, e.g. 0.6",
    )
    p.add_argument("--draws", type=int, default=1000, help="revenue draws (1000)")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (60)")
    p.add_argument("--seed", type=int, default=0, help="seed of the forecast and the draws (0)")
    p.set_defaults(func=_run)


def _forecast(args: argparse.Namespace, data: Any, asg: Any) -> Any:
    import importlib.util

    import pandas as pd

    from spmopt.errors import ConfigError

    if args.forecast is not None:
        from spmopt.cli import check_alignment_ids

        frame = pd.read_csv(args.forecast, parse_dates=["ds"], dtype={"unique_id": str})
        check_alignment_ids(frame, asg, data.reps, "forecast")
        return frame
    if importlib.util.find_spec("spmopt.forecast") is None:  # pragma: no cover
        raise ConfigError("no --forecast given and spmopt.forecast is not installed")
    import spmopt.forecast as fmod

    if not hasattr(fmod, "RevenueForecaster") or not hasattr(fmod, "build_history"):
        raise ConfigError(
            "no --forecast given and spmopt.forecast cannot forecast in this version: run "
            "`spmopt forecast PATH --out DIR` elsewhere and pass --forecast DIR/forecast.csv"
        )
    last = pd.to_datetime(data.sales["period"]).max()
    year = data.targets.plan_year if data.targets is not None else last.year + 1
    horizon = year * 12 + 12 - (last.year * 12 + last.month)
    if horizon < 12:
        raise ConfigError(
            f"the sales history reaches {last:%Y-%m}, inside the plan year {year}: pass a "
            "--forecast covering the twelve months of the plan year"
        )
    history = fmod.build_history(data.sales, asg, data.reps)
    return fmod.RevenueForecaster(horizon=horizon, seed=args.seed).fit(history).predict()


def _run(args: argparse.Namespace) -> int:
    import json

    import numpy as np
    import pandas as pd

    from spmopt.cli import read_alignment
    from spmopt.data import read_planning_data
    from spmopt.errors import InfeasibleError
    from spmopt.formatting import table
    from spmopt.io_utils import atomic_write_frame, atomic_write_text
    from spmopt.quota import QuotaSetter
    from spmopt.solver import SolverOptions

    data = read_planning_data(args.path)
    asg, alignment_source = read_alignment(args.alignment, data)
    print(f"alignment: {alignment_source}")
    forecast = _forecast(args, data, asg)
    setter = QuotaSetter(
        company_target=args.target,
        over_assignment=args.over_assignment,
        method=args.method,
        increment=args.increment,
        period=args.period,
        growth_floor=args.growth_floor,
        growth_cap=args.growth_cap,
        potential_cap=args.potential_cap,
        forecast_floor=args.forecast_floor,
        forecast_cap=args.forecast_cap,
        relief=args.relief,
        ramp=args.ramp,
        target_attainment=args.target_attainment,
        n_draws=args.draws,
        seed=args.seed,
        solver=SolverOptions(time_limit=args.time_limit, seed=args.seed),
    )
    res = setter.solve(
        asg,
        forecast=forecast,
        accounts=data.accounts,
        reps=data.reps,
        sales=data.sales,
        targets=data.targets,
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "notes.txt", "\n".join(res.notes) + ("\n" if res.notes else ""))
    if not res.ok:
        for stale in ("quotas.csv", "annual.csv", "compare.csv", "metrics.json"):
            (out / stale).unlink(missing_ok=True)  # a result of an earlier run is no result
        if len(res.conflicts):
            atomic_write_frame(res.conflicts, out / "conflicts.csv")
        raise InfeasibleError(f"no quotas: {res.diagnosis}", diagnosis=res.conflicts)
    q = res.quotas.assign(period=pd.to_datetime(res.quotas["period"]).dt.strftime("%Y-%m-%d"))
    atomic_write_frame(q, out / "quotas.csv")
    atomic_write_frame(res.annual, out / "annual.csv")
    cmp = res.compare().reset_index()
    atomic_write_frame(cmp, out / "compare.csv")

    def clean(v: Any) -> Any:
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            return None
        return v

    atomic_write_text(
        out / "metrics.json",
        json.dumps({k: clean(v) for k, v in res.metrics.items()}, indent=2) + "\n",
    )
    print(repr(res))
    print(table(cmp))
    for n in res.notes:
        print(f"note: {n}")
    print(f"wrote quotas.csv, annual.csv, compare.csv, metrics.json, notes.txt to {out}")
    return 0
