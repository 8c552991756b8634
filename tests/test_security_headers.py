"""Security headers on every response (app/core/security.py): every declared route, visited as each kind
of person with the access matrix's URLs, the error pages (400, 403, 404, 405), redirects, static files and
the JSON API; SameSite on every cookie; no-store on the pages that show a secret; Stripe allowed on the card
payment pages only. The browser side (no CSP violation in Chromium) is tests/browser/test_csp.py."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.core.security import NO_STORE_ATTR, init_security
from tests.conftest import PASSWORD, login, post_form
from tests.library.library_helpers import library_world
from tests.test_access_matrix import EXPECTED, PERSONAS, world  # noqa: F401  (the matrix's fixture)

# The headers are set by code, not by the database: the SQLite pass checks them per role; the PostgreSQL pass
# checks them on every route over HTTP (tests/attack/test_attack_routes.py).
pytestmark = pytest.mark.one_pass("sqlite")

HTML_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Markup a CSP without 'unsafe-inline' would refuse: inline script (JSON-LD data blocks are not run), inline
# style, event-handler attributes, javascript: URLs.
INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/ld\+json\")[^>]*>|<style[\s>]"
    r"|<[a-z][^>]*\s(?:on[a-z]+|style)\s*=|(?:href|src|action)=\"\s*javascript:",
    re.I,
)
STRIPE_PAGES = {"library.buy", "vouchers.programme_pay", "vouchers.mission_pay"}
# The embeddable catalogue: framed by partners' sites (its own frame-ancestors, no X-Frame-Options).
FRAMEABLE = {"opendata.widget"}


def csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.headers.get("Content-Security-Policy", "").split(";"):
        if part.strip():
            name, *sources = part.split()
            policy[name] = sources
    return policy


def header_problems(response, where: str, frameable: bool = False) -> list[str]:
    fixed = FIXED | ({"X-Frame-Options": None} if frameable else {})
    problems = [
        f"{where}: {name}={response.headers.get(name)!r}"
        for name, value in fixed.items()
        if response.headers.get(name) != value
    ]
    policy = csp(response)
    if response.mimetype == "text/html":
        directives = HTML_DIRECTIVES | ({"frame-ancestors": "*"} if frameable else {})
        problems += [
            f"{where}: CSP {name} {policy.get(name)}"
            for name, value in directives.items()
            if value not in policy.get(name, []) or "'unsafe-inline'" in policy.get(name, [])
        ]
        body = response.get_data(as_text=True)
        problems += [f"{where}: inline markup {m.group(0)[:60]!r}" for m in INLINE.finditer(body)]
    elif policy.get("frame-ancestors") != ["'none'"] or "default-src" not in policy:
        problems.append(f"{where}: CSP {response.headers.get('Content-Security-Policy')!r}")
    permissions = response.headers.get("Permissions-Policy", "")
    if not all(f"{f}=()" in permissions for f in ("camera", "microphone", "geolocation")):
        problems.append(f"{where}: Permissions-Policy {permissions!r}")
    if "Strict-Transport-Security" in response.headers:  # SESSION_COOKIE_SECURE is off in tests
        problems.append(f"{where}: HSTS without secure cookies")
    for cookie in response.headers.getlist("Set-Cookie"):
        if not re.search(r";\s*SameSite=(Lax|Strict)", cookie, re.I) or not re.search(r";\s*HttpOnly", cookie, re.I):
            problems.append(f"{where}: cookie without SameSite/HttpOnly {cookie[:80]!r}")
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_declared_route_answers_with_the_security_headers(app, client, world, persona):
    if persona != "anon":
        login(client, world["users"][persona])
    stripe_origin = "http://" + urlsplit(app.config["STRIPE_API_BASE"]).netloc
    problems, visited = [], set()
    for (method, endpoint), (template, _exc) in EXPECTED.items():
        url = template.format(**world["ids"])
        response = client.open(url, method=method, json={} if endpoint.startswith("api.") and method != "GET" else None)
        where = f"{method} {url} as {persona} ({response.status_code})"
        visited.add(endpoint)
        problems += header_problems(response, where, frameable=endpoint in FRAMEABLE)
        stripe_allowed = stripe_origin in response.headers["Content-Security-Policy"]
        if stripe_allowed != (endpoint in STRIPE_PAGES and "js.stripe.com/v3" in response.get_data(as_text=True)):
            problems.append(f"{where}: Stripe allowed={stripe_allowed}")
        if getattr(app.view_functions[endpoint], NO_STORE_ATTR, False) or stripe_allowed:
            if response.status_code == 200 and response.headers.get("Cache-Control") != "no-store":
                problems.append(f"{where}: Cache-Control {response.headers.get('Cache-Control')!r}")
    for response, where in [
        (client.get("/static/hub.css"), "static file"),
        (client.get("/static/nope.js"), "static 404"),
        (client.get("/pas-de-page"), "404"),
        (client.get("/api/v1/pas-de-route"), "API 404"),
        (client.get("/deconnexion"), "405"),
        (client.delete("/api/v1/offers"), "API 405"),
        (client.post("/connexion", data={}), "400 (no CSRF token)"),
        (client.open("/", method="OPTIONS"), "OPTIONS"),
        (client.head("/"), "HEAD"),
        (client.get("/catalogue"), "redirect 301"),
    ]:
        problems += header_problems(response, f"{where} as {persona} ({response.status_code})")
    every = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert every - visited - {"static"} == set(), "routes never visited"
    assert not problems, "\n".join(problems)


def test_forbidden_and_login_redirect_have_the_headers(app, client, world):
    assert not header_problems(client.get("/moderation/"), "login redirect")
    login(client, world["users"]["org"])
    response = client.get("/moderation/")
    assert response.status_code == 403
    assert not header_problems(response, "403")


def test_the_payment_page_allows_exactly_the_configured_stripe_origin(app, client, factory, monkeypatch):
    producer_user, buyer = factory.user(), factory.user()
    ids = library_world(factory, producer_user, factory.user())
    login(client, buyer)
    buy = f"/r/{ids['lib_paid']}/licences/{ids['lib_offer']}/acheter"
    origin = "http://" + urlsplit(app.config["STRIPE_API_BASE"]).netloc
    page = client.get(buy)
    assert page.status_code == 200 and f'src="{origin}/js.stripe.com/v3/"' in page.get_data(as_text=True)
    policy = csp(page)
    assert policy["script-src"] == ["'self'", origin]
    assert policy["connect-src"] == ["'self'", origin] and policy["frame-src"] == [origin]
    assert page.headers["Cache-Control"] == "no-store"
    assert f'payment=(self "{origin}")' in page.headers["Permissions-Policy"]
    for other in ("/", "/recherche", f"/r/{ids['lib_paid']}", "/espace"):
        response = client.get(other)
        assert origin not in response.headers["Content-Security-Policy"], other
        assert "payment=()" in response.headers["Permissions-Policy"], other
    # Against the real Stripe (no STRIPE_API_BASE): the real Stripe.js and its frames, nothing else.
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "")
    policy = csp(client.get(buy))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]


def test_a_file_keeps_its_own_sandbox_policy_and_gets_frame_ancestors(client, factory):
    ids = library_world(factory, factory.user(), factory.user())
    response = client.get(f"/r/{ids['lib_resource']}/fichiers/{ids['lib_file']}")
    assert response.status_code == 200
    policy = csp(response)
    assert "sandbox" in policy and policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'none'"]


def test_the_new_api_token_page_is_never_stored(client, factory):
    login(client, factory.user())
    response = post_form(client, "/espace/jeton")
    assert response.status_code == 200 and "hub_" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/espace").headers.get("Cache-Control") != "no-store"  # only where a secret is shown


def test_the_password_reset_page_is_never_stored(client, factory):
    from app.accounts.services import request_password_reset

    user, tokens = factory.user(), []
    request_password_reset(user.email, tokens.append)
    response = client.get(f"/mot-de-passe/nouveau/{tokens[0]}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_voucher_pages_are_never_stored(client, factory, world):
    login(client, world["users"]["org"])
    for url in (
        "/cheques/",
        f"/cheques/{world['ids']['v_voucher']}",
        f"/cheques/{world['ids']['v_voucher']}/cheque.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url


def test_the_remember_me_cookie_has_samesite_and_httponly(client, factory):
    user = factory.user(email="garde@exemple.org")
    response = post_form(client, "/connexion", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "remember_token" in cookies and "session" in cookies
    for cookie in cookies.values():
        assert re.search(r"; SameSite=Lax", cookie) and "; HttpOnly" in cookie, cookie
        assert "; Secure" not in cookie  # SESSION_COOKIE_SECURE is off here


def test_secure_cookies_bring_hsts_and_secure_remember_cookie(app, client, monkeypatch):
    from flask import Flask

    other = Flask("secure")
    other.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax")
    init_security(other)
    assert other.config["REMEMBER_COOKIE_SECURE"] is True and other.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert client.get("/").headers.get("Strict-Transport-Security") is None
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/api/v1/skills").headers["Strict-Transport-Security"].startswith("max-age=")


def test_one_page_widens_its_own_policy_only(app):
    from flask import Response

    from app.core.security import allow_on_this_page, set_security_headers

    with app.test_request_context("/"):
        allow_on_this_page({"img-src": ("https://tuiles.exemple.org",), "frame-src": ("https://carte.exemple.org",)})
        widened = csp(set_security_headers(Response("<p>carte</p>", mimetype="text/html")))
    with app.test_request_context("/"):
        plain = csp(set_security_headers(Response("<p>rien</p>", mimetype="text/html")))
    assert widened["img-src"] == ["'self'", "data:", "https://tuiles.exemple.org"]
    assert widened["frame-src"] == ["https://carte.exemple.org"] and widened["script-src"] == ["'self'"]
    assert plain["img-src"] == ["'self'", "data:"] and plain["frame-src"] == ["'none'"]
