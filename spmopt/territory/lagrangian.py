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

from spmopt.territory.dual_kernels import smoothed_dual_pass
from spmopt.territory.model import AlignmentModel

__all__ = [
    "TEMPERATURES",
    "Dual",
    "dual_value",
    "full_bound",
    "full_reduced_costs",
    "maximise_dual",
    "reduced_costs",
]


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
    for _ in range(max_iter):
        it += 1
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


def full_reduced_costs(
    model: AlignmentModel, dual: Dual, i0: int, i1: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduced cost of items ``i0:i1`` in *every* territory at ``dual`` (pruned models), with
    the full cost and disruption rows it was computed from, each (i1 - i0, K)."""
    assert model.full_rows is not None
    cost, move = model.full_rows(i0, i1)
    r = cost.copy()
    for a in range(model.m):
        r += model.W[i0:i1, a, None] * dual.mu[None, :, a]
    if model.has_cap:
        r += model.load[i0:i1, None] * dual.gam[None, :]
    if model.max_move is not None and dual.nu != 0.0:
        r += dual.nu * move
    return r, cost, move


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
        r, _, _ = full_reduced_costs(model, dual, i0, i1)
        kmin = r.argmin(axis=1)
        rmin = r[np.arange(i1 - i0), kmin]
        total += float(rmin.sum())
        beat = rmin < r_c[i0:i1] - 1e-9 * np.maximum(1.0, np.abs(r_c[i0:i1]))
        better[i0:i1] = np.where(beat, kmin, -1)
    return total - _constant(model, dual.mu, dual.gam, dual.nu), better


#: the temperatures of the smoothed dual, hottest first (relative to each item's typical cost)
TEMPERATURES = (0.05, 0.01, 0.002)


def maximise_smoothed_dual(
    model: AlignmentModel,
    *,
    start: Dual | None = None,
    temperatures: tuple[float, ...] = TEMPERATURES,
    max_iter: int = 120,
    time_limit: float = 30.0,
) -> Dual:
    """Maximise an entropy-smoothed dual with L-BFGS-B, cooling the temperature.

    Each item's ``min_s r[i, s]`` is replaced by the soft minimum ``-t_i log sum_s exp(-r/t_i)``
    (never above the minimum, so the smoothed value is itself a lower bound), with ``t_i``
    proportional to the item's typical cost. The multipliers of the balance rows are split as
    ``mu = alpha - beta`` (``alpha, beta >= 0``), which makes the objective smooth; capacity and
    disruption multipliers are kept ``>= 0`` by the bounds. The returned :class:`Dual` carries
    the exact (unsmoothed) dual value at the final multipliers.
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    K, m = model.K, model.m
    valid = model.valid()
    cost = np.where(valid, model.cost, np.inf)
    best_c = cost.min(axis=1)
    spread = np.where(valid, cost - best_c[:, None], 0.0)
    cnt = np.maximum(valid.sum(axis=1) - 1, 1)
    typ = spread.sum(axis=1) / cnt
    pos = typ > 0
    typ = np.where(pos, typ, float(typ[pos].mean()) if pos.any() else 1.0)
    # scale of the multipliers: cost per unit of each row's coefficient
    sc_mu = np.array(
        [
            max(
                float(
                    np.abs(cost[np.isfinite(cost)]).mean()
                    / max(np.abs(model.W[:, a]).mean(), 1e-12)
                ),
                1e-12,
            )
            for a in range(m)
        ]
    )
    fin = np.isfinite(model.cap)
    use_cap = bool(fin.any())
    use_mv = model.max_move is not None
    sc_gam = float(np.abs(cost[np.isfinite(cost)]).mean() / max(model.load.mean(), 1e-12))
    mvmax = np.where(valid, model.move, 0).max(axis=1)
    sc_nu = (
        float(np.abs(cost[np.isfinite(cost)]).mean() / max(mvmax.mean(), 1e-12)) if use_mv else 1.0
    )
    n_mu = K * m
    n_var = 2 * n_mu + (K if use_cap else 0) + (1 if use_mv else 0)

    def unpack(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        mu = (z[:n_mu] - z[n_mu : 2 * n_mu]).reshape(K, m) * sc_mu[None, :]
        j = 2 * n_mu
        gam = np.zeros(K)
        if use_cap:
            gam = np.where(fin, z[j : j + K], 0.0) * sc_gam
            j += K
        nu = float(z[j]) * sc_nu if use_mv else 0.0
        return mu, gam, nu

    z0 = np.zeros(n_var)
    if start is not None:
        mu0 = start.mu / sc_mu[None, :]
        z0[:n_mu] = np.maximum(mu0, 0).ravel()
        z0[n_mu : 2 * n_mu] = np.maximum(-mu0, 0).ravel()
        j = 2 * n_mu
        if use_cap:
            z0[j : j + K] = start.gam / sc_gam
            j += K
        if use_mv:
            z0[j] = start.nu / sc_nu

    # one pass over the slots per evaluation (see dual_kernels); contiguous copies once
    slots = (
        np.ascontiguousarray(model.cand, dtype=np.int64),
        np.ascontiguousarray(model.cost, dtype=float),
        np.ascontiguousarray(valid),
        np.ascontiguousarray(model.W, dtype=float),
        np.ascontiguousarray(model.load, dtype=float),
        np.ascontiguousarray(model.move, dtype=float),
    )

    def fg(z: np.ndarray, temp: float) -> tuple[float, np.ndarray]:
        mu, gam, nu = unpack(z)
        soft, loads, wl, mv = smoothed_dual_pass(
            slots, temp * typ, (mu, gam, nu), (use_cap, use_mv), K
        )
        alpha = z[:n_mu].reshape(K, m) * sc_mu
        beta = z[n_mu : 2 * n_mu].reshape(K, m) * sc_mu
        val = soft - float((alpha * model.hi).sum() - (beta * model.lo).sum())
        grad = np.zeros(n_var)
        g_alpha = (loads - model.hi) * sc_mu
        g_beta = -(loads - model.lo) * sc_mu
        grad[:n_mu] = g_alpha.ravel()
        grad[n_mu : 2 * n_mu] = g_beta.ravel()
        j = 2 * n_mu
        if use_cap:
            capv = np.where(fin, model.cap, 0.0)
            val -= float((gam * capv).sum())
            grad[j : j + K] = np.where(fin, wl - capv, 0.0) * sc_gam
            j += K
        if use_mv:
            val -= nu * float(model.max_move or 0.0)
            grad[j] = (mv - float(model.max_move or 0.0)) * sc_nu
        return -val, -grad

    # multipliers stay within 50x the typical cost per unit of the row's coefficient: a pruned
    # model whose candidates cannot meet a row would otherwise let them run away
    bounds = [(0.0, 50.0)] * n_var
    z = z0
    for temp in temperatures:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        res = minimize(
            fg,
            z,
            args=(temp,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "maxfun": 2 * max_iter},
        )
        z = res.x
    mu, gam, nu = unpack(z)
    g, slot, _ = dual_value(model, mu, gam, nu)
    out = Dual(mu, gam, nu, g, slot)
    if start is not None:
        g0, slot0, _ = dual_value(model, start.mu, start.gam, start.nu)
        if g0 > g:
            return Dual(start.mu.copy(), start.gam.copy(), start.nu, g0, slot0)
    return out
