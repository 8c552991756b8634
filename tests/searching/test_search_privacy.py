"""No word of a private need is reachable by an anonymous query (issue 14).

On the Région Sud demo, every word of every need (title, description,
organisation, commune) that no public document holds is searched as the public
catalogue searches it — as typed, and misspelt — in every public kind: it must
behave exactly like a word nobody ever wrote (no hit, no "Résultats pour …"
correction towards it, reported as ignored)."""

from __future__ import annotations

import pytest

from app.demo import load_demo
from app.extensions import db
from app.needs.models import Need
from app.searching.documents import need_document
from app.searching.services import SearchRequest, build_query, get_backend
from search.analysis import STEM, stems, text_lexemes, tokenize

PUBLIC = ("offer", "provider", "resource")


def _public_lexemes() -> set[str]:
    backend = get_backend()
    found: set[str] = set()
    for kind in PUBLIC:
        for batch in backend.iter_documents(kind):
            for doc in batch:
                found |= text_lexemes(f"{doc.title} {doc.keywords} {doc.body}")
    return found


def _need_words() -> set[str]:
    words: set[str] = set()
    for need in db.session.scalars(db.select(Need)):
        doc = need_document(need) or None
        texts = [need.title, need.description, need.organisation.name]
        if doc is not None:
            texts.append(doc.keywords)
        for text in texts:
            words |= {p for t in tokenize(text or "") for p in t.parts if len(p) >= 3 and p.isalpha()}
    return words


def _misspelt(word: str) -> str:
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]


def _search(text: str, kind: str):
    query, _ = build_query(SearchRequest(text=text, kind=kind, widen_below=20))
    return get_backend().search(query)


@pytest.mark.one_pass("sqlite")  # the in-memory engine answers; test_search_memory proves both databases alike
def test_no_word_of_a_private_need_is_reachable_anonymously(app, db_session, client):
    load_demo("mot de passe de la démo")
    db.session.commit()
    public = _public_lexemes()
    public_words = sorted(w for w in public if not w.startswith(STEM))
    private = {
        w
        for w in _need_words()
        if w not in public
        and not any(STEM + s in public for s in stems(w))
        and not any(p.startswith(w) for p in public_words)  # a prefix of a public word finds public documents
    }
    assert len(private) > 50, "the demo's needs should hold words of their own"
    leaks = []
    for word in sorted(private):
        for kind in PUBLIC:
            for typed in {word, _misspelt(word)} if len(word) >= 5 else {word}:
                result = _search(typed, kind)
                reached = {w for fixes in result.corrections.values() for w in fixes} & private
                if result.total or reached or result.ignored_terms != [typed]:
                    leaks.append((typed, kind, result.total, result.corrections, result.ignored_terms))
    assert not leaks, leaks[:10]
    # the same through the pages and the API, for a few of them
    for word in sorted(private)[:5]:
        page = client.get(f"/recherche?q={word}")
        assert page.status_code == 200 and "Résultats pour" not in page.get_data(as_text=True)
        api = client.get(f"/api/v1/search?q={word}").get_json()
        assert api["total"] == 0 and not api.get("corrections")
