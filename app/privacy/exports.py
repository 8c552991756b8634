"""Right of access and portability: a person's data as a ZIP, built by a job, e-mailed as a link
that expires.

- `request_export(user, requested_by=None, reason="")`: records the request and enqueues
  `build_export_job`; a second request while one is being prepared, or just after one was sent,
  returns the same export (one export per double click). Staff answering a written request for
  someone else give the reason, and the request goes into that person's access log.
- `build_export(export_id)` (the job): one JSON per processing of the register with every row the
  register's subject paths reach from the person (`register.person_rows`), the person's files
  (charter evidence, resource files they uploaded), their access log; stored under
  FILES_DIR/exports, then the person gets an e-mail with a signed link valid `EXPORT_DAYS` days.
- `open_export(signed, user)`: the archive behind a link, for the person (or the staff member who
  asked for it); an expired link purges the file and says so.
- `purge_expired(now)`: deletes the archives whose link expired (the retention rule "data_exports").
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.access_log import WHAT, AccessLogEntry, record_read
from app.core.errors import Forbidden, NotFound, ServiceError
from app.core.jobs import enqueue
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.privacy.models import DataExport, ExportStatus
from app.privacy.register import Register, person_rows, register

EXPORT_DAYS = 7  # the link and the archive live this long (the register's rule "data_exports")
RECENT = timedelta(minutes=10)  # a new request this soon after a finished export returns that one
STALE = timedelta(hours=1)  # a pending export this old lost its job
SALT = "privacy-export"


class ExportExpired(ServiceError):
    status = 410
    commit = True  # the purge of the archive it found is kept (app.core.web.transaction)


def exports_dir() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "exports"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def signed_link(export: DataExport) -> str:
    return absolute_url("privacy.download", signed=_serializer().dumps(export.token))


# ---------------------------------------------------------------- request


def _current(user_id: int) -> DataExport | None:
    """The export being prepared, or one finished a moment ago (a double click). An export still
    pending after `STALE` lost its job (a worker that died): it is marked failed, a new one may start."""
    now = utcnow()
    for export in db.session.scalars(
        select(DataExport)
        .where(DataExport.user_id == user_id, DataExport.status.in_([ExportStatus.PENDING, ExportStatus.READY]))
        .order_by(DataExport.id.desc())
    ):
        age = now - _aware(export.created_at)
        if export.status == ExportStatus.PENDING:
            if age < STALE:
                return export
            export.status, export.error = ExportStatus.FAILED, "stale: no job finished it"
            db.session.flush()
        elif age < RECENT:
            return export
    return None


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def request_export(user: User, *, requested_by: User | None = None, reason: str = "") -> tuple[DataExport, bool]:
    """(the export, True when this call created it). Staff acting for someone must give a reason."""
    on_behalf = requested_by is not None and requested_by.id != user.id
    reason = (reason or "").strip()
    if on_behalf:
        if not (requested_by.is_staff or requested_by.is_admin):
            raise Forbidden(_l("Seule l'équipe du Hub peut demander l'export des données d'une autre personne."))
        if len(reason) < 10:
            raise ServiceError(
                _l("Indiquez la demande écrite à laquelle vous répondez (au moins 10 caractères)."), field="reason"
            )
    existing = _current(user.id)
    if existing is not None:
        return existing, False
    export = DataExport(
        user_id=user.id,
        requested_by_id=requested_by.id if on_behalf else None,
        reason=reason if on_behalf else "",
        status=ExportStatus.PENDING,
        token=secrets.token_urlsafe(32),
    )
    try:
        with db.session.begin_nested():  # two requests at once: the unique pending index keeps one
            db.session.add(export)
    except IntegrityError:
        existing = _current(user.id)
        if existing is None:
            raise
        return existing, False
    if on_behalf:
        record_read(
            "data_export", users=[user.id], detail=f"export:{export.id}", reason=reason, actor_id=requested_by.id
        )
    enqueue(build_export_job, export.id)
    return export, True


# ---------------------------------------------------------------- build


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None  # binary caches (none in a personal table today) are not data a person reads
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=lambda o: str(_json_value(o)))


def collect(user_id: int, reg: Register | None = None) -> dict[str, dict]:
    """{processing id: its part of the export}: every column the register lists for the person's
    rows, but the ones marked `not_exported`."""
    reg = reg or register()
    rows = person_rows(user_id, reg)
    parts: dict[str, dict] = {}
    for processing in reg.processings:
        tables: dict[str, list[dict]] = {}
        for table, columns in processing.columns.items():
            hidden = reg.entry(table).not_exported
            kept = [c for c in columns if c not in hidden]
            found = rows.get(table, [])
            if found and kept:
                tables[table] = [{c: _json_value(row[c]) for c in kept} for row in found]
        if tables:
            parts[processing.id] = {
                "traitement": processing.name.fr,
                "processing": processing.name.en,
                "finalite": processing.purpose.fr,
                "purpose": processing.purpose.en,
                "base_legale": processing.legal_basis,
                "conservation": processing.retention_text.fr,
                "retention": processing.retention_text.en,
                "tables": tables,
            }
    return parts


def summary(user_id: int, reg: Register | None = None) -> list[tuple[Any, int]]:
    """(processing, number of records the person has in it), for the processings that hold some."""
    reg = reg or register()
    rows = person_rows(user_id, reg)
    counts = [(p, sum(len(rows.get(table, ())) for table in p.columns)) for p in reg.processings]
    return [(p, n) for p, n in counts if n]


def _files(user_id: int, rows: dict[str, list]) -> list[tuple[str, Path]]:
    """(name in the archive, path on disk) of the person's files that exist."""
    files_dir = Path(current_app.config["FILES_DIR"])
    found: list[tuple[str, Path]] = []
    for answer in rows.get("charter_assessment_answer", []):
        if answer["evidence_file"]:
            path = files_dir / "charter" / answer["evidence_file"]
            name = Path(answer["evidence_file_name"] or path.name).name
            found.append((f"fichiers/charte/{answer['assessment_id']}-{answer['criterion_id']}-{name}", path))
    for version in rows.get("file_version", []):
        if version["uploaded_by_id"] != user_id:
            continue  # a resource's files uploaded by someone else: theirs
        sha = version["blob_sha256"]
        path = files_dir / sha[:2] / sha[2:4] / sha
        name = Path(version["filename"]).name
        found.append((f"fichiers/ressources/{version['file_id']}-v{version['version']}-{name}", path))
    return [(name, path) for name, path in found if path.is_file()]


