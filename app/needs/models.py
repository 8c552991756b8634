from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.extensions import db
from app.territory.models import Commune


class NeedStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    PROPOSED = "proposed"
    MATCHED = "matched"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Need(Timestamped, db.Model):
    """What a small organisation asks for, usually written through the boussole."""

    __tablename__ = "need"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list] = mapped_column(JSON, default=list)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    modality: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    funding_mode: Mapped[str] = mapped_column(String(20))
    # the ethical charter's labels: "" (no preference), "prefer" (a soft preference in the score),
    # "only" (labelled providers only: a hard rule of the candidate builder and of the checker)
    charter_preference: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # True: an offer of one of the wanted categories that covers none of the wanted skills may be proposed
    # (matching rule 1); by default a need with skills is only proposed offers covering one of them
    accepts_category_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # True: two complementary experts from different providers, who together cover the wanted skills
    # (matching proposes them as a pair: two linked proposals, each answered and settled on its own)
    two_experts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    boussole_answers: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[NeedStatus] = enum_column(NeedStatus, default=NeedStatus.DRAFT, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Contact details: shown only to the organisation's members and to hub staff.
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")

    organisation = relationship("Organisation", back_populates="needs")
    commune: Mapped[Commune] = relationship()
