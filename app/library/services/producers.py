"""Producers (a person or a structure) of resources, and their members."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import get_user_by_email
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.urls import clean_web_url
from app.extensions import db
from app.library.models import Producer, ProducerMember, Resource, resource_producer
from app.library.models import ResourceStatus as RS
from app.library.services.rights import can_manage_producer
from app.library.vocab import PRODUCER_KINDS

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
