"""Resources: create, edit, publish, unpublish, delete (a tombstone), restore, browse."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import utcnow
from app.core.states import StateMachine
from app.core.urls import clean_web_url
from app.extensions import db
from app.library.models import GrantStatus, LicenceGrant, Producer, Resource, ResourceRelation, resource_producer
from app.library.models import ResourceStatus as RS
from app.library.services.history import (
    HISTORY_FIELDS,
    LIST_FIELDS,
    RELATION_FIELDS,
    SIMPLE_FIELDS,
    diff,
    log_event,
    snapshot,
)
from app.library.services.identifiers import (
    final_resource,
    format_identifier,
    next_number,
    parse_identifier,
    resource_by_number,
)
from app.library.services.rights import EDITABLE, can_edit_resource, is_producer_member
from app.library.vocab import LICENCES, RESOURCE_TYPES, USAGE_LICENCE

RESOURCE_STATES = StateMachine(
    "resource",
    {
        RS.DRAFT: frozenset({RS.PUBLISHED, RS.DELETED, RS.MERGED}),
        RS.PUBLISHED: frozenset({RS.DRAFT, RS.DELETED, RS.MERGED}),
        RS.DELETED: frozenset({RS.DRAFT}),  # restored by staff
        RS.MERGED: frozenset(),
    },
)


def check_year(values: dict) -> None:
    year = values.get("year_created")
    if year is not None and (
        not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= utcnow().year + 1
    ):
        raise ServiceError(_("Indiquez une année entre 1900 et l'an prochain."), field="year_created")


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
    check_year(values)
    clean["year_created"] = values.get("year_created")
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


def check_relations(values: dict) -> None:
    """The related resources exist, and none is the resource itself (`values["resource"]`, None for a new one)."""
    _resolve_relations(values.get("resource"), values)


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
    log_event(resource, actor, "created", diff(empty, snapshot(resource)))
    if publish:
        move_resource(actor, resource, RS.PUBLISHED)
    db.session.flush()
    return resource


def update_resource(actor: User, resource: Resource, values: dict) -> Resource:
    if not can_edit_resource(actor, resource):
        raise Forbidden(_("Vous ne pouvez pas modifier cette ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource ne peut plus être modifiée."))
    before = snapshot(resource)
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
    changes = diff(before, snapshot(resource))
    if changes:
        log_event(resource, actor, "updated", changes)
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
    before = snapshot(resource)
    resource.status = target
    if target == RS.PUBLISHED and resource.published_at is None:
        resource.published_at = utcnow()
    log_event(
        resource,
        actor,
        "restored" if current == RS.DELETED else STATUS_ACTIONS[target],
        diff(before, snapshot(resource)),
    )
    db.session.flush()


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
