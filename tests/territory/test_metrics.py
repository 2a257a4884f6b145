"""Summary and metrics of a given assignment, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from spmopt.territory import current_assignment, evaluate


def test_evaluate_by_hand() -> None:
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "lat": [0.0, 0.0, 1.0],
            "lon": [0.0, 1.0, 0.0],
            "potential": [10.0, 20.0, 30.0],
            "workload": [1.0, 2.0, 3.0],
            "current_territory": ["T0", "T0", "T1"],
        }
    )
    reps = pd.DataFrame(
        {"rep_id": ["R0", "R1"], "territory_id": ["T0", "T1"], "lat": [0.0, 1.0], "lon": [0.0, 0]}
    )
    before = current_assignment(acc, reps)
    assert before["rep_id"].tolist() == ["R0", "R0", "R1"]
    summary, m = evaluate(before, acc, reps, {"potential": 0.1})
    # totals 30 / 30 against a target of 30 each: no deviation; workload 3 / 3
    assert summary["potential"].tolist() == [30.0, 30.0]
    assert m["max_deviation_potential"] == 0.0
    assert m["disruption_share"] == 0.0
    km = 111.195  # one degree on the equator / along a meridian
    assert m["weighted_distance"] == pytest.approx(20 * km, rel=1e-3)
    moved = before.assign(territory_id=["T1", "T0", "T1"], rep_id=["R1", "R0", "R1"])
    summary, m = evaluate(moved, acc, reps, {"potential": 0.1})
    assert summary["potential"].tolist() == [20.0, 40.0]
    assert m["max_deviation_potential"] == pytest.approx(1 / 3)
    assert m["disruption_share"] == pytest.approx(10 / 60)
    assert m["accounts_moved"] == 1.0
