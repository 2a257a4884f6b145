"""Chain repair: hand-solvable chains, a swap case, and invariants on random models."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spmopt.territory.chains import chain_repair
from spmopt.territory.model import AlignmentModel


def make_model(
    home: list[int],
    weight: list[float],
    cost: list[list[float]],
    *,
    target: float = 100.0,
    tol: float = 0.3,
    load: list[float] | None = None,
    cap: float = np.inf,
) -> tuple[AlignmentModel, np.ndarray]:
    """Dense model over K territories; ``cost[i][k]`` is inf where k is not allowed."""
    c = np.asarray(cost, dtype=float)
    n, K = c.shape
    cand = np.where(np.isfinite(c), np.arange(K)[None, :], -1)
    model = AlignmentModel(
        ids=np.array([f"i{i}" for i in range(n)]),
        territories=np.array([f"T{k}" for k in range(K)]),
        cand=cand,
        cost=c,
        move=np.zeros((n, K)),
        W=np.asarray(weight, dtype=float)[:, None],
        attrs=["potential"],
        target=np.full((K, 1), target),
        lo=np.full((K, 1), target * (1 - tol)),
        hi=np.full((K, 1), target * (1 + tol)),
        load=np.asarray(load if load is not None else np.zeros(n), dtype=float),
        cap=np.full(K, cap),
    )
    return model, np.asarray(home)


def brute_force(model: AlignmentModel) -> float:
    best = np.inf
    options = [np.nonzero(model.valid()[i])[0] for i in range(model.n)]
    for slot in itertools.product(*options):
        s = np.asarray(slot)
        if model.is_feasible(s, tol=1e-9):
            best = min(best, model.objective(s))
    return best


INF = np.inf


def test_push_chain_through_a_full_neighbour_is_the_cheapest_repair() -> None:
    # T0 holds 135 (band 70..130), T1 sits exactly on 130, T2 has room; T0's items can only go
    # to T1 and T1's only to T2, so the repair is a chain T0 -> T1 -> T2. Moving the 45 (+1)
    # and then a 45 out of T1 (+5) costs 6; the 40 route costs 4 + 3 = 7; the 50 has no
    # follow-up (T1 holds nothing that big).
    model, home = make_model(
        home=[0, 0, 0, 1, 1, 1, 2, 2],
        weight=[40, 45, 50, 40, 45, 45, 35, 40],
        cost=[
            [0, 4, INF],
            [0, 1, INF],
            [0, 3, INF],
            [INF, 0, 3],
            [INF, 0, 5],
            [INF, 0, 6],
            [INF, INF, 0],
            [INF, INF, 0],
        ],
    )
    start = home.copy()
    assert not model.is_feasible(start)
    out = chain_repair(model, start)
    assert model.is_feasible(out, tol=1e-9)
    assert model.objective(out) == brute_force(model) == 6.0
    assert model.territory_of(out).tolist() == [0, 1, 0, 1, 2, 1, 2, 2]


def test_pull_chain_fills_a_territory_below_its_band() -> None:
    # T0 holds 60 (< 70); T1 sits on 70 and can give only if T2 (room to spare) refills it.
    model, home = make_model(
        home=[0, 0, 1, 1, 2, 2, 2],
        weight=[30, 30, 35, 35, 40, 40, 40],
        cost=[
            [0, INF, INF],
            [0, INF, INF],
            [2, 0, INF],
            [7, 0, INF],
            [INF, 1, 0],
            [INF, 4, 0],
            [INF, 9, 0],
        ],
    )
    out = chain_repair(model, home.copy())
    assert model.is_feasible(out, tol=1e-9)
    assert model.objective(out) == brute_force(model) == 3.0


def test_swap_fixes_potential_below_band_at_capacity() -> None:
    # T0 is below its potential band and exactly at its workload capacity: no one-way move
    # helps, an exchange with T1 does (the 40-potential/1-workload item in, the 20/5 out).
    model, home = make_model(
        home=[0, 0, 0, 1, 1, 1],
        weight=[20, 25, 20, 40, 30, 30],
        cost=[[0, 1], [0, 1], [0, 1], [2, 0], [9, 0], [9, 0]],
        load=[5, 5, 5, 1, 1, 1],
        cap=15,
        tol=0.3,
    )
    out = chain_repair(model, home.copy())
    assert model.is_feasible(out, tol=1e-9)
    assert model.objective(out) == brute_force(model) == 3.0


@st.composite
def random_case(draw: st.DrawFn) -> tuple[AlignmentModel, np.ndarray, float]:
    """Small random models: one or two attributes, padded slots, capacities (some below one),
    and a disruption cap around the start's own disruption."""
    K = draw(st.integers(2, 4))
    n = draw(st.integers(K, 9))
    m = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    cost = rng.uniform(0, 10, (n, K))
    cost[rng.random((n, K)) < 0.3] = np.inf
    home = rng.integers(0, K, n)
    cost[np.arange(n), home] = rng.uniform(0, 10, n)  # the start is always allowed
    order = np.argsort(~np.isfinite(cost), axis=1, kind="stable")  # padding last, as in models
    cand = np.where(np.isfinite(np.take_along_axis(cost, order, 1)), order, -1)
    cost = np.take_along_axis(cost, order, 1)
    W = rng.integers(1, 20, (n, m)).astype(float)
    tol = draw(st.sampled_from([0.1, 0.3, 0.6]))
    target = np.tile(W.sum(axis=0) / K, (K, 1))
    load = rng.uniform(0, 1, n)
    cap = np.where(rng.random(K) < 0.5, rng.uniform(0.2, 3.0, K), np.inf)
    current = rng.integers(0, K, n)
    move = np.where(cand >= 0, (cand != current[:, None]).astype(float), 0.0)
    slot = np.nonzero(cand == home[:, None])[1]
    start_moved = float(move[np.arange(n), slot].sum())
    max_move = draw(st.sampled_from([None, 0.5, 1.0, 1.5])) if n else None
    model = AlignmentModel(
        ids=np.array([f"i{i}" for i in range(n)]),
        territories=np.array([f"T{k}" for k in range(K)]),
        cand=cand,
        cost=cost,
        move=move,
        W=W,
        attrs=[f"a{a}" for a in range(m)],
        target=target,
        lo=target * (1 - tol),
        hi=target * (1 + tol),
        load=load,
        cap=cap,
        max_move=None if max_move is None else max_move * start_moved,
    )
    return model, slot, draw(st.sampled_from([0.0, 1.0]))


