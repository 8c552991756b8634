"""Who may see, edit and download a resource, manage a producer, see or manage a licence."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden
from app.core.models import utcnow
from app.extensions import db
from app.library.models import GrantStatus, LicenceGrant, Producer, ProducerMember, Resource
from app.library.models import ResourceStatus as RS


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


def can_manage_grant(user: User, grant: LicenceGrant) -> bool:
    return bool(user and user.is_authenticated) and (user.is_staff or is_producer_member(user, grant.offer.producer))


def can_see_grant(user: User, grant: LicenceGrant) -> bool:
    return bool(user and user.is_authenticated) and (grant.holder_id == user.id or can_manage_grant(user, grant))


def grant_is_valid(grant: LicenceGrant, now: datetime | None = None) -> bool:
    now = now or utcnow()
    ends = grant.ends_at
    if ends is not None and ends.tzinfo is None:
        ends = ends.replace(tzinfo=UTC)
    return grant.status == GrantStatus.ACTIVE and (ends is None or ends > now)


EDITABLE = {RS.DRAFT, RS.PUBLISHED}


def require_editable(actor: User, resource: Resource) -> None:
    if not can_edit_resource(actor, resource):
        raise Forbidden(_("Vous ne pouvez pas modifier cette ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource ne peut plus être modifiée."))
