"""The matching pages as people use them: staff start a run and decide, the
provider answers, both sides confirm the mission."""

from __future__ import annotations

from sqlalchemy import select

from app.matches.models import MatchRun, Mission, MissionStatus, Proposal
from app.matches.models import ProposalStatus as P
from app.needs.models import NeedStatus as NS
from tests.conftest import login, page_text, post_form


def _setup(factory):
    staff = factory.staff()
    need = factory.need(
        title="Sécuriser nos ordinateurs",
        skills=["securite.cybersecurite"],
        organisation=factory.organisation(name="Cabinet infirmier", kind="profession_liberale", commune="83137"),
    )
    offer = factory.offer(
        provider=factory.provider(name="Cyber Var", commune="83137", radius_km=30),
        title="Audit de sécurité",
        skills=["securite.cybersecurite"],
        category="audit",
    )
    return staff, need, offer


def test_staff_run_page_then_provider_and_organisation(client, factory, db_session):
    staff, need, offer = _setup(factory)
    login(client, staff)
    form = page_text(client.get("/mise-en-relation/"))
    assert "Proximité" in form and "Lancer la mise en relation" in form
    r = post_form(
        client,
        "/mise-en-relation/",
        {
            "w_skills": "0.5",
            "w_distance": "0.3",
            "w_semantic": "0",
            "w_waiting": "0.1",
            "w_load": "0.1",
            "w_feedback": "0",
            "w_charter": "0",
            "solver": "flow",
            "departements": ["83"],
            "k_alternatives": "3",
            "time_limit": "5",
        },
    )
    assert r.status_code == 302
    run_url = r.headers["Location"]
    page = page_text(client.get(run_url))
    assert "Sécuriser nos ordinateurs" in page and "Audit de sécurité" in page
    assert "même commune" in page and "couvre : cybersécurité" in page
    run = db_session.scalars(select(MatchRun)).one()
    assert run.params["dep_codes"] == ["83"] and run.weights["skills"] == 0.5
    assert client.get(f"/mise-en-relation/runs/{run.id}/progression").get_json()["status"] == "done"

    proposal = run.proposals[0]
    r = post_form(
        client,
        f"/mise-en-relation/propositions/{proposal.id}",
        {"decision": "reject", "reason": ""},
        follow_redirects=True,
    )
    assert "Indiquez la raison du refus" in page_text(r)
    r = post_form(client, f"/mise-en-relation/propositions/{proposal.id}", {"decision": "approve"})
    assert r.status_code == 302
    history = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert "approuvée et envoyée" in history and "proposée par le moteur" in history and staff.full_name in history

    provider_user = offer.provider.memberships[0].user
    login(client, provider_user)
    page = page_text(client.get("/missions/propositions"))
    assert "Sécuriser nos ordinateurs" in page and "Répondez avant le" in page
    r = post_form(client, f"/missions/propositions/{proposal.id}", {"response": "accept"})
    assert r.status_code == 302 and "/missions/" in r.headers["Location"]
    mission = db_session.scalars(select(Mission)).one()
    r = post_form(client, f"/missions/{mission.id}/action", {"action": "confirm"})
    assert r.status_code == 302

    org_user = need.organisation.memberships[0].user
    login(client, org_user)
    assert "Cyber Var" in page_text(client.get("/missions/"))
    post_form(client, f"/missions/{mission.id}/action", {"action": "confirm"})
    db_session.refresh(mission)
    assert mission.status == MissionStatus.DONE
    r = post_form(
        client, f"/missions/{mission.id}/avis", {"rating": "4", "comment": "Efficace."}, follow_redirects=True
    )
    assert "Merci pour votre avis" in page_text(r)
    assert "4/5 — Efficace." in page_text(client.get(f"/missions/{mission.id}"))
    db_session.refresh(need)
    assert need.status == NS.DONE


def test_bulk_approve_and_replace_from_the_run_page(client, factory, db_session):
    staff, _need, _offer = _setup(factory)
    factory.offer(
        provider=factory.provider(name="Sécu Toulon", commune="83137"),
        title="Atelier cybersécurité",
        skills=["securite.cybersecurite"],
    )
    factory.need(
        title="Protéger la caisse",
        skills=["securite.cybersecurite"],
        organisation=factory.organisation(name="Épicerie", kind="commerce", commune="83137"),
    )
    login(client, staff)
    from app.core.jobs import commit
    from app.matches import runs as match_runs

    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    first, second = sorted(run.proposals, key=lambda p: p.id)
    r = post_form(client, f"/mise-en-relation/runs/{run.id}/approuver", {"proposal_id": [str(first.id)]})
    assert r.status_code == 302
    db_session.refresh(first)
    db_session.refresh(second)
    assert first.status == P.APPROVED and second.status == P.PROPOSED
    alternative = second.alternatives[0]["offer_id"]
    r = post_form(
        client,
        f"/mise-en-relation/propositions/{second.id}",
        {"decision": "replace", "offer_id": str(alternative), "back": "run", "confirm": "1"},
    )
    assert r.status_code == 302 and f"/runs/{run.id}" in r.headers["Location"]
    db_session.refresh(second)
    assert second.status == P.REPLACED
    replacement = db_session.scalars(select(Proposal).where(Proposal.replaces_id == second.id)).one()
    assert replacement.status == P.APPROVED and replacement.offer_id == alternative


def test_run_form_errors(client, factory):
    login(client, factory.staff())
    r = post_form(
        client,
        "/mise-en-relation/",
        {"w_skills": "2", "w_distance": "-1", "solver": "magie", "k_alternatives": "50", "time_limit": "0"},
    )
    assert r.status_code == 422
    text = page_text(r)
    assert "Entre 0 et 1." in text and "Entre 0 et 10." in text
    r = post_form(
        client,
        "/mise-en-relation/",
        {
            **{f"w_{n}": "0" for n in ("skills", "distance", "semantic", "waiting", "load", "feedback", "charter")},
            "solver": "flow",
            "k_alternatives": "3",
            "time_limit": "5",
        },
    )
    assert r.status_code == 422 and "Au moins un poids doit être positif" in page_text(r)


def test_provider_cannot_answer_for_another_provider(client, factory, db_session):
    staff, _need, _offer = _setup(factory)
    from app.core.jobs import commit
    from app.matches import runs as match_runs
    from app.matches import services

    run = match_runs.start_run(staff, {"skills": 1})
    commit()
    services.approve(staff, run.proposals[0])
    commit()
    intruder = factory.provider(name="Intrus").memberships[0].user
    login(client, intruder)
    r = post_form(client, f"/missions/propositions/{run.proposals[0].id}", {"response": "accept"})
    assert r.status_code == 404
    assert db_session.scalars(select(Mission)).first() is None
