"""Right of access and portability: the export holds everything the register lists for the person
and nothing of anyone else; its link expires and is the person's only; staff answering a written
request and staff reads of personal data are in the person's access log."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.charter import assessments as charter
from app.charter.models import SubjectKind
from app.core.access_log import AccessLogEntry, record_read
from app.core.mail import OutboxEmail, send_mail
from app.core.models import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.privacy import exports
from app.privacy.models import DataExport, ExportStatus
from app.privacy.register import person_rows, register
from app.vouchers.funders import add_funder_member, create_funder
from tests.charter.labels_helpers import tiny_version
from tests.conftest import login, page_text, post_form
from tests.library.library_helpers import PDF, producer, resource, upload


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    return tmp_path / "files"


def person(factory, first: str, last: str, phone: str, staff):
    """A person with rich data in most processings, built through the services."""
    tag = first.lower()
    user = factory.user(email=f"{tag}.{last.lower()}@exemple.fr", name=f"{first} {last}", intent="provider")
    org = factory.organisation(
        owner=user, name=f"Association de {first}", contact_phone=phone, contact_email=f"asso-{tag}@exemple.org"
    )
    need = factory.need(
        organisation=org,
        user=user,
        contact_name=f"{first} {last}",
        contact_email=f"besoin-{tag}@exemple.org",
        contact_phone=phone,
    )
    provider = factory.provider(
        owner=user,
        name=f"Atelier de {first}",
        contact_phone=phone,
        iban="FR7630006000011234567890189",
        bank_holder=f"{first} {last}",
    )
    made_by = producer(user, name=f"Collectif de {first}")
    item = resource(user, made_by, title=f"Fiche de {first}")
    upload(user, item, name=f"support-{tag}.pdf", data=PDF + tag.encode())
    if charter.current_version() is None:
        tiny_version()
    assessment = charter.open_assessment(user, SubjectKind.PROVIDER, provider.id)
    inputs = {
        vc.criterion_id: charter.AnswerInput(
            answer="yes", text=f"Preuve de {first}", file_name=f"preuve-{tag}.pdf", file_bytes=PDF + tag.encode()
        )
        for vc in charter.applicable_criteria(assessment.version, assessment.subject_kind)
    }
    assert charter.save_answers(user, assessment, inputs) == {}
    send_mail(user.email, "Bienvenue", f"Bonjour {first}")
    record_read("need_contact", organisations=[org.id], detail=f"need:{need.id}", actor_id=staff.id)
    db.session.flush()
    return user, need


def archive_texts(data: bytes) -> dict[str, str | bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_what_the_register_lists_for_the_person_and_nothing_of_anyone_else(factory):
    staff = factory.user(staff=True, name="Sacha Équipe")
    alice, alice_need = person(factory, "Alice", "Lemaire", "04 91 11 11 11", staff)
    bob, _bob_need = person(factory, "Bob", "Durand", "04 92 22 22 22", staff)

    files = archive_texts(exports.build_archive(alice.id))
    text = "\n".join(v.decode("utf-8", "replace") for v in files.values())
    for trace in (
        "bob.durand@exemple.fr",
        "Bob Durand",
        "04 92 22 22 22",
        "besoin-bob@",
        "asso-bob@",
        "Atelier de Bob",
    ):
        assert trace not in text, f"{trace!r} (someone else's) is in the export"
    for trace in (
        "alice.lemaire@exemple.fr",
        "Alice Lemaire",
        "04 91 11 11 11",
        "besoin-alice@exemple.org",
        "FR7630006000011234567890189",
        "Preuve de Alice",
        "Fiche de Alice",
        "Bonjour Alice",
    ):
        assert trace in text, f"{trace!r} is missing from the export"
    assert "password_hash" not in text and alice.password_hash not in text

    # Every row the register's subject paths reach, in every processing that covers its table.
    reg, rows = register(), person_rows(alice.id)
    import json

    for processing in reg.processings:
        for table, columns in processing.columns.items():
            if rows.get(table):
                part = json.loads(files[f"{processing.id}.json"])
                assert len(part["tables"][table]) == len(rows[table]), (processing.id, table)
                exported = set(part["tables"][table][0])
                assert exported == set(columns) - set(reg.entry(table).not_exported), (processing.id, table)
    assert {
        "accounts.json",
        "directory.json",
        "needs_matching.json",
        "payments_accounting.json",
        "knowledge_base.json",
        "charter.json",
        "emails.json",
        "privacy.json",
    } <= set(files)
    assert [n["id"] for n in json.loads(files["needs_matching.json"])["tables"]["need"]] == [alice_need.id]
    # the files: charter evidence and the resource file she uploaded, byte for byte
    assert (
        files["fichiers/ressources/" + next(n.split("/")[-1] for n in files if "support-alice" in n)] == PDF + b"alice"
    )
    assert [files[n] for n in files if n.startswith("fichiers/charte/")] and all(
        files[n] == PDF + b"alice" for n in files if n.startswith("fichiers/charte/")
    )
    log = json.loads(files["journal-des-acces.json"])
    assert [(e["who"], e["reference"]) for e in log] == [("Sacha Équipe", f"need:{alice_need.id}")]
    bobs = str(exports.collect(bob.id))  # and the other way round
    assert "bob.durand@exemple.fr" in bobs and "Alice Lemaire" not in bobs and "04 91 11 11 11" not in bobs


def _link_path(user) -> str:
    mail = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == user.email).order_by(OutboxEmail.id.desc())
    ).first()
    match = re.search(r"/compte/donnees/telecharger/\S+", mail.body)
    assert match, mail.body
    return match.group(0)


def test_download_my_data_once_per_double_click_only_for_me_until_the_link_expires(client, factory, files_dir):
    alice, bob = factory.user(name="Alice Lemaire"), factory.user(name="Bob Durand")
    login(client, alice)
    page = client.get("/compte/donnees")
    assert page.status_code == 200 and "Télécharger mes données" in page_text(page)
    assert "Comptes et connexion" in page_text(page)  # what the hub keeps, per processing
    for _ in range(2):  # a double click
        assert post_form(client, "/compte/donnees/export").status_code == 302
    mine = db.session.scalars(select(DataExport).where(DataExport.user_id == alice.id)).all()
    assert [e.status for e in mine] == [ExportStatus.READY]
    link = _link_path(alice)

    answer = client.get(link)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert alice.email in archive_texts(answer.data)["accounts.json"].decode()

    login(client, bob)  # another account: the link means nothing to it
    assert client.get(link).status_code == 404

    login(client, alice)
    export = db.session.get(DataExport, mine[0].id)
    stored = files_dir / "exports" / export.filename
    assert stored.is_file()
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.get(link)
    assert expired.status_code == 410
    assert "a expiré" in page_text(expired) and "Mes données" in page_text(expired)
    db.session.expire_all()
    assert not stored.exists() and db.session.get(DataExport, export.id).status == ExportStatus.EXPIRED


def test_a_link_past_its_signature_age_is_refused_and_purges(factory, files_dir, monkeypatch):
    import itsdangerous.timed

    alice = factory.user()
    export, created = exports.request_export(alice)
    exports.build_export(export.id)
    assert created and export.status == ExportStatus.READY
    signed = exports._serializer().dumps(export.token)
    assert exports.open_export(signed, alice)[0] is export  # valid now
    export.expires_at = utcnow() + timedelta(days=30)  # even if the row said otherwise, the signature ages
    later = int((utcnow() + timedelta(days=exports.EXPORT_DAYS, seconds=5)).timestamp())
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    with pytest.raises(exports.ExportExpired):
        exports.open_export(signed, alice)
    assert export.status == ExportStatus.EXPIRED and not (files_dir / "exports" / f"{export.token}.zip").exists()


def test_staff_answer_a_written_request_and_it_is_logged(client, factory):
    staff, alice = factory.user(staff=True, name="Sacha Équipe"), factory.user(name="Alice Lemaire")
    login(client, staff)
    refused = post_form(client, "/moderation/donnees", {"email": alice.email, "reason": "court"})
    assert refused.status_code == 422
    done = post_form(client, "/moderation/donnees", {"email": alice.email, "reason": "Courrier reçu le 12 mars"})
    assert done.status_code == 302
    export = db.session.scalars(select(DataExport).where(DataExport.user_id == alice.id)).one()
    assert (export.requested_by_id, export.reason, export.status) == (
        staff.id,
        "Courrier reçu le 12 mars",
        ExportStatus.READY,
    )
    entry = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_user_id == alice.id)).one()
    assert (entry.actor_id, entry.what, entry.reason) == (staff.id, "data_export", "Courrier reçu le 12 mars")
    assert (
        post_form(
            client, "/moderation/donnees", {"email": "personne@exemple.fr", "reason": "Courrier du 12 mars"}
        ).status_code
        == 422
    )

    login(client, staff)  # staff cannot download it: the link is the person's
    assert client.get(_link_path(alice)).status_code == 404
    login(client, alice)
    page = page_text(client.get("/compte/donnees"))
    assert "Sacha Équipe" in page and "Courrier reçu le 12 mars" in page


def test_staff_reads_of_personal_data_are_logged_for_the_person_only(client, factory):
    staff = factory.user(staff=True, name="Sacha Équipe")
    alice = factory.user(name="Alice Lemaire")
    colleague = factory.user(name="Claude Collègue")
    need = factory.need(organisation=factory.organisation(owner=alice), user=alice)
    page = path_for("needs.detail", need_id=need.id)

    login(client, alice)  # the person herself: not a staff read
    assert client.get(page).status_code == 200
    login(client, staff)
    assert client.get(page).status_code == 200
    entries = db.session.scalars(select(AccessLogEntry)).all()
    assert [(e.subject_user_id, e.actor_id, e.what, e.detail, e.route) for e in entries] == [
        (alice.id, staff.id, "need_contact", f"need:{need.id}", page)
    ]
    assert colleague.id not in {e.subject_user_id for e in entries}
    login(client, alice)
    assert "coordonnées d'un besoin" in page_text(client.get("/compte/donnees"))

    funder = create_funder(staff, {"name": "Ville de Digne", "kind": "commune"})
    add_funder_member(staff, funder, colleague.email)  # a funder's members, listed to staff
    login(client, staff)
    assert client.get("/moderation/financeurs").status_code == 200
    read = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_user_id == colleague.id)).one()
    assert (read.actor_id, read.what) == (staff.id, "organisation_members")


def test_an_export_whose_job_was_lost_does_not_block_the_next_one(factory):
    alice = factory.user()
    first, created = exports.request_export(alice)  # its job never ran (recorded, not committed here)
    assert created and exports.request_export(alice) == (first, False)
    first.created_at = utcnow() - exports.STALE - timedelta(minutes=1)
    second, created = exports.request_export(alice)
    assert created and second.id != first.id and first.status == ExportStatus.FAILED
