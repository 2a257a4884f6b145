"""Each solve phase on its own, on small models whose optimum enumeration gives."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from spmopt.solver import SolverOptions
from spmopt.territory.engine import solve_model
from spmopt.territory.local_search import local_search
from spmopt.territory.phases import (
    Budget,
    Clock,
    SolveState,
    WorkBudget,
    bound,
    compromise,
    exact,
    improve,
    primal,
)
from spmopt.territory.phases.compromise import max_violation, row_violations, widened
from tests.territory.helpers import array_model, brute_force, make_instance


def _budget(limit: float = 60.0) -> Budget:
    return Budget(WorkBudget(), Clock(limit), SolverOptions(time_limit=limit, mip_rel_gap=1e-6))


@pytest.fixture
def small() -> tuple:
    acc, reps = make_instance(9, 3, 5, current=False)
    return acc, reps, array_model(acc, reps, {"potential": 0.25})


def test_bound_is_below_the_enumerated_optimum(small: tuple) -> None:
    acc, reps, model = small
    best, _ = brute_force(acc, reps, 0.25)
    st = bound(model, SolveState(model=model), _budget())
    assert np.isfinite(st.lower) and st.lower <= best * (1 + 1e-9)
    assert st.shares is not None and np.allclose(st.shares.sum(axis=1), 1.0)
    assert st.log[-1].name == "bound"


def test_primal_finds_an_assignment_within_every_band(small: tuple) -> None:
    _, _, model = small
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None and model.is_feasible(st.slot, tol=1e-6)
    assert st.upper == pytest.approx(model.objective(st.slot))


def test_improve_never_raises_the_objective_and_exact_closes_the_gap(small: tuple) -> None:
    acc, reps, model = small
    best, _ = brute_force(acc, reps, 0.25)
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    before = st.upper
    st = improve(model, st, b)
    assert st.upper <= before + 1e-9
    st = exact(model, st, b)
    assert st.upper == pytest.approx(best, rel=1e-6)
    assert st.lower == pytest.approx(best, rel=1e-5)


def test_local_search_keeps_feasibility_and_lowers_cost() -> None:
    acc, reps = make_instance(60, 4, 11, current=False)
    model = array_model(acc, reps, {"potential": 0.2, "workload": 0.3})
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None
    out = local_search(model, st.slot)
    assert model.is_feasible(out, tol=1e-6)
    assert model.objective(out) <= st.upper + 1e-9


def test_compromise_minimises_the_largest_violation_on_an_impossible_band() -> None:
    acc, reps = make_instance(8, 2, 7, current=False)
    acc.loc[0, "potential"] = 2 * acc["potential"].sum()  # one account is 2/3 of the total
    model = array_model(acc, reps, {"potential": 0.05})
    b = _budget()
    st = bound(model, SolveState(model=model), b)
    st = compromise(model, primal(model, st, b), b)
    assert st.slot is None and st.compromise is not None
    # the least largest violation over all 2^8 assignments
    n, K = model.n, model.K
    best = min(
        max_violation(model, np.array([(c >> i) & 1 for i in range(n)])) for c in range(K**n)
    )
    assert best > 0.25  # far outside the band, whatever the assignment
    assert st.compromise.violation == pytest.approx(best, abs=1e-9)
    assert st.compromise.lower <= st.compromise.violation + 1e-9
    named = row_violations(model, st.compromise.slot)
    assert all(v.row == "balance" and v.attribute == "potential" for v in named)
    assert widened(model, st.compromise.violation + 1e-9).is_feasible(st.compromise.slot, 1e-6)


def test_engine_is_repeatable_and_reports_its_phases() -> None:
    acc, reps = make_instance(80, 5, 2, current=False)
    model = array_model(acc, reps, {"potential": 0.05, "workload": 0.1})
    a = solve_model(model, SolverOptions(time_limit=120, mip_rel_gap=1e-3))
    b = solve_model(replace(model), SolverOptions(time_limit=120, mip_rel_gap=1e-3))
    assert a.slot is not None and b.slot is not None
    assert np.array_equal(a.slot, b.slot)
    assert a.state is not None and [p.name for p in a.state.log][:2] == ["bound", "primal"]
    assert not a.info.time_capped


def test_work_budget_scales() -> None:
    w = WorkBudget().scaled(2.0)
    assert w.exact_nodes == 2 * WorkBudget().exact_nodes
    assert WorkBudget().scaled(1e-9).compromise_steps == 1
    # a share is a stopping rule, not a count: effort leaves it alone
    assert w.neighbourhood_min_gain == WorkBudget().neighbourhood_min_gain < 1


def test_build_model_is_inspectable_without_solving() -> None:
    from spmopt.territory import TerritoryAligner, build_model

    acc, reps = make_instance(30, 4, 3)
    reps["region"] = ["N", "N", "S", "S"]
    al = TerritoryAligner({"potential": 0.1, "workload": 0.2}, within="region")
    built = build_model(acc, reps, al.settings())
    assert [g.name for g in built.groups] == ["N", "S"]
    # every account in exactly one group, each group balanced on its own totals
    got = np.sort(np.concatenate([g.accounts for g in built.groups]))
    assert np.array_equal(got, np.arange(len(acc)))
    rows = built.rows()
    assert len(rows) == 4 * 2  # territories x attributes
    for g in built.groups:
        tot = acc["potential"].to_numpy()[g.accounts].sum()
        m = g.model
        assert m.target[:, 0].sum() == pytest.approx(tot)
        assert np.allclose(m.hi[:, 0], 1.1 * m.target[:, 0])
        assert m.dense and not g.problems
    with pytest.raises(Exception, match="groups"):
        _ = built.model


def test_exact_phase_on_a_pruned_model_proves_the_full_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import spmopt.territory.build as build_mod
    from spmopt.territory import TerritoryAligner

    acc, reps = make_instance(120, 8, 6, current=False)
    al = TerritoryAligner(
        {"potential": 0.1}, capacity=False, candidates=3, solver=SolverOptions(mip_rel_gap=1e-6)
    )
    dense = al.build_model(acc, reps).model
    monkeypatch.setattr(build_mod, "DENSE_MAX", 100)
    pruned = al.build_model(acc, reps).model
    assert dense.dense and not pruned.dense and pruned.cand.shape[1] < dense.K
    opts = SolverOptions(time_limit=120, mip_rel_gap=1e-6)
    full = solve_model(dense, opts)
    res = solve_model(pruned, opts, exact_phase=True)
    assert full.info.status == "optimal" and res.slot is not None
    # the pruned solve's bound holds for the full model, and it reaches the full optimum
    assert res.info.bound <= full.info.objective * (1 + 1e-6)
    assert res.info.objective == pytest.approx(full.info.objective, rel=1e-5)


def test_lp_dive_rounds_to_a_full_assignment_that_repairs_within_both_bands() -> None:
    """The dive returns one slot per item; with the chain repair the primal phase then meets
    both bands, and the optimum it reaches is no better than enumeration allows."""
    from itertools import product

    from spmopt.territory.phases.dive import lp_dive
    from spmopt.territory.phases.primal import round_shares

    acc, reps = make_instance(10, 3, 11, current=False)
    model = array_model(acc, reps, {"potential": 0.3, "workload": 0.3})
    b = _budget()
    shares, note = lp_dive(model, b)
    assert shares is not None and np.allclose(shares.sum(axis=1), 1.0)
    slot = round_shares(model, shares)
    assert slot.shape == (model.n,)
    assert ((slot >= 0) & (slot < model.K)).all() and "dive" in note
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None and model.is_feasible(st.slot, tol=1e-6)
    assert any(p.note.count("dive") for p in st.log)
    best = min(
        model.objective(np.array(s))
        for s in product(range(model.K), repeat=model.n)
        if model.is_feasible(np.array(s), tol=1e-6)
    )
    assert st.upper >= best * (1 - 1e-9)
    full = solve_model(model, SolverOptions(time_limit=60, mip_rel_gap=1e-6))
    assert full.info.objective == pytest.approx(best, rel=1e-6)


def test_dive_keeps_the_lp_optimum_on_fewer_slots() -> None:
    """The dive's LP keeps each item's 12 slots of least reduced cost and the LP's support:
    it has the bound's optimum, on fewer columns."""
    from spmopt.territory.highs_model import build_submip, solve_sub
    from spmopt.territory.phases.dive import DIVE_SLOTS, dive_slots

    acc, reps = make_instance(150, 20, 7, current=False)
    model = array_model(acc, reps, {"potential": 0.1, "workload": 0.15})
    st = bound(model, SolveState(model=model), _budget())
    assert st.shares is not None and st.reduced is not None and model.K > DIVE_SLOTS
    mask = dive_slots(model, st.reduced, st.shares)
    support = st.shares > 1e-9
    assert (mask | ~support).all() and not (mask & ~model.valid()).any()
    assert (mask.sum(axis=1) >= DIVE_SLOTS).all() and mask.sum() < model.valid().sum()
    n = model.n
    sub = build_submip(model, np.arange(n), mask, np.zeros(n, dtype=int), integer=False)
    lp = solve_sub(sub, _budget().solver(), simplex=True)
    assert lp.info.status == "optimal"
    assert lp.info.objective == pytest.approx(st.lower, rel=1e-7)
    # without reduced costs every valid slot stays
    assert np.array_equal(dive_slots(model, None, None), model.valid())


