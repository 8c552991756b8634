"""Funders and what the app adds around the payments tables (bound in app/models.py):
the funder structures and their members, a programme's settings (description,
staff approval) and the organisations' voucher requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.extensions import db


class Funder(Timestamped, db.Model):
    """Who pays for vouchers: a city, a département, the Region, a CAF, a foundation..."""

    __tablename__ = "funder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # app.vouchers.vocab.FUNDER_KINDS
    dep_code: Mapped[str | None] = mapped_column(String(3))  # its territory, when it has one
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))

    members: Mapped[list[FunderMember]] = relationship(
        back_populates="funder", cascade="all, delete-orphan", order_by="FunderMember.id"
    )


class FunderMember(Timestamped, db.Model):
    __tablename__ = "funder_member"
    __table_args__ = (UniqueConstraint("funder_id", "user_id", name="uq_funder_member"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    funder: Mapped[Funder] = relationship(back_populates="members")
    user = relationship("User")


class ProgrammeSettings(Timestamped, db.Model):
    """What the app keeps about a programme beyond the payments table `voucher_programme`."""

    __tablename__ = "voucher_programme_settings"
    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programme.id", ondelete="CASCADE"), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    programme = relationship("VoucherProgramme")


class RequestStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class VoucherRequest(Timestamped, db.Model):
    """An organisation asks for a voucher of a programme that wants hub staff to approve."""

    __tablename__ = "voucher_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programme.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[RequestStatus] = enum_column(RequestStatus, default=RequestStatus.PENDING, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id", ondelete="SET NULL"))

    programme = relationship("VoucherProgramme")
    organisation = relationship("Organisation")
    requested_by = relationship("User", foreign_keys=[requested_by_id])


class PayoutBatch(Timestamped, db.Model):
    """A batch of payouts to providers (a SEPA pain.001 file, or Stripe Connect transfers):
    built by hub staff from the providers' payables, marked paid once the treasurer confirms."""

    __tablename__ = "payout_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-10": the statements it follows
    method: Mapped[str] = mapped_column(String(20), default="sepa")  # app.vouchers.clearing.PAYOUT_METHODS
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    document: Mapped[str] = mapped_column(Text, default="")  # the pain.001 XML
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    lines: Mapped[list[PayoutLine]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="PayoutLine.id"
    )

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


class PayoutLine(Timestamped, db.Model):
    __tablename__ = "payout_line"
    __table_args__ = (UniqueConstraint("batch_id", "provider_id", name="uq_payout_line"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    holder: Mapped[str] = mapped_column(String(70))

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")
    provider = relationship("Provider")
