"""Knowledge base: identifiers, producers, resources, files, history, reports,
merges and usage licences.

Services take plain values and the acting user; they flush, never commit.
Every change to a resource writes a `ResourceEvent` (who, when, which fields,
before and after) in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.states import StateMachine
from app.core.urls import absolute_url, clean_web_url
from app.extensions import db
from app.library import filetypes, storage
from app.library.models import (
    RESOURCE_PREFIX,
    FileVersion,
    GrantStatus,
    IdentifierCounter,
    LicenceGrant,
    LicenceOffer,
    Producer,
    ProducerMember,
    RelationKind,
    ReportStatus,
    Resource,
    ResourceEvent,
    ResourceFile,
    ResourceRelation,
    ResourceReport,
    StoredBlob,
    resource_producer,
)
from app.library.models import ResourceStatus as RS
from app.library.vocab import (
    AUDIENCES,
    FORMATS,
    LANGUAGES,
    LICENCE_OFFER_KINDS,
    LICENCES,
    PRODUCER_KINDS,
    REPORT_REASONS,
    RESOURCE_TYPES,
    THEMES,
    USAGE_LICENCE,
)


class FileTooLarge(ServiceError):
    status = 413


class UnsupportedFile(ServiceError):
    status = 415


class MisnamedFile(ServiceError):
    status = 422


# ------------------------------------------------------------------ identifiers

IDENTIFIER = re.compile(r"^[Rr]([1-9][0-9]{0,17})$")


def next_number(name: str = "resource") -> int:
    """Take the next public number: an UPDATE of the counter row (so concurrent creations
    queue on that row and a number is never handed out twice, nor ever again)."""
    stmt = (
        update(IdentifierCounter)
        .where(IdentifierCounter.name == name)
        .values(last_value=IdentifierCounter.last_value + 1)
        .returning(IdentifierCounter.last_value)
    )
    value = db.session.execute(stmt, execution_options={"synchronize_session": False}).scalar_one_or_none()
    if value is None:  # a database the migration did not seed
        value = (db.session.scalar(select(func.max(Resource.number))) or 0) + 1
        db.session.add(IdentifierCounter(name=name, last_value=value))
        db.session.flush()
    return int(value)


def parse_identifier(text: str | None) -> int | None:
    """'R42' (or 'r42') -> 42; anything else -> None."""
    match = IDENTIFIER.match((text or "").strip())
    return int(match.group(1)) if match else None


def parse_identifiers(text: str | None) -> list[int]:
    """'R1, R2 r3' -> [1, 2, 3]; ValueError naming the first bad token."""
    numbers = []
    for token in re.split(r"[\s,;|]+", (text or "").strip()):
        if not token:
            continue
        number = parse_identifier(token)
        if number is None:
            raise ValueError(token)
        if number not in numbers:
            numbers.append(number)
    return numbers


def format_identifier(number: int) -> str:
    return f"{RESOURCE_PREFIX}{number}"


def resource_by_number(number: int) -> Resource | None:
    return db.session.scalar(select(Resource).where(Resource.number == number))


def final_resource(resource: Resource) -> Resource:
    """Follow merges to the survivor (chains are flattened at merge; the loop guard is a safety net)."""
    seen = set()
    while resource.status == RS.MERGED and resource.merged_into is not None and resource.id not in seen:
        seen.add(resource.id)
        resource = resource.merged_into
    return resource


# ------------------------------------------------------------------ producers and rights


def is_producer_member(user: User, producer: Producer) -> bool:
    return bool(user and user.is_authenticated) and any(m.user_id == user.id for m in producer.members)


def can_manage_producer(user: User, producer: Producer) -> bool:
    return bool(user and user.is_authenticated) and (user.is_staff or is_producer_member(user, producer))


def user_producers(user: User) -> list[Producer]:
    if not (user and user.is_authenticated):
        return []
    return list(
        db.session.scalars(
            select(Producer).join(ProducerMember).where(ProducerMember.user_id == user.id).order_by(Producer.name)
        )
    )


def can_edit_resource(user: User, resource: Resource) -> bool:
    """Who may edit a resource: the members of its producers, and hub staff."""
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or any(is_producer_member(user, p) for p in resource.producers)


def valid_grant(user: User, resource: Resource, now: datetime | None = None) -> LicenceGrant | None:
    if not (user and user.is_authenticated):
        return None
    now = now or utcnow()
    stmt = (
        select(LicenceGrant)
        .where(
            LicenceGrant.resource_id == resource.id,
            LicenceGrant.holder_id == user.id,
            LicenceGrant.status == GrantStatus.ACTIVE,
            LicenceGrant.starts_at <= now,
            or_(LicenceGrant.ends_at.is_(None), LicenceGrant.ends_at > now),
        )
        .order_by(LicenceGrant.id)
    )
    return db.session.scalars(stmt).first()


def can_see_resource(user: User, resource: Resource) -> bool:
    if resource.status == RS.PUBLISHED or can_edit_resource(user, resource):
        return True
    return resource.status == RS.DRAFT and valid_grant(user, resource) is not None


def can_download(user: User, resource: Resource, now: datetime | None = None) -> bool:
    """Free files: anyone, once published. Paid files (licence d'usage): a valid grant.
    Producers' members and staff always."""
    if resource.status in (RS.DELETED, RS.MERGED):
        return bool(user and user.is_authenticated and user.is_staff)
    if can_edit_resource(user, resource):
        return True
    if resource.is_paid:
        return valid_grant(user, resource, now) is not None
    return resource.status == RS.PUBLISHED


PRODUCER_FIELDS = ("kind", "name", "presentation", "website")


def _check_producer_values(values: dict) -> None:
    if values.get("kind") not in PRODUCER_KINDS:
        raise ServiceError(_("Choisissez : une personne ou une structure."), field="kind")
    if not (values.get("name") or "").strip():
        raise ServiceError(_("Indiquez un nom."), field="name")
    clean_web_url(values.get("website"), "website")  # the one rule for links (app.core.urls)


def create_producer(actor: User, values: dict) -> Producer:
    _check_producer_values(values)
    producer = Producer(**{name: (values.get(name) or "").strip() for name in PRODUCER_FIELDS})
    producer.members.append(ProducerMember(user_id=actor.id))
    db.session.add(producer)
    db.session.flush()
    return producer


def update_producer(actor: User, producer: Producer, values: dict) -> Producer:
    if not can_manage_producer(actor, producer):
        raise Forbidden(_("Vous ne gérez pas ce producteur."))
    merged = {name: getattr(producer, name) for name in PRODUCER_FIELDS} | values
    _check_producer_values(merged)
    for name in PRODUCER_FIELDS:
        if name in values:
            setattr(producer, name, (values[name] or "").strip())
    db.session.flush()
    return producer


def add_producer_member(actor: User, producer: Producer, email: str) -> ProducerMember:
    from app.accounts.services import get_user_by_email

    if not can_manage_producer(actor, producer):
        raise Forbidden(_("Vous ne gérez pas ce producteur."))
    user = get_user_by_email(email)
    if user is None:
        raise NotFound(
            _("Aucun compte n'existe avec cette adresse : la personne doit d'abord s'inscrire."), field="email"
        )
    if any(m.user_id == user.id for m in producer.members):
        raise Conflict(_("Cette personne est déjà membre."), field="email")
    member = ProducerMember(producer=producer, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    return member


def producer_resources(producer: Producer, include_unpublished: bool) -> list[Resource]:
    stmt = (
        select(Resource)
        .join(resource_producer)
        .where(resource_producer.c.producer_id == producer.id)
        .options(selectinload(Resource.producers))
        .order_by(Resource.number.desc())
    )
    if include_unpublished:
        stmt = stmt.where(Resource.status.in_((RS.DRAFT, RS.PUBLISHED)))
    else:
        stmt = stmt.where(Resource.status == RS.PUBLISHED)
    return list(db.session.scalars(stmt))


# ------------------------------------------------------------------ resources

RESOURCE_STATES = StateMachine(
    "resource",
    {
        RS.DRAFT: frozenset({RS.PUBLISHED, RS.DELETED, RS.MERGED}),
        RS.PUBLISHED: frozenset({RS.DRAFT, RS.DELETED, RS.MERGED}),
        RS.DELETED: frozenset({RS.DRAFT}),  # restored by staff
        RS.MERGED: frozenset(),
    },
)
EDITABLE = {RS.DRAFT, RS.PUBLISHED}
SIMPLE_FIELDS = (
    "title",
    "description",
    "resource_type",
    "themes",
    "audiences",
    "languages",
    "formats",
    "year_created",
    "licence",
    "source_url",
)
LIST_FIELDS = {"themes": THEMES, "audiences": AUDIENCES, "languages": LANGUAGES, "formats": FORMATS}
RELATION_FIELDS = {"is_based_on": RelationKind.IS_BASED_ON.value, "is_related_to": RelationKind.IS_RELATED_TO.value}
# Which fields the history shows, in this order.
HISTORY_FIELDS = SIMPLE_FIELDS + ("producers", "is_based_on", "is_related_to", "status", "merged_into")


def _check_resource_values(values: dict) -> dict:
    """Validate and normalise the metadata; raise a ServiceError tied to the field."""
    clean = {}
    title = (values.get("title") or "").strip()
    if not title:
        raise ServiceError(_("Indiquez un titre."), field="title")
    if len(title) > 300:
        raise ServiceError(_("Le titre est trop long (300 caractères au plus)."), field="title")
    clean["title"] = title
    description = values.get("description") or ""
    if len(description) > 50_000:
        raise ServiceError(_("La description est trop longue."), field="description")
    clean["description"] = description.replace("\r\n", "\n").strip()
    if values.get("resource_type") not in RESOURCE_TYPES:
        raise ServiceError(_("Choisissez un type de ressource."), field="resource_type")
    clean["resource_type"] = values["resource_type"]
    for name, vocabulary in LIST_FIELDS.items():
        items = list(dict.fromkeys(values.get(name) or []))
        unknown = [item for item in items if item not in vocabulary]
        if unknown:
            raise ServiceError(_("Valeurs inconnues : %(values)s", values=", ".join(map(str, unknown))), field=name)
        clean[name] = items
    if not clean["themes"]:
        raise ServiceError(_("Choisissez au moins une thématique."), field="themes")
    if not clean["audiences"]:
        raise ServiceError(_("Choisissez au moins un public."), field="audiences")
    if not clean["languages"]:
        raise ServiceError(_("Choisissez au moins une langue."), field="languages")
    year = values.get("year_created")
    if year is not None:
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= utcnow().year + 1:
            raise ServiceError(_("Indiquez une année entre 1900 et l'an prochain."), field="year_created")
    clean["year_created"] = year
    if values.get("licence") not in LICENCES:
        raise ServiceError(_("Choisissez une licence."), field="licence")
    clean["licence"] = values["licence"]
    clean["source_url"] = clean_web_url(values.get("source_url"), "source_url")
    return clean


def _resolve_producers(actor: User, producer_ids: Iterable[int], current: list[Producer]) -> list[Producer]:
    ids = list(dict.fromkeys(int(i) for i in producer_ids or []))
    if not ids:
        raise ServiceError(_("Choisissez au moins un producteur."), field="producers")
    producers = list(
        db.session.scalars(select(Producer).where(Producer.id.in_(ids)).options(selectinload(Producer.members)))
    )
    if len(producers) != len(ids):
        raise ServiceError(_("Producteur inconnu."), field="producers")
    current_ids = {p.id for p in current}
    for producer in producers:
        if producer.id not in current_ids and not (actor.is_staff or is_producer_member(actor, producer)):
            raise Forbidden(_("Vous ne pouvez créditer que les producteurs dont vous êtes membre."), field="producers")
    return sorted(producers, key=lambda p: p.name)


def _resolve_relations(resource: Resource | None, values: dict) -> dict[str, list[Resource]]:
    targets = {}
    for name in RELATION_FIELDS:
        found = []
        for number in values.get(name) or []:
            target = resource_by_number(int(number))
            if target is None or target.status == RS.DELETED:
                raise ServiceError(_("La ressource %(id)s n'existe pas.", id=format_identifier(number)), field=name)
            target = final_resource(target)
            if resource is not None and target.id == resource.id:
                raise ServiceError(_("Une ressource ne peut pas être liée à elle-même."), field=name)
            if target not in found:
                found.append(target)
        targets[name] = found
    return targets


def _snapshot(resource: Resource) -> dict:
    data = {name: getattr(resource, name) for name in SIMPLE_FIELDS}
    data = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
    data["producers"] = [p.name for p in resource.producers]
    for name, kind in RELATION_FIELDS.items():
        data[name] = [r.target.identifier for r in resource.relations if r.kind == kind]
    data["status"] = resource.status.value if resource.status else None
    data["merged_into"] = resource.merged_into.identifier if resource.merged_into else None
    return data


def _diff(before: dict, after: dict) -> dict:
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in HISTORY_FIELDS
        if before.get(name) != after.get(name)
    }


def _log(resource: Resource, actor: User | None, action: str, changes: dict | None = None) -> ResourceEvent:
    event = ResourceEvent(
        resource=resource, actor_id=actor.id if actor else None, action=action, changes=changes or {}, at=utcnow()
    )
    db.session.add(event)
    return event


def _set_relations(resource: Resource, targets: dict[str, list[Resource]]) -> None:
    for name, kind in RELATION_FIELDS.items():
        if name not in targets:
            continue
        wanted = {t.id for t in targets[name]}
        for relation in [r for r in resource.relations if r.kind == kind]:
            if relation.target_id not in wanted:
                resource.relations.remove(relation)
        have = {r.target_id for r in resource.relations if r.kind == kind}
        for target in targets[name]:
            if target.id not in have:
                resource.relations.append(ResourceRelation(target=target, kind=kind))


def create_resource(actor: User, values: dict, publish: bool = False) -> Resource:
    """A new resource, with the next public number; its producers are chosen among the actor's."""
    clean = _check_resource_values(values)
    producers = _resolve_producers(actor, values.get("producer_ids") or [], [])
    targets = _resolve_relations(None, values)
    resource = Resource(number=next_number(), status=RS.DRAFT, created_by_id=actor.id, **clean)
    resource.producers = producers
    db.session.add(resource)
    _set_relations(resource, targets)
    db.session.flush()
    empty = dict.fromkeys(HISTORY_FIELDS)
    _log(resource, actor, "created", _diff(empty, _snapshot(resource)))
    if publish:
        move_resource(actor, resource, RS.PUBLISHED)
    db.session.flush()
    return resource


def update_resource(actor: User, resource: Resource, values: dict) -> Resource:
    if not can_edit_resource(actor, resource):
        raise Forbidden(_("Vous ne pouvez pas modifier cette ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource ne peut plus être modifiée."))
    before = _snapshot(resource)
    current = {name: getattr(resource, name) for name in SIMPLE_FIELDS}
    clean = _check_resource_values(current | {k: v for k, v in values.items() if k in SIMPLE_FIELDS})
    producers = (
        _resolve_producers(actor, values["producer_ids"], resource.producers)
        if "producer_ids" in values
        else resource.producers
    )
    targets = _resolve_relations(resource, values)
    for name in SIMPLE_FIELDS:
        if name in values:
            setattr(resource, name, clean[name])
    resource.producers = producers
    _set_relations(resource, {k: v for k, v in targets.items() if k in values})
    if before["licence"] == USAGE_LICENCE and resource.licence != USAGE_LICENCE:
        for offer in resource.licence_offers:
            offer.active = False  # a free licence sells nothing; grants already given stay valid
    db.session.flush()
    changes = _diff(before, _snapshot(resource))
    if changes:
        _log(resource, actor, "updated", changes)
        db.session.flush()
    return resource


def _active_grants(resource: Resource) -> int:
    now = utcnow()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LicenceGrant)
            .where(
                LicenceGrant.resource_id == resource.id,
                LicenceGrant.status == GrantStatus.ACTIVE,
                or_(LicenceGrant.ends_at.is_(None), LicenceGrant.ends_at > now),
            )
        )
        or 0
    )


