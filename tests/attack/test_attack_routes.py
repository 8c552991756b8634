"""Every declared route, over real HTTP under gunicorn, as a visitor and as hub staff:
never a server error, and the security headers on every answer (pages, redirects,
errors, JSON, files)."""

from __future__ import annotations

import re

import pytest

SAMPLE = {"int": "1", "string": "x", "path": "x", "default": "1"}
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _routes(app) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) for every rule, its arguments filled with plausible values."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            url = "/static/hub.css"
        else:
            url = _ARG.sub(lambda m: SAMPLE.get(m.group(1) or "default", "1"), rule.rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            out.append((method, url, rule.endpoint))
    return out


#: The one page other sites may frame (issue 16): the embeddable catalogue; its own policy is
#: tested in tests/opendata and by a Chromium page on another origin.
FRAMEABLE_PATHS = ("/widget",)


def assert_security_headers(response, where: str, frameable: bool = False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}
    if frameable:
        assert directives.get("frame-ancestors"), f"{where}: a frameable page names who may frame it ({csp})"
    else:
        assert "frame-ancestors 'none'" in directives.get("frame-ancestors", ""), f"{where}: framing allowed ({csp})"
    script = directives.get("script-src") or directives.get("default-src", "")
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (
        f"{where}: inline script ({csp})"
    )
    assert "object-src 'none'" in csp or "default-src 'none'" in csp, f"{where}: plugins allowed ({csp})"
    assert headers.get("X-Content-Type-Options") == "nosniff", f"{where}: no nosniff"
    if not frameable:
        assert headers.get("X-Frame-Options", "").upper() == "DENY", f"{where}: no X-Frame-Options"
    assert headers.get("Referrer-Policy"), f"{where}: no Referrer-Policy"
    assert headers.get("Permissions-Policy"), f"{where}: no Permissions-Policy"
    for cookie in response.raw.headers.getlist("Set-Cookie"):
        assert re.search(r"(?i);\s*samesite=(lax|strict)", cookie), f"{where}: cookie without SameSite: {cookie}"
        assert re.search(r"(?i);\s*httponly", cookie), f"{where}: cookie readable by scripts: {cookie}"


@pytest.fixture(scope="module")
def staff_browser(attack_server):
    with attack_server.factory() as f:
        f.user(email="routes-staff@exemple.fr", staff=True)
    return attack_server.login("routes-staff@exemple.fr")


@pytest.mark.parametrize("persona", ["visitor", "staff"])
def test_every_route_answers_with_security_headers_and_no_server_error(attack_server, staff_browser, persona):
    browser = staff_browser if persona == "staff" else attack_server.session()
    routes = _routes(attack_server.app)
    assert len(routes) > 100  # every blueprint is there
    failures = []
    for method, url, endpoint in routes:
        if endpoint == "accounts.logout":
            continue  # would end the staff session mid-sweep (its refusal without CSRF is checked below)
        response = browser.request(
            method, attack_server.url + url, allow_redirects=False, timeout=60, data={} if method == "POST" else None
        )
        where = f"{persona} {method} {url} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(where)
            continue
        try:
            assert_security_headers(response, where, frameable=url.split("?")[0] in FRAMEABLE_PATHS)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)\n" + attack_server.logs()[-3000:]


def test_logout_without_csrf_is_refused_with_headers(attack_server, staff_browser):
    response = staff_browser.post(attack_server.url + "/deconnexion", allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert_security_headers(response, "POST /deconnexion")
    assert attack_server.get(staff_browser, "/espace").status_code == 200  # still signed in
