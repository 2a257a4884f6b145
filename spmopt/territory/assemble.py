"""Assemble an :class:`~spmopt.territory.result.AlignmentResult` from the groups' solutions.

The last stage of a territory solve: each group's slots become one assignment table (account,
territory, rep, distance, moved), the per-territory summary and the metrics (deviations,
distance, disruption, objective, bound, gap) are computed on the whole instance, and, when the
rows cannot all be met, the best compromise's violated rows become the ``violations`` table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spmopt.data.geo import haversine_km
from spmopt.errors import DataError
from spmopt.solver import SolveInfo, relative_gap
from spmopt.territory.build import AlignmentSettings, BuiltAlignment
from spmopt.territory.engine import EngineResult
from spmopt.territory.metrics import attribute_values, evaluate
from spmopt.territory.phases.compromise import row_violations
from spmopt.territory.result import AlignmentResult

__all__ = ["VIOLATION_COLUMNS", "GroupSolution", "assemble"]

VIOLATION_COLUMNS = ("group", "row", "territory", "attribute", "value", "limit", "relative")


@dataclass(frozen=True)
class GroupSolution:
    """A solved group: the engine's result and the diagnosis in words (None when feasible)."""

    result: EngineResult
    diagnosis: str | None


def assemble(built: BuiltAlignment, solutions: list[GroupSolution], t0: float) -> AlignmentResult:
    """The :class:`AlignmentResult` of ``built`` solved group by group (``t0``: start time)."""
    settings = built.settings
    acc, rp = built.accounts, built.reps
    slots_terr = np.full(len(acc), -1)
    viol_rows: list[dict[str, Any]] = []
    proven = False
    least = 0.0  # the largest violation no assignment avoids (the compromise's proven bound)
    for g, sol in zip(built.groups, solutions):
        res = sol.result
        if res.slot is not None:
            terr_local = res.model.territory_of(res.slot)
            for item, members_i in enumerate(g.members):
                slots_terr[members_i] = g.territories[terr_local[item]]
        if res.info.status == "infeasible" and res.slot is not None:
            viol_rows += [
                {"group": g.name if settings.within else None, **vars(v)}
                for v in row_violations(res.model, res.slot)
            ]
            if res.compromise is not None:
                proven = proven or res.compromise.lower > 1e-9
                least = max(least, float(res.compromise.lower))
            proven = proven or bool(g.problems)
    infos = [s.result.info for s in solutions]
    out = _result(
        settings,
        acc,
        rp,
        slots_terr,
        infos,
        [s.diagnosis for s in solutions if s.diagnosis],
        built.tolerance,
        _target_totals(built),
        built.current,
        t0,
        [i.message for i in infos],
    )
    violations = pd.DataFrame(viol_rows, columns=list(VIOLATION_COLUMNS))
    metrics = dict(out.metrics)
    metrics["max_violation"] = float(violations["relative"].max()) if len(violations) else 0.0
    metrics["proven_infeasible"] = bool(proven)
    metrics["violation_bound"] = least
    metrics["time_capped"] = any(i.time_capped for i in infos)
    if len(violations):
        metrics["feasible_balance"] = {
            a: max(t, float(np.ceil(metrics[f"max_deviation_{a}"] * 1000) / 1000))
            for a, t in built.tolerance.items()
        }
    return AlignmentResult(
        assignment=out.assignment,
        summary=out.summary,
        metrics=metrics,
        status=out.status,
        diagnosis=out.diagnosis,
        settings=out.settings,
        violations=violations,
    )


