"""Many scenarios on Dask: shared inputs once, batched tasks, failures recorded, resumable.

How a batch runs
----------------
1. Scenarios already finished in the run folder with the same settings are skipped.
2. Each distinct data set is loaded once on the client and scattered to every worker.
3. Scenarios that share an alignment (same data, territory settings and seed) share one alignment
   task; scenarios that also share the forecast settings share one forecast task. Those results
   stay on the cluster and feed every scenario that needs them.
4. The rest of each scenario (quotas, comp cost, summary) runs in batched tasks of several
   scenarios each, so that task overhead stays small.
5. A stage error fails only its own scenario(s): the error is recorded with its type and message
   and the others go on. A worker that dies has its task rerun elsewhere (Dask reschedules it,
   and the task is retried once more on top).
6. Each finished scenario is written to the run folder at once (atomically); the manifest says
   which ones finished, so an interrupted or partly failed batch resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spmopt.errors import ConfigError
from spmopt.scenario.config import Scenario, read_scenarios
from spmopt.scenario.pipeline import ForecastStage, ScenarioResult, Stages, run
from spmopt.scenario.store import RunStore, StoredResult

__all__ = ["BatchResult", "ScenarioError", "local_cluster", "run_batch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScenarioError:
    """Why a scenario failed: the exception type, its message and the traceback text."""

    scenario: str
    error_type: str
    message: str
    traceback: str = ""

    def __str__(self) -> str:
        return f"{self.scenario}: {self.error_type}: {self.message}"


@dataclass(frozen=True)
class _Failed:
    error_type: str
    message: str
    traceback: str


def _failure(exc: BaseException) -> _Failed:
    msg = str(exc)
    notes = getattr(exc, "__notes__", None)
    if notes:
        msg = f"{msg} ({'; '.join(notes)})"
    return _Failed(
        type(exc).__name__,
        msg,
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:],
    )


@dataclass(frozen=True, repr=False)
class BatchResult:
    """What a batch produced.

    Attributes
    ----------
    summary : DataFrame
        One row per scenario (those skipped as finished included): the scenario summary
        columns plus ``status`` (``done``, ``failed`` or ``skipped``) and ``error``.
    results : dict of str to ScenarioResult
        Full results of the scenarios run now (when kept; see ``keep_results``).
    errors : dict of str to ScenarioError
    path : Path or None
        The run folder.
    seconds : float
        Wall time of the batch.
    """

    summary: pd.DataFrame
    results: dict[str, ScenarioResult] = field(default_factory=dict)
    errors: dict[str, ScenarioError] = field(default_factory=dict)
    path: Path | None = None
    seconds: float = 0.0
    n_workers: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.summary.copy()

    def load(self, name: str) -> ScenarioResult | StoredResult:
        """A scenario's full result: in memory if kept, else read from the run folder."""
        if name in self.results:
            return self.results[name]
        if self.path is None:
            raise ConfigError(f"scenario {name!r}: results were not kept and no run folder was set")
        return RunStore(self.path).load(name)

    def __len__(self) -> int:
        return len(self.summary)

    def __repr__(self) -> str:
        st = self.summary["status"].value_counts().to_dict() if len(self.summary) else {}
        where = f", path={str(self.path)!r}" if self.path else ""
        return (
            f"BatchResult(scenarios={len(self.summary)}, done={st.get('done', 0)}, "
            f"skipped={st.get('skipped', 0)}, failed={st.get('failed', 0)}, "
            f"seconds={self.seconds:.1f}{where})"
        )


# ---------------------------------------------------------------------- worker tasks
def _align_task(s: Scenario, data: Any, stages: Stages) -> Any:
    try:
        pdata, _ = stages.prepare(s, data)
        return stages.align(s, pdata)
    except Exception as exc:
        exc.add_note(f"in stage 'territory' (shared by scenarios like '{s.name}')")
        return _failure(exc)


def _forecast_task(s: Scenario, data: Any, alignment: Any, stages: Stages) -> Any:
    if isinstance(alignment, _Failed):
        return alignment
    try:
        pdata, _ = stages.prepare(s, data)
        return stages.forecast(s, pdata, alignment)
    except Exception as exc:
        exc.add_note(f"in stage 'forecast' (shared by scenarios like '{s.name}')")
        return _failure(exc)


