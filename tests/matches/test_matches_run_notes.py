"""The engine's notes on the run page in the reader's language (issue 15): a run stores them as codes
and parameters, the page words them in French or in English, with the names of the départements and
providers they speak of; notes stored before as French strings still show, marked as French."""

from __future__ import annotations

import re

from flask_babel import refresh

from app.core.jobs import commit
from app.matches import runs as match_runs
from app.matches.notes import notes_html
from matching.notes import NOTE_TEXTS
from tests.conftest import login, page_text, post_form


def _notes(page: str) -> str:
    """The text of the run page's engine notes (tags removed)."""
    match = re.search(r"<dt>(?:Remarques du moteur|Engine notes)</dt><dd>(.*?)</dd>", page, re.S)
    assert match, "no engine notes on the page"
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_run_notes_in_the_readers_language(client, factory, db_session):
    staff = factory.staff()
    provider = factory.provider(name="Cyber Var", commune="83137", radius_km=30)
    factory.offer(provider=provider, title="Audit", skills=["securite.cybersecurite"], capacity_per_month=5)
    for name in ("Cabinet infirmier", "Pharmacie du port"):
        factory.need(
            title="Sécuriser nos ordinateurs",
            skills=["securite.cybersecurite"],
            organisation=factory.organisation(name=name, commune="83137"),
        )
    login(client, staff)
    # one proposal per provider and département at most, two wanted in the Var: impossible
    side = {"territory_share": 0.01, "min_per_department": {"83": 2}, "top_k": None}
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1}, solver="cpsat", side_constraints=side)
    commit()
    codes = [n["code"] for n in run.figures["notes"]]
    assert codes[:2] == ["fallback.infeasible", "unmet.territory_share"], codes  # stored as codes
    assert run.figures["notes"][1]["params"] == {"provider_id": provider.id, "department": "83", "count": 2, "cap": 1}

    french = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    notes = _notes(french)
    assert notes.startswith("contraintes annexes impossibles à respecter sur le modèle ;"), notes
    assert (
        "contrainte non respectée (part par territoire) : Cyber Var a 2 propositions pour Var (83) (plafond 1)" in notes
    )
    assert "<dd>désactivée — aucun vecteur de texte demandé</dd>" in french  # why the text similarity is off

    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    notes = _notes(english)
    assert notes.startswith("side constraints impossible to meet on the model; proposals from the optimal flow"), notes
    assert "constraint not met (share per territory): Cyber Var has 2 proposals for Var (83) (cap 1)" in notes
    assert "<dd>disabled — no text embeddings requested</dd>" in english
    assert "contrainte" not in notes and "lang=" not in english.split("Engine notes")[1].split("</dd>")[0]

    # a run stored before: its French strings, as they are, marked as French
    run.figures = {**run.figures, "notes": ["contrainte non respectée (territory_share) : provider 1"]}
    db_session.commit()
    english = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    assert '<span lang="fr" data-user-content>contrainte non respectée (territory_share) : provider 1</span>' in english


def test_every_note_of_the_library_is_worded_in_both_languages(app, db_session):
    """Each code `matching` may return has its French wording and its English translation here."""
    params = {
        "bound": 1.5,
        "department": "83",
        "wanted": 3,
        "available": 1,
        "top_k": 10,
        "seconds": 2,
        "status": "MODEL_INVALID",
        "provider_id": 999999,
        "count": 2,
        "cap": 1,
        "rounds": 3,
        "kept": 1200,
        "usable": 5000,
        "gap": 0.25,
        "reason": "ImportError",
    }
    stored = [{"code": code, "params": params, "text": "texte français"} for code in NOTE_TEXTS]
    worded = {}
    for lang in ("fr", "en"):
        with app.test_request_context(headers={"Accept-Language": lang}):
            refresh()  # the locale is kept per application context, which the fixture's outlives
            worded[lang] = [str(notes_html([note])) for note in stored]
    for code, fr, en in zip(NOTE_TEXTS, worded["fr"], worded["en"], strict=True):
        assert "texte français" not in fr and "lang=" not in en, code  # worded here, not the stored text
        assert fr != en, code  # translated
    assert "prestataire n° 999999" in worded["fr"][list(NOTE_TEXTS).index("unmet.territory_share")]