def access_log(user_id: int) -> list[dict]:
    """The reads of the person's data by staff, newest first, as the person reads them."""
    entries = db.session.execute(
        select(AccessLogEntry, User.full_name)
        .outerjoin(User, User.id == AccessLogEntry.actor_id)
        .where(AccessLogEntry.subject_user_id == user_id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    ).all()
    return [
        {
            "at": entry.at,
            "who": name or "",
            "what": str(WHAT.get(entry.what, entry.what)),
            "reference": entry.detail,
            "route": entry.route,
            "reason": entry.reason,
        }
        for entry, name in entries
    ]


README = """Vos données personnelles sur le Hub du Sud
==========================================

Un fichier JSON par traitement du registre (sa finalité, sa base légale, sa durée de conservation,
puis vos données, table par table), le dossier « fichiers » (les fichiers que vous avez déposés) et
« journal-des-acces.json » (les consultations de vos données par l'équipe du Hub).
La politique de confidentialité explique chaque traitement : /confidentialite

Your personal data on Hub du Sud: one JSON file per processing of the register, the folder
"fichiers" (the files you uploaded) and "journal-des-acces.json" (the reads of your data by the
hub's staff). The privacy policy explains each processing: /confidentialite
"""


def build_archive(user_id: int) -> bytes:
    reg = register()
    rows = person_rows(user_id, reg)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZMOI.txt", README)
        for processing_id, part in collect(user_id, reg).items():
            archive.writestr(f"{processing_id}.json", _dumps(part))
        archive.writestr("journal-des-acces.json", _dumps(access_log(user_id)))
        for name, path in _files(user_id, rows):
            archive.write(path, name)
    return buffer.getvalue()


def build_export(export_id: int) -> None:
    """The job: build the archive, store it, e-mail the link. Running it again changes nothing."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status != ExportStatus.PENDING:
        return
    data = build_archive(export.user_id)
    folder = exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    export.filename = f"{export.token}.zip"
    tmp = folder / f"{export.filename}.part"
    tmp.write_bytes(data)
    tmp.replace(folder / export.filename)
    now = utcnow()
    export.size = len(data)
    export.status = ExportStatus.READY
    export.done_at = now
    export.expires_at = now + timedelta(days=EXPORT_DAYS)
    user = db.session.get(User, export.user_id)
    assert user is not None
    send_mail(
        user.email,
        _l("Vos données du Hub du Sud sont prêtes"),
        _l(
            "Bonjour %(name)s,\n\nL'archive de vos données personnelles est prête. Téléchargez-la avec ce lien "
            "(valable %(days)s jours, il demande d'être connecté·e à votre compte) :\n%(link)s\n\n"
            "Après ce délai, l'archive est supprimée ; vous pourrez en demander une nouvelle sur la page "
            "« Mes données » de votre compte.\n\nL'équipe du Hub du Sud",
            name=user.full_name,
            days=EXPORT_DAYS,
            link=signed_link(export),
        ),
    )


def build_export_job(export_id: int) -> None:
    try:
        build_export(export_id)
    except Exception as error:  # the export is marked failed: the person may ask again
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        if export is not None and export.status == ExportStatus.PENDING:
            export.status = ExportStatus.FAILED
            export.error = repr(error)[:2000]
        current_app.logger.exception("data export %s failed", export_id)


# ---------------------------------------------------------------- download, expiry


def _purge(export: DataExport) -> None:
    if export.filename:
        (exports_dir() / export.filename).unlink(missing_ok=True)
    export.status = ExportStatus.EXPIRED
    export.filename = ""


def open_export(signed: str, user: User) -> tuple[DataExport, Path]:
    """The export behind a signed link and its file, for the person it belongs to only (even when
    staff asked for it on their behalf). Raises NotFound (a link that means nothing, or someone
    else's), ExportExpired (the file is purged then: the caller commits)."""
    try:
        token = _serializer().loads(signed, max_age=EXPORT_DAYS * 86400)
    except SignatureExpired as error:
        token = _serializer().loads(signed, max_age=None)  # signed by us: purge what it names
        export = db.session.scalar(select(DataExport).where(DataExport.token == token))
        if export is not None and export.status == ExportStatus.READY:
            _purge(export)
        raise ExportExpired(_expired_message()) from error
    except BadSignature as error:
        raise NotFound(_l("Ce lien de téléchargement n'est pas valable.")) from error
    export = db.session.scalar(select(DataExport).where(DataExport.token == token))
    if export is None or user.id != export.user_id:
        raise NotFound(_l("Ce lien de téléchargement n'est pas valable."))
    if export.status == ExportStatus.EXPIRED or (
        export.expires_at is not None and _aware(export.expires_at) <= utcnow()
    ):
        _purge(export)
        raise ExportExpired(_expired_message())
    path = exports_dir() / export.filename
    if export.status != ExportStatus.READY or not path.is_file():
        raise NotFound(_l("Cette archive n'est pas disponible."))
    export.downloaded_at = utcnow()
    return export, path


def _expired_message():
    return _l(
        "Ce lien de téléchargement a expiré et l'archive a été supprimée. "
        "Demandez un nouvel export depuis la page « Mes données » de votre compte."
    )


def purge_expired(now: datetime | None = None) -> int:
    """Delete the archives whose link expired; returns how many."""
    now = now or utcnow()
    expired = [
        export
        for export in db.session.scalars(select(DataExport).where(DataExport.status == ExportStatus.READY))
        if export.expires_at is not None and _aware(export.expires_at) <= now
    ]
    for export in expired:
        _purge(export)
    return len(expired)


def exports_of(user_id: int, limit: int = 5) -> list[DataExport]:
    return list(
        db.session.scalars(
            select(DataExport).where(DataExport.user_id == user_id).order_by(DataExport.id.desc()).limit(limit)
        )
    )
