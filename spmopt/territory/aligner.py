"""TerritoryAligner: balanced, compact, low-disruption territories.

Model (each account ``i`` to exactly one territory ``k``; each territory has one rep with a fixed
home base)::

    min   sum_{i,k} w_i d_ik x_ik  +  price * sum_{i,k != cur_i} w_i x_ik
    s.t.  sum_k x_ik = 1                                        every account
          (1 - tol_a) T_ka <= sum_i a_ia x_ik <= (1 + tol_a) T_ka  every territory k and balance
                                                                 attribute a (targets T_ka equal,
                                                                 or proportional to given shares)
          sum_i workload_i x_ik <= capacity_k                    when reps carry a capacity
          sum_i v_i (1 - x_{i,cur_i}) <= max_disruption * sum_i v_i   (v: potential or 1)
          x_{i, locked_i} = 1                                    locked accounts
          territory k connected in the basic-unit adjacency     (contiguity=True)
          x_ik = 0 when k is in another district/region         (within=...)
          x binary

``w`` is the compactness weight (potential by default), ``d`` great-circle km to the rep's home
(or a user matrix). With ``within`` the problem splits into one independent model per group,
each balanced against its own totals.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd

from spmopt.contracts import Estimator
from spmopt.errors import ConfigError
from spmopt.solver import SolverOptions
from spmopt.territory.assemble import GroupSolution, assemble
from spmopt.territory.build import AlignmentSettings, BuiltAlignment, build_model
from spmopt.territory.engine import solve_group
from spmopt.territory.phases import WorkBudget
from spmopt.territory.result import AlignmentResult

__all__ = ["DEFAULT_SOLVER", "TerritoryAligner"]

METHODS = ("auto", "mip", "heuristic")

#: The solver options of an aligner given none: a 60 s safety cap and a 1% gap at which the
#: solve stops as optimal (territory data are rarely better than that); ``seed`` is the
#: aligner's.
DEFAULT_SOLVER = SolverOptions(time_limit=60.0, mip_rel_gap=1e-2)


class TerritoryAligner(Estimator):
    """Draw territories: balanced on chosen attributes, compact, with limited disruption.

    Parameters
    ----------
    balance : mapping str -> float, optional
        Attribute -> relative tolerance (0.05 = ±5% of the territory's target), each in
        [0, 10]. Attributes are numeric columns of ``accounts`` or ``"accounts"`` (account
        counts). Default (None): ``{"potential": 0.05}``.
    targets : DataFrame, mapping or str, optional
        Relative targets (shares) per territory: a DataFrame indexed by ``territory_id`` with a
        column per attribute, a mapping ``territory_id -> share`` for every attribute, or the
        name of a numeric column of ``reps`` (e.g. an FTE column). Normalised to the total of
        each attribute (within each group with ``within``). Equal targets by default.
    compactness : str or None
        Weight of the distance objective: ``"potential"`` (default), ``"workload"``, another
        numeric column, or None for unweighted km. Zero weights are floored at 1e-3 times the
        mean so that every account still prefers a nearby rep.
    max_disruption : float or None
        Largest share of the disruption basis allowed to change territory against
        ``current_territory`` (accounts without one are not counted).
    disruption_basis : {"potential", "accounts"} or column
        What a move counts: its potential (default) or one per account.
    disruption_price : float or None
        Price a move in the objective: moving an account costs as much as it travelling this
        many km further (weight x km). Can be combined with ``max_disruption``.
    capacity : bool
        Keep each territory's workload within ``reps.capacity`` (where given).
    contiguity : bool
        Territories connected in the adjacency of ``accounts.basic_unit`` (pass ``adjacency`` to
        :meth:`solve`); basic units are assigned whole.
    within : str or None
        Reps column (``"region"``, ``"district"``) to align within: accounts stay in their group
        (``accounts[within]`` or the group of their current territory's rep) and each group is
        balanced on its own.
    candidates : int
        Nearest territories kept per account on large instances (with column generation, so
        the bound stays valid).
    method : {"auto", "mip", "heuristic"}
        ``auto``: LP or Lagrangian bound, LP rounding repaired by chains of moves, boundary
        and neighbourhood MIPs, and the exact reduced MIP (see
        :mod:`spmopt.territory.engine`); ``mip``: the plain full MIP through pyomo;
        ``heuristic``: skip the exact phase.
    solver : SolverOptions, optional
        The solver knobs, and the only place for them: ``time_limit`` (seconds for the whole
        solve, a safety cap; ``None`` for none), ``mip_rel_gap`` (relative gap at which the
        solve stops as optimal), threads, verbosity, extra HiGHS options. Default
        :data:`DEFAULT_SOLVER` (60 s, gap 1%) with ``seed``; a ``SolverOptions`` given here
        keeps its own seed.
    seed : int
        Random seed handed to HiGHS (when ``solver`` is not given) and to the order of the
        neighbourhood searches.
    effort : float
        Multiplies the work budget of every solve phase (simplex iterations, branch-and-bound
        nodes, chain-repair steps, neighbourhood MIPs; see
        :class:`~spmopt.territory.phases.WorkBudget`). The work budget, not the clock, decides
        when each phase stops, so equal inputs and seed give the same assignment on any machine;
        ``solver.time_limit`` is a safety cap, and the status says when it bound.

    Examples
    --------
    >>> from spmopt import SolverOptions
    >>> TerritoryAligner({"potential": 0.05}, max_disruption=0.2)
    TerritoryAligner(balance={'potential': 0.05}, max_disruption=0.2)
    >>> al = TerritoryAligner(solver=SolverOptions(time_limit=20, mip_rel_gap=1e-3))
    """

    _moved: ClassVar[dict[str, str]] = {
        "time_limit": "solver=SolverOptions(time_limit=...)",
        "mip_rel_gap": "solver=SolverOptions(mip_rel_gap=...)",
    }

    def __init__(
        self,
        balance: Mapping[str, float] | None = None,
        *,
        targets: pd.DataFrame | Mapping[str, float] | str | None = None,
        compactness: str | None = "potential",
        max_disruption: float | None = None,
        disruption_basis: str = "potential",
        disruption_price: float | None = None,
        capacity: bool = True,
        contiguity: bool = False,
        within: str | None = None,
        candidates: int = 16,
        method: str = "auto",
        solver: SolverOptions | None = None,
        seed: int = 0,
        effort: float = 1.0,
    ) -> None:
        self.balance = balance
        self.targets = targets
        self.compactness = compactness
        self.max_disruption = max_disruption
        self.disruption_basis = disruption_basis
        self.disruption_price = disruption_price
        self.capacity = capacity
        self.contiguity = contiguity
        self.within = within
        self.candidates = candidates
        self.method = method
        self.solver = solver
        self.seed = seed
        self.effort = effort

    # ------------------------------------------------------------------ settings
    def _balance(self) -> Mapping[str, float]:
        return {"potential": 0.05} if self.balance is None else self.balance

    def _validate(self) -> None:
        """Check every setting; a :class:`ConfigError` names the key and the allowed values."""
        balance = self._balance()
        if not isinstance(balance, Mapping):
            raise ConfigError(
                f"balance must be a mapping attribute -> tolerance, got {self.balance!r}"
            )
        for k, v in balance.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= float(v) <= 10:
                raise ConfigError(
                    f"balance[{k!r}]={v!r}: give a relative tolerance in [0, 10], e.g. 0.05"
                )
        if self.max_disruption is not None and not 0 <= self.max_disruption <= 1:
            raise ConfigError(f"max_disruption={self.max_disruption!r}: give a share in [0, 1]")
        if self.disruption_price is not None and self.disruption_price < 0:
            raise ConfigError(f"disruption_price={self.disruption_price!r}: must be >= 0 (km)")
        if self.method not in METHODS:
            raise ConfigError(f"method={self.method!r}; allowed: {', '.join(METHODS)}")
        if self.solver is not None and not isinstance(self.solver, SolverOptions):
            raise ConfigError(
                f"solver={self.solver!r}: give spmopt.SolverOptions(time_limit=..., "
                "mip_rel_gap=...) or None"
            )
        if not isinstance(self.effort, int | float) or not 0 < float(self.effort) <= 100:
            raise ConfigError(f"effort={self.effort!r}: give a factor in (0, 100], e.g. 1 or 2")
        if int(self.candidates) < 2:
            raise ConfigError(f"candidates={self.candidates!r}: keep at least 2 per account")
        if self.within is not None and self.contiguity and self.method == "mip":
            raise ConfigError("method='mip' does not support contiguity; use method='auto'")

    def _work(self) -> WorkBudget:
        """The work budget of each solve phase, scaled by ``effort``."""
        return WorkBudget().scaled(float(self.effort))

    def _options(self) -> SolverOptions:
        """The solver options of the solve: ``solver``, or :data:`DEFAULT_SOLVER` with ``seed``."""
        return self.solver if self.solver is not None else replace(DEFAULT_SOLVER, seed=self.seed)

    def settings(self) -> AlignmentSettings:
        """The validated settings, as the build and solve stages read them."""
        self._validate()
        options = self._options()
        return AlignmentSettings(
            balance={str(k): float(v) for k, v in self._balance().items()},
            targets=self.targets,
            compactness=self.compactness,
            max_disruption=self.max_disruption,
            disruption_basis=self.disruption_basis,
            disruption_price=self.disruption_price,
            capacity=self.capacity,
            contiguity=self.contiguity,
            within=self.within,
            candidates=int(self.candidates),
            method=self.method,
            time_limit=float("inf") if options.time_limit is None else float(options.time_limit),
            mip_rel_gap=float(options.mip_rel_gap),
            effort=float(self.effort),
        )

    # ------------------------------------------------------------------ solve
    def build_model(
        self,
        accounts: pd.DataFrame,
        reps: pd.DataFrame,
        *,
        distance: pd.DataFrame | np.ndarray | None = None,
        adjacency: Mapping[str, Iterable[str]] | pd.DataFrame | None = None,
    ) -> BuiltAlignment:
        """The model :meth:`solve` would solve, without solving it (see
        :func:`~spmopt.territory.build.build_model`)."""
        return build_model(accounts, reps, self.settings(), distance=distance, adjacency=adjacency)

    def solve(
        self,
        accounts: pd.DataFrame,
        reps: pd.DataFrame,
        *,
        distance: pd.DataFrame | np.ndarray | None = None,
        adjacency: Mapping[str, Iterable[str]] | pd.DataFrame | None = None,
    ) -> AlignmentResult:
        """Align ``accounts`` to the territories of ``reps``.

        The three stages in order: :func:`~spmopt.territory.build.build_model`, the solve
        phases of each group (:func:`~spmopt.territory.engine.solve_group`), and
        :func:`~spmopt.territory.assemble.assemble`.

        Parameters
        ----------
        accounts, reps : DataFrame
            Tables of the data contract (``accounts``: account_id, lat, lon, potential,
            workload, optional current_territory, locked_territory, basic_unit; ``reps``:
            rep_id, territory_id, lat, lon, optional capacity, region, district).
        distance : DataFrame or ndarray, optional
            Distance or travel time from each account to each territory's home base, replacing
            great-circle km in the objective: an (accounts x reps) array in table order, or a
            DataFrame indexed by account_id with a column per territory_id.
        adjacency : mapping or DataFrame, optional
            Neighbouring basic units (required with ``contiguity=True``).

        Returns
        -------
        AlignmentResult
            Always an assignment of every account: with ``status="infeasible"`` it is the best
            compromise, its violated rows in ``violations`` and in words in ``diagnosis``.
        """
        t0 = time.perf_counter()
        built = self.build_model(accounts, reps, distance=distance, adjacency=adjacency)
        options = self._options()
        work = self._work()
        n = len(built.accounts)
        solutions = []
        for g in built.groups:
            share = g.accounts.size / n if len(built.groups) > 1 else 1.0
            limit = options.time_limit
            opts = replace(options, time_limit=None if limit is None else max(limit * share, 1.0))
            res, diag = solve_group(g, built.settings, opts, work, built.tolerance)
            solutions.append(GroupSolution(res, diag))
        return assemble(built, solutions, t0)