def test_a_large_catalogue_streams_and_the_run_page_words_its_notes(client, factory, db_session, app, monkeypatch):
    """A run of the exact method on a catalogue at or above the streaming threshold (here: any) is solved
    by the streamed solver; its note, a code, is worded on the run page in French and in English, the
    rounds in the singular or the plural, the gap as a percentage."""
    monkeypatch.setitem(app.config, "MATCHING_STREAM_PAIRS", 0)
    staff = factory.staff()
    provider = factory.provider(name="Cyber Var", commune="83137", radius_km=30)
    offer = factory.offer(provider=provider, title="Audit", skills=["securite.cybersecurite"], capacity_per_month=5)
    needs = [
        factory.need(
            title="Sécuriser nos ordinateurs",
            skills=["securite.cybersecurite"],
            organisation=factory.organisation(name=name, commune="83137"),
        )
        for name in ("Cabinet infirmier", "Pharmacie du port")
    ]
    login(client, staff)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})  # the exact method ("flow")
    commit()
    assert run.status.value == "done", run.error
    assert run.figures["solver"] == run.figures["solver_used"] == "streamed" and run.figures["status"] == "OPTIMAL"
    assert {(p.need_id, p.offer_id) for p in run.proposals} == {(n.id, offer.id) for n in needs}
    assert all(p.explanation for p in run.proposals)
    assert run.figures["notes"] == [
        {
            "code": "streamed.all_edges",
            "params": {"kept": 2, "generated": 2},
            "text": "optimal : flot sur toutes les 2 arêtes utilisables (2 générées en flux)",
        }
    ]
    page = f"/mise-en-relation/runs/{run.id}"
    assert (
        _notes(page_text(client.get(page))) == "optimal : flot sur toutes les 2 arêtes utilisables (2 générées en flux)"
    )
    post_form(client, "/langue", {"lang": "en"})
    assert _notes(page_text(client.get(page))) == "optimal: flow on all 2 usable edges (2 generated as a stream)"

    # the other streamed codes, as a larger run would store them
    stopped = {"rounds": 3, "bound": 116.8163, "gap": 0.525, "kept": 8343970}
    proven = {"rounds": 1, "kept": 12000, "usable": 154093782, "generated": 181000000}
    run.figures = {
        **run.figures,
        "notes": [
            {"code": "streamed.optimal", "params": proven, "text": "texte français"},
            {"code": "streamed.stopped_time", "params": stopped, "text": "texte français"},
            {"code": "streamed.stopped_edges", "params": {**stopped, "rounds": 1}, "text": "texte français"},
        ],
    }
    db_session.commit()
    assert _notes(page_text(client.get(page))) == (
        "optimal (streamed pricing): 1 round, 12,000 edges kept out of 154,093,782 (181,000,000 generated); "
        "pricing stopped (time limit) after 3 rounds: bound 116.8163, gap 52.5% (8,343,970 edges kept); "
        "pricing stopped (edge budget) after 1 round: bound 116.8163, gap 52.5% (8,343,970 edges kept)"
    )
    post_form(client, "/langue", {"lang": "fr"})
    assert _notes(page_text(client.get(page))) == (
        "optimal (tarification en flux) : 1 tour, 12 000 arêtes gardées sur 154 093 782 (181 000 000 générées) ; "
        "tarification arrêtée (limite de temps) après 3 tours : borne 116,8163, écart 52,5 % "
        "(8 343 970 arêtes gardées) ; "
        "tarification arrêtée (budget d'arêtes) après 1 tour : borne 116,8163, écart 52,5 % (8 343 970 arêtes gardées)"
    )
