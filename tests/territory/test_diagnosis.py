"""Pre-solve checks and infeasibility diagnoses name the constraint, the culprits and a fix."""

from __future__ import annotations

import pandas as pd
import pytest

from spmopt.errors import ConfigError, DataError, InfeasibleError
from spmopt.solver import SolverOptions
from spmopt.territory import TerritoryAligner
from spmopt.territory.build import build_model
from spmopt.territory.phases.compromise import disruption_lower
from tests.territory.helpers import make_instance


def test_account_too_big_for_any_territory() -> None:
    acc, reps = make_instance(20, 4, 0)
    acc.loc[3, "potential"] = acc["potential"].drop(index=3).sum()  # half of the new total
    res = TerritoryAligner({"potential": 0.05}).solve(acc, reps)
    assert res.status == "infeasible"
    d = res.diagnosis or ""
    assert "balance on 'potential'" in d and "A003" in d and "Smallest tolerance" in d
    # the account is half the total: target = total/4, so it needs +100%
    assert "100.0%" in d
    with pytest.raises(InfeasibleError):
        res.raise_for_status()


def test_locked_accounts_break_balance() -> None:
    acc, reps = make_instance(20, 4, 1)
    acc["locked_territory"] = None
    acc.loc[:9, "locked_territory"] = "T1"
    res = TerritoryAligner({"potential": 0.05}).solve(acc, reps)
    assert res.status == "infeasible"
    assert "locked accounts" in (res.diagnosis or "") and "T1" in (res.diagnosis or "")


def test_capacity_total_below_workload() -> None:
    acc, reps = make_instance(20, 4, 2)
    reps["capacity"] = acc["workload"].sum() / 4 * 0.9
    res = TerritoryAligner({"potential": 0.5}).solve(acc, reps)
    assert res.status == "infeasible"
    assert "capacity" in (res.diagnosis or "") and "exceeds total rep capacity" in res.diagnosis


def test_tolerance_too_tight_gives_smallest_feasible_tolerance() -> None:
    acc, reps = make_instance(12, 3, 3, current=False)
    res = TerritoryAligner(
        {"potential": 0.001}, solver=SolverOptions(time_limit=20, mip_rel_gap=0.01)
    ).solve(acc, reps)
    assert res.status == "infeasible"
    d = res.diagnosis or ""
    assert "smallest feasible tolerance found is" in d
    tol = float(d.split("balance={'potential': ")[1].split("}")[0])
    assert tol > 0.001
    ok = TerritoryAligner(
        {"potential": tol}, solver=SolverOptions(time_limit=20, mip_rel_gap=0.01)
    ).solve(acc, reps)
    assert ok.feasible


def test_disruption_cap_too_tight() -> None:
    acc, reps = make_instance(30, 3, 4)
    acc["current_territory"] = "T0"  # everything sits in one territory today
    res = TerritoryAligner(
        {"potential": 0.1},
        max_disruption=0.2,
        solver=SolverOptions(time_limit=20, mip_rel_gap=0.01),
    ).solve(acc, reps)
    assert res.status == "infeasible"
    assert "disruption cap" in (res.diagnosis or "")


def test_bad_input_raises_with_table_and_column() -> None:
    acc, reps = make_instance(10, 2, 0)
    with pytest.raises(DataError) as e:
        TerritoryAligner().solve(acc.drop(columns="potential"), reps)
    assert e.value.table == "accounts" and e.value.column == "potential"
    with pytest.raises(DataError) as e:
        TerritoryAligner({"revenue": 0.1}).solve(acc, reps)
    assert e.value.column == "revenue"
    with pytest.raises(ConfigError):
        TerritoryAligner({"potential": -1}).solve(acc, reps)
    with pytest.raises(ConfigError):
        TerritoryAligner(method="magic").solve(acc, reps)
    with pytest.raises(DataError):
        TerritoryAligner().solve(acc, reps, distance=[[1.0, 2.0]])
    with pytest.raises(DataError):
        TerritoryAligner(within="district").solve(acc, reps)
    bad = pd.concat([reps, reps.iloc[:1].assign(rep_id="RX")])
    with pytest.raises(DataError):
        TerritoryAligner().solve(acc, bad)


