"""What the solve phases share: the work budget, the wall-clock safety cap and the solve state.

Every phase of :mod:`spmopt.territory.phases` is a function ``phase(model, state, budget) ->
state``. The *work* each may do is counted (simplex iterations, branch-and-bound nodes,
subgradient steps, chain-search steps, neighbourhood MIPs), so that equal inputs give the same
assignment on any machine, idle or busy. The wall clock is only a safety cap: when it cuts a
phase short the state records it and the result's status says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from spmopt.solver import SolverOptions
from spmopt.territory.lagrangian import Dual
from spmopt.territory.model import AlignmentModel

__all__ = [
    "NEIGHBOURHOOD_MAX_ITEMS",
    "Budget",
    "Clock",
    "Compromise",
    "PhaseLog",
    "SolveState",
    "WorkBudget",
]

#: pruned models with more items skip the neighbourhood MIPs of the improvement phase
NEIGHBOURHOOD_MAX_ITEMS = 50_000


@dataclass(frozen=True)
class WorkBudget:
    """Work allowed to each phase of a territory solve (counts, not seconds).

    Parameters
    ----------
    dual_steps : int
        Projected subgradient steps of the Lagrangian dual (pruned models).
    smoothed_steps : int
        L-BFGS iterations per temperature of the smoothed dual (pruned models).
    pricing_rounds : int
        Column-generation rounds (repricing every territory) on pruned models.
    lp_iterations : int
        Simplex iterations per LP.
    dive_rounds : int
        Rounds of the LP dive on dense models with two or more balance attributes (each fixes
        a quarter of the split items and re-solves the LP; on the example, 2,500 x 40 with
        potential and workload, 70 rounds bring the repaired assignment from 7.5% to 2.3%
        above the bound).
    chain_steps : int
        Label expansions and passes of the chain repair.
    repair_passes : int
        Passes of the greedy single-move repair.
    repair_mips : int
        Neighbourhood MIPs tried to fix territories still outside their bands.
    local_work : int
        Work of each local search (improving moves and exchanges): passes times the
        (item, slot) pairs a pass scans.
    boundary_rounds : int
        Boundary MIPs solved on pruned models (each wider than the last); 0 by default: at
        100,000 x 200 one cost 35 s for about 0.1%.
    boundary_nodes : int
        Branch-and-bound nodes of each boundary MIP.
    boundary_solutions : int
        Improving solutions after which a boundary MIP stops (HiGHS
        ``mip_max_improving_sols``, counting the warm start).
    neighbourhood_passes : int
        Passes over every territory of the neighbourhood re-optimisation.
    neighbourhood_nodes : int
        Branch-and-bound nodes per neighbourhood MIP.
    neighbourhood_min_gain : float
        A pass of neighbourhood MIPs that lowers the objective by less than this share ends
        them (not scaled by ``effort``). On the example with potential and workload, passes
        of 0.6%, 0.5% and 0.1% follow; the next would bring under 0.05%.
    cold_steps : int
        L-BFGS iterations of the smoothed dual at its coldest temperature that end the bound
        phase of the models of :func:`~spmopt.territory.phases.bound.spends_cold`, in
        place of the subgradient steps. On 100,000 x 200 with potential ±5% and account count
        ±10%, 150 / 300 / 600 end 0.91% / 0.44% / 0.35% above the bound.
    exact_nodes : int
        Branch-and-bound nodes of the reduced-cost-fixed exact MIP.
    compromise_steps : int
        Bisection steps of the best compromise when the bands cannot all be met.
    """

    dual_steps: int = 80
    smoothed_steps: int = 60
    pricing_rounds: int = 2
    lp_iterations: int = 3_000_000
    dive_rounds: int = 70
    chain_steps: int = 400_000
    repair_passes: int = 20_000
    repair_mips: int = 60
    local_work: int = 5_000_000
    boundary_rounds: int = 0
    boundary_nodes: int = 50
    boundary_solutions: int = 3
    neighbourhood_passes: int = 4
    neighbourhood_nodes: int = 20
    neighbourhood_min_gain: float = 5e-4
    cold_steps: int = 300
    exact_nodes: int = 200
    compromise_steps: int = 7

    def scaled(self, effort: float) -> WorkBudget:
        """Every count multiplied by ``effort`` (at least 1); shares stay as they are."""
        counts = [f.name for f in fields(self) if isinstance(getattr(self, f.name), int)]
        return replace(self, **{k: max(1, round(getattr(self, k) * effort)) for k in counts})


class Clock:
    """The wall-clock safety cap of one solve, and whether it bound.

    Parameters
    ----------
    limit : float or None
        Seconds for the whole solve (None: no cap).
    """

    def __init__(self, limit: float | None) -> None:
        self.t0 = time.perf_counter()
        self.limit = float(limit) if limit is not None else None
        self.capped = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        """Seconds left under the cap (a large number without one)."""
        if self.limit is None:
            return 1e9
        return self.limit - self.elapsed()

    def expired(self) -> bool:
        """Whether the cap is reached (and record that it bound)."""
        if self.left() <= 0:
            self.capped = True
        return self.capped

    def note(self, time_capped: bool) -> None:
        """Record that a solver reported stopping on the cap."""
        self.capped = self.capped or bool(time_capped)


@dataclass(frozen=True)
class Budget:
    """What a phase may spend: its work counts, the safety cap and the solver settings."""

    work: WorkBudget
    clock: Clock
    options: SolverOptions

    def solver(
        self,
        *,
        nodes: int | None = None,
        iterations: int | None = None,
        mip_rel_gap: float | None = None,
    ) -> SolverOptions:
        """Solver options for one HiGHS call: the work limits given, the time left as cap."""
        return replace(
            self.options,
            time_limit=max(self.clock.left(), 0.05),
            node_limit=nodes,
            iteration_limit=self.work.lp_iterations if iterations is None else iterations,
            mip_rel_gap=self.options.mip_rel_gap if mip_rel_gap is None else mip_rel_gap,
        )


@dataclass(frozen=True)
class PhaseLog:
    """One phase's record: its name, wall seconds and what it achieved."""

    name: str
    seconds: float
    note: str


