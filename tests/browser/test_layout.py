"""Phone-first layout, in a real Chromium at 390 px and 1280 px, for every role (anonymous, organisation member,
provider, hub staff, funder, producer): the header's Menu button (and the navigation without JavaScript), the
admin header on one row, no page wider than the screen, tables read as cards (the certificate link of
"Mes licences" on screen), amounts on one line; and the accessibility gate (`audit`) on every page visited."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import PHONE, nav_link, sign_in
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

EMAILS = {
    "organisation": "layout-asso@example.org",
    "provider": "layout-expert@example.org",
    "staff": "layout-equipe@hub.example.org",
    "funder": "layout-financeur@example.org",
    "producer": "layout-producteur@example.org",
}

# Every page each role reaches from the header or its space ({…}: ids of the world below). The match run and
# proposal pages (their proposal cards) are audited by the matching journey's own tests.
PAGES = {
    "anonymous": [
        "/",
        "/offres/{offer}",
        "/prestataires",
        "/prestataires/{provider}",
        "/bibliotheque/",
        "/r/{resource}",
        "/bibliotheque/producteurs/{producer}",
        "/connexion",
        "/inscription",
        "/mot-de-passe/oublie",
        "/cheques/verifier",
        "/accessibilite",
        "/mentions-legales",
        "/pages-legales/conditions-utilisation/versions",
        "/donnees",
        "/widget?departement=13",
    ],
    "organisation": [
        "/espace",
        "/besoins/nouveau",
        "/besoins/boussole",
        "/structure/nouvelle",
        "/besoins/{need}",
        "/missions/",
        "/missions/{mission}",
        "/cheques/",
        "/cheques/{voucher}",
        "/bibliotheque/mes-licences",
    ],
    "provider": [
        "/espace",
        "/missions/propositions",
        "/missions/",
        "/prestataire/{provider}/releve",
        "/prestataire/{provider}/modifier",
        "/prestataire/{provider}/offres/nouvelle",
        "/offres/{offer}/modifier",
    ],
    "staff": [
        "/espace",
        "/moderation/",
        "/moderation/besoins",
        "/moderation/structures",
        "/moderation/courriels",
        "/moderation/recherche/synonymes",
        "/mise-en-relation/",
        "/moderation/financeurs",
        "/moderation/cheques/demandes",
        "/moderation/paiements",
        "/moderation/versements",
        "/bibliotheque/moderation",
        "/financeur/",
        "/donnees/imports",
        "/pages-legales/mentions-legales/modifier",
    ],
    "funder": [
        "/espace",
        "/financeur/",
        "/financeur/programmes/{programme}",
        "/financeur/programmes/nouveau",
        "/donnees/widget?departement=13",
    ],
    "producer": [
        "/espace",
        "/bibliotheque/producteurs/{producer}/espace",
        "/r/{paid}/licences",
        "/bibliotheque/ressources/nouvelle",
        "/r/{resource}/modifier",
        "/bibliotheque/producteurs/{producer}/modifier",
        "/bibliotheque/producteurs/{producer}/import",
    ],
}

# An amount of money as the pages write it, whatever the spaces: "10 000 €", "19,90 €".
_AMOUNTS_JS = r"""() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const amount = /\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:,\d{2})?[ \u00a0\u202f]€/g;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || !node.parentElement.getClientRects().length) continue;
    for (const m of node.data.matchAll(amount)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      found.push({text: m[0], lines: tops.size, breakable: /[ ]/.test(m[0])});
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def world(live_app):
    """One user per role and what their pages show: an organisation with a need, a mission, a voucher and a
    licence; a provider with a paid offer (10 000 €); a funded programme of 10 000 €; a producer selling a licence."""
    # deferred: app modules are imported once the live app exists (as in the other browser tests)
    from app.core.jobs import commit
    from app.extensions import db
    from app.vouchers import services as vouchers
    from tests.library.library_helpers import grant_licence, paid_offer, producer, resource, upload
    from tests.vouchers.vouchers_helpers import fund, make_programme

    with live_app.app_context():
        factory = Factory(db.session)
        staff = factory.user(EMAILS["staff"], staff=True, name="Lucie Équipe")
        factory._moderator_user = staff
        org_user = factory.user(EMAILS["organisation"], name="Camille Association")
        org = factory.organisation(org_user, name="Association des Jardins partagés de la Treille", siret=None)
        provider_user = factory.user(EMAILS["provider"], name="Karim Expert", intent="provider")
        provider = factory.provider(provider_user, name="Numérique Solidaire du Pays d'Aix")
        offer = factory.offer(
            provider,
            title="Refonte complète du site web et de la messagerie de votre association",
            skills=["securite.cybersecurite"],
            price_mode="paid",
            price_cents=1_000_000,
        )
        factory.offer(provider)  # a volunteer offer for the need below
        need = factory.need(org, org_user, title="Refaire notre site web et nos adresses e-mail")
        run, proposal, mission = factory.mission(need, provider_user, staff)
        funder_user = factory.user(EMAILS["funder"], name="Agent Financeur")
        funder = vouchers.create_funder(
            staff, {"name": "Métropole Aix-Marseille-Provence", "kind": "commune", "dep_code": "13"}
        )
        vouchers.add_funder_member(staff, funder, EMAILS["funder"])
        programme = make_programme(
            funder,
            funder_user,
            name="Chèques numériques 2027",
            face_value_cents=100_000,
            voucher_count=10,
            require_siret=False,
        )
        fund(programme, funder_user)
        voucher = vouchers.request_voucher(org_user, programme, org)
        producer_user = factory.user(EMAILS["producer"], name="Sophie Productrice")
        prod = producer(producer_user)
        free = resource(producer_user, prod)
        upload(producer_user, free)
        paid = resource(
            producer_user,
            prod,
            title="Programme de formation des aidants numériques de l'association",
            licence="LicenseRef-licence-usage",
        )
        licence = paid_offer(producer_user, paid, price_cents=1_990)
        grant_licence(licence, org_user, holder_name="Association des Jardins partagés de la Treille")
        commit()
        ids = {
            "offer": offer.id,
            "provider": provider.id,
            "need": need.id,
            "mission": mission.id,
            "run": run.id,
            "proposal": proposal.id,
            "programme": programme.id,
            "voucher": voucher.id,
            "producer": prod.id,
            "resource": free.identifier,
            "paid": paid.identifier,
        }
    return live_app.config["LIVE_URL"], ids


def _fits(page) -> None:
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url}: the page is {scroll} px wide on a {width} px screen"


