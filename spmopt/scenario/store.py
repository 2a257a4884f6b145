"""The run folder: one Parquet file per result table per scenario, and a manifest.

Layout::

    run/
      manifest.json            what ran: per scenario its settings key, status, error, seconds
      summary.parquet          one row per finished scenario
      scenarios/<name>/        one folder per finished scenario
        scenario.yaml          its settings
        notes.json             timings and notes
        <table>.parquet        summary, assignment, territories, forecast, quotas, ...

Every file and scenario folder is written aside and renamed into place, so an interrupted run
leaves only complete results behind, and a re-run resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spmopt.errors import ConfigError
from spmopt.io_utils import atomic_dir, atomic_write_frame, atomic_write_text
from spmopt.scenario.config import Scenario

__all__ = ["FORMAT", "RunStore", "StoredResult"]

FORMAT = "spmopt-run/1"


@dataclass(frozen=True, repr=False)
class StoredResult:
    """A finished scenario read back from a run folder: its settings and result tables."""

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables.get("summary", pd.DataFrame())

    def __repr__(self) -> str:
        return f"StoredResult(name={self.scenario.name!r}, tables={sorted(self.tables)})"


class RunStore:
    """Reads and writes one run folder (see the module docstring for the layout).

    Parameters
    ----------
    path : str or Path
        The run folder; created when missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._manifest = self._read_manifest()
        self._rows: dict[str, dict[str, Any]] = {}  # summaries read or written, by name

    # ------------------------------------------------------------------ manifest
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def _read_manifest(self) -> dict[str, Any]:
        p = self.manifest_path
        if not p.exists():
            return {"format": FORMAT, "created": _now(), "scenarios": {}}
        try:
            m = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{p} is not a readable run manifest ({exc}); use another --out folder or delete it"
            ) from None
        if m.get("format") != FORMAT:
            raise ConfigError(f"{p}: format {m.get('format')!r} is not {FORMAT!r}")
        return m

    def _write_manifest(self) -> None:
        from spmopt import __version__

        self._manifest["updated"] = _now()
        self._manifest["spmopt_version"] = __version__
        atomic_write_text(
            self.manifest_path, json.dumps(self._manifest, indent=1, sort_keys=False, default=str)
        )

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Per scenario name: ``key, status ('done' or 'failed'), seconds, error, finished``."""
        return dict(self._manifest["scenarios"])

    def register(self, names: list[str]) -> None:
        """Remember the order scenarios were given in (tables and reports follow it)."""
        order: list[str] = self._manifest.setdefault("order", [])
        order.extend(n for n in names if n not in order)

    def scenario_dir(self, name: str) -> Path:
        return self.path / "scenarios" / name

    def is_done(self, scenario: Scenario) -> bool:
        """Finished before with the same settings, and its folder is complete."""
        e = self._manifest["scenarios"].get(scenario.name)
        return (
            e is not None
            and e.get("status") == "done"
            and e.get("key") == scenario.key()
            and (self.scenario_dir(scenario.name) / "summary.parquet").exists()
        )

    # ------------------------------------------------------------------ writing
    def write_result(self, result: Any, *, flush: bool = True) -> Path:
        """Store a :class:`ScenarioResult` and mark it done."""
        s: Scenario = result.scenario
        tables = result.tables()
        with atomic_dir(self.scenario_dir(s.name)) as tmp:
            for name, frame in tables.items():
                atomic_write_frame(frame, tmp / f"{name}.parquet")
            (tmp / "scenario.yaml").write_text(s.to_yaml(), encoding="utf-8")
            (tmp / "notes.json").write_text(
                json.dumps({"timings": result.timings, "notes": list(result.notes)}, indent=1),
                encoding="utf-8",
            )
        if len(result.summary):
            self._rows[s.name] = result.summary.iloc[0].to_dict()
        self._manifest["scenarios"][s.name] = {
            "key": s.key(),
            "status": "done",
            "seconds": float(result.summary["seconds"].iloc[0])
            if "seconds" in result.summary
            else None,
            "finished": _now(),
            "tables": sorted(tables),
        }
        if flush:
            self.flush()
        return self.scenario_dir(s.name)

    def write_failure(
        self, scenario: Scenario, error: str, error_type: str, *, flush: bool = True
    ) -> None:
        """Record that a scenario failed (a re-run tries it again)."""
        self._rows.pop(scenario.name, None)
        self._manifest["scenarios"][scenario.name] = {
            "key": scenario.key(),
            "status": "failed",
            "error_type": error_type,
            "error": error,
            "finished": _now(),
        }
        if flush:
            self.flush()

    def flush(self) -> None:
        """Write the manifest and the run's summary table."""
        self._write_manifest()
        summ = self.read_summary()
        if len(summ):
            atomic_write_frame(summ, self.path / "summary.parquet")

    # ------------------------------------------------------------------ reading
    def read_summary(self) -> pd.DataFrame:
        """One row per scenario of the manifest: its summary (when done), status and error."""
        rows = []
        for name, e in self._manifest["scenarios"].items():
            base = {"scenario": name, "status": e.get("status"), "error": e.get("error")}
            p = self.scenario_dir(name) / "summary.parquet"
            if e.get("status") == "done" and (name in self._rows or p.exists()):
                if name not in self._rows:
                    s = pd.read_parquet(p)
                    self._rows[name] = s.iloc[0].to_dict() if len(s) else {}
                rec = dict(self._rows[name])
                rec.update(base)
                rows.append(rec)
            else:
                rows.append({**base, "key": e.get("key")})
        if not rows:
            return pd.DataFrame(columns=["scenario", "status", "error"])
        order = {n: i for i, n in enumerate(self._manifest.get("order", []))}
        rows.sort(key=lambda r: (order.get(r["scenario"], len(order)), r["scenario"]))
        return pd.DataFrame(rows)

    def load(self, name: str) -> StoredResult:
        """A finished scenario's settings and tables."""
        d = self.scenario_dir(name)
        if not (d / "summary.parquet").exists():
            done = [n for n, e in self._manifest["scenarios"].items() if e["status"] == "done"]
            raise ConfigError(
                f"scenario {name!r} has no stored result in {self.path}; finished: "
                f"{', '.join(done) or '(none)'}"
            )
        tables = {p.stem: pd.read_parquet(p) for p in sorted(d.glob("*.parquet"))}
        s = Scenario.from_yaml(d / "scenario.yaml")
        info = json.loads((d / "notes.json").read_text(encoding="utf-8"))
        return StoredResult(
            scenario=s,
            tables=tables,
            notes=tuple(info.get("notes", ())),
            timings=dict(info.get("timings", {})),
        )

    def __repr__(self) -> str:
        st = [e.get("status") for e in self._manifest["scenarios"].values()]
        return f"RunStore({str(self.path)!r}, done={st.count('done')}, failed={st.count('failed')})"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
