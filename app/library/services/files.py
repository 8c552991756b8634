"""Files of a resource and their versions: spooled, detected, checked, stored once by content."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.core.errors import Conflict, ServiceError
from app.core.models import utcnow
from app.extensions import db
from app.library import filetypes, storage
from app.library.models import FileVersion, Resource, ResourceFile, StoredBlob
from app.library.services.history import log_event
from app.library.services.rights import require_editable


class FileTooLarge(ServiceError):
    status = 413


class UnsupportedFile(ServiceError):
    status = 415


class MisnamedFile(ServiceError):
    status = 422


def max_file_bytes() -> int:
    return int(current_app.config["LIBRARY_MAX_FILE_BYTES"])


def clean_filename(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*').strip(" .")
    if len(name) > 200:
        stem, suffix = Path(name).stem, Path(name).suffix[:20]
        name = stem[: 200 - len(suffix)] + suffix
    return name or "fichier"


def _human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} Mo" if size >= 1024 * 1024 else f"{size // 1024} Ko"


def _store(stream: BinaryIO, filename: str) -> tuple[StoredBlob, str]:
    """Spool, measure, detect, check the name, store once by content. Returns (blob, clean name)."""
    name = clean_filename(filename)
    limit = max_file_bytes()
    try:
        spooled = storage.spool(stream, limit)
    except storage.TooLarge:
        raise FileTooLarge(
            _("Fichier trop volumineux : %(max)s au plus.", max=_human_size(limit)), field="file"
        ) from None
    try:
        if spooled.size == 0:
            raise UnsupportedFile(_("Ce fichier est vide."), field="file")
        kind = filetypes.detect(spooled.path, name)
        if kind is None:
            raise UnsupportedFile(
                _(
                    "Type de fichier non reconnu ou non accepté. Formats acceptés : PDF, images (PNG, "
                    "JPEG, GIF, WebP), documents OpenDocument et Office, EPUB, ZIP, vidéo MP4 ou WebM, "
                    "audio MP3, Ogg ou M4A, texte brut, Markdown, CSV."
                ),
                field="file",
            )
        matches = filetypes.extension_matches(name, kind)
        if matches is False:
            raise MisnamedFile(
                _(
                    "Le nom « %(name)s » ne correspond pas au contenu du fichier, qui est de type "
                    "%(kind)s. Renommez-le avec l'extension %(ext)s.",
                    name=name,
                    kind=kind.label,
                    ext=kind.extensions[0],
                ),
                field="file",
            )
        if matches is None:
            name = name + kind.extensions[0]
        storage.keep(spooled)  # already stored (same content): the upload is simply dropped
        blob = db.session.get(StoredBlob, spooled.sha256)
        if blob is None:
            blob = StoredBlob(sha256=spooled.sha256, size=spooled.size, mime_type=kind.mime_type)
            db.session.add(blob)
        return blob, name
    except BaseException:
        spooled.discard()
        raise


def add_file(actor: User, resource: Resource, filename: str, stream: BinaryIO) -> ResourceFile:
    require_editable(actor, resource)
    blob, name = _store(stream, filename)
    file = ResourceFile(resource=resource)
    file.versions.append(FileVersion(version=1, filename=name, blob=blob, uploaded_by_id=actor.id))
    db.session.add(file)
    db.session.flush()
    log_event(resource, actor, "file_added", {"files": {"before": None, "after": _file_summary(file.current)}})
    db.session.flush()
    return file


def add_file_version(actor: User, file: ResourceFile, filename: str, stream: BinaryIO) -> FileVersion:
    resource = file.resource
    require_editable(actor, resource)
    if file.removed_at is not None:
        raise Conflict(_("Ce fichier a été retiré."))
    blob, name = _store(stream, filename)
    previous = file.current
    version = FileVersion(file=file, version=previous.version + 1, filename=name, blob=blob, uploaded_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    log_event(
        resource, actor, "file_version", {"files": {"before": _file_summary(previous), "after": _file_summary(version)}}
    )
    db.session.flush()
    return version


def remove_file(actor: User, file: ResourceFile) -> None:
    """Take a file off the resource; its versions stay stored and in the history."""
    require_editable(actor, file.resource)
    if file.removed_at is not None:
        return
    file.removed_at = utcnow()
    log_event(file.resource, actor, "file_removed", {"files": {"before": _file_summary(file.current), "after": None}})
    db.session.flush()


def _file_summary(version: FileVersion) -> str:
    return (
        f"{version.filename} (v{version.version}, {_human_size(version.blob.size)}, sha256 {version.blob.sha256[:12]}…)"
    )


def file_version(resource: Resource, file_id: int, version: int | None) -> FileVersion | None:
    file = db.session.get(ResourceFile, file_id)
    if file is None or file.resource_id != resource.id or not file.versions:
        return None
    if version is None:
        return None if file.removed_at is not None else file.current
    return next((v for v in file.versions if v.version == version), None)


def collect_orphan_files() -> list[Path]:
    known = set(db.session.scalars(select(StoredBlob.sha256)))
    return storage.orphans(known)