def _result(
    settings: AlignmentSettings,
    acc: pd.DataFrame,
    rp: pd.DataFrame,
    terr: np.ndarray,
    infos: list[SolveInfo],
    diagnoses: list[str],
    tolerance: dict[str, float],
    targets: dict[str, np.ndarray],
    cur: np.ndarray,
    t0: float,
    methods: list[str],
) -> AlignmentResult:
    tid = rp["territory_id"].astype(str).to_numpy()
    rid = rp["rep_id"].astype(str).to_numpy()
    ok = terr >= 0
    statuses = [i.status for i in infos]
    if all(s == "optimal" for s in statuses):
        status = "optimal"
    elif any(s in ("infeasible", "error") for s in statuses):
        status = "infeasible" if any(s == "infeasible" for s in statuses) else "error"
    elif any(s == "time_limit" for s in statuses):
        status = "time_limit"
    else:
        status = "feasible"
    assignment = pd.DataFrame(
        {
            "account_id": acc["account_id"].astype(str).to_numpy()[ok],
            "territory_id": tid[terr[ok]],
            "rep_id": rid[terr[ok]],
        }
    )
    k = terr[ok]
    assignment["distance_km"] = haversine_km(
        acc["lat"].to_numpy(float)[ok],
        acc["lon"].to_numpy(float)[ok],
        rp["lat"].to_numpy(float)[k],
        rp["lon"].to_numpy(float)[k],
    )
    assignment["moved"] = (cur[ok] >= 0) & (cur[ok] != k)
    summary, metrics = evaluate(
        assignment, acc, rp, tolerance, targets, disruption_basis=settings.disruption_basis
    )
    summary["moved_in"] = np.bincount(k[assignment["moved"].to_numpy()], minlength=len(rp))
    cur_ok = cur[ok][assignment["moved"].to_numpy()]
    summary["moved_out"] = np.bincount(cur_ok, minlength=len(rp))
    m: dict[str, Any] = dict(metrics)
    objs = [i.objective for i in infos]
    bounds = [i.bound for i in infos]
    m["objective"] = (
        float(sum(o for o in objs if o is not None)) if all(o is not None for o in objs) else None
    )
    m["bound"] = (
        float(sum(b for b in bounds if b is not None))
        if all(b is not None for b in bounds)
        else None
    )
    m["gap"] = relative_gap(m["objective"], m["bound"])
    m["seconds"] = time.perf_counter() - t0
    m["solve_seconds"] = float(sum(i.seconds for i in infos))
    m["method"] = (
        settings.method
        if settings.method != "auto"
        else ("contiguity cuts" if settings.contiguity else "lp/lagrangian bound + mip")
    )
    m["algorithm"] = "; ".join(dict.fromkeys(methods))
    m["groups"] = len(infos)
    if "current_territory" in acc.columns:
        try:
            from spmopt.territory.metrics import current_assignment

            _, before = evaluate(
                current_assignment(acc, rp).dropna(subset=["territory_id"]),
                acc,
                rp,
                tolerance,
                targets,
                disruption_basis=settings.disruption_basis,
            )
            for key in [k for k in before if k.startswith("max_deviation_")] + [
                "weighted_distance",
                "mean_distance_km",
            ]:
                m[f"before_{key}"] = before[key]
        except DataError:
            pass
    used = {
        "balance": tolerance,
        "max_disruption": settings.max_disruption,
        "contiguity": settings.contiguity,
        "within": settings.within,
        "method": settings.method,
        "time_limit": settings.time_limit,
    }
    return AlignmentResult(
        assignment=assignment,
        summary=summary,
        metrics=m,
        status=status,
        diagnosis="\n".join(diagnoses) if diagnoses else None,
        settings=used,
    )


def _target_totals(built: BuiltAlignment) -> dict[str, np.ndarray]:
    """Target of each territory per attribute, as the model used them (per group of
    ``built``): potential, workload and every balanced attribute."""
    acc, K = built.accounts, len(built.reps)
    out: dict[str, np.ndarray] = {}
    for attr in dict.fromkeys(["potential", "workload", *built.tolerance]):
        v = attribute_values(acc, attr)
        s_all = built.shares.get(attr, np.ones(K))
        t = np.zeros(K)
        for g in built.groups:
            s = s_all[g.territories]
            t[g.territories] = v[g.accounts].sum() * s / s.sum()
        out[attr] = t
    return out