@settings(max_examples=150, deadline=None)
@given(random_case())
def test_chain_repair_never_makes_things_worse(
    case: tuple[AlignmentModel, np.ndarray, float],
) -> None:
    model, start, price = case
    out = chain_repair(model, start.copy(), move_price=price)
    assert model.valid()[np.arange(model.n), out].all()  # only allowed slots
    assert model.violation(out) <= model.violation(start) + 1e-12
    if model.is_feasible(start, tol=1e-12):
        assert (out == start).all()  # nothing to repair: nothing moves
    if model.max_move is not None:
        moved = float(model.move[np.arange(model.n), out].sum())
        start_moved = float(model.move[np.arange(model.n), start].sum())
        assert moved <= max(model.max_move, start_moved) + 1e-9  # the cap is never broken


def test_disruption_over_the_cap_is_brought_back() -> None:
    # bands hold, but two accounts left their current territory where the cap allows one:
    # moving the cheaper one home (cost +1) fixes it and keeps both bands
    model, home = make_model(
        home=[0, 1, 0, 1],
        weight=[50, 50, 50, 50],
        cost=[[0, 5], [1, 0], [0, 3], [4, 0]],
        tol=0.5,
    )
    model.move = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # current: 0, 0, 1, 1
    model.max_move = 1.0
    out = chain_repair(model, home.copy())
    assert model.is_feasible(out, tol=1e-12)
    assert model.territory_of(out).tolist() == [0, 0, 0, 1]


def test_capacity_below_one_is_weighed_as_the_model_weighs_it() -> None:
    # a chain that trades band violation for capacity overflow must be judged on the model's
    # own measure (capacity overflow relative to max(cap, 1)), or it makes things worse
    model, home = make_model(
        home=[0, 0, 1, 1],
        weight=[55, 25, 50, 45],
        cost=[[0, 1], [0, 1], [INF, 0], [INF, 0]],
        load=[0.3, 0.3, 0, 0],
        cap=0.5,
    )
    out = chain_repair(model, home.copy())
    assert model.violation(out) <= model.violation(home) + 1e-12
