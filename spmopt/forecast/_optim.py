"""A numba-compiled Nelder–Mead minimiser shared by the state-space models."""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

__all__ = ["make_nelder_mead"]


def make_nelder_mead(fobj: Any) -> Any:
    """A compiled Nelder–Mead minimiser of the compiled objective ``fobj(u, args)``.

    The returned ``nelder_mead(u0, step, max_eval, tol, args)`` starts from ``u0`` with a
    simplex that adds ``step`` to one coordinate at a time, and uses reflection 1, expansion 2,
    contraction ½ and shrink ½; it stops when the spread of the simplex values is below ``tol``
    (relative) or after ``max_eval`` evaluations and returns the best point and its value.
    """
    return nb.njit(cache=True)(_body(fobj))


def _body(fobj: Any) -> Any:
    def nelder_mead(
        u0: np.ndarray, step: float, max_eval: int, tol: float, args: Any
    ) -> tuple[np.ndarray, float]:
        d = len(u0)
        pts = np.empty((d + 1, d))
        f = np.empty(d + 1)
        for i in range(d + 1):
            for k in range(d):
                pts[i, k] = u0[k]
            if i > 0:
                pts[i, i - 1] += step
            f[i] = fobj(pts[i], args)
        n_eval = d + 1
        cen = np.empty(d)
        xr = np.empty(d)
        xe = np.empty(d)
        while n_eval < max_eval:
            order = np.argsort(f)
            pts = pts[order]
            f = f[order]
            if abs(f[d] - f[0]) <= tol * (abs(f[0]) + tol):
                break
            for k in range(d):
                c = 0.0
                for i in range(d):
                    c += pts[i, k]
                cen[k] = c / d
            for k in range(d):
                xr[k] = cen[k] + (cen[k] - pts[d, k])
            fr = fobj(xr, args)
            n_eval += 1
            if fr < f[0]:
                for k in range(d):
                    xe[k] = cen[k] + 2.0 * (cen[k] - pts[d, k])
                fe = fobj(xe, args)
                n_eval += 1
                if fe < fr:
                    pts[d] = xe
                    f[d] = fe
                else:
                    pts[d] = xr
                    f[d] = fr
            elif fr < f[d - 1]:
                pts[d] = xr
                f[d] = fr
            else:
                if fr < f[d]:
                    for k in range(d):
                        xe[k] = cen[k] + 0.5 * (xr[k] - cen[k])
                else:
                    for k in range(d):
                        xe[k] = cen[k] + 0.5 * (pts[d, k] - cen[k])
                fc = fobj(xe, args)
                n_eval += 1
                if fc < min(fr, f[d]):
                    pts[d] = xe
                    f[d] = fc
                else:
                    for i in range(1, d + 1):
                        for k in range(d):
                            pts[i, k] = pts[0, k] + 0.5 * (pts[i, k] - pts[0, k])
                        f[i] = fobj(pts[i], args)
                    n_eval += d
        best = np.argmin(f)
        return pts[best].copy(), f[best]

    return nelder_mead