def _chunk_task(
    scenarios: list[Scenario],
    data: Any,
    alignment: Any,
    forecast: Any,
    stages: Stages,
) -> list[tuple[str, ScenarioResult | _Failed]]:
    _quiet_libraries()
    out: list[tuple[str, ScenarioResult | _Failed]] = []
    for s in scenarios:
        for upstream in (alignment, forecast):
            if isinstance(upstream, _Failed):
                out.append((s.name, upstream))
                break
        else:
            try:
                out.append(
                    (
                        s.name,
                        run(s, data=data, stages=stages, alignment=alignment, forecast=forecast),
                    )
                )
            except Exception as exc:
                out.append((s.name, _failure(exc)))
    return out


def _quiet_libraries() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot", "pyomo", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)


# ---------------------------------------------------------------------- cluster
@contextlib.contextmanager
def local_cluster(n_workers: int | None = None) -> Iterator[Any]:
    """An embedded Dask cluster and its client: one single-threaded worker process per core.

    The numerical libraries inside each worker are held to one thread, so that ``n`` workers
    use ``n`` cores.
    """
    from distributed import Client, LocalCluster

    n = n_workers or os.cpu_count() or 1
    env = {
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
    }
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env=env,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _default_batch_size(n_scenarios: int, n_workers: int) -> int:
    # About four tasks per worker keeps every core busy to the end, and at most 20 scenarios
    # per task keeps a lost task cheap to redo.
    return max(1, min(20, math.ceil(n_scenarios / max(1, 4 * n_workers))))


# ---------------------------------------------------------------------- the batch
def run_batch(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    client: Any | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    batch_size: int | None = None,
    resume: bool = True,
    progress: bool = True,
    keep_results: bool | None = None,
    stages: Stages | None = None,
    reuse: Sequence[ScenarioResult] = (),
) -> BatchResult:
    """Run many scenarios on Dask.

    Parameters
    ----------
    scenarios : sequence of Scenario or YAML paths
        Scenarios, or scenario and sweep files (see :func:`read_scenarios`). Names must be unique
        (they name the result folders).
    client : distributed.Client, optional
        A running client. Without one, ``scheduler`` is connected to, or else an embedded
        :func:`local_cluster` with ``n_workers`` single-threaded worker processes is started and
        closed at the end.
    out : path, optional
        Run folder (see :mod:`spmopt.scenario.store`). Each finished scenario is written at once;
        with ``resume`` (default) scenarios finished before with the same settings are skipped.
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    n_workers : int, optional
        Workers of the embedded cluster (default: one per core). ``0`` runs the batch in this
        process without Dask (same results, for debugging).
    batch_size : int, optional
        Scenarios per task (default: about four tasks per worker, at most 20 per task).
    resume : bool
        Skip scenarios finished in ``out`` with the same settings.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    keep_results : bool, optional
        Keep every full :class:`ScenarioResult` in memory (default: when there is no run folder
        or at most 20 scenarios).
    stages : Stages, optional
        Stage functions (default: the spmopt modules); must be importable by the workers.
    reuse : sequence of ScenarioResult, optional
        Results already at hand (e.g. the base case run in a notebook): their alignment and
        forecast are used for every scenario with the same territory and forecast settings
        (:meth:`Scenario.stage_key`) instead of being computed again.

    Returns
    -------
    BatchResult
    """
    t0 = time.perf_counter()
    todo_all: list[Scenario] = []
    for item in scenarios:
        if isinstance(item, Scenario):
            todo_all.append(item)
        else:
            todo_all.extend(read_scenarios(Path(item)))
    names = [s.name for s in todo_all]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(
            f"scenario names must be unique (they name the result folders); repeated: "
            f"{', '.join(dupes)}"
        )
    if not todo_all:
        raise ConfigError("run_batch needs at least one scenario")
    st = stages or Stages()
    if stages is None:
        for s in todo_all:  # a typo fails the batch now, not after hours of work
            s.check()
    store = RunStore(out) if out is not None else None
    if store is not None:
        store.register(names)
    skipped = [s for s in todo_all if store is not None and resume and store.is_done(s)]
    skip_names = {s.name for s in skipped}
    todo = [s for s in todo_all if s.name not in skip_names]
    if keep_results is None:
        keep_results = store is None or len(todo_all) <= 20

    results: dict[str, ScenarioResult] = {}
    errors: dict[str, ScenarioError] = {}
    rows: dict[str, dict[str, Any]] = {}

    def record(name: str, outcome: ScenarioResult | _Failed, by_name: dict[str, Scenario]) -> None:
        if isinstance(outcome, _Failed):
            err = ScenarioError(name, outcome.error_type, outcome.message, outcome.traceback)
            errors[name] = err
            rows[name] = {"scenario": name, "status": "failed", "error": str(err)}
            if store is not None:
                store.write_failure(by_name[name], outcome.message, outcome.error_type)
            log.info("scenario %s failed: %s", name, err)
            return
        row = outcome.summary.iloc[0].to_dict()
        row.update(status="done", error=None)
        rows[name] = row
        if keep_results:
            results[name] = outcome
        if store is not None:
            store.write_result(outcome)

    upstream = _reusable(reuse)
    n_used = 0
    if todo:
        by_name = {s.name: s for s in todo}
        bar = _progress(len(todo), progress)
        try:
            if n_workers == 0 and client is None and scheduler is None:
                for name, outcome in _run_here(todo, st, upstream):
                    record(name, outcome, by_name)
                    bar.update(1)
            else:
                with _client(client, scheduler, n_workers) as cl:
                    n_used = len(cl.scheduler_info().get("workers", {})) or (n_workers or 1)
                    size = batch_size or _default_batch_size(len(todo), n_used)
                    for name, outcome in _run_on(cl, todo, st, size, upstream):
                        record(name, outcome, by_name)
                        bar.update(1)
        finally:
            bar.close()
            if store is not None:
                store.flush()

    frame = _summary_frame(todo_all, rows, skipped, store)
    return BatchResult(
        summary=frame,
        results=results,
        errors=errors,
        path=store.path if store is not None else None,
        seconds=time.perf_counter() - t0,
        n_workers=n_used,
    )


