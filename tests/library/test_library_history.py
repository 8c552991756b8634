"""History (every change is an event: who, when, which fields, before and after) and who may
edit a resource (its producers' members, and hub staff)."""

from __future__ import annotations

import pytest
from library_helpers import producer, resource

from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.states import IllegalTransition
from app.library.models import ResourceStatus as RS
from app.library.services.identifiers import parse_identifier, resource_by_number
from app.library.services.producers import add_producer_member
from app.library.services.resources import move_resource, update_resource
from app.library.services.rights import can_edit_resource
from tests.conftest import login, page_text, post_form


def test_creation_is_an_event_with_every_field(producer_user, prod):
    r = resource(producer_user, prod, publish=False)
    [event] = r.events
    assert event.action == "created" and event.actor_id == producer_user.id and event.at is not None
    assert event.changes["title"] == {"before": None, "after": r.title}
    assert event.changes["themes"]["after"] == ["securite", "materiel"]
    assert event.changes["producers"]["after"] == [prod.name]
    assert event.changes["licence"]["after"] == "CC-BY-SA-4.0"


def test_an_edit_records_only_the_changed_fields_before_and_after(db_session, producer_user, prod):
    other = resource(producer_user, prod, title="Autre")
    r = resource(producer_user, prod)
    update_resource(
        producer_user,
        r,
        {
            "title": "Atelier : protéger son smartphone",
            "themes": ["securite", "donnees"],
            "is_related_to": [other.number],
        },
    )
    event = r.events[0]  # newest first
    assert event.action == "updated"
    assert set(event.changes) == {"title", "themes", "is_related_to"}
    assert event.changes["title"] == {
        "before": "Atelier : sécuriser son smartphone",
        "after": "Atelier : protéger son smartphone",
    }
    assert event.changes["themes"] == {"before": ["securite", "materiel"], "after": ["securite", "donnees"]}
    assert event.changes["is_related_to"] == {"before": [], "after": [other.identifier]}
    count = len(r.events)
    update_resource(producer_user, r, {"title": "Atelier : protéger son smartphone"})
    db_session.expire(r, ["events"])
    assert len(r.events) == count  # nothing changed, nothing recorded


def test_status_changes_are_events(producer_user, prod):
    r = resource(producer_user, prod, publish=False)
    move_resource(producer_user, r, RS.PUBLISHED)
    move_resource(producer_user, r, RS.DRAFT)
    assert [e.action for e in r.events][:2] == ["unpublished", "published"]
    assert r.events[1].changes["status"] == {"before": "draft", "after": "published"}
    with pytest.raises(IllegalTransition):
        move_resource(producer_user, r, RS.DRAFT)  # already a draft
    with pytest.raises(Conflict):
        move_resource(producer_user, r, RS.MERGED)  # merges go through moderation


def test_history_shows_on_the_resource_page(client, producer_user, prod):
    r = resource(producer_user, prod)
    update_resource(producer_user, r, {"audiences": ["mediateurs", "aidants"], "year_created": 2023})
    text = page_text(client.get(f"/r/{r.identifier}"))
    assert "Historique" in text and "Modification" in text and "Création" in text
    assert "Année de création" in text and "2024" in text and "2023" in text
    assert "Aidants numériques et travailleurs sociaux" in text
    assert producer_user.full_name in text


def test_producers_members_and_staff_may_edit_others_may_not(db_session, factory, producer_user, prod):
    r = resource(producer_user, prod)
    colleague = factory.user(name="Collègue")
    add_producer_member(producer_user, prod, colleague.email)
    update_resource(colleague, r, {"title": "Par une collègue"})
    staff = factory.staff()
    update_resource(staff, r, {"title": "Par l'équipe"})
    stranger = factory.user()
    assert not can_edit_resource(stranger, r)
    with pytest.raises(Forbidden):
        update_resource(stranger, r, {"title": "Vandale"})
    with pytest.raises(Forbidden):
        move_resource(stranger, r, RS.DELETED)
    # A member of a co-producer may edit too.
    co_user = factory.user()
    co = producer(co_user, name="Tiers-lieu La Fabrique")
    update_resource(staff, r, {"producer_ids": [prod.id, co.id]})
    assert can_edit_resource(co_user, r)
    update_resource(co_user, r, {"description": "Co-écrit."})


def test_only_own_producers_can_be_credited(factory, producer_user, prod):
    foreign = producer(factory.user(), name="Structure sans rapport")
    with pytest.raises(Forbidden):
        resource(producer_user, prod, producer_ids=[prod.id, foreign.id])
    with pytest.raises(ServiceError):
        resource(producer_user, prod, producer_ids=[])


def test_metadata_is_validated(producer_user, prod):
    for bad, field in (
        ({"title": " "}, "title"),
        ({"resource_type": "roman"}, "resource_type"),
        ({"themes": []}, "themes"),
        ({"themes": ["cuisine"]}, "themes"),
        ({"licence": "GPL-3.0"}, "licence"),
        ({"year_created": 1800}, "year_created"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"is_based_on": [999999]}, "is_based_on"),
    ):
        with pytest.raises(ServiceError) as error:
            resource(producer_user, prod, **bad)
        assert error.value.field == field


