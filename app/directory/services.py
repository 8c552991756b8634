"""Directory: organisations, providers and offers, and their moderation.

Services take plain values and the acting user; they flush, never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as siret_std

from app.accounts.models import User
from app.accounts.services import add_membership
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import PublicationStatus as PS
from app.core.models import utcnow
from app.core.signals import offer_text_changed
from app.core.states import StateMachine
from app.core.urls import clean_web_url
from app.directory.models import ChangeStatus, ListingChange, Offer, Organisation, Provider
from app.extensions import db
from app.territory.models import Commune

PUBLICATION = StateMachine(
    "publication",
    {
        PS.DRAFT: frozenset({PS.SUBMITTED, PS.ARCHIVED}),
        PS.SUBMITTED: frozenset({PS.PUBLISHED, PS.REJECTED, PS.DRAFT}),
        PS.REJECTED: frozenset({PS.SUBMITTED, PS.DRAFT, PS.ARCHIVED}),
        PS.PUBLISHED: frozenset({PS.ARCHIVED, PS.SUBMITTED}),
        PS.ARCHIVED: frozenset({PS.DRAFT}),
    },
)
# Moves only hub staff may make; owners make the others on their own entities.
STAFF_ONLY = {PS.PUBLISHED, PS.REJECTED}


def clean_siret(value: str | None) -> str | None:
    """Validate a SIRET with python-stdnum; return it compact, or None when empty."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return siret_std.validate(value)
    except StdnumError:
        raise ServiceError(
            _("Ce numéro SIRET n'est pas valide (14 chiffres, clé de contrôle)."), field="siret"
        ) from None


def _check_siret_free(model, siret: str | None, own_id: int | None) -> None:
    if siret is None:
        return
    other = db.session.scalar(select(model.id).where(model.siret == siret))
    if other is not None and other != own_id:
        raise Conflict(_("Une structure est déjà inscrite avec ce SIRET."), field="siret")


def can_manage_organisation(user: User, org: Organisation) -> bool:
    return user.is_authenticated and (user.is_staff or org.id in user.organisation_ids)


def can_manage_provider(user: User, provider: Provider) -> bool:
    return user.is_authenticated and (user.is_staff or provider.id in user.provider_ids)


