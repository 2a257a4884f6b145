"""Peer forecasts with statsforecast, run in the peer environment (``make bench-peers``).

``.venv-peers/bin/python benchmarks/forecast_peers.py IN.parquet OUT.parquet H [SEASON]``

Reads a long table ``unique_id, ds, y`` (monthly), fits AutoETS, AutoTheta and AutoARIMA with
their defaults (``season_length`` = SEASON, 12 by default) and writes ``unique_id, ds, model,
yhat, lo_80, hi_80, lo_95, hi_95`` with the peers' own 80/95 % intervals, plus
``OUT.parquet.json`` with the seconds each model took. This file imports no spmopt code: the
peer environment has pandas < 3, which statsforecast needs.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd


def main(argv: list[str]) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    src, dst, h = argv[0], argv[1], int(argv[2])
    season = int(argv[3]) if len(argv) > 3 else 12
    df = pd.read_parquet(src)
    df["ds"] = pd.to_datetime(df["ds"])
    frames = []
    seconds = {}
    for name, model in (
        ("AutoETS", AutoETS(season_length=season)),
        ("AutoTheta", AutoTheta(season_length=season)),
        ("AutoARIMA", AutoARIMA(season_length=season)),
    ):
        t0 = time.perf_counter()
        sf = StatsForecast(models=[model], freq="MS", n_jobs=1)
        out = sf.forecast(df=df, h=h, level=[80, 95])
        seconds[name] = time.perf_counter() - t0
        col = next(c for c in out.columns if c not in ("unique_id", "ds") and "-" not in c)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": out["unique_id"].astype(str),
                    "ds": out["ds"],
                    "model": name,
                    "yhat": out[col],
                    "lo_80": out[f"{col}-lo-80"],
                    "hi_80": out[f"{col}-hi-80"],
                    "lo_95": out[f"{col}-lo-95"],
                    "hi_95": out[f"{col}-hi-95"],
                }
            )
        )
        print(f"{name}: {seconds[name]:.1f} s", file=sys.stderr)
    pd.concat(frames, ignore_index=True).to_parquet(dst, index=False)
    with open(dst + ".json", "w") as fh:
        json.dump(seconds, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
