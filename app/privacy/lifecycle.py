"""The rows of an account's end of life: a scheduled erasure, an inactivity warning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class ErasureRequest(db.Model):
    """A scheduled erasure: the account is erased at `due_at` unless the person cancels before."""

    __tablename__ = "erasure_request"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class InactivityWarning(db.Model):
    """The e-mail telling a person their unused account will be anonymised: sent once per idle spell."""

    __tablename__ = "inactivity_warning"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    warned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
