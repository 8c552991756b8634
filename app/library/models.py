"""Knowledge base: producers, resources with stable public identifiers (R42),
their files (content-addressed blobs, every version kept), history, reports,
licence offers and licence grants."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column, utcnow
from app.extensions import db
from app.library.vocab import USAGE_LICENCE

RESOURCE_PREFIX = "R"


class IdentifierCounter(db.Model):
    """The last public number handed out, per kind of identifier ("resource").

    A counter row, not MAX(number)+1 and not the table's own primary key: a number
    is taken by an UPDATE of this row in the creating transaction, so deleting or
    merging a resource never frees its number, and two creations never get the same."""

    __tablename__ = "identifier_counter"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Producer(Timestamped, db.Model):
    """Who makes resources: a person or a structure, with members who manage it."""

    __tablename__ = "producer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="structure")
    name: Mapped[str] = mapped_column(String(200), index=True)
    presentation: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")

    members: Mapped[list[ProducerMember]] = relationship(
        back_populates="producer", cascade="all, delete-orphan", order_by="ProducerMember.id"
    )


class ProducerMember(Timestamped, db.Model):
    __tablename__ = "producer_member"
    __table_args__ = (UniqueConstraint("producer_id", "user_id", name="uq_producer_member"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    producer: Mapped[Producer] = relationship(back_populates="members")
    user = relationship("User")


class ResourceStatus(str, enum.Enum):
    DRAFT = "draft"  # visible to its producers' members and staff only
    PUBLISHED = "published"
    MERGED = "merged"  # a duplicate: keeps its number, redirects to the survivor
    DELETED = "deleted"  # a tombstone: keeps its number, answers 410 Gone


resource_producer = db.Table(
    "resource_producer",
    db.metadata,
    db.Column("resource_id", ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
    db.Column("producer_id", ForeignKey("producer.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Resource(Timestamped, db.Model):
    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("year_created IS NULL OR (year_created >= 1900 AND year_created <= 2200)", name="year_range"),
        CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)  # the public identifier is "R" + number
    status: Mapped[ResourceStatus] = enum_column(ResourceStatus, default=ResourceStatus.DRAFT, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    resource_type: Mapped[str] = mapped_column(String(40), index=True)
    themes: Mapped[list] = mapped_column(JSON, default=list)
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["fr"])
    formats: Mapped[list] = mapped_column(JSON, default=list)
    year_created: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(String(60), index=True)  # SPDX identifier (see vocab.LICENCES)
    source_url: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    producers: Mapped[list[Producer]] = relationship(secondary=resource_producer, order_by="Producer.name")
    merged_into: Mapped[Resource | None] = relationship(remote_side="Resource.id")
    files: Mapped[list[ResourceFile]] = relationship(back_populates="resource", order_by="ResourceFile.id")
    events: Mapped[list[ResourceEvent]] = relationship(
        back_populates="resource", order_by="ResourceEvent.id.desc()", cascade="all, delete-orphan"
    )
    relations: Mapped[list[ResourceRelation]] = relationship(
        foreign_keys="ResourceRelation.resource_id", back_populates="resource", cascade="all, delete-orphan"
    )
    licence_offers: Mapped[list[LicenceOffer]] = relationship(back_populates="resource", order_by="LicenceOffer.id")

    @property
    def identifier(self) -> str:
        return f"{RESOURCE_PREFIX}{self.number}"

    @property
    def is_paid(self) -> bool:
        return self.licence == USAGE_LICENCE

    @property
    def is_public(self) -> bool:
        return self.status == ResourceStatus.PUBLISHED

    @property
    def current_files(self) -> list[ResourceFile]:
        return [f for f in self.files if f.removed_at is None]

    def related(self, kind: str) -> list[Resource]:
        return [r.target for r in self.relations if r.kind == kind]


class RelationKind(str, enum.Enum):
    IS_BASED_ON = "is_based_on"
    IS_RELATED_TO = "is_related_to"


class ResourceRelation(db.Model):
    __tablename__ = "resource_relation"
    __table_args__ = (
        UniqueConstraint("resource_id", "target_id", "kind", name="uq_resource_relation"),
        CheckConstraint("resource_id <> target_id", name="not_self"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))

    resource: Mapped[Resource] = relationship(foreign_keys=[resource_id], back_populates="relations")
    target: Mapped[Resource] = relationship(foreign_keys=[target_id])


class StoredBlob(db.Model):
    """Content-addressed storage: one row, and one file under FILES_DIR, per distinct content."""

    __tablename__ = "stored_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResourceFile(db.Model):
    """A file of a resource, whose versions are all kept (the last one is current)."""

    __tablename__ = "resource_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    resource: Mapped[Resource] = relationship(back_populates="files")
    versions: Mapped[list[FileVersion]] = relationship(
        back_populates="file", order_by="FileVersion.version", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> FileVersion:
        return self.versions[-1]


class FileVersion(db.Model):
    __tablename__ = "file_version"
    __table_args__ = (
        UniqueConstraint("file_id", "version", name="uq_file_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("resource_file.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("stored_blob.sha256"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    file: Mapped[ResourceFile] = relationship(back_populates="versions")
    blob: Mapped[StoredBlob] = relationship()
    uploaded_by = relationship("User")


class ResourceEvent(db.Model):
    """History: who changed what, when, with each field's value before and after. Never updated."""

    __tablename__ = "resource_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: {"before": ..., "after": ...}}

    resource: Mapped[Resource] = relationship(back_populates="events")
    actor = relationship("User", lazy="joined")  # shown with every event of the history


