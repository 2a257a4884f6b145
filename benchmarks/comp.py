"""Comp-cost Monte Carlo speed: spmopt's fused numba simulator against plain chunked numpy.

The case: a 3-tier single-measure plan (threshold 50%, 1x to 100%, 2x to 150%, 1x above, cap
2.5x TI), lognormal attainment (sd 0.25) with a 10% common shock, per-draw totals and per-rep
streamed statistics. Both implementations draw their own random numbers, pay every rep in every
draw and keep the same statistics; rep-draws per second count the whole simulation.

    python -m benchmarks.comp            # 1,000 reps x 100,000 draws (100M rep-draws)
    python -m benchmarks.comp --quick    # 200 reps x 50,000 draws (< 60 s)
"""

from __future__ import annotations

import argparse
import gc
import time

import numba
import numpy as np
import pandas as pd

from benchmarks.common import measure, print_table
from spmopt.comp import CompPlan, LogNormal, simulate

PLAN = CompPlan.from_dict(
    {
        "name": "3-tier",
        "roles": {
            "AE": {
                "base_salary": 85_000.0,
                "target_incentive": 85_000.0,
                "measures": [
                    {
                        "name": "revenue",
                        "weight": 1.0,
                        "threshold": 0.5,
                        "tiers": [
                            {"from": 0.0, "to": 1.0, "rate": 1.0},
                            {"from": 1.0, "to": 1.5, "rate": 2.0},
                            {"from": 1.5, "rate": 1.0},
                        ],
                        "cap": 2.5,
                    }
                ],
            }
        },
    }
)


def numpy_simulation(
    n_reps: int, n_draws: int, seed: int = 0, chunk: int = 100
) -> dict[str, float]:
    """The same simulation in plain numpy: float32 chunks of ``chunk`` reps, no temporaries
    beyond one chunk."""
    curve = PLAN.curve("AE")
    lo, c, m = curve.as_float32()
    cap = np.float32(curve.cap)
    ti = 85_000.0
    s = np.float32(np.sqrt(np.log1p(0.25**2)))
    rng = np.random.default_rng(seed)
    shock = np.exp(0.1 * rng.standard_normal(n_draws) - 0.005).astype(np.float32)
    total = np.zeros(n_draws)
    rep_sum = np.zeros(n_reps)
    rep_sum2 = np.zeros(n_reps)
    for r0 in range(0, n_reps, chunk):
        k = min(chunk, n_reps - r0)
        z = rng.standard_normal((n_draws, k), dtype=np.float32)
        a = np.exp(s * z - np.float32(0.5) * s * s) * shock[:, None]
        seg = np.searchsorted(lo, a, side="right") - 1
        f = np.minimum(c[seg] + m[seg] * (a - lo[seg]), cap)
        pay = f.astype(np.float64) * ti
        total += pay.sum(axis=1)
        rep_sum[r0 : r0 + k] = pay.sum(axis=0)
        rep_sum2[r0 : r0 + k] = (pay * pay).sum(axis=0)
    return {"expected": float(total.mean()), "p90": float(np.percentile(total, 90))}


def spmopt_simulation(n_reps: int, n_draws: int, seed: int = 0) -> dict[str, float]:
    q = pd.DataFrame({"rep_id": [f"R{i:05d}" for i in range(n_reps)], "quota": 1e6})
    sim = simulate(PLAN, q, LogNormal(1.0, 0.25, common_shock=0.10), n_draws=n_draws, seed=seed)
    return {
        "expected": float(sim.summary["expected_incentive"]),
        "p90": float(sim.summary["incentive_p90"]),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small size (< 60 s)")
    args = ap.parse_args(argv)
    n_reps, n_draws = (200, 50_000) if args.quick else (1_000, 100_000)
    total = n_reps * n_draws
    spmopt_simulation(50, 500)  # compile (cached on disk after the first run)
    rows = []
    results = {}
    for name, fn in (
        ("numpy, float32 chunks of 100 reps", lambda: numpy_simulation(n_reps, n_draws)),
        ("spmopt.comp.simulate (numba)", lambda: spmopt_simulation(n_reps, n_draws)),
    ):
        gc.collect()
        best = None
        cpu = float("inf")
        for _ in range(2):
            c0 = time.process_time()
            meas = measure(fn)
            cpu = min(cpu, time.process_time() - c0)
            best = meas if best is None or meas.seconds < best.seconds else best
        assert best is not None
        results[name] = best
        rows.append(
            {
                "implementation": name,
                "reps": n_reps,
                "draws": n_draws,
                "seconds": best.seconds,
                "M rep-draws/s": total / best.seconds / 1e6,
                "CPU s": cpu,
                "M rep-draws/CPU-s": total / cpu / 1e6,
                "peak MB": best.peak_mb,
                "E[cost]": best.value["expected"],
                "P90 cost": best.value["p90"],
            }
        )
    base = rows[0]["M rep-draws/s"]
    for r in rows:
        r["vs numpy"] = r["M rep-draws/s"] / base
    print_table(
        f"3-tier single-measure plan, {total / 1e6:.0f}M rep-draws "
        f"(numba threads: {numba.get_num_threads()})",
        rows,
    )
    # memory against n_draws: the rep x draw block is never built
    mem_rows = []
    for nd in (n_draws // 4, n_draws, 4 * n_draws):
        gc.collect()
        meas = measure(lambda nd=nd: spmopt_simulation(n_reps, nd))
        mem_rows.append(
            {
                "draws": nd,
                "rep-draws (M)": n_reps * nd / 1e6,
                "rep x draw float32 block (MB)": n_reps * nd * 4 / 2**20,
                "peak RSS (MB)": meas.peak_mb,
                "M rep-draws/s": n_reps * nd / meas.seconds / 1e6,
            }
        )
    print_table(f"spmopt memory against n_draws ({n_reps} reps)", mem_rows)
    print(
        "\nM rep-draws/CPU-s is the speed per busy core (robust to other load on the machine); "
        "wall-clock speed on 2 idle cores is at most twice that for the parallel kernel."
    )
    print(
        "per-draw company totals (a few floats per draw) are kept for exact percentiles; "
        "per-rep statistics are streamed; per-rep percentiles use the first 4,096 draws."
    )


if __name__ == "__main__":
    main()
