"""Organisations, providers and offers: creation, SIRET, moderation, public catalogue."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden, ServiceError
from app.core.models import PublicationStatus as PS
from app.core.states import IllegalTransition
from app.directory.models import Offer, Organisation, Provider
from app.directory.services import PUBLICATION, clean_siret, move_offer
from tests.conftest import login, page_text, post_form

VALID_SIRET = "73282932000074"  # a real, valid SIRET (Luhn)


def test_siret_is_validated_with_stdnum():
    assert clean_siret("732 829 320 00074") == VALID_SIRET
    assert clean_siret("") is None
    with pytest.raises(ServiceError) as error:
        clean_siret("73282932000075")
    assert error.value.field == "siret"


def test_organisation_sign_up_page_flow(client, factory, db_session):
    user = factory.user()
    login(client, user)
    r = post_form(
        client,
        "/structure/nouvelle",
        {
            "name": "Boulangerie Au Pain d'Antan",
            "kind": "commerce",
            "siret": "73282932000075",
            "size": "2_9",
            "commune": "Apt (84400)",
        },
    )
    assert r.status_code == 422
    assert "SIRET n'est pas valide" in page_text(r)
    assert db_session.scalar(select(func.count()).select_from(Organisation)) == 0

    r = post_form(
        client,
        "/structure/nouvelle",
        {
            "name": "Boulangerie Au Pain d'Antan",
            "kind": "commerce",
            "siret": VALID_SIRET,
            "size": "2_9",
            "commune": "Apt (84400)",
        },
    )
    assert r.status_code == 302
    org = db_session.scalar(select(Organisation))
    assert org.commune.name == "Apt" and org.status == PS.SUBMITTED and org.siret == VALID_SIRET
    assert org.id in user.organisation_ids


def test_same_siret_twice_is_refused(client, factory):
    factory.organisation(siret=VALID_SIRET)
    login(client, factory.user())
    r = post_form(
        client,
        "/structure/nouvelle",
        {"name": "Copie", "kind": "tpe", "siret": VALID_SIRET, "size": "solo", "commune": "Marseille"},
    )
    assert r.status_code == 422
    assert "déjà inscrite avec ce SIRET" in page_text(r)


def test_unknown_commune_is_a_field_error(client, factory):
    login(client, factory.user())
    r = post_form(client, "/structure/nouvelle", {"name": "X", "kind": "tpe", "size": "solo", "commune": "Atlantide"})
    assert r.status_code == 422
    assert "Commune introuvable" in page_text(r)


def test_provider_publishes_an_offer_and_staff_moderate(client, factory, db_session):
    provider_user = factory.user(intent="provider")
    login(client, provider_user)
    r = post_form(
        client,
        "/prestataire/nouveau",
        {
            "name": "Libre en Luberon",
            "kind": "expert_libre",
            "commune": "Forcalquier (04300)",
            "radius_km": "50",
            "remote_capable": "y",
            "languages": ["fr", "oc"],
            "presentation": "Expert des logiciels libres.",
        },
    )
    assert r.status_code == 302, page_text(r)
    provider = db_session.scalar(select(Provider).where(Provider.name == "Libre en Luberon"))
    assert provider.status == PS.SUBMITTED and provider.languages == ["fr", "oc"]

    r = post_form(
        client,
        f"/prestataire/{provider.id}/offres/nouvelle",
        {
            "title": "Passer à LibreOffice et Nextcloud",
            "description": "Audit puis migration accompagnée.",
            "category": "installation",
            "skills": ["libre.migration", "gestion.collaboratif"],
            "modality": "both",
            "duration_hours": "6",
            "capacity_per_month": "3",
            "price_mode": "paid",
            "price": "450",
            "submit": "1",
        },
    )
    assert r.status_code == 302, page_text(r)
    offer = db_session.scalar(select(Offer).where(Offer.provider_id == provider.id))
    assert offer.status == PS.SUBMITTED and offer.price_cents == 45000

    # Not public until staff publish both the provider and the offer.
    client_anon = client.application.test_client()
    assert client_anon.get(f"/offres/{offer.id}").status_code == 404
    assert "LibreOffice" not in page_text(client_anon.get("/catalogue", follow_redirects=True))

    staff = factory.staff()
    login(client, staff)
    queue = page_text(client.get("/moderation/"))
    assert "Libre en Luberon" in queue and "Passer à LibreOffice" in queue
    r = post_form(client, f"/moderation/offre/{offer.id}", {"decision": "reject", "reason": ""})
    assert r.status_code == 302
    db_session.refresh(offer)
    assert offer.status == PS.SUBMITTED  # a refusal without a reason is not recorded
    assert post_form(client, f"/moderation/prestataire/{provider.id}", {"decision": "publish"}).status_code == 302
    assert post_form(client, f"/moderation/offre/{offer.id}", {"decision": "publish"}).status_code == 302
    db_session.refresh(offer)
    assert offer.status == PS.PUBLISHED and offer.published_at is not None

    page = re.sub(r"<[^>]+>", "", page_text(client_anon.get("/catalogue?q=libreoffice", follow_redirects=True)))
    assert "Passer à LibreOffice et Nextcloud" in page
    assert "450 €" in page_text(client_anon.get(f"/offres/{offer.id}"))


def test_rejection_keeps_the_reason_and_the_owner_can_resubmit(factory, db_session):
    offer = factory.offer(publish=False)  # submitted
    staff = factory.staff()
    move_offer(staff, offer, PS.REJECTED, reason="Précisez la durée.")
    assert offer.status == PS.REJECTED and offer.rejection_reason == "Précisez la durée."
    owner = offer.provider.memberships[0].user
    move_offer(owner, offer, PS.SUBMITTED)
    assert offer.status == PS.SUBMITTED and offer.rejection_reason is None


def test_owners_cannot_publish_their_own_offer(factory):
    offer = factory.offer(publish=False)
    owner = offer.provider.memberships[0].user
    with pytest.raises(Forbidden):
        move_offer(owner, offer, PS.PUBLISHED)


@pytest.mark.parametrize(
    "current,target",
    [(PS.DRAFT, PS.PUBLISHED), (PS.ARCHIVED, PS.PUBLISHED), (PS.PUBLISHED, PS.REJECTED), (PS.REJECTED, PS.PUBLISHED)],
)
def test_illegal_moves_are_refused(factory, current, target):
    offer = factory.offer(publish=False)
    offer.status = current  # set up the starting state directly, only for this test
    with pytest.raises(IllegalTransition):
        move_offer(factory.staff(), offer, target)
    assert not PUBLICATION.can(current, target)


def test_paid_offer_needs_a_price(client, factory):
    provider = factory.provider()
    login(client, provider.memberships[0].user)
    r = post_form(
        client,
        f"/prestataire/{provider.id}/offres/nouvelle",
        {
            "title": "Audit RGPD",
            "description": "Un audit.",
            "category": "audit",
            "skills": ["securite.rgpd"],
            "modality": "remote",
            "duration_hours": "2",
            "capacity_per_month": "2",
            "price_mode": "paid",
        },
    )
    assert r.status_code == 422
    assert "Indiquez le prix" in page_text(r)


def test_catalogue_filters(client, factory):
    from app.core.jobs import commit

    provider = factory.provider(commune="06088", name="Nice Numérique")
    factory.offer(
        provider=provider,
        title="Atelier réseaux sociaux",
        category="atelier",
        skills=["presence.reseaux_sociaux"],
        price_mode="volunteer",
    )
    factory.offer(
        provider=provider,
        title="Audit cybersécurité",
        category="audit",
        skills=["securite.cybersecurite"],
        price_mode="paid",
        price_cents=30000,
    )
    commit()  # the search index follows commits
    page = page_text(client.get("/catalogue?category=audit", follow_redirects=True))
    assert "Audit cybersécurité" in page and "Atelier réseaux sociaux" not in page
    page = page_text(client.get("/catalogue?departement=06&price_mode=volunteer", follow_redirects=True))
    assert "Atelier réseaux sociaux" in page and "Audit cybersécurité" not in page
    page = page_text(client.get("/catalogue?departement=13", follow_redirects=True))
    assert "Nice Numérique" not in page


def test_commune_autocomplete_without_accents_and_by_postal_code(client):
    names = [c["name"] for c in client.get("/communes?q=evry").get_json()]
    assert "Évry-Courcouronnes" in names
    labels = [c["label"] for c in client.get("/communes?q=84400").get_json()]
    assert "Apt (84400)" in labels
    first = client.get("/communes?q=marseil").get_json()[0]
    assert first["insee"] == "13055"


def test_catalogue_queries_do_not_grow_with_the_number_of_offers(client, factory, count_queries):
    from app.core.jobs import commit

    def catalogue_queries():
        # The first view after a change also brings the process's search index up to date
        # (a bounded number of queries, see search/README.md); count a second, steady view.
        client.get("/recherche?q=site")
        with count_queries() as counter:
            page = page_text(client.get("/recherche?q=site"))
        return counter["n"], page.count('class="card hit"')

    for i in range(2):
        factory.offer(provider=factory.provider(name=f"Prestataire {i}", commune="83137"))
    commit()
    few, shown = catalogue_queries()
    assert shown == 2
    for i in range(2, 12):
        factory.offer(provider=factory.provider(name=f"Prestataire {i}", commune="84007"))
    commit()
    many, shown = catalogue_queries()
    assert shown == 12 and many == few
