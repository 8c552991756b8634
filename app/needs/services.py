"""Needs: creation (usually from the boussole), edits, and their state machine."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.dashboard import register_dashboard_part
from app.accounts.models import User
from app.core.errors import Forbidden, ServiceError
from app.core.models import utcnow
from app.core.signals import need_closed, need_text_changed
from app.core.states import StateMachine
from app.directory.models import Organisation
from app.directory.services import can_manage_organisation
from app.extensions import db
from app.needs.models import Need
from app.needs.models import NeedStatus as NS

NEED_STATES = StateMachine(
    "need",
    {
        NS.DRAFT: frozenset({NS.OPEN, NS.CANCELLED}),
        NS.OPEN: frozenset({NS.PROPOSED, NS.CANCELLED, NS.CLOSED, NS.DRAFT}),
        NS.PROPOSED: frozenset({NS.MATCHED, NS.OPEN, NS.CANCELLED}),
        NS.MATCHED: frozenset({NS.IN_PROGRESS, NS.OPEN, NS.CANCELLED}),
        NS.IN_PROGRESS: frozenset({NS.DONE, NS.CANCELLED, NS.OPEN}),  # open: the mission was cancelled
        NS.DONE: frozenset({NS.CLOSED}),
        NS.CLOSED: frozenset(),
        NS.CANCELLED: frozenset(),
    },
)
# Moves an organisation makes itself; the others come from matching and missions.
OWNER_MOVES = {
    (NS.DRAFT, NS.OPEN),
    (NS.OPEN, NS.DRAFT),
    (NS.DRAFT, NS.CANCELLED),
    (NS.OPEN, NS.CANCELLED),
    (NS.PROPOSED, NS.CANCELLED),
    (NS.MATCHED, NS.CANCELLED),
    (NS.DONE, NS.CLOSED),
    (NS.OPEN, NS.CLOSED),
}
EDITABLE = {NS.DRAFT, NS.OPEN}
NEED_FIELDS = (
    "title",
    "description",
    "categories",
    "skills",
    "commune_insee",
    "modality",
    "window_start",
    "window_end",
    "funding_mode",
    "contact_name",
    "contact_email",
    "contact_phone",
    "charter_preference",
    "accepts_category_only",
    "two_experts",
)
#: What a need says about providers labelled by the ethical charter: matching reads it ("prefer" raises
#: that need's charter weight, "only" is a hard rule of the candidates and of the checker).
CHARTER_PREFERENCES = {
    "": _l("pas de préférence"),
    "prefer": _l("de préférence"),
    "only": _l("uniquement"),
}


def can_see_need(user: User, need: Need) -> bool:
    """Needs and their contact details: the organisation's members and hub staff only."""
    return user.is_authenticated and (user.is_staff or need.organisation_id in user.organisation_ids)


def check_window(values: dict) -> None:
    start, end = values.get("window_start"), values.get("window_end")
    if start and end and end < start:
        raise ServiceError(_("La fin de la période doit suivre son début."), field="window_end")


def check_wanted(values: dict) -> None:
    if not values.get("skills") and not values.get("categories"):
        raise ServiceError(_("Choisissez au moins une compétence recherchée."), field="skills")


def check_two_experts(values: dict) -> None:
    """Two complementary experts share the wanted skills between them: at least two skills."""
    if values.get("two_experts") and len(set(values.get("skills") or [])) < 2:
        raise ServiceError(
            _("Pour deux experts complémentaires, choisissez au moins deux compétences recherchées."),
            field="two_experts",
        )


def check_charter_preference(values: dict) -> None:
    if (values.get("charter_preference") or "") not in CHARTER_PREFERENCES:
        raise ServiceError(
            _("Choisissez une préférence proposée pour les prestataires labellisés."), field="charter_preference"
        )


def _check_values(values: dict) -> None:
    check_window(values)  # the need form runs both at once too (one pass)
    check_wanted(values)
    check_two_experts(values)
    check_charter_preference(values)


def create_need(
    actor: User, organisation: Organisation, values: dict, answers: list[str] | None = None, publish: bool = True
) -> Need:
    if not can_manage_organisation(actor, organisation):
        raise Forbidden(_("Vous ne gérez pas cette structure."))
    _check_values(values)
    need = Need(
        organisation=organisation, created_by_id=actor.id, boussole_answers=list(answers or []), status=NS.DRAFT
    )
    for name in NEED_FIELDS:
        if name in values:
            setattr(need, name, values[name])
    db.session.add(need)
    if publish:
        move_need(actor, need, NS.OPEN)
    db.session.flush()
    _warm(need)
    return need


def update_need(actor: User, need: Need, values: dict) -> Need:
    if not can_see_need(actor, need):
        raise Forbidden(_("Vous ne gérez pas ce besoin."))
    if need.status not in EDITABLE:
        raise ServiceError(_("Ce besoin ne peut plus être modifié : il est déjà en cours de mise en relation."))
    merged = {name: getattr(need, name) for name in NEED_FIELDS} | values
    _check_values(merged)
    for name in NEED_FIELDS:
        if name in values:
            setattr(need, name, values[name])
    db.session.flush()
    if {"title", "description"} & set(values):
        _warm(need)
    return need


def _warm(need: Need) -> None:
    """The need's text changed: matching embeds it after the commit (its receiver), so runs find it cached."""
    need_text_changed.send(need)


def move_need(actor: User | None, need: Need, target: NS, reason: str | None = None, system: bool = False) -> None:
    """The one function that changes a need's status.

    `system=True` is for the matching engine and missions; people may make only
    the owner moves on their own needs (hub staff may make any legal move).
    """
    NEED_STATES.check(need.status, target)
    if not system:
        if actor is None:
            raise Forbidden(_("Action non autorisée."))
        org_id = need.organisation.id if need.organisation is not None else need.organisation_id
        owner = org_id in actor.organisation_ids
        if not actor.is_staff and not (owner and (need.status, target) in OWNER_MOVES):
            raise Forbidden(_("Action non autorisée sur ce besoin."))
    if target == NS.CANCELLED:
        need_closed.send(need)  # matching stops its pending proposals and cancels the active missions
    if target == NS.OPEN and need.opened_at is None:
        need.opened_at = utcnow()
    need.status_reason = reason.strip() if reason else None
    need.status = target


def needs_of(user: User) -> list[Need]:
    if not user.organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(Need).where(Need.organisation_id.in_(user.organisation_ids)).order_by(Need.created_at.desc())
        )
    )


register_dashboard_part("needs", lambda user: {"needs": needs_of(user)})  # the user's space lists their needs