def test_merged_or_deleted_resources_are_frozen(factory, producer_user, prod):
    r = resource(producer_user, prod)
    move_resource(producer_user, r, RS.DELETED)
    with pytest.raises(Conflict):
        update_resource(producer_user, r, {"title": "Après coup"})
    with pytest.raises(Forbidden):
        move_resource(producer_user, r, RS.DRAFT)  # only staff restore


def test_edit_pages(client, factory, db_session, producer_user, prod):
    login(client, producer_user)
    page = client.get("/bibliotheque/ressources/nouvelle")
    assert page.status_code == 200 and prod.name in page_text(page)
    r = post_form(
        client,
        "/bibliotheque/ressources/nouvelle",
        {
            "title": "Kit « Premiers pas sur tablette »",
            "description": "Avec *fiches* imprimables.",
            "resource_type": "jeu",
            "themes": ["premiers_pas"],
            "audiences": ["seniors"],
            "languages": ["fr"],
            "licence": "etalab-2.0",
            "producers": [str(prod.id)],
            "year_created": "2022",
            "publish": "1",
        },
    )
    assert r.status_code == 302
    identifier = r.headers["Location"].split("/r/")[1].split("/")[0]
    created = resource_by_number(parse_identifier(identifier))
    assert created.status == RS.PUBLISHED and created.licence == "etalab-2.0" and created.year_created == 2022
    bad = post_form(client, f"/r/{identifier}/modifier", {"title": "", "resource_type": "jeu", "themes": ["x"]})
    assert bad.status_code == 422 and "Le formulaire contient des erreurs" in page_text(bad)
    wrong_ids = post_form(
        client,
        f"/r/{identifier}/modifier",
        {
            "title": "Kit",
            "resource_type": "jeu",
            "themes": ["premiers_pas"],
            "audiences": ["seniors"],
            "languages": ["fr"],
            "licence": "etalab-2.0",
            "producers": [str(prod.id)],
            "is_based_on": "R1, Q2",
        },
    )
    assert wrong_ids.status_code == 422 and "Q2" in page_text(wrong_ids)
    ok = post_form(
        client,
        f"/r/{identifier}/modifier",
        {
            "title": "Kit tablette",
            "resource_type": "jeu",
            "themes": ["premiers_pas"],
            "audiences": ["seniors"],
            "languages": ["fr", "oc"],
            "licence": "etalab-2.0",
            "producers": [str(prod.id)],
        },
    )
    assert ok.status_code == 302
    db_session.expire_all()
    assert created.title == "Kit tablette" and created.languages == ["fr", "oc"]
    # A stranger sees neither the edit page nor can post to it.
    login(client, factory.user())
    assert client.get(f"/r/{identifier}/modifier").status_code == 404
    # Someone without a producer space is sent to create one.
    fresh = client.get("/bibliotheque/ressources/nouvelle")
    assert fresh.status_code == 302 and "/bibliotheque/producteurs/nouveau" in fresh.headers["Location"]


def test_status_page_actions(client, factory, db_session, producer_user, prod):
    r = resource(producer_user, prod, publish=False)
    login(client, producer_user)
    assert post_form(client, f"/r/{r.identifier}/statut", {"action": "publish"}).status_code == 302
    db_session.expire_all()
    assert r.status == RS.PUBLISHED
    assert post_form(client, f"/r/{r.identifier}/statut", {"action": "restore"}).status_code == 302
    db_session.expire_all()
    assert r.status == RS.DRAFT  # "restore" from published is "back to draft": allowed by the machine
    assert post_form(client, f"/r/{r.identifier}/statut", {"action": "delete"}).status_code == 302
    db_session.expire_all()
    assert r.status == RS.DELETED
    # Deleted: its producer can no longer act; staff may restore.
    assert post_form(client, f"/r/{r.identifier}/statut", {"action": "restore"}).status_code == 404
    login(client, factory.staff())
    assert post_form(client, f"/r/{r.identifier}/statut", {"action": "restore"}).status_code == 302
    db_session.expire_all()
    assert r.status == RS.DRAFT


def test_description_markdown_is_sanitised(client, producer_user, prod):
    r = resource(
        producer_user,
        prod,
        description=(
            "# Titre\n\nTexte **gras** et [lien](https://exemple.org).\n\n<script>alert('x')</script>\n\n"
            "[piège](javascript:alert(1)) <img src=https://traceur.example/p.gif onerror=alert(2)>"
        ),
    )
    html = client.get(f"/r/{r.identifier}").get_data(as_text=True)
    assert "<strong>gras</strong>" in html
    assert 'href="https://exemple.org"' in html and "noopener" in html
    assert "<script>alert" not in html and "javascript:alert" not in html
    assert "traceur.example" not in html and "onerror" not in html
    assert "<h2>Titre</h2>" in html  # the page keeps a single h1
