"""The chunked Monte Carlo run: draw attainment, pay every rep, stream the statistics.

Draws run in chunks of ``RunShape.chunk``; per chunk every plan is paid on the same attainment
(common random numbers). One-measure roles run in a numba kernel (float32 attainment, float64
sums): fused with the draw when a single plan has only such reps and a parametric source
(:func:`_kernels.simulate_fused`), else on the drawn block (:func:`_kernels.payout_stats`).
Other roles (several measures, gates, modifiers, SPIFs, draws, clawbacks) are paid exactly in
float64 by :meth:`CompPlan.payout`. The statistics are kept in an :class:`Accumulator`: company
totals per draw, per-rep sums, and the rep-level payouts of the first ``n_keep`` draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spmopt.comp import _kernels
from spmopt.comp.overrides import Overrides
from spmopt.comp.plan import CompPlan
from spmopt.comp.reps import RepInputs, prepare_reps
from spmopt.comp.results import CostSimulation
from spmopt.comp.sampling import AttainmentSource
from spmopt.errors import ConfigError, DataError
from spmopt.protocols import CostTargets

__all__ = ["Accumulator", "PlanSetup", "RunShape", "SimData", "SimSettings", "run_plans"]

_CHUNK_ELEMENTS = 1 << 21  # rep-draws per chunk (~8 MB of float32 attainment)
_KEEP_ELEMENTS = 1 << 23  # rep-draws kept for per-rep percentiles and payouts()


@dataclass(frozen=True)
class SimSettings:
    """The settings of a run (see :class:`~spmopt.comp.CompSimulator`)."""

    n_draws: int
    seed: int
    targets: CostTargets | None = None
    n_keep: int = 4_096
    max_breach_prob: float = 0.10
    chunk_draws: int | None = None


@dataclass(frozen=True)
class SimData:
    """The data of a run: quotas, the attainment source (forecast) and the reps table."""

    quotas: Any
    forecast: Any = None
    reps: pd.DataFrame | None = None


@dataclass(frozen=True)
class RunShape:
    """Sizes of a run: draws (after capping at given paths), draws per chunk, draws kept per
    rep, per-thread statistic blocks and reps."""

    n_draws: int
    chunk: int
    n_keep: int
    n_blocks: int
    n_reps: int


@dataclass
class Accumulator:
    """Streamed statistics of one plan: per draw (company totals) and per rep (sums)."""

    draw_pay: NDArray[np.float64]
    draw_rev: NDArray[np.float64]
    draw_at: NDArray[np.float64]
    rep_sum: NDArray[np.float64]
    rep_sum2: NDArray[np.float64]
    rep_att: NDArray[np.float64]
    rep_at: NDArray[np.float64]
    keep: NDArray[np.float32]
    keep_att: NDArray[np.float32]

    @classmethod
    def zeros(cls, shape: RunShape) -> Accumulator:
        nd, nb_, nr = shape.n_draws, shape.n_blocks, shape.n_reps
        return cls(
            draw_pay=np.zeros(nd),
            draw_rev=np.zeros(nd),
            draw_at=np.zeros(nd),
            rep_sum=np.zeros((nb_, nr)),
            rep_sum2=np.zeros((nb_, nr)),
            rep_att=np.zeros((nb_, nr)),
            rep_at=np.zeros((nb_, nr)),
            keep=np.zeros((shape.n_keep, nr), dtype=np.float32),
            keep_att=np.zeros((shape.n_keep, nr), dtype=np.float32),
        )


@dataclass(frozen=True)
class PlanSetup:
    """One plan of a run, with its overrides applied: target incentives ``ti`` [currency], the
    fast-path mask ``simple``, the kernel's curve tables and its :class:`Accumulator`."""

    name: str
    plan: CompPlan
    ov: Overrides
    ti: NDArray[np.float64]
    simple: NDArray[np.bool_]
    role_idx: NDArray[np.int64]
    curves: tuple[Any, Any, Any, Any]  # lo, c, m, cap per role and segment
    scale: NDArray[np.float64]
    active: NDArray[np.bool_]
    acc: Accumulator


def curve_tables(plan: CompPlan) -> tuple[dict[str, int], Any, Any, Any, Any, Any]:
    """Per role (first measure): segment starts, intercepts and slopes (float32), counts, caps."""
    names = list(plan.roles)
    curves = [plan.curve(r, plan.roles[r].measures[0].name) for r in names]
    n_seg = max(len(c.lo) for c in curves)
    lo = np.full((len(names), n_seg), np.inf, dtype=np.float32)
    c = np.zeros((len(names), n_seg), dtype=np.float32)
    m = np.zeros((len(names), n_seg), dtype=np.float32)
    for i, cv in enumerate(curves):
        k = len(cv.lo)
        lo[i, :k], c[i, :k], m[i, :k] = cv.as_float32()
    nseg = np.array([len(cv.lo) for cv in curves], dtype=np.int64)
    cap = np.array([min(cv.cap, 3.0e38) for cv in curves], dtype=np.float32)
    return {r: i for i, r in enumerate(names)}, lo, c, m, nseg, cap