def test_guided_groups_follow_items_kept_off_their_cheapest_slot() -> None:
    """Territory 0's group is 0, the territory its off-best item belongs in, then a
    cost-based neighbour; with no such item it is the cost-based neighbours alone."""
    from spmopt.territory.phases.improve import _GuidedGroups
    from spmopt.territory.phases.primal import territory_neighbours

    acc, reps = make_instance(40, 6, 5, current=False)
    model = array_model(acc, reps, {"potential": 0.3})
    n, K = model.n, model.K
    r = np.ones((n, K))
    r[:, 0] = 0.0  # every item's cheapest slot by reduced cost is territory 0 ...
    slot = np.zeros(n, dtype=int)
    groups = _GuidedGroups(model, r, 3)
    base = territory_neighbours(model, 3)
    assert groups.of(0, slot).tolist() == base[0].tolist()  # nobody is off their best
    t = next(k for k in range(1, K) if k not in base[0].tolist())  # not a cost neighbour
    slot[7] = t  # ... and item 7 is kept in territory t
    g = groups.of(0, slot).tolist()
    assert g[:2] == [0, t] and len(g) == 3 and len(set(g)) == 3
    assert g[2] in base[0].tolist()
    assert groups.of(t, slot).tolist()[:2] == [t, 0]


def test_guided_neighbourhoods_keep_the_bands_and_never_raise_the_objective() -> None:
    from spmopt.territory.phases.improve import improve_by_neighbourhoods

    acc, reps = make_instance(60, 5, 3, current=False)
    model = array_model(acc, reps, {"potential": 0.15, "workload": 0.2})
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None and st.reduced is not None
    out = improve_by_neighbourhoods(model, st.slot, b, size=3, reduced=st.reduced)
    assert model.is_feasible(out, tol=1e-6)
    assert model.objective(out) <= st.upper + 1e-9
    again = improve_by_neighbourhoods(model, st.slot, b, size=3, reduced=st.reduced)
    assert np.array_equal(out, again)  # same inputs and seed, same assignment


