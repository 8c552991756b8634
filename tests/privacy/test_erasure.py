"""The right to erasure: asked with the password again, cancellable during the grace period, then done by
the retention job: no trace of the person anywhere, except records kept anonymised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.accounts.services import authenticate
from app.core.errors import ServiceError
from app.core.jobs import commit
from app.core.mail import OutboxEmail
from app.core.models import PublicationStatus as PS
from app.core.models import utcnow
from app.directory.models import Organisation, Provider
from app.extensions import db
from app.matches.models import Feedback, Mission
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.privacy import erasure
from app.privacy.lifecycle import ErasureRequest
from app.privacy.retention import run_retention
from tests.conftest import login, page_text, post_form
from tests.privacy.privacy_helpers import (
    EMAIL,
    PASSWORD,
    PROVIDER_NAME,
    file_traces,
    person_with_a_life,
    traces,
)


def _cancel_url(token: str) -> str:
    return f"/compte/suppression/annuler/{token}"


def test_erasure_leaves_no_trace_but_keeps_the_records_others_need(factory, client):
    life = person_with_a_life(factory)
    commit()
    person_id, org_id, provider_id = life.person.id, life.org.id, life.provider.id
    mission_id, open_need_id, draft_need_id = life.mission.id, life.open_need.id, life.draft_need.id
    assert traces() and file_traces()  # the search below finds what is there
    assert PROVIDER_NAME in page_text(client.get("/recherche?q=Zéphyrin"))
    found = erasure.consequences(life.person)
    assert {(c.kind, c.name) for c in found} == {("organisation", "Les Amis du Vallon"), ("provider", PROVIDER_NAME)}

    due = erasure.request_erasure(life.person, PASSWORD, _cancel_url).due_at
    commit()
    assert run_retention(due - timedelta(minutes=1))["erased"] == 0  # not before the grace period
    assert db.session.get(User, person_id).erased_at is None
    assert run_retention(due)["erased"] == 1
    commit()
    db.session.expire_all()

    assert traces() == []
    assert file_traces() == []
    tombstone = db.session.get(User, person_id)
    assert tombstone.erased_at is not None and tombstone.is_disabled and tombstone.full_name == "Compte supprimé"
    assert db.session.scalars(select(Membership).where(Membership.user_id == person_id)).all() == []
    for email in (EMAIL, tombstone.email):
        with pytest.raises(ServiceError):
            authenticate(email, PASSWORD)
    # kept, anonymised: the mission the provider saw, both feedbacks (hers points to the tombstone)
    mission = db.session.get(Mission, mission_id)
    assert mission.status.value == "done"
    authors = {
        f.side: f.author_id for f in db.session.scalars(select(Feedback).where(Feedback.mission_id == mission_id))
    }
    assert authors["organisation"] == person_id and authors["provider"] == life.other_provider_user.id
    # what she alone managed is closed, as announced
    assert db.session.get(Organisation, org_id).status == PS.ARCHIVED
    assert db.session.get(Provider, provider_id).status == PS.ARCHIVED
    assert db.session.get(Provider, provider_id).iban is None
    assert db.session.get(Need, open_need_id).status == NS.CLOSED
    assert db.session.get(Need, draft_need_id) is None  # a draft: deleted
    assert db.session.get(ErasureRequest, person_id) is None
    # the organisation she shared with a colleague stays as it was
    assert db.session.get(Organisation, life.colleague_org.id).status == PS.PUBLISHED
    assert PROVIDER_NAME not in page_text(client.get("/recherche?q=Zéphyrin"))
    # twice = once
    assert run_retention(due + timedelta(days=1))["erased"] == 0


def test_wrong_password_refused_and_cancel_drops_the_schedule(factory):
    person = factory.user(email="leo@exemple.fr", name="Léo Dubois", password=PASSWORD)
    with pytest.raises(ServiceError):
        erasure.request_erasure(person, "not the password", _cancel_url)
    assert erasure.pending_erasure(person) is None
    now = utcnow()
    request = erasure.request_erasure(person, PASSWORD, _cancel_url, now=now)
    assert request.due_at == now + timedelta(days=14)
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "leo@exemple.fr")).all()[-1]
    assert erasure.cancel_token(request) in mail.body
    assert erasure.cancel_erasure(person) is True
    assert run_retention(now + timedelta(days=15))["erased"] == 0
    assert db.session.get(User, person.id).erased_at is None
    with pytest.raises(ServiceError):  # the old link no longer cancels anything
        erasure.request_for_cancel_token(erasure.cancel_token(request))


def test_pages_ask_the_password_show_the_schedule_and_cancel(factory, client):
    person = factory.user(email="ines@exemple.fr", name="Inès Roux", password=PASSWORD)
    factory.organisation(owner=person, name="Le Jardin Partagé")
    login(client, person)
    page = page_text(client.get("/compte/suppression"))
    assert "Le Jardin Partagé" in page and "archivée" in page
    refused = post_form(client, "/compte/suppression", {"password": "wrong password!"})
    assert refused.status_code == 422 and "Mot de passe incorrect" in page_text(refused)
    assert erasure.pending_erasure(person) is None
    done = post_form(client, "/compte/suppression", {"password": PASSWORD}, follow_redirects=True)
    assert "Suppression prévue le" in page_text(done)
    assert "La suppression de votre compte est prévue le" in page_text(client.get("/espace"))
    request = erasure.pending_erasure(person)
    link = client.get(_cancel_url(erasure.cancel_token(request)))
    assert link.status_code == 200 and erasure.pending_erasure(person) is not None  # a GET changes nothing
    cancelled = post_form(client, _cancel_url(erasure.cancel_token(request)), {}, follow_redirects=True)
    assert "La suppression de votre compte est annulée" in page_text(cancelled)
    db.session.expire_all()
    assert erasure.pending_erasure(person) is None
    assert client.get("/compte/suppression/annuler/not-a-token").status_code == 400


def test_login_says_the_erasure_is_scheduled_and_records_the_login(factory, client):
    person = factory.user(email="noe@exemple.fr", name="Noé Blanc", password=PASSWORD)
    erasure.request_erasure(person, PASSWORD, _cancel_url)
    commit()
    response = post_form(client, "/connexion", {"email": "noe@exemple.fr", "password": PASSWORD}, follow_redirects=True)
    assert "La suppression de votre compte est prévue le" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, person.id).last_login_at is not None


def test_the_password_asked_again_is_throttled_like_the_login(factory, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    person = factory.user(email="lena@exemple.fr", name="Léna Garcia", password=PASSWORD)
    login(client, person)
    for _attempt in range(2):
        assert post_form(client, "/compte/suppression", {"password": "wrong password!"}).status_code == 422
    refused = post_form(client, "/compte/suppression", {"password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert erasure.pending_erasure(person) is None


def test_a_single_word_name_is_not_searched_in_free_text_and_reference_data_stays(factory):
    from app.territory.models import Commune

    person = factory.user(email="paris@exemple.fr", name="Paris", password=PASSWORD)
    other_org = factory.organisation(description="Une association née à Paris.")
    assert erasure.identifiers(person)["name"] == set()
    assert erasure.erase_account(person.id)
    db.session.expire_all()
    assert db.session.get(Commune, "75056").name == "Paris"
    assert db.session.get(Organisation, other_org.id).description == "Une association née à Paris."


def test_the_last_administrator_cannot_delete_their_account(factory):
    from app.core.errors import Conflict

    admin = factory.user(email="admin.seul@exemple.fr", name="Ada Admin", password=PASSWORD)
    admin.is_admin = True
    db.session.execute(User.__table__.update().where(User.id != admin.id).values(is_admin=False))
    with pytest.raises(Conflict):
        erasure.request_erasure(admin, PASSWORD, _cancel_url)
    other = factory.user(email="admin.deux@exemple.fr", name="Basile Admin")
    other.is_admin = True
    db.session.flush()
    assert erasure.request_erasure(admin, PASSWORD, _cancel_url) is not None
