"""E-mail that is never lost.

Every message is written to the outbox table in the same transaction as the
change that caused it, and logged. When SMTP_URL is set, a job delivers it
after commit; `flask hub send-mail` (a periodic job) delivers whatever is due.

Delivery, one row at a time:
- the row is *claimed* by a compare-and-set UPDATE (pending and due -> sending),
  committed before the SMTP conversation: of two senders racing on one row,
  one claims it, the other does nothing;
- success: `sent`, with sent_at; a job run twice never sends twice;
- a temporary failure (connection refused, timeout, 4xx): back to `pending`
  with an exponential backoff (MAIL_RETRY_BASE_SECONDS * 2^(attempts-1), capped),
  `failed` after MAIL_MAX_ATTEMPTS attempts;
- a permanent refusal (5xx): `failed` at once, with the server's answer;
- a sender that dies between the server's acceptance and its commit leaves the
  row `sending`: after MAIL_CLAIM_LEASE_SECONDS it is claimed again and sent
  with the same Message-ID (derived from the row), so the copy is recognisable.

The message is written in the reader's language: callers pass lazy strings
(`lazy_gettext`), rendered here under the recipient's locale (the locale of
the account with that address, else French).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlparse

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import DateTime, Integer, String, Text, and_, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.core.jobs import commit, enqueue
from app.core.models import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
LOGGED = "logged"  # written when no SMTP server was configured: never sent
DEFAULTS = {
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 6 * 3600,
    "MAIL_CLAIM_LEASE_SECONDS": 600,
    "SMTP_TIMEOUT": 20,
}


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


class OutboxEmail(db.Model):
    __tablename__ = "outbox_email"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, server_default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def message_id(self) -> str:
        domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "hubdusud.localhost"
        stamp = self.created_at.strftime("%Y%m%d%H%M%S") if self.created_at else "0"
        return f"<outbox-{self.id}-{stamp}@{domain}>"


LOCALE_LOOKUP = "hub_recipient_locale"  # app.extensions: address -> language of its account (set by accounts)


def recipient_locale(recipient: str) -> str:
    """The language of the account with this address, else French."""
    lookup = current_app.extensions.get(LOCALE_LOOKUP)
    locale = lookup(recipient.strip().lower()) if lookup else None
    return locale if locale in current_app.config.get("LANGUAGES", ["fr"]) else "fr"


def send_mail(recipient: str, subject, body, html=None, locale: str | None = None) -> OutboxEmail:
    """Write a message to the outbox (delivered after commit when SMTP_URL is set).

    `subject`, `body` and `html` may be lazy strings: they are rendered in the
    reader's language (`locale`, else the recipient account's, else French)."""
    locale = locale or recipient_locale(recipient)
    with force_locale(locale):
        subject, body, html = str(subject), str(body), (str(html) if html is not None else None)
    smtp = bool(current_app.config.get("SMTP_URL"))
    message = OutboxEmail(
        recipient=recipient,
        subject=subject[:300],
        body=body,
        html_body=html,
        locale=locale,
        status=PENDING if smtp else LOGGED,
        attempts=0,
    )
    db.session.add(message)
    db.session.flush()
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    if smtp:
        enqueue(deliver_mail, message.id)
    return message


def _due(now: datetime):
    lease = now - timedelta(seconds=_setting("MAIL_CLAIM_LEASE_SECONDS"))
    return or_(
        and_(
            OutboxEmail.status == PENDING,
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        ),
        and_(OutboxEmail.status == SENDING, OutboxEmail.claimed_at < lease),
    )


def claim(message_id: int) -> bool:
    """Take the row for one delivery attempt (compare-and-set), committed at once."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == message_id, _due(now))
        .values(status=SENDING, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    commit()
    return result.rowcount == 1


def build_message(message: OutboxEmail) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at or utcnow())
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    email["Content-Language"] = message.locale  # after set_content, which drops every Content-* header
    return email


def _smtp_send(email: EmailMessage) -> None:
    url = urlparse(current_app.config["SMTP_URL"])
    ssl = url.scheme == "smtps"
    smtp_cls = smtplib.SMTP_SSL if ssl else smtplib.SMTP
    with smtp_cls(
        url.hostname or "localhost", url.port or (465 if ssl else 25), timeout=_setting("SMTP_TIMEOUT")
    ) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(email)


def is_permanent(error: Exception) -> bool:
    """5xx answers about this message are permanent; everything else (the server
    down, 4xx, a login or TLS problem of ours) is worth another try."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        return False
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def describe(error: Exception) -> str:
    """The server's answer ("550 5.1.1 No such user"), else the exception, for staff to read."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{rcpt}: {code} {_decode(msg)}" for rcpt, (code, msg) in error.recipients.items())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:2000]


def _decode(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def backoff(attempts: int) -> timedelta:
    base, cap = _setting("MAIL_RETRY_BASE_SECONDS"), _setting("MAIL_RETRY_MAX_SECONDS")
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def deliver_mail(message_id: int) -> str | None:
    """One delivery attempt of one outbox row (a job; safe to run twice or at once).
    Returns the row's new status, or None when there was nothing to do."""
    if not current_app.config.get("SMTP_URL") or not claim(message_id):
        return None
    message = db.session.get(OutboxEmail, message_id, populate_existing=True)
    email, attempts, recipient = build_message(message), message.attempts, message.recipient
    db.session.commit()  # no transaction (nor SQLite lock) held during the SMTP conversation
    try:
        _smtp_send(email)
    except Exception as error:  # noqa: BLE001 — whatever happened, the row must leave "sending"
        now, text = utcnow(), describe(error)
        values = {"last_error": text, "claimed_at": None}
        if is_permanent(error) or attempts >= _setting("MAIL_MAX_ATTEMPTS"):
            values |= {"status": FAILED, "next_attempt_at": None}
            log.error("mail %s to %s failed for good after %d attempt(s): %s", message_id, recipient, attempts, text)
        else:
            values |= {"status": PENDING, "next_attempt_at": now + backoff(attempts)}
            log.warning(
                "mail %s to %s not delivered (attempt %d), next at %s: %s",
                message_id,
                recipient,
                attempts,
                values["next_attempt_at"].isoformat(),
                text,
            )
    else:
        values = {"status": SENT, "sent_at": utcnow(), "claimed_at": None, "last_error": None}
    # One statement, first of its transaction: it only waits for a concurrent writer, never deadlocks with it.
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == message_id, OutboxEmail.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    commit()
    return values["status"]


def deliver_due(limit: int = 200) -> dict:
    """Deliver every message whose (next) attempt is due: the periodic job."""
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    if not current_app.config.get("SMTP_URL"):
        return counts
    ids = db.session.scalars(select(OutboxEmail.id).where(_due(utcnow())).order_by(OutboxEmail.id).limit(limit)).all()
    db.session.commit()  # each claim starts its own transaction
    for message_id in ids:
        status = deliver_mail(message_id)
        if status in counts:
            counts[status] += 1
    return counts


def undelivered(limit: int = 100) -> list[OutboxEmail]:
    """Failed and waiting messages, newest first (for staff)."""
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.status.in_((FAILED, PENDING, SENDING)))
            .order_by(OutboxEmail.id.desc())
            .limit(limit)
        )
    )