class ReportStatus(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ResourceReport(Timestamped, db.Model):
    __tablename__ = "resource_report"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="SET NULL"))
    status: Mapped[ReportStatus] = enum_column(ReportStatus, default=ReportStatus.OPEN, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str] = mapped_column(Text, default="")

    resource: Mapped[Resource] = relationship(foreign_keys=[resource_id])
    duplicate_of: Mapped[Resource | None] = relationship(foreign_keys=[duplicate_of_id])
    reporter = relationship("User", foreign_keys=[reporter_id])
    handled_by = relationship("User", foreign_keys=[handled_by_id])


class LicenceOffer(Timestamped, db.Model):
    """A usage licence a producer sells on a resource, at a price (integer cents)."""

    __tablename__ = "licence_offer"
    __table_args__ = (
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("duration_months IS NULL OR duration_months > 0", name="duration_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="RESTRICT"), index=True)  # the seller
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    terms: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    duration_months: Mapped[int | None] = mapped_column(Integer)  # None: without end
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    resource: Mapped[Resource] = relationship(back_populates="licence_offers")
    producer: Mapped[Producer] = relationship()
    grants: Mapped[list[LicenceGrant]] = relationship(back_populates="offer", order_by="LicenceGrant.id")


class GrantStatus(str, enum.Enum):
    ACTIVE = "active"
    REVOKED = "revoked"


class LicenceGrant(Timestamped, db.Model):
    """A licence held by someone: from a card payment (payment_ref: the PaymentIntent id,
    unique, so a webhook delivered twice grants once) or given by the producer."""

    __tablename__ = "licence_grant"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="dates_ordered"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # printed on the certificate
    offer_id: Mapped[int] = mapped_column(ForeignKey("licence_offer.id", ondelete="RESTRICT"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="RESTRICT"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))  # the person or structure named on the certificate
    status: Mapped[GrantStatus] = enum_column(GrantStatus, default=GrantStatus.ACTIVE, index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payment_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    offer: Mapped[LicenceOffer] = relationship(back_populates="grants")
    resource: Mapped[Resource] = relationship()
    holder = relationship("User", foreign_keys=[holder_id])


class LicenceBuyer(db.Model):
    """A buyer's Stripe customer (a card saved on a SetupIntent is attached to it)."""

    __tablename__ = "licence_buyer"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LicenceCheckout(db.Model):
    """One attempt to buy a licence by card: what the payment is for (offer, holder, the name on
    the certificate) before Stripe says it succeeded. The PaymentIntent's reference names it."""

    __tablename__ = "licence_checkout"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("licence_offer.id", ondelete="RESTRICT"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    payment_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("licence_grant.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    offer: Mapped[LicenceOffer] = relationship()
    grant: Mapped[LicenceGrant | None] = relationship()
