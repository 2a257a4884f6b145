"""Draws of attainment: from a forecast's sample paths or a parametric distribution.

Attainment of a rep in a draw is the rep's revenue over the active months divided by the active
quota (sample paths), or drawn directly with a common company-wide shock (attainment
distributions); see :class:`AttainmentSource`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp import _kernels
from spmopt.comp.attainment import AttainmentDistribution, LogNormal, seed_key
from spmopt.comp.overrides import Overrides
from spmopt.comp.reps import RepInputs
from spmopt.errors import ConfigError, DataError

__all__ = ["AttainmentSource"]


class AttainmentSource:
    """Attainment of draws ``[d0, d0 + nd)`` for every rep, from one of three sources.

    ``kind`` is ``"parametric"`` (an attainment distribution drawn by the numba kernel, keyed
    by the seed and the draw index, so chunks are independent of how draws are split),
    ``"forecast"`` (a forecast's ``samples`` per chunk, seeded by ``(seed, chunk_no)``) or
    ``"paths"`` (given sample paths, sliced).
    """

    def __init__(self, forecast: Any, reps: RepInputs, seed: int, ov: Overrides) -> None:
        self.reps = reps
        self.seed = seed
        self.kind: str
        self.notes: dict[str, Any] = {}
        if forecast is None:
            forecast = LogNormal(mean=None, sd=0.25, common_shock=0.10)
            self.notes["attainment"] = (
                "default: lognormal, sd 0.25, common shock 10% (no forecast given)"
            )
        if isinstance(forecast, AttainmentDistribution):
            if ov.common_shock is not None:
                if hasattr(forecast, "common_shock"):
                    forecast = dataclasses.replace(
                        forecast,
                        common_shock=ov.common_shock,  # type: ignore[call-arg]
                    )
            self.kind = "parametric"
            self.params = forecast.kernel_params(list(reps.ids), reps.mean_att)
            self.notes.setdefault("attainment", repr(forecast))
            self.key = seed_key(seed)
        elif hasattr(forecast, "samples") and callable(forecast.samples):
            self.kind = "forecast"
            self.forecast = forecast
            self.notes["attainment"] = "forecast sample paths (level 'rep'), revenue / quota"
        elif hasattr(forecast, "values") and hasattr(forecast, "unique_id"):
            self.kind = "paths"
            self.paths = forecast
            self.notes["attainment"] = "given sample paths, revenue / quota"
        else:
            raise ConfigError(
                "forecast must be a ForecastResult, SamplePaths or an attainment distribution "
                "(spmopt.comp.Normal, LogNormal, Empirical, Mixture); got "
                f"{type(forecast).__name__}"
            )
        if self.kind != "parametric" and ov.common_shock is not None:
            raise ConfigError("override 'common_shock' applies to parametric attainment only")

    def n_available(self) -> int | None:
        if self.kind == "paths":
            return int(np.asarray(self.paths.values).shape[0])
        return None

    def _from_paths(self, paths: Any, d0: int, nd: int) -> NDArray[np.float32]:
        values = np.asarray(paths.values, dtype=np.float64)
        uid = [str(u) for u in np.asarray(paths.unique_id)]
        pos = {u: i for i, u in enumerate(uid)}
        missing = [r for r in self.reps.ids if r not in pos]
        if missing:
            raise DataError(
                "reps with a quota have no forecast sample paths",
                table="forecast",
                column="unique_id",
                rows=missing,
                fix="forecast at level 'rep' for every rep with a quota",
            )
        idx = np.array([pos[r] for r in self.reps.ids])
        v = values[d0 : d0 + nd][:, idx, :]
        h = v.shape[2]
        ds = getattr(paths, "ds", None)
        if ds is not None and len(ds) == h:
            month = pd.DatetimeIndex(ds).month.to_numpy() - 1
        else:
            month = np.arange(h) % 12
        mask = month[None, :] >= self.reps.first_month[:, None]
        rev = (v * mask[None, :, :]).sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            att = np.where(self.reps.quota > 0, rev / self.reps.quota, 0.0)
        return np.maximum(att, 0.0).astype(np.float32)

    def chunk(self, d0: int, nd: int, chunk_no: int) -> NDArray[np.float32]:
        if self.kind == "parametric":
            out = np.empty((nd, len(self.reps.ids)), dtype=np.float32)
            shock = np.empty(nd, dtype=np.float32)
            _kernels.gen_attainment(self.key, d0, *self.params, out, shock)  # type: ignore[call-arg]
            return out
        if self.kind == "paths":
            return self._from_paths(self.paths, d0, nd)
        sub = int(np.random.SeedSequence([self.seed, chunk_no]).generate_state(1)[0])
        paths = self.forecast.samples(nd, seed=sub, level="rep")
        return self._from_paths(paths, 0, nd)
