"""The exports of a person's data (right of access and portability)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.extensions import db


class ExportStatus(str, enum.Enum):
    PENDING = "pending"  # the job builds the archive
    READY = "ready"  # the archive is stored, the link was e-mailed
    FAILED = "failed"
    EXPIRED = "expired"  # the link expired, the archive was deleted


class DataExport(Timestamped, db.Model):
    """One export of one person's data: a ZIP built by a job, downloaded through an expiring link."""

    __tablename__ = "privacy_data_export"
    # One export being prepared per person: two requests at once (a double click) meet here.
    __table_args__ = (
        Index(
            "uq_privacy_data_export_pending",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Staff who answered a written request for this person (None: the person asked themselves).
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")  # the written request staff answered
    status: Mapped[ExportStatus] = enum_column(ExportStatus, default=ExportStatus.PENDING, index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # names the file; part of the signed link
    filename: Mapped[str] = mapped_column(String(200), default="")  # stored name under FILES_DIR/exports
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("User", foreign_keys=[user_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