def _apply(entity, values: dict, fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in values:
            value = values[name]
            if name in LINK_FIELDS:  # the one rule for links, whatever the caller (form, API, import)
                value = clean_web_url(value, name)
            setattr(entity, name, value)


# ---------------------------------------------------------------- moderation log of owners' edits

#: Outside links: an owner's change on a published listing waits for hub staff.
LINK_FIELDS = frozenset({"website"})
#: Never shown to the public: changed without moderation.
PRIVATE_FIELDS = frozenset({"iban", "bic", "bank_holder"})
KIND_OF = {Organisation: "organisation", Provider: "provider", Offer: "offer"}
MODEL_OF = {kind: model for model, kind in KIND_OF.items()}


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _moderated_update(actor: User, entity, values: dict, fields: tuple[str, ...]) -> None:
    """Apply an edit; an owner's edit of a published listing goes through the moderation log.

    Public fields go live and are logged; a changed link is held (not applied) until staff approve it.
    """
    if actor.is_staff or entity.status != PS.PUBLISHED:
        _apply(entity, values, fields)
        return
    wanted = {name: values[name] for name in fields if name in values}
    for name in LINK_FIELDS & set(wanted):
        wanted[name] = clean_web_url(wanted[name], name)
    changed = {
        name: [_plain(getattr(entity, name)), _plain(value)]
        for name, value in wanted.items()
        if name not in PRIVATE_FIELDS and getattr(entity, name) != value
    }
    held = {name: change for name, change in changed.items() if name in LINK_FIELDS}
    _apply(entity, {name: value for name, value in wanted.items() if name not in held}, fields)
    kind = KIND_OF[type(entity)]
    if held:
        for older in pending_changes(entity):  # the latest proposal replaces an unanswered one
            older.status = ChangeStatus.REPLACED
        db.session.add(
            ListingChange(
                entity_kind=kind, entity_id=entity.id, actor_id=actor.id, changes=held, status=ChangeStatus.PENDING
            )
        )
    live = {name: change for name, change in changed.items() if name not in held}
    if live:
        db.session.add(
            ListingChange(
                entity_kind=kind, entity_id=entity.id, actor_id=actor.id, changes=live, status=ChangeStatus.APPLIED
            )
        )


def pending_changes(entity) -> list[ListingChange]:
    return list(
        db.session.scalars(
            select(ListingChange)
            .where(
                ListingChange.entity_kind == KIND_OF[type(entity)],
                ListingChange.entity_id == entity.id,
                ListingChange.status == ChangeStatus.PENDING,
            )
            .order_by(ListingChange.id)
        )
    )


def listing_of(change: ListingChange):
    return db.session.get(MODEL_OF[change.entity_kind], change.entity_id)


def decide_change(actor: User, change: ListingChange, approve: bool) -> None:
    """Hub staff approve (the held value goes live) or refuse an owner's pending change."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut modérer."))
    if change.status != ChangeStatus.PENDING:
        raise Conflict(_("Cette modification a déjà été traitée."))
    entity = listing_of(change)
    if approve and entity is not None:
        for name, (_old, new) in change.changes.items():
            if name in LINK_FIELDS:
                new = clean_web_url(new, name)
            setattr(entity, name, new)
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REFUSED
    change.decided_by_id = actor.id
    change.decided_at = utcnow()
    db.session.flush()


def change_log(limit: int = 50) -> dict[str, list[ListingChange]]:
    """For the moderation page: changes waiting for a decision, then the latest ones applied."""

    def rows(*statuses):
        return list(
            db.session.scalars(
                select(ListingChange)
                .where(ListingChange.status.in_(statuses))
                .order_by(ListingChange.id.desc())
                .limit(limit)
            )
        )

    return {
        "pending": rows(ChangeStatus.PENDING),
        "recent": rows(ChangeStatus.APPLIED, ChangeStatus.APPROVED, ChangeStatus.REFUSED),
    }


ORG_FIELDS = ("name", "kind", "size", "commune_insee", "description", "contact_email", "contact_phone", "website")
PROVIDER_FIELDS = (
    "name",
    "kind",
    "commune_insee",
    "radius_km",
    "remote_capable",
    "languages",
    "presentation",
    "website",
    "contact_email",
    "contact_phone",
    "public_address",
    "opendata_contact",
    "iban",
    "bic",
    "bank_holder",
)
OFFER_FIELDS = (
    "title",
    "description",
    "category",
    "skills",
    "modality",
    "duration_hours",
    "capacity_per_month",
    "price_mode",
    "price_cents",
    "available_from",
    "available_until",
)


def _create_structure(actor: User, model, values: dict, fields: tuple[str, ...], membership: str):
    """An organisation or a provider: SIRET checked, the creator becomes its owner, sent to moderation."""
    siret = clean_siret(values.get("siret"))
    _check_siret_free(model, siret, None)
    entity = model(siret=siret)
    _apply(entity, values, fields)
    db.session.add(entity)
    add_membership(actor, **{membership: entity})
    db.session.flush()
    _move(entity, actor, PS.SUBMITTED, None, owner_ok=True)
    return entity


def _update_structure(actor: User, entity, values: dict, fields: tuple[str, ...], allowed: bool, refusal: str):
    if not allowed:
        raise Forbidden(refusal)
    if "siret" in values:
        siret = clean_siret(values.get("siret"))
        _check_siret_free(type(entity), siret, entity.id)
        entity.siret = siret
    _moderated_update(actor, entity, values, fields)
    db.session.flush()
    return entity


def create_organisation(actor: User, values: dict) -> Organisation:
    return _create_structure(actor, Organisation, values, ORG_FIELDS, "organisation")


def update_organisation(actor: User, org: Organisation, values: dict) -> Organisation:
    return _update_structure(
        actor, org, values, ORG_FIELDS, can_manage_organisation(actor, org), _("Vous ne gérez pas cette structure.")
    )


def create_provider(actor: User, values: dict) -> Provider:
    return _create_structure(actor, Provider, values, PROVIDER_FIELDS, "provider")


def update_provider(actor: User, provider: Provider, values: dict) -> Provider:
    return _update_structure(
        actor,
        provider,
        values,
        PROVIDER_FIELDS,
        can_manage_provider(actor, provider),
        _("Vous ne gérez pas ce prestataire."),
    )


def check_offer_price(values: dict) -> None:
    if values.get("price_mode") == "paid" and not values.get("price_cents"):
        raise ServiceError(_("Indiquez le prix d'une offre payante."), field="price")
    if values.get("price_mode") in ("volunteer",) and values.get("price_cents"):
        raise ServiceError(_("Une offre bénévole est gratuite : laissez le prix vide."), field="price")


def check_offer_availability(values: dict) -> None:
    start, end = values.get("available_from"), values.get("available_until")
    if start and end and end < start:
        raise ServiceError(_("La fin de disponibilité doit suivre son début."), field="available_until")


def _check_offer_values(values: dict) -> None:
    check_offer_price(values)  # the offer form runs both at once too (one pass)
    check_offer_availability(values)


def create_offer(actor: User, provider: Provider, values: dict, submit: bool = False) -> Offer:
    if not can_manage_provider(actor, provider):
        raise Forbidden(_("Vous ne gérez pas ce prestataire."))
    _check_offer_values(values)
    offer = Offer(provider=provider, status=PS.DRAFT)
    _apply(offer, values, OFFER_FIELDS)
    db.session.add(offer)
    if submit:
        move_offer(actor, offer, PS.SUBMITTED)
    db.session.flush()
    _warm(offer)
    return offer


def update_offer(actor: User, offer: Offer, values: dict) -> Offer:
    if not can_manage_provider(actor, offer.provider):
        raise Forbidden(_("Vous ne gérez pas ce prestataire."))
    merged = {name: getattr(offer, name) for name in OFFER_FIELDS} | values
    _check_offer_values(merged)
    _moderated_update(actor, offer, values, OFFER_FIELDS)
    db.session.flush()
    if {"title", "description"} & set(values):
        _warm(offer)
    return offer


def _warm(offer: Offer) -> None:
    """The offer's text changed: matching embeds it after the commit (its receiver), for the engine."""
    offer_text_changed.send(offer)


def _move(entity, actor: User, target: PS, reason: str | None, owner_ok: bool) -> None:
    current = entity.status
    PUBLICATION.check(current, target)
    if target in STAFF_ONLY or (current == PS.PUBLISHED and target == PS.SUBMITTED):
        if not actor.is_staff:
            raise Forbidden(_("Seule l'équipe du Hub peut modérer."))
    elif not (owner_ok or actor.is_staff):
        raise Forbidden(_("Vous ne gérez pas cette fiche."))
    if target == PS.REJECTED:
        if not (reason and reason.strip()):
            raise ServiceError(_("Indiquez la raison du refus : elle sera transmise."), field="reason")
        entity.rejection_reason = reason.strip()
    elif target in (PS.SUBMITTED, PS.PUBLISHED):
        entity.rejection_reason = None
    if target == PS.PUBLISHED:
        entity.published_at = utcnow()
        entity.moderated_by_id = actor.id
    if target == PS.REJECTED:
        entity.moderated_by_id = actor.id
    entity.status = target


def move_organisation(actor: User, org: Organisation, target: PS, reason: str | None = None) -> None:
    _move(org, actor, target, reason, owner_ok=can_manage_organisation(actor, org))


def move_provider(actor: User, provider: Provider, target: PS, reason: str | None = None) -> None:
    _move(provider, actor, target, reason, owner_ok=can_manage_provider(actor, provider))


def move_offer(actor: User, offer: Offer, target: PS, reason: str | None = None) -> None:
    _move(offer, actor, target, reason, owner_ok=can_manage_provider(actor, offer.provider))


def published_offers_query():
    return select(Offer).join(Offer.provider).where(Offer.status == PS.PUBLISHED, Provider.status == PS.PUBLISHED)


def with_provider_and_commune(stmt):
    """Load what an offer card shows in two extra queries, not one per offer."""
    return stmt.options(selectinload(Offer.provider).selectinload(Provider.commune))


def moderation_queue() -> dict[str, list]:
    waiting = (PS.SUBMITTED,)
    return {
        "organisations": list(
            db.session.scalars(
                select(Organisation).where(Organisation.status.in_(waiting)).order_by(Organisation.updated_at)
            )
        ),
        "providers": list(
            db.session.scalars(select(Provider).where(Provider.status.in_(waiting)).order_by(Provider.updated_at))
        ),
        "offers": list(db.session.scalars(select(Offer).where(Offer.status.in_(waiting)).order_by(Offer.updated_at))),
    }


def catalogue(filters: dict, page: int = 1, per_page: int = 20):
    """Published offers of published providers, filtered (structured filters only).
    Returns (offers, total). Text search is the `search` package's job (/recherche, /api/v1/search).
    """
    stmt = published_offers_query()
    if filters.get("category"):
        stmt = stmt.where(Offer.category == filters["category"])
    if filters.get("price_mode"):
        stmt = stmt.where(Offer.price_mode == filters["price_mode"])
    if filters.get("modality"):
        wanted = {"on_site": ("on_site", "both"), "remote": ("remote", "both")}.get(
            filters["modality"], (filters["modality"],)
        )
        stmt = stmt.where(Offer.modality.in_(wanted))
    if filters.get("departement"):
        stmt = stmt.join(Commune, Provider.commune_insee == Commune.insee).where(
            Commune.dep_code == filters["departement"]
        )
    if filters.get("skill"):
        stmt = stmt.where(func.lower(func.cast(Offer.skills, db.String)).contains(f'"{filters["skill"].lower()}"'))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    offers = list(
        db.session.scalars(
            with_provider_and_commune(stmt)
            .order_by(Offer.published_at.desc(), Offer.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return offers, total
