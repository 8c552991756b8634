"""Offers you can ask for: a direct request from an offer's page (a new need prefilled from the
offer, or an open need linked to it) goes straight to the provider, who accepts (a mission) or
declines; contacts are shared with both sides once the mission is accepted, and only then."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from app.accounts.services import add_membership, create_api_token
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.mail import OutboxEmail
from app.matches import requests as match_requests
from app.matches import services
from app.matches.missions import proposals_for_provider
from app.matches.models import Mission, Proposal, ProposalOrigin
from app.matches.models import ProposalStatus as P
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from tests.conftest import PASSWORD, login, page_text, post_form

PROVIDER_PHONE = "04 91 00 11 22"
ORG_PHONE = "06 12 34 56 78"


@pytest.fixture
def world(factory):
    """A published offer of a provider (with a contact e-mail and phone), an organisation member."""
    provider = factory.provider(
        name="Cyber Var", commune="83137", contact_email="bonjour@cybervar.example.org", contact_phone=PROVIDER_PHONE
    )
    offer = factory.offer(
        provider=provider, title="Audit de sécurité", skills=["securite.cybersecurite"], category="audit"
    )
    provider_user = provider.memberships[0].user
    member = factory.user(name="Camille Martin")
    org = factory.organisation(
        owner=member, name="Cabinet infirmier", commune="83137", contact_email="cabinet@exemple.fr"
    )
    org.contact_phone = ORG_PHONE
    return {"offer": offer, "provider": provider, "provider_user": provider_user, "member": member, "org": org}


def _values(world, **extra) -> dict:
    values = match_requests.prefill(world["offer"], world["org"], world["member"])
    values["description"] += "Nos trois ordinateurs ne sont jamais mis à jour."
    return values | extra


def _count(db_session, model, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------- the service


def test_prefill_comes_from_the_offer_and_the_organisation(world):
    values = match_requests.prefill(world["offer"], world["org"], world["member"])
    assert values["title"] == "Audit de sécurité"
    assert values["skills"] == ["securite.cybersecurite"] and values["categories"] == ["audit"]
    assert values["commune_insee"] == "83137" and values["modality"] == "both"
    assert values["funding_mode"] == "volunteer"
    assert values["contact_name"] == "Camille Martin" and values["contact_email"] == "cabinet@exemple.fr"
    assert values["contact_phone"] == ORG_PHONE
    assert "Cyber Var" in values["description"]


def test_request_with_a_new_need_reaches_the_provider(world, db_session):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="k" * 20
    )
    db_session.flush()
    assert proposal.origin == ProposalOrigin.REQUEST and proposal.status == P.APPROVED
    assert proposal.run_id is None and proposal.requested_by_id == world["member"].id
    assert proposal.deadline_at is not None and proposal.provider_id == world["provider"].id
    need = proposal.need
    assert need.organisation_id == world["org"].id and need.status == NS.PROPOSED
    assert need.title == "Audit de sécurité" and "jamais mis à jour" in need.description
    assert [e.action for e in proposal.events] == ["requested"]
    # The provider is told: by e-mail (through the outbox) and on its proposals page.
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == world["provider_user"].email)).all()
    assert any("demande votre accompagnement" in m.subject for m in mail)
    body = next(m.body for m in mail if "demande votre accompagnement" in m.subject)
    assert "Cabinet infirmier" in body and "Audit de sécurité" in body
    assert "cabinet@exemple.fr" not in body and ORG_PHONE not in body  # no contact before acceptance
    assert proposal in proposals_for_provider(world["provider_user"])


def test_request_links_an_open_need(world, factory, db_session):
    need = factory.need(organisation=world["org"], title="Sécuriser nos postes", skills=["securite.cybersecurite"])
    assert need in match_requests.linkable_needs(world["member"], world["offer"])
    proposal = match_requests.request_with_need(world["member"], world["offer"], need, key="l" * 20)
    assert proposal.need_id == need.id and need.status == NS.PROPOSED
    assert _count(db_session, Need, Need.organisation_id == world["org"].id) == 1  # no new need
    assert need not in match_requests.linkable_needs(world["member"], world["offer"])


def test_same_key_twice_is_one_request(world, db_session):
    first = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="d" * 20
    )
    again = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="d" * 20
    )
    assert again.id == first.id
    assert _count(db_session, Proposal, Proposal.origin == ProposalOrigin.REQUEST) == 1
    assert _count(db_session, Need, Need.organisation_id == world["org"].id) == 1
    # Another form (another key) while the first waits: refused, not a second request.
    with pytest.raises(Conflict):
        match_requests.request_with_new_need(
            world["member"], world["offer"], world["org"], _values(world), key="e" * 20
        )


def test_refusals(world, factory, db_session):
    offer, member = world["offer"], world["member"]
    with pytest.raises(Forbidden, match="propre offre"):  # the provider's own offer
        match_requests.request_with_new_need(world["provider_user"], offer, world["org"], _values(world))
    lonely = factory.user()
    with pytest.raises(Forbidden, match="votre structure"):  # no organisation
        match_requests.request_with_new_need(lonely, offer, world["org"], _values(world))
    draft = factory.offer(provider=world["provider"], draft=True, title="Brouillon")
    with pytest.raises(NotFound):  # not published
        match_requests.request_with_new_need(member, draft, world["org"], _values(world))
    with pytest.raises(Forbidden, match="Connectez-vous"):  # not signed in
        match_requests.check_can_request(AnonymousUserMixin(), offer)
    other_org = factory.organisation(name="Autre structure")
    with pytest.raises(Forbidden):  # someone else's organisation
        match_requests.request_with_new_need(member, offer, other_org, _values(world))
    foreign_need = factory.need(organisation=other_org)
    with pytest.raises(Forbidden):  # someone else's need
        match_requests.request_with_need(member, offer, foreign_need)
    with pytest.raises(ServiceError):  # the reviewed need must keep a skill
        match_requests.request_with_new_need(member, offer, world["org"], _values(world, skills=[], categories=[]))
    assert _count(db_session, Proposal, Proposal.origin == ProposalOrigin.REQUEST) == 0


def test_a_provider_member_of_the_organisation_cannot_ask_its_own_provider(world, factory):
    colleague = factory.user()
    add_membership(colleague, organisation=world["org"])
    add_membership(colleague, provider=world["provider"])
    with pytest.raises(Forbidden):
        match_requests.request_with_new_need(world["member"], world["offer"], world["org"], _values(world))


def test_declined_request_goes_back_to_matching_and_tells_the_organisation(world, db_session):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="r" * 20
    )
    services.respond(world["provider_user"], proposal, accept=False, reason="Complet ce mois-ci")
    assert proposal.status == P.DECLINED and proposal.need.status == NS.OPEN
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "cabinet@exemple.fr")).all()
    assert any("Complet ce mois-ci" in m.body for m in mail)
    # That pair is answered: the need cannot be asked of this offer again.
    assert proposal.need not in match_requests.linkable_needs(world["member"], world["offer"])


# ---------------------------------------------------------------- contacts: after acceptance only


def _accepted(world):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="a" * 20
    )
    mission = services.respond(world["provider_user"], proposal, accept=True)
    return proposal, mission


def test_acceptance_mails_give_each_side_the_other_contact(world, db_session):
    _proposal, mission = _accepted(world)
    assert mission.accepted_by_id == world["provider_user"].id
    to_org = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == "cabinet@exemple.fr", OutboxEmail.subject.like("%accepté%"))
    ).one()
    assert "bonjour@cybervar.example.org" in to_org.body and PROVIDER_PHONE in to_org.body
    assert world["provider_user"].full_name in to_org.body
    to_provider = db_session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.recipient == world["provider_user"].email, OutboxEmail.subject.like("Mission acceptée%")
        )
    ).one()
    assert "cabinet@exemple.fr" in to_provider.body and ORG_PHONE in to_provider.body
    assert "Camille Martin" in to_provider.body


def _contacts_of(text: str) -> set[str]:
    found = set()
    for secret in ("cabinet@exemple.fr", ORG_PHONE, "bonjour@cybervar.example.org", PROVIDER_PHONE):
        if secret in text:
            found.add(secret)
    return found


def test_nobody_sees_the_other_contact_before_acceptance(world, client, db_session):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="b" * 20
    )
    db_session.flush()
    provider_secrets = {"bonjour@cybervar.example.org", PROVIDER_PHONE}
    org_secrets = {"cabinet@exemple.fr", ORG_PHONE}
    # The organisation's pages: the offer, the provider, its request, its need.
    login(client, world["member"])
    for url in (
        f"/offres/{world['offer'].id}",
        f"/prestataires/{world['provider'].id}",
        f"/demandes/{proposal.id}",
        f"/besoins/{proposal.need_id}",
        "/espace",
        "/missions/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _contacts_of(page_text(response)) & provider_secrets, url
    # The provider's pages: its proposals, the request.
    login(client, world["provider_user"])
    for url in ("/missions/propositions", f"/demandes/{proposal.id}", "/espace", "/missions/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = page_text(response)
        assert not _contacts_of(text) & org_secrets, url
    assert "Cabinet infirmier" in page_text(client.get("/missions/propositions"))
    assert client.get(f"/besoins/{proposal.need_id}").status_code in (403, 404)  # the need page is the org's
    # The JSON API: the public offer and provider carry no contact; the need is the organisation's only.
    for url in (f"/api/v1/offers/{world['offer'].id}", f"/api/v1/providers/{world['provider'].id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _contacts_of(response.get_data(as_text=True)), url
    token = create_api_token(world["provider_user"])
    db_session.flush()
    response = client.get(f"/api/v1/needs/{proposal.need_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and not _contacts_of(response.get_data(as_text=True))
    # No mission yet: nothing to open.
    assert _count(db_session, Mission) == 0


def test_mission_page_shows_both_contacts_once_accepted(world, client, db_session):
    _proposal, mission = _accepted(world)
    db_session.flush()
    login(client, world["member"])
    text = page_text(client.get(f"/missions/{mission.id}"))
    assert "Contact du prestataire" in text
    assert "bonjour@cybervar.example.org" in text and PROVIDER_PHONE in text
    assert world["provider_user"].full_name in text
    login(client, world["provider_user"])
    text = page_text(client.get(f"/missions/{mission.id}"))
    assert "Contact de la structure" in text and "cabinet@exemple.fr" in text and ORG_PHONE in text
    assert "Camille Martin" in text


# ---------------------------------------------------------------- the pages


def _key(text: str, form_action: str) -> str:
    form = text[text.index(f'action="{form_action}"') :]
    return re.search(r'name="request_key"[^>]*value="([^"]+)"', form).group(1)


def test_offer_page_has_the_button_except_for_its_provider(world, client, factory, db_session):
    url = f"/offres/{world['offer'].id}"
    assert "Demander cet accompagnement" in page_text(client.get(url))  # a visitor
    login(client, world["member"])
    assert "Demander cet accompagnement" in page_text(client.get(url))
    login(client, world["provider_user"])
    assert "Demander cet accompagnement" not in page_text(client.get(url))


def test_visitor_is_sent_to_log_in_and_comes_back(world, client, db_session):
    url = f"/offres/{world['offer'].id}/demander"
    response = client.get(url)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    login_page = response.headers["Location"]
    assert "next=" in login_page
    # The sign-up link of the login page keeps the way back.
    assert "/inscription?next=" in client.get(login_page).get_data(as_text=True)
    response = post_form(client, login_page, {"email": world["member"].email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    # An outside `next` is never followed.
    client.post("/deconnexion", data={"csrf_token": ""})
    with client.session_transaction() as session:
        session.clear()
    response = post_form(
        client, "/connexion?next=https://evil.example/", {"email": world["member"].email, "password": PASSWORD}
    )
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_signup_keeps_the_way_back_until_the_first_login(world, client, factory, db_session):
    url = f"/offres/{world['offer'].id}/demander"
    client.get(f"/inscription?next={url}")
    newcomer = factory.user(email="nouvelle@exemple.fr")
    db_session.flush()
    response = post_form(client, "/connexion", {"email": newcomer.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)


def test_member_without_organisation_is_guided_to_create_one_first(world, client, factory, db_session):
    lonely = factory.user()
    login(client, lonely)
    url = f"/offres/{world['offer'].id}/demander"
    response = client.get(url)
    assert response.status_code == 302 and "/structure/nouvelle" in response.headers["Location"]
    page = page_text(client.get(response.headers["Location"]))
    assert "déclarez d'abord votre structure" in page
    response = post_form(
        client,
        response.headers["Location"],
        {"name": "Nouvelle asso", "kind": "association", "size": "benevoles", "commune": "Toulon (83)"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url), response.headers.get("Location")


def test_provider_is_refused_its_own_offer_and_unpublished_offers_are_404(world, client, factory, db_session):
    login(client, world["provider_user"])
    response = client.get(f"/offres/{world['offer'].id}/demander")
    assert response.status_code == 403 and "propre offre" in page_text(response)
    assert post_form(client, f"/offres/{world['offer'].id}/demander", {}).status_code == 403
    draft = factory.offer(provider=world["provider"], draft=True, title="Brouillon")
    login(client, world["member"])
    assert client.get(f"/offres/{draft.id}/demander").status_code == 404
    assert client.get("/offres/999999/demander").status_code == 404


def test_request_page_review_submit_and_double_click(world, client, db_session):
    login(client, world["member"])
    url = f"/offres/{world['offer'].id}/demander"
    page = client.get(url).get_data(as_text=True)
    text = page_text(client.get(url))
    assert 'value="Audit de sécurité"' in text and "Cabinet infirmier" in text
    key = _key(page, url)
    data = {
        "request_key": key,
        "organisation_id": str(world["org"].id),
        "title": "Audit de sécurité du cabinet",
        "description": "Nos trois ordinateurs ne sont jamais mis à jour.",
        "skills": "securite.cybersecurite",
        "commune": "Toulon (83)",
        "modality": "both",
        "funding_mode": "volunteer",
        "contact_name": "Camille Martin",
        "contact_email": "cabinet@exemple.fr",
    }
    first = post_form(client, url, data)
    assert first.status_code == 302 and "/demandes/" in first.headers["Location"]
    second = post_form(client, url, data)  # the double click
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert _count(db_session, Proposal, Proposal.origin == ProposalOrigin.REQUEST) == 1
    confirmation = page_text(client.get(first.headers["Location"]))
    assert "Votre demande est envoyée à Cyber Var" in confirmation
    # Back on the request page, and on the offer's page: the pending request is pointed at, with its link.
    assert "Cabinet infirmier a déjà demandé cette offre" in page_text(client.get(url))
    offer_page = page_text(client.get(f"/offres/{world['offer'].id}"))
    assert "Cabinet infirmier a déjà demandé cette offre" in offer_page
    assert (
        f'href="{first.headers["Location"]}"' in offer_page
        or first.headers["Location"].split("localhost")[-1] in offer_page
    )
    # Bad input: a French message, never a 500.
    bad = post_form(client, url, {"request_key": "x" * 20, "title": ""})
    assert bad.status_code == 422 and "Ce champ est obligatoire." in page_text(bad)
    assert post_form(client, url, {**data, "organisation_id": "abc"}).status_code == 422
    # The provider sees it on its proposals page, as a direct request.
    login(client, world["provider_user"])
    proposals = page_text(client.get("/missions/propositions"))
    assert "Audit de sécurité du cabinet" in proposals and "Demande directe" in proposals


def test_link_an_existing_need_from_the_page(world, client, factory, db_session):
    need = factory.need(organisation=world["org"], title="Sécuriser nos postes", skills=["securite.cybersecurite"])
    login(client, world["member"])
    url = f"/offres/{world['offer'].id}/demander"
    page = client.get(url).get_data(as_text=True)
    assert "Sécuriser nos postes" in page and "Avec un besoin déjà publié" in page_text(client.get(url))
    link_url = f"/offres/{world['offer'].id}/demander/besoin"
    key = _key(page, link_url)
    response = post_form(client, link_url, {"need_id": str(need.id), "request_key": key})
    assert response.status_code == 302 and "/demandes/" in response.headers["Location"]
    proposal = db_session.scalars(select(Proposal).where(Proposal.origin == ProposalOrigin.REQUEST)).one()
    assert proposal.need_id == need.id
    assert (
        post_form(client, link_url, {"need_id": str(need.id), "request_key": key}).headers["Location"]
        == (response.headers["Location"])
    )
    # A need id that is not one of the choices: refused with a message.
    response = post_form(client, link_url, {"need_id": "999999", "request_key": "z" * 20}, follow_redirects=True)
    assert response.status_code in (200, 422)


def test_request_page_is_only_for_its_two_sides_and_staff(world, client, factory, db_session):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="v" * 20
    )
    db_session.flush()
    url = f"/demandes/{proposal.id}"
    assert client.get(url).status_code == 302  # a visitor: to the login page
    login(client, factory.user())
    assert client.get(url).status_code == 404
    login(client, factory.staff())
    assert client.get(url).status_code == 200
    login(client, world["provider_user"])
    assert client.get(url).status_code == 200


def test_request_pages_in_english(world, client, db_session):
    login(client, world["member"])
    with client.session_transaction() as session:
        session["lang"] = "en"
    text = page_text(client.get(f"/offres/{world['offer'].id}"))
    assert "Ask for this support" in text
    text = page_text(client.get(f"/offres/{world['offer'].id}/demander"))
    assert "Ask for “Audit de sécurité”" in text and "Send my request" in text
    assert "Demander" not in text.replace("/demander", "")


def test_unanswered_request_expires_and_the_organisation_is_told(world, db_session):
    proposal = match_requests.request_with_new_need(
        world["member"], world["offer"], world["org"], _values(world), key="x" * 20
    )
    assert services.sweep(now=proposal.deadline_at + timedelta(minutes=1))["expired"] == 1
    assert proposal.status == P.EXPIRED and proposal.need.status == NS.OPEN
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "cabinet@exemple.fr")).all()
    assert any("n'a pas répondu à temps" in m.body for m in mail)
