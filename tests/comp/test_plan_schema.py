"""Plan YAML validation: errors name the key and the allowed keys or values."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from spmopt.comp import CompPlan
from spmopt.data.synthetic import example_plan
from spmopt.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def base() -> dict[str, Any]:
    return {
        "roles": {
            "AE": {
                "base_salary": 80_000,
                "target_incentive": 80_000,
                "measures": [
                    {"name": "revenue", "weight": 1.0, "tiers": [{"from": 0, "rate": 1.0}]}
                ],
            }
        }
    }


def test_committed_example_plan_equals_the_generator() -> None:
    on_disk = yaml.safe_load((ROOT / "data/example/plan.yaml").read_text())
    assert on_disk == example_plan()
    plan = CompPlan.from_yaml(ROOT / "data/example/plan.yaml")
    assert set(plan.roles) == {"AE", "Enterprise AE"}


def test_round_trip_through_dict_and_yaml(tmp_path: Path) -> None:
    plan = CompPlan.from_dict(example_plan())
    again = CompPlan.from_dict(plan.to_dict())
    assert again == plan
    p = tmp_path / "plan.yaml"
    p.write_text(plan.to_yaml())
    assert CompPlan.from_yaml(p) == plan
    att = np.linspace(0, 3, 31)
    np.testing.assert_array_equal(plan.payout(att, role="AE"), again.payout(att, role="AE"))


def test_typo_names_the_key_a_suggestion_and_the_allowed_keys() -> None:
    raw = base()
    raw["roles"]["AE"]["measures"][0]["treshold"] = 0.5
    with pytest.raises(ConfigError) as e:
        CompPlan.from_dict(raw)
    msg = str(e.value)
    assert "roles.AE.measures.0.treshold" in msg
    assert "did you mean 'threshold'" in msg
    assert "tier_mode" in msg and "tiers" in msg  # the allowed keys of a measure


def test_bad_value_names_the_allowed_values() -> None:
    raw = base()
    raw["roles"]["AE"]["measures"][0]["tier_mode"] = "cumulative"
    with pytest.raises(ConfigError, match="'marginal' or 'retroactive'"):
        CompPlan.from_dict(raw)


def test_role_level_typo_lists_role_keys() -> None:
    raw = base()
    raw["roles"]["AE"]["spiffs"] = []
    with pytest.raises(ConfigError, match="did you mean 'spifs'") as e:
        CompPlan.from_dict(raw)
    assert "clawback" in str(e.value) and "proration" in str(e.value)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda r: r["measures"][0].update(weight=0.6), "weights must add to 1"),
        (
            lambda r: r["measures"][0].update(
                tiers=[{"from": 0, "to": 1, "rate": 1}, {"from": 1.2, "rate": 2}]
            ),
            "contiguous",
        ),
        (
            lambda r: r["measures"][0].update(
                tiers=[{"from": 0, "rate": 1}, {"from": 1, "rate": 2}]
            ),
            "only the last tier may be open",
        ),
        (lambda r: r["measures"][0]["tiers"][0].update(rate=-1), "greater than or equal to 0"),
        (
            lambda r: r.update(gates=[{"measure": "logos", "min_attainment": 1}]),
            "names measure 'logos'; allowed: revenue",
        ),
        (lambda r: r.pop("target_incentive"), "target_incentive"),
        (
            lambda r: (
                r.pop("target_incentive"),
                r.pop("base_salary"),
                r.update(ote=100, pay_mix="60-40"),
            ),
            "pay_mix",
        ),
        (lambda r: r.update(proration="weekly"), "'monthly', 'daily' or 'none'"),
        (lambda r: r.update(draw={"amount": 1000, "months": 13}), "draw.months"),
        (
            lambda r: r.update(
                gates=[{"measure": "revenue", "min_attainment": 1, "effect": "cap"}]
            ),
            "needs 'cap'",
        ),
    ],
)
def test_invalid_plans(change: Any, needle: str) -> None:
    raw = copy.deepcopy(base())
    change(raw["roles"]["AE"])
    with pytest.raises(ConfigError, match=None) as e:
        CompPlan.from_dict(raw)
    assert needle in str(e.value)


def test_unknown_role_and_missing_file(tmp_path: Path) -> None:
    plan = CompPlan.from_dict(example_plan())
    with pytest.raises(ConfigError, match="did you mean 'AE'"):
        plan.payout(1.0, role="AEs")
    with pytest.raises(ConfigError, match="roles"):
        plan.payout(1.0)  # two roles: name one
    with pytest.raises(ConfigError, match="not found"):
        CompPlan.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        CompPlan.from_yaml(bad)


def test_with_accelerator_scales_only_upper_tiers() -> None:
    plan = CompPlan.from_dict(example_plan())
    steep = plan.with_accelerator(1.5)
    # AE below quota unchanged (0.8 TI = 68k); at 1.2: 1.0 + 3.0 * 0.2 = 1.6 TI = 136k
    np.testing.assert_allclose(steep.payout([0.8, 1.2], role="AE"), [68_000, 136_000])
    assert plan.payout(1.2, role="AE") == pytest.approx(119_000)
