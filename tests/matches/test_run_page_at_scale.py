"""The run page at scale, as staff use it: proposals paginated and filtered (territory, status, score,
skills coverage), bulk decisions with one form, decisions that come back to the same place with a
message naming the proposal (or answer JSON for the page's script), and a confirmation step before
an alternative is chosen and sent."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.core.jobs import commit
from app.matches import runs as match_runs
from app.matches.models import Proposal
from app.matches.models import ProposalStatus as P
from tests.conftest import login, page_text, post_form

CARD = re.compile(r'<article class="card proposal" id="proposition-(\d+)"')


@pytest.fixture
def big_run(factory, db_session):
    """27 proposals: 15 needs in the Var (83), 12 in the Bouches-du-Rhône (13), two offers each."""
    staff = factory.staff()
    for commune, name in (("83137", "Var"), ("13055", "Bouches")):
        for n in range(2):
            factory.offer(
                provider=factory.provider(name=f"Prestataire {name} {n}", commune=commune, radius_km=60),
                title=f"Audit {name} {n}",
                skills=["securite.cybersecurite"],
                capacity_per_month=40,
            )
    org_var = factory.organisation(name="Cabinet du Var", commune="83137")
    org_bdr = factory.organisation(name="Association de Marseille", commune="13055")
    for i in range(15):
        factory.need(title=f"Besoin Var {i:02d}", skills=["securite.cybersecurite"], organisation=org_var)
    for i in range(12):
        factory.need(title=f"Besoin Marseille {i:02d}", skills=["securite.cybersecurite"], organisation=org_bdr)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    assert len(run.proposals) == 27
    return staff, run


def _cards(html: str) -> list[int]:
    return [int(i) for i in CARD.findall(html)]


def test_the_run_page_shows_20_proposals_a_page_and_filters_them(client, big_run):
    staff, run = big_run
    login(client, staff)
    url = f"/mise-en-relation/runs/{run.id}"
    first = client.get(url).get_data(as_text=True)
    assert len(_cards(first)) == 20
    assert "27 propositions — page 1 sur 2" in page_text_of(first)
    assert f'href="{url}?page=2#propositions"' in first
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert len(_cards(second)) == 7 and not set(_cards(first)) & set(_cards(second))
    assert client.get(url + "?page=99").status_code == 200  # past the end: the last page

    var = client.get(url + "?dep=83").get_data(as_text=True)
    assert len(_cards(var)) == 15 and "Besoin Marseille" not in var
    proposed = client.get(url + "?statut=proposed").get_data(as_text=True)
    assert f'href="{url}?statut=proposed&amp;page=2#propositions"' in proposed  # the pages keep the filters

    scores = sorted((p.score for p in run.proposals), reverse=True)
    floor = int(scores[10] * 100)
    high = client.get(url + f"?score={floor}").get_data(as_text=True)
    assert 0 < len(_cards(high)) <= 20
    assert all(p.score * 100 >= floor - 1e-6 for p in run.proposals if p.id in _cards(high))
    assert len(_cards(client.get(url + "?couverture=100").get_data(as_text=True))) == 20  # full coverage
    assert "Aucune proposition ne correspond." in page_text(client.get(url + "?statut=approved"))
    assert client.get(url + "?score=abc&couverture=500&statut=nimporte&dep=<b>").status_code == 200


def page_text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_refusing_without_a_reason_names_the_proposal_and_comes_back_to_it(client, big_run, db_session):
    staff, run = big_run
    login(client, staff)
    back = f"/mise-en-relation/runs/{run.id}?dep=83&page=1"
    proposal = db_session.get(Proposal, _cards(client.get(back).get_data(as_text=True))[3])
    r = post_form(client, f"/mise-en-relation/propositions/{proposal.id}", {"decision": "reject", "back": back})
    assert r.status_code == 302
    assert r.headers["Location"] == f"{back}#proposition-{proposal.id}"
    shown = page_text(client.get(r.headers["Location"]))
    assert (
        f"Proposition n° {proposal.id} « {proposal.need.title} » → « {proposal.offer.title} » : "
        "Indiquez la raison du refus." in shown
    )
    db_session.refresh(proposal)
    assert proposal.status == P.PROPOSED

    r = post_form(client, f"/mise-en-relation/propositions/{proposal.id}", {"decision": "approve", "back": back})
    assert r.headers["Location"] == f"{back}#proposition-{proposal.id}"
    assert f"Proposition n° {proposal.id} « {proposal.need.title} »" in page_text(client.get(r.headers["Location"]))
    # Only the run's own page is a way back; anything else goes to the proposal's page.
    other = db_session.get(Proposal, _cards(client.get(back).get_data(as_text=True))[0])
    r = post_form(
        client, f"/mise-en-relation/propositions/{other.id}", {"decision": "reject", "back": "https://ailleurs.example"}
    )
    assert r.headers["Location"] == f"/mise-en-relation/propositions/{other.id}#proposition-{other.id}"


def test_a_decision_asked_as_json_answers_the_card_again(client, big_run, db_session):
    staff, run = big_run
    login(client, staff)
    back = f"/mise-en-relation/runs/{run.id}"
    pid = _cards(client.get(back).get_data(as_text=True))[0]
    headers = {"Accept": "application/json"}
    r = post_form(
        client, f"/mise-en-relation/propositions/{pid}", {"decision": "reject", "back": back}, headers=headers
    )
    assert r.status_code == 422
    answer = r.get_json()
    assert answer["ok"] is False and f"Proposition n° {pid} " in answer["message"]
    assert f'id="proposition-{pid}"' in answer["html"]
    r = post_form(
        client,
        f"/mise-en-relation/propositions/{pid}",
        {"decision": "reject", "reason": "Trop loin.", "back": back},
        headers=headers,
    )
    answer = r.get_json()
    assert r.status_code == 200 and answer["ok"] and "refusée" in answer["message"]
    assert f'id="proposition-{pid}"' in answer["html"] and "Refusé" in answer["html"]
    db_session.expire_all()
    assert db_session.get(Proposal, pid).status == P.REJECTED


def test_bulk_decisions_with_one_form(client, big_run, db_session):
    staff, run = big_run
    login(client, staff)
    back = f"/mise-en-relation/runs/{run.id}?page=2"
    ids = _cards(client.get(back).get_data(as_text=True))
    url = f"/mise-en-relation/runs/{run.id}/approuver"
    r = post_form(client, url, {"proposal_id": [str(i) for i in ids[:3]], "decision": "reject", "back": back})
    assert r.headers["Location"] == back
    assert "Indiquez la raison du refus des propositions sélectionnées." in page_text(client.get(back))
    r = post_form(
        client,
        url,
        {"proposal_id": [str(i) for i in ids[:3]], "decision": "reject", "reason": "Hors périmètre.", "back": back},
    )
    assert "3 propositions refusées." in page_text(client.get(r.headers["Location"]))
    r = post_form(client, url, {"proposal_id": [str(i) for i in ids[3:5]], "decision": "approve", "back": back})
    assert "2 propositions approuvées et envoyées aux prestataires." in page_text(client.get(r.headers["Location"]))
    db_session.expire_all()
    statuses = {p.id: p.status for p in db_session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}
    assert [statuses[i] for i in ids[:5]] == [P.REJECTED] * 3 + [P.APPROVED] * 2
    assert "Cochez au moins une proposition." in page_text(
        client.get(post_form(client, url, {"decision": "approve", "back": back}).headers["Location"])
    )


def test_choosing_an_alternative_asks_for_confirmation_first(client, big_run, db_session):
    staff, run = big_run
    login(client, staff)
    back = f"/mise-en-relation/runs/{run.id}?page=1"
    page = client.get(back).get_data(as_text=True)
    proposal = next(db_session.get(Proposal, i) for i in _cards(page) if db_session.get(Proposal, i).alternatives)
    alternative = proposal.alternatives[0]["offer_id"]
    # The link of the run page leads to the confirmation page; a post without confirmation too.
    assert f"/mise-en-relation/propositions/{proposal.id}/remplacer/{alternative}" in page
    r = post_form(
        client,
        f"/mise-en-relation/propositions/{proposal.id}",
        {"decision": "replace", "offer_id": str(alternative), "back": back},
    )
    assert r.status_code == 302 and f"/propositions/{proposal.id}/remplacer/{alternative}" in r.headers["Location"]
    db_session.refresh(proposal)
    assert proposal.status == P.PROPOSED  # nothing sent yet
    location = urlsplit(r.headers["Location"])
    assert parse_qs(location.query)["back"] == [back]
    confirm = page_text(client.get(r.headers["Location"]))
    assert "Confirmer : remplacer et envoyer" in confirm and "reçoit un e-mail" in confirm
    r = post_form(
        client,
        f"/mise-en-relation/propositions/{proposal.id}",
        {"decision": "replace", "offer_id": str(alternative), "back": back, "confirm": "1"},
    )
    replacement = db_session.scalars(select(Proposal).where(Proposal.replaces_id == proposal.id)).one()
    assert r.headers["Location"] == f"{back}#proposition-{replacement.id}"
    assert replacement.status == P.APPROVED and replacement.offer_id == alternative
    assert client.get(f"/mise-en-relation/propositions/{proposal.id}/remplacer/999999").status_code == 404


def test_the_run_summary_shows_numbers_in_the_readers_format(client, big_run, db_session):
    staff, run = big_run
    run.objective, run.solve_seconds = 0.8125, 1.5
    db_session.commit()
    login(client, staff)
    text = page_text_of(client.get(f"/mise-en-relation/runs/{run.id}").get_data(as_text=True))
    assert "0,8125" in text and "résolution 1,5 s" in text
    assert "0.8125" not in text
