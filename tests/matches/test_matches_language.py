"""Explanations of proposals in the reader's language: a run stores its explanations as codes and
parameters, each page words them in French or in English; explanations stored before (a French
sentence only) still show, marked as French in an English page; a refused proposal is
"Refusée"."""

from __future__ import annotations

import re

import pytest

from app.core.jobs import commit
from app.matches import runs as match_runs
from app.matches.explanations import explanation_text
from tests.conftest import login, page_text, post_form


def _setup(factory):
    staff = factory.staff()
    need = factory.need(
        title="Sécuriser nos ordinateurs",
        skills=["securite.cybersecurite", "securite.rgpd"],
        organisation=factory.organisation(name="Cabinet infirmier", kind="profession_liberale", commune="83137"),
    )
    offer = factory.offer(
        provider=factory.provider(name="Cyber Var", commune="83137", radius_km=30),
        title="Audit de sécurité",
        skills=["securite.cybersecurite"],
        category="audit",
    )
    return staff, need, offer


def _why(page: str) -> str:
    """The text of the first explanation on the page (tags removed)."""
    match = re.search(r'<p class="why">(.*?)</p>', page, re.S)
    assert match, "no explanation on the page"
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_a_run_explains_in_the_readers_language(client, factory, db_session):
    staff, _need, _offer = _setup(factory)
    login(client, staff)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    proposal = run.proposals[0]
    assert proposal.explanation_phrases[0]["code"] == "distance.same_commune"  # stored as codes

    french = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    assert _why(french).startswith("même commune ; couvre : cybersécurité ; ne couvre pas : conformité RGPD ;")

    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    why = _why(english)
    assert why.startswith("same municipality; covers: cybersecurity; does not cover: GDPR compliance;"), why
    assert "available at any time" in why and "même" not in why and "couvre" not in why
    # what users wrote stays French, and says so
    assert '<span lang="fr" data-user-content>Sécuriser nos ordinateurs</span>' in english
    # the proposal's own page too, in either language
    english = _why(page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}")))
    assert english.startswith("same municipality; covers: cybersecurity;") and "couvre" not in english
    post_form(client, "/langue", {"lang": "fr"})
    french = _why(page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}")))
    assert french.startswith("même commune ; couvre : cybersécurité ;") and "covers" not in french


def test_explanations_stored_before_still_show(client, factory, db_session):
    """Rows of runs made before the phrases were stored: their French sentence, as it is."""
    staff, _need, _offer = _setup(factory)
    login(client, staff)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    proposal = run.proposals[0]
    proposal.explanation_phrases = None
    proposal.explanation = "même commune ; couvre : cybersécurité ; bénévole"
    proposal.alternatives = [
        {"offer_id": proposal.offer_id, "provider_id": 1, "score": 0.5, "explanation": "à distance"}
    ]
    db_session.commit()

    french = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert '<p class="why">même commune ; couvre : cybersécurité ; bénévole</p>' in french
    assert '<span class="why">à distance</span>' in french

    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert '<span lang="fr" data-user-content>même commune ; couvre : cybersécurité ; bénévole</span>' in english
    assert '<span lang="fr" data-user-content>à distance</span>' in english


def test_a_refused_proposal_is_refusee(client, factory, db_session):
    staff, _need, _offer = _setup(factory)
    login(client, staff)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    proposal = run.proposals[0]
    post_form(client, f"/mise-en-relation/propositions/{proposal.id}", {"decision": "reject", "reason": "Trop loin"})
    page = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert '<span class="badge badge-rejected">Refusée</span>' in page
    assert "Refusé<" not in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            (
                "deux experts complémentaires ; couvrent ensemble : cybersécurité — 1) à distance ; acteur local — 2) "
                "même commune, 3 km ; disponible d'avril à juin"
            ),
        ),
        (
            "en",
            (
                "two complementary experts; together they cover: cybersecurity — 1) remote; acteur local — 2) "
                "same municipality, 3 km; available from April to June"
            ),
        ),
    ],
)
def test_pair_and_unknown_phrases_are_worded(app, lang, expected):
    phrases = [
        {"code": "pair.head", "params": {"skills": ["cybersécurité"], "skill_codes": ["securite.cybersecurite"]}},
        {"code": "pair.expert", "params": {"n": 1}},
        {"code": "distance.remote", "params": {}, "text": "à distance"},
        {"code": "local.same", "params": {}, "text": "acteur local"},  # a component this app does not word
        {"code": "pair.expert", "params": {"n": 2}},
        {"code": "distance.same_commune_km", "params": {"km": 2.7}},
        {"code": "time.window", "params": {"from": "2027-04-01", "until": "2027-06-30"}},
    ]
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert explanation_text(phrases, "ignored") == expected
        assert explanation_text(None, "phrase française") == "phrase française"