# A required field's asterisk sits on the line of its label's last word.
_ASTERISKS_JS = r"""() => {
  const out = [];
  document.querySelectorAll('.req').forEach((star) => {
    const holder = star.closest('label, legend') || star.parentElement;
    const range = document.createRange();
    range.selectNodeContents(holder);
    range.setEndBefore(star);
    const text = [...range.getClientRects()].filter((r) => r.width > 0);
    const mark = star.getBoundingClientRect();
    if (!text.length || Math.abs(text[text.length - 1].bottom - mark.bottom) > 4) out.push(holder.innerText.trim());
  });
  return out;
}"""


def _amounts_on_one_line(page) -> list[str]:
    amounts = page.evaluate(_AMOUNTS_JS)
    for amount in amounts:
        assert amount["lines"] == 1, f"{page.url}: the amount {amount['text']!r} wraps"
        assert not amount["breakable"], f"{page.url}: the amount {amount['text']!r} may break at a space"
    return [a["text"] for a in amounts]


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_fits_the_screen_and_passes_the_gate(world, any_page, role):
    base, ids = world
    page = any_page
    if role != "anonymous":
        sign_in(page, base, EMAILS[role], PASSWORD)
    for path in PAGES[role]:
        response = page.goto(base + path.format(**ids))
        assert response is not None and response.status == 200, path
        _fits(page)
        _amounts_on_one_line(page)
        assert page.evaluate(_ASTERISKS_JS) == [], f"{path}: an asterisk alone on its line"
        audit(page, f"layout {role} {path.format(**ids)}")


