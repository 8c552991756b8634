"""The knowledge base's answers to the charter: which resources a user may assess (those of the producers
they are a member of), and what an evidence file really is (the same content check as resource files).

The charter sits below the knowledge base in the layers, so it cannot ask library; create_app calls
`register()` once, and the charter reads resources through what is registered here.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from sqlalchemy import select

from app.charter.assessments import SubjectKindInfo, register_file_detector, register_subject
from app.charter.models import SubjectKind
from app.extensions import db
from app.library.filetypes import detect, extension_matches
from app.library.models import Producer, ProducerMember, Resource, resource_producer


def _resource(resource_id: int) -> Resource | None:
    return db.session.get(Resource, resource_id)


def _members(resource_id: int) -> set[int] | None:
    resource = _resource(resource_id)
    if resource is None:
        return None
    return {m.user_id for producer in resource.producers for m in producer.members}


def _resources_of(user) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Resource.id, Resource.title)
        .join(resource_producer, resource_producer.c.resource_id == Resource.id)
        .join(Producer, Producer.id == resource_producer.c.producer_id)
        .join(ProducerMember, ProducerMember.producer_id == Producer.id)
        .where(ProducerMember.user_id == user.id)
        .distinct()
        .order_by(Resource.id)
    ).all()
    return [(rid, title) for rid, title in rows]


def _url(resource_id: int) -> str | None:
    resource = _resource(resource_id)
    return None if resource is None else url_for("library.resolve", ident=resource.identifier)


def detect_evidence(path: Path, filename: str) -> tuple[str, bool | None] | None:
    kind = detect(path, filename)
    if kind is None:
        return None
    return kind.mime_type, extension_matches(filename, kind)


def register() -> None:
    register_subject(
        SubjectKind.RESOURCE,
        SubjectKindInfo(
            member_ids=_members,
            name=lambda rid: r.title if (r := _resource(rid)) else None,
            url=_url,
            dep_code=lambda _rid: None,  # a resource has no territory
            subjects_of=_resources_of,
        ),
    )
    register_file_detector(detect_evidence)
