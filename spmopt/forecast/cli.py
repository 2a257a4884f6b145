"""spmopt forecast PATH --horizon 12 --out DIR: forecast and backtest a planning data set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``forecast`` command."""
    p = subparsers.add_parser(
        "forecast",
        help="forecast revenue per rep, district, region and total, with a backtest",
        description="Fit the revenue forecaster on a planning data folder (today's alignment, "
        "or --alignment) and write forecast.csv (reconciled monthly forecasts with intervals), "
        "forecast_annual.csv (totals over the horizon per series, intervals from sample paths), "
        "backtest.csv (accuracy by model and level), history.csv and notes.txt to --out, each "
        "atomically.",
    )
    p.add_argument("path", type=Path, help="planning data folder (accounts, reps, sales)")
    p.add_argument("--horizon", type=int, default=12, help="months to forecast (default 12)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--model", default="auto", help="auto (default) or a model name")
    p.add_argument(
        "--reconcile",
        default="mint_shrink",
        help="mint_shrink (default), mint_wls, mint_ols, bottom_up, top_down or none",
    )
    p.add_argument("--windows", type=int, default=3, help="backtest windows (0: no backtest)")
    p.add_argument(
        "--assignment",
        type=Path,
        default=None,
        help="assignment.csv (account_id, rep_id) or an output folder of spmopt plan or align "
        "(default: the accounts' current_territory)",
    )
    p.add_argument("--alignment", dest="assignment", type=Path, help="the same as --assignment")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample paths (0)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from spmopt.cli import read_alignment
    from spmopt.data import read_planning_data
    from spmopt.errors import ConfigError
    from spmopt.forecast.backtest import backtest
    from spmopt.forecast.forecaster import RevenueForecaster
    from spmopt.forecast.history import build_history
    from spmopt.formatting import money, table
    from spmopt.io_utils import atomic_write_frame, atomic_write_text

    if args.horizon < 1:
        raise ConfigError(f"--horizon {args.horizon}: forecast at least 1 month")
    data = read_planning_data(args.path)
    asg, alignment_source = read_alignment(args.assignment, data)
    print(f"alignment: {alignment_source}")
    history = build_history(data.sales, asg, data.reps)
    fc = RevenueForecaster(
        model=args.model, horizon=args.horizon, reconcile=args.reconcile, seed=args.seed
    )
    result = fc.fit(history).predict()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_frame(result.frame, out / "forecast.csv")
    atomic_write_frame(history, out / "history.csv")
    annual = pd.concat([result.annual(lv, seed=args.seed) for lv in result.levels])
    atomic_write_frame(annual, out / "forecast_annual.csv")
    notes = list(result.notes)
    if args.windows > 0:
        try:
            bt = backtest(fc, history, n_windows=args.windows)
        except ConfigError as exc:
            notes.append(f"backtest skipped: {exc}")
        else:
            atomic_write_frame(bt.table(), out / "backtest.csv")
            print(table(bt.table()))
    atomic_write_text(out / "notes.txt", "\n".join(notes) + ("\n" if notes else ""))
    total = result.frame[result.frame["level"] == "total"]
    print(
        f"{result!r}\nwrote {out / 'forecast.csv'}"
        + (f"; total over the horizon {money(total['yhat'].sum())}" if len(total) else ""),
        file=sys.stdout,
    )
    for n in notes:
        print(f"note: {n}")
    return 0
