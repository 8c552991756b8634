from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.extensions import db


class Intent(str, enum.Enum):
    """What the person said they came for (at sign-up, changed later in the account settings): it
    decides what their space shows first. It grants nothing: the roles come from memberships
    (organisation, provider, producer) or from the hub staff (funders)."""

    ORGANISATION = "organisation"  # a small organisation looking for help
    PROVIDER = "provider"  # an expert, a mediator, a tiers-lieu offering help
    FUNDER = "funder"  # a funder's agent (attached by the hub staff)
    PRODUCER = "producer"  # a producer of mediation resources


INTENTS = tuple(intent.value for intent in Intent)


class User(UserMixin, Timestamped, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "intent IN (" + ", ".join(f"'{value}'" for value in INTENTS) + ")",
            name="intent_known",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the person said they came for (an `Intent` value): what their space shows first.
    intent: Mapped[str] = mapped_column(String(20), default=Intent.ORGANISATION.value)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_token_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session's and remember cookie's user id: bumped when the password changes or the
    # account is disabled, it ends every session opened before (app/accounts/session.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set at each login: retention anonymises accounts unused for years (app/privacy/retention.py).
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the account was erased (app/privacy/erasure.py): an anonymised tombstone that never logs in.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return not self.is_disabled

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie keep
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every open session and remember cookie of this account stops working."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships if m.organisation_id}

    @property
    def provider_ids(self) -> set[int]:
        return {m.provider_id for m in self.memberships if m.provider_id}

    @property
    def has_organisation(self) -> bool:
        return bool(self.organisation_ids)

    @property
    def has_provider(self) -> bool:
        return bool(self.provider_ids)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class MemberRole(str, enum.Enum):
    OWNER = "owner"
    MEMBER = "member"


class Membership(Timestamped, db.Model):
    """Ties a user to exactly one organisation or one provider, with a role."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("(organisation_id IS NULL) <> (provider_id IS NULL)", name="one_target"),
        UniqueConstraint("user_id", "organisation_id", "provider_id", name="uq_membership_target"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = enum_column(MemberRole, default=MemberRole.OWNER)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation = relationship("Organisation", back_populates="memberships")
    provider = relationship("Provider", back_populates="memberships")
