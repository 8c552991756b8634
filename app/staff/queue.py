"""The moderation queue, a page at a time: what waits for staff (organisations, providers, offers
submitted for publication), oldest first, each kind paginated on its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.models import PublicationStatus as PS
from app.directory.models import Offer, Organisation, Provider
from app.extensions import db

QUEUE_PER_PAGE = 10

#: The queue's kinds: the query-string parameter of their page, their model, what to load with them.
KINDS = {
    "structure": ("p_structures", Organisation, (selectinload(Organisation.commune),)),
    "prestataire": ("p_prestataires", Provider, (selectinload(Provider.commune),)),
    "offre": ("p_offres", Offer, (selectinload(Offer.provider),)),
}


@dataclass(frozen=True)
class Section:
    kind: str
    param: str
    items: list
    total: int
    page: int
    pages: int


def page_number(value) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1


def waiting(kind: str, page: int = 1, per_page: int = QUEUE_PER_PAGE) -> Section:
    """One page of the ``kind`` items submitted for publication, oldest first (a page past the
    end shows the last one)."""
    param, model, options = KINDS[kind]
    where = model.status == PS.SUBMITTED
    total = db.session.scalar(select(func.count()).select_from(model).where(where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        db.session.scalars(
            select(model)
            .where(where)
            .options(*options)
            .order_by(model.updated_at, model.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Section(kind, param, items, total, page, pages)


def moderation_queue(args) -> dict[str, Section]:
    """Every kind's page, by the query string ``args`` (``p_structures``, ``p_prestataires``, ``p_offres``)."""
    return {kind: waiting(kind, page_number(args.get(param))) for kind, (param, _m, _o) in KINDS.items()}
