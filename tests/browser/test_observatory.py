"""In a real headless Chromium: the observatory's map and charts render (inline SVG, with a size on
screen, on a phone) and the pages make no request to another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def observatory_staff(live_app):
    from app.accounts.models import User
    from app.accounts.services import hash_password
    from app.core.jobs import commit
    from app.core.models import utcnow
    from app.extensions import db

    email = "observatoire@hub.example.org"
    with live_app.app_context():
        if db.session.query(User).filter_by(email=email).first() is None:
            db.session.add(
                User(
                    email=email,
                    password_hash=hash_password(PASSWORD),
                    full_name="Équipe Observatoire",
                    email_confirmed_at=utcnow(),
                    is_staff=True,
                )
            )
            db.session.commit()
            commit()
    return email


def _watch(page, base: str) -> list[str]:
    origin = urlsplit(base).netloc
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if urlsplit(r.url).netloc in ("", origin) or r.url.startswith("data:") else elsewhere.append(r.url)
        ),
    )
    return elsewhere


def test_impact_renders_its_charts_without_another_origin(live_app, page):
    base = live_app.config["LIVE_URL"]
    elsewhere = _watch(page, base)
    page.goto(base + "/impact")
    page.get_by_role("heading", name="L'impact du réseau").wait_for()
    charts = page.locator("svg.chart")
    assert charts.count() >= 5
    box = charts.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 50
    assert page.locator("#table-departements").is_visible()
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width  # nothing wider than the phone
    assert elsewhere == []


def test_staff_observatory_map_renders_without_another_origin(live_app, page, observatory_staff):
    base = live_app.config["LIVE_URL"]
    elsewhere = _watch(page, base)
    sign_in(page, base, observatory_staff)
    page.goto(base + "/observatoire/")
    page.get_by_role("heading", name="Zones blanches").wait_for()
    commune_paths = page.locator("svg.map path[data-insee]")
    assert commune_paths.count() > 900
    box = page.locator("svg.map").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert elsewhere == []
