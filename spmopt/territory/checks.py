"""Pre-solve checks: constraints that no assignment can meet, found from totals alone.

Each check returns a diagnosis text with the numbers (which constraint, which territories or
accounts, and the smallest setting that would pass), so that an infeasible request is explained
before any solver runs.
"""

from __future__ import annotations

import numpy as np

from spmopt.errors import format_ids
from spmopt.territory.model import AlignmentModel

__all__ = ["presolve_problems"]


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1000 else f"{x:,.0f}"


def presolve_problems(
    model: AlignmentModel,
    tolerance: dict[str, float],
    label: str = "accounts",
    group: str = "",
) -> list[str]:
    """Diagnoses of constraints that are infeasible on their own (empty when none found)."""
    out: list[str] = []
    where = f" in {group}" if group else ""
    valid = model.valid()
    single = valid.sum(axis=1) == 1
    slot0 = np.where(valid, np.arange(model.cand.shape[1])[None, :], model.cand.shape[1]).min(
        axis=1
    )
    rows = np.arange(model.n)
    locked_k = np.where(single, model.cand[rows, slot0.clip(max=model.cand.shape[1] - 1)], -1)
    for a, attr in enumerate(model.attrs):
        tol = tolerance.get(attr, np.nan)
        w = model.W[:, a]
        tgt = model.target[:, a]
        # one item above every upper bound it could take
        hi_c = np.where(valid, model.hi[model.cand.clip(min=0), a], -np.inf).max(axis=1)
        big = w > hi_c + 1e-9 * np.maximum(1.0, np.abs(hi_c))
        if big.any():
            i = int(np.argmax(np.where(big, w, -np.inf)))
            need = float(w[i] / tgt.max() - 1.0) if tgt.max() > 0 else np.inf
            out.append(
                f"balance on '{attr}'{where}: {int(big.sum())} {label} each exceed the upper "
                f"bound of every territory they may join, e.g. {model.ids[i]} with "
                f"{_fmt(w[i])} against at most {_fmt(hi_c[i])} (target {_fmt(tgt.max())} "
                f"±{tol:.1%}); {label}: {format_ids(model.ids[big].tolist())}. Smallest "
                f"tolerance that admits them: {need:.1%} (or split these {label}, or give "
                "their territories larger targets)"
            )
        # totals
        total = float(w.sum())
        if total > model.hi[:, a].sum() * (1 + 1e-9) or total < model.lo[:, a].sum() * (1 - 1e-9):
            out.append(
                f"balance on '{attr}'{where}: the total {_fmt(total)} lies outside the sum of "
                f"the territory bands [{_fmt(model.lo[:, a].sum())}, "
                f"{_fmt(model.hi[:, a].sum())}]; the targets do not add up to the total"
            )
        # locked items alone above a territory's bound
        if (locked_k >= 0).any():
            lk = np.bincount(locked_k[locked_k >= 0], weights=w[locked_k >= 0], minlength=model.K)
            over = lk > model.hi[:, a] * (1 + 1e-9) + 1e-9
            for k in np.nonzero(over)[0][:5]:
                ids = model.ids[locked_k == k].tolist()
                need = float(lk[k] / tgt[k] - 1.0) if tgt[k] > 0 else np.inf
                out.append(
                    f"locked {label}{where} break balance on '{attr}': territory "
                    f"{model.territories[k]} holds {_fmt(lk[k])} in locked {label} "
                    f"({format_ids(ids)}), above its upper bound {_fmt(model.hi[k, a])} "
                    f"(target {_fmt(tgt[k])} ±{tol:.1%}); smallest tolerance: {need:.1%}, or "
                    "unlock some of them"
                )
    if model.has_cap:
        fin = np.isfinite(model.cap)
        total_load = float(model.load.sum())
        if fin.all() and total_load > model.cap.sum() * (1 + 1e-9):
            out.append(
                f"capacity{where}: total workload {_fmt(total_load)} exceeds total rep "
                f"capacity {_fmt(float(model.cap.sum()))} by {_fmt(total_load - model.cap.sum())}"
                f" ({total_load / model.cap.sum() - 1:.1%}); add reps or capacity, or reduce "
                "workload"
            )
        cap_c = np.where(valid, model.cap[model.cand.clip(min=0)], -np.inf).max(axis=1)
        big = model.load > cap_c * (1 + 1e-9)
        if big.any():
            out.append(
                f"capacity{where}: {int(big.sum())} {label} need more workload than any rep "
                f"they may join can carry: {format_ids(model.ids[big].tolist())}"
            )
        if (locked_k >= 0).any():
            lk = np.bincount(
                locked_k[locked_k >= 0], weights=model.load[locked_k >= 0], minlength=model.K
            )
            for k in np.nonzero(lk > model.cap * (1 + 1e-9))[0][:5]:
                out.append(
                    f"capacity{where}: locked {label} of {model.territories[k]} need "
                    f"{_fmt(lk[k])} hours, above its capacity {_fmt(model.cap[k])}"
                )
    if model.max_move is not None:
        forced = np.where(valid, model.move, np.inf).min(axis=1)
        f = float(forced.sum())
        if f > model.max_move * (1 + 1e-9) + 1e-9:
            out.append(
                f"disruption cap{where}: locked {label} that leave their current territory "
                f"already move {_fmt(f)}, above the cap {_fmt(model.max_move)}; raise "
                "max_disruption or revisit the locks"
            )
    return out
