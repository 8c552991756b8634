"""A legal page's versions (never changed once published) and each person's acceptances of the terms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import utcnow
from app.extensions import db

#: The legal pages, by slug (their public address is "/<slug>").
NOTICE = "mentions-legales"
TERMS = "conditions-utilisation"
PRIVACY = "confidentialite"
ACCESSIBILITY = "accessibilite"
SLUGS = (NOTICE, TERMS, PRIVACY, ACCESSIBILITY)


class LegalVersion(db.Model):
    """One published version of a legal page, in French and English. A new text is a new row (number + 1)."""

    __tablename__ = "legal_version"
    __table_args__ = (
        UniqueConstraint("slug", "number", name="uq_legal_version_slug_number"),
        CheckConstraint("slug IN (" + ", ".join(f"'{s}'" for s in SLUGS) + ")", name="slug_known"),
        CheckConstraint("number >= 1", name="number_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body_fr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")  # empty: the English page shows the French text
    summary: Mapped[str] = mapped_column(String(300), default="")  # what changed, in the author's words
    # Who published it (staff); NULL for the first versions and once the account is erased.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author = db.relationship("User")

    def body(self, locale: str) -> tuple[str, str]:
        """(Markdown, its language) for a reader of `locale`."""
        if locale == "en" and (self.body_en or "").strip():
            return self.body_en, "en"
        return self.body_fr, "fr"


class TermsAcceptance(db.Model):
    """A person accepted this version of the terms of use, at this time (at sign-up, then at each new version)."""

    __tablename__ = "terms_acceptance"
    __table_args__ = (UniqueConstraint("user_id", "version_number", name="uq_terms_acceptance_user_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
