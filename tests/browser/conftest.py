"""A live server (a real WSGI server in a thread, on a free port, on its own
database) and a real headless Chromium driven by Playwright. Started once per
test session."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PG_BASE, TEST_DATABASE, _worker

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "mot de passe des tests"  # of the users the browser tests create
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _browser_database(tmp_path_factory) -> str:
    if TEST_DATABASE == "postgresql":
        import psycopg

        name = f"hubbrowser_{_worker()}"
        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{PG_BASE}/{name}"
    return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'hub.sqlite3'}"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.core.jobs import commit
    from app.territory.services import load_communes

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _browser_database(tmp_path_factory),
            "SECRET_KEY": "browser-test-key",
            "JOBS_MODE": "inprocess",
            "SMTP_URL": "",
            "FILES_DIR": str(tmp_path_factory.mktemp("browser-files")),  # never the checkout's instance/
        }
    )
    with app.app_context():
        upgrade()
        load_communes(app.config["COMMUNES_FILE"])
        commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE)  # a phone
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(params=["phone", "desktop"])
def any_page(browser, request):
    """The same test on a phone (390 px) and on a desktop (1280 px): journeys run at both widths."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE if request.param == "phone" else DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def confirmed_user(email: str, name: str = "Camille Politique", staff: bool = False):
    """A user who can sign in at once (e-mail confirmed), added to the current session."""
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.core.models import utcnow
    from app.extensions import db

    user = User(
        email=email, password_hash=hash_password(PASSWORD), full_name=name, email_confirmed_at=utcnow(), is_staff=staff
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form; returns on the dashboard."""
    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name=re.compile("Bonjour")).wait_for()


def nav_link(page, name: str):
    """The header's link `name`, reached as a person would: through the Menu button on a phone, and through
    the "Gestion" sub-menu for hub staff's pages."""
    # hub.js is deferred: until it has run, the phone's menu button is hidden and the navigation open, and it
    # folds the navigation when it runs. Deferred scripts run before DOMContentLoaded: wait for it, then look.
    page.wait_for_load_state("domcontentloaded")
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    nav = page.get_by_role("navigation", name=re.compile("Navigation principale|Main navigation"))
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        submenu = nav.locator("details:not([open]) > summary")
        if submenu.count():
            submenu.first.click()
    return link


def sign_out(page) -> None:
    """Sign out through the header (its button is in the menu on a phone)."""
    page.wait_for_load_state()
    button = page.get_by_role("button", name="Se déconnecter")
    toggle = page.locator(".menu-toggle")
    for _attempt in range(2):  # the menu may be opening or closing while the page settles: look again
        if button.is_visible() or not toggle.is_visible():
            break
        toggle.click()
        page.wait_for_timeout(100)
    button.click()


def fill_card(page, number: str) -> None:
    """Type a test card into the card element of localstripe's fake Stripe.js."""
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").wait_for()
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("13001")