@contextlib.contextmanager
def _client(client: Any | None, scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    if client is not None:
        yield client
        return
    if scheduler is not None:
        from distributed import Client

        try:
            _check_reachable(scheduler)
            cl = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}. Start one with "
                "`dask scheduler` and workers with `dask worker <address> --nthreads 1`, or "
                "leave --scheduler out to use the local cores"
            ) from None
        with cl:
            yield cl
        return
    with local_cluster(n_workers) as cl:
        yield cl


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast (OSError) when nothing listens at a ``tcp://host:port`` address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or parts.hostname is None:
        return  # other protocols (inproc, ucx): let Dask judge
    with socket.create_connection((parts.hostname, parts.port or 8786), timeout=timeout):
        pass


def _reusable(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    """Stage key -> alignment or ForecastStage of results given for reuse."""
    out: dict[str, Any] = {}
    for r in results:
        s = r.scenario
        out[s.stage_key("territory")] = r.alignment
        out[s.stage_key("forecast")] = ForecastStage(r.forecast, r.backtest, r.history)
    return out


def _run_here(
    todo: list[Scenario], st: Stages, upstream: dict[str, Any]
) -> Iterator[tuple[str, ScenarioResult | _Failed]]:
    """The batch in this process, with the same sharing of alignments and forecasts."""
    shared = dict(upstream)
    for s in todo:
        try:
            data = st.load(s.data)
        except Exception as exc:
            yield s.name, _failure(exc)
            continue
        ak, fk = s.stage_key("territory"), s.stage_key("forecast")
        if ak not in shared:
            shared[ak] = _align_task(s, data, st)
        if fk not in shared:
            shared[fk] = _forecast_task(s, data, shared[ak], st)
        yield from _chunk_task([s], data, shared[ak], shared[fk], st)


def _run_on(
    client: Any,
    todo: list[Scenario],
    st: Stages,
    size: int,
    upstream: dict[str, Any] | None = None,
    attempt: int = 0,
) -> Iterator[tuple[str, ScenarioResult | _Failed]]:
    """The batch on ``client``: data scattered once, shared stages once, scenarios in chunks.

    A chunk whose task is lost (a worker died past the task's retry, or took the only copy of
    the scattered data with it) is run once more from a fresh scatter, under new task keys; a
    second loss is reported as that scenario's failure.
    """
    from distributed import as_completed

    from spmopt.scenario.pipeline import load_data

    # 1. data: loaded once here, sent once to every worker
    data_futs: dict[str, Any] = {}
    for src in sorted({s.data for s in todo}):
        try:
            data = st.load(src) if st.load is not load_data else load_data(src)
        except Exception as exc:
            fail = _failure(exc)
            for s in todo:
                if s.data == src:
                    yield s.name, fail
            continue
        data_futs[src] = client.scatter(data, broadcast=True, hash=False)
    tag = f"-r{attempt}" if attempt else ""
    todo = [s for s in todo if s.data in data_futs]

    # 2. shared upstream stages: one alignment per territory key, one forecast per forecast key
    align_futs: dict[str, Any] = {}
    fc_futs: dict[str, Any] = {}
    groups: dict[str, list[Scenario]] = defaultdict(list)
    for s in todo:
        ak, fk = s.stage_key("territory"), s.stage_key("forecast")
        d = data_futs[s.data]
        if ak not in align_futs and upstream and ak in upstream:
            align_futs[ak] = client.scatter(upstream[ak], hash=False)
        if fk not in fc_futs and upstream and fk in upstream:
            fc_futs[fk] = client.scatter(upstream[fk], hash=False)
        if ak not in align_futs:
            align_futs[ak] = client.submit(
                _align_task, s, d, st, key=f"align-{ak}{tag}", retries=1, pure=False
            )
        if fk not in fc_futs:
            fc_futs[fk] = client.submit(
                _forecast_task, s, d, align_futs[ak], st, key=f"forecast-{fk}{tag}", retries=1,
                pure=False,
            )  # fmt: skip
        groups[fk].append(s)

    # 3. the rest of each scenario in batched tasks
    futs = {}
    for fk, members in groups.items():
        s0 = members[0]
        ak = s0.stage_key("territory")
        for i in range(0, len(members), size):
            chunk = members[i : i + size]
            f = client.submit(
                _chunk_task,
                chunk,
                data_futs[s0.data],
                align_futs[ak],
                fc_futs[fk],
                st,
                key=f"scenarios-{fk}-{i // size}-{chunk[0].key()}{tag}",
                retries=1,
                pure=False,
            )
            futs[f] = chunk
    lost: list[Scenario] = []
    for f in as_completed(list(futs)):
        chunk = futs[f]
        try:
            outcomes = f.result()
        except Exception as exc:  # the task itself was lost, not a scenario's own error
            if attempt == 0:
                log.warning("%d scenario(s) lost with a worker (%s); running them again",
                            len(chunk), type(exc).__name__)  # fmt: skip
                lost.extend(chunk)
                f.release()
                continue
            fail = _failure(exc)
            outcomes = [(s.name, fail) for s in chunk]
        yield from outcomes
        f.release()
    if lost:
        for fut in [*data_futs.values(), *align_futs.values(), *fc_futs.values()]:
            fut.release()
        yield from _run_on(client, lost, st, size, upstream, attempt=attempt + 1)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="scenarios", unit="scenario", disable=not enabled, leave=True)


