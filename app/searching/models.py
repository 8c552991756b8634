"""The search's synonym table, edited by hub staff (issue 14): groups of phrases that mean the same
thing ("site web", "site internet"). The engine receives them as plain data (`current_synonyms()` in
app.searching.synonyms); one state row says when the table last changed, and by whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.models import utcnow
from app.extensions import db


class SynonymGroup(db.Model):
    """One group: its phrases, one per line, already checked (app.searching.synonyms.check_group)."""

    __tablename__ = "synonym_group"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrases: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()

    @property
    def phrase_list(self) -> list[str]:
        return [p for p in self.phrases.split("\n") if p]


class SynonymState(db.Model):
    """One row (id 1): a random `stamp` renewed by every change of the table (a process keeps the
    groups it read with the stamp it read; one cheap query tells it whether they are still current,
    a rolled-back change included), and the last edit shown to staff."""

    __tablename__ = "synonym_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()
