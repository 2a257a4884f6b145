"""Quota setting benchmark: speed at 40 / 1,000 / 10,000 reps and the quality of each method
beside the historical baselines (last year x (1 + growth), Leone-Misra-Zimmerman ratchet).

    python -m benchmarks.quota            # example + 1,000 + 10,000 reps
    python -m benchmarks.quota --quick    # example + 1,000 reps (< 60 s)

Columns: fairness = spread of quota/potential across territories (coefficient of variation and
P90/P10; lower is fairer); expected share of reps at or above quota (from revenue draws);
over-assignment realised (territory quotas) and carried by reps (after new-hire relief); largest
deviation from the blend's fair share; wall seconds and peak memory of the solve; relative gap
and objective - bound (above 500 territories the bound is the LP relaxation's: for pure
round-off it is 0, so the relative gap reads 1 while objective - bound stays tiny).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

import spmopt as spm
from benchmarks.common import measure, print_table
from spmopt.quota import QuotaSetter, compare


def synthetic(n: int, seed: int = 0) -> dict[str, object]:
    """``n`` territories (one account each), potential, two years of history, a forecast table."""
    rng = np.random.default_rng(seed)
    pot = rng.lognormal(np.log(5e6), 0.8, n).round(-2)
    share = rng.beta(2, 6, n)
    ly = pot * share * rng.lognormal(0, 0.1, n)
    prior = ly / rng.lognormal(0.06, 0.1, n)
    fc = ly * rng.lognormal(0.05, 0.08, n)
    tid = np.array([f"T{i:05d}" for i in range(n)])
    rid = np.array([f"R{i:05d}" for i in range(n)])
    regions = np.array([f"Region {i % 8}" for i in range(n)])
    hire = pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 13 * 365, n), "D")
    accounts = pd.DataFrame({"account_id": tid, "potential": pot})
    reps = pd.DataFrame(
        {
            "rep_id": rid,
            "territory_id": tid,
            "region": regions,
            "district": regions,
            "role": np.where(rng.random(n) < 0.3, "Enterprise AE", "AE"),
            "hire_date": hire,
        }
    )
    season = spm.data.synthetic.SEASONAL_PROFILE / 12
    months = pd.date_range("2025-01-01", periods=24, freq="MS")
    rev = np.concatenate([np.outer(prior, season), np.outer(ly, season)], axis=1)
    sales = pd.DataFrame(
        {
            "account_id": np.repeat(tid, 24),
            "period": np.tile(months, n),
            "revenue": rev.ravel(),
        }
    )
    ym = np.outer(fc, season)
    ds = pd.date_range("2027-01-01", periods=12, freq="MS")
    forecast = pd.DataFrame(
        {
            "unique_id": np.repeat(rid, 12),
            "ds": np.tile(ds, n),
            "level": "rep",
            "yhat": ym.ravel(),
            "yhat_lo_80": (ym * 0.75).ravel(),
            "yhat_hi_80": (ym * 1.3).ravel(),
        }
    )
    targets = spm.PlanningTargets(plan_year=2027, company_revenue_target=float(fc.sum() * 1.02))
    alignment = pd.DataFrame({"account_id": tid, "territory_id": tid, "rep_id": rid})
    return {
        "alignment": alignment,
        "forecast": forecast,
        "kw": {"accounts": accounts, "reps": reps, "sales": sales, "targets": targets},
    }


def example() -> dict[str, object]:
    data = spm.load_example()
    asg = spm.quota.current_assignment(data.accounts, data.reps)
    try:
        from spmopt.forecast import RevenueForecaster, build_history

        fc = RevenueForecaster(horizon=12).fit(build_history(data.sales, asg, data.reps)).predict()
    except ImportError:  # pragma: no cover - forecast stage absent
        raise SystemExit("spmopt.forecast is needed for the example row") from None
    return {
        "alignment": asg,
        "forecast": fc,
        "kw": {
            "accounts": data.accounts,
            "reps": data.reps,
            "sales": data.sales,
            "targets": data.targets,
        },
    }


def run_case(label: str, case: dict[str, object], n_draws: int, attainment: bool) -> list[dict]:
    rows: list[dict] = []
    results = {}
    methods: list[tuple[str, dict]] = [
        ("blend", {"method": "blend"}),
        ("potential", {"method": "potential"}),
        ("forecast", {"method": "forecast"}),
        ("history", {"method": "history"}),
    ]
    if attainment:
        methods.append(
            (
                "blend, target 60% at quota",
                {"method": "blend", "target_attainment": 0.6, "attainment_levels": (0.3, 0.6, 0.9)},
            )
        )
    info: dict[str, tuple[float, float, str, float | None, float | None]] = {}
    for name, kw in methods:
        qs = QuotaSetter(n_draws=n_draws, **kw)
        m = measure(
            lambda qs=qs: qs.solve(case["alignment"], forecast=case["forecast"], **case["kw"])  # type: ignore[arg-type]
        )
        res = m.value
        results[name] = res
        info[name] = (
            m.seconds,
            m.peak_mb,
            res.status,
            res.metrics.get("gap"),
            res.metrics.get("bound_excess"),
        )
    table = compare(results)
    n = results["blend"].metrics["n_territories"]
    for name, row in table.iterrows():
        sec, mb, status, gap, excess = info.get(
            str(name), (float("nan"), float("nan"), "baseline", None, None)
        )
        rows.append(
            {
                "case": label,
                "reps": n,
                "method": name,
                "status": status,
                "seconds": sec,
                "peak MB": mb,
                "q/pot cv": row["quota_potential_cv"],
                "q/pot P90/P10": row["quota_potential_p90_p10"],
                "E share at quota": row["expected_share_at_quota"],
                "reps <50%": row["share_below_50"],
                "over-assign": row["over_assignment"],
                "carried OA": row["carried_over_assignment"],
                "max dev fair": row["max_fair_deviation"],
                "gap": gap,
                "obj-bound": excess,
            }
        )
    base = {r["method"]: r for r in rows}
    for r in rows:
        r["cv / LY-growth cv"] = r["q/pot cv"] / base["last_year_growth"]["q/pot cv"]
    return rows


def backends(n: int) -> list[dict]:
    """The same model through pyomo and highspy (MIP), and the LP rounding used at scale."""
    case = synthetic(n, seed=1)
    rows = []
    for label, kw in (
        ("MIP via highspy arrays", {"integer_method": "mip", "backend": "highspy"}),
        ("MIP via pyomo", {"integer_method": "mip", "backend": "pyomo"}),
        ("LP + hierarchical rounding", {"integer_method": "lp_round"}),
    ):
        qs = QuotaSetter(n_draws=0, growth_floor=0.0, **kw)
        m = measure(
            lambda qs=qs: qs.solve(case["alignment"], forecast=case["forecast"], **case["kw"])  # type: ignore[arg-type]
        )
        res = m.value
        rows.append(
            {
                "reps": n,
                "solver path": label,
                "seconds (all)": m.seconds,
                "solve s": res.metrics.get("solve_seconds"),
                "objective": res.metrics.get("objective"),
                "bound": res.metrics.get("bound"),
                "gap": res.metrics.get("gap"),
                "obj-bound": res.metrics.get("bound_excess"),
                "status": res.status,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="example + 1,000 reps only")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = run_case("example", example(), 1000, attainment=True)
    rows += run_case("synthetic", synthetic(1_000), 500, attainment=True)
    if not args.quick:
        rows += run_case("synthetic", synthetic(10_000), 200, attainment=True)
    cols = [
        "case",
        "reps",
        "method",
        "status",
        "seconds",
        "peak MB",
        "q/pot cv",
        "cv / LY-growth cv",
        "q/pot P90/P10",
        "E share at quota",
        "reps <50%",
        "over-assign",
        "carried OA",
        "max dev fair",
        "gap",
        "obj-bound",
    ]
    print_table("Quota methods vs historical baselines (last_year_growth, ratchet)", rows, cols)
    print_table(
        "Solver paths, same model (blend, growth floor 0, no draws)",
        backends(300 if args.quick else 1_000),
    )
    print(
        "\nNotes: baselines are scored on the blend run's inputs; 'carried OA' is over-assignment "
        "after new-hire/ramp relief held at territory level; draws: 1,000 (example), 500 "
        "(1,000 reps), 200 (10,000 reps). QuotaSetter proves the MIP up to 500 territories and "
        "rounds the LP above (integer_method='auto'); the 60% target is exact on the example and "
        "the protect-and-resolve heuristic at 1,000 and 10,000 reps (no bound). Timings on a "
        "shared machine are upper bounds."
    )


if __name__ == "__main__":
    main()
