"""A resource's history: which fields it records, snapshots and their differences, events."""

from __future__ import annotations

from app.accounts.models import User
from app.core.models import utcnow
from app.extensions import db
from app.library.models import RelationKind, Resource, ResourceEvent
from app.library.vocab import AUDIENCES, FORMATS, LANGUAGES, THEMES

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
HISTORY_FIELDS = (*SIMPLE_FIELDS, "producers", "is_based_on", "is_related_to", "status", "merged_into")


def snapshot(resource: Resource) -> dict:
    data = {name: getattr(resource, name) for name in SIMPLE_FIELDS}
    data = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
    data["producers"] = [p.name for p in resource.producers]
    for name, kind in RELATION_FIELDS.items():
        data[name] = [r.target.identifier for r in resource.relations if r.kind == kind]
    data["status"] = resource.status.value if resource.status else None
    data["merged_into"] = resource.merged_into.identifier if resource.merged_into else None
    return data


def diff(before: dict, after: dict) -> dict:
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in HISTORY_FIELDS
        if before.get(name) != after.get(name)
    }


def log_event(resource: Resource, actor: User | None, action: str, changes: dict | None = None) -> ResourceEvent:
    event = ResourceEvent(
        resource=resource, actor_id=actor.id if actor else None, action=action, changes=changes or {}, at=utcnow()
    )
    db.session.add(event)
    return event
