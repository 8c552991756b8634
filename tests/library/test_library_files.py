"""Uploads: size limit, type from content (magic bytes), names that lie, content-addressed
storage (the same file stored once), versions kept, downloads."""

from __future__ import annotations

import hashlib
import io

import pytest
from library_helpers import DOCX, JPEG, MP4, ODT, PDF, PNG, ZIP, resource, upload
from sqlalchemy import func, select

from app.core.errors import Forbidden
from app.library import filetypes
from app.library.models import FileVersion, StoredBlob
from app.library.services.files import FileTooLarge, MisnamedFile, UnsupportedFile, add_file_version, remove_file
from tests.conftest import login, page_text, post_form


def _detect(tmp_path, data: bytes, name: str = "f"):
    path = tmp_path / "probe"
    path.write_bytes(data)
    kind = filetypes.detect(path, name)
    return kind.code if kind else None


@pytest.mark.parametrize(
    "data,name,code",
    [
        (PDF, "a.pdf", "pdf"),
        (PNG, "a.png", "png"),
        (JPEG, "a.jpg", "jpeg"),
        (ODT, "a.odt", "odt"),
        (DOCX, "a.docx", "docx"),
        (ZIP, "a.zip", "zip"),
        (MP4, "a.mp4", "mp4"),
        (b"GIF89a\x01\x00", "a.gif", "gif"),
        (b"ID3\x03\x00\x00\x00", "a.mp3", "mp3"),
        (b"OggS\x00\x02", "a.ogg", "ogg"),
        ("Bonjour, voici un texte accentué.\n".encode(), "a.txt", "text"),
        (b"# Titre\n\n- point\n", "a.md", "markdown"),
        (b"titre;licence\nA;CC0-1.0\n", "a.csv", "csv"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "a.exe", None),  # a Windows program
        (b"<!DOCTYPE html><script>alert(1)</script>", "a.txt", None),  # markup is not plain text
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "a.svg", None),
        (b"\x00\x01\x02\x03binary", "a.bin", None),
        (b"PK\x03\x04broken", "a.zip", None),
    ],
)
def test_detector_reads_the_content(tmp_path, data, name, code):
    assert _detect(tmp_path, data, name) == code


def test_upload_is_stored_by_content_hash(files_dir, db_session, producer_user, prod):
    r = resource(producer_user, prod)
    file = upload(producer_user, r, "Support atelier.pdf", PDF)
    version = file.current
    digest = hashlib.sha256(PDF).hexdigest()
    assert version.blob.sha256 == digest and version.blob.size == len(PDF)
    assert version.blob.mime_type == "application/pdf"
    assert version.filename == "Support atelier.pdf"
    stored = files_dir / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == PDF
    assert list((files_dir / "tmp").iterdir()) == []  # the spooled copy was moved, not left behind


def test_the_same_file_uploaded_twice_is_stored_once(files_dir, db_session, producer_user, prod):
    a = resource(producer_user, prod)
    b = resource(producer_user, prod, title="Autre ressource")
    upload(producer_user, a, "guide.pdf", PDF)
    upload(producer_user, b, "le-meme-guide.pdf", PDF)
    upload(producer_user, a, "encore.pdf", PDF)
    assert db_session.scalar(select(func.count()).select_from(StoredBlob)) == 1
    assert db_session.scalar(select(func.count()).select_from(FileVersion)) == 3
    assert len([p for p in files_dir.glob("??/??/*") if p.is_file()]) == 1


def test_too_big_is_refused_and_nothing_is_kept(app, monkeypatch, files_dir, db_session, producer_user, prod):
    monkeypatch.setitem(app.config, "LIBRARY_MAX_FILE_BYTES", 1024)
    r = resource(producer_user, prod)
    with pytest.raises(FileTooLarge) as error:
        upload(producer_user, r, "gros.pdf", PDF + b"0" * 2048)
    assert error.value.status == 413 and error.value.field == "file"
    assert "1 Ko" in str(error.value.message)
    assert db_session.scalar(select(func.count()).select_from(StoredBlob)) == 0
    assert list((files_dir / "tmp").iterdir()) == []


def test_wrong_type_is_refused(producer_user, prod):
    r = resource(producer_user, prod)
    with pytest.raises(UnsupportedFile) as error:
        upload(producer_user, r, "installeur.exe", b"MZ\x90\x00" + b"\x00" * 200)
    assert error.value.status == 415
    with pytest.raises(UnsupportedFile):
        upload(producer_user, r, "page.txt", b"<html><body><script>alert(1)</script></body></html>")
    with pytest.raises(UnsupportedFile):
        upload(producer_user, r, "vide.pdf", b"")


