"""Provider, offer and resource pages show their charter label: level, version, validity and the link to
the label's public verification page; an offer without a label of its own shows its provider's."""

from __future__ import annotations

from app.charter.models import SubjectKind
from app.core.models import utcnow
from tests.charter_effects_helpers import grant_label
from tests.conftest import page_text, post_form
from tests.library.library_helpers import producer, resource


def test_provider_and_offer_pages_show_the_label(client, factory, db_session):
    offer = factory.offer(provider=factory.provider(name="Libre Toulon"))
    other = factory.offer(provider=offer.provider, title="Atelier réseaux sociaux")
    label = grant_label(SubjectKind.PROVIDER, offer.provider_id, 3, days_left=100)
    own = grant_label(SubjectKind.OFFER, other.id, 5, version=2)

    page = page_text(client.get(f"/prestataires/{offer.provider_id}"))
    assert "Labellisé charte · niveau 3" in page
    assert "charte v1, valable jusqu'au" in page
    assert f'href="/charte/labels/{label.public_id}"' in page

    inherited = page_text(client.get(f"/offres/{offer.id}"))
    assert "Labellisé charte · niveau 3" in inherited and "label de son prestataire" in inherited
    assert f'href="/charte/labels/{label.public_id}"' in inherited

    mine = page_text(client.get(f"/offres/{other.id}"))
    assert "Labellisé charte · niveau 5" in mine and "charte v2" in mine
    assert "label de son prestataire" not in mine
    assert f'href="/charte/labels/{own.public_id}"' in mine

    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/prestataires/{offer.provider_id}"))
    assert "Charter-labelled · level 3" in english and "charter v1, valid until" in english


def test_no_label_no_block_and_expired_labels_do_not_show(client, factory, db_session):
    offer = factory.offer()
    assert "Labellisé charte" not in page_text(client.get(f"/prestataires/{offer.provider_id}"))
    label = grant_label(SubjectKind.PROVIDER, offer.provider_id, 4)
    label.expires_at = utcnow()
    db_session.commit()
    assert "Labellisé charte" not in page_text(client.get(f"/prestataires/{offer.provider_id}"))
    assert "Labellisé charte" not in page_text(client.get(f"/offres/{offer.id}"))


def test_resource_page_shows_the_label(app, client, factory, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    user = factory.user()
    r = resource(user, producer(user))
    db_session.commit()
    label = grant_label(SubjectKind.RESOURCE, r.id, 2)
    page = page_text(client.get(f"/r/{r.identifier}"))
    assert "Labellisé charte · niveau 2" in page
    assert f'href="/charte/labels/{label.public_id}"' in page
