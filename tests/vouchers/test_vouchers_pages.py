"""The voucher page, its printable PDF with a QR code, the code check, the funder dashboard and
its chart, the expiry job and its e-mails, the webhook route's refusals without Stripe."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta

from sqlalchemy import func, select

from app.core.mail import OutboxEmail
from app.models import StripeEvent
from app.vouchers import funders, services
from app.vouchers.jobs import run_expiry
from payments import ledger
from payments.rules import utc
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import funded_programme, make_funder, make_programme, next_siret


def _pdf_text(data: bytes) -> str:
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            raw = base64.a85decode(stream.strip(), adobe=True) if stream.strip().endswith(b"~>") else stream
            text.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            text.append(stream.decode("latin-1"))
    return "\n".join(text)


def test_voucher_page_and_printable_pdf_with_qr_code(client, db_session, factory, org, org_user):
    programme = funded_programme(factory, name="Pass numérique Marseille")
    voucher = services.request_voucher(org_user, programme, org)
    login(client, org_user)
    page = page_text(client.get(f"/cheques/{voucher.id}"))
    assert voucher.code in page and "50 €" in page and "Pass numérique Marseille" in page
    assert "Émis, disponible" in page and f"/cheques/{voucher.id}/cheque.pdf" in page
    pdf = client.get(f"/cheques/{voucher.id}/cheque.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and voucher.code in pdf.headers["Content-Disposition"]
    text = _pdf_text(pdf.data)
    assert f"({voucher.code}) Tj" in text
    assert "/cheques/verifier?code=" + voucher.code in text  # the address the QR code holds, printed under it
    assert text.count(" re") > 200  # the QR code's modules, drawn as squares
    # A holder's mail announced the voucher, with its code.
    mail = db_session.scalar(
        select(OutboxEmail).where(OutboxEmail.recipient == org_user.email, OutboxEmail.subject.like("Votre chèque%"))
    )
    assert voucher.code in mail.body


def test_a_provider_checks_a_code_and_typos_are_caught(client, db_session, factory, org, org_user):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    login(client, factory.provider().memberships[0].user)
    sloppy = voucher.code.lower().replace("-", " ")
    page = page_text(client.get("/cheques/verifier", query_string={"code": sloppy}))
    assert voucher.code in page and org.name in page and "Émis, disponible" in page
    typo = voucher.code[:-2] + ("A" if voucher.code[-2] != "A" else "B") + voucher.code[-1]
    page = page_text(client.get("/cheques/verifier", query_string={"code": typo}))
    assert "Ce code de chèque est invalide" in page and org.name not in page
    assert client.get("/cheques/verifier").status_code == 200
    assert client.get("/cheques/verifier", query_string={"code": "x" * 500}).status_code == 200


def test_funder_dashboard_figures_by_territory_with_a_chart(client, db_session, factory):
    funder, member = make_funder(factory)
    programme = funded_programme(factory, funder, member, voucher_count=10, face_value_cents=2_000)
    make_programme(funder, member, name="Programme à payer")
    marseille = factory.organisation(siret=next_siret())
    toulon = factory.organisation(commune="83137", name="Association toulonnaise", siret=next_siret())
    for org, count in ((marseille, 2), (toulon, 1)):
        for _ in range(count):
            services.request_voucher(org.memberships[0].user, programme, org)
    figures = funders.dashboard([programme])
    assert figures["totals"]["funded_cents"] == 20_000 and figures["totals"]["available_cents"] == 14_000
    assert figures["totals"]["issued"] == {"count": 3, "cents": 6_000}
    assert [(t["code"], t["issued"]["count"]) for t in figures["territories"]] == [("13", 2), ("83", 1)]
    login(client, member)
    page = client.get("/financeur/")
    html, text = page.get_data(as_text=True), page_text(page)
    assert page.status_code == 200
    assert "Programme à payer" in text and "Pass numérique Marseille" in text
    assert (
        '<table class="table bars">' in html and 'class="bar bar-issued" width="30.0"' in html and " style=" not in html
    )
    assert "13 — Bouches-du-Rhône" in text and "83 — Var" in text
    assert "<script" not in html.split("<main")[1]  # a chart without any script
    detail = page_text(client.get(f"/financeur/programmes/{programme.id}"))
    assert "Où en est l'argent de ce programme" in detail and "200 €" in detail


def test_expiry_warns_blocks_then_expires_back_to_the_funder(app, db_session, factory, org, org_user):
    funder, member = make_funder(factory)
    programme = funded_programme(factory, funder, member, validity_days=60)
    voucher = services.request_voucher(org_user, programme, org)
    expires = utc(voucher.expires_at)
    result = run_expiry(now=expires - timedelta(days=29))
    assert (result["warned"], result["blocked"], result["expired"]) == (1, 0, 0)
    assert result["emails"] == 4  # the organisation's member and contact, the funder's member and contact
    subjects = set(
        db_session.scalars(select(OutboxEmail.subject).where(OutboxEmail.recipient.in_([member.email, org_user.email])))
    )
    assert "Vos chèques d'accompagnement numérique expirent bientôt — Hub du Sud" in subjects
    assert f"Des chèques de « {programme.name} » expirent dans 30 jours" in subjects
    assert run_expiry(now=expires - timedelta(days=29))["warned"] == 0  # warned once
    assert run_expiry(now=expires - timedelta(days=10))["blocked"] == 1
    db_session.refresh(voucher)
    assert voucher.status == "blocked"
    assert run_expiry(now=expires + timedelta(hours=1))["expired"] == 1
    db_session.refresh(voucher)
    assert voucher.status == "expired"
    assert ledger.balance(db_session, f"funder:{funder.id}:credit", natural=True) == voucher.face_value_cents
    assert ledger.trial_balance(db_session).balanced
    result = app.test_cli_runner().invoke(args=["hub", "vouchers-expiry"])
    assert result.exit_code == 0 and "0 averti(s), 0 bloqué(s), 0 expiré(s)" in result.output


def test_webhook_route_refuses_unsigned_and_ignores_other_environments(client, db_session, fake_gateway):
    assert client.post("/stripe/webhook", data=b"{}").status_code == 400
    assert (
        client.post("/stripe/webhook", data=b"\xff\xfe", headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400
    )
    info = fake_gateway.create_payment_intent(1_000, metadata={"hub_env": "prod"})
    event = fake_gateway.event_for("payment_intent.succeeded", info)
    answer = client.post(
        "/stripe/webhook", data=event.payload, headers={"Stripe-Signature": fake_gateway.sign(event.payload)}
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "ignored"
    assert db_session.get(StripeEvent, event.id).status == "ignored"
    unknown = fake_gateway.event_for("customer.created", info)
    answer = client.post(
        "/stripe/webhook", data=unknown.payload, headers={"Stripe-Signature": fake_gateway.sign(unknown.payload)}
    )
    assert answer.get_json()["status"] in ("ignored", "unhandled")
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == 2


def test_payment_page_states(client, db_session, factory, fake_gateway):
    funder, member = make_funder(factory)
    programme = make_programme(funder, member)
    login(client, member)
    page = client.get(f"/financeur/programmes/{programme.id}/paiement")
    assert page.status_code == 200 and "card-pay.js" in page.get_data(as_text=True)
    bad = post_form(client, f"/financeur/programmes/{programme.id}/paiement", {"payment_method": "pas-un-moyen"})
    assert bad.status_code == 400 and bad.get_json()["status"] == "invalid"
    ok = post_form(client, f"/financeur/programmes/{programme.id}/paiement", {"payment_method": "pm_card_visa"})
    assert ok.get_json()["status"] == "succeeded"
    page = client.get(f"/financeur/programmes/{programme.id}/paiement")
    assert "Ce programme est payé" in page_text(page) and "card-pay.js" not in page.get_data(as_text=True)
    # Stripe unreachable: a French message, no crash.
    from payments.errors import GatewayUnavailable

    def down(**_kwargs):
        raise GatewayUnavailable("connection refused")

    other = make_programme(funder, member, name="Autre")
    fake_gateway.create_setup_intent = down
    page = client.get(f"/financeur/programmes/{other.id}/paiement")
    assert page.status_code == 503 and "momentanément injoignable" in page_text(page)


def test_links_in_job_emails_do_not_tear_the_jobs_session_down(app, db_session):
    """Jobs and commands build e-mail links without a request: no request context is pushed
    (its teardown would remove the session, losing the job's uncommitted work)."""
    from flask import request_tearing_down

    from app.core.urls import absolute_url

    torn = []

    def record(sender, **_kwargs):
        torn.append(sender)

    request_tearing_down.connect(record, app)
    try:
        url = absolute_url("vouchers.verify", code="HUB-0000")
    finally:
        request_tearing_down.disconnect(record, app)
    assert torn == [] and url.endswith("/cheques/verifier?code=HUB-0000") and url.startswith("http")
