"""The ethical digital charter: a versioned text written cooperatively, and the labels it grants.

- The text. A `CharterTheme` groups criteria. A `Criterion` is only an identity: its public identifier
  (`C1`, `C2`…) is given once, from `Criterion.number`, and never reused, even after the criterion is
  removed. What a criterion says lives in a `CharterVersion`: each version holds a `VersionCriterion`
  per criterion it contains (wording, expected evidence, what it applies to, weight). A version is a
  draft until adopted; once adopted it never changes (the services refuse, `status` says why).
- Cooperative writing. The committee opens a `Consultation` on the current version (opening and closing
  dates). While it is open, any signed-in person proposes an `Amendment` (add, change or remove a
  criterion, with a rationale); others comment (`AmendmentComment`) and support it (`AmendmentSupport`,
  one per account, withdrawable). After it closes the committee decides on each amendment, then publishes
  the next version, which merges the adopted ones. `CommitteeMember`: who sits on the committee (given
  by hub staff). Every step is written to `CharterEvent` (who, when, what, why): the public history.
- Labels. An `Assessment` of a subject (a provider, an offer, a knowledge-base resource) against one
  version: an `AssessmentAnswer` per criterion (yes / partly / no / not applicable, with evidence), a
  level computed by one function, two `AssessmentReview`s by reviewers outside the applicant's structure.
  A validated assessment grants a `Label` (version, level, dates; valid one year) with a public id.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column, utcnow
from app.extensions import db


class SubjectKind(str, enum.Enum):
    """What a criterion applies to, and what an assessment or a label is about."""

    PROVIDER = "provider"
    OFFER = "offer"
    RESOURCE = "resource"
    ORGANISATION = "organisation"


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"  # being prepared by the committee (the next version, merging adopted amendments)
    ADOPTED = "adopted"  # published: immutable


class ConsultationStatus(str, enum.Enum):
    SCHEDULED = "scheduled"  # created, opens later
    OPEN = "open"  # amendments, comments and supports accepted
    CLOSED = "closed"  # the committee decides
    PUBLISHED = "published"  # its version is out


class AmendmentKind(str, enum.Enum):
    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"


class AmendmentStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # by its author, while the consultation is open
    ADOPTED = "adopted"
    ADOPTED_MODIFIED = "adopted_modified"  # adopted with the committee's wording
    REJECTED = "rejected"  # with a reason


class Answer(str, enum.Enum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NOT_APPLICABLE = "na"


class AssessmentStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for two reviews
    CHANGES_REQUESTED = "changes_requested"  # back to the applicant
    VALIDATED = "validated"  # a label was granted
    WITHDRAWN = "withdrawn"


class ReviewDecision(str, enum.Enum):
    VALIDATE = "validate"
    CHANGES = "changes"


class LabelStatus(str, enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class CharterTheme(db.Model):
    __tablename__ = "charter_theme"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # "libre", "donnees"… (stable, in URLs)
    name: Mapped[str] = mapped_column(String(200))  # French
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Criterion(db.Model):
    """The identity of a criterion across versions: `ident` ("C12") is public and never reused."""

    __tablename__ = "charter_criterion"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # 12 -> "C12"; the next one is max + 1, forever
    theme_id: Mapped[int] = mapped_column(ForeignKey("charter_theme.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    theme: Mapped[CharterTheme] = relationship()

    @property
    def ident(self) -> str:
        return f"C{self.number}"


class CharterVersion(Timestamped, db.Model):
    __tablename__ = "charter_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # 1 -> "v1"
    status: Mapped[VersionStatus] = enum_column(VersionStatus, default=VersionStatus.DRAFT, index=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # what changed, in a few words (French)
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    criteria: Mapped[list[VersionCriterion]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="VersionCriterion.position"
    )

    @property
    def label(self) -> str:
        return f"v{self.number}"


class VersionCriterion(db.Model):
    """What a criterion says in one version."""

    __tablename__ = "charter_version_criterion"
    __table_args__ = (UniqueConstraint("version_id", "criterion_id", name="uq_version_criterion"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("charter_criterion.id"), index=True)
    wording: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")  # what evidence is expected
    applies_to: Mapped[list] = mapped_column(JSON, default=list)  # [SubjectKind values]
    weight: Mapped[int] = mapped_column(Integer, default=1)  # 1 to 3
    position: Mapped[int] = mapped_column(Integer, default=0)

    version: Mapped[CharterVersion] = relationship(back_populates="criteria")
    criterion: Mapped[Criterion] = relationship()


class CommitteeMember(db.Model):
    __tablename__ = "charter_committee_member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Consultation(Timestamped, db.Model):
    __tablename__ = "charter_consultation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[ConsultationStatus] = enum_column(
        ConsultationStatus, default=ConsultationStatus.SCHEDULED, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # the version that merged its adopted amendments, once published
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("charter_version.id"))

    base_version: Mapped[CharterVersion] = relationship(foreign_keys=[base_version_id])
    published_version: Mapped[CharterVersion | None] = relationship(foreign_keys=[published_version_id])
    amendments: Mapped[list[Amendment]] = relationship(back_populates="consultation", order_by="Amendment.id")


class Amendment(Timestamped, db.Model):
    __tablename__ = "charter_amendment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("charter_consultation.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    kind: Mapped[AmendmentKind] = enum_column(AmendmentKind)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("charter_criterion.id"))  # change / remove
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("charter_theme.id"))  # add (and change of theme)
    # the proposed text (add / change): wording, expected evidence, subjects, weight
    wording: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    applies_to: Mapped[list] = mapped_column(JSON, default=list)
    weight: Mapped[int | None] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text)
    status: Mapped[AmendmentStatus] = enum_column(AmendmentStatus, default=AmendmentStatus.SUBMITTED, index=True)
    # the committee's decision: its reason, and its own wording when adopted as modified
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_wording: Mapped[str] = mapped_column(Text, default="")
    decided_evidence: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_in_version_id: Mapped[int | None] = mapped_column(ForeignKey("charter_version.id"))

    consultation: Mapped[Consultation] = relationship(back_populates="amendments")
    criterion: Mapped[Criterion | None] = relationship(foreign_keys=[criterion_id])
    theme: Mapped[CharterTheme | None] = relationship(foreign_keys=[theme_id])
    supports: Mapped[list[AmendmentSupport]] = relationship(
        back_populates="amendment", cascade="all, delete-orphan", order_by="AmendmentSupport.id"
    )
    comments: Mapped[list[AmendmentComment]] = relationship(
        back_populates="amendment", cascade="all, delete-orphan", order_by="AmendmentComment.id"
    )


class AmendmentSupport(db.Model):
    __tablename__ = "charter_amendment_support"
    __table_args__ = (UniqueConstraint("amendment_id", "user_id", name="uq_amendment_support"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("charter_amendment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    amendment: Mapped[Amendment] = relationship(back_populates="supports")


class AmendmentComment(db.Model):
    __tablename__ = "charter_amendment_comment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("charter_amendment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    amendment: Mapped[Amendment] = relationship(back_populates="comments")


class CharterEvent(db.Model):
    """The public history: every step of the charter's life (who, when, what, why)."""

    __tablename__ = "charter_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    entity_kind: Mapped[str] = mapped_column(String(30))  # version, consultation, amendment, assessment, label
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Assessment(Timestamped, db.Model):
    __tablename__ = "charter_assessment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[SubjectKind] = enum_column(SubjectKind)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id"), index=True)
    status: Mapped[AssessmentStatus] = enum_column(AssessmentStatus, default=AssessmentStatus.DRAFT, index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    level: Mapped[int | None] = mapped_column(Integer)  # 0 (no level) to 5, computed at submission
    theme_levels: Mapped[dict] = mapped_column(JSON, default=dict)  # {theme code: level}

    version: Mapped[CharterVersion] = relationship()
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentAnswer.id"
    )
    reviews: Mapped[list[AssessmentReview]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentReview.id"
    )


