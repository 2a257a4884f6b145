"""Lagrangian dual of the alignment model: a valid lower bound and near-feasible assignments.

Relaxing the coupling rows (balance, capacity, disruption) with multipliers leaves one
independent choice per item: the slot of least *reduced cost*

    r[i, s] = cost[i, s] + sum_a W[i, a] mu[k, a] + load[i] gam[k] + nu move[i, s],  k = cand[i, s]

and the dual function

    g(mu, gam, nu) = sum_i min_s r[i, s] - sum_{k,a} max(mu hi, mu lo) - sum_k gam cap - nu max_move

is a lower bound on the optimum for every ``mu`` (free), ``gam >= 0``, ``nu >= 0``. Because the
assignment rows have the integrality property, ``max g`` equals the LP relaxation's optimum. We
maximise ``g`` by a projected subgradient method with Polyak steps on rows scaled by their
targets; every step is a few vectorised numpy passes over the candidate slots.

For a pruned model, :func:`full_bound` prices every territory (in blocks) at the final
multipliers, so the bound reported is valid for the full model, not only the candidates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from spmopt.territory.model import AlignmentModel

__all__ = ["Dual", "dual_value", "full_bound", "maximise_dual", "reduced_costs"]


@dataclass
class Dual:
    """Multipliers and what they give."""

    mu: np.ndarray  # (K, m)
    gam: np.ndarray  # (K,)
    nu: float
    bound: float  # g at these multipliers over the model's slots
    slot: np.ndarray  # argmin slot per item
    iterations: int = 0

    def copy(self) -> Dual:
        return Dual(self.mu.copy(), self.gam.copy(), self.nu, self.bound, self.slot.copy(), 0)


def reduced_costs(model: AlignmentModel, mu: np.ndarray, gam: np.ndarray, nu: float) -> np.ndarray:
    """Reduced cost ``r`` (n, P) of every slot; ``inf`` on padding."""
    c = model.cand.clip(min=0)
    r = model.cost.copy()
    for a in range(model.m):
        r += model.W[:, a, None] * mu[c, a]
    if model.has_cap:
        r += model.load[:, None] * gam[c]
    if model.max_move is not None and nu != 0.0:
        r += nu * model.move
    return r


def _constant(model: AlignmentModel, mu: np.ndarray, gam: np.ndarray, nu: float) -> float:
    const = float(np.where(mu > 0, mu * model.hi, mu * model.lo).sum())
    if model.has_cap:
        fin = np.isfinite(model.cap)
        const += float((gam[fin] * model.cap[fin]).sum())
    if model.max_move is not None:
        const += nu * model.max_move
    return const


def dual_value(
    model: AlignmentModel, mu: np.ndarray, gam: np.ndarray, nu: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """``g`` over the model's slots, the argmin slot per item and the reduced costs."""
    r = reduced_costs(model, mu, gam, nu)
    slot = r.argmin(axis=1)
    best = r[np.arange(model.n), slot]
    return float(best.sum()) - _constant(model, mu, gam, nu), slot, r


