"""Solvers of the b-matching: exact min-cost flow (default), CP-SAT with side
constraints, greedy baseline.  OR-Tools is imported only in this sub-package."""

from .base import SolveResult
from .cpsat import SideConstraints, solve_cpsat
from .flow import solve_flow
from .greedy import solve_greedy
from .priced import solve_priced
from .sideflow import solve_side_flow

__all__ = [
    "SideConstraints",
    "SolveResult",
    "solve_cpsat",
    "solve_flow",
    "solve_greedy",
    "solve_priced",
    "solve_side_flow",
]
