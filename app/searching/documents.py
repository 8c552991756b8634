"""Rows → search Documents. Only what the public may see is indexed publicly;
needs go to their own private kind (hub staff only). Labels are indexed in French
(the jobs build documents under `force_locale("fr")`)."""

from __future__ import annotations

from app.charter.models import SubjectKind
from app.charter.registry import active_labels, offer_levels, provider_levels
from app.core.models import PublicationStatus as PS
from app.core.urls import path_for
from app.directory.skills import skill_label
from app.directory.vocab import LANGUAGES, MODALITIES, OFFER_CATEGORIES, PRICE_MODES, PROVIDER_KINDS, label
from app.library.models import ResourceStatus as RS
from app.library.rendering import plain_text
from app.library.vocab import AUDIENCES, FORMATS, LICENCES, RESOURCE_TYPES, THEMES
from app.needs.models import NeedStatus as NS
from search import Document

INDEXED_NEED_STATUSES = (NS.OPEN, NS.PROPOSED, NS.MATCHED, NS.IN_PROGRESS, NS.DRAFT)


def _join(*parts) -> str:
    return " ".join(str(p) for p in parts if p)


_LOOK_UP = object()  # a builder called alone reads the label itself; documents_of() passes it


def _level(level: int | None) -> str | None:
    """The charter_level facet's value: the label level as text, None without a label."""
    return str(level) if level else None


def offer_document(offer, level=_LOOK_UP) -> Document | None:
    if offer.status != PS.PUBLISHED or offer.provider.status != PS.PUBLISHED:
        return None
    provider, commune = offer.provider, offer.provider.commune
    if level is _LOOK_UP:
        level = offer_levels([(offer.id, offer.provider_id)]).get(offer.id)  # its own label, else its provider's
    return Document(
        id=offer.id,
        kind="offer",
        title=offer.title,
        body=offer.description,
        keywords=_join(
            provider.name,
            commune.name,
            label(OFFER_CATEGORIES, offer.category),
            *(skill_label(s, "fr") for s in offer.skills),
            label(MODALITIES, offer.modality),
            label(PRICE_MODES, offer.price_mode),
        ),
        dep_code=commune.dep_code,
        commune_insee=commune.insee,
        category=offer.category,
        skills=list(offer.skills),
        modality=offer.modality,
        price_mode=offer.price_mode,
        charter_level=_level(level),
        lat=commune.lat,
        lon=commune.lon,
        published_at=offer.published_at,
        extra={
            "url": path_for("directory.offer_detail", offer_id=offer.id),
            "charter_level": level,
            "provider": provider.name,
            "commune": f"{commune.name} ({commune.dep_code})",
            "price_cents": offer.price_cents,
            "duration_hours": offer.duration_hours,
        },
    )


def provider_document(provider, level=_LOOK_UP) -> Document | None:
    if provider.status != PS.PUBLISHED:
        return None
    commune = provider.commune
    skills = sorted({s for o in provider.offers if o.status == PS.PUBLISHED for s in o.skills})
    if level is _LOOK_UP:
        level = provider_levels([provider.id]).get(provider.id)
    return Document(
        id=provider.id,
        kind="provider",
        title=provider.name,
        body=provider.presentation,
        keywords=_join(
            label(PROVIDER_KINDS, provider.kind),
            commune.name,
            *(label(LANGUAGES, code) for code in provider.languages or []),
        ),
        dep_code=commune.dep_code,
        commune_insee=commune.insee,
        skills=skills,
        charter_level=_level(level),
        lat=commune.lat,
        lon=commune.lon,
        published_at=provider.published_at,
        extra={
            "url": path_for("directory.provider_detail", provider_id=provider.id),
            "charter_level": level,
            "commune": f"{commune.name} ({commune.dep_code})",
            "radius_km": provider.radius_km,
        },
    )


def need_document(need, level=None) -> Document | None:  # needs have no charter label
    if need.status not in INDEXED_NEED_STATUSES:
        return None
    commune = need.commune
    return Document(
        id=need.id,
        kind="need",
        title=need.title,
        body=need.description,  # never the contact fields
        keywords=_join(
            need.organisation.name,
            commune.name,
            *(label(OFFER_CATEGORIES, c) for c in need.categories),
            *(skill_label(s, "fr") for s in need.skills),
        ),
        dep_code=commune.dep_code,
        commune_insee=commune.insee,
        category=need.categories[0] if need.categories else None,
        skills=list(need.skills),
        modality=need.modality,
        price_mode=need.funding_mode,
        lat=commune.lat,
        lon=commune.lon,
        published_at=need.opened_at or need.created_at,
        extra={
            "url": path_for("needs.detail", need_id=need.id),
            "organisation": need.organisation.name,
            "status": need.status.value,
            "commune": f"{commune.name} ({commune.dep_code})",
        },
    )


def resource_document(resource, level=_LOOK_UP) -> Document | None:
    """A knowledge-base resource (R42), public once published. Drafts (even those a
    licence holder may open), merged duplicates (they redirect to the survivor, which
    is indexed) and deleted ones (tombstones) are not. Resources have no place: no
    commune, no coordinates; no skills either (themes and audiences are keywords)."""
    if resource.status != RS.PUBLISHED:
        return None
    producers = ", ".join(p.name for p in resource.producers)
    prices = [o.price_cents for o in resource.licence_offers if o.active] if resource.is_paid else []
    if level is _LOOK_UP:
        level = resource_levels([resource.id]).get(resource.id)
    return Document(
        id=resource.id,
        kind="resource",
        title=resource.title,
        body=plain_text(resource.description),
        keywords=_join(
            resource.identifier,
            producers,
            label(RESOURCE_TYPES, resource.resource_type),
            *(label(THEMES, t) for t in resource.themes or []),
            *(label(AUDIENCES, a) for a in resource.audiences or []),
            *(label(FORMATS, f) for f in resource.formats or []),
            label(LICENCES, resource.licence),
            resource.year_created,
        ),
        charter_level=_level(level),
        published_at=resource.published_at or resource.created_at,
        extra={
            "url": path_for("library.resolve", ident=resource.identifier),
            "charter_level": level,
            "identifier": resource.identifier,
            "producer": producers,
            "resource_type": resource.resource_type,
            "licence": resource.licence,
            "licence_label": label(LICENCES, resource.licence),
            "paid": resource.is_paid,
            "price_from_cents": min(prices) if prices else None,
        },
    )


def resource_levels(resource_ids) -> dict[int, int]:
    return {rid: label.level for rid, label in active_labels(SubjectKind.RESOURCE, resource_ids).items()}


BUILDERS = {
    "offer": (offer_document, lambda rows: offer_levels([(o.id, o.provider_id) for o in rows])),
    "provider": (provider_document, lambda rows: provider_levels([p.id for p in rows])),
    "need": (need_document, lambda rows: {}),
    "resource": (resource_document, lambda rows: resource_levels([r.id for r in rows])),
}


def documents_of(kind: str, rows) -> dict[int, Document | None]:
    """{row id: its document, or None when it may not be shown}: the charter labels of
    the whole batch read at once (one query a batch, not one a row)."""
    rows = list(rows)
    builder, levels_of = BUILDERS[kind]
    levels = levels_of(rows)
    return {row.id: builder(row, level=levels.get(row.id)) for row in rows}
