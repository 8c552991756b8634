"""The access log: every read of a person's data by hub staff, for that person to see.

One helper, `record_read(what, ...)`, called by a thin hook in each staff view that shows personal
data (a need's contact details, an organisation's members, a provider's bank or contact details, an
export made for someone): who read (the signed-in staff member), whose data (user accounts, and the
members of organisations or providers), what (`WHAT` code and a reference such as "need:12"),
when, and why (the route, and the reason given for an export on request).

It lives on the ground floor so that every domain's views may call it; the person reads it on
"Mes données" and in their export (app/privacy). Members are found through the `membership` table by
name (the ground floor imports no domain).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.jobs import commit
from app.core.models import utcnow
from app.extensions import db

# What was read: the code stored, the words shown.
WHAT = {
    "need_contact": _l("coordonnées d'un besoin"),
    "organisation_members": _l("membres d'une structure"),
    "organisation_contact": _l("coordonnées d'une structure"),
    "provider_contact": _l("coordonnées d'un intervenant"),
    "provider_bank": _l("coordonnées bancaires et de contact d'un intervenant"),
    "payout_batch": _l("fichier de virements (IBAN des intervenants)"),
    "data_export": _l("export de données personnelles"),
    "account": _l("compte utilisateur"),
}


class AccessLogEntry(db.Model):
    __tablename__ = "privacy_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(40))  # a WHAT code
    detail: Mapped[str] = mapped_column(String(200), default="")  # "need:12", "provider:3"
    route: Mapped[str] = mapped_column(String(300), default="")  # the page that showed it
    reason: Mapped[str] = mapped_column(Text, default="")  # given by staff (an export on request)


def members_of(*, organisations: Iterable[int | None] = (), providers: Iterable[int | None] = ()) -> set[int]:
    """The user ids of the members of these organisations and providers."""
    membership = db.metadata.tables["membership"]
    org_ids = sorted({int(i) for i in organisations if i})
    provider_ids = sorted({int(i) for i in providers if i})
    conditions = []
    if org_ids:
        conditions.append(membership.c.organisation_id.in_(org_ids))
    if provider_ids:
        conditions.append(membership.c.provider_id.in_(provider_ids))
    if not conditions:
        return set()
    return set(db.session.execute(select(membership.c.user_id).where(or_(*conditions))).scalars())


def record_read(
    what: str,
    *,
    users: Iterable[int | None] = (),
    organisations: Iterable[int | None] = (),
    providers: Iterable[int | None] = (),
    detail: str = "",
    reason: str = "",
    actor_id: int | None = None,
) -> int:
    """Log a staff read of personal data; returns the number of people concerned.

    Only staff reads count (the signed-in user must be staff, unless a job names `actor_id`), and
    never a read of one's own data. Added to the session; the request's commit (or the caller's) writes it. A view
    that only reads calls `record_read` then `db.session.commit()` — or uses `log_read`."""
    if what not in WHAT:
        raise ValueError(f"unknown access log code {what!r}")
    if actor_id is None:
        if not getattr(current_user, "is_authenticated", False) or not current_user.is_staff:
            return 0  # the people themselves and their colleagues: not a staff read
        actor_id = current_user.id
    subjects = {int(u) for u in users if u}
    subjects |= members_of(organisations=organisations, providers=providers)
    subjects.discard(actor_id)  # type: ignore[arg-type]
    route = request.path[:300] if has_request_context() else ""
    for subject in sorted(subjects):
        db.session.add(
            AccessLogEntry(
                actor_id=actor_id, subject_user_id=subject, what=what, detail=detail[:200], route=route, reason=reason
            )
        )
    return len(subjects)


def log_read(what: str, **kwargs) -> None:
    """`record_read` and commit at once: the hook of a page that reads (its GET commits nothing)."""
    if record_read(what, **kwargs):
        commit()