@dataclass(frozen=True)
class Compromise:
    """The best assignment when the rows cannot all be met.

    Attributes
    ----------
    slot : ndarray
        The assignment (slot per item) of least largest relative violation found.
    violation : float
        Its largest relative violation of any row (0.03 = 3% of a target outside its band).
    lower : float
        A proven lower bound on that largest violation (from the LP relaxation); > 0 proves the
        settings infeasible.
    disruption_keeping_bands : float or None
        With a disruption cap: the least disruption (in the model's move units) found with
        every other row met, i.e. a cap that would be feasible (None when not found).
    """

    slot: np.ndarray
    violation: float
    lower: float
    disruption_keeping_bands: float | None = None


@dataclass(frozen=True)
class SolveState:
    """What the phases know so far.

    Attributes
    ----------
    model : AlignmentModel
        The model (pruned models gain candidates in the bound phase).
    slot : ndarray or None
        Best assignment meeting every row (slot per item).
    upper, lower : float
        Its objective and the best proven lower bound (valid for the full model).
    dual : Dual or None
        Lagrangian multipliers (pruned models).
    reduced : ndarray or None
        Reduced cost (n, P) of each slot at the bound's multipliers (LP or Lagrangian).
    shares : ndarray or None
        The LP solution (n, P) of dense models.
    start : ndarray or None
        A near-feasible slot vector from the bound phase (pruned models).
    best_effort : ndarray or None
        The least-violating assignment seen when none meets every row.
    proven_infeasible : bool
        The LP relaxation itself is infeasible.
    compromise : Compromise or None
    counted_lower : float or None
        The bound on the largest violation that counting proves
        (:func:`~spmopt.territory.phases.compromise.counting_lower`), once computed.
    log : tuple of PhaseLog
    """

    model: AlignmentModel
    slot: np.ndarray | None = None
    upper: float = np.inf
    lower: float = -np.inf
    dual: Dual | None = None
    reduced: np.ndarray | None = None
    shares: np.ndarray | None = None
    start: np.ndarray | None = None
    best_effort: np.ndarray | None = None
    proven_infeasible: bool = False
    compromise: Compromise | None = None
    counted_lower: float | None = None
    log: tuple[PhaseLog, ...] = field(default_factory=tuple)

    def logged(self, name: str, t0: float, note: str) -> SolveState:
        """This state with one more phase record."""
        return replace(self, log=(*self.log, PhaseLog(name, time.perf_counter() - t0, note)))

    def offer(self, slot: np.ndarray | None) -> SolveState:
        """Keep ``slot`` if it meets every row and beats the incumbent, or, while there is no
        incumbent, if it violates the rows less than the best effort so far."""
        if slot is None:
            return self
        m = self.model
        if m.is_feasible(slot, tol=1e-6):
            obj = m.objective(slot)
            if self.slot is None or obj < self.upper - 1e-12 * max(1.0, abs(self.upper)):
                return replace(self, slot=slot.copy(), upper=obj)
            return self
        if self.slot is None and np.isfinite(m.cost[np.arange(m.n), slot]).all():
            if self.best_effort is None or m.violation(slot) < m.violation(self.best_effort):
                return replace(self, best_effort=slot.copy())
        return self