def _summary_frame(
    scenarios: list[Scenario],
    rows: dict[str, dict[str, Any]],
    skipped: list[Scenario],
    store: RunStore | None,
) -> pd.DataFrame:
    stored = store.read_summary().set_index("scenario") if store is not None else None
    out = []
    skip = {s.name for s in skipped}
    for s in scenarios:
        if s.name in rows:
            out.append(rows[s.name])
        elif s.name in skip and stored is not None and s.name in stored.index:
            r = stored.loc[s.name].to_dict()
            r.update(scenario=s.name, status="skipped", error=None)
            out.append(r)
        else:
            out.append({"scenario": s.name, "status": "failed", "error": "not run"})
    frame = pd.DataFrame(out)
    first = ["scenario", "status", "error"]
    return frame[first + [c for c in frame.columns if c not in first]]


def scenario_paths(patterns: Sequence[str]) -> list[Path]:
    """Expand file names and glob patterns, in order, without repeats."""
    import glob

    seen: list[Path] = []
    for pat in patterns:
        hits = sorted(glob.glob(pat)) if any(ch in pat for ch in "*?[") else [pat]
        if not hits:
            raise ConfigError(f"no scenario file matches {pat!r}")
        for h in hits:
            p = Path(h)
            if p not in seen:
                seen.append(p)
    return seen
