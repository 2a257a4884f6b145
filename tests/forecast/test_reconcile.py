"""Reconciliation: coherent at every level for every method, exact where theory says so."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from spmopt.errors import ConfigError
from spmopt.forecast.reconcile import METHODS, reconcile, shrinkage_lambda


def tree(children_per_level: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A balanced-or-not tree: returns parent (m,), S (m, n_bottom), bottom rows."""
    parent = [-1]
    frontier = [0]
    for k in children_per_level:
        nxt = []
        for node in frontier:
            for _ in range(k):
                parent.append(node)
                nxt.append(len(parent) - 1)
        frontier = nxt
    par = np.array(parent)
    m = len(par)
    leaf = np.ones(m, bool)
    leaf[par[par >= 0]] = False
    bottom = np.flatnonzero(leaf)
    s = np.zeros((m, len(bottom)))
    for j, b in enumerate(bottom):
        node = b
        while node >= 0:
            s[node, j] = 1
            node = par[node]
    return par, s, bottom


def assert_coherent(y: np.ndarray, parent: np.ndarray) -> None:
    sums = np.zeros_like(y)
    np.add.at(sums, parent[parent >= 0], y[parent >= 0])
    has_child = np.isin(np.arange(len(parent)), parent[parent >= 0])
    np.testing.assert_allclose(sums[has_child], y[has_child], rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    shape=hst.lists(hst.integers(1, 4), min_size=1, max_size=3),
    method=hst.sampled_from([m for m in METHODS if m != "none"]),
    seed=hst.integers(0, 2**16),
    h=hst.integers(1, 6),
)
def test_every_method_is_coherent_at_every_level(
    shape: list[int], method: str, seed: int, h: int
) -> None:
    parent, s, bottom = tree(shape)
    rng = np.random.default_rng(seed)
    m = len(parent)
    base = rng.gamma(2.0, 50.0, (m, h)) * s.sum(axis=1, keepdims=True)
    errors = rng.normal(0, 10, (30, m)) * np.sqrt(s.sum(axis=1))
    out = reconcile(base, s, bottom, method, errors=errors, parent=parent)
    assert out.shape == base.shape and np.isfinite(out).all()
    assert_coherent(out, parent)


@settings(max_examples=25, deadline=None)
@given(
    shape=hst.lists(hst.integers(1, 4), min_size=1, max_size=3),
    method=hst.sampled_from(["mint_ols", "mint_wls", "mint_shrink", "bottom_up", "top_down"]),
    seed=hst.integers(0, 2**16),
)
def test_coherent_forecasts_are_left_unchanged(shape: list[int], method: str, seed: int) -> None:
    parent, s, bottom = tree(shape)
    rng = np.random.default_rng(seed)
    b = rng.gamma(2.0, 50.0, (len(bottom), 3))
    coherent = s @ b
    errors = rng.normal(0, 5, (20, len(parent)))
    out = reconcile(coherent, s, bottom, method, errors=errors, parent=parent)
    np.testing.assert_allclose(out, coherent, rtol=1e-8, atol=1e-8)


def test_ols_on_two_children_splits_the_gap_evenly() -> None:
    _parent, s, bottom = tree([2])
    base = np.array([[12.0], [4.0], [5.0]])  # total 12, children sum to 9: gap 3
    out = reconcile(base, s, bottom, "mint_ols")
    # OLS projection: each of the three series moves by 1
    np.testing.assert_allclose(out[:, 0], [11.0, 5.0, 6.0])


def test_top_down_keeps_the_top_and_proportions() -> None:
    parent, s, bottom = tree([2, 2])
    base = np.array([[100.0], [30.0], [10.0], [1.0], [3.0], [2.0], [6.0]])
    out = reconcile(base, s, bottom, "top_down", parent=parent)
    assert out[0, 0] == pytest.approx(100.0)
    assert out[1, 0] == pytest.approx(75.0)  # 30 / (30 + 10)
    assert out[3, 0] == pytest.approx(75.0 * 0.25)


def test_bottom_up_sums_the_bottom() -> None:
    _parent, s, bottom = tree([3])
    base = np.array([[0.0], [1.0], [2.0], [3.0]])
    np.testing.assert_allclose(reconcile(base, s, bottom, "bottom_up")[:, 0], [6, 1, 2, 3])


def test_shrinkage_lambda_matches_the_definition() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(25, 6)) @ rng.normal(size=(6, 6))
    n = x.shape[0]
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    w = z[:, :, None] * z[:, None, :]
    wbar = w.mean(0)
    var_r = n / (n - 1) ** 3 * ((w - wbar) ** 2).sum(0)
    r = n / (n - 1) * wbar
    off = ~np.eye(6, dtype=bool)
    expected = np.clip(var_r[off].sum() / (r[off] ** 2).sum(), 0, 1)
    assert shrinkage_lambda(x) == pytest.approx(expected, rel=1e-9)


def test_unknown_method() -> None:
    _parent, s, bottom = tree([2])
    with pytest.raises(ConfigError, match="allowed"):
        reconcile(np.ones((3, 1)), s, bottom, "middle_out")


def test_calibration_reconciler_cross_fits_by_target_month() -> None:
    """A backtest month is reconciled with MinT weights fitted on the errors of the other
    parity of months, never on its own; methods without an error sample reconcile as usual."""
    from scipy import sparse

    from spmopt.forecast.forecaster import _CalibrationReconciler
    from spmopt.forecast.reconcile import Reconciler

    s = sparse.csr_matrix(np.array([[1.0, 1.0, 1.0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    bottom = np.array([1, 2, 3])
    rng = np.random.default_rng(4)
    origins, h = [10, 13], 4
    err = rng.normal(0, 1, (len(origins) * h, 4)) * np.array([1.0, 1.0, 3.0, 0.5])
    target = (np.array(origins)[:, None] + np.arange(h)).ravel()
    full = Reconciler(s, bottom, "mint_shrink", errors=err)
    cal = _CalibrationReconciler(full, err, origins, h, s, bottom, "mint_shrink", None, False)
    base = rng.uniform(50, 150, (4, h))
    got = cal(base, 13)
    for k in range(h):
        other = Reconciler(s, bottom, "mint_shrink", errors=err[target % 2 != (13 + k) % 2])
        np.testing.assert_allclose(got[:, k], other(base)[:, k])
    assert not np.allclose(got, full(base))
    np.testing.assert_allclose(got[0], got[1:].sum(axis=0))  # coherent
    ols = Reconciler(s, bottom, "mint_ols")
    cal = _CalibrationReconciler(ols, err, origins, h, s, bottom, "mint_ols", None, False)
    np.testing.assert_allclose(cal(base, 13), ols(base))
