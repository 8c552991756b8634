"""In a real headless Chromium, with the Content-Security-Policy on: the main pages (home, the catalogue with
a facet, login, a need form, a voucher programme's payment page, a licence purchase paid by card through
localstripe's fake Stripe.js) raise no CSP violation and no "Refused to …" console error; a canary inline
script proves that the listener hears violations and that the browser enforces the policy."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import confirmed_user, fill_card, sign_in
from tests.vouchers.vouchers_helpers import (
    API_KEY,
    CARD_OK,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    start_localstripe,
    stop_localstripe,
)

pytestmark = pytest.mark.browser
LISTEN = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " on " + e.documentURI);
});"""


@pytest.fixture(scope="module")
def csp_world(live_app, tmp_path_factory):
    """Users, a published offer, a programme to pay and a paid resource, on the live app with its localstripe."""
    from app.billing.gateway import build_gateway, set_gateway
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.vouchers import services as vouchers
    from tests.library.library_helpers import paid_offer, producer, resource

    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe-csp") / "localstripe.log")
    keys = (
        "STRIPE_API_BASE",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_ENVIRONMENT",
        "STRIPE_REGISTER_WEBHOOK",
    )
    saved = {k: live_app.config.get(k) for k in keys}
    live_app.config.update(
        zip(keys, (base, API_KEY, WEBHOOK_SECRET, PUBLISHABLE_KEY, "browser-csp", True), strict=True)
    )
    set_gateway(live_app, build_gateway(live_app.config))
    with live_app.app_context():
        user = confirmed_user

        staff, org_user, provider_user = (
            user("csp-equipe@hub.example.org", staff=True),
            user("csp-asso@example.org"),
            user("csp-expert@example.org"),
        )
        create_organisation(
            org_user,
            {"name": "Association des Calanques", "kind": "association", "size": "2_9", "commune_insee": "13055"},
        )
        provider = create_provider(
            provider_user,
            {
                "name": "Numérique Solidaire",
                "kind": "expert_benevole",
                "commune_insee": "13001",
                "radius_km": 40,
                "remote_capable": True,
                "languages": ["fr"],
                "presentation": "Ateliers.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            provider_user,
            provider,
            {
                "title": "Atelier messagerie sécurisée",
                "description": "Deux heures en groupe.",
                "category": "atelier",
                "skills": ["securite.cybersecurite"],
                "modality": "remote",
                "duration_hours": 2,
                "capacity_per_month": 4,
                "price_mode": "volunteer",
                "price_cents": None,
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        funder = vouchers.create_funder(staff, {"name": "Département du Var", "kind": "departement", "dep_code": "83"})
        vouchers.add_funder_member(staff, funder, "csp-equipe@hub.example.org")
        programme = vouchers.create_programme(
            staff,
            funder,
            {
                "name": "Pass Var",
                "face_value_cents": 2_000,
                "voucher_count": 5,
                "validity_days": 365,
                "require_siret": False,
            },
        )
        paid = resource(
            provider_user, producer(provider_user), title="Kit d'atelier payant", licence="LicenseRef-licence-usage"
        )
        licence = paid_offer(provider_user, paid)
        commit()
        ids = {"programme": programme.id, "resource": paid.identifier, "licence": licence.id}
    yield live_app, ids
    set_gateway(live_app, None)
    live_app.config.update(saved)
    stop_localstripe(process, log)


@pytest.fixture
def watched(page):
    """The page, with every CSP violation and "Refused to" console message recorded."""
    refused = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Refused to" in m.text or "Content Security Policy" in m.text else None,
    )

    def check(where):
        found = refused + page.evaluate("window.__cspViolations || []")
        assert not found, f"{where}: {found}"

    return page, check


def test_the_listener_hears_a_violation(live_app, watched):
    page, check = watched
    page.goto(live_app.config["LIVE_URL"] + "/")
    page.evaluate(
        "var s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.appendChild(s)"
    )
    page.evaluate(
        "() => new Promise(done => { (function wait() { window.__cspViolations.length ? done() : setTimeout(wait, 20); })(); })"
    )
    assert page.evaluate("window.ran") is None  # the inline script was refused
    with pytest.raises(AssertionError, match="script-src"):
        check("canary")


def test_public_pages_and_forms_raise_no_violation(csp_world, watched):
    app, _ids = csp_world
    base = app.config["LIVE_URL"]
    page, check = watched
    page.goto(base + "/")
    check("home")
    page.goto(base + "/recherche?q=atelier")
    page.get_by_role("link", name=re.compile("Atelier messagerie sécurisée")).first.wait_for()
    if not page.locator("details.facets").evaluate("d => d.open"):
        page.get_by_text("Affiner", exact=True).click()  # on a phone the panel starts closed
    page.locator(".facets a").first.click()  # a facet
    page.wait_for_load_state()
    page.get_by_label("Près de").fill("Mars")  # the commune autocomplete (hub.js) fetches
    page.wait_for_timeout(400)
    check("catalogue with a facet")
    page.goto(base + "/connexion")
    check("login")
    sign_in(page, base, "csp-asso@example.org")
    page.goto(base + "/besoins/nouveau")
    page.get_by_role("button").last.wait_for()
    check("need form")


def test_the_payment_pages_raise_no_violation_and_a_licence_is_bought_by_card(csp_world, watched):
    app, ids = csp_world
    base = app.config["LIVE_URL"]
    page, check = watched
    sign_in(page, base, "csp-equipe@hub.example.org")
    page.goto(f"{base}/financeur/programmes/{ids['programme']}/paiement")
    page.locator("#card-element input[placeholder=number]").wait_for()  # the fake Stripe.js ran
    check("programme payment page")
    page.goto(f"{base}/r/{ids['resource']}/licences/{ids['licence']}/acheter")
    fill_card(page, CARD_OK)
    page.get_by_label("Nom du titulaire sur le certificat").fill("Camille Politique")
    check("licence purchase page")
    page.get_by_role("button", name=re.compile("Payer")).click()
    page.wait_for_url(re.compile(r"/bibliotheque/mes-licences$"), timeout=20_000)
    page.get_by_text("Kit d'atelier payant").first.wait_for()
    check("after the licence purchase")