def test_infeasible_bands_still_give_every_account_a_territory() -> None:
    acc, reps = make_instance(40, 4, 9, current=False)
    acc.loc[0, "potential"] = acc["potential"].sum()  # one account is half the total
    res = TerritoryAligner({"potential": 0.05, "workload": 0.2}).solve(acc, reps)
    assert res.status == "infeasible" and not res.ok
    # always an answer: every account assigned once
    assert sorted(res.assignment["account_id"]) == sorted(acc["account_id"])
    v = res.violations
    assert len(v) and set(v["row"]) <= {"balance", "capacity"}
    assert (v["relative"] > 0).all()
    top = v.iloc[0]
    assert top["attribute"] == "potential" and top["territory"] in set(reps["territory_id"])
    assert res.metrics["max_violation"] == pytest.approx(float(v["relative"].max()))
    # target = total / 4 and the account is half the total: its territory is at least +100%
    assert res.metrics["max_deviation_potential"] >= 1.0 - 1e-9
    assert res.metrics["proven_infeasible"]
    loose = res.metrics["feasible_balance"]
    again = TerritoryAligner(loose).solve(acc, reps)
    assert again.ok, again.diagnosis


def test_disruption_cap_too_tight_names_a_feasible_cap_keeping_the_bands() -> None:
    acc, reps = make_instance(30, 3, 4)
    acc["current_territory"] = "T0"  # everything sits in one territory today
    res = TerritoryAligner({"potential": 0.1}, max_disruption=0.2).solve(acc, reps)
    d = res.diagnosis or ""
    assert res.status == "infeasible" and "keep the balance bands" in d
    cap = float(d.split("keep the balance bands")[1].split("max_disruption=")[1].split(" ")[0])
    again = TerritoryAligner({"potential": 0.1}, max_disruption=cap).solve(acc, reps)
    assert again.ok and again.metrics["disruption_share"] <= cap + 1e-9


def test_locks_beyond_the_band_give_a_proven_and_met_compromise() -> None:
    acc, reps = make_instance(30, 3, 5, current=False)
    acc["locked_territory"] = None
    acc.loc[:14, "locked_territory"] = "T1"  # half the accounts locked to one territory
    res = TerritoryAligner({"potential": 0.05}).solve(acc, reps)
    assert res.status == "infeasible" and res.metrics["proven_infeasible"]
    locked = acc.loc[:14, "potential"].sum()
    target = acc["potential"].sum() / 3
    bound = locked / target - 1.05  # T1's excess over its band that no assignment avoids
    # the compromise meets the proven bound: T1 holds only its locked accounts
    assert res.metrics["max_violation"] == pytest.approx(bound, rel=1e-6)


def test_disruption_the_bands_force_proves_the_cap_infeasible_by_counting() -> None:
    # four equal accounts, all in T0 today; two territories at one half each, exactly. Two must
    # move, the cap allows 0.4 x 4 = 1.6. Widening every row by z: T0 must shed 2 - 2z and the
    # cap grows to 1.6 (1 + z), so no assignment violates less than z = 0.4 / 3.6 = 1/9; the
    # best assignment moves two accounts (cap exceeded by 25%) or one (T0 over by 50%).
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "lat": [40.0, 40.1, 40.2, 40.3],
            "lon": [-90.0, -90.0, -90.0, -90.0],
            "potential": [1.0, 1.0, 1.0, 1.0],
            "workload": [1.0, 1.0, 1.0, 1.0],
            "current_territory": ["T0"] * 4,
        }
    )
    reps = pd.DataFrame(
        {"rep_id": ["R0", "R1"], "territory_id": ["T0", "T1"], "lat": [40.0, 41.0],
         "lon": [-90.0, -90.0]}
    )  # fmt: skip
    aligner = TerritoryAligner({"potential": 0.0}, max_disruption=0.4)
    model = build_model(acc, reps, aligner.settings()).groups[0].model
    assert disruption_lower(model) == pytest.approx(1 / 9, rel=1e-6)  # no LP needed
    res = aligner.solve(acc, reps)
    assert res.status == "infeasible" and res.metrics["proven_infeasible"]
    assert res.metrics["violation_bound"] == pytest.approx(1 / 9, rel=1e-6)
    assert res.metrics["max_violation"] == pytest.approx(0.25, rel=1e-6)
    assert res.assignment["territory_id"].notna().all()