def maximise_dual(
    model: AlignmentModel,
    *,
    upper: float | None = None,
    start: Dual | None = None,
    max_iter: int = 400,
    time_limit: float = 30.0,
    tol: float = 2e-5,
) -> Dual:
    """Projected subgradient ascent with Polyak steps.

    Parameters
    ----------
    upper : float, optional
        Objective of a known feasible solution (the Polyak target); estimated when missing.
    start : Dual, optional
        Warm start.
    max_iter, time_limit : int, float
        Limits on iterations and seconds.
    tol : float
        Stop when the step factor falls below this or the subgradient vanishes.
    """
    t0 = time.perf_counter()
    K, m = model.K, model.m
    scale = np.maximum(np.abs(model.target).mean(axis=0), 1e-12)  # (m,)
    fin_cap = np.isfinite(model.cap)
    cap_scale = float(np.maximum(model.cap[fin_cap], 1e-12).mean()) if fin_cap.any() else 1.0
    mv_scale = max(float(model.max_move or 0.0), 1e-9)
    if start is None:
        mu = np.zeros((K, m))
        gam = np.zeros(K)
        nu = 0.0
    else:
        mu, gam, nu = start.mu.copy(), start.gam.copy(), start.nu
    g, slot, _ = dual_value(model, mu, gam, nu)
    best = Dual(mu.copy(), gam.copy(), nu, g, slot.copy())
    theta = 1.0
    stall = 0
    rows = np.arange(model.n)
    it = 0
    for it in range(1, max_iter + 1):
        k = model.cand[rows, slot]
        L = np.empty((K, m))
        for a in range(m):
            L[:, a] = np.bincount(k, weights=model.W[:, a], minlength=K)
        s_mu = np.where(
            mu > 0,
            L - model.hi,
            np.where(
                mu < 0,
                L - model.lo,
                np.where(L > model.hi, L - model.hi, np.where(L < model.lo, L - model.lo, 0.0)),
            ),
        )
        s_mu_n = s_mu / scale  # scaled rows
        norm2 = float((s_mu_n**2).sum())
        s_gam_n = np.zeros(K)
        if model.has_cap:
            wl = np.bincount(k, weights=model.load, minlength=K)
            s_gam = np.where(fin_cap, wl - np.where(fin_cap, model.cap, 0.0), 0.0)
            s_gam = np.where((gam <= 0) & (s_gam < 0), 0.0, s_gam)
            s_gam_n = s_gam / cap_scale
            norm2 += float((s_gam_n**2).sum())
        s_nu_n = 0.0
        if model.max_move is not None:
            moved = float(model.move[rows, slot].sum())
            s_nu = moved - model.max_move
            if nu <= 0 and s_nu < 0:
                s_nu = 0.0
            s_nu_n = s_nu / mv_scale
            norm2 += s_nu_n**2
        if norm2 <= 1e-18:
            break  # the argmin assignment is feasible and complementary: optimal multipliers
        target = upper if upper is not None else best.bound + max(abs(best.bound) * 0.02, 1e-6)
        if target <= best.bound:
            target = best.bound + max(abs(best.bound) * 1e-4, 1e-9)
        step = theta * (target - g) / norm2
        mu = mu + step * s_mu_n / scale
        if model.has_cap:
            gam = np.maximum(gam + step * s_gam_n / cap_scale, 0.0)
        if model.max_move is not None:
            nu = max(nu + step * s_nu_n / mv_scale, 0.0)
        g, slot, _ = dual_value(model, mu, gam, nu)
        if g > best.bound + 1e-12 * max(1.0, abs(best.bound)):
            improved = g - best.bound
            best = Dual(mu.copy(), gam.copy(), nu, g, slot.copy())
            stall = 0 if improved > 1e-6 * max(1.0, abs(g)) else stall + 1
        else:
            stall += 1
        if stall >= 12:
            theta *= 0.5
            stall = 0
            mu, gam, nu = best.mu.copy(), best.gam.copy(), best.nu
            g, slot = best.bound, best.slot.copy()
        if theta < tol or time.perf_counter() - t0 > time_limit:
            break
        if upper is not None and upper - best.bound <= tol * 1e-2 * max(1.0, abs(upper)):
            break
    best.iterations = it
    return best


def full_bound(model: AlignmentModel, dual: Dual, block: int = 4096) -> tuple[float, np.ndarray]:
    """Dual value at ``dual`` pricing *every* territory (valid for the unpruned model).

    Returns
    -------
    bound : float
    better : ndarray of int, (n,)
        Per item, a territory whose reduced cost beats every candidate slot (-1 if none): the
        columns to add when generating columns.
    """
    if model.full_rows is None:
        return dual.bound, np.full(model.n, -1)
    r_c = reduced_costs(model, dual.mu, dual.gam, dual.nu).min(axis=1)
    total = 0.0
    better = np.full(model.n, -1)
    for i0 in range(0, model.n, block):
        i1 = min(model.n, i0 + block)
        cost, move = model.full_rows(i0, i1)
        r = cost.copy()
        for a in range(model.m):
            r += model.W[i0:i1, a, None] * dual.mu[None, :, a]
        if model.has_cap:
            r += model.load[i0:i1, None] * dual.gam[None, :]
        if model.max_move is not None and dual.nu != 0.0:
            r += dual.nu * move
        kmin = r.argmin(axis=1)
        rmin = r[np.arange(i1 - i0), kmin]
        total += float(rmin.sum())
        beat = rmin < r_c[i0:i1] - 1e-9 * np.maximum(1.0, np.abs(r_c[i0:i1]))
        better[i0:i1] = np.where(beat, kmin, -1)
    return total - _constant(model, dual.mu, dual.gam, dual.nu), better
