"""Forecast reconciliation: bottom-up, top-down by forecast proportions, and MinT.

All methods return forecasts ``ỹ = S b̃`` for some bottom-level vector ``b̃``, so every parent is
exactly the sum of its children at every level.

MinT (Wickramasuriya, Athanasopoulos & Hyndman, 2019) is computed in its projection form

    ỹ = ŷ − W Cᵀ (C W Cᵀ)⁻¹ C ŷ,   C = [I_u  −A],

where the rows of ``C`` are the aggregation constraints (each upper series minus the sum of its
bottom series). Only the small ``u × u`` matrix ``C W Cᵀ`` is inverted (``u`` upper series), and
the shrinkage ``W`` is never formed: it is a diagonal plus a low-rank term from the error
sample, so 10,000 bottom series reconcile in well under a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from spmopt.errors import ConfigError

__all__ = ["METHODS", "Reconciler", "reconcile", "shrinkage_lambda"]

METHODS = ("bottom_up", "top_down", "mint_ols", "mint_wls", "mint_shrink", "none")


def shrinkage_lambda(x: np.ndarray) -> float:
    """Schäfer–Strimmer shrinkage intensity of the correlation matrix of ``x`` (T × m).

    Computed without forming the m × m matrix: the sums over pairs use ``X Xᵀ`` (T × T).
    """
    t, m = x.shape
    if t < 3 or m < 2:
        return 1.0
    sd = x.std(axis=0, ddof=1)
    ok = sd > 0
    z = (x[:, ok] - x[:, ok].mean(axis=0)) / sd[ok]
    t = z.shape[0]
    gram = z @ z.T  # T × T
    # w_tij = z_ti z_tj; mean over t: r_ij (times t/(t-1) for the unbiased correlation)
    sum_w2 = float(((z * z).sum(axis=1) ** 2).sum())  # Σ_t Σ_ij w_tij²
    sum_wbar2 = float((gram * gram).sum()) / t**2  # Σ_ij (mean_t w_tij)²
    diag_w2 = float((z**4).sum())
    diag_wbar2 = float(((z * z).mean(axis=0) ** 2).sum())
    var_sum = t / (t - 1) ** 3 * ((sum_w2 - diag_w2) - t * (sum_wbar2 - diag_wbar2))
    r2_sum = (t / (t - 1)) ** 2 * (sum_wbar2 - diag_wbar2)
    if r2_sum <= 0:
        return 1.0
    return float(np.clip(var_sum / r2_sum, 0.0, 1.0))


def _constraints(s: Any, bottom: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    s = sparse.csr_matrix(s)
    m = s.shape[0]
    upper = np.setdiff1d(np.arange(m), bottom)
    u = len(upper)
    eye = sparse.csr_matrix((np.ones(u), (np.arange(u), upper)), shape=(u, m))
    a_part = sparse.csr_matrix(s[upper])  # u × n_bottom
    a_part = a_part.tocoo()
    minus_a = sparse.csr_matrix((-a_part.data, (a_part.row, bottom[a_part.col])), shape=(u, m))
    return (eye + minus_a).tocsr(), upper


class Reconciler:
    """A reconciliation set up once for a hierarchy and error sample, applied many times.

    Parameters are those of :func:`reconcile`. ``s`` may be dense or a scipy sparse matrix.
    """

    def __init__(
        self,
        s: Any,
        bottom: np.ndarray,
        method: str = "mint_shrink",
        *,
        errors: np.ndarray | None = None,
        parent: np.ndarray | None = None,
    ) -> None:
        if method not in METHODS:
            raise ConfigError(f"reconcile={method!r} is not known; allowed: {list(METHODS)}")
        if method == "top_down" and parent is None:
            raise ConfigError("top_down reconciliation needs the parent of each series")
        self.s = sparse.csr_matrix(s)
        self.bottom = np.asarray(bottom)
        self.method = method
        self.parent = parent
        m = self.s.shape[0]
        self.trivial = method == "none" or len(self.bottom) == m
        self._wc: np.ndarray | None = None
        if self.trivial or method in ("bottom_up", "top_down"):
            return
        c, upper = _constraints(self.s, self.bottom)
        self._c = c
        ct = c.T.tocsr()
        if method == "mint_ols":
            wc = ct.toarray()  # W = I
        else:
            if errors is None or errors.shape[0] < 2:
                var = np.asarray(self.s.sum(axis=1)).ravel()  # structural scaling
                lam, z, sd = 1.0, None, None
            else:
                e = np.asarray(errors, dtype=float)
                e = e - e.mean(axis=0)
                var = (e * e).sum(axis=0) / max(e.shape[0] - 1, 1)
                scale = float(np.median(var[var > 0])) if (var > 0).any() else 1.0
                var = np.maximum(var, 1e-9 * max(scale, 1e-12))
                if method == "mint_shrink":
                    lam = shrinkage_lambda(e)
                    sd = np.sqrt(var)
                    z = e / sd / np.sqrt(max(e.shape[0] - 1, 1))  # Zᵀ Z = sample correlation
                else:
                    lam, z, sd = 1.0, None, None
            # W = D^½ [λ I + (1−λ) R] D^½ with R = Zᵀ Z, D = diag(var)
            wc = ct.multiply(var[:, None] * lam).toarray()
            if z is not None and sd is not None and lam < 1.0:
                dct = ct.multiply(sd[:, None]).toarray()  # D^½ Cᵀ, m × u
                wc = wc + (1 - lam) * sd[:, None] * (z.T @ (z @ dct))
        cwc = np.asarray(c @ wc)
        self._wc = wc
        self._solve = np.linalg.inv(
            cwc + 1e-12 * np.trace(cwc) / max(len(upper), 1) * np.eye(len(upper))
        )

    def __call__(self, yhat: np.ndarray) -> np.ndarray:
        yhat = np.asarray(yhat, dtype=float)
        if self.trivial:
            return yhat.copy()
        if self.method == "bottom_up":
            return np.asarray(self.s @ yhat[self.bottom])
        if self.method == "top_down":
            assert self.parent is not None
            return np.asarray(self.s @ _top_down_bottom(yhat, self.bottom, self.parent))
        assert self._wc is not None
        adj = self._wc @ (self._solve @ np.asarray(self._c @ yhat))
        out = yhat - adj
        # exact coherence: rebuild from the bottom rows (removes rounding drift)
        return np.asarray(self.s @ out[self.bottom])


def reconcile(
    yhat: np.ndarray,
    s: Any,
    bottom: np.ndarray,
    method: str = "mint_shrink",
    *,
    errors: np.ndarray | None = None,
    parent: np.ndarray | None = None,
) -> np.ndarray:
    """Make forecasts coherent with a hierarchy.

    Parameters
    ----------
    yhat : ndarray (m, h)
        Base forecasts of every series (rows as in ``s``).
    s : ndarray or sparse matrix (m, n_bottom)
        Summing matrix (0/1).
    bottom : ndarray of int (n_bottom,)
        Rows of the bottom series.
    method : str
        ``bottom_up``, ``top_down`` (forecast proportions, needs ``parent``), ``mint_ols``,
        ``mint_wls`` (W = diagonal of the error variances) or ``mint_shrink`` (W = shrunk error
        covariance), or ``none``.
    errors : ndarray (k, m), optional
        Sample of base-forecast errors (rows are error vectors, e.g. backtest errors), for
        ``mint_wls`` and ``mint_shrink``. Without it those fall back to structural scaling
        (W = diag(S 1)).
    parent : ndarray of int (m,), optional
        Parent row of each series (−1 at the top), for ``top_down``.

    Returns
    -------
    ndarray (m, h)
        Coherent forecasts.
    """
    return Reconciler(s, bottom, method, errors=errors, parent=parent)(yhat)


def _top_down_bottom(yhat: np.ndarray, bottom: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Bottom forecasts from the top forecast split by forecast proportions per level."""
    m = yhat.shape[0]
    top = np.flatnonzero(parent < 0)
    value = np.zeros_like(yhat)
    value[top] = yhat[top]
    done = np.zeros(m, dtype=bool)
    done[top] = True
    pos = np.maximum(yhat, 0.0)
    while not done.all():
        frontier = np.flatnonzero(~done & (parent >= 0) & done[np.maximum(parent, 0)])
        par = parent[frontier]
        total = np.zeros_like(yhat)
        np.add.at(total, par, pos[frontier])
        n_sib = np.bincount(par, minlength=m)[par]
        share = np.where(
            total[par] > 0,
            pos[frontier] / np.where(total[par] > 0, total[par], 1.0),
            1.0 / n_sib[:, None],
        )
        value[frontier] = value[par] * share
        done[frontier] = True
    return value[bottom]
