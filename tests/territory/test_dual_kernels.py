"""The smoothed-dual kernel against a plain numpy evaluation, and its independence of threads."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmopt.territory.dual_kernels import BLOCK, smoothed_dual_pass


def _instance(seed: int, n: int, P: int, K: int, m: int) -> tuple:
    rng = np.random.default_rng(seed)
    cand = rng.integers(0, K, (n, P)).astype(np.int64)
    cand[: max(n // 7, 1), -1] = -1  # padding slots
    cost = rng.random((n, P)) * 100.0
    cost[cand < 0] = np.inf
    valid = (cand >= 0) & np.isfinite(cost)
    W = rng.random((n, m))
    load = rng.random(n)
    move = rng.random((n, P))
    temp = rng.random(n) * 5 + 0.01
    mult = (rng.normal(size=(K, m)) * 20.0, rng.random(K) * 5.0, 0.7)
    return (cand, cost, valid, W, load, move), temp, mult


def _numpy(slots: tuple, temp: np.ndarray, mult: tuple, K: int) -> tuple:
    cand, cost, valid, W, load, move = slots
    mu, gam, nu = mult
    c = cand.clip(min=0)
    r = cost.copy()
    for a in range(W.shape[1]):
        r += W[:, a, None] * mu[c, a]
    r += load[:, None] * gam[c] + nu * move
    r = np.where(valid, r, np.inf)
    rmin = r.min(axis=1)
    e = np.where(valid, np.exp(-(r - rmin[:, None]) / temp[:, None]), 0.0)
    se = e.sum(axis=1)
    p = e / se[:, None]
    soft = float((rmin - temp * np.log(se)).sum())
    loads = np.stack(
        [np.bincount(c.ravel(), (p * W[:, a, None]).ravel(), K) for a in range(W.shape[1])], 1
    )
    wl = np.bincount(c.ravel(), (p * load[:, None]).ravel(), K)
    return soft, loads, wl, float((p * np.where(valid, move, 0.0)).sum())


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 3 * BLOCK + 5),
    P=st.integers(1, 9),
    K=st.integers(1, 12),
    m=st.integers(1, 3),
)
def test_kernel_matches_numpy(seed: int, n: int, P: int, K: int, m: int) -> None:
    slots, temp, mult = _instance(seed, n, P, K, m)
    if not slots[2].any(axis=1).all():  # every item needs a real slot (P = 1 with padding)
        slots[2][:, 0] = True
        slots[1][:, 0] = 1.0
        slots[0][:, 0] = 0
    got = smoothed_dual_pass(slots, temp, mult, (True, True), K)
    want = _numpy(slots, temp, mult, K)
    assert got[0] == pytest.approx(want[0], rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-10, atol=1e-10)
    assert got[3] == pytest.approx(want[3], rel=1e-10, abs=1e-10)


def test_flags_drop_capacity_and_moves() -> None:
    slots, temp, (mu, gam, nu) = _instance(1, 500, 5, 7, 2)
    got = smoothed_dual_pass(slots, temp, (mu, gam, nu), (False, False), 7)
    want = _numpy(slots, temp, (mu, np.zeros(7), 0.0), 7)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)
    assert not got[2].any() and got[3] == 0.0


def test_same_bits_on_any_number_of_threads() -> None:
    slots, temp, mult = _instance(3, 5 * BLOCK + 17, 9, 40, 2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = smoothed_dual_pass(slots, temp, mult, (True, True), 40)
    finally:
        numba.set_num_threads(before)
    many = smoothed_dual_pass(slots, temp, mult, (True, True), 40)
    assert one[0] == many[0] and one[3] == many[3]
    assert np.array_equal(one[1], many[1]) and np.array_equal(one[2], many[2])
