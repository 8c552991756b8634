"""Open export (CSV and JSON dumps of the whole base), CSV import with a report of rejected
lines, browsing with filters, producers' pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from library_helpers import PDF, producer, resource, upload
from sqlalchemy import func, select

from app.core.errors import ServiceError
from app.library import exports
from app.library.models import Resource
from app.library.models import ResourceStatus as RS
from app.library.services.identifiers import parse_identifier, resource_by_number
from app.library.services.moderation import merge_resources
from app.library.services.resources import browse, move_resource, update_resource
from app.library.services.rights import can_edit_resource, user_producers
from tests.conftest import login, page_text, post_form


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_dump_of_the_whole_base(client, factory, producer_user, prod):
    staff = factory.staff()
    a = resource(producer_user, prod, description="- une liste\n- =SOMME(A1)", is_based_on=[])
    upload(producer_user, a, "fiche.pdf", PDF)
    b = resource(producer_user, prod, title='=HYPERLINK("http://mal.example")')
    dup = resource(producer_user, prod, title="Doublon")
    gone = resource(producer_user, prod, title="Supprimée")
    draft = resource(producer_user, prod, title="Brouillon secret", publish=False)
    merge_resources(staff, dup, a)
    move_resource(producer_user, gone, RS.DELETED)
    response = client.get("/bibliotheque/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = {row["identifier"]: row for row in _rows(response.get_data(as_text=True))}
    assert draft.identifier not in rows
    assert rows[a.identifier]["status"] == "published"
    assert rows[a.identifier]["themes"] == "securite|materiel"
    assert rows[a.identifier]["licence"] == "CC-BY-SA-4.0"
    assert rows[a.identifier]["licence_url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert rows[a.identifier]["producers"] == prod.name and rows[a.identifier]["files"] == "fiche.pdf"
    assert rows[a.identifier]["description"].startswith("- une liste")  # Markdown kept as written
    assert rows[b.identifier]["title"].startswith("'=")  # no formula for spreadsheets
    assert rows[dup.identifier]["status"] == "merged" and rows[dup.identifier]["merged_into"] == a.identifier
    assert rows[gone.identifier]["status"] == "deleted" and rows[gone.identifier]["title"] == ""


def test_json_dump_of_the_whole_base(client, factory, producer_user, prod):
    a = resource(producer_user, prod)
    dup = resource(producer_user, prod, title="Doublon")
    merge_resources(factory.staff(), dup, a)
    response = client.get("/bibliotheque/export.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    [item] = [p for p in data["hasPart"] if p["identifier"] == a.identifier]
    assert item["@type"] == "LearningResource" and "@context" not in item
    assert data["redirects"][dup.identifier] == a.identifier


CSV_OK = """title;resource_type;themes;audiences;languages;licence;year_created;description;source_url
Fiche : faire sa déclaration en ligne;fiche;demarches;grand_public|seniors;fr;CC-BY-4.0;2023;Pas à pas.;https://exemple.org/fiche
Guide de l'aidant;Guide;Démarches en ligne et accès aux droits;Aidants numériques et travailleurs sociaux;;etalab-2.0;;;
Jeu inconnu;roman;cuisine;seniors;fr;GPL-3.0;vingt;;
;fiche;demarches;seniors;fr;CC0-1.0;;;
Fiche : faire sa déclaration en ligne;fiche;demarches;seniors;fr;CC0-1.0;;;
Payant;programme;mediation;mediateurs;fr;licence d'usage;2021;;
"""


def test_csv_import_creates_good_lines_and_reports_the_others(db_session, producer_user, prod):
    before = db_session.scalar(select(func.count()).select_from(Resource))
    report = exports.import_csv(producer_user, prod, CSV_OK.encode("utf-8"))
    created = {title: identifier for _line, identifier, title in report.created}
    assert set(created) == {"Fiche : faire sa déclaration en ligne", "Guide de l'aidant", "Payant"}
    rejected = dict(report.rejected)
    assert set(rejected) == {4, 5, 6}
    assert any("type de ressource inconnu" in r for r in rejected[4])
    assert any("cuisine" in r for r in rejected[4]) and any("GPL-3.0" in r for r in rejected[4])
    assert any("année invalide" in r for r in rejected[4])
    assert any("titre" in r.lower() for r in rejected[5])
    assert any("doublon" in r for r in rejected[6])
    assert db_session.scalar(select(func.count()).select_from(Resource)) == before + 3
    guide = resource_by_number(parse_identifier(created["Guide de l'aidant"]))
    assert guide.resource_type == "guide" and guide.themes == ["demarches"] and guide.audiences == ["aidants"]
    assert guide.languages == ["fr"] and guide.status == RS.DRAFT and guide.producers == [prod]
    assert guide.events[0].action == "created"
    paid = resource_by_number(parse_identifier(created["Payant"]))
    assert paid.licence == "LicenseRef-licence-usage"


def test_csv_import_round_trips_the_export(client, factory, producer_user, prod):
    original = resource(
        producer_user,
        prod,
        title="À réimporter",
        themes=["ia"],
        audiences=["jeunes"],
        is_related_to=[resource(producer_user, prod, title="Voisine").number],
    )
    dump = client.get("/bibliotheque/export.csv").data
    # The same producer re-importing its own dump: every line is a duplicate, nothing is created twice.
    again = exports.import_csv(producer_user, prod, dump)
    assert again.created == [] and all(any("doublon" in r for r in reasons) for _l, reasons in again.rejected)
    # Staff import it for another producer: created, crediting both, with the same metadata.
    other = producer(factory.user(), name="Réseau des tiers-lieux")
    report = exports.import_csv(factory.staff(), other, dump, publish=True)
    by_title = {title: identifier for _l, identifier, title in report.created}
    assert "À réimporter" in by_title and report.rejected == []
    copy = resource_by_number(parse_identifier(by_title["À réimporter"]))
    assert copy.number != original.number and copy.themes == ["ia"] and copy.audiences == ["jeunes"]
    assert {p.name for p in copy.producers} == {prod.name, other.name}
    assert [r.identifier for r in copy.related("is_related_to")] == [original.related("is_related_to")[0].identifier]
    # Someone else cannot credit a producer they do not belong to: the line is rejected, with the reason.
    outsider = factory.user()
    mine = producer(outsider, name="Mon association")
    refused = exports.import_csv(outsider, mine, dump)
    assert refused.created == [] and any("membre" in " ".join(r) for _l, r in refused.rejected)


def test_csv_import_refuses_what_is_not_a_csv(producer_user, prod):
    for data in (b"", b"\x00\x01\x02", b"titre\nA\n", b"x" * (exports.MAX_IMPORT_BYTES + 1)):
        with pytest.raises(ServiceError):
            exports.import_csv(producer_user, prod, data)


def test_import_page_shows_the_report(client, db_session, factory, producer_user, prod):
    login(client, producer_user)
    assert client.get(f"/bibliotheque/producteurs/{prod.id}/import").status_code == 200
    response = post_form(
        client,
        f"/bibliotheque/producteurs/{prod.id}/import",
        {"file": (io.BytesIO(CSV_OK.encode("cp1252")), "ressources.csv"), "publish": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "3 ressource(s) créée(s), 3 ligne(s) refusée(s)" in text
    assert "GPL-3.0" in text and "Ligne 2" in text
    wrong = post_form(
        client,
        f"/bibliotheque/producteurs/{prod.id}/import",
        {"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422 and "Colonnes manquantes" in page_text(wrong)
    login(client, factory.user())
    assert client.get(f"/bibliotheque/producteurs/{prod.id}/import").status_code == 404


def test_browse_filters(client, factory, producer_user, prod):
    a = resource(
        producer_user,
        prod,
        title="Sécurité pour seniors",
        themes=["securite"],
        audiences=["seniors"],
        resource_type="fiche",
        licence="CC0-1.0",
    )
    b = resource(
        producer_user,
        prod,
        title="Programme IA",
        themes=["ia"],
        audiences=["mediateurs"],
        resource_type="programme",
        licence="LicenseRef-licence-usage",
    )
    c = resource(producer_user, prod, title="Brouillon IA", themes=["ia"], publish=False)

    def found(query: str) -> set[str]:
        resources, _total = browse(dict(q for q in (p.split("=") for p in query.split("&")) if len(q) == 2 and q[1]))
        return {r.identifier for r in resources}

    assert found("theme=ia") == {b.identifier}
    assert found("theme=securite&audience=seniors") >= {a.identifier}
    assert b.identifier not in found("audience=seniors")
    assert found("resource_type=programme") == {b.identifier}
    assert a.identifier in found("licence=libre") and b.identifier not in found("licence=libre")
    assert found("licence=LicenseRef-licence-usage") == {b.identifier}
    assert found(f"q={b.identifier}") == {b.identifier}
    assert c.identifier not in found("q=brouillon")
    page = client.get("/bibliotheque/?theme=ia")
    assert page.status_code == 200 and "Programme IA" in page_text(page) and "Brouillon IA" not in page_text(page)
    assert client.get("/bibliotheque/?theme=inconnu&page=abc").status_code == 200


def test_producer_pages(client, db_session, factory, producer_user, prod):
    r = resource(producer_user, prod)
    draft = resource(producer_user, prod, title="Pas encore prête", publish=False)
    public = page_text(client.get(f"/bibliotheque/producteurs/{prod.id}"))
    assert r.title in public and draft.title not in public
    assert prod.name in page_text(client.get("/bibliotheque/producteurs"))
    login(client, producer_user)
    space = page_text(client.get(f"/bibliotheque/producteurs/{prod.id}/espace"))
    assert draft.title in space and "Ventes de licences" in space
    colleague = factory.user()
    assert (
        post_form(client, f"/bibliotheque/producteurs/{prod.id}/membres", {"email": colleague.email}).status_code == 302
    )
    again = post_form(client, f"/bibliotheque/producteurs/{prod.id}/membres", {"email": colleague.email})
    assert again.status_code == 422 and "déjà membre" in page_text(again)
    db_session.expire_all()
    assert can_edit_resource(colleague, r)
    newcomer = factory.user()
    login(client, newcomer)
    created = post_form(client, "/bibliotheque/producteurs/nouveau", {"kind": "person", "name": "Léa Formatrice"})
    assert created.status_code == 302
    assert [p.name for p in user_producers(newcomer)] == ["Léa Formatrice"]
    bad = post_form(client, "/bibliotheque/producteurs/nouveau", {"kind": "robot", "name": ""})
    assert bad.status_code == 422


def test_browse_and_resource_pages_do_not_query_per_item(client, count_queries, producer_user, prod):
    def queries(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter["n"]

    r = resource(producer_user, prod)
    resource(producer_user, prod, title="Deuxième")
    few_browse, few_page = queries("/bibliotheque/"), queries(f"/r/{r.identifier}")
    for i in range(6):
        resource(producer_user, prod, title=f"Ressource {i}")
        update_resource(producer_user, r, {"title": f"Titre {i}"})
    assert queries("/bibliotheque/") == few_browse
    assert queries(f"/r/{r.identifier}") == few_page
