"""In a real headless Chromium: a funder pays a voucher programme by card on the payment page,
with localstripe's fake Stripe.js (card first: confirmCardSetup, then the server confirms the
PaymentIntent; 3-D Secure through confirmCardPayment). localstripe (a real process) sends its
signed webhook to the live server, which settles the programme. Saves screenshots."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.browser.a11y import audit
from tests.browser.conftest import ARTIFACTS, PASSWORD, fill_card, sign_in
from tests.vouchers.vouchers_helpers import (
    API_KEY,
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    start_localstripe,
    stop_localstripe,
)

pytestmark = pytest.mark.browser
EMAIL = "tresorerie@metropole.example.fr"


@pytest.fixture(scope="module")
def paying_app(live_app, tmp_path_factory):
    """The live app talking to its own localstripe, which delivers webhooks to the live server."""
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.billing.gateway import build_gateway, set_gateway
    from app.core.jobs import commit
    from app.core.models import utcnow
    from app.extensions import db
    from app.vouchers import services

    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe-browser") / "localstripe.log")
    saved = {
        k: live_app.config.get(k)
        for k in (
            "STRIPE_API_BASE",
            "STRIPE_API_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_ENVIRONMENT",
            "STRIPE_REGISTER_WEBHOOK",
        )
    }
    live_app.config.update(
        STRIPE_API_BASE=base,
        STRIPE_API_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_ENVIRONMENT="browser",
        STRIPE_REGISTER_WEBHOOK=True,
    )  # the payment page registers the live /stripe/webhook
    set_gateway(live_app, build_gateway(live_app.config))
    with live_app.app_context():
        staff = User(
            email="financeurs@hub.example.org",
            password_hash=hash_password(PASSWORD),
            full_name="Équipe",
            email_confirmed_at=utcnow(),
            is_staff=True,
        )
        member = User(
            email=EMAIL,
            password_hash=hash_password(PASSWORD),
            full_name="Sonia Trésorière",
            email_confirmed_at=utcnow(),
        )
        db.session.add_all([staff, member])
        db.session.flush()
        funder = services.create_funder(
            staff, {"name": "Métropole Aix-Marseille-Provence", "kind": "commune", "dep_code": "13"}
        )
        services.add_funder_member(staff, funder, EMAIL)
        ids = {}
        for key, name in (
            ("ok", "Pass numérique Métropole"),
            ("3ds", "Pass Métropole 3-D Secure"),
            ("declined", "Pass Métropole carte refusée"),
        ):
            ids[key] = services.create_programme(
                member,
                funder,
                {
                    "name": name,
                    "face_value_cents": 2_000,
                    "voucher_count": 25,
                    "validity_days": 365,
                    "require_siret": True,
                },
            ).id
        commit()
    yield live_app, ids
    set_gateway(live_app, None)
    live_app.config.update(saved)
    stop_localstripe(process, log)


def _programme_status(app, programme_id):
    from app.extensions import db
    from app.models import VoucherProgramme

    with app.app_context():
        status = db.session.get(VoucherProgramme, programme_id).status
        db.session.remove()
        return status


def test_a_funder_pays_a_programme_by_card(paying_app, page):
    app, ids = paying_app
    base = app.config["LIVE_URL"]
    ARTIFACTS.mkdir(exist_ok=True)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    sign_in(page, base, EMAIL)
    page.goto(f"{base}/financeur/")
    page.get_by_role("link", name="Pass numérique Métropole").wait_for()
    page.goto(f"{base}/financeur/programmes/{ids['ok']}/paiement")
    page.get_by_role("heading", name=re.compile("Payer « Pass numérique Métropole »")).wait_for()
    fill_card(page, CARD_OK)
    page.screenshot(path=str(ARTIFACTS / "vouchers-payment-form.png"), full_page=True)
    page.get_by_role("button", name="Payer 500 €").click()
    page.wait_for_url(re.compile(rf"/financeur/programmes/{ids['ok']}$"))
    page.get_by_text("Paiement reçu : le programme est actif").wait_for()
    page.get_by_text("Financé, actif").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "vouchers-programme-funded.png"), full_page=True)
    assert _programme_status(app, ids["ok"]) == "funded"
    # The only other origin the page talked to is the payment service (localstripe here).
    stripe_base = app.config["STRIPE_API_BASE"]
    assert external and all(url.startswith(stripe_base) for url in external), external


def test_3d_secure_then_the_webhook_makes_it_usable(paying_app, page):
    app, ids = paying_app
    base = app.config["LIVE_URL"]
    sign_in(page, base, EMAIL)
    page.goto(f"{base}/financeur/programmes/{ids['3ds']}/paiement")
    fill_card(page, CARD_3DS)
    page.get_by_role("button", name="Payer 500 €").click()
    # The fake Stripe.js asks for 3-D Secure when the card is saved, then again for the payment.
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("button", name="Complete authentication").click()
    # The page waits for localstripe's signed webhook to reach the live server, then moves on.
    page.wait_for_url(re.compile(rf"/financeur/programmes/{ids['3ds']}$"), timeout=20_000)
    assert _programme_status(app, ids["3ds"]) == "funded"
    page.screenshot(path=str(ARTIFACTS / "vouchers-programme-3ds.png"), full_page=True)


def _new_programme(app, name):
    """A programme of its own for each run of a test (the phone and the desktop runs pay separately)."""
    from app.accounts.models import User
    from app.core.jobs import commit
    from app.extensions import db
    from app.vouchers import services
    from app.vouchers.models import Funder

    with app.app_context():
        member = db.session.scalars(select(User).where(User.email == EMAIL)).one()
        # the funder this module's member acts for (other browser modules share the live database)
        funder = db.session.scalars(select(Funder).where(Funder.members.any(user_id=member.id))).one()
        programme_id = services.create_programme(
            member,
            funder,
            {"name": name, "face_value_cents": 2_000, "voucher_count": 25, "validity_days": 365, "require_siret": True},
        ).id
        commit()
        db.session.remove()
        return programme_id


def _payments(app, programme_id):
    from app.extensions import db
    from app.ledger import Payment

    with app.app_context():
        rows = db.session.scalars(select(Payment).where(Payment.reference == f"programme:{programme_id}")).all()
        statuses = sorted(p.status for p in rows)
        db.session.remove()
        return statuses


def _navigations(page):
    """The documents the tab loads from now on (a reload would show here)."""
    seen = []
    page.on("framenavigated", lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


def test_a_declined_card_then_another_card_without_reloading(paying_app, any_page):
    page = any_page
    app, _ids = paying_app
    base = app.config["LIVE_URL"]
    programme_id = _new_programme(app, f"Pass refusé puis payé {page.viewport_size['width']}")
    sign_in(page, base, EMAIL)
    page.goto(f"{base}/financeur/programmes/{programme_id}/paiement")
    page.get_by_role("heading", name=re.compile("Payer « Pass refusé puis payé")).wait_for()
    fill_card(page, CARD_DECLINED)
    audit(page, "paiement carte")
    loaded = _navigations(page)
    page.get_by_role("button", name="Payer 500 €").click()
    alert = page.locator("#pay-message")
    alert.get_by_text(
        "Votre carte a été refusée par votre banque. Aucun montant n'a été débité ; essayez une autre carte."
    ).wait_for()
    assert "vérifiez le numéro" not in alert.inner_text()
    audit(page, "paiement carte refusee")
    assert _programme_status(app, programme_id) == "awaiting_payment"
    # The form is kept as it was: the card typed is still there, the button works again.
    assert page.locator("#card-element input[placeholder=number]").input_value() == CARD_DECLINED
    assert page.get_by_role("button", name="Payer 500 €").is_enabled()
    # Another card, on the same page: no reload, one payment.
    page.locator("#card-element input[placeholder=number]").fill(CARD_OK)
    page.get_by_role("button", name="Payer 500 €").click()
    page.wait_for_url(re.compile(rf"/financeur/programmes/{programme_id}$"), timeout=20_000)
    assert [url for url in loaded if "/paiement" in url] == [], loaded  # the payment page never reloaded
    page.get_by_text("Paiement reçu : le programme est actif").wait_for()
    audit(page, "programme paye apres refus")
    assert _programme_status(app, programme_id) == "funded"
    assert _payments(app, programme_id) == ["failed", "succeeded"]


def test_a_cancelled_3d_secure_says_so_and_the_next_try_pays_once(paying_app, any_page):
    page = any_page
    app, _ids = paying_app
    base = app.config["LIVE_URL"]
    programme_id = _new_programme(app, f"Pass 3-D Secure annulé {page.viewport_size['width']}")
    sign_in(page, base, EMAIL)
    page.goto(f"{base}/financeur/programmes/{programme_id}/paiement")
    fill_card(page, CARD_3DS)
    loaded = _navigations(page)
    page.get_by_role("button", name="Payer 500 €").click()
    page.get_by_role("button", name="Fail authentication").click()
    alert = page.locator("#pay-message")
    alert.get_by_text("L'authentification 3-D Secure a échoué ou a été annulée.", exact=False).wait_for()
    assert "vérifiez le numéro" not in alert.inner_text() and "refusée par votre banque" not in alert.inner_text()
    audit(page, "paiement 3ds annule")
    # Again, and this time the bank's request is approved (when the card is saved, then for the payment).
    page.get_by_role("button", name="Payer 500 €").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(re.compile(rf"/financeur/programmes/{programme_id}$"), timeout=20_000)
    assert [url for url in loaded if "/paiement" in url] == [], loaded
    assert _programme_status(app, programme_id) == "funded"
    assert _payments(app, programme_id).count("succeeded") == 1