def test_pruned_models_price_every_territory_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import spmopt.territory.build as build_mod
    from spmopt.territory import TerritoryAligner

    acc, reps = make_instance(150, 8, 7)
    al = TerritoryAligner({"potential": 0.1}, candidates=3)
    monkeypatch.setattr(build_mod, "DENSE_MAX", 100)
    kept = al.build_model(acc, reps).model
    monkeypatch.setattr(build_mod, "FULL_ROWS_KEPT_MAX", 0)
    priced = al.build_model(acc, reps).model
    assert kept.full_rows is not None and priced.full_rows is not None
    for i0, i1 in ((0, 150), (17, 18), (40, 97)):
        c, mv = kept.full_rows(i0, i1)
        c2, mv2 = priced.full_rows(i0, i1)
        assert np.array_equal(c, c2) and np.array_equal(mv, mv2)
        assert not c.flags.writeable and not mv.flags.writeable
    assert np.array_equal(kept.cost, priced.cost) and np.array_equal(kept.cand, priced.cand)


def test_pruned_two_attribute_models_end_the_bound_phase_cold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    import spmopt.territory.build as build_mod
    from spmopt.territory import TerritoryAligner
    from spmopt.territory.phases import SolveState, bound

    # the module, not the phase function that spmopt.territory.phases exports by that name
    bound_mod = importlib.import_module("spmopt.territory.phases.bound")

    acc, reps = make_instance(120, 8, 6, current=False)
    al = TerritoryAligner(
        {"potential": 0.1, "workload": 0.2},
        capacity=False,
        candidates=3,
        solver=SolverOptions(mip_rel_gap=1e-6),
    )
    dense = al.build_model(acc, reps).model
    monkeypatch.setattr(build_mod, "DENSE_MAX", 100)
    pruned = al.build_model(acc, reps).model
    one = TerritoryAligner({"potential": 0.1}, capacity=False, candidates=3)
    assert not bound_mod.spends_cold(one.build_model(acc, reps).model)  # one attribute
    assert bound_mod.spends_cold(pruned) and not bound_mod.spends_cold(dense)
    full = solve_model(dense, SolverOptions(time_limit=120, mip_rel_gap=1e-6))
    assert full.info.status == "optimal"
    st = bound(pruned, SolveState(model=pruned, counted_lower=0.0), _budget(120))
    # the cold bound still holds for the full model
    assert 0 < st.lower <= full.info.objective * (1 + 1e-9)
    assert st.reduced is not None and st.dual is not None


