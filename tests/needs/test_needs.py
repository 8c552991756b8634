"""Needs: posted through the boussole pages, visible only to their organisation and
staff, moved by one state machine."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden
from app.core.states import IllegalTransition
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import NEED_STATES, move_need
from tests.conftest import login, page_text, post_form


def test_boussole_pages_lead_to_a_prefilled_form_and_a_posted_need(client, factory, db_session):
    user = factory.user(name="Sophie Martin")
    org = factory.organisation(owner=user, commune="84007", name="Compagnie du Mistral", kind="compagnie_artistique")
    login(client, user)
    page = page_text(client.get("/besoins/boussole"))
    assert "Qu'est-ce qui vous amène ?" in page
    r = client.get("/besoins/boussole?choix=libre")
    assert "Que souhaitez-vous faire ?" in page_text(r)
    r = client.get("/besoins/boussole?r=libre&choix=migrer")
    assert "Comment préférez-vous être accompagnés ?" in page_text(r)
    r = client.get("/besoins/boussole?r=libre.migrer&choix=sur_place")
    r = client.get("/besoins/boussole?r=libre.migrer.sur_place&choix=benevole")
    assert r.status_code == 302 and "/besoins/nouveau?r=libre.migrer.sur_place.benevole" in r.headers["Location"]

    form = page_text(client.get(r.headers["Location"]))
    assert 'value="Passer aux logiciels libres"' in form
    assert re.search(r'value="libre.migration"[^>]*checked', form)
    assert not re.search(r'value="presence.site_web"[^>]*checked', form)
    assert 'value="Avignon"' in form

    r = post_form(
        client,
        "/besoins/nouveau?r=libre.migrer.sur_place.benevole",
        {
            "organisation_id": str(org.id),
            "answers": "libre.migrer.sur_place.benevole",
            "title": "Passer aux logiciels libres",
            "description": "Nous avons cinq postes sous Windows.",
            "skills": ["libre.migration", "gestion.collaboratif"],
            "categories": ["audit", "installation"],
            "commune": "Avignon (84000)",
            "modality": "on_site",
            "funding_mode": "volunteer",
            "window_start": "2026-12-01",
            "window_end": "2027-02-28",
            "contact_name": "Sophie Martin",
            "contact_email": "sophie@mistral.example.org",
            "publish": "1",
        },
    )
    assert r.status_code == 302, page_text(r)
    need = db_session.scalar(select(Need).where(Need.organisation_id == org.id))
    assert need.status == NS.OPEN and need.opened_at is not None
    assert need.boussole_answers == ["libre", "migrer", "sur_place", "benevole"]
    assert need.skills == ["libre.migration", "gestion.collaboratif"]
    assert need.commune_insee == "84007"
    detail = page_text(client.get(f"/besoins/{need.id}"))
    assert "sophie@mistral.example.org" in detail and "Ouvert" in detail


def test_need_form_errors_save_nothing(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    r = post_form(
        client,
        "/besoins/nouveau",
        {
            "organisation_id": str(org.id),
            "title": "",
            "description": "x",
            "commune": "Nulle-Part",
            "modality": "teleportation",
            "funding_mode": "volunteer",
            "window_start": "2027-03-01",
            "window_end": "2027-01-01",
            "contact_name": "A",
            "contact_email": "pas-une-adresse",
        },
    )
    assert r.status_code == 422
    text = page_text(r)
    assert "Commune introuvable" in text and "Adresse e-mail invalide" in text and "Ce champ est obligatoire" in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="title-erreur"' in text
    assert db_session.scalar(select(func.count()).select_from(Need)) == 0


def test_need_without_any_skill_is_refused(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    r = post_form(
        client,
        "/besoins/nouveau",
        {
            "organisation_id": str(org.id),
            "title": "Aide",
            "description": "Aide",
            "commune": "Marseille",
            "modality": "both",
            "funding_mode": "volunteer",
            "contact_name": "A",
            "contact_email": "a@b.fr",
        },
    )
    assert r.status_code == 422
    assert "au moins une compétence" in page_text(r)
    assert db_session.scalar(select(func.count()).select_from(Need)) == 0


def test_cannot_post_for_someone_elses_organisation(client, factory, db_session):
    other_org = factory.organisation(name="Pas à moi")
    user = factory.user()
    factory.organisation(owner=user)
    login(client, user)
    r = post_form(
        client,
        "/besoins/nouveau",
        {
            "organisation_id": str(other_org.id),
            "title": "T",
            "description": "D",
            "skills": ["presence.site_web"],
            "commune": "Marseille",
            "modality": "both",
            "funding_mode": "volunteer",
            "contact_name": "A",
            "contact_email": "a@b.fr",
        },
    )
    assert r.status_code == 422  # not a valid choice for this user
    assert db_session.scalar(select(func.count()).select_from(Need)) == 0


def test_owner_moves_and_the_rest_is_refused(factory):
    need = factory.need()
    owner = need.organisation.memberships[0].user
    move_need(owner, need, NS.DRAFT)
    move_need(owner, need, NS.OPEN)
    with pytest.raises(Forbidden):
        move_need(owner, need, NS.PROPOSED)  # only matching does that
    move_need(None, need, NS.PROPOSED, system=True)
    with pytest.raises(IllegalTransition):
        move_need(None, need, NS.DONE, system=True)
    stranger = factory.user()
    with pytest.raises(Forbidden):
        move_need(stranger, need, NS.CANCELLED)
    move_need(owner, need, NS.CANCELLED, reason="Projet abandonné")
    assert need.status == NS.CANCELLED and need.status_reason == "Projet abandonné"
    assert NEED_STATES.allowed(NS.CANCELLED) == frozenset()


def test_status_page_action(client, factory):
    need = factory.need()
    owner = need.organisation.memberships[0].user
    login(client, owner)
    r = post_form(client, f"/besoins/{need.id}/statut", {"action": "cancel"})
    assert r.status_code == 302
    assert "Annulé" in page_text(client.get(f"/besoins/{need.id}"))
    r = post_form(client, f"/besoins/{need.id}/statut", {"action": "open"}, follow_redirects=True)
    assert "n'est pas possible" in page_text(r)
