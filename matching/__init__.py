"""Hub du Sud matching engine: a pure library (no Flask, no SQLAlchemy).

Plain data in (frozen dataclasses, numpy arrays), plain data out.  See
``matching/README.md`` for the API, and :func:`solve_instance` for the
end-to-end run.
"""

from .candidates import Candidates, build_candidates
from .checker import Violation, check_assignments
from .components import (
    CHARTER_LEVELS,
    COMPONENTS,
    DEFAULT_WEIGHTS,
    REGISTRY,
    Component,
    EdgeContext,
    EdgeFacts,
    Phrase,
    register,
)
from .engine import STAGES, STREAM_PAIRS, Alternative, MatchingResult, Proposal, Unmatched, solve_instance
from .explain import Explanation, alternatives, explain_edge
from .model import (
    CHARTER_PREFERENCES,
    FUNDING_COMPAT,
    FUNDING_MODES,
    MODALITIES,
    OPEN_END,
    OPEN_START,
    Instance,
    to_day,
)
from .notes import Note
from .records import Need, Offer, Provider
from .scoring import CHARTER_PREFER_WEIGHT, Scores, score_candidates
from .solvers import SideConstraints, SolveResult, solve_cpsat, solve_flow, solve_greedy

__all__ = [
    "CHARTER_LEVELS",
    "CHARTER_PREFERENCES",
    "CHARTER_PREFER_WEIGHT",
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "FUNDING_COMPAT",
    "FUNDING_MODES",
    "MODALITIES",
    "OPEN_END",
    "OPEN_START",
    "REGISTRY",
    "STAGES",
    "STREAM_PAIRS",
    "Alternative",
    "Candidates",
    "Component",
    "EdgeContext",
    "EdgeFacts",
    "Explanation",
    "Instance",
    "MatchingResult",
    "Need",
    "Note",
    "Offer",
    "Phrase",
    "Proposal",
    "Provider",
    "Scores",
    "SideConstraints",
    "SolveResult",
    "Unmatched",
    "Violation",
    "alternatives",
    "build_candidates",
    "check_assignments",
    "explain_edge",
    "register",
    "score_candidates",
    "solve_cpsat",
    "solve_flow",
    "solve_greedy",
    "solve_instance",
    "to_day",
]
