"""Every payout mechanic against hand arithmetic (written out in each test)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmopt.comp import CompPlan
from spmopt.errors import ConfigError

TI = 100_000.0


def one_role(measure: dict[str, Any] | None = None, **role: Any) -> CompPlan:
    m = {
        "name": "revenue",
        "weight": 1.0,
        "tiers": [{"from": 0.0, "to": None, "rate": 1.0}],
    }
    m.update(measure or {})
    spec: dict[str, Any] = {"base_salary": 100_000.0, "target_incentive": TI, "measures": [m]}
    spec.update(role)
    return CompPlan.from_dict({"roles": {"AE": spec}})


def test_linear_plan_pays_ti_times_attainment() -> None:
    plan = one_role()
    # 100k * 0.8 = 80k; 100k * 1.3 = 130k
    assert plan.payout([0.0, 0.8, 1.3]).tolist() == [0.0, 80_000.0, 130_000.0]


def test_threshold_pays_nothing_below_and_jumps_at_it() -> None:
    plan = one_role({"threshold": 0.5})
    # below 0.5: 0; at 0.5 the curve's own value 0.5 * 100k = 50k (a cliff); 0.7 -> 70k
    assert plan.payout([0.49, 0.5, 0.7]).tolist() == [0.0, 50_000.0, 70_000.0]


def test_tiers_starting_at_threshold_have_no_cliff() -> None:
    plan = one_role(
        {
            "threshold": 0.5,
            "tiers": [{"from": 0.5, "to": 1.0, "rate": 2.0}, {"from": 1.0, "rate": 1.0}],
        }
    )
    # 0.75: 2 * (0.75 - 0.5) = 0.5 TI = 50k; 1.0: 2 * 0.5 = 1.0 TI; 1.2: 1.0 + 0.2 = 1.2 TI
    np.testing.assert_allclose(plan.payout([0.4, 0.75, 1.0, 1.2]), [0, 50_000, 100_000, 120_000])


def test_marginal_tiers_accelerator_decelerator_and_cap() -> None:
    plan = one_role(
        {
            "tiers": [
                {"from": 0.0, "to": 1.0, "rate": 1.0},
                {"from": 1.0, "to": 1.5, "rate": 2.0},
                {"from": 1.5, "rate": 0.5},
            ],
            "cap": 2.2,
        }
    )
    # 1.2: 1.0 + 2 * 0.2 = 1.4 TI; 1.5: 1.0 + 2 * 0.5 = 2.0 TI;
    # 1.8: 2.0 + 0.5 * 0.3 = 2.15 TI; 3.0: 2.0 + 0.5 * 1.5 = 2.75 -> cap 2.2 TI
    np.testing.assert_allclose(
        plan.payout([1.2, 1.5, 1.8, 3.0]), [140_000, 200_000, 215_000, 220_000]
    )


def test_retroactive_tiers_pay_the_reached_rate_on_everything() -> None:
    plan = one_role(
        {
            "tier_mode": "retroactive",
            "tiers": [
                {"from": 0.0, "to": 1.0, "rate": 1.0},
                {"from": 1.0, "to": 1.5, "rate": 1.2},
                {"from": 1.5, "rate": 1.5},
            ],
        }
    )
    # 0.9: 1.0 * 0.9 = 0.9 TI; 1.0: 1.2 * 1.0 = 1.2 TI (jump); 1.4: 1.2 * 1.4 = 1.68 TI;
    # 1.6: 1.5 * 1.6 = 2.4 TI
    np.testing.assert_allclose(
        plan.payout([0.9, 1.0, 1.4, 1.6]), [90_000, 120_000, 168_000, 240_000]
    )


def test_closed_last_tier_is_flat_beyond_its_end() -> None:
    plan = one_role({"tiers": [{"from": 0.0, "to": 1.2, "rate": 1.0}]})
    # beyond 1.2 nothing more: 1.2 TI
    np.testing.assert_allclose(plan.payout([1.0, 1.2, 2.0]), [100_000, 120_000, 120_000])


def test_attainment_cap_limits_credit() -> None:
    plan = one_role(
        {
            "tiers": [{"from": 0.0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 3.0}],
            "attainment_cap": 1.1,
        }
    )
    # credited at most 1.1: 1.0 + 3 * 0.1 = 1.3 TI for 1.1 and 2.0 alike
    np.testing.assert_allclose(plan.payout([1.05, 1.1, 2.0]), [115_000, 130_000, 130_000])


def test_commission_rate_table_on_revenue() -> None:
    plan = one_role(
        {
            "basis": "revenue",
            "tiers": [{"from": 0.0, "to": 1.0, "rate": 0.05}, {"from": 1.0, "rate": 0.08}],
        }
    )
    # quota 1M, attainment 1.25 -> revenue 1.25M: 5% of 1M + 8% of 0.25M = 50k + 20k = 70k
    np.testing.assert_allclose(plan.payout(1.25, quota=1_000_000), 70_000)
    with pytest.raises(ConfigError, match="quota"):
        plan.payout(1.25)


def two_measures(**role: Any) -> CompPlan:
    spec: dict[str, Any] = {
        "base_salary": 100_000.0,
        "target_incentive": TI,
        "measures": [
            {"name": "revenue", "weight": 0.7, "tiers": [{"from": 0.0, "rate": 1.0}]},
            {
                "name": "logos",
                "weight": 0.3,
                "quota_source": "units",
                "tiers": [{"from": 0.0, "rate": 1.0}],
            },
        ],
    }
    spec.update(role)
    return CompPlan.from_dict({"roles": {"AE": spec}})


def test_weights_split_the_target_incentive() -> None:
    plan = two_measures()
    # 0.7 * 100k * 1.1 + 0.3 * 100k * 0.5 = 77k + 15k = 92k
    np.testing.assert_allclose(plan.payout({"revenue": 1.1, "logos": 0.5}), 92_000)
    with pytest.raises(ConfigError, match="mapping"):
        plan.payout(1.0)


def test_gate_zeroes_gated_measures_below_the_hurdle() -> None:
    plan = two_measures(
        gates=[{"measure": "revenue", "min_attainment": 0.8, "applies_to": ["logos"]}]
    )
    # revenue 0.7 < 0.8: logos pays 0; revenue pays 0.7 * 100k * 0.7 = 49k
    # revenue 0.9: 63k + logos 0.3 * 100k * 1.2 = 36k -> 99k
    np.testing.assert_allclose(
        plan.payout({"revenue": [0.7, 0.9], "logos": [1.2, 1.2]}), [49_000, 99_000]
    )


def test_gate_with_cap_is_a_hurdle_on_accelerators() -> None:
    plan = two_measures(
        gates=[
            {
                "measure": "revenue",
                "min_attainment": 1.0,
                "effect": "cap",
                "cap": 1.0,
                "applies_to": ["logos"],
            }
        ]
    )
    # revenue 0.9 < 1: logos capped at 1.0 x its TI share = 30k (would be 0.3 * 100k * 1.5 = 45k)
    # -> 0.7 * 100k * 0.9 + 30k = 63k + 30k = 93k; revenue 1.0: 70k + 45k = 115k
    np.testing.assert_allclose(
        plan.payout({"revenue": [0.9, 1.0], "logos": [1.5, 1.5]}), [93_000, 115_000]
    )


def test_linked_modifier_multiplies_other_measures() -> None:
    plan = two_measures(
        modifiers=[
            {
                "measure": "logos",
                "applies_to": ["revenue"],
                "steps": [{"from": 0.5, "multiplier": 0.9}, {"from": 1.0, "multiplier": 1.1}],
            }
        ]
    )
    # logos 0.4 (< first step): revenue x1 -> 70k + 12k = 82k
    # logos 0.6: revenue 70k * 0.9 = 63k, logos 0.3 * 100k * 0.6 = 18k -> 81k
    # logos 1.0: revenue 70k * 1.1 = 77k, logos 30k -> 107k
    np.testing.assert_allclose(
        plan.payout({"revenue": [1.0, 1.0, 1.0], "logos": [0.4, 0.6, 1.0]}),
        [82_000, 81_000, 107_000],
    )


def test_spif_pays_a_fixed_amount_at_its_trigger() -> None:
    plan = one_role(
        spifs=[{"name": "club", "amount": 5_000.0, "measure": "revenue", "min_attainment": 1.2}]
    )
    # 1.1: 110k; 1.2: 120k + 5k = 125k
    np.testing.assert_allclose(plan.payout([1.1, 1.2]), [110_000, 125_000])
    d = plan.payout_detail([1.1, 1.2])
    np.testing.assert_allclose(d["spif"], [0, 5_000])


def test_non_recoverable_draw_tops_up_the_draw_months() -> None:
    plan = one_role(draw={"amount": 5_000.0, "months": 3, "recoverable": False})
    # draw 3 * 5k = 15k. Attainment 0.4: earned 40k a year, 40k * 3/12 = 10k in the draw
    # months -> top-up 5k, cost 45k. Attainment 1.0: 100k * 3/12 = 25k >= 15k -> no top-up.
    np.testing.assert_allclose(plan.payout([0.4, 1.0]), [45_000, 100_000])


def test_recoverable_draw_costs_only_the_written_off_balance() -> None:
    plan = one_role(draw={"amount": 5_000.0, "months": 6, "recoverable": True, "write_off": 0.5})
    # draw 6 * 5k = 30k. Attainment 0.1: earned 10k, advance 30k - 10k * 6/12 = 25k;
    # balance at year end 30k - 10k = 20k, half written off -> cost 10k + 10k = 20k.
    # Attainment 0.4: earned 40k, advance 30k - 20k = 10k, balance 0 -> cost 40k.
    d = plan.payout_detail([0.1, 0.4])
    np.testing.assert_allclose(d["incentive"], [20_000, 40_000])
    np.testing.assert_allclose(d["draw_advance"], [25_000, 10_000])


def test_clawback_on_churned_revenue() -> None:
    plan = one_role(
        {"tiers": [{"from": 0.0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 2.0}]},
        clawback={"churn_rate": 0.1, "recovery": 0.5},
    )
    # attainment 1.2 pays 1.0 + 2 * 0.2 = 1.4 TI = 140k. 10% churns: net 1.08 pays
    # 1.0 + 2 * 0.08 = 1.16 TI = 116k; clawback 0.5 * (140k - 116k) = 12k -> 128k
    np.testing.assert_allclose(plan.payout(1.2), 128_000)
    # explicit churn of 0.3 of quota from 1.2: net 0.9 -> 90k; clawback 0.5 * 50k = 25k
    np.testing.assert_allclose(plan.payout(1.2, churned=0.3), 115_000)


def test_mid_year_proration() -> None:
    plan = one_role(
        spifs=[{"name": "s", "amount": 1_000.0, "measure": "revenue", "min_attainment": 1.0}]
    )
    # hired 1 April: 9/12 active. Attainment 1.1 on the prorated quota pays 110k * 0.75 =
    # 82.5k, the SPIF (not prorated) 1k -> 83.5k
    np.testing.assert_allclose(plan.payout(1.1, active_share=0.75), 83_500)


def test_ote_and_pay_mix() -> None:
    plan = CompPlan.from_dict(
        {
            "roles": {
                "SE": {
                    "ote": 200_000.0,
                    "pay_mix": "70/30",
                    "measures": [
                        {"name": "revenue", "weight": 1, "tiers": [{"from": 0, "rate": 1}]}
                    ],
                }
            }
        }
    )
    # 30% of 200k = 60k target incentive, 140k base
    role = plan.role("SE")
    assert role.incentive_target == 60_000 and role.base == 140_000
    np.testing.assert_allclose(plan.payout(1.0), 60_000)


def test_per_rep_target_incentive_broadcasts() -> None:
    plan = one_role()
    att = np.array([[1.0, 0.5], [2.0, 1.0]])
    out = plan.payout(att, target_incentive=[10.0, 20.0])
    np.testing.assert_allclose(out, [[10, 10], [20, 20]])


def test_example_plan_hand_values(example: Any) -> None:
    plan = CompPlan.from_dict(example.plan)
    # AE: threshold 0.5, 1x to 100%, 2x to 150%, 1x above, cap 2.5 TI (85k)
    # 0.4 -> 0; 0.8 -> 0.8 TI = 68k; 1.2 -> 1.4 TI = 119k; 1.8 -> 2.0 + 0.3 = 2.3 TI = 195.5k
    np.testing.assert_allclose(
        plan.payout([0.4, 0.8, 1.2, 1.8], role="AE"), [0, 68_000, 119_000, 195_500]
    )


mono_plan = one_role(
    {
        "threshold": 0.4,
        "tiers": [
            {"from": 0.0, "to": 1.0, "rate": 1.0},
            {"from": 1.0, "to": 1.5, "rate": 2.5},
            {"from": 1.5, "rate": 0.5},
        ],
        "cap": 2.4,
    }
)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0, 5, allow_nan=False),
    st.floats(0, 5, allow_nan=False),
    st.sampled_from(["marginal", "retroactive"]),
)
def test_payout_monotone_and_capped(a: float, b: float, mode: str) -> None:
    plan = (
        mono_plan
        if mode == "marginal"
        else one_role(
            {
                "tier_mode": "retroactive",
                "threshold": 0.4,
                "cap": 2.4,
                "tiers": [{"from": 0.0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 1.5}],
            }
        )
    )
    lo, hi = sorted((a, b))
    p_lo, p_hi = plan.payout([lo, hi])
    assert p_lo <= p_hi + 1e-9
    assert 0.0 <= p_hi <= 2.4 * TI + 1e-6
    assert plan.curve().is_monotone


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 4, allow_nan=False), min_size=1, max_size=30))
def test_vectorised_equals_scalar(xs: list[float]) -> None:
    vec = mono_plan.payout(np.array(xs))
    one = [float(mono_plan.payout(x)) for x in xs]
    np.testing.assert_allclose(vec, one, rtol=0, atol=1e-9)


@st.composite
def random_tiers(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.floats(0.05, 3.0), min_size=n, max_size=n, unique=True)))
    starts = [0.0, *cuts[:-1]]
    rates = draw(st.lists(st.floats(0.0, 4.0), min_size=n, max_size=n))
    open_last = draw(st.booleans())
    tiers = [
        {"from": s, "to": (None if (i == n - 1 and open_last) else e), "rate": r}
        for i, (s, e, r) in enumerate(zip(starts, cuts, rates, strict=True))
    ]
    return {
        "tiers": tiers,
        "threshold": draw(st.floats(0.0, 1.0)),
        "cap": draw(st.one_of(st.none(), st.floats(0.5, 5.0))),
    }


@settings(max_examples=150, deadline=None)
@given(random_tiers(), st.lists(st.floats(0, 6, allow_nan=False), min_size=2, max_size=40))
def test_random_marginal_plans_are_monotone_and_capped(
    spec: dict[str, Any], xs: list[float]
) -> None:
    plan = one_role(spec)
    x = np.sort(np.array(xs))
    pay = plan.payout(x)
    # marginal tiers with non-negative rates never pay less for more attainment
    assert np.all(np.diff(pay) >= -1e-6)
    assert np.all(pay >= 0)
    if spec["cap"] is not None:
        assert np.all(pay <= spec["cap"] * TI + 1e-6)
    # above the threshold the payout is the integral of the rates (hand formula)
    for a, p in zip(x, pay, strict=True):
        if a < spec["threshold"]:
            assert p == 0.0
            continue
        f = sum(
            t["rate"] * max(0.0, min(a, t["to"] if t["to"] is not None else np.inf) - t["from"])
            for t in spec["tiers"]
        )
        if spec["cap"] is not None:
            f = min(f, spec["cap"])
        assert p == pytest.approx(TI * f, rel=1e-9, abs=1e-6)


def test_defaults_of_gates_modifiers_and_prorated_spifs() -> None:
    # a gate without applies_to stops every measure, its own included
    gated = two_measures(gates=[{"measure": "logos", "min_attainment": 0.5}])
    # logos 0.4 < 0.5: nothing at all; logos 0.5: 0.7 * 100k * 1.0 + 0.3 * 100k * 0.5 = 85k
    np.testing.assert_allclose(
        gated.payout({"revenue": [1.0, 1.0], "logos": [0.4, 0.5]}), [0, 85_000]
    )
    # a modifier without applies_to scales every other measure, not its driver
    mod = two_measures(modifiers=[{"measure": "logos", "steps": [{"from": 1.0, "multiplier": 2}]}])
    # logos 1.0: revenue 70k * 2 = 140k, logos 30k unscaled -> 170k
    np.testing.assert_allclose(mod.payout({"revenue": 1.0, "logos": 1.0}), 170_000)
    # a prorated SPIF: half a year active pays half of 4k
    spif = one_role(
        spifs=[
            {
                "name": "s",
                "amount": 4_000.0,
                "measure": "revenue",
                "min_attainment": 1.0,
                "prorate": True,
            }
        ]
    )
    # 0.5 * 100k * 1.0 + 0.5 * 4k = 52k
    np.testing.assert_allclose(spif.payout(1.0, active_share=0.5), 52_000)
    # not active at all: nothing, not even the draw
    drawn = one_role(draw={"amount": 5_000.0, "months": 3})
    np.testing.assert_allclose(drawn.payout(0.0, active_share=0.0), 0.0)


def test_example_plan_golden_payout_table() -> None:
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[2]
    golden = pd.read_csv(Path(__file__).parent / "golden" / "example_plan_payouts.csv")
    plan = CompPlan.from_yaml(root / "data" / "example" / "plan.yaml")
    a = golden["attainment"].to_numpy()
    np.testing.assert_allclose(plan.payout(a, role="AE"), golden["ae_incentive"], atol=0.01)
    ent = plan.payout_detail(
        {"revenue": a, "new_logos": np.ones_like(a)},
        role="Enterprise AE",
        churned={"revenue": np.zeros_like(a)},
    )
    np.testing.assert_allclose(ent["measure:revenue"], golden["ent_revenue_pay"], atol=0.01)
    np.testing.assert_allclose(ent["measure:new_logos"], golden["ent_new_logos_pay"], atol=0.01)
    np.testing.assert_allclose(ent["incentive"], golden["ent_incentive"], atol=0.01)
    row = golden.set_index("attainment")
    # Enterprise AE revenue TI = 0.8 * 120k = 96k; at 120%: 1.0 + 1.8 * 0.2 = 1.36 -> 130,560;
    # new logos at 100%: 0.2 * 120k = 24k; SPIF 10k from 120% -> 164,560
    assert row.loc[1.2, "ent_incentive"] == 164_560.0
    # below 50% of the revenue quota the gate stops new-logo pay
    assert row.loc[0.45, "ent_new_logos_pay"] == 0.0
    # AE cap: 2.5 x 85k = 212,500 from 200% on
    assert row.loc[3.0, "ae_incentive"] == 212_500.0