class AssessmentAnswer(db.Model):
    __tablename__ = "charter_assessment_answer"
    __table_args__ = (UniqueConstraint("assessment_id", "criterion_id", name="uq_assessment_answer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("charter_assessment.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("charter_criterion.id"))
    answer: Mapped[Answer] = enum_column(Answer)
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(2000), default="")
    evidence_file: Mapped[str | None] = mapped_column(String(500))  # stored name under FILES_DIR/charter
    evidence_file_name: Mapped[str | None] = mapped_column(String(255))
    evidence_file_type: Mapped[str | None] = mapped_column(String(100))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    criterion: Mapped[Criterion] = relationship()


class AssessmentReview(db.Model):
    __tablename__ = "charter_assessment_review"
    __table_args__ = (UniqueConstraint("assessment_id", "reviewer_id", "round", name="uq_assessment_review"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("charter_assessment.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)  # a new round after changes were requested
    decision: Mapped[ReviewDecision] = enum_column(ReviewDecision)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="reviews")


class Label(Timestamped, db.Model):
    __tablename__ = "charter_label"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # "L-2026-0007": the verification page's key
    subject_kind: Mapped[SubjectKind] = enum_column(SubjectKind)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("charter_assessment.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("charter_version.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 to 5
    theme_levels: Mapped[dict] = mapped_column(JSON, default=dict)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[LabelStatus] = enum_column(LabelStatus, default=LabelStatus.ACTIVE, index=True)
    expiry_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[CharterVersion] = relationship()
    assessment: Mapped[Assessment] = relationship()
