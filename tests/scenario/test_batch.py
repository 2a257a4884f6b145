"""The Dask batch runner: equal to serial, failures recorded, killed workers, resume, sharing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from spmopt.errors import ConfigError
from spmopt.scenario import BatchResult, RunStore, Scenario, run, run_batch
from tests.scenario.fakes import CALLS_DIR_ENV, FAKE_STAGES, set_env

# Columns that legitimately differ between runs: wall times.
_TIMES = ["seconds"]


def _sweep(data_dir: Path, **extra: Any) -> list[Scenario]:
    base = Scenario(
        name="s",
        data=str(data_dir),
        seed=3,
        forecast={"n_windows": 0},
        comp={"n_draws": 1000},
    )
    return Scenario.grid(
        base, {"quota.over_assignment": [0.05, 0.15], "comp.revenue_shock": [0.0, -0.1]}
    )


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in frame.columns if c not in [*_TIMES, "status", "error"]]
    return frame[cols].set_index("scenario").sort_index()


def test_batch_on_two_workers_equals_serial_runs(
    data_dir: Path, client: Any, tmp_path: Path
) -> None:
    sweep = _sweep(data_dir)
    batch = run_batch(sweep, client=client, out=tmp_path / "run", progress=False)
    assert isinstance(batch, BatchResult)
    assert batch.summary["status"].tolist() == ["done"] * 4 and not batch.errors
    serial = pd.concat([run(s).summary for s in sweep], ignore_index=True)
    pd.testing.assert_frame_equal(
        _numbers(batch.summary), _numbers(serial), check_dtype=False, check_like=True
    )
    # the full results came back too, and the run folder holds the same numbers
    r = batch.results[sweep[1].name]
    pd.testing.assert_frame_equal(r.quotas.quotas, run(sweep[1]).quotas.quotas)
    stored = pd.read_parquet(tmp_path / "run" / "summary.parquet")
    pd.testing.assert_frame_equal(
        _numbers(stored), _numbers(serial), check_dtype=False, check_like=True
    )
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert {e["status"] for e in manifest["scenarios"].values()} == {"done"}
    assert {e["key"] for e in manifest["scenarios"].values()} == {s.key() for s in sweep}


def test_a_failing_scenario_does_not_stop_the_batch(
    data_dir: Path, client: Any, tmp_path: Path
) -> None:
    sweep = _sweep(data_dir)
    sweep[2] = sweep[2].with_updates({"comp.overrides.fail": True})
    batch = run_batch(sweep, client=client, out=tmp_path / "run", progress=False,
                      stages=FAKE_STAGES, batch_size=2)  # fmt: skip
    st = batch.summary.set_index("scenario")["status"]
    assert st[sweep[2].name] == "failed"
    assert (st.drop(sweep[2].name) == "done").all()
    err = batch.errors[sweep[2].name]
    assert err.error_type == "ValueError"
    assert "planned failure" in err.message and "stage 'comp'" in err.message
    assert "Traceback" in err.traceback
    entry = RunStore(tmp_path / "run").entries[sweep[2].name]
    assert entry["status"] == "failed" and "planned failure" in entry["error"]
    assert not (tmp_path / "run" / "scenarios" / sweep[2].name).exists()
    # a shared upstream failure fails exactly the scenarios that share it
    bad = Scenario(name="bad", data=str(data_dir), territory={"n_territories": 10_000})
    b2 = run_batch([bad, sweep[0]], client=client, progress=False, stages=FAKE_STAGES)
    st2 = b2.summary.set_index("scenario")["status"].to_dict()
    assert st2 == {"bad": "failed", sweep[0].name: "done"}
    assert "n_territories" in b2.errors["bad"].message


def test_resume_skips_finished_scenarios(
    data_dir: Path, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(data_dir)
    sweep[1] = sweep[1].with_updates({"comp.overrides.fail": True})
    out = tmp_path / "run"
    first = run_batch(sweep, n_workers=0, out=out, progress=False, stages=FAKE_STAGES)
    assert first.summary["status"].tolist() == ["done", "failed", "done", "done"]
    # the second run: the failed scenario is fixed, one more is added, one changed its settings
    fixed = sweep[1].with_updates({"comp.overrides": {}})
    changed = sweep[3].with_updates({"seed": 9})
    extra = sweep[0].with_updates({"quota.over_assignment": 0.3}, name="extra")
    calls = tmp_path / "calls"
    calls.mkdir()
    monkeypatch.setenv(CALLS_DIR_ENV, str(calls))
    second = run_batch([sweep[0], fixed, sweep[2], changed, extra], n_workers=0, out=out,
                       progress=False, stages=FAKE_STAGES)  # fmt: skip
    st = second.summary.set_index("scenario")["status"]
    assert st.to_dict() == {
        sweep[0].name: "skipped",
        fixed.name: "done",
        sweep[2].name: "skipped",
        changed.name: "done",
        "extra": "done",
    }
    # the skipped ones kept their numbers; only three scenarios ran
    s0 = first.summary.set_index("scenario").loc[sweep[0].name, "expected_cost"]
    assert second.summary.set_index("scenario").loc[sweep[0].name, "expected_cost"] == s0
    # three scenarios ran; "extra" shares its alignment with the fixed one (same territory
    # settings and seed), the changed seed needs its own
    assert len(list(calls.glob("align-*"))) == 2
    assert len(RunStore(out).entries) == 5
    # resume=False reruns everything
    third = run_batch(sweep[:1], n_workers=0, out=out, progress=False, stages=FAKE_STAGES,
                      resume=False)  # fmt: skip
    assert third.summary["status"].tolist() == ["done"]


def test_shared_inputs_are_computed_once(
    data_dir: Path, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    monkeypatch.setenv(CALLS_DIR_ENV, str(calls))
    client.run(set_env, CALLS_DIR_ENV, str(calls))  # the workers log calls too
    sweep = _sweep(data_dir)  # four scenarios, one alignment and one forecast
    other = sweep[0].with_updates({"territory.balance.potential": 0.08}, name="other")
    try:
        batch = run_batch([*sweep, other], client=client, progress=False, stages=FAKE_STAGES,
                          batch_size=1)  # fmt: skip
    finally:
        client.run(set_env, CALLS_DIR_ENV, None)
    assert (batch.summary["status"] == "done").all()
    assert len(list(calls.glob("align-*"))) == 2
    assert len(list(calls.glob("forecast-*"))) == 2


def test_a_killed_worker_is_retried(data_dir: Path, tmp_path: Path) -> None:
    from spmopt.scenario import local_cluster

    marker = tmp_path / "killed-once"
    sweep = _sweep(data_dir)
    sweep[0] = sweep[0].with_updates({"comp.overrides.kill_once": str(marker)})
    with local_cluster(2) as c:
        batch = run_batch(sweep, client=c, progress=False, stages=FAKE_STAGES, batch_size=1)
    assert marker.exists()  # a worker process did die
    assert (batch.summary["status"] == "done").all(), batch.summary[["scenario", "error"]]


def test_scattered_data_lost_with_its_only_worker_is_sent_again(
    data_dir: Path, tmp_path: Path
) -> None:
    from spmopt.scenario import local_cluster

    marker = tmp_path / "killed-once"
    sweep = _sweep(data_dir)[:2]
    sweep[1] = sweep[1].with_updates({"comp.overrides.kill_once": str(marker)})
    with local_cluster(1) as c:  # the one worker holds the only copy of the data
        batch = run_batch(sweep, client=c, progress=False, stages=FAKE_STAGES, batch_size=1)
    assert marker.exists()
    assert (batch.summary["status"] == "done").all(), batch.summary[["scenario", "error"]]
    assert batch.summary["scenario"].tolist() == [s.name for s in sweep]


def test_bad_batches(data_dir: Path) -> None:
    s = Scenario(name="x", data=str(data_dir))
    with pytest.raises(ConfigError, match="repeated: x"):
        run_batch([s, s], n_workers=0)
    with pytest.raises(ConfigError, match="at least one"):
        run_batch([], n_workers=0)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        run_batch([s], scheduler="tcp://127.0.0.1:9", progress=False)


def test_missing_data_fails_its_scenarios_only(data_dir: Path, client: Any) -> None:
    ok = Scenario(name="ok", data=str(data_dir), comp={"n_draws": 500})
    gone = Scenario(name="gone", data=str(data_dir / "nowhere"))
    b = run_batch([ok, gone], client=client, progress=False, stages=FAKE_STAGES)
    st = b.summary.set_index("scenario")["status"].to_dict()
    assert st == {"ok": "done", "gone": "failed"}
    assert "does not exist" in b.errors["gone"].message


def test_paths_and_sweep_files(data_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "sw.yaml"
    f.write_text(
        f"data: {data_dir}\ncomp: {{n_draws: 500}}\ngrid:\n  quota.over_assignment: [0.1, 0.2]\n",
        encoding="utf-8",
    )
    b = run_batch([f], n_workers=0, progress=False, stages=FAKE_STAGES)
    assert b.summary["scenario"].tolist() == ["sw__over_assignment=0.1", "sw__over_assignment=0.2"]
    assert os.fspath(f)  # paths are accepted as given


def test_results_at_hand_are_reused(
    data_dir: Path, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(data_dir)
    base = run(sweep[0], stages=FAKE_STAGES)
    calls = tmp_path / "calls"
    calls.mkdir()
    monkeypatch.setenv(CALLS_DIR_ENV, str(calls))
    local = run_batch(sweep, n_workers=0, progress=False, stages=FAKE_STAGES, reuse=[base])
    assert (local.summary["status"] == "done").all()
    assert not list(calls.glob("align-*")) and not list(calls.glob("forecast-*"))
    remote = run_batch(sweep, client=client, progress=False, stages=FAKE_STAGES, reuse=[base])
    pd.testing.assert_frame_equal(_numbers(remote.summary), _numbers(local.summary))
