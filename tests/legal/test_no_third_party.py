"""No third-party request anywhere (issue 18, point 5): every page reachable by GET without a parameter, for a
visitor, a member and hub staff, loads its scripts, styles, images, fonts and frames, and sends its forms,
from this site only, and its Content-Security-Policy names no other origin. And every page's footer links the
four legal pages, which answer.

(The card payment pages widen their own CSP to Stripe's origins, and only them: they need a payment to
exist, so they are not in this sweep; tests/billing checks their policy.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import login

LEGAL_LINKS = ("/mentions-legales", "/conditions-utilisation", "/confidentialite", "/accessibilite")
#: What loads or sends something: tag -> its attributes that hold an address.
LOADING = {
    "script": ("src",),
    "link": ("href",),  # stylesheet, icon, preload, manifest
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "form": ("action",),
    "input": ("src", "formaction"),
    "button": ("formaction",),
}
_OUTSIDE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//(?!(?:localhost|127\.0\.0\.1)(?:[:/]|$))", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.I)


class _Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.outside: list[str] = []
        self.footer_links: list[str] = []
        self._in_footer = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "footer":
            self._in_footer = True
        if self._in_footer and tag == "a" and values.get("href"):
            self.footer_links.append(values["href"])
        for name in LOADING.get(tag, ()):
            for address in (values.get(name) or "").split(","):
                if _OUTSIDE.match(address.strip().split(" ")[0]):
                    self.outside.append(f"<{tag} {name}={address.strip()}>")
        if values.get("style") and _CSS_URL.search(values["style"]):
            self.outside.append(f"<{tag} style={values['style']}>")

    def handle_endtag(self, tag):
        if tag == "footer":
            self._in_footer = False


def _pages(app) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
        }
    )


def _csp_outside(csp: str) -> list[str]:
    return [source for source in csp.split() if _OUTSIDE.match(source) or source.startswith(("http:", "https:"))]


@pytest.fixture
def people(factory):
    member = factory.user(name="Membre Sans Tiers")
    factory.organisation(owner=member)
    return {"visitor": None, "member": member, "staff": factory.staff()}


@pytest.mark.parametrize("persona", ["visitor", "member", "staff"])
def test_no_page_loads_anything_from_another_site_and_every_footer_links_the_legal_pages(app, client, people, persona):
    if people[persona] is not None:
        login(client, people[persona])
    pages = _pages(app)
    assert len(pages) > 40
    failures, html_pages = [], 0
    for path in pages:
        response = client.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        failures += [f"{path}: CSP names {source}" for source in _csp_outside(csp)]
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html_pages += 1
        parser = _Loads()
        parser.feed(response.get_data(as_text=True))
        failures += [f"{path}: {found}" for found in parser.outside]
        if path != "/widget":  # the embeddable catalogue has no site footer
            missing = [link for link in LEGAL_LINKS if link not in parser.footer_links]
            failures += [f"{path}: footer without {link}" for link in missing]
    assert html_pages > 20
    assert not failures, "\n".join(failures)
    for link in LEGAL_LINKS:
        assert client.get(link).status_code == 200, link


def test_the_sweep_sees_an_outside_address():
    parser = _Loads()
    parser.feed(
        '<script src="https://cdn.example.com/x.js"></script><link rel="stylesheet" href="//fonts.example.org/a.css">'
        '<img srcset="/a.png 1x, https://img.example.net/b.png 2x"><form action="https://collect.example.com/">'
        '<script src="/static/hub.js"></script><img src="http://127.0.0.1:5000/a.png">'
    )
    assert len(parser.outside) == 4
    assert _csp_outside("default-src 'self'; img-src 'self' data:") == []
    assert _csp_outside("script-src 'self' https://js.stripe.com") == ["https://js.stripe.com"]