STATUS_ACTIONS = {RS.PUBLISHED: "published", RS.DRAFT: "unpublished", RS.DELETED: "deleted"}


def move_resource(actor: User, resource: Resource, target: RS) -> None:
    """Publish, unpublish, delete (a tombstone that keeps its number), restore (staff)."""
    current = resource.status
    if target == RS.MERGED:
        raise Conflict(_("Une fusion passe par la modération."))
    RESOURCE_STATES.check(current, target)
    if current == RS.DELETED:
        if not actor.is_staff:
            raise Forbidden(_("Seule l'équipe du Hub peut restaurer une ressource supprimée."))
    elif not can_edit_resource(actor, resource):
        raise Forbidden(_("Vous ne pouvez pas modifier cette ressource."))
    if target == RS.DELETED and _active_grants(resource):
        raise Conflict(
            _("Des licences d'usage sont en cours sur cette ressource : dépubliez-la plutôt que de la supprimer.")
        )
    before = _snapshot(resource)
    resource.status = target
    if target == RS.PUBLISHED and resource.published_at is None:
        resource.published_at = utcnow()
    _log(
        resource,
        actor,
        "restored" if current == RS.DELETED else STATUS_ACTIONS[target],
        _diff(before, _snapshot(resource)),
    )
    db.session.flush()


