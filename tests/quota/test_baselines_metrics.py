"""Historical baselines, metrics and interval-derived draws."""

from __future__ import annotations

import numpy as np
import pytest

from spmopt.quota import (
    attainment_metrics,
    draws_from_intervals,
    fairness_metrics,
    interval_scales,
    last_year_growth,
    p_attain,
    ratchet,
)


def test_last_year_growth_is_uniform_growth_rolled_up() -> None:
    q = last_year_growth(np.array([100.0, 300.0, 0.0]), np.array([1.0, 1.0, 2.0]), 1100, 1.0)
    # no-history territory takes potential x (400 / 2) = 400; 800 grows to 1100: x 1.375
    assert q.tolist() == [138.0, 412.0, 550.0]  # 137.5/412.5/550 by largest remainder
    assert q.sum() == 1100


def test_ratchet_moves_more_after_beating_quota() -> None:
    last = np.array([120.0, 80.0])
    prior_quota = np.array([100.0, 100.0])
    q = ratchet(
        last, np.array([0.0, 0.0]), np.ones(2), 2000, 0.1, last_quota=prior_quota, up=0.6, down=0.3
    )
    # raw 112 and 94, scaled to 200 in total
    assert q.sum() == pytest.approx(200.0)
    assert q[0] / q[1] == pytest.approx(112 / 94, rel=1e-2)
    sym = ratchet(
        last, np.zeros(2), np.ones(2), 2000, 0.1, last_quota=prior_quota, up=0.3, down=0.3
    )
    assert q[0] > sym[0]


def test_fairness_metrics_hand_case() -> None:
    m = fairness_metrics(np.array([10.0, 20.0, 30.0, 5.0]), np.array([100.0, 100.0, 100.0, 0.0]))
    r = np.array([0.1, 0.2, 0.3])
    assert m["quota_potential_cv"] == pytest.approx(r.std() / r.mean())
    assert m["quota_potential_max_min"] == pytest.approx(3.0)


def test_p_attain_and_attainment_metrics() -> None:
    draws = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 10.0]])
    p = p_attain(np.array([2.5, 20.0]), draws)
    assert p.tolist() == [0.5, 0.0]
    m = attainment_metrics(np.array([2.5, 20.0]), draws)
    assert m["expected_share_at_quota"] == pytest.approx(0.25)
    assert m["share_below_50"] == pytest.approx(1 / 8)  # 1/2.5; 10/20 is exactly 50%


def test_interval_draws_match_intervals_and_share_a_shock() -> None:
    y = np.full((2, 12), 100.0)
    lo, hi = interval_scales(y, y - 20.0, y + 40.0)
    x = draws_from_intervals(y, lo, hi, 20_000, seed=1, common_shock=0.4, month_correlation=0.7)
    q10, q90 = np.quantile(x[:, 0, 0], [0.1, 0.9])
    assert q10 == pytest.approx(80.0, abs=1.0) and q90 == pytest.approx(140.0, abs=1.5)
    z = x[:, :, 0] - 100.0
    assert np.corrcoef(z[:, 0], z[:, 1])[0, 1] == pytest.approx(0.4, abs=0.05)
    assert np.corrcoef(x[:, 0, 0], x[:, 0, 5])[0, 1] == pytest.approx(0.7, abs=0.05)
    again = draws_from_intervals(y, lo, hi, 20_000, seed=1, common_shock=0.4, month_correlation=0.7)
    assert np.array_equal(x, again)
