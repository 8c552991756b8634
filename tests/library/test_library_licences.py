"""Paid usage licences: offers, grants (from a payment or given by the producer), the rule that
paid files download only with a valid grant, revocation, certificates, buyers' and producers' pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from library_helpers import ODT, paid_offer, resource, upload
from sqlalchemy import select

from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.mail import OutboxEmail
from app.core.models import utcnow
from app.library.models import GrantStatus
from app.library.models import ResourceStatus as RS
from app.library.services.licences import (
    LICENCE_PAYMENT_PURPOSE,
    grant_from_payment,
    grant_licence,
    licence_payment_metadata,
    revoke_licence,
    revoke_licence_for_payment,
    set_offer_active,
)
from app.library.services.resources import move_resource, update_resource
from app.library.services.rights import can_download, grant_is_valid, valid_grant
from tests.conftest import login, page_text, post_form

USAGE = "LicenseRef-licence-usage"


@pytest.fixture
def paid(producer_user, prod):
    r = resource(producer_user, prod, title="Programme « Aidants connect »", licence=USAGE)
    upload(producer_user, r, "programme.odt", ODT)
    return r


def test_offers_only_on_paid_resources_and_validated(producer_user, prod, paid, factory):
    free = resource(producer_user, prod)
    with pytest.raises(Conflict):
        paid_offer(producer_user, free)
    for price in (0, 50, -100, 10_000_001):
        with pytest.raises(ServiceError) as error:
            paid_offer(producer_user, paid, price_cents=price)
        assert error.value.field == "price"
    with pytest.raises(ServiceError):
        paid_offer(producer_user, paid, duration_months=0)
    with pytest.raises(Forbidden):
        paid_offer(factory.user(), paid)
    offer = paid_offer(producer_user, paid, price_cents=12000, duration_months=12, kind="structure")
    assert offer.label == "Usage par une structure" and offer.producer_id == prod.id and offer.active
    assert paid.events[0].action == "offer_added"


def test_paid_files_download_only_with_a_valid_grant(client, db_session, factory, producer_user, paid):
    offer = paid_offer(producer_user, paid, duration_months=12)
    file = paid.current_files[0]
    url = f"/r/{paid.identifier}/fichiers/{file.id}"
    buyer = factory.user(name="Médiathèque de Digne")
    anon = client.get(url)
    assert anon.status_code == 302 and "/connexion" in anon.headers["Location"]
    login(client, buyer)
    refused = client.get(url)
    assert refused.status_code == 403 and "Licence requise" in page_text(refused)
    assert "Ces fichiers sont sous licence d'usage" in page_text(client.get(f"/r/{paid.identifier}"))
    grant = grant_licence(offer, buyer, holder_name="Médiathèque de Digne-les-Bains", payment_ref="pi_test_123")
    assert grant.status == GrantStatus.ACTIVE and grant.amount_cents == offer.price_cents
    assert grant.ends_at is not None and grant.ends_at > grant.starts_at + timedelta(days=364)
    allowed = client.get(url)
    assert allowed.status_code == 200 and allowed.data == ODT
    assert allowed.headers["Cache-Control"] == "private, no-store"
    assert "Vous détenez la licence" in page_text(client.get(f"/r/{paid.identifier}"))
    revoke_licence_for_payment("pi_test_123", "Remboursement")
    assert grant.status == GrantStatus.REVOKED and grant.revoked_at is not None
    assert client.get(url).status_code == 403
    # The producers always download their own files.
    login(client, producer_user)
    assert client.get(url).status_code == 200


def test_an_expired_grant_no_longer_opens_the_files(factory, producer_user, paid):
    offer = paid_offer(producer_user, paid, duration_months=1)
    buyer = factory.user()
    long_ago = utcnow() - timedelta(days=70)
    grant = grant_licence(offer, buyer, now=long_ago, notify=False)
    assert not grant_is_valid(grant)
    assert not can_download(buyer, paid)
    fresh = grant_licence(offer, buyer, notify=False)
    assert can_download(buyer, paid) and valid_grant(buyer, paid).id == fresh.id


def test_grant_is_idempotent_on_the_payment_and_checks_the_amount(db_session, factory, producer_user, paid):
    offer = paid_offer(producer_user, paid, price_cents=4900)
    buyer = factory.user()
    first = grant_licence(offer, buyer, payment_ref="pi_same")
    again = grant_licence(offer, buyer, payment_ref="pi_same")
    assert first.id == again.id
    with pytest.raises(Conflict):
        grant_licence(offer, factory.user(), payment_ref="pi_same")
    with pytest.raises(Conflict):
        grant_licence(offer, buyer, payment_ref="pi_other", amount_cents=100)
    # A revoked grant stays revoked when the refund arrives twice.
    revoke_licence_for_payment("pi_same")
    assert revoke_licence_for_payment("pi_same").status == GrantStatus.REVOKED
    assert revoke_licence_for_payment("pi_unknown") is None


def test_grant_from_payment_metadata(factory, producer_user, paid):
    offer = paid_offer(producer_user, paid, price_cents=2500)
    buyer = factory.user()
    metadata = licence_payment_metadata(offer, buyer, "Centre social des Aygalades")
    assert all(isinstance(v, str) for v in metadata.values())
    assert metadata["purpose"] == LICENCE_PAYMENT_PURPOSE and metadata["resource"] == paid.identifier
    grant = grant_from_payment(metadata, "pi_meta", 2500, "eur")
    assert grant.holder_id == buyer.id and grant.holder_name == "Centre social des Aygalades"
    assert grant.currency == "EUR" and grant.payment_ref == "pi_meta"
    with pytest.raises(ServiceError):
        grant_from_payment({"purpose": "voucher"}, "pi_x", 2500, "eur")
    with pytest.raises(ServiceError):
        grant_from_payment({"purpose": LICENCE_PAYMENT_PURPOSE}, "pi_y", 2500, "eur")
    with pytest.raises(NotFound):
        grant_from_payment(metadata | {"licence_offer_id": "999999"}, "pi_z", 2500, "eur")


def test_withdrawn_offers_and_deleted_resources(factory, producer_user, paid):
    offer = paid_offer(producer_user, paid)
    set_offer_active(producer_user, offer, False)
    with pytest.raises(Conflict):
        grant_licence(offer, factory.user())  # given by hand: not for a withdrawn offer
    # A payment that succeeded meanwhile is honoured.
    assert grant_licence(offer, factory.user(), payment_ref="pi_late").status == GrantStatus.ACTIVE
    with pytest.raises(Conflict):
        move_resource(producer_user, paid, RS.DELETED)  # holders would lose their files
    # Going free withdraws the offers.
    set_offer_active(producer_user, offer, True)
    update_resource(producer_user, paid, {"licence": "CC-BY-4.0"})
    assert not offer.active


def test_certificate_pdf(client, factory, producer_user, paid):
    offer = paid_offer(producer_user, paid, duration_months=12)
    buyer = factory.user(name="Jeanne Martin")
    grant = grant_licence(offer, buyer, holder_name="Jeanne Martin", payment_ref="pi_cert")
    url = f"/bibliotheque/licences/{grant.id}/certificat.pdf"
    assert client.get(url).status_code == 302
    login(client, factory.user())
    assert client.get(url).status_code == 404  # not the holder, not the seller
    login(client, buyer)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    for text in (
        paid.identifier.encode(),
        grant.code.encode(),
        b"Jeanne Martin",
        b"pi_cert",
        b"Usage par une structure",
    ):
        assert text in pdf, text
    assert b"Certificat de licence" in pdf
    login(client, producer_user)
    assert client.get(url).status_code == 200
    revoke_licence(grant, actor=producer_user, reason="Usage hors contrat")
    assert b"LICENCE R" in client.get(url).data  # "LICENCE RÉVOQUÉE"


def test_revoke_rules(factory, producer_user, paid):
    offer = paid_offer(producer_user, paid)
    grant = grant_licence(offer, factory.user())
    with pytest.raises(Forbidden):
        revoke_licence(grant, actor=factory.user(), reason="x")
    with pytest.raises(ServiceError):
        revoke_licence(grant, actor=producer_user, reason=" ")
    revoke_licence(grant, actor=producer_user, reason="Erreur d'attribution")
    assert grant.revoked_by_id == producer_user.id


def test_licence_pages(client, db_session, factory, producer_user, prod, paid):
    login(client, producer_user)
    page = client.get(f"/r/{paid.identifier}/licences")
    assert page.status_code == 200 and "Proposer une licence" in page_text(page)
    bad = post_form(
        client, f"/r/{paid.identifier}/licences", {"kind": "individuel", "price": "0", "producer": str(prod.id)}
    )
    assert bad.status_code == 422
    ok = post_form(
        client,
        f"/r/{paid.identifier}/licences",
        {"kind": "individuel", "price": "19,90", "producer": str(prod.id), "label": "Usage individuel"},
    )
    assert ok.status_code == 302  # a price written the French way
    db_session.expire_all()
    [offer] = paid.licence_offers
    assert offer.price_cents == 1990
    public = page_text(client.get(f"/r/{paid.identifier}"))
    assert "Usage individuel" in public and "19,90 €" in public
    buyer = factory.user(name="Paul Aidant")
    unknown = post_form(
        client,
        f"/r/{paid.identifier}/licences/attribuer",
        {"give-offer": str(offer.id), "give-email": "personne@exemple.fr"},
    )
    assert unknown.status_code == 422 and "Aucun compte" in page_text(unknown)
    given = post_form(
        client,
        f"/r/{paid.identifier}/licences/attribuer",
        {"give-offer": str(offer.id), "give-email": buyer.email, "give-holder_name": "Paul Aidant"},
    )
    assert given.status_code == 302
    db_session.expire_all()
    [grant] = offer.grants
    assert grant.holder_id == buyer.id and grant.amount_cents == 0
    space = page_text(client.get(f"/bibliotheque/producteurs/{prod.id}/espace"))
    assert "Paul Aidant" in space and paid.identifier in space
    assert post_form(client, f"/bibliotheque/licences/{grant.id}/revoquer", {"reason": ""}).status_code == 302
    db_session.expire_all()
    assert grant.status == GrantStatus.ACTIVE  # a reason is required
    login(client, buyer)
    mine = page_text(client.get("/bibliotheque/mes-licences"))
    assert paid.identifier in mine and "Valide" in mine
    assert client.get(f"/r/{paid.identifier}/licences").status_code == 404
    login(client, producer_user)
    assert (
        post_form(client, f"/bibliotheque/licences/{grant.id}/revoquer", {"reason": "Fin du partenariat"}).status_code
        == 302
    )
    db_session.expire_all()
    assert grant.status == GrantStatus.REVOKED
    assert "Révoquée" in page_text(client.get(f"/r/{paid.identifier}/licences"))


def test_grant_sends_the_holder_a_mail(db_session, factory, producer_user, paid):
    buyer = factory.user()
    grant = grant_licence(paid_offer(producer_user, paid), buyer)
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == buyer.email)).all()[-1]
    assert paid.identifier in mail.subject and f"/bibliotheque/licences/{grant.id}/certificat.pdf" in mail.body
