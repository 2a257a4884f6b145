"""spmopt align PATH --out DIR: realign a planning data folder's territories."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def _parse_balance(items: list[str] | None) -> dict[str, float]:
    from spmopt.errors import ConfigError

    if not items:
        return {"potential": 0.05}
    out = {}
    for it in items:
        name, _, tol = it.partition("=")
        try:
            out[name.strip()] = float(tol)
        except ValueError as exc:
            raise ConfigError(
                f"--balance {it!r}: write ATTRIBUTE=TOLERANCE, e.g. potential=0.05"
            ) from exc
    return out


def _cmd_align(args: argparse.Namespace) -> int:
    import pandas as pd

    from spmopt.data import read_planning_data
    from spmopt.formatting import format_value, table
    from spmopt.io_utils import atomic_write_frame, atomic_write_text
    from spmopt.solver import SolverOptions
    from spmopt.territory import TerritoryAligner

    data = read_planning_data(args.path)
    aligner = TerritoryAligner(
        _parse_balance(args.balance),
        max_disruption=args.max_disruption,
        within=args.within,
        solver=SolverOptions(time_limit=args.time_limit, mip_rel_gap=args.gap, seed=args.seed),
        seed=args.seed,
        effort=args.effort,
    )
    res = aligner.solve(data.accounts, data.reps)
    out = Path(args.out)
    # a result of an earlier run in the same folder must not pass for this one's
    stale = ["compromise_assignment.csv", "compromise_summary.csv", "violations.csv"]
    if not res.feasible:
        stale = ["assignment.csv", "summary.csv", "districts.csv", "district_summary.csv"]
    for name in [*stale, "diagnosis.txt"]:
        (out / name).unlink(missing_ok=True)
    if res.feasible:
        atomic_write_frame(res.assignment, out / "assignment.csv")
        atomic_write_frame(res.summary, out / "summary.csv")
    else:
        # the best compromise, under names that say what it is
        atomic_write_frame(res.assignment, out / "compromise_assignment.csv")
        atomic_write_frame(res.summary, out / "compromise_summary.csv")
        atomic_write_frame(res.violations, out / "violations.csv")
    metrics = pd.Series(res.metrics, dtype=object)
    atomic_write_frame(metrics.rename_axis("metric").reset_index(name="value"), out / "metrics.csv")
    if res.diagnosis:
        atomic_write_text(out / "diagnosis.txt", res.diagnosis + "\n")
    print(repr(res))
    keep = ("territory_id", "rep_id", "n_accounts", "potential", "workload", "mean_distance_km")
    cols = [c for c in res.summary.columns if c in keep or c.endswith("_deviation")]
    print(table(res.summary[cols]))
    print()
    for k, v in res.metrics.items():
        print(f"{k:>34}: {format_value(v, k)}")
    if res.diagnosis:
        print("\ndiagnosis:\n" + res.diagnosis)
    written = "assignment.csv, summary.csv, metrics.csv"
    if not res.feasible:
        written = (
            "compromise_assignment.csv, compromise_summary.csv, violations.csv, metrics.csv, "
            "diagnosis.txt (the best compromise: the bands cannot all be met; no "
            "assignment.csv)"
        )
    ok = res.feasible
    if args.districts and res.feasible:
        from spmopt.territory import build_districts

        plan = build_districts(
            res,
            data.accounts,
            data.reps,
            args.districts,
            balance={"potential": args.district_tolerance},
            within=args.district_within,
            seed=args.seed,
        )
        atomic_write_frame(plan.districts, out / "districts.csv")
        atomic_write_frame(plan.summary, out / "district_summary.csv")
        print(f"\n{plan!r}")
        print(table(plan.summary))
        if plan.diagnosis:
            print("\ndistricts diagnosis:\n" + plan.diagnosis)
        written += ", districts.csv, district_summary.csv"
        ok = ok and plan.status in ("optimal", "feasible", "time_limit")
    print(f"\nwrote {written} to {out}")
    return 0 if ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``align`` to the ``spmopt`` command line."""
    p = subparsers.add_parser(
        "align",
        help="redraw territories: balanced, compact, limited disruption",
        description="Realign the accounts of a planning data folder to its reps' territories "
        "and write assignment.csv, summary.csv and metrics.csv. When the settings are "
        "infeasible, exit status 1 and only the best compromise is written, under names that "
        "say so (compromise_assignment.csv, compromise_summary.csv, violations.csv, "
        "diagnosis.txt); no assignment.csv or summary.csv is left in --out.",
    )
    p.add_argument("path", type=Path, help="planning data folder (accounts, reps, ...)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--balance",
        action="append",
        metavar="ATTR=TOL",
        help="balance attribute and tolerance (repeatable); default potential=0.05",
    )
    p.add_argument(
        "--max-disruption",
        type=float,
        default=None,
        help="most potential that may change territory, as a share, e.g. 0.15 (default: no cap)",
    )
    p.add_argument("--within", default=None, help="reps column to align within (region, ...)")
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="wall-clock safety cap in seconds (default 60); the work budget decides first",
    )
    p.add_argument(
        "--effort",
        type=float,
        default=1.0,
        help="multiply the solver's work budget (default 1; 2 searches twice as long)",
    )
    p.add_argument("--gap", type=float, default=0.01, help="relative gap to stop at")
    p.add_argument("--seed", type=int, default=0, help="seed of the neighbourhood order")
    p.add_argument(
        "--districts",
        type=int,
        default=None,
        metavar="N",
        help="also group the new territories into N districts (districts.csv)",
    )
    p.add_argument(
        "--district-tolerance",
        type=float,
        default=0.10,
        help="districts' potential band around their mean, as a share (default 0.10)",
    )
    p.add_argument(
        "--district-within", default=None, help="reps column districts must not cross (region)"
    )
    p.set_defaults(func=_cmd_align)
