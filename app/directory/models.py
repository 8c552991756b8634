from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Moderated, PublicationStatus, Timestamped
from app.extensions import db
from app.territory.models import Commune


class Organisation(Moderated, Timestamped, db.Model):
    """A small organisation that posts needs."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    size: Mapped[str] = mapped_column(String(20))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    website: Mapped[str] = mapped_column(String(300), default="")

    commune: Mapped[Commune] = relationship()
    memberships = relationship("Membership", back_populates="organisation", cascade="all, delete-orphan")
    needs = relationship("Need", back_populates="organisation")


class Provider(Moderated, Timestamped, db.Model):
    """Someone who offers help: volunteer expert, mediator, team, tiers-lieu."""

    __tablename__ = "provider"
    __table_args__ = (CheckConstraint("radius_km >= 0 AND radius_km <= 1000", name="radius_range"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    radius_km: Mapped[int] = mapped_column(Integer, default=30)
    remote_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["fr"])
    presentation: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    # Contact details: given only to the organisations whose mission the provider accepted.
    contact_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    # Where it receives the public (a place of the national "lieux de médiation numérique" schema);
    # empty: it receives no public (a volunteer's home is never published).
    public_address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The provider's consent to publish its contact e-mail and phone in the open data (off by default).
    opendata_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where its payouts go (SEPA credit transfer); checked with schwifty in the form.
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    bank_holder: Mapped[str | None] = mapped_column(String(70))

    commune: Mapped[Commune] = relationship()
    memberships = relationship("Membership", back_populates="provider", cascade="all, delete-orphan")
    offers: Mapped[list[Offer]] = relationship(back_populates="provider", order_by="Offer.id")

    @property
    def is_public(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED


class Offer(Moderated, Timestamped, db.Model):
    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint("capacity_per_month >= 1", name="capacity_positive"),
        CheckConstraint("duration_hours > 0", name="duration_positive"),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_non_negative"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    modality: Mapped[str] = mapped_column(String(20))
    duration_hours: Mapped[float] = mapped_column(default=2.0)
    capacity_per_month: Mapped[int] = mapped_column(Integer, default=2)
    price_mode: Mapped[str] = mapped_column(String(20))
    price_cents: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)

    provider: Mapped[Provider] = relationship(back_populates="offers")

    @property
    def is_public(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED and self.provider.is_public


class ChangeStatus(StrEnum):
    """Where a `ListingChange` stands (a StrEnum: stored as its plain value in a VARCHAR column)."""

    PENDING = "pending"  # a held link, waiting for staff
    APPLIED = "applied"  # live at once, logged for staff to review
    APPROVED = "approved"
    REFUSED = "refused"
    REPLACED = "replaced"  # a newer proposal of the owner replaced this unanswered one


class ListingChange(Timestamped, db.Model):
    """The moderation log: an owner's change to the public fields of a published listing.

    A change of an outside link (`HELD_FIELDS`) waits here ("pending") and goes live only when hub
    staff approve it; other public fields go live at once and are logged ("applied") for staff to
    review. Changes made by staff, or to listings not published yet, are not logged (moderation
    sees those listings whole).
    """

    __tablename__ = "listing_change"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'applied', 'approved', 'refused', 'replaced')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_kind: Mapped[str] = mapped_column(String(20))  # organisation, provider, offer
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # {field: [old value, new value]}
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    actor = relationship("User", foreign_keys=[actor_id])
