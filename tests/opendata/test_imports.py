"""Imports as invitations: matched records become proposed merges, the others places to claim; nothing
becomes a provider until its own people claim it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from app.core.mail import OutboxEmail
from app.core.models import PublicationStatus as PS
from app.directory.models import Provider
from app.directory.services import catalogue
from app.opendata import imports
from app.opendata.exports import LMN_FIELDS, generate_exports
from app.opendata.models import ImportedPlace, PlaceStatus
from tests.conftest import login, post_form

SIRET_KNOWN = "73282932000074"


def lmn_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LMN_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in LMN_FIELDS})
    return out.getvalue().encode("utf-8")


def place(ident, name, **values) -> dict:
    return {
        "id": ident,
        "pivot": "00000000000000",
        "nom": name,
        "commune": "Aix-en-Provence",
        "code_postal": "13090",
        "code_insee": "13001",
        "adresse": "1 place de l'Hôtel de Ville",
        "date_maj": "2026-10-01",
        **values,
    }


def counts(db_session) -> tuple[int, int, int]:
    return (
        db_session.scalar(select(func.count(Provider.id))),
        db_session.scalar(select(func.count(ImportedPlace.id))),
        db_session.scalar(select(func.count(OutboxEmail.id))),
    )


@pytest.fixture
def national_file(factory):
    by_siret = factory.provider(name="Espace Public Numérique du Jas", siret=SIRET_KNOWN)
    by_name = factory.provider(name="Médiathèque Méjanes - Espace numérique")
    rows = [
        place("cnfs-1", "EPN Jas de Bouffan", pivot=SIRET_KNOWN),  # same SIRET, another name
        place("cnfs-2", "Mediatheque Mejanes espace numérique"),  # same commune, close name
        place(
            "cnfs-3",
            "Tiers-lieu La Fabrique",
            courriels="contact@lafabrique.example.org",
            site_web="https://www.lafabrique.example.org",
        ),
        place("cnfs-4", "Point d'accès numérique CAF"),  # no contact
        place("cnfs-5", "Sans adresse", adresse=""),
        place("cnfs-6", "Commune inconnue", code_insee="99999", code_postal="00000", commune="Nulle part"),
    ]
    return lmn_csv(rows), by_siret, by_name


def test_a_national_file_gives_merges_invitations_places_to_claim_and_a_full_report(db_session, factory, national_file):
    content, by_siret, by_name = national_file
    staff = factory.staff()
    providers_before, _places, mails_before = counts(db_session)
    batch = imports.import_file(staff, "lieux.csv", content)
    assert batch.counts == {"merge_proposed": 2, "invited": 1, "to_claim": 1, "skipped": 0, "rejected": 2}
    outcome = {row["id"]: row for row in batch.report}
    assert [row["line"] for row in batch.report] == [2, 3, 4, 5, 6, 7]
    assert "Adresse manquante" in outcome["cnfs-5"]["reason"]
    assert "Commune inconnue" in outcome["cnfs-6"]["reason"]
    places = {p.source_key: p for p in db_session.scalars(select(ImportedPlace))}
    assert places["lmn:cnfs-1"].match_provider_id == by_siret.id and places["lmn:cnfs-1"].match_score == 100
    assert places["lmn:cnfs-2"].match_provider_id == by_name.id
    assert places["lmn:cnfs-3"].status == PlaceStatus.INVITED and places["lmn:cnfs-4"].status == PlaceStatus.TO_CLAIM
    providers, _places, mails = counts(db_session)
    assert providers == providers_before, "an import never creates a provider"
    assert mails == mails_before + 1
    mail = db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    assert mail.recipient == "contact@lafabrique.example.org"
    assert f"/lieux/revendiquer/{places['lmn:cnfs-3'].claim_token}" in mail.body

    # the same file again changes nothing: every good line is skipped, no second invitation
    again = imports.import_file(staff, "lieux.csv", content)
    assert again.counts == {"merge_proposed": 0, "invited": 0, "to_claim": 0, "skipped": 4, "rejected": 2}
    assert counts(db_session) == (providers, len(places), mails)


def test_imported_places_stay_out_of_search_catalogue_and_directory(client, db_session, factory, national_file):
    content, *_ = national_file
    _offers, total_before = catalogue({})
    imports.import_file(factory.staff(), "lieux.csv", content)
    assert catalogue({})[1] == total_before
    assert "Tiers-lieu La Fabrique" not in client.get("/recherche?q=Fabrique").get_data(as_text=True)
    assert "Tiers-lieu La Fabrique" not in client.get("/prestataires").get_data(as_text=True)
    assert "Tiers-lieu La Fabrique" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_export_then_import_of_our_own_files_creates_nothing(app, db_session, factory, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path))
    for n in range(3):
        factory.offer(provider=factory.provider(name=f"Lieu du Hub {n}", public_address=f"{n} rue du Port"))
    generate_exports()
    staff = factory.staff()
    before = counts(db_session)
    folder = tmp_path / "opendata"
    for filename in (
        "lieux-mediation-numerique.csv",
        "lieux-mediation-numerique.json",
        "data-inclusion-structures.jsonl",
    ):
        batch = imports.import_file(staff, filename, (folder / filename).read_bytes())
        assert batch.counts["skipped"] >= 3 and batch.counts["rejected"] == 0, batch.report
        assert {row["outcome"] for row in batch.report} == {"skipped"}
    assert counts(db_session) == before


def test_a_data_inclusion_file_with_bad_rows_imports_the_good_ones(db_session, factory):
    good = {
        "source": "dora",
        "id": "dora--1",
        "nom": "Centre social Les Amandiers",
        "date_maj": "2026-10-01",
        "code_insee": "13001",
        "commune": "Aix-en-Provence",
        "adresse": "2 rue des Amandiers",
    }
    bad_date = good | {"id": "dora--2", "date_maj": "pas une date"}
    short = good | {"id": "dora--3", "nom": "X"}
    lines = [json.dumps(good), json.dumps(bad_date), "{pas du json", json.dumps(short)]
    batch = imports.import_file(factory.staff(), "structures.jsonl", "\n".join(lines).encode())
    assert batch.counts == {"merge_proposed": 0, "invited": 0, "to_claim": 1, "skipped": 0, "rejected": 3}
    reasons = [row["reason"] for row in batch.report if row["outcome"] == "rejected"]
    assert "date_maj" in reasons[0] and "JSON illisible" in reasons[1] and "nom" in reasons[2]


def test_a_file_in_an_unknown_format_is_refused_whole(factory):
    with pytest.raises(imports.ServiceError, match="Format inconnu"):
        imports.import_file(factory.staff(), "lieux.xlsx", b"PK...")


def _invited(db_session, factory, email="contact@lafabrique.example.org"):
    content = lmn_csv([place("cnfs-9", "Tiers-lieu La Fabrique", courriels=email)])
    imports.import_file(factory.staff(), "lieux.csv", content)
    return db_session.scalar(select(ImportedPlace).where(ImportedPlace.source_key == "lmn:cnfs-9"))


def test_a_claim_from_the_places_own_domain_makes_it_a_provider(client, db_session, factory):
    invited = _invited(db_session, factory)
    member = factory.user(email="direction@lafabrique.example.org", intent="provider")
    login(client, member)
    assert "Revendiquer ce lieu" in client.get(f"/lieux/revendiquer/{invited.claim_token}").get_data(as_text=True)
    response = post_form(client, f"/lieux/revendiquer/{invited.claim_token}")
    assert response.status_code == 302 and "/modifier" in response.headers["Location"]
    db_session.expire_all()
    invited = db_session.get(ImportedPlace, invited.id)
    assert invited.status == PlaceStatus.CLAIMED
    provider = db_session.get(Provider, invited.provider_id)
    assert provider.name == "Tiers-lieu La Fabrique" and provider.public_address == "1 place de l'Hôtel de Ville"
    assert provider.status == PS.SUBMITTED, "its members complete it; staff publish it"
    assert provider.memberships[0].user_id == member.id


def test_a_claim_from_another_domain_is_refused_until_staff_approve(client, db_session, factory):
    invited = _invited(db_session, factory)
    before = counts(db_session)[0]
    outsider = factory.user(email="quelquun@autre.example.net")
    login(client, outsider)
    post_form(client, f"/lieux/revendiquer/{invited.claim_token}")
    db_session.expire_all()
    invited = db_session.get(ImportedPlace, invited.id)
    assert invited.status == PlaceStatus.CLAIM_PENDING and invited.provider_id is None
    assert counts(db_session)[0] == before
    staff = factory.staff()
    imports.decide_claim(staff, invited, approve=False)
    assert invited.status == PlaceStatus.INVITED and invited.claimant_id is None
    imports.claim_place(outsider, invited)
    imports.decide_claim(staff, invited, approve=True)
    assert invited.status == PlaceStatus.CLAIMED and counts(db_session)[0] == before + 1


def test_a_webmail_address_never_proves_the_domain(db_session, factory):
    invited = _invited(db_session, factory, email="lafabrique13@gmail.com")
    imports.claim_place(factory.user(email="nimportequi@gmail.com"), invited)
    assert invited.status == PlaceStatus.CLAIM_PENDING


def test_staff_confirm_a_merge_and_the_provider_gets_what_it_lacked(client, db_session, factory, national_file):
    content, _by_siret, by_name = national_file
    staff = factory.staff()
    imports.import_file(staff, "lieux.csv", content)
    proposal = db_session.scalar(select(ImportedPlace).where(ImportedPlace.source_key == "lmn:cnfs-2"))
    login(client, staff)
    page = client.get("/donnees/imports").get_data(as_text=True)
    assert "Mediatheque Mejanes espace numérique" in page and "Confirmer la fusion" in page
    before = counts(db_session)[0]
    response = post_form(client, f"/donnees/lieux/{proposal.id}/fusion", {"action": "confirm"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(ImportedPlace, proposal.id).status == PlaceStatus.MERGED
    assert db_session.get(Provider, by_name.id).public_address == "1 place de l'Hôtel de Ville"
    assert counts(db_session)[0] == before
    refused = db_session.scalar(select(ImportedPlace).where(ImportedPlace.source_key == "lmn:cnfs-1"))
    post_form(client, f"/donnees/lieux/{refused.id}/fusion", {"action": "refuse"})
    db_session.expire_all()
    assert db_session.get(ImportedPlace, refused.id).status == PlaceStatus.TO_CLAIM


def test_staff_import_through_the_page_and_read_the_report(client, db_session, factory, national_file):
    content, *_ = national_file
    login(client, factory.staff())
    response = post_form(
        client, "/donnees/imports", {"file": (io.BytesIO(content), "lieux.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "fusion proposée" in report and "Adresse manquante" in report and "cnfs-6" in report
    assert "<progress" not in report, "the in-process job ran at the commit: the report is complete"
    state = client.get(response.headers["Location"] + "/etat").get_json()
    assert state == {"status": "done", "done": 6, "total": 6}
    bad = post_form(
        client, "/donnees/imports", {"file": (io.BytesIO(b"x"), "lieux.xlsx")}, content_type="multipart/form-data"
    )
    assert bad.status_code == 422 and "Format inconnu" in bad.get_data(as_text=True)


def test_the_import_reports_its_progress_chunk_by_chunk(db_session, factory, national_file, monkeypatch):
    content, *_ = national_file
    monkeypatch.setattr(imports, "CHUNK", 2)
    batch = imports.prepare_import(factory.staff(), "lieux.csv", content)
    assert (batch.status, batch.total, batch.done) == ("pending", 6, 0)
    seen = []
    imports.run_import(batch, content, on_progress=lambda: seen.append((batch.status, batch.done, len(batch.report))))
    assert seen == [("running", 2, 2), ("running", 4, 4), ("running", 6, 6)]
    assert batch.status == "done" and batch.counts["merge_proposed"] == 2


def test_the_import_command(app, db_session, factory, national_file, tmp_path):
    content, *_ = national_file
    staff = factory.staff()
    path = tmp_path / "lieux.csv"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["hub", "opendata-import", str(path), "--staff", staff.email])
    assert result.exit_code == 0, result.output
    assert "merge_proposed: 2" in result.output and "rejected: 2" in result.output


def test_the_sample_national_file_on_the_demo_gives_two_merges_and_invitations(client, db_session):
    """The issue's "done when": staff import the sample file, confirm two merges, invite the rest; a place
    claims its listing and becomes a provider."""
    from pathlib import Path

    from app.accounts.models import User
    from app.demo import STAFF_EMAIL, load_demo

    load_demo("mot de passe de la démo")
    staff = db_session.scalar(select(User).where(User.email == STAFF_EMAIL))
    sample = Path(imports.__file__).with_name("exemple-lieux-mediation-numerique.csv")
    batch = imports.import_file(staff, sample.name, sample.read_bytes())
    assert batch.counts == {"merge_proposed": 2, "invited": 3, "to_claim": 1, "skipped": 0, "rejected": 1}
    merges = db_session.scalars(select(ImportedPlace).where(ImportedPlace.status == PlaceStatus.PROPOSED_MERGE)).all()
    assert {p.match_provider.name for p in merges} == {"Pôle Numérique Solidaire du Pays d'Aix", "Collectif Clic Azur"}
    for proposal in merges:
        imports.decide_merge(staff, proposal, confirm=True)
    salon = db_session.scalar(select(ImportedPlace).where(ImportedPlace.source_key == "lmn:exemple-3"))
    librarian = User(email="direction@mediatheque-salon.example.org", password_hash="x", full_name="Direction")
    librarian.email_confirmed_at = salon.created_at
    db_session.add(librarian)
    db_session.flush()
    imports.claim_place(librarian, salon)
    assert salon.status == PlaceStatus.CLAIMED and salon.provider.memberships[0].user_id == librarian.id
    assert salon.provider.status == PS.SUBMITTED
