"""In a real headless Chromium: a partner's page, served from another origin (another port), embeds the
widget, which renders in its iframe; the same page framing any other page of the hub is refused."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser
TITLE = "Atelier France Connect pour les seniors"


@pytest.fixture(scope="module")
def widget_offer(live_app):
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import create_offer, create_provider, move_offer, move_provider
    from app.extensions import db

    with live_app.app_context():
        staff = User(
            email="widget-equipe@hub.example.org",
            password_hash=hash_password(PASSWORD),
            full_name="Équipe",
            email_confirmed_at=utcnow(),
            is_staff=True,
        )
        owner = User(
            email="widget-lieu@example.org",
            password_hash=hash_password(PASSWORD),
            full_name="Lieu",
            email_confirmed_at=utcnow(),
        )
        db.session.add_all([staff, owner])
        db.session.flush()
        provider = create_provider(
            owner,
            {
                "name": "Espace numérique du Panier",
                "kind": "tiers_lieu",
                "commune_insee": "13055",
                "radius_km": 10,
                "languages": ["fr"],
                "presentation": "Un lieu.",
                "public_address": "3 place de Lenche",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            owner,
            provider,
            {
                "title": TITLE,
                "description": "Deux heures.",
                "category": "atelier",
                "skills": ["mediation.demarches"],
                "modality": "on_site",
                "duration_hours": 2.0,
                "capacity_per_month": 4,
                "price_mode": "volunteer",
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        commit()
    return TITLE


@pytest.fixture
def partner_site(live_app):
    """A partner's page on another origin: the widget, and (as an attacker would) the hub's home page."""
    base = live_app.config["LIVE_URL"]
    html = (
        "<!doctype html><html><body><h1>Mairie de Marseille</h1>"
        f'<iframe id="widget" src="{base}/widget?departement=13&categorie=atelier" width="600" height="400"></iframe>'
        f'<iframe id="home" src="{base}/" width="600" height="400"></iframe>'
        "</body></html>"
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_the_widget_renders_in_a_partners_iframe_and_other_pages_refuse(page, widget_offer, partner_site, live_app):
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if "frame-ancestors" in msg.text else None)
    page.goto(partner_site)
    widget = page.frame_locator("#widget")
    widget.get_by_role("link", name=widget_offer).wait_for()
    assert widget.get_by_role("heading", name="Accompagnement numérique près de chez vous").is_visible()
    page.wait_for_timeout(500)
    home = page.locator("#home").element_handle().content_frame()
    assert home.locator(".site-header").count() == 0, "the hub's home page must not render in a frame"
    assert any("frame-ancestors" in text for text in refused), refused


def test_the_snippet_page_updates_the_code_and_the_live_preview(page, widget_offer, live_app):
    from tests.browser.conftest import sign_in

    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, live_app.config["LIVE_URL"], "widget-equipe@hub.example.org")
    page.goto(live_app.config["LIVE_URL"] + "/donnees/widget")
    page.get_by_label("Département").select_option("13")
    page.get_by_label("Catégorie").select_option("atelier")
    code = page.locator("#widget-code")
    page.wait_for_function("document.getElementById('widget-code').value.includes('categorie=atelier')")
    assert "/widget?departement=13&categorie=atelier" in code.input_value()
    preview = page.frame_locator("#widget-preview")
    preview.get_by_role("link", name=widget_offer).wait_for()
    assert page.locator("#widget-preview").get_attribute("src").endswith("/widget?departement=13&categorie=atelier")
    assert not violations, violations