def other_measures(
    plan: CompPlan, role: str, a_rev: NDArray[np.float64], rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """Attainment of every measure of ``role``: revenue's, or linked to it by the measure's
    attainment model (lognormal, correlation ``link``)."""
    r = plan.roles[role]
    out: dict[str, NDArray[np.float64]] = {}
    for m in r.measures:
        am = m.attainment_model
        if m.quota_source == "revenue" or am is None:
            out[m.name] = a_rev
            continue
        if am.sd > 0:
            s2 = np.log1p((am.sd / am.mean) ** 2)
            x = am.mean * np.exp(rng.normal(-0.5 * s2, np.sqrt(s2), a_rev.shape))
        else:
            x = np.full(a_rev.shape, am.mean)
        out[m.name] = am.link * a_rev + (1.0 - am.link) * x
    return out


def _shape(settings: SimSettings, reps: RepInputs, source: AttainmentSource) -> RunShape:
    n_draws = int(settings.n_draws)
    avail = source.n_available()
    if avail is not None and avail < n_draws:
        n_draws = avail
    nr = len(reps.ids)
    per_draw = max(nr, 1)
    if source.kind != "parametric":
        per_draw *= 12  # monthly sample paths of the plan year, float64
    if settings.chunk_draws is None:
        chunk = max(64, min(n_draws, _CHUNK_ELEMENTS // per_draw))
    else:
        chunk = max(1, min(n_draws, int(settings.chunk_draws)))
    # rep-level draws kept for per-rep percentiles: at most ~8M values (32 MB per array)
    n_keep = max(0, min(int(settings.n_keep), n_draws, max(256, _KEEP_ELEMENTS // max(nr, 1))))
    n_blocks = max(1, nb.get_num_threads()) * 2
    return RunShape(n_draws, chunk, n_keep, n_blocks, nr)


def _setup(name: str, plan: CompPlan, ov: Overrides, reps: RepInputs, shape: RunShape) -> PlanSetup:
    p = plan.with_accelerator(ov.accelerator, ov.accelerator_above) if ov.accelerator != 1 else plan
    for r in reps.role:
        if r not in p.roles:
            raise DataError(
                f"role '{r}' has no plan in '{p.name}'",
                table="reps",
                column="role",
                fix="add the role to every compared plan",
            )
    ti = reps.ti * (1.0 + ov.target_incentive_change)
    simple = np.array([p.roles[r].is_simple() for r in reps.role])
    role_map, lo, c, m, _nseg, cap = curve_tables(p)
    return PlanSetup(
        name=name,
        plan=p,
        ov=ov,
        ti=ti,
        simple=simple,
        role_idx=np.array([role_map[r] for r in reps.role], dtype=np.int64),
        curves=(lo, c, m, cap),
        scale=np.where(simple, ti * reps.share, 0.0),
        active=reps.share > 0,
        acc=Accumulator.zeros(shape),
    )


def _kernel_call(
    st: PlanSetup, kernel: Any, head: tuple[Any, ...], quota: Any, d0: int, nd: int, kn: int
) -> None:
    """Run ``kernel(*head, role_idx, curves, scale, quota, fast, totals, blocks, kept)`` on the
    draws ``[d0, d0 + nd)`` and add its per-block sums and kept draws to the accumulator."""
    acc = st.acc
    sl = slice(d0, d0 + nd)
    lo, c, m, cap = st.curves
    blocks = (acc.rep_sum * 0, acc.rep_sum2 * 0, acc.rep_att * 0, acc.rep_at * 0)
    keep_chunk = np.zeros((kn, acc.keep.shape[1]), dtype=np.float32)
    katt_chunk = np.zeros((kn, acc.keep.shape[1]), dtype=np.float32)
    fast = (st.active & st.simple).astype(np.float64)
    kernel(
        *head, st.role_idx, lo, c, m, cap, st.scale, quota, fast,
        acc.draw_pay[sl], acc.draw_rev[sl], acc.draw_at[sl], *blocks, keep_chunk, katt_chunk,
    )  # fmt: skip
    acc.rep_sum += blocks[0]
    acc.rep_sum2 += blocks[1]
    acc.rep_att += blocks[2]
    acc.rep_at += blocks[3]
    if kn:
        acc.keep[d0 : d0 + kn] = keep_chunk
        acc.keep_att[d0 : d0 + kn] = katt_chunk


def _with_overrides(
    att: NDArray[np.float32], ov: Overrides, seed: int, chunk_no: int
) -> NDArray[np.float32]:
    """Attainment after the revenue change and the reps put at a fixed attainment."""
    if not (ov.revenue_change or ov.reps_at is not None):
        return att
    att = att * np.float32(1.0 + ov.revenue_change)
    if ov.reps_at is not None:
        rng = np.random.default_rng([seed, chunk_no, 7])
        pick = rng.random(att.shape) < ov.reps_at.share
        att = np.where(pick, np.float32(ov.reps_at.attainment), att)
    return np.ascontiguousarray(att, dtype=np.float32)


def _pay_exact(
    st: PlanSetup, att: NDArray[np.float32], reps: RepInputs, d0: int, nd: int, rng: Any
) -> None:
    """Pay the reps off the fast path exactly (float64, every measure), role by role."""
    acc, p, quota = st.acc, st.plan, reps.quota
    sl = slice(d0, d0 + nd)
    kn = max(0, min(acc.keep.shape[0] - d0, nd))
    slow = st.active & ~st.simple
    for role in pd.unique(reps.role[slow]):
        cols = np.flatnonzero(slow & (reps.role == role))
        a = att[:, cols].astype(np.float64)
        pay = p.payout(
            other_measures(p, role, a, rng),
            role,
            target_incentive=st.ti[cols],
            quota={mm.name: quota[cols] for mm in p.roles[role].measures},
            active_share=reps.share[cols],
        )
        acc.draw_pay[sl] += pay.sum(axis=1)
        acc.draw_rev[sl] += (a * quota[cols]).sum(axis=1)
        acc.draw_at[sl] += (a >= 1.0).sum(axis=1)
        acc.rep_sum[0, cols] += pay.sum(axis=0)
        acc.rep_sum2[0, cols] += (pay * pay).sum(axis=0)
        acc.rep_att[0, cols] += a.sum(axis=0)
        acc.rep_at[0, cols] += (a >= 1.0).sum(axis=0)
        if kn:
            acc.keep[d0 : d0 + kn, cols] = pay[:kn]


def _pay_chunk(
    st: PlanSetup, raw: NDArray[np.float32], reps: RepInputs, d0: int, chunk_no: int, seed: int
) -> None:
    """Pay one plan on a drawn chunk of attainment (fast reps in the kernel, others exactly)."""
    nd = raw.shape[0]
    att = _with_overrides(raw, st.ov, seed, chunk_no)
    kn = max(0, min(st.acc.keep.shape[0] - d0, nd))
    _kernel_call(st, _kernels.payout_stats, (att,), reps.quota, d0, nd, kn)
    if (st.active & ~st.simple).any():
        _pay_exact(st, att, reps, d0, nd, np.random.default_rng([seed, chunk_no, 11]))


def _is_fused(setups: list[PlanSetup], sources: dict[Any, AttainmentSource]) -> bool:
    """One plan, parametric attainment, every active rep on the fast path, no reps_at."""
    only = setups[0]
    return (
        len(setups) == 1
        and sources[only.ov.common_shock].kind == "parametric"
        and bool(np.all(only.simple | ~only.active))
        and only.ov.reps_at is None
    )


def _draw_chunks(
    setups: list[PlanSetup],
    sources: dict[Any, AttainmentSource],
    reps: RepInputs,
    shape: RunShape,
    seed: int,
) -> None:
    fused = _is_fused(setups, sources)
    for chunk_no, d0 in enumerate(range(0, shape.n_draws, shape.chunk)):
        nd = min(shape.chunk, shape.n_draws - d0)
        if fused:
            st = setups[0]
            src = sources[st.ov.common_shock]
            kn = max(0, min(shape.n_keep - d0, nd))
            rev = np.float32(1.0 + st.ov.revenue_change)
            head = (src.key, d0, *src.params, rev)
            _kernel_call(st, _kernels.simulate_fused, head, reps.quota, d0, nd, kn)
            continue
        raw: dict[Any, NDArray[np.float32]] = {}
        for st in setups:
            shock = st.ov.common_shock
            if shock not in raw:
                raw[shock] = sources[shock].chunk(d0, nd, chunk_no)
            _pay_chunk(st, raw[shock], reps, d0, chunk_no, seed)


def run_plans(
    plans: Sequence[CompPlan],
    overrides: Sequence[Overrides],
    names: Sequence[str],
    data: SimData,
    settings: SimSettings,
) -> list[CostSimulation]:
    """Simulate every plan (with its overrides) on the same draws; one result per plan."""
    from spmopt.comp.statistics import finish

    if int(settings.n_draws) < 1:
        raise ConfigError(f"n_draws must be >= 1, got {settings.n_draws}")
    plan_year = plans[0].plan_year
    if plan_year is None and settings.targets is not None:
        plan_year = getattr(settings.targets, "plan_year", None)
    reps = prepare_reps(plans[0], data.quotas, data.reps, plan_year)
    # sources differ only by overrides that change the draws (common_shock)
    sources: dict[Any, AttainmentSource] = {}
    for ov in overrides:
        sources.setdefault(
            ov.common_shock, AttainmentSource(data.forecast, reps, int(settings.seed), ov)
        )
    first = next(iter(sources.values()))
    shape = _shape(settings, reps, first)
    setups = [
        _setup(name, p, ov, reps, shape)
        for name, p, ov in zip(names, plans, overrides, strict=True)
    ]
    _draw_chunks(setups, sources, reps, shape, int(settings.seed))
    kernel = "fused draw + payout" if _is_fused(setups, sources) else "draw, then payout"
    notes = {**reps.notes, **first.notes, "n_keep": shape.n_keep, "chunk_draws": shape.chunk}
    return [
        finish(
            st,
            reps,
            shape,
            settings,
            {**notes, "fast_path_reps": int((st.simple & st.active).sum()), "kernel": kernel},
        )
        for st in setups
    ]
