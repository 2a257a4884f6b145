"""Batch benchmark: 100 scenarios of the full planning cycle, from 1 to N Dask workers.

    python -m benchmarks.batch                  # 100 scenarios on the example, 1..cores workers
    python -m benchmarks.batch --quick          # 12 scenarios on a small synthetic set (< 60 s)
    python -m benchmarks.batch --workers 1,2,4,8,16

The sweep is 4 territory settings (balance tolerance) x 25 quota/comp what-ifs (over-assignment x
revenue shock): 4 alignments and 4 forecasts, each computed once and shared by its 25 scenarios,
and 100 quota solves and comp simulations (10,000 draws each).

Rows, side by side:

* ``loop over spm.scenario.run``: what a user writes without the batch runner, every scenario
  realigning and re-forecasting; timed on the first scenarios of the sweep and scaled to all
  (the row says from how many);
* ``run_batch, in process``: the same sharing as the Dask runs, without Dask (``n_workers=0``);
  the numerical libraries use their own threads here (numba, BLAS), so this row is not a
  one-core figure, while each Dask worker is held to one thread;
* ``run_batch, k workers``: an embedded LocalCluster of k single-threaded worker processes;
  ``start-up s`` is starting the cluster and warming each worker up (one tiny scenario: imports
  and first-call costs), ``batch s`` the batch itself; speed-up and parallel efficiency of the
  batch against 1 worker. This process is warmed up the same way before the first two rows.

Every run writes its results to a fresh run folder, as a real batch does. Figures depend on the
machine and its load: compare rows of one run only. ``--quick`` is a smoke run: its scenarios take
a fraction of a second each, so Dask's per-task latency, not the cores, sets its pace; the full
run (seconds of quota and comp work per scenario, 4 alignments of tens of seconds) is the
measurement.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import spmopt as spm
from benchmarks.common import print_table
from spmopt.scenario import Scenario, local_cluster, run, run_batch

TOLERANCES = (0.04, 0.05, 0.06, 0.08)
OVER_ASSIGNMENT = (0.0, 0.05, 0.10, 0.15, 0.20)
SHOCKS = (-0.10, -0.05, 0.0, 0.05, 0.10)


def sweep(data: str, quick: bool) -> list[Scenario]:
    """The scenarios: territory tolerance x over-assignment x revenue shock."""
    base = Scenario(
        name="bench",
        data=data,
        seed=0,
        forecast={"n_windows": 1},
        comp={"n_draws": 1_000 if quick else 10_000},
    )
    grid = {
        "territory.balance.potential": list(TOLERANCES[:2] if quick else TOLERANCES),
        "quota.over_assignment": list(OVER_ASSIGNMENT[:3] if quick else OVER_ASSIGNMENT),
        "comp.revenue_shock": list(SHOCKS[:2] if quick else SHOCKS),
    }
    return Scenario.grid(base, grid)


def _warm() -> None:
    """Run one tiny scenario in this process: imports every stage and pays the first-call costs
    (lazy imports, compiled kernels) that would otherwise land on the first real task."""
    tiny = spm.data.generate(60, 4, 24, seed=0)
    s = Scenario(forecast={"n_windows": 1}, comp={"n_draws": 200})
    run(s, data=tiny)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="12 scenarios on a small data set")
    ap.add_argument("--workers", help="comma-separated worker counts (default 1,2,4,.. cores)")
    ap.add_argument("--loop", type=int, default=None, help="scenarios timed for the plain loop")
    args = ap.parse_args()

    cores = os.cpu_count() or 1
    if args.workers:
        counts = [int(x) for x in args.workers.split(",")]
    else:
        counts = sorted({1, *[2**k for k in range(1, 8) if 2**k <= cores], cores})
    tmp = Path(tempfile.mkdtemp(prefix="spmopt-bench-batch-"))
    try:
        if args.quick:
            data_dir = tmp / "data"
            spm.data.generate(300, 8, 36, seed=1).write(data_dir)
            data = str(data_dir)
            label = "synthetic 300 accounts x 8 reps"
        else:
            data = "example"
            label = "example 2,500 accounts x 40 reps"
        scenarios = sweep(data, args.quick)
        n = len(scenarios)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{n} scenarios on {label}; {cores} cores (load average {load:.1f}); "
              f"workers {counts}")  # fmt: skip
        rows = []

        def timed(name: str, workers: int) -> tuple[float, float, int]:
            """Seconds to start the cluster (workers importing the stack), seconds of the
            batch, failures."""
            out = tmp / f"run-{name}"
            t0 = time.perf_counter()
            if workers == 0:
                start = 0.0
                b = run_batch(scenarios, out=out, n_workers=0, progress=False, keep_results=False)
            else:
                with local_cluster(workers) as client:
                    client.run(_warm)
                    start = time.perf_counter() - t0
                    b = run_batch(
                        scenarios, client=client, out=out, progress=False, keep_results=False
                    )
            sec = time.perf_counter() - t0 - start
            shutil.rmtree(out, ignore_errors=True)
            return start, sec, int((b.summary["status"] == "failed").sum())

        _warm()
        _, sec, failed = timed("serial", 0)
        rows.append(
            {
                "runner": "run_batch, in process",
                "workers": 1,
                "start-up s": 0.0,
                "batch s": sec,
                "scenarios/s": n / sec,
                "failed": failed,
            }
        )
        k = args.loop if args.loop is not None else (2 if args.quick else 3)
        if k > 0:
            t0 = time.perf_counter()
            for s in scenarios[:k]:
                run(s)
            per = (time.perf_counter() - t0) / k
            rows.insert(
                0,
                {
                    "runner": f"loop over spm.scenario.run (x{n / k:.0f} from {k})",
                    "workers": 1,
                    "start-up s": 0.0,
                    "batch s": per * n,
                    "scenarios/s": 1 / per,
                    "failed": 0,
                },
            )
        one = None
        for w in counts:
            start, sec, failed = timed(f"w{w}", w)
            if w == 1:
                one = sec
            speed = one / sec if one else None
            rows.append(
                {
                    "runner": f"run_batch, {w} worker{'s' if w > 1 else ''}",
                    "workers": w,
                    "start-up s": start,
                    "batch s": sec,
                    "scenarios/s": n / sec,
                    "speed-up": speed,
                    "efficiency": speed / w if speed else None,
                    "failed": failed,
                }
            )
            print(f"  {w} workers: start-up {start:.1f} s, batch {sec:.1f} s", flush=True)
        print_table(
            f"{n} planning scenarios, {label} (speed-up against 1 worker)",
            rows,
            [
                "runner",
                "workers",
                "start-up s",
                "batch s",
                "scenarios/s",
                "speed-up",
                "efficiency",
                "failed",
            ],
        )
        print(
            "\nLoad caveat: wall times on a shared machine; speed-up is bounded by the cores "
            "free during the run and by the shared alignments (4 tasks) at the start."
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