def test_barren_neighbourhoods_are_not_solved_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import itertools

    imp = importlib.import_module("spmopt.territory.phases.improve")
    acc, reps = make_instance(60, 5, 3, current=False)
    model = array_model(acc, reps, {"potential": 0.15, "workload": 0.2})
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None
    calls: list[int] = []
    solve = imp._neighbourhood_mip

    def counted(*a: object) -> object:
        calls.append(1)
        return solve(*a)

    monkeypatch.setattr(imp, "_neighbourhood_mip", counted)
    # every pass runs; one thread, so that no MIP is solved ahead
    work = replace(
        b,
        work=replace(b.work, neighbourhood_min_gain=-1.0),
        options=replace(b.options, threads=1),
    )
    out = imp.improve_by_neighbourhoods(model, st.slot, work, size=3)
    skipping = len(calls)
    calls.clear()
    fresh = itertools.count()
    neighbourhood_of = imp._Search._of

    def unique(self: object, k: int, slot: np.ndarray) -> object:
        nb = neighbourhood_of(self, k, slot)
        return nb._replace(key=(str(next(fresh)).encode(),))

    monkeypatch.setattr(imp._Search, "_of", unique)
    again = imp.improve_by_neighbourhoods(model, st.slot, work, size=3)
    # the skipped MIPs would have found nothing: the same assignment from fewer MIPs
    assert np.array_equal(out, again)
    assert skipping < len(calls) == work.work.neighbourhood_passes * model.K


@pytest.mark.parametrize(
    ("n", "K", "balance"),
    [
        (300, 12, {"potential": 0.1, "workload": 0.15}),
        (600, 16, {"potential": 0.1, "workload": 0.15}),
    ],
)
def test_neighbourhood_mips_solved_ahead_give_the_same_assignment(
    n: int, K: int, balance: dict[str, float]
) -> None:
    """The MIPs solved ahead on other threads are the ones the search would solve: one thread
    and four give the same assignment."""
    import importlib

    imp = importlib.import_module("spmopt.territory.phases.improve")
    acc, reps = make_instance(n, K, 5, current=False)
    model = array_model(acc, reps, balance)
    b = _budget()
    st = primal(model, bound(model, SolveState(model=model), b), b)
    assert st.slot is not None
    runs = []
    for threads in (1, 4):
        work = replace(b, options=replace(b.options, threads=threads))
        runs.append(imp.improve_by_neighbourhoods(model, st.slot, work, size=3, reduced=st.reduced))
    assert np.array_equal(runs[0], runs[1])
    assert model.is_feasible(runs[0])
    # the MIPs improve on the start (else nothing solved ahead could have gone stale)
    assert model.objective(runs[0]) < model.objective(st.slot) - 1e-6
