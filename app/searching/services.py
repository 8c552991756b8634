"""Search in the app: one backend per request (SQL full-text on the request's own
connection, Meilisearch in front of it when MEILI_URL is set), documents kept in
step by a job after each commit, and the query the pages and the API build."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from app.charter.models import Label, SubjectKind
from app.charter.signals import label_ended, label_granted
from app.core.jobs import enqueue
from app.directory.models import Offer, Provider
from app.extensions import db
from app.library.models import LicenceOffer, Producer, Resource, resource_producer
from app.needs.models import Need
from app.searching.documents import documents_of
from app.searching.synonyms import current_synonyms
from app.territory.services import lookup_commune
from search import FILTER_FIELDS, PUBLIC_FACET_FIELDS, Document, SearchQuery, SqlBackend, make_backend

log = logging.getLogger(__name__)
PUBLIC_FACETS = list(PUBLIC_FACET_FIELDS)  # declared in search.base.FIELDS
#: Kinds that have a place. Resources (knowledge base) have none: a commune, a radius
#: or a distance sort do not apply to them and are left out of their query.
PLACED_KINDS = ("offer", "provider", "need")
MODALITY_FILTER = {"on_site": ["on_site", "both"], "remote": ["remote", "both"], "both": ["both"]}
#: The charter facet's values: a level ("1" to "5"), or "labellise" (any level).
CHARTER_LEVELS = ("1", "2", "3", "4", "5")
CHARTER_ANY = "labellise"
#: Filter values that stand for several stored values ("on site" also finds "both"; "labelled" any level).
FILTER_VALUES = {
    "modality": lambda value: MODALITY_FILTER.get(value, [value]),
    "charter_level": lambda value: list(CHARTER_LEVELS) if value == CHARTER_ANY else [value],
}


def get_backend():
    """The search backend, on the current session's connection (so a page reads,
    and a job writes, in the same transaction as everything else)."""
    config = current_app.config
    return make_backend(
        db.session.connection(),
        meili_url=config.get("MEILI_URL") or None,
        meili_key=config.get("MEILI_MASTER_KEY") or None,
        synonyms=current_synonyms(),  # the staff's table (app.searching.synonyms), one cheap query
    )


# ------------------------------------------------------------------ keeping the index in step

RESOURCE_LOADS = (selectinload(Resource.producers), selectinload(Resource.licence_offers))
TRACKED = {Offer: "offer_ids", Provider: "provider_ids", Need: "need_ids", Resource: "resource_ids"}


@event.listens_for(Session, "after_flush")
def _track(session: Session, _context) -> None:
    """Changed offers, providers, needs and resources are reindexed by a job after the
    commit (a rollback drops the job with the rest: nothing rolled back is ever indexed)."""
    changes: dict[str, list[int]] = {}
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        key = TRACKED.get(type(obj))
        if key is not None and getattr(obj, "id", None) is not None:
            changes.setdefault(key, []).append(obj.id)
            if isinstance(obj, Offer) and obj.provider_id:  # a provider's skills come from its offers
                changes.setdefault("provider_ids", []).append(obj.provider_id)
        elif isinstance(obj, LicenceOffer) and obj.resource_id:  # a resource's price comes from its offers
            changes.setdefault("resource_ids", []).append(obj.resource_id)
        elif (
            isinstance(obj, Producer)
            and obj.id is not None
            and obj not in session.new
            and inspect(obj).attrs.name.history.has_changes()
        ):  # its name is in its resources' documents
            changes.setdefault("producer_ids", []).append(obj.id)
    if changes:  # one job per transaction: the ids of every flush are merged into it
        enqueue(
            reindex_documents,
            queue="search",
            coalesce=True,
            session=session,
            **{key: sorted(set(ids)) for key, ids in changes.items()},
        )


LABEL_SUBJECTS = {
    SubjectKind.OFFER: "offer_ids",
    SubjectKind.PROVIDER: "provider_ids",
    SubjectKind.RESOURCE: "resource_ids",
}


def _label_changed(label: Label, **_kwargs) -> None:
    """A label was granted, expired or revoked: its subject's document (a provider's: its offers' too,
    which inherit it) is rebuilt after the commit, like any other change."""
    key = LABEL_SUBJECTS.get(SubjectKind(label.subject_kind))
    if key is not None:
        enqueue(reindex_documents, queue="search", coalesce=True, **{key: [label.subject_id]})


label_granted.connect(_label_changed, weak=False)
label_ended.connect(_label_changed, weak=False)


def reindex_documents(offer_ids=(), provider_ids=(), need_ids=(), resource_ids=(), producer_ids=()) -> dict:
    """The job: rebuild the documents of these rows; index what may be shown, delete the rest.

    `producer_ids`: knowledge-base producers that were renamed (their resources are rebuilt)."""
    with force_locale("fr"):  # vocabulary labels are indexed in French, whoever made the change
        return _reindex(offer_ids, provider_ids, need_ids, resource_ids, producer_ids)


def _reindex(offer_ids, provider_ids, need_ids, resource_ids, producer_ids) -> dict:
    backend = get_backend()
    provider_ids = set(provider_ids)
    offers = list(
        db.session.scalars(
            select(Offer)
            .where(Offer.id.in_(list(offer_ids) or [-1]))
            .options(selectinload(Offer.provider).selectinload(Provider.commune))
        )
    )
    providers = list(
        db.session.scalars(
            select(Provider)
            .where(Provider.id.in_(list(provider_ids) or [-1]))
            .options(selectinload(Provider.offers), selectinload(Provider.commune))
        )
    )
    # a provider's publication changes its offers' visibility
    for provider in providers:
        offers.extend(o for o in provider.offers if o.id not in {x.id for x in offers})
    needs = list(
        db.session.scalars(
            select(Need)
            .where(Need.id.in_(list(need_ids) or [-1]))
            .options(selectinload(Need.commune), selectinload(Need.organisation))
        )
    )
    resource_ids = set(resource_ids)
    if producer_ids:
        resource_ids |= set(
            db.session.scalars(
                select(resource_producer.c.resource_id).where(resource_producer.c.producer_id.in_(list(producer_ids)))
            )
        )
    resources = list(
        db.session.scalars(select(Resource).where(Resource.id.in_(list(resource_ids) or [-1])).options(*RESOURCE_LOADS))
    )
    counts = {}
    for kind, rows, wanted in (
        ("offer", offers, set(offer_ids) | {o.id for o in offers}),
        ("provider", providers, provider_ids),
        ("need", needs, set(need_ids)),
        ("resource", resources, resource_ids),
    ):
        docs = documents_of(kind, rows)
        visible = [d for d in docs.values() if d is not None]
        gone = [i for i in wanted if docs.get(i) is None]
        if visible:
            backend.index(kind, visible)
        if gone:
            backend.delete(kind, gone)
        counts[kind] = (len(visible), len(gone))
    return counts


def rebuild_all(progress=None, batch: int = 500) -> dict:
    """`flask hub reindex`: every document of every kind, one kind at a time."""
    with force_locale("fr"):
        return _rebuild_all(progress, batch)


REBUILT_MODELS = (Offer, Provider, Need, Resource)  # what `flask hub reindex` counts for its progress bar


def index_needs_rebuild() -> bool:
    """True when the search index is empty although there are rows to index (a
    database restored without it, or migration 0008, which recreates the search
    tables): `flask hub bootstrap` then rebuilds it."""
    if db.session.scalar(text("SELECT EXISTS (SELECT 1 FROM search_doc)")):
        return False
    return any(db.session.scalar(select(model.id).limit(1)) is not None for model in REBUILT_MODELS)


def _documents(kind, model, options, batch: int) -> Iterator[list[Document]]:
    """The documents of every row of `model` that may be shown, `batch` rows at a time."""
    rows = []
    for row in db.session.scalars(select(model).options(*options).order_by(model.id)):
        rows.append(row)
        if len(rows) >= batch:
            yield [d for d in documents_of(kind, rows).values() if d is not None]
            rows = []
    if rows:
        yield [d for d in documents_of(kind, rows).values() if d is not None]


def rebuild_backend():
    """The backend `flask hub reindex` rebuilds with: on the engine, not the
    session's transaction, so that each kind is rebuilt into a shadow build in
    short transactions and swapped in at the end (search/sql/builds.py): the
    site keeps reading and writing meanwhile."""
    config = current_app.config
    bind = db.session.get_bind()
    # A session bound to one connection (the tests' outer transaction) rebuilds in that transaction.
    bind = bind if isinstance(bind, Engine) else db.session.connection()
    backend = make_backend(
        bind,
        meili_url=config.get("MEILI_URL") or None,
        meili_key=config.get("MEILI_MASTER_KEY") or None,
    )
    sql = getattr(backend, "fallback", backend)  # FallbackBackend: its SQL side
    if isinstance(sql, SqlBackend):
        # the workers' copies reload within a warm-up interval of the swap; meanwhile they may
        # still show the old build's documents, so its rows stay that long
        sql.rebuild_grace = float(config.get("SEARCH_REBUILD_GRACE", 5.0))
    return backend


def _rebuild_all(progress, batch: int) -> dict:
    backend = rebuild_backend()
    totals = {}
    for kind, model, options in (
        ("offer", Offer, (selectinload(Offer.provider).selectinload(Provider.commune),)),
        ("provider", Provider, (selectinload(Provider.offers), selectinload(Provider.commune))),
        ("need", Need, (selectinload(Need.commune), selectinload(Need.organisation))),
        ("resource", Resource, RESOURCE_LOADS),
    ):
        totals[kind] = backend.rebuild(kind, _documents(kind, model, options, batch), progress=progress)
    if hasattr(backend, "optimize"):
        backend.optimize()
    return totals


# ------------------------------------------------------------------ querying


@dataclass
class SearchRequest:
    """What a page or an API call asks, already validated."""

    text: str = ""
    kind: str = "offer"
    category: str | None = None
    skills: list[str] | None = None
    dep_code: str | None = None
    modality: str | None = None
    price_mode: str | None = None
    charter_level: str | None = None  # "1" to "5", or CHARTER_ANY
    commune: str | None = None
    radius_km: float | None = None
    sort: str = "relevance"
    cursor: str | None = None
    limit: int = 20
    match_any: bool = False  # at least one of the words (after no document had them all)
    widen_below: int = 0  # SearchQuery.widen_below


class Unprocessable(ValueError):
    """A well-formed request the data cannot answer (an unknown commune, a distance sort
    without one): the API answers 422, where a malformed parameter answers 400.

    `candidates`: the communes it could mean (a postal code covering several of them, a
    name several share), for the page to offer them."""

    def __init__(self, message: str, candidates=()):
        super().__init__(message)
        self.candidates = tuple(candidates)


def build_query(req: SearchRequest, *, staff: bool = False) -> tuple[SearchQuery, object]:
    """Returns the engine's query and the commune used for distances (or None: also for
    resources, which have no place; a distance sort of resources is by relevance).

    Raises ValueError with a French message on a bad parameter."""
    filters = {}
    for name in FILTER_FIELDS:  # the fields of search.base.FIELDS that a SearchRequest carries
        value = getattr(req, name, None)
        if value:
            filters[name] = FILTER_VALUES[name](value) if name in FILTER_VALUES else value
    commune = None
    placed = req.kind in PLACED_KINDS
    sort = req.sort if placed or req.sort != "distance" else "relevance"
    if req.commune and placed:
        found = lookup_commune(req.commune)
        commune = found.commune
        if commune is None:
            raise Unprocessable(found.error or _("Commune introuvable."), found.candidates)
        if commune.lat is None:
            raise Unprocessable(
                _("La position de %(name)s est inconnue : choisissez une commune voisine.", name=commune.name)
            )
    if sort == "distance" and commune is None:
        raise Unprocessable(_("Indiquez une commune pour trier par distance."))
    if req.kind == "need" and not staff:
        raise PermissionError("needs are for hub staff only")
    query = SearchQuery(
        text=req.text or "",
        kind=req.kind,
        filters=filters,
        facets=list(PUBLIC_FACETS),
        near=(commune.lat, commune.lon) if commune else None,
        radius_km=req.radius_km if commune else None,
        sort=sort,
        limit=req.limit,
        cursor=req.cursor or None,
        include_private=req.kind == "need",
        match_any=req.match_any,
        widen_below=req.widen_below,
    )
    return query, commune
