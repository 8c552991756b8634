"""What a buyer means to pay for: one row per (buyer, item), the card payments' serialisation point."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import utcnow
from app.extensions import db


class CardIntent(db.Model):
    """One buyer's intent to pay one item by card (a licence offer, a programme, the rest of a
    mission), whatever the number of clicks: unique per (buyer, item), so concurrent requests
    meet on one row and lock it (`app.billing.card`). ``attempt`` counts the PaymentIntents
    created for it (a declined card allows another one); the Stripe idempotency key is derived
    from (purpose, buyer, item, attempt). ``payment_ref`` is the latest attempt's PaymentIntent."""

    __tablename__ = "card_intent"
    __table_args__ = (
        UniqueConstraint("buyer_ref", "item_ref", name="uq_card_intent_buyer_item"),
        CheckConstraint("attempt >= 0", name="attempt_non_negative"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    buyer_ref: Mapped[str] = mapped_column(String(120))  # "user:5", "funder:2", "organisation:7"
    item_ref: Mapped[str] = mapped_column(String(120))  # "licence_offer:3", "programme:4", "mission:9"
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    payment_ref: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
