"""Solver result type shared by every solver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model import I64, IntArray
from ..notes import Note

#: need index -> offer index, or the offers of a two-expert need.
Assignments = dict[int, int | tuple[int, ...]]


@dataclass(frozen=True, eq=False)
class SolveResult:
    """Outcome of one solver run (index space).

    ``status``: ``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE``, ``MODEL_INVALID``,
    ``UNKNOWN`` (CP-SAT names; the flow solver maps its own statuses onto them;
    the greedy baseline reports ``FEASIBLE``).
    ``objective``: sum of the chosen edges' scores (a two-expert need counts the
    mean of its two edges).  ``bound``: proven upper bound of the objective on the
    solver's own model (``None`` for greedy).
    ``assignments``: need index -> offer index, or a pair ``(offer, offer)`` for a
    two-expert need.  ``selected``: indices of the chosen candidate edges.
    ``flow_bound`` / ``gap_to_flow`` (CP-SAT only): optimum of the flow relaxation
    (full candidate set, no side constraints, one offer per need) and the
    relative gap ``(flow_bound - objective) / flow_bound``.
    """

    solver: str
    status: str
    objective: float
    bound: float | None
    seconds: float
    assignments: Assignments
    selected: I64
    timings: dict[str, float] = field(default_factory=dict)
    flow_bound: float | None = None
    gap_to_flow: float | None = None
    n_model_edges: int = 0
    #: :class:`~matching.notes.Note` codes (a plain French string from a solver not yet converted)
    notes: tuple[Note | str, ...] = ()

    @property
    def is_optimal(self) -> bool:
        return self.status == "OPTIMAL"


def assignments_from_selected(need_idx: IntArray, offer_idx: IntArray, selected: IntArray) -> Assignments:
    """Assignments (index space) of the selected edges."""
    out: Assignments = {}
    for e in np.sort(selected).tolist():
        n, o = int(need_idx[e]), int(offer_idx[e])
        prev = out.get(n)
        if prev is None:
            out[n] = o
        else:
            out[n] = (prev, o) if isinstance(prev, int) else (*prev, o)
    return out