def merge_resources(actor: User, duplicate: Resource, survivor: Resource, note: str = "") -> Resource:
    """Staff merge a duplicate into a survivor: the duplicate keeps its number and redirects.

    The survivor gains the duplicate's producers, themes, audiences, languages, formats,
    relations and files (with all their versions); resources merged earlier into the
    duplicate now point at the survivor; open duplicate reports are resolved. A duplicate
    that sold licences is not merged (its holders' rights are tied to it)."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut fusionner des ressources."))
    survivor = final_resource(survivor)
    if duplicate.id == survivor.id:
        raise ServiceError(_("Une ressource ne peut pas être fusionnée avec elle-même."), field="survivor")
    if duplicate.status not in EDITABLE:
        raise Conflict(_("%(id)s est déjà fusionnée ou supprimée.", id=duplicate.identifier), field="duplicate")
    if survivor.status not in EDITABLE:
        raise Conflict(
            _("%(id)s est supprimée : choisissez une autre ressource.", id=survivor.identifier), field="survivor"
        )
    if db.session.scalar(
        select(func.count()).select_from(LicenceGrant).where(LicenceGrant.resource_id == duplicate.id)
    ):
        raise Conflict(
            _("%(id)s a des licences vendues : elle ne peut pas être fusionnée.", id=duplicate.identifier),
            field="duplicate",
        )
    RESOURCE_STATES.check(duplicate.status, RS.MERGED)
    survivor_before, duplicate_before = _snapshot(survivor), _snapshot(duplicate)

    for name in LIST_FIELDS:
        setattr(survivor, name, list(dict.fromkeys(getattr(survivor, name) + getattr(duplicate, name))))
    survivor.producers = sorted(
        {p.id: p for p in survivor.producers + duplicate.producers}.values(), key=lambda p: p.name
    )
    for relation in list(duplicate.relations):
        if relation.target_id != survivor.id and not any(
            r.target_id == relation.target_id and r.kind == relation.kind for r in survivor.relations
        ):
            survivor.relations.append(ResourceRelation(target_id=relation.target_id, kind=relation.kind))
    # Relations pointing at the duplicate now point at the survivor.
    for relation in db.session.scalars(select(ResourceRelation).where(ResourceRelation.target_id == duplicate.id)):
        clash = relation.resource_id == survivor.id or db.session.scalar(
            select(ResourceRelation.id).where(
                ResourceRelation.resource_id == relation.resource_id,
                ResourceRelation.target_id == survivor.id,
                ResourceRelation.kind == relation.kind,
            )
        )
        if clash:
            db.session.delete(relation)
        else:
            relation.target_id = survivor.id
    moved = []
    for file in list(duplicate.files):
        file.resource = survivor
        if file.removed_at is None:
            moved.append(file.current.filename)
    for offer in duplicate.licence_offers:
        offer.active = False
    for earlier in db.session.scalars(select(Resource).where(Resource.merged_into_id == duplicate.id)):
        earlier.merged_into = survivor
    duplicate.status = RS.MERGED
    duplicate.merged_into = survivor
    db.session.flush()
    db.session.expire(survivor, ["relations", "files"])
    db.session.expire(duplicate, ["relations", "files"])

    merged_changes = _diff(duplicate_before, _snapshot(duplicate))
    if note:
        merged_changes["note"] = {"before": None, "after": note}
    _log(duplicate, actor, "merged_into", merged_changes)
    survivor_changes = _diff(survivor_before, _snapshot(survivor))
    survivor_changes["merged_from"] = {"before": None, "after": duplicate.identifier}
    if moved:
        survivor_changes["files"] = {"before": None, "after": moved}
    _log(survivor, actor, "merged_from", survivor_changes)
    for report in db.session.scalars(
        select(ResourceReport).where(
            ResourceReport.resource_id == duplicate.id,
            ResourceReport.status == ReportStatus.OPEN,
            ResourceReport.reason == "duplicate",
        )
    ):
        _close_report(actor, report, ReportStatus.RESOLVED, _("Fusionnée dans %(id)s.", id=survivor.identifier))
    db.session.flush()
    return survivor


def browse(filters: dict, page: int = 1, per_page: int = 20) -> tuple[list[Resource], int]:
    """Published resources, filtered by theme, type, audience, licence, language, producer, text."""
    stmt = select(Resource).where(Resource.status == RS.PUBLISHED)
    for name, column in (
        ("theme", Resource.themes),
        ("audience", Resource.audiences),
        ("language", Resource.languages),
        ("format", Resource.formats),
    ):
        if filters.get(name):
            stmt = stmt.where(func.cast(column, db.String).contains(f'"{filters[name]}"'))
    if filters.get("resource_type"):
        stmt = stmt.where(Resource.resource_type == filters["resource_type"])
    licence = filters.get("licence")
    if licence == "libre":
        stmt = stmt.where(Resource.licence != USAGE_LICENCE)
    elif licence:
        stmt = stmt.where(Resource.licence == licence)
    if filters.get("producer"):
        stmt = stmt.where(
            Resource.id.in_(
                select(resource_producer.c.resource_id).where(resource_producer.c.producer_id == filters["producer"])
            )
        )
    if filters.get("q"):
        text = filters["q"].strip().lower()
        number = parse_identifier(text)
        like = f"%{text}%"
        conditions = [func.lower(Resource.title).like(like), func.lower(Resource.description).like(like)]
        if number:
            conditions.append(Resource.number == number)
        stmt = stmt.where(or_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    resources = list(
        db.session.scalars(
            stmt.options(selectinload(Resource.producers))
            .order_by(Resource.published_at.desc(), Resource.number.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return resources, total


# ------------------------------------------------------------------ files


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
        raise FileTooLarge(_("Fichier trop volumineux : %(max)s au plus.", max=_human_size(limit)), field="file")
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


def _require_editable(actor: User, resource: Resource) -> None:
    if not can_edit_resource(actor, resource):
        raise Forbidden(_("Vous ne pouvez pas modifier cette ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource ne peut plus être modifiée."))


def add_file(actor: User, resource: Resource, filename: str, stream: BinaryIO) -> ResourceFile:
    _require_editable(actor, resource)
    blob, name = _store(stream, filename)
    file = ResourceFile(resource=resource)
    file.versions.append(FileVersion(version=1, filename=name, blob=blob, uploaded_by_id=actor.id))
    db.session.add(file)
    db.session.flush()
    _log(resource, actor, "file_added", {"files": {"before": None, "after": _file_summary(file.current)}})
    db.session.flush()
    return file


def add_file_version(actor: User, file: ResourceFile, filename: str, stream: BinaryIO) -> FileVersion:
    resource = file.resource
    _require_editable(actor, resource)
    if file.removed_at is not None:
        raise Conflict(_("Ce fichier a été retiré."))
    blob, name = _store(stream, filename)
    previous = file.current
    version = FileVersion(file=file, version=previous.version + 1, filename=name, blob=blob, uploaded_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    _log(
        resource, actor, "file_version", {"files": {"before": _file_summary(previous), "after": _file_summary(version)}}
    )
    db.session.flush()
    return version


def remove_file(actor: User, file: ResourceFile) -> None:
    """Take a file off the resource; its versions stay stored and in the history."""
    _require_editable(actor, file.resource)
    if file.removed_at is not None:
        return
    file.removed_at = utcnow()
    _log(file.resource, actor, "file_removed", {"files": {"before": _file_summary(file.current), "after": None}})
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


# ------------------------------------------------------------------ reports

REPORT_STATES = StateMachine(
    "report",
    {
        ReportStatus.OPEN: frozenset({ReportStatus.RESOLVED, ReportStatus.DISMISSED}),
        ReportStatus.RESOLVED: frozenset(),
        ReportStatus.DISMISSED: frozenset(),
    },
)


def report_resource(
    actor: User, resource: Resource, reason: str, message: str = "", duplicate_of: int | None = None
) -> ResourceReport:
    """Anyone signed in reports a problem: inappropriate, outdated, error, duplicate (of another Rn)."""
    if not (actor and actor.is_authenticated):
        raise Forbidden(_("Connectez-vous pour signaler une ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource n'est plus en ligne."))
    if reason not in REPORT_REASONS:
        raise ServiceError(_("Choisissez la raison du signalement."), field="reason")
    message = (message or "").strip()
    if len(message) > 2000:
        raise ServiceError(_("Le message est trop long (2 000 caractères au plus)."), field="message")
    other = None
    if reason == "duplicate":
        if not duplicate_of:
            raise ServiceError(
                _("Indiquez l'identifiant de la ressource en double (par exemple R12)."), field="duplicate_of"
            )
        other = resource_by_number(int(duplicate_of))
        if other is None or other.status not in EDITABLE:
            raise ServiceError(
                _("La ressource %(id)s n'existe pas.", id=format_identifier(duplicate_of)), field="duplicate_of"
            )
        if other.id == resource.id:
            raise ServiceError(_("Indiquez une autre ressource que celle-ci."), field="duplicate_of")
    elif not message:
        raise ServiceError(_("Décrivez le problème en quelques mots."), field="message")
    already = db.session.scalar(
        select(ResourceReport.id).where(
            ResourceReport.resource_id == resource.id,
            ResourceReport.reporter_id == actor.id,
            ResourceReport.reason == reason,
            ResourceReport.status == ReportStatus.OPEN,
        )
    )
    if already:
        raise Conflict(_("Vous avez déjà signalé ce problème : l'équipe du Hub va l'examiner."))
    report = ResourceReport(resource=resource, reporter_id=actor.id, reason=reason, message=message, duplicate_of=other)
    db.session.add(report)
    db.session.flush()
    return report


def _close_report(actor: User, report: ResourceReport, target: ReportStatus, resolution: str) -> None:
    REPORT_STATES.check(report.status, target)
    report.status = target
    report.handled_by_id = actor.id
    report.handled_at = utcnow()
    report.resolution = resolution


def handle_report(actor: User, report: ResourceReport, target: ReportStatus, resolution: str = "") -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub traite les signalements."))
    resolution = (resolution or "").strip()
    if len(resolution) > 2000:
        raise ServiceError(_("La réponse est trop longue."), field="resolution")
    if target == ReportStatus.DISMISSED and not resolution:
        raise ServiceError(_("Indiquez pourquoi le signalement est écarté."), field="resolution")
    _close_report(actor, report, target, resolution)
    db.session.flush()


def open_reports() -> list[ResourceReport]:
    stmt = (
        select(ResourceReport)
        .where(ResourceReport.status == ReportStatus.OPEN)
        .options(
            selectinload(ResourceReport.resource),
            selectinload(ResourceReport.duplicate_of),
            selectinload(ResourceReport.reporter),
        )
        .order_by(ResourceReport.created_at)
    )
    return list(db.session.scalars(stmt))


# ------------------------------------------------------------------ licence offers and grants

OFFER_FIELDS = ("kind", "label", "terms", "price_cents", "duration_months")
GRANT_STATES = StateMachine(
    "licence grant",
    {
        GrantStatus.ACTIVE: frozenset({GrantStatus.REVOKED}),
        GrantStatus.REVOKED: frozenset(),
    },
)


def add_licence_offer(actor: User, resource: Resource, values: dict) -> LicenceOffer:
    """A producer offers a usage licence on a paid resource, sold by one of its producers."""
    _require_editable(actor, resource)
    if not resource.is_paid:
        raise Conflict(_("Seule une ressource sous licence d'usage peut proposer des licences payantes."))
    if values.get("kind") not in LICENCE_OFFER_KINDS:
        raise ServiceError(_("Choisissez le type de licence."), field="kind")
    price = values.get("price_cents")
    if not isinstance(price, int) or isinstance(price, bool) or not 100 <= price <= 10_000_000:
        raise ServiceError(_("Indiquez un prix entre 1 € et 100 000 €."), field="price")
    duration = values.get("duration_months")
    if duration is not None and (not isinstance(duration, int) or not 1 <= duration <= 120):
        raise ServiceError(
            _("Indiquez une durée entre 1 et 120 mois, ou laissez vide pour une licence sans fin."),
            field="duration_months",
        )
    seller = db.session.get(Producer, int(values.get("producer_id") or 0))
    if seller is None or seller not in resource.producers:
        raise ServiceError(_("Le vendeur doit être l'un des producteurs de la ressource."), field="producer_id")
    if not (actor.is_staff or is_producer_member(actor, seller)):
        raise Forbidden(
            _("Vous ne pouvez vendre qu'au nom d'un producteur dont vous êtes membre."), field="producer_id"
        )
    label = (values.get("label") or "").strip() or str(LICENCE_OFFER_KINDS[values["kind"]])
    offer = LicenceOffer(
        resource=resource,
        producer=seller,
        kind=values["kind"],
        label=label[:200],
        terms=(values.get("terms") or "").strip()[:5000],
        price_cents=price,
        currency="EUR",
        duration_months=duration,
        active=True,
    )
    db.session.add(offer)
    db.session.flush()
    _log(resource, actor, "offer_added", {"licence_offers": {"before": None, "after": _offer_summary(offer)}})
    db.session.flush()
    return offer


def set_offer_active(actor: User, offer: LicenceOffer, active: bool) -> None:
    _require_editable(actor, offer.resource)
    if active and not offer.resource.is_paid:
        raise Conflict(_("La ressource n'est plus sous licence d'usage."))
    if offer.active == active:
        return
    before = _offer_summary(offer)
    offer.active = active
    _log(offer.resource, actor, "offer_changed", {"licence_offers": {"before": before, "after": _offer_summary(offer)}})
    db.session.flush()


def _offer_summary(offer: LicenceOffer) -> str:
    price = f"{offer.price_cents / 100:.2f} €".replace(".", ",")
    duration = _("%(n)d mois", n=offer.duration_months) if offer.duration_months else _("sans fin")
    state = _("en vente") if offer.active else _("retirée de la vente")
    return f"{offer.label} — {price} — {duration} — {state}"


def _add_months(moment: datetime, months: int) -> datetime:
    import calendar

    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grant_licence(
    offer: LicenceOffer,
    holder: User,
    *,
    holder_name: str | None = None,
    payment_ref: str | None = None,
    amount_cents: int | None = None,
    currency: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> LicenceGrant:
    """Give `holder` the licence of `offer`. The payment side calls it when a PaymentIntent
    for a licence succeeds (payment_ref: its id; a second call with the same id returns the
    same grant, so a webhook delivered twice grants once); producers call it through
    `give_licence`. Writes no ledger entry: the payment side does."""
    if payment_ref:
        existing = db.session.scalar(select(LicenceGrant).where(LicenceGrant.payment_ref == payment_ref))
        if existing is not None:
            if existing.offer_id != offer.id or existing.holder_id != holder.id:
                raise Conflict(_("Ce paiement correspond déjà à une autre licence."))
            return existing
    resource = offer.resource
    if resource.status in (RS.DELETED, RS.MERGED):
        raise Conflict(_("Cette ressource n'est plus disponible."))
    if not offer.active and payment_ref is None:
        raise Conflict(_("Cette licence n'est plus proposée."))
    amount = offer.price_cents if amount_cents is None else amount_cents
    if payment_ref and amount != offer.price_cents:
        raise Conflict(_("Le montant payé ne correspond pas au prix de la licence."))
    starts = now or utcnow()
    grant = LicenceGrant(
        code=f"LIC-{secrets.token_hex(5).upper()}",
        offer=offer,
        resource=resource,
        holder_id=holder.id,
        holder_name=((holder_name or "").strip() or holder.full_name)[:200],
        status=GrantStatus.ACTIVE,
        starts_at=starts,
        ends_at=_add_months(starts, offer.duration_months) if offer.duration_months else None,
        amount_cents=amount,
        currency=(currency or offer.currency).upper(),
        payment_ref=payment_ref,
        granted_by_id=actor.id if actor else None,
    )
    db.session.add(grant)
    db.session.flush()
    if notify:
        send_mail(
            holder.email,
            _("Votre licence d'usage — %(id)s — Hub du Sud", id=resource.identifier),
            _(
                "Bonjour,\n\nVous disposez désormais de la licence « %(licence)s » sur la ressource %(id)s "
                "« %(title)s ».\n\nTéléchargez la ressource : %(url)s\nVotre certificat de licence : %(cert)s\n",
                licence=offer.label,
                id=resource.identifier,
                title=resource.title,
                url=absolute_url("library.resolve", ident=resource.identifier),
                cert=absolute_url("library.certificate", grant_id=grant.id),
            ),
        )
    return grant


def give_licence(actor: User, offer: LicenceOffer, email: str, holder_name: str = "") -> LicenceGrant:
    """A producer (or staff) gives a licence without payment, e.g. to a partner."""
    from app.accounts.services import get_user_by_email

    if not (actor.is_staff or is_producer_member(actor, offer.producer)):
        raise Forbidden(_("Seul le producteur qui vend cette licence peut l'attribuer."))
    holder = get_user_by_email(email)
    if holder is None:
        raise NotFound(
            _("Aucun compte n'existe avec cette adresse : la personne doit d'abord s'inscrire."), field="email"
        )
    if len((holder_name or "").strip()) > 200:
        raise ServiceError(_("Le nom est trop long."), field="holder_name")
    return grant_licence(offer, holder, holder_name=holder_name, amount_cents=0, actor=actor)


def can_manage_grant(user: User, grant: LicenceGrant) -> bool:
    return bool(user and user.is_authenticated) and (user.is_staff or is_producer_member(user, grant.offer.producer))


def can_see_grant(user: User, grant: LicenceGrant) -> bool:
    return bool(user and user.is_authenticated) and (grant.holder_id == user.id or can_manage_grant(user, grant))


def revoke_licence(
    grant: LicenceGrant, *, actor: User | None = None, reason: str = "", now: datetime | None = None
) -> LicenceGrant:
    """Revoke a grant (a refund, or the seller's decision). Revoking a revoked grant is a no-op,
    so a refund webhook delivered twice revokes once."""
    if grant.status == GrantStatus.REVOKED:
        return grant
    if actor is not None and not can_manage_grant(actor, grant):
        raise Forbidden(_("Vous ne gérez pas cette licence."))
    reason = (reason or "").strip()
    if actor is not None and not reason:
        raise ServiceError(_("Indiquez la raison de la révocation."), field="reason")
    GRANT_STATES.check(grant.status, GrantStatus.REVOKED)
    grant.status = GrantStatus.REVOKED
    grant.revoked_at = now or utcnow()
    grant.revoked_by_id = actor.id if actor else None
    grant.revoke_reason = reason[:2000]
    db.session.flush()
    return grant


def revoke_licence_for_payment(payment_ref: str, reason: str = "") -> LicenceGrant | None:
    """What a refund handler calls: the grant paid by that PaymentIntent, revoked (None if there is none)."""
    grant = db.session.scalar(select(LicenceGrant).where(LicenceGrant.payment_ref == payment_ref))
    if grant is None:
        return None
    return revoke_licence(grant, reason=reason or _("Paiement remboursé."))


LICENCE_PAYMENT_PURPOSE = "library_licence"


def licence_payment_metadata(offer: LicenceOffer, holder: User, holder_name: str = "") -> dict[str, str]:
    """The metadata a PaymentIntent for a licence carries (Stripe metadata: strings only)."""
    return {
        "purpose": LICENCE_PAYMENT_PURPOSE,
        "licence_offer_id": str(offer.id),
        "holder_id": str(holder.id),
        "holder_name": (holder_name or holder.full_name)[:200],
        "resource": offer.resource.identifier,
    }


def grant_from_payment(metadata: dict, payment_ref: str, amount_cents: int, currency: str) -> LicenceGrant:
    """The handler for a succeeded PaymentIntent whose metadata says it pays a licence."""
    if metadata.get("purpose") != LICENCE_PAYMENT_PURPOSE:
        raise ServiceError(_("Ce paiement ne concerne pas une licence."))
    try:
        offer = db.session.get(LicenceOffer, int(metadata["licence_offer_id"]))
        holder = db.session.get(User, int(metadata["holder_id"]))
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_("Ce paiement ne désigne pas de licence."))
    if offer is None or holder is None:
        raise NotFound(_("Licence ou acheteur introuvable."))
    return grant_licence(
        offer,
        holder,
        holder_name=metadata.get("holder_name"),
        payment_ref=payment_ref,
        amount_cents=int(amount_cents),
        currency=currency,
    )


def grants_for_holder(user: User) -> list[LicenceGrant]:
    stmt = (
        select(LicenceGrant)
        .where(LicenceGrant.holder_id == user.id)
        .options(selectinload(LicenceGrant.resource), selectinload(LicenceGrant.offer))
        .order_by(LicenceGrant.starts_at.desc())
    )
    return list(db.session.scalars(stmt))


def sales_for_producer(producer: Producer) -> list[LicenceGrant]:
    stmt = (
        select(LicenceGrant)
        .join(LicenceOffer)
        .where(LicenceOffer.producer_id == producer.id)
        .options(
            selectinload(LicenceGrant.resource), selectinload(LicenceGrant.offer), selectinload(LicenceGrant.holder)
        )
        .order_by(LicenceGrant.starts_at.desc())
    )
    return list(db.session.scalars(stmt))


def grant_is_valid(grant: LicenceGrant, now: datetime | None = None) -> bool:
    now = now or utcnow()
    ends = grant.ends_at
    if ends is not None and ends.tzinfo is None:
        ends = ends.replace(tzinfo=UTC)
    return grant.status == GrantStatus.ACTIVE and (ends is None or ends > now)
