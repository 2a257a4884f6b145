"""The solve phases of a territory alignment, each ``phase(model, state, budget) -> state``.

=================  =========================================================================
:mod:`.bound`      LP relaxation (dense models) or Lagrangian dual with column generation
:mod:`.primal`     LP rounding, chain repair, single moves, neighbourhood MIPs
:mod:`.improve`    boundary MIP and neighbourhood MIPs on a feasible assignment
:mod:`.exact`      reduced-cost fixing and the exact MIP on what is left
:mod:`.compromise` the least-violating assignment when the rows cannot all be met
=================  =========================================================================

:func:`~spmopt.territory.engine.solve_model` runs them in that order; each is budgeted by work
(:class:`~spmopt.territory.phases.state.WorkBudget`), the wall clock only caps the whole.
"""

from spmopt.territory.phases.bound import bound
from spmopt.territory.phases.compromise import compromise
from spmopt.territory.phases.exact import exact
from spmopt.territory.phases.improve import improve
from spmopt.territory.phases.primal import primal
from spmopt.territory.phases.state import Budget, Clock, Compromise, SolveState, WorkBudget

__all__ = [
    "Budget",
    "Clock",
    "Compromise",
    "SolveState",
    "WorkBudget",
    "bound",
    "compromise",
    "exact",
    "improve",
    "primal",
]
