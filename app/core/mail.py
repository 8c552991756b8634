"""E-mail: every message is written to the outbox table in the same
transaction as the change that caused it, and logged. When SMTP_URL is set,
a job delivers it after commit."""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.jobs import enqueue
from app.core.models import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


class OutboxEmail(db.Model):
    __tablename__ = "outbox_email"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


def send_mail(recipient: str, subject: str, body: str) -> OutboxEmail:
    message = OutboxEmail(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    if current_app.config.get("SMTP_URL"):
        enqueue(deliver_mail, message.id)
    return message


def deliver_mail(message_id: int) -> None:
    message = db.session.get(OutboxEmail, message_id)
    if message is None or message.sent_at is not None:
        return
    url = urlparse(current_app.config["SMTP_URL"])
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        smtp_cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with smtp_cls(url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25), timeout=20) as smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(url.username, url.password or "")
            smtp.send_message(email)
        message.sent_at = utcnow()
    except (OSError, smtplib.SMTPException) as exc:
        message.error = str(exc)
        log.warning("mail %s not delivered: %s", message_id, exc)