@pytest.mark.parametrize(
    "name,data,kind",
    [
        ("rapport.pdf", PNG, "PNG"),
        ("photo.jpg", PDF, "PDF"),
        ("notes.txt", DOCX, "DOCX"),
        ("programme.odt", ZIP, "ZIP"),
        ("video.mp4", b"du texte, pas une video", "texte brut"),
    ],
)
def test_a_name_that_lies_about_the_type_is_refused(producer_user, prod, name, data, kind):
    r = resource(producer_user, prod)
    with pytest.raises(MisnamedFile) as error:
        upload(producer_user, r, name, data)
    assert kind in str(error.value.message) and name in str(error.value.message)


def test_a_name_without_extension_gets_the_right_one(producer_user, prod):
    r = resource(producer_user, prod)
    assert upload(producer_user, r, "affiche", PNG).current.filename == "affiche.png"
    assert upload(producer_user, r, "../../etc/passwd.pdf", PDF).current.filename == "passwd.pdf"


def test_versions_are_kept_and_downloadable(client, producer_user, prod):
    r = resource(producer_user, prod)
    file = upload(producer_user, r, "support.pdf", PDF)
    second = PDF.replace(b"%%EOF", b"% v2\n%%EOF")
    version = add_file_version(producer_user, file, "support-v2.pdf", io.BytesIO(second))
    assert version.version == 2 and file.current.filename == "support-v2.pdf"
    current = client.get(f"/r/{r.identifier}/fichiers/{file.id}")
    assert current.status_code == 200 and current.data == second
    assert current.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in current.headers["Content-Disposition"]
    assert current.mimetype == "application/pdf"
    old = client.get(f"/r/{r.identifier}/fichiers/{file.id}/v1")
    assert old.status_code == 200 and old.data == PDF
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}/v3").status_code == 404
    assert "Versions précédentes" in page_text(client.get(f"/r/{r.identifier}"))
    actions = [e.action for e in r.events]
    assert "file_version" in actions and "file_added" in actions
    remove_file(producer_user, file)
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 404
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}/v1").status_code == 200  # history keeps it


def test_files_of_a_draft_are_not_public(client, producer_user, prod):
    r = resource(producer_user, prod, publish=False)
    file = upload(producer_user, r)
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 404
    login(client, producer_user)
    assert client.get(f"/r/{r.identifier}/fichiers/{file.id}").status_code == 200


def test_upload_pages(app, monkeypatch, client, db_session, producer_user, prod):
    r = resource(producer_user, prod)
    login(client, producer_user)
    ok = post_form(
        client,
        f"/r/{r.identifier}/fichiers",
        {"file": (io.BytesIO(PDF), "guide.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    lying = post_form(
        client,
        f"/r/{r.identifier}/fichiers",
        {"file": (io.BytesIO(PNG), "guide.pdf")},
        content_type="multipart/form-data",
    )
    assert lying.status_code == 422 and "ne correspond pas au contenu" in page_text(lying)
    unknown = post_form(
        client,
        f"/r/{r.identifier}/fichiers",
        {"file": (io.BytesIO(b"MZ\x90\x00" * 10), "a.exe")},
        content_type="multipart/form-data",
    )
    assert unknown.status_code == 415 and "non reconnu" in page_text(unknown)
    # A new version through the page.
    db_session.expire_all()
    file = r.current_files[0]
    v2 = post_form(
        client,
        f"/r/{r.identifier}/fichiers/{file.id}/version",
        {"v-file": (io.BytesIO(PDF + b"\n"), "guide.pdf")},
        content_type="multipart/form-data",
    )
    assert v2.status_code == 302
    db_session.expire_all()
    assert file.current.version == 2
    monkeypatch.setitem(app.config, "LIBRARY_MAX_FILE_BYTES", 100)
    big = post_form(
        client,
        f"/r/{r.identifier}/fichiers",
        {"file": (io.BytesIO(PDF * 10), "gros.pdf")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413 and "trop volumineux" in page_text(big)
    missing = post_form(client, f"/r/{r.identifier}/fichiers", {}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choisissez un fichier" in page_text(missing)
    db_session.expire_all()
    assert len(r.current_files) == 1


def test_strangers_cannot_upload(client, factory, producer_user, prod):
    r = resource(producer_user, prod)
    stranger = factory.user()
    with pytest.raises(Forbidden):
        upload(stranger, r)
    login(client, stranger)
    response = post_form(
        client, f"/r/{r.identifier}/fichiers", {"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 404
