"""The open-data files: valid for the national schemas, only what providers made public, cache-friendly."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from data_inclusion.schema.v1 import Service, Structure
from frictionless import Resource, Schema
from sqlalchemy import select

from app.core.models import PublicationStatus as PS
from app.demo import load_demo
from app.directory.models import Provider
from app.opendata import exports
from app.opendata.exports import generate_exports
from app.opendata.mappings import LMN_SCHEMA_FILE
from tests.conftest import login, post_form

LMN_CSV = "lieux-mediation-numerique.csv"
LMN_JSON = "lieux-mediation-numerique.json"
DI_STRUCTURES = "data-inclusion-structures.jsonl"
DI_SERVICES = "data-inclusion-services.jsonl"
CATALOGUE = "catalogue-hub-du-sud.jsonl"


def lmn_errors(resource: Resource) -> list[str]:
    report = resource.validate()
    return [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors] + [
        f"{e.type}: {e.message}" for e in report.errors
    ]


def lmn_schema() -> Schema:
    return Schema.from_descriptor(json.loads(LMN_SCHEMA_FILE.read_text(encoding="utf-8")))


def jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path))
    return tmp_path / "opendata"


def test_every_record_of_the_demo_is_valid_for_the_national_schemas(db_session, files_dir):
    load_demo("mot de passe de la démo")
    manifest = generate_exports()
    places = db_session.scalars(
        select(Provider).where(Provider.status == PS.PUBLISHED, Provider.public_address != "")
    ).all()
    published = db_session.scalars(select(Provider).where(Provider.status == PS.PUBLISHED)).all()
    assert len(places) >= 10
    files = manifest["files"]
    assert files[LMN_CSV]["rows"] == files[LMN_JSON]["rows"] == len(places)
    assert files[DI_STRUCTURES]["rows"] == len(published)
    assert all(entry["left_out"] == 0 for entry in files.values())

    # LMN: frictionless against the reference table schema, the CSV and the JSON alike
    assert lmn_errors(Resource(path=LMN_CSV, basepath=str(files_dir), schema=lmn_schema())) == []
    records = json.loads((files_dir / LMN_JSON).read_text(encoding="utf-8"))
    assert lmn_errors(Resource(data=records, schema=lmn_schema())) == []
    rows = list(csv.DictReader(io.StringIO((files_dir / LMN_CSV).read_text(encoding="utf-8"))))
    assert {r["id"] for r in rows} == {r["id"] for r in records}
    # a place whose offers are all for organisations (e.g. creating a tiers-lieu) has no LMN service
    assert sum(bool(r["services"]) for r in rows) >= len(rows) - 3

    # data·inclusion: each line valid for the package's models (warnings included), services tied to structures
    structures = jsonl(files_dir / DI_STRUCTURES)
    services = jsonl(files_dir / DI_SERVICES)
    for record in structures:
        Structure.model_validate(record, context={"ignore_warnings": False})
    for record in services:
        Service.model_validate(record, context={"ignore_warnings": False})
    assert {s["structure_id"] for s in services} <= {s["id"] for s in structures}
    assert len(services) == files[DI_SERVICES]["rows"] > 50
    assert any("numerique--acceder-a-des-services-en-ligne" in s["thematiques"] for s in services)

    # our own catalogue: stable ids, one line per provider and per published offer
    catalogue = jsonl(files_dir / CATALOGUE)
    assert len({r["id"] for r in catalogue}) == len(catalogue) == len(published) + len(services)


def test_contact_details_go_out_only_with_the_providers_consent(db_session, factory, files_dir):
    quiet = factory.provider(
        name="Lieu Discret",
        public_address="1 rue du Silence",
        contact_email="discret@lieu.example.org",
        contact_phone="04 42 11 22 33",
    )
    open_ = factory.provider(
        name="Lieu Ouvert",
        public_address="2 rue de la Parole",
        contact_email="ouvert@lieu.example.org",
        contact_phone="04 42 44 55 66",
        opendata_contact=True,
    )
    factory.offer(provider=quiet, skills=["mediation.demarches"])
    factory.offer(provider=open_, skills=["mediation.demarches"])
    generate_exports()
    everything = "".join((files_dir / f).read_text(encoding="utf-8") for f in exports.BY_FILENAME)
    assert "discret@lieu.example.org" not in everything
    assert "+33442112233" not in everything and "04 42 11 22 33" not in everything
    assert "ouvert@lieu.example.org" in everything and "+33442445566" in everything
    lmn = {r["nom"]: r for r in json.loads((files_dir / LMN_JSON).read_text(encoding="utf-8"))}
    assert lmn["Lieu Discret"]["courriels"] is None
    assert lmn["Lieu Ouvert"]["modalites_acces"] == "Se présenter|Contacter par mail"


def test_the_consent_box_is_on_the_provider_form_and_off_by_default(client, factory):
    provider = factory.provider()
    assert provider.opendata_contact is False
    login(client, provider.memberships[0].user)
    page = client.get(f"/prestataire/{provider.id}/modifier").get_data(as_text=True)
    assert 'name="opendata_contact"' in page and "checked" not in page.split('name="opendata_contact"')[1][:80]


def test_a_provider_without_a_public_address_is_not_a_place(db_session, factory, files_dir):
    factory.offer(provider=factory.provider(name="Expert Itinérant"))
    generate_exports()
    assert "Expert Itinérant" not in (files_dir / LMN_CSV).read_text(encoding="utf-8")
    assert "Expert Itinérant" in (files_dir / DI_STRUCTURES).read_text(encoding="utf-8")


def test_files_are_served_with_etag_and_last_modified_and_304(client, factory, files_dir):
    factory.offer(provider=factory.provider(public_address="3 place du Marché"))
    first = generate_exports()
    response = client.get(f"/donnees/{LMN_CSV}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    etag = response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert client.get(f"/donnees/{LMN_CSV}", headers={"If-None-Match": etag}).status_code == 304
    # unchanged content: same digest and same date, so caches stay valid
    again = generate_exports()
    assert again["files"][LMN_CSV]["updated_at"] == first["files"][LMN_CSV]["updated_at"]
    assert client.get(f"/donnees/{LMN_CSV}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/donnees/inconnu.csv").status_code == 404
    assert not list(files_dir.glob(".*.tmp")), "no temporary file left behind"


def test_depuis_returns_only_what_changed(client, db_session, factory, files_dir):
    old = factory.offer(provider=factory.provider(name="Ancien Lieu", public_address="4 rue Vieille"))
    new = factory.offer(provider=factory.provider(name="Nouveau Lieu", public_address="5 rue Neuve"))
    long_ago = datetime(2025, 1, 15, tzinfo=UTC)
    for entity in (old, old.provider):
        db_session.execute(
            type(entity).__table__.update().where(type(entity).id == entity.id).values(updated_at=long_ago)
        )
    db_session.flush()
    db_session.expire_all()
    generate_exports()
    body = client.get(f"/donnees/{LMN_CSV}?depuis=2026-01-01").get_data(as_text=True)
    assert "Nouveau Lieu" in body and "Ancien Lieu" not in body
    assert body.startswith("id,pivot,nom")
    lines = client.get(f"/donnees/{DI_SERVICES}?depuis=2026-01-01").get_data(as_text=True).splitlines()
    assert {json.loads(line)["id"] for line in lines} == {f"hub-du-sud--offre-{new.id}"}
    all_lines = client.get(f"/donnees/{DI_SERVICES}?depuis=2024-12-31").get_data(as_text=True).splitlines()
    assert len(all_lines) == 2
    changed = client.get(f"/donnees/{LMN_JSON}?depuis=2026-01-01")
    assert [r["nom"] for r in changed.get_json()] == ["Nouveau Lieu"]
    assert (
        client.get(
            f"/donnees/{LMN_JSON}?depuis=2026-01-01", headers={"If-None-Match": changed.headers["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.parametrize("bad", ["hier", "2026-13-01", "01/11/2026", "2026-11-1", ""])
def test_a_bad_depuis_date_is_a_400_in_french(client, factory, files_dir, bad):
    factory.offer(provider=factory.provider(public_address="6 rue Droite"))
    generate_exports()
    response = client.get(f"/donnees/{LMN_CSV}?depuis={bad}")
    assert response.status_code == 400
    assert "AAAA-MM-JJ" in response.get_data(as_text=True)


def test_the_datasets_page_lists_licence_rows_schema_and_links(client, factory, files_dir):
    assert "pas encore été générés" in client.get("/donnees").get_data(as_text=True)
    factory.offer(provider=factory.provider(public_address="7 rue Haute"))
    staff = factory.staff()
    login(client, staff)
    response = post_form(client, "/donnees/generer")
    assert response.status_code == 302
    page = client.get("/donnees").get_data(as_text=True)
    assert "Licence Ouverte" in page and "Etalab" in page
    assert "Lieux de médiation numérique" in page and "1.0.2" in page and "1.0.10" in page
    for filename in exports.BY_FILENAME:
        assert f'href="/donnees/{filename}"' in page
    assert (files_dir / "manifest.json").exists()


def test_the_command_and_the_periodic_job_write_the_files(app, factory, files_dir):
    from app.cli import PERIODIC_JOBS

    assert ("opendata-export", "daily", "opendata-export") in PERIODIC_JOBS
    factory.offer(provider=factory.provider(public_address="8 rue Basse"))
    result = app.test_cli_runner().invoke(args=["hub", "opendata-export"])
    assert result.exit_code == 0, result.output
    assert f"{LMN_CSV}: 1 rows" in result.output
    assert (files_dir / LMN_CSV).exists() and (files_dir / "manifest.json").exists()


@pytest.mark.slow
def test_a_10000_offer_synthetic_catalogue_exports_without_an_error(db_session, files_dir):
    import random

    from app.opendata.bench import synthetic_catalogue

    synthetic_catalogue(1000, 10_000, random.Random(16))
    manifest = generate_exports()
    files = manifest["files"]
    assert files[DI_SERVICES]["rows"] == 10_000 and files[LMN_CSV]["rows"] == 500
    assert all(entry["left_out"] == 0 for entry in files.values())
    assert lmn_errors(Resource(path=LMN_CSV, basepath=str(files_dir), schema=lmn_schema())) == []
    records = json.loads((files_dir / LMN_JSON).read_text(encoding="utf-8"))
    assert lmn_errors(Resource(data=records, schema=lmn_schema())) == []
    for record in jsonl(files_dir / DI_STRUCTURES):
        Structure.model_validate(record, context={"ignore_warnings": False})
    for record in jsonl(files_dir / DI_SERVICES):
        Service.model_validate(record, context={"ignore_warnings": False})
