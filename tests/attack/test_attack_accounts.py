"""Attack suite, accounts part (issue 10): hostile links through the real forms, login hammered
across the gunicorn workers, sign-up hammered, sessions that end.

Each test uses its own loopback addresses (127.0.0.6x), so the lockouts it causes never touch
the other attack tests (which log in from 127.0.0.1).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.directory.test_links_and_moderation import HOSTILE_URLS

HREF = re.compile(r"""href\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)
DANGEROUS = re.compile(r"^\s*(?:javascript|data|vbscript|file)\s*:|^\s*//|^\s*/\\|&#", re.IGNORECASE)


def _hostile_hrefs(html: str) -> list[str]:
    return [href for href in HREF.findall(html) if DANGEROUS.search(href) or "alert(" in href]


def _at_once(function, items, workers: int = 6) -> list:
    """Several requests at once, so that every gunicorn worker gets some."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def test_hostile_links_never_become_hrefs(attack_server):
    from app.directory.models import Provider

    with attack_server.factory() as f:
        provider = f.provider(
            name="Médiation Piégée",
            website="https://ok.exemple.org",
            owner=f.user(email="piege-prestataire@exemple.fr", intent="provider"),
        )
        org = f.organisation(name="Asso Piégée", owner=f.user(email="piege-asso@exemple.fr"))
        provider_id, org_id = provider.id, org.id
        form = {
            "name": provider.name,
            "kind": provider.kind,
            "commune": provider.commune.label,
            "radius_km": str(provider.radius_km),
            "remote_capable": "y",
            "languages": list(provider.languages),
            "presentation": provider.presentation,
        }
        org_form = {
            "name": org.name,
            "kind": org.kind,
            "size": org.size,
            "commune": org.commune.label,
            "description": org.description,
        }

    member = attack_server.login("piege-prestataire@exemple.fr", source="127.0.0.60")
    org_member = attack_server.login("piege-asso@exemple.fr", source="127.0.0.60")
    edit, org_edit = f"/prestataire/{provider_id}/modifier", f"/structure/{org_id}/modifier"
    token, org_token = attack_server.csrf(member, edit), attack_server.csrf(org_member, org_edit)
    for url in HOSTILE_URLS:
        # A control character is refused before any form (400, app.core.inputs); the URL rule says 422.
        refused = 400 if any(ord(c) < 32 and c not in "\t\n\r" for c in url) else 422
        r = attack_server.post_form(member, edit, form | {"website": url}, token=token)
        assert r.status_code == refused, (url, r.status_code)
        assert refused == 400 or "adresse web complète" in r.text
        r = attack_server.post_form(org_member, org_edit, org_form | {"website": url}, token=org_token)
        assert r.status_code == refused, (url, r.status_code)

    visitor = attack_server.session("127.0.0.60")
    pages = [f"/prestataires/{provider_id}", "/prestataires", "/recherche?q=Piégée&type=provider"]
    for path in pages:
        page = attack_server.get(visitor, path)
        assert page.status_code == 200, path
        assert _hostile_hrefs(page.text) == [], path
    api = attack_server.get(visitor, f"/api/v1/providers/{provider_id}").json()
    assert api["website"] == "https://ok.exemple.org"

    # Defence in depth: a value stored before the rule (or by any way around it) is text, not a link.
    for url in HOSTILE_URLS[:12]:
        with attack_server.factory() as f:
            f.session.get(Provider, provider_id).website = url
        page = attack_server.get(visitor, f"/prestataires/{provider_id}")
        assert page.status_code == 200
        assert _hostile_hrefs(page.text) == [], url
        assert attack_server.get(visitor, f"/api/v1/providers/{provider_id}").json()["website"] is None
    with attack_server.factory() as f:
        f.session.get(Provider, provider_id).website = "https://ok.exemple.org"


def test_login_hammered_across_workers_is_held_and_the_owner_still_logs_in(attack_server):
    with attack_server.factory() as f:
        f.user(email="proie@exemple.fr")
    attacker = attack_server.session("127.0.0.61")
    token = attack_server.csrf(attacker, "/connexion")

    def attempt(n: int):
        return attack_server.post_form(
            attacker, "/connexion", {"email": "proie@exemple.fr", "password": f"essai {n}"}, token=token
        )

    started = time.monotonic()
    responses = _at_once(attempt, range(60))
    elapsed = time.monotonic() - started
    statuses = [r.status_code for r in responses]
    assert elapsed < 60, elapsed
    assert set(statuses) <= {422, 429}, statuses
    not_refused = sum(1 for s in statuses if s != 429)
    assert not_refused <= 10, statuses  # one counter for every worker (it was 30 of 60 with one per process)
    refused = next(r for r in responses if r.status_code == 429)
    assert "Trop de tentatives" in refused.text and int(refused.headers["Retry-After"]) >= 1

    # The right password from the attacker's address is refused too (no oracle) ...
    r = attack_server.post_form(
        attacker, "/connexion", {"email": "proie@exemple.fr", "password": PASSWORD}, token=token
    )
    assert r.status_code == 429
    # ... but the owner, from another address, logs in.
    owner = attack_server.login("proie@exemple.fr", source="127.0.0.62")
    assert attack_server.get(owner, "/espace").status_code == 200


def test_signup_hammered_across_workers_is_limited_and_never_tells_who_exists(attack_server):
    with attack_server.factory() as f:
        f.user(email="deja-inscrite@exemple.fr")
    browser = attack_server.session("127.0.0.63")
    token = attack_server.csrf(browser, "/inscription")

    def signup(email: str):
        return attack_server.post_form(
            browser,
            "/inscription",
            {
                "full_name": "Essai",
                "email": email,
                "password": "une phrase de passe",
                "intent": "organisation",
                "accept": "y",
            },
            token=token,
        )

    known, unknown = signup("deja-inscrite@exemple.fr"), signup("nouvelle-63@exemple.fr")
    assert known.status_code == unknown.status_code == 200
    assert "existe déjà" not in known.text
    statuses = [r.status_code for r in _at_once(signup, [f"rafale{n}-63@exemple.fr" for n in range(20)], workers=4)]
    assert set(statuses) <= {200, 429}
    assert statuses.count(200) <= 8  # 10 per hour per address, two used above


def test_open_sessions_end_when_the_account_is_disabled(attack_server):
    from app.accounts.models import User
    from app.accounts.services import set_account_disabled

    with attack_server.factory() as f:
        f.user(email="bientot-desactivee@exemple.fr")
        f.staff()
    browsers = [attack_server.login("bientot-desactivee@exemple.fr", source="127.0.0.64") for _ in range(3)]
    assert all(attack_server.get(b, "/espace").status_code == 200 for b in browsers)
    with attack_server.factory() as f:
        user = f.session.scalar(select(User).where(User.email == "bientot-desactivee@exemple.fr"))
        staff = f.session.scalar(select(User).where(User.is_staff.is_(True)))
        set_account_disabled(staff, user)
    for browser in browsers:  # whichever worker answers
        for _ in range(3):
            r = attack_server.get(browser, "/espace")
            assert r.status_code == 302 and "/connexion" in r.headers["Location"]
