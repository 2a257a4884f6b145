"""Exact apportionment in whole increments."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spmopt.quota import apportion, apportion_rows


def test_hand_case() -> None:
    # 10 split 1:1:1 -> 4,3,3 (largest remainder, earlier column on ties)
    assert apportion(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    # 3.5, 1.75, 1.75: floors 3, 1, 1; the two largest remainders (0.75) get the rest
    assert apportion(7, np.array([0.5, 0.25, 0.25])).tolist() == [3, 2, 2]
    assert apportion(5, np.zeros(2)).tolist() == [3, 2]
    assert apportion(0, np.array([1.0, 2.0])).tolist() == [0, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 10**7), min_size=1, max_size=6),
    st.integers(1, 12),
    st.integers(0, 2**31 - 1),
)
def test_rows_sum_exactly_and_stay_within_one(totals: list[int], k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.gamma(0.5, size=(len(totals), k))
    w[rng.random(w.shape) < 0.2] = 0.0
    parts = apportion_rows(np.array(totals), w)
    assert (parts.sum(axis=1) == np.array(totals)).all()
    assert (parts >= 0).all()
    s = w.sum(axis=1, keepdims=True)
    share = np.where(s > 0, w / np.where(s > 0, s, 1), 1 / k)
    assert (np.abs(parts - np.array(totals)[:, None] * share) < 1 + 1e-6).all()
