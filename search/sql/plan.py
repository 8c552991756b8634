"""The plan of a query's words, made on the in-process index (search/memory.py):
French analysis (search/analysis.py), synonyms, terms found among the kinds the
query may see, typo corrections from those same documents only; and the
display of the page's documents (title, extra, highlight).

Privacy: a term counts as found, and a correction is offered, only when it is in
a live document of the searched kinds. Needs are their own kind (staff only), so
no word of a need is ever confirmed, corrected to, or shown to a public query."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..analysis import STEM, Probe, QueryTerm, SynonymTable, analyze_query, marks_word, probe_matches, stems
from ..base import Hit, SearchQuery
from ..memory import MemoryIndex, ProbeSpec, TermSpec
from ..text import edit_distance, marked_html, max_typos, plain_html, snippet_terms
from .common import MAX_CORRECTIONS, SNIPPET_WORDS, Plan, first_words, loads

SWAP_MIN = 4  # from this length, two swapped letters are corrected (other typos from 5, see max_typos)


def probe_spec(index: MemoryIndex, probe: Probe) -> ProbeSpec:
    return ProbeSpec(
        word=index.id_of.get(probe.word),
        stems=sorted({index.id_of[STEM + s] for s in probe.stems if STEM + s in index.id_of}),
        prefix=probe.word if probe.prefix else None,
    )


def term_spec(index: MemoryIndex, term: QueryTerm) -> TermSpec:
    return TermSpec(alternatives=[[probe_spec(index, p) for p in probes] for probes in term.alternatives])


def make_plan(index: MemoryIndex, text_query: str, kinds: Sequence[str], synonyms: SynonymTable) -> Plan:
    """The query's terms as the index sees them, for documents of `kinds`: those
    found, misspelt ones replaced by the nearest words of those documents, the
    others ignored."""
    terms = analyze_query(text_query, synonyms)
    if not terms:
        return Plan(terms=[], specs=[], levels=[], corrections={}, ignored=[])
    among = index.kind_mask(kinds)
    plan = Plan(terms=[], specs=[], levels=[], corrections={}, ignored=[])
    for term in terms:
        spec = term_spec(index, term)
        level = index.term_level(spec)
        if not index.frequency(level, among) and " " not in term.text:
            fixes = corrections_of(index, term.text, among)
            if fixes:
                plan.corrections[term.text] = fixes
                term = QueryTerm(
                    text=term.text, alternatives=[[Probe(word=f, stems=stems(f))] for f in fixes], synonyms=[]
                )
                spec = term_spec(index, term)
                level = index.term_level(spec)
            else:  # a misspelt word of the synonym table ("newsleter"), found through its equivalents
                for fix in nearest_words(synonyms.words(), term.text):
                    (fixed,) = analyze_query(fix, synonyms) or (term,)
                    fixed_spec = term_spec(index, fixed)
                    fixed_level = index.term_level(fixed_spec)
                    if index.frequency(fixed_level, among):
                        plan.corrections[term.text] = [fix]
                        term, spec, level = (
                            QueryTerm(fixed.text, fixed.alternatives, fixed.synonyms),
                            fixed_spec,
                            fixed_level,
                        )
                        break
        if index.frequency(level, among):
            plan.terms.append(term)
            plan.specs.append(spec)
            plan.levels.append(level)
        else:
            plan.ignored.append(term.text)
    plan.impossible = not plan.terms
    return plan


def typo_limit(word: str) -> tuple[int, bool]:
    """(edits allowed, only two swapped letters) for a misspelt word."""
    limit = max_typos(word)
    if limit == 0 and len(word) == SWAP_MIN:  # "rgdp" -> "rgpd": the only typo a 4-letter word is allowed
        return 1, True
    return limit, False


def nearest_words(candidates: Iterable[str], word: str) -> list[str]:
    """The candidates within the allowed edit distance of a misspelt word, nearest first."""
    limit, swapped_only = typo_limit(word)
    if limit == 0:
        return []
    scored = []
    for t in candidates:
        if abs(len(t) - len(word)) > limit or (swapped_only and sorted(t) != sorted(word)):
            continue
        distance = edit_distance(word, t, limit)
        if distance <= limit:
            scored.append((distance, t))
    return [t for _d, t in sorted(scored)]


def corrections_of(index: MemoryIndex, word: str, among: Any) -> list[str]:
    """The words nearest to a misspelt one (at most MAX_CORRECTIONS, all at the
    smallest distance) among the words of the documents `among` (a mask)."""
    limit, swapped_only = typo_limit(word)
    if limit == 0:
        return []
    scored = sorted(
        (d, t)
        for t in index.typo_candidates(word, len(word) - limit, len(word) + limit)
        if (d := edit_distance(word, t, limit)) <= limit and (not swapped_only or sorted(t) == sorted(word))
    )
    best: int | None = None
    out: list[str] = []
    for distance, candidate in scored:
        if best is not None and distance > best:
            break
        lexeme = index.id_of.get(candidate)
        if lexeme is None or not index.frequency(index.probe_level(ProbeSpec(word=lexeme)), among):
            continue  # a word of other kinds' documents (a need's), or of documents gone: never offered
        best = distance
        out.append(candidate)
        if len(out) >= MAX_CORRECTIONS:
            break
    return out


def display(conn: Connection, query: SearchQuery, plan: Plan, pks: list[int]) -> dict[int, dict[str, Any]]:
    """Title, extra and highlight of the page's documents only."""
    placeholders = ", ".join(f":p{i}" for i in range(len(pks)))
    values = {f"p{i}": pk for i, pk in enumerate(pks)}
    sql = f"SELECT d.pk, d.kind, d.doc_id, d.title, d.body, d.extra, d.published_at FROM search_doc d WHERE d.pk IN ({placeholders})"
    highlight = query.highlight and bool(plan.terms)
    words, stem_set, prefixes = probe_matches(p for t in plan.terms for probes in t.alternatives for p in probes)

    seen: dict[str, bool] = {}

    def matches(raw: str) -> bool:
        found = seen.get(raw)
        if found is None:
            found = seen[raw] = marks_word(raw, words, stem_set, prefixes)
        return found

    out = {}
    for r in conn.execute(text(sql), values).mappings().all():
        row = dict(r)
        if highlight:
            row["highlight"] = {
                "title": marked_html(snippet_terms(r["title"], set(), set(), 10_000, matches)),
                "body": marked_html(snippet_terms(r["body"], set(), set(), SNIPPET_WORDS, matches)),
            }
        else:
            row["highlight"] = {"title": plain_html(r["title"]), "body": plain_html(first_words(r["body"]))}
        out[int(r["pk"])] = row
    return out


def hit(d: dict[str, Any], score: float, distance_km: float | None) -> Hit:
    """A hit from a row of display()."""
    return Hit(
        id=d["doc_id"],
        kind=d["kind"],
        title=d["title"],
        score=score,
        highlight=d["highlight"],
        distance_km=distance_km,
        published_at=datetime.fromisoformat(d["published_at"]) if d["published_at"] else None,
        extra=loads(d["extra"], {}),
    )


def sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    """Facet values, most frequent first (ties by value)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
