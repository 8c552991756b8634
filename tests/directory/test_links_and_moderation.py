"""Issue 10: one http(s) rule for every stored link (forms, services, rendering, migration 0012),
and owners' edits of published listings through the moderation log."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.errors import ServiceError
from app.core.models import PublicationStatus as PS
from app.core.urls import web_url
from app.directory.models import ListingChange, Organisation, Provider
from tests.conftest import login, page_text, post_form

#: Every kind of hostile or broken link the forms must refuse (and pages must never render as href).
HOSTILE_URLS = [
    "javascript:alert(document.domain)//",
    "JAVASCRIPT:alert(1)",
    "JavaScript:alert(1)",
    "   javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example.org/x",
    "/\\evil.example.org",
    "https:\\\\evil.example.org",
    "https://user:secret@evil.example.org",
    "https://exemple.fr\u202e/gpj.exe",
    "http://javascript:alert(1)",
    "https://",
    "ftp://exemple.fr/",
    "exemple.fr",
]
GOOD_URLS = [
    "https://exemple.fr",
    "http://www.asso-exemple.org/contact?x=1&y=2#haut",
    "HTTPS://Exemple.FR/a",
    "https://médiation-numérique.fr/",
    "https://[2001:db8::1]:8443/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_the_one_rule_refuses_hostile_links(url):
    assert web_url(url) is None


@pytest.mark.parametrize("url", GOOD_URLS)
def test_the_one_rule_keeps_ordinary_links(url):
    assert web_url(url) is not None
    assert web_url(url).startswith(("https://", "http://"))


def _provider_form(provider, **changes) -> dict:
    return {
        "name": provider.name,
        "kind": provider.kind,
        "commune": provider.commune.label,
        "radius_km": str(provider.radius_km),
        "remote_capable": "y",
        "languages": list(provider.languages),
        "presentation": provider.presentation,
        "website": provider.website,
    } | changes


def test_provider_form_refuses_every_hostile_website(client, factory, db_session):
    provider = factory.provider(website="https://ok.exemple.org")
    login(client, provider.memberships[0].user)
    for url in HOSTILE_URLS:
        r = post_form(client, f"/prestataire/{provider.id}/modifier", _provider_form(provider, website=url))
        if any(ord(c) < 32 and c not in "\t\n\r" for c in url):
            assert r.status_code == 400, url  # control characters: refused before any form (app.core.inputs)
        else:
            assert r.status_code == 422, url
            assert "adresse web complète" in page_text(r)
        db_session.refresh(provider)
        assert provider.website == "https://ok.exemple.org"
    assert db_session.scalar(select(ListingChange)) is None


def test_organisation_form_refuses_a_hostile_website(client, factory, db_session):
    user = factory.user()
    login(client, user)
    r = post_form(
        client,
        "/structure/nouvelle",
        {
            "name": "Asso Piège",
            "kind": "association",
            "size": "benevoles",
            "commune": "Marseille (13001)",
            "website": "javascript:alert(1)",
        },
    )
    assert r.status_code == 422 and "adresse web complète" in page_text(r)
    assert db_session.scalar(select(Organisation).where(Organisation.name == "Asso Piège")) is None


def test_services_refuse_hostile_links_whatever_the_caller(factory, db_session):
    from app.directory.services import create_organisation, update_provider
    from app.library.services.producers import create_producer
    from tests.library.library_helpers import producer, resource

    staff = factory.staff()
    provider = factory.provider()
    with pytest.raises(ServiceError) as refused:
        update_provider(staff, provider, {"website": "javascript:alert(1)//"})  # staff too, API or import alike
    assert refused.value.field == "website"
    with pytest.raises(ServiceError):
        create_organisation(
            staff,
            {
                "name": "X",
                "kind": "association",
                "size": "benevoles",
                "commune_insee": "13055",
                "website": " data:text/html,<script>alert(1)</script>",
            },
        )
    with pytest.raises(ServiceError):
        create_producer(staff, {"kind": "structure", "name": "P", "presentation": "", "website": "vbscript:x"})
    with pytest.raises(ServiceError) as refused:
        resource(staff, producer(staff), source_url="java\tscript:alert(1)")
    assert refused.value.field == "source_url"
    update_provider(staff, provider, {"website": " HTTPS://Exemple.fr/x "})
    assert provider.website == "https://Exemple.fr/x"


def test_a_stored_hostile_link_is_shown_as_text_never_as_a_link(client, factory, db_session):
    from tests.library.library_helpers import producer, resource

    provider = factory.provider()
    owner = factory.user()
    maker = producer(owner)
    item = resource(owner, maker)
    bad = "javascript:alert(document.domain)//"
    provider.website = maker.website = item.source_url = bad  # as if it slipped in before the rule
    db_session.flush()
    for path in (f"/prestataires/{provider.id}", f"/bibliotheque/producteurs/{maker.id}", f"/r/{item.identifier}"):
        page = page_text(client.get(path, follow_redirects=True))
        assert "javascript:alert(document.domain)//" in page, path  # shown, as text
        assert 'href="javascript' not in page.lower(), path
    assert client.get(f"/api/v1/providers/{provider.id}").get_json()["website"] is None


def test_migration_0012_empties_stored_hostile_links(db_session, factory):
    path = next(Path(__file__).resolve().parents[2].glob("migrations/versions/0012_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    from tests.library.library_helpers import producer, resource

    good, bad = factory.provider(website="https://ok.exemple.org"), factory.provider(name="Piège")
    org = factory.organisation()
    owner = factory.user()
    maker = producer(owner)
    item = resource(owner, maker)
    bad.website = org.website = maker.website = "java\tscript:alert(1)"
    item.source_url = "&#106;avascript:alert(1)"
    db_session.flush()
    assert migration.neutralise_links(db_session.connection()) == 4
    for entity in (good, bad, org, maker, item):
        db_session.refresh(entity)
    assert (good.website, bad.website, org.website, maker.website, item.source_url) == (
        "https://ok.exemple.org",
        "",
        "",
        "",
        "",
    )


# ---------------------------------------------------------------- owners' edits of published listings


def test_a_new_website_on_a_published_provider_waits_for_staff(app, client, factory, db_session):
    provider = factory.provider(website="https://ancien.exemple.org")
    owner = provider.memberships[0].user
    login(client, owner)
    r = post_form(
        client,
        f"/prestataire/{provider.id}/modifier",
        _provider_form(provider, website="https://nouveau.exemple.org", presentation="Nouvelle présentation."),
    )
    assert r.status_code == 302
    db_session.refresh(provider)
    assert provider.status == PS.PUBLISHED
    assert provider.presentation == "Nouvelle présentation."  # live, and logged
    assert provider.website == "https://ancien.exemple.org"  # held for moderation
    visitor = app.test_client()
    assert "nouveau.exemple.org" not in page_text(visitor.get(f"/prestataires/{provider.id}"))
    changes = {
        c.status: c for c in db_session.scalars(select(ListingChange).where(ListingChange.entity_id == provider.id))
    }
    assert set(changes) == {"pending", "applied"}
    assert changes["pending"].changes == {"website": ["https://ancien.exemple.org", "https://nouveau.exemple.org"]}
    assert changes["applied"].changes["presentation"][1] == "Nouvelle présentation."

    staff = factory.staff()
    login(client, staff)
    queue = page_text(client.get("/moderation/"))
    assert "https://nouveau.exemple.org" in queue and 'href="https://nouveau' not in queue  # text, not a link
    assert "Journal des modifications" in queue
    assert (
        post_form(client, f"/moderation/modification/{changes['pending'].id}", {"decision": "approve"}).status_code
        == 302
    )
    db_session.refresh(provider)
    assert provider.website == "https://nouveau.exemple.org"
    assert 'href="https://nouveau.exemple.org"' in page_text(visitor.get(f"/prestataires/{provider.id}"))
    # Answered once only.
    r = post_form(client, f"/moderation/modification/{changes['pending'].id}", {"decision": "refuse"})
    assert r.status_code == 302
    db_session.refresh(changes["pending"])
    assert changes["pending"].status == "approved"


def test_a_refused_website_never_goes_live_and_a_newer_proposal_replaces_an_older(client, factory, db_session):
    from app.directory.services import decide_change, pending_changes, update_provider

    provider = factory.provider(website="")
    owner, staff = provider.memberships[0].user, factory.staff()
    update_provider(owner, provider, {"website": "https://premier.exemple.org"})
    update_provider(owner, provider, {"website": "https://second.exemple.org"})
    pending = pending_changes(provider)
    assert [c.changes["website"][1] for c in pending] == ["https://second.exemple.org"]
    decide_change(staff, pending[0], approve=False)
    assert provider.website == ""
    with pytest.raises(ServiceError):
        decide_change(owner, pending[0], approve=True)


def test_owner_edits_of_published_offers_and_organisations_are_logged_not_drafts(factory, db_session):
    from app.directory.services import update_offer, update_organisation, update_provider

    offer = factory.offer()
    owner = offer.provider.memberships[0].user
    update_offer(owner, offer, {"title": "Un autre titre"})
    org = factory.organisation(website="https://asso.exemple.org")
    update_organisation(org.memberships[0].user, org, {"website": "https://autre.exemple.org"})
    draft = factory.provider(publish=False)
    update_provider(draft.memberships[0].user, draft, {"website": "https://brouillon.exemple.org"})
    rows = {(c.entity_kind, c.status): c.changes for c in db_session.scalars(select(ListingChange))}
    assert rows == {
        ("offer", "applied"): {"title": ["Créer le site web de votre association", "Un autre titre"]},
        ("organisation", "pending"): {"website": ["https://asso.exemple.org", "https://autre.exemple.org"]},
    }
    assert org.website == "https://asso.exemple.org" and draft.website == "https://brouillon.exemple.org"
    assert db_session.get(Provider, draft.id).status == PS.SUBMITTED
