"""Reports by anyone signed in; staff handle them and merge duplicates."""

from __future__ import annotations

import pytest
from library_helpers import PDF, PNG, paid_offer, producer, resource, upload
from sqlalchemy import select

from app.core.errors import Conflict, Forbidden, ServiceError
from app.library.models import ReportStatus, ResourceReport
from app.library.models import ResourceStatus as RS
from app.library.services.licences import grant_licence
from app.library.services.moderation import handle_report, merge_resources, report_resource
from app.library.services.resources import move_resource
from app.library.services.rights import can_edit_resource
from tests.conftest import login, page_text, post_form


def test_anyone_signed_in_reports(factory, producer_user, prod):
    r = resource(producer_user, prod)
    reader = factory.user()
    report = report_resource(reader, r, "error", "Le lien de la page 3 est cassé.")
    assert report.status == ReportStatus.OPEN and report.reporter_id == reader.id
    with pytest.raises(Conflict):
        report_resource(reader, r, "error", "Encore")
    with pytest.raises(ServiceError) as error:
        report_resource(reader, r, "inappropriate", "")
    assert error.value.field == "message"
    with pytest.raises(ServiceError) as error:
        report_resource(reader, r, "spam", "x")
    assert error.value.field == "reason"
    with pytest.raises(ServiceError) as error:
        report_resource(reader, r, "duplicate")
    assert error.value.field == "duplicate_of"
    with pytest.raises(ServiceError):
        report_resource(reader, r, "duplicate", duplicate_of=r.number)


def test_report_page(client, factory, db_session, producer_user, prod):
    r = resource(producer_user, prod)
    other = resource(producer_user, prod, title="La même fiche")
    assert client.get(f"/r/{r.identifier}/signaler").status_code == 302  # sign in first
    login(client, factory.user())
    assert client.get(f"/r/{r.identifier}/signaler").status_code == 200
    bad = post_form(client, f"/r/{r.identifier}/signaler", {"reason": "duplicate", "duplicate_of": "douze"})
    assert bad.status_code == 422 and "R12" in page_text(bad)
    ok = post_form(client, f"/r/{r.identifier}/signaler", {"reason": "duplicate", "duplicate_of": other.identifier})
    assert ok.status_code == 302
    report = db_session.scalar(select(ResourceReport).where(ResourceReport.resource_id == r.id))
    assert report.reason == "duplicate" and report.duplicate_of_id == other.id


def test_staff_handle_reports(client, factory, db_session, producer_user, prod):
    r = resource(producer_user, prod)
    report = report_resource(factory.user(), r, "outdated", "L'interface a changé.")
    with pytest.raises(Forbidden):
        handle_report(producer_user, report, ReportStatus.RESOLVED)
    staff = factory.staff()
    with pytest.raises(ServiceError):
        handle_report(staff, report, ReportStatus.DISMISSED, "")
    login(client, staff)
    page = client.get("/bibliotheque/moderation")
    assert page.status_code == 200 and "L'interface a changé." in page_text(page)
    assert (
        post_form(
            client,
            f"/bibliotheque/moderation/signalements/{report.id}",
            {"decision": "resolve", "resolution": "Le producteur a mis à jour la fiche."},
        ).status_code
        == 302
    )
    db_session.expire_all()
    assert report.status == ReportStatus.RESOLVED and report.handled_by_id == staff.id
    assert "L'interface a changé." not in page_text(client.get("/bibliotheque/moderation"))
    # A member of the public cannot reach the moderation.
    login(client, producer_user)
    assert client.get("/bibliotheque/moderation").status_code == 403


def test_merge_moves_everything_to_the_survivor(db_session, factory, producer_user, prod):
    staff = factory.staff()
    other_user = factory.user()
    other = producer(other_user, name="Association Clic Seniors")
    survivor = resource(producer_user, prod, title="Guide des démarches en ligne", themes=["demarches"])
    duplicate = resource(
        other_user,
        other,
        title="Guide démarches (copie)",
        themes=["demarches", "emploi"],
        audiences=["demandeurs_emploi"],
    )
    pointing = resource(producer_user, prod, title="Atelier qui cite le doublon", is_related_to=[duplicate.number])
    file = upload(other_user, duplicate, "guide.pdf", PDF)
    report = report_resource(factory.user(), duplicate, "duplicate", duplicate_of=survivor.number)
    merge_resources(staff, duplicate, survivor, note="Même guide.")
    db_session.expire_all()
    assert duplicate.status == RS.MERGED and duplicate.merged_into_id == survivor.id
    assert {p.name for p in survivor.producers} == {prod.name, other.name}
    assert survivor.themes == ["demarches", "emploi"] and "demandeurs_emploi" in survivor.audiences
    assert file.resource_id == survivor.id and survivor.current_files == [file]
    assert [r.identifier for r in pointing.related("is_related_to")] == [survivor.identifier]
    assert report.status == ReportStatus.RESOLVED and survivor.identifier in report.resolution
    assert duplicate.events[0].action == "merged_into"
    assert duplicate.events[0].changes["merged_into"] == {"before": None, "after": survivor.identifier}
    assert survivor.events[0].action == "merged_from"
    assert survivor.events[0].changes["merged_from"]["after"] == duplicate.identifier
    # The other producer's members now edit the survivor.
    assert can_edit_resource(other_user, survivor)


def test_merge_rules(factory, producer_user, prod):
    staff = factory.staff()
    a = resource(producer_user, prod)
    b = resource(producer_user, prod, title="B")
    with pytest.raises(Forbidden):
        merge_resources(producer_user, b, a)
    with pytest.raises(ServiceError):
        merge_resources(staff, a, a)
    paid = resource(producer_user, prod, title="Payante", licence="LicenseRef-licence-usage")
    grant_licence(paid_offer(producer_user, paid), factory.user())
    with pytest.raises(Conflict):
        merge_resources(staff, paid, a)  # sold licences are tied to it
    merge_resources(staff, b, a)
    with pytest.raises(Conflict):
        merge_resources(staff, b, a)  # already merged
    deleted = resource(producer_user, prod, title="Supprimée")
    move_resource(producer_user, deleted, RS.DELETED)
    with pytest.raises(Conflict):
        merge_resources(staff, a, deleted)


def test_merge_page(client, factory, db_session, producer_user, prod):
    a = resource(producer_user, prod)
    b = resource(producer_user, prod, title="B")
    upload(producer_user, b, "affiche.png", PNG)
    login(client, factory.staff())
    bad = post_form(client, "/bibliotheque/moderation/fusion", {"duplicate": "R999999", "survivor": a.identifier})
    assert bad.status_code == 422 and "n'existe pas" in page_text(bad)
    same = post_form(client, "/bibliotheque/moderation/fusion", {"duplicate": a.identifier, "survivor": a.identifier})
    assert same.status_code == 422
    ok = post_form(client, "/bibliotheque/moderation/fusion", {"duplicate": b.identifier, "survivor": a.identifier})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/r/{a.identifier}")
    db_session.expire_all()
    assert b.status == RS.MERGED
    # The old file address follows the merge.
    file = a.current_files[0]
    moved = client.get(f"/r/{b.identifier}/fichiers/{file.id}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/r/{a.identifier}/fichiers/{file.id}")
