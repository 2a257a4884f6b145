"""Run every benchmark in turn: ``python -m benchmarks.run_all [--quick]``.

Each area prints its own table with peers side by side; this runner only sequences them and
stops on the first failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

AREAS = ("data", "territory", "forecast", "quota", "comp", "batch")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute each)")
    parser.add_argument("--only", nargs="+", choices=AREAS, default=list(AREAS))
    args = parser.parse_args(argv)
    for area in args.only:
        cmd = [sys.executable, "-m", f"benchmarks.{area}"] + (["--quick"] if args.quick else [])
        print(f"\n# benchmarks.{area}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"# benchmarks.{area}: {time.perf_counter() - t0:.0f} s, exit {rc}", flush=True)
        if rc != 0:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
