"""Read side of the labels, for the rest of the app (matching, search, pages): which subjects hold an active
label, and at which level. An offer without a label of its own inherits its provider's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from app.charter.models import Label, LabelStatus, SubjectKind
from app.core.models import utcnow
from app.extensions import db


def active_labels(kind: SubjectKind, ids: Iterable[int], now: datetime | None = None) -> dict[int, Label]:
    """{subject id: its active, unexpired label (the highest level when several)}."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    now = now or utcnow()
    rows = db.session.scalars(
        select(Label).where(
            Label.subject_kind == kind,
            Label.subject_id.in_(wanted),
            Label.status == LabelStatus.ACTIVE,
            Label.expires_at > now,
        )
    ).all()
    best: dict[int, Label] = {}
    for label in rows:
        if label.subject_id not in best or label.level > best[label.subject_id].level:
            best[label.subject_id] = label
    return best


def active_label(kind: SubjectKind, subject_id: int) -> Label | None:
    return active_labels(kind, [subject_id]).get(subject_id)


def provider_levels(provider_ids: Iterable[int]) -> dict[int, int]:
    """{provider id: label level 1-5} for the labelled ones (the others are absent)."""
    return {pid: label.level for pid, label in active_labels(SubjectKind.PROVIDER, provider_ids).items()}


def offer_levels(offers: Iterable[tuple[int, int]]) -> dict[int, int]:
    """{offer id: level} from (offer id, provider id) pairs: the offer's own label, else its provider's."""
    pairs = list(offers)
    own = active_labels(SubjectKind.OFFER, [o for o, _p in pairs])
    inherited = provider_levels([p for _o, p in pairs])
    levels = {}
    for offer_id, provider_id in pairs:
        if offer_id in own:
            levels[offer_id] = own[offer_id].level
        elif provider_id in inherited:
            levels[offer_id] = inherited[provider_id]
    return levels
