"""The steps both search paths of the SQL backend share: the plan of the
query's words (found in the vocabulary, as prefixes, or corrected), and the
display of the page's documents (title, extra, highlight)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..base import Hit, SearchQuery
from ..text import edit_distance, max_typos, plain_html, query_terms
from .common import MAX_CORRECTIONS, PREFIX_MIN, TOP, Dialect, Params, Plan, Term, first_words, loads


def make_plan(conn: Connection, dialect: Dialect, text_query: str) -> Plan:
    """The query's words: those of the vocabulary (also as prefixes from PREFIX_MIN
    letters), typos replaced by the nearest terms, the others ignored."""
    words = query_terms(text_query)
    if not words:
        return Plan(terms=[], corrections={}, ignored=[])
    p = Params()
    probes = []
    for i, w in enumerate(words):
        lo = p(w)
        if len(w) >= PREFIX_MIN:
            cond = f"term >= {lo} AND term < {p(w + TOP)}"
        else:
            cond = f"term = {lo}"
        stem, lexemes = dialect.probe_columns(lo)
        probes.append(
            f"SELECT {i} AS i, EXISTS (SELECT 1 FROM search_term WHERE {cond}) AS found, "
            f"{stem} AS stem, {lexemes} AS lexemes"
        )
    found = {r[0]: (bool(r[1]), r[2], r[3]) for r in conn.execute(text(" UNION ALL ".join(probes)), p.values).all()}
    terms: list[Term] = []
    corrections: dict[str, list[str]] = {}
    ignored: list[str] = []
    for i, w in enumerate(words):
        hit, stem, lexemes = found[i]
        if hit:
            terms.append(dialect.term(w, stem, lexemes))
            continue
        fixes = corrections_of(conn, dialect, w)
        if fixes:
            corrections[w] = fixes
            terms.append(Term(term=w, prefix=False, exact=fixes, stem=None))
        else:
            ignored.append(w)
    return Plan(terms=terms, corrections=corrections, ignored=ignored, impossible=not terms)


def corrections_of(conn: Connection, dialect: Dialect, word: str) -> list[str]:
    """The vocabulary's terms nearest to a misspelt word (at most MAX_CORRECTIONS)."""
    limit = max_typos(word)
    if limit == 0:
        return []
    candidates = dialect.corrections(conn, word, len(word) - limit, len(word) + limit)
    scored = sorted((edit_distance(word, t, limit), t) for t in candidates)
    scored = [(d, t) for d, t in scored if d <= limit]
    if not scored:
        return []
    best = scored[0][0]
    return [t for d, t in scored if d == best][:MAX_CORRECTIONS]


def display(
    conn: Connection, dialect: Dialect, query: SearchQuery, plan: Plan, pks: list[int]
) -> dict[int, dict[str, Any]]:
    """Title, extra and highlight of the page's documents only."""
    p = Params()
    highlight = query.highlight and bool(plan.terms)
    cols = "d.pk, d.kind, d.doc_id, d.title, d.body, d.extra, d.published_at"
    sql = dialect.display_sql(p, plan, highlight, cols, pks)
    out = {}
    for r in conn.execute(text(sql), p.values).mappings().all():
        row = dict(r)
        if highlight:
            row["highlight"] = dialect.highlight(r, plan)
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
