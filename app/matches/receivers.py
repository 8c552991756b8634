"""How matching reacts to what needs and directory announce (app/core/signals.py).

Imported by `create_app`. Receivers run inside the sender's transaction: what they write is
committed (or rolled back) with the change that sent the signal.
"""

from __future__ import annotations

from app.core.jobs import enqueue
from app.core.signals import need_closed, need_text_changed, offer_text_changed
from app.directory.models import Offer
from app.matches.runs import warm_embeddings
from app.matches.services import close_pending_for_need
from app.needs.models import Need


@need_text_changed.connect
def warm_need(need: Need, **_extra) -> None:
    """Embed the need's text after the commit (one coalesced job), so runs find it cached."""
    enqueue(warm_embeddings, need_ids=[need.id], coalesce=True)


@offer_text_changed.connect
def warm_offer(offer: Offer, **_extra) -> None:
    """Embed the offer's text after the commit (one coalesced job), for the matching engine."""
    enqueue(warm_embeddings, offer_ids=[offer.id], coalesce=True)


@need_closed.connect
def close_for_need(need: Need, **_extra) -> None:
    """The need was cancelled: its pending proposals stop, its active missions are cancelled."""
    close_pending_for_need(need)