def test_the_menu_button_opens_and_closes_the_navigation_on_a_phone(world, page):
    base, _ids = world
    page.goto(base + "/")
    toggle = page.get_by_role("button", name="Menu")
    catalogue = page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Ressources")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "menu-principal"
    assert not catalogue.is_visible()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 80  # the first result is no longer pushed down
    audit(page, "layout menu closed")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and catalogue.is_visible()
    audit(page, "layout menu open")
    catalogue.focus()
    page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    assert toggle.get_attribute("aria-expanded") == "false" and not catalogue.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    page.keyboard.press("Enter")  # the keyboard opens it again
    assert catalogue.is_visible()
    catalogue.click()
    page.get_by_role("heading", level=1, name="Ressources de la médiation numérique").wait_for()
    audit(page, "layout menu followed")


def test_staff_reach_their_pages_through_the_menu_on_a_phone(world, page):
    base, _ids = world
    sign_in(page, base, EMAILS["staff"], PASSWORD)
    nav_link(page, "Mise en relation").click()
    page.get_by_role("heading", level=1, name="Mise en relation").wait_for()
    audit(page, "layout staff menu")


def test_without_javascript_the_navigation_stays_open(world, browser):
    base, _ids = world
    context = browser.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base + "/")
        nav = page.get_by_role("navigation", name="Navigation principale")
        assert nav.get_by_role("link", name="Ressources").is_visible()
        assert not page.locator(".menu-toggle").is_visible()
    finally:
        context.close()


def test_the_admin_header_is_one_row_at_1280_px(world, browser):
    base, _ids = world
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, EMAILS["staff"], PASSWORD)
        tops = page.evaluate(
            "() => [...document.querySelectorAll('.site-header .brand, .site-header .nav > li')]"
            ".map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))"
        )
        assert len(tops) > 5 and max(tops) - min(tops) <= 4, f"the header wraps: {tops}"
        management = page.get_by_text("Gestion", exact=True)
        management.focus()
        page.keyboard.press("Enter")  # a disclosure, opened with the keyboard
        link = page.get_by_role("link", name="Demandes de chèques")
        assert link.is_visible()
        audit(page, "layout staff header 1280")
        page.keyboard.press("Escape")
        assert not link.is_visible()
        nav_link(page, "Paiements").click()
        page.wait_for_url(re.compile(r"/moderation/paiements$"))
        audit(page, "layout staff payments 1280")
    finally:
        context.close()


def test_my_licences_are_cards_with_the_certificate_on_screen(world, any_page):
    base, _ids = world
    page = any_page
    sign_in(page, base, EMAILS["organisation"], PASSWORD)
    page.goto(base + "/bibliotheque/mes-licences")
    link = page.get_by_role("link", name=re.compile("PDF"))
    box = link.bounding_box()
    width = page.evaluate("window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, f"certificate link at {box}"
    assert link.get_attribute("href", timeout=1000).endswith("/certificat.pdf")
    _fits(page)
    audit(page, "layout my licences")


def test_amounts_stay_on_one_line(world, any_page):
    base, ids = world
    page = any_page
    page.goto(f"{base}/offres/{ids['offer']}")
    assert "10\u00a0000\u00a0€" in _amounts_on_one_line(page)  # the offer's price
    audit(page, "layout offer price")
    sign_in(page, base, EMAILS["funder"], PASSWORD)
    page.goto(f"{base}/financeur/")
    assert "10\u00a0000\u00a0€" in _amounts_on_one_line(page)  # the programme's budget, in a card on a phone
    _fits(page)
    audit(page, "layout funder dashboard")


def test_required_asterisks_stay_beside_their_label(world, any_page):
    base, _ids = world
    page = any_page
    sign_in(page, base, EMAILS["organisation"], PASSWORD)
    page.goto(base + "/besoins/nouveau")
    assert page.locator(".req").count() >= 3
    assert page.evaluate(_ASTERISKS_JS) == []
    title = page.get_by_label("Titre du besoin")  # the asterisk is not part of the field's name
    assert title.get_attribute("required") is not None
    audit(page, "layout need form")
