"""Clearing: a provider's monthly statement, the SEPA payout batch (pain.001) confirmed once by
the treasurer, and the staff refund of a card payment that reverses its ledger effect."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import sepaxml
import xmlschema
from sqlalchemy import func, select

from app.models import LedgerTransaction, Payment, PaymentRefund
from app.vouchers import clearing, missions, services
from app.vouchers.models import PayoutBatch
from payments import ledger, rules
from payments import vouchers as pv
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import CARD_OK, confirm_card_setup, funded_programme

IBAN_A = "FR1420041010050500013M02606"
IBAN_C = "FR7630006000011234567890189"
PAIN_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


def _last_month_noon():
    month = clearing.previous_month()
    return month, datetime.combine(datetime(int(month[:4]), int(month[5:]), 15).date(), time(12), tzinfo=clearing.PARIS)


def _redeemed_for(factory, db_session, org, org_user, programme, provider, when=None):
    """A voucher of ``org`` reserved by a mission of ``provider`` and redeemed (at ``when``)."""
    voucher = services.request_voucher(org_user, programme, org)
    need = factory.need(organisation=org, user=org_user, funding_mode="voucher")
    _run, _proposal, mission = factory.mission(need, provider.memberships[0].user)
    db_session.refresh(voucher)
    assert voucher.status == "reserved"
    pv.redeem(db_session, voucher, provider.id, missions.mission_ref(mission), now=when)
    db_session.flush()
    return voucher


def _provider(factory, **values):
    provider = factory.provider(**values)
    factory.offer(provider=provider, price_mode="voucher")
    return provider


def _payable(session, provider) -> int:
    return ledger.balance(session, rules.provider_payable(provider.id), natural=True)


def test_the_statement_lists_a_voucher_redeemed_last_month(client, db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=2, face_value_cents=4_000)
    provider = _provider(factory)
    month, when = _last_month_noon()
    voucher = _redeemed_for(factory, db_session, org, org_user, programme, provider, when)

    statement = clearing.statement(provider, month)
    assert [(line.kind, line.label, line.amount_cents) for line in statement.lines] == [
        ("voucher", f"Chèque {voucher.code}", 4_000)
    ]
    assert statement.total_cents == 4_000 and statement.payable_cents == 4_000
    assert clearing.statement(provider, clearing.previous_month(when.date())).lines == []  # the month before

    login(client, factory.staff())
    page = page_text(client.get(f"/moderation/versements/prestataires/{provider.id}?mois={month}"))
    assert voucher.code in page and provider.name in page
    assert provider.name in page_text(client.get(f"/moderation/versements?mois={month}"))

    # The provider sees its own statement; another provider does not.
    login(client, provider.memberships[0].user)
    page = page_text(client.get(f"/prestataire/{provider.id}/releve?mois={month}"))
    assert voucher.code in page and "40 €" in page
    login(client, factory.provider(name="Autre prestataire").memberships[0].user)
    assert client.get(f"/prestataire/{provider.id}/releve?mois={month}").status_code == 404


def test_a_sepa_batch_pays_providers_with_an_iban_once_confirmed(client, db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=4, face_value_cents=4_000)
    with_iban = _provider(factory)
    with_iban.iban, with_iban.bank_holder = IBAN_A, "Atelier Numérique du Panier"
    without_iban = _provider(factory)
    zero = factory.provider()
    zero.iban = IBAN_C
    _redeemed_for(factory, db_session, org, org_user, programme, with_iban)
    _redeemed_for(factory, db_session, org, org_user, programme, without_iban)
    # a payable account that went back to zero
    tx = ledger.post(db_session, "test", rules.payout_lines(zero.id, 500), "test:zero")
    ledger.reverse(db_session, tx)
    db_session.flush()

    staff = factory.staff()
    login(client, staff)
    page = page_text(client.get("/moderation/versements"))
    assert "Sans IBAN, non payés" in page and without_iban.name in page.split("Sans IBAN, non payés")[1]
    answer = post_form(client, "/moderation/versements/lots", {"month": "2026-10"})
    assert answer.status_code == 302, page_text(answer)
    batch = db_session.scalar(select(PayoutBatch).order_by(PayoutBatch.id.desc()))
    assert [(line.provider_id, line.amount_cents) for line in batch.lines] == [(with_iban.id, 4_000)]

    xml = client.get(f"/moderation/versements/lots/{batch.id}/pain001.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    xmlschema.XMLSchema(str(PAIN_XSD)).validate(xml.data)
    facts = clearing.parse_pain001(xml.data)
    assert facts["debtor"] == "Hub du Sud" and facts["debtor_iban"] == clearing.DEFAULT_DEBTOR["IBAN"]
    assert facts["count"] == 1 and facts["control_sum"] == "40.00"
    assert [(t["iban"], t["amount"], t["name"]) for t in facts["transfers"]] == [
        (IBAN_A, "40.00", "Atelier Numerique du Panier")
    ]
    assert facts["message_id"] == batch.message_id
    # Not confirmed yet: still owed, and not put in a second batch.
    assert _payable(db_session, with_iban) == 4_000
    assert clearing.plan_batch().payable == []

    key = f"payout:batch:{batch.id}:provider:{with_iban.id}"

    def count():
        return db_session.scalar(
            select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.idempotency_key == key)
        )

    assert post_form(client, f"/moderation/versements/lots/{batch.id}/confirmer").status_code == 302
    db_session.expire_all()
    assert count() == 1 and batch.confirmed_at is not None
    assert _payable(db_session, with_iban) == 0 and _payable(db_session, without_iban) == 4_000
    assert ledger.balance(db_session, rules.BANK) == -4_000
    assert post_form(client, f"/moderation/versements/lots/{batch.id}/confirmer").status_code == 302  # again
    db_session.expire_all()
    assert count() == 1 and _payable(db_session, with_iban) == 0 and ledger.balance(db_session, rules.BANK) == -4_000
    assert ledger.trial_balance(db_session).balanced
    assert "Payé" in page_text(client.get(f"/moderation/versements/lots/{batch.id}"))


def test_an_iban_is_checked_in_the_provider_form(client, db_session, factory):
    provider = factory.provider()
    user = provider.memberships[0].user
    login(client, user)
    values = {
        "name": provider.name,
        "kind": provider.kind,
        "commune": provider.commune_insee,
        "radius_km": "30",
        "languages": ["fr"],
        "presentation": "Aide au numérique.",
    }
    answer = post_form(
        client, f"/prestataire/{provider.id}/modifier", values | {"iban": "FR76 3000 6000 0112 3456 7890 188"}
    )
    assert answer.status_code == 422 and "IBAN invalide" in page_text(answer)
    answer = post_form(
        client, f"/prestataire/{provider.id}/modifier", values | {"iban": "fr76 3000 6000 0112 3456 7890 189"}
    )
    assert answer.status_code == 302, page_text(answer)
    db_session.refresh(provider)
    assert provider.iban == IBAN_C


def test_non_staff_cannot_build_confirm_or_refund(client, db_session, factory, org_user):
    programme = funded_programme(factory)
    payment = db_session.scalar(select(Payment).where(Payment.reference == f"programme:{programme.id}"))
    batch = PayoutBatch(month="2026-10", method="sepa", message_id="refused", document="<Document/>")
    db_session.add(batch)
    db_session.flush()
    login(client, org_user)
    assert post_form(client, "/moderation/versements/lots", {"month": "2026-10"}).status_code == 403
    assert post_form(client, f"/moderation/versements/lots/{batch.id}/confirmer").status_code == 403
    assert post_form(client, f"/moderation/paiements/{payment.id}/rembourser", {"reason": "x"}).status_code == 403
    db_session.refresh(batch)
    db_session.refresh(payment)
    assert batch.confirmed_at is None and payment.refunded_cents == 0


def test_staff_refund_of_a_mission_card_payment_reverses_the_ledger(client, db_session, factory, stripe, org, org_user):
    programme = funded_programme(factory, face_value_cents=3_000)
    services.request_voucher(org_user, programme, org)
    provider = factory.provider()
    factory.offer(provider=provider, price_mode="voucher", price_cents=8_000)
    need = factory.need(organisation=org, user=org_user, funding_mode="voucher")
    _run, _proposal, mission = factory.mission(need, provider.memberships[0].user)
    login(client, org_user)
    page = client.get(f"/cheques/missions/{mission.id}/paiement").get_data(as_text=True)
    secret = page.split('data-client-secret="')[1].split('"')[0]
    payment_method = confirm_card_setup(stripe.base, secret, CARD_OK)
    answer = post_form(client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": payment_method})
    assert answer.get_json()["status"] == "succeeded", answer.get_data(as_text=True)
    db_session.expire_all()
    payment = db_session.scalar(select(Payment).where(Payment.reference == missions.mission_ref(mission)))
    assert _payable(db_session, provider) == 5_000
    assert [line.kind for line in clearing.statement(provider, clearing.month_of(payment.created_at)).lines] == ["card"]

    # the organisation is no staff: refused
    assert post_form(client, f"/moderation/paiements/{payment.id}/rembourser", {"reason": "x"}).status_code == 403
    login(client, factory.staff())
    assert "Rembourser" in page_text(client.get("/moderation/paiements"))
    refused = post_form(client, f"/moderation/paiements/{payment.id}/rembourser", {"reason": ""})
    assert refused.status_code == 422
    answer = post_form(
        client, f"/moderation/paiements/{payment.id}/rembourser", {"reason": "Mission annulée d'un commun accord"}
    )
    assert answer.status_code == 302, page_text(answer)
    db_session.expire_all()
    assert payment.refunded_cents == 5_000
    refund = db_session.scalar(select(PaymentRefund).where(PaymentRefund.payment_id == payment.id))
    assert refund.stripe_id.startswith("re_") and refund.amount_cents == 5_000
    assert _payable(db_session, provider) == 0
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.idempotency_key == f"refund:{refund.stripe_id}")
        )
        == 1
    )
    assert ledger.trial_balance(db_session).balanced
    # nothing left to refund
    again = post_form(client, f"/moderation/paiements/{payment.id}/rembourser", {"reason": "encore"})
    assert again.status_code == 422 and "déjà été remboursé" in page_text(again)
