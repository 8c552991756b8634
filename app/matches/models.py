"""Match runs, proposals (with their audit trail), missions and feedback."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column, utcnow
from app.extensions import db
from app.needs.models import Need


class RunStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class MatchRun(Timestamped, db.Model):
    """One run of the engine: its parameters, progress and figures."""

    __tablename__ = "match_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = enum_column(RunStatus, default=RunStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    solver: Mapped[str] = mapped_column(String(20), default="flow")
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # territory filter, k, time limit, side constraints
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    n_candidates: Mapped[int | None] = mapped_column(Integer)
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    solve_seconds: Mapped[float | None] = mapped_column(Float)
    total_seconds: Mapped[float | None] = mapped_column(Float)
    semantic_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    # Why it failed, as a code the page translates: "worker_lost" (no sign of life from the
    # process that ran it), "error" (the engine raised; `error` has the message).
    failure: Mapped[str | None] = mapped_column(String(20))
    # Execution number: 1, then +1 at each restart. The job carries it, so that an execution
    # that was given up for dead cannot write over a newer one.
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Updated by the job while it works (each progress step and every few seconds in between);
    # a running run without a beat for JOB_STALE_SECONDS is marked failed by sweep_stale_runs().
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by = relationship("User")
    proposals: Mapped[list[Proposal]] = relationship(back_populates="run", order_by="Proposal.id")


class ProposalStatus(str, enum.Enum):
    PROPOSED = "proposed"  # made by the engine, waiting for hub staff
    APPROVED = "approved"  # approved by staff, sent to the provider
    REJECTED = "rejected"  # rejected by staff (with a reason)
    REPLACED = "replaced"  # staff chose one of its alternatives instead
    SUPERSEDED = "superseded"  # a later run proposed again for the need
    ACCEPTED = "accepted"  # the provider accepted: a mission exists
    DECLINED = "declined"  # the provider declined (with a reason)
    EXPIRED = "expired"  # the provider did not answer before the deadline


class ProposalOrigin(str, enum.Enum):
    ENGINE = "engine"  # made by a match run, arbitrated by hub staff
    REQUEST = "request"  # asked for by the organisation from the offer's page: straight to the provider


class Proposal(Timestamped, db.Model):
    """A need paired with an offer, on its way to becoming a mission.

    Two origins, one life: the engine proposes (staff approve, then the provider answers), or the
    organisation asks for an offer from its page (a *direct request*: born approved, the provider
    answers). Either way acceptance creates the mission, a refusal or the deadline sends the need
    back to matching, and every step is in the audit trail."""

    __tablename__ = "proposal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_run.id", ondelete="SET NULL"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    status: Mapped[ProposalStatus] = enum_column(ProposalStatus, default=ProposalStatus.PROPOSED, index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")  # the French sentence (mails, older rows)
    # The explanation as codes and parameters ([{code, params, text}], `app.matches.explanations`), worded
    # in each reader's language; None for the rows stored before it (their French sentence is shown).
    explanation_phrases: Mapped[list | None] = mapped_column(JSON)
    # [{offer_id, provider_id, score, explanation, phrases, saturated}] ("phrases" since revision 0014)
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    origin: Mapped[ProposalOrigin] = enum_column(ProposalOrigin, default=ProposalOrigin.ENGINE, server_default="engine")
    # A direct request: who asked, and the key its form carried (a double click sends it twice: one request).
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Two complementary experts (a need with `two_experts`): two proposals, one per expert, each pointing
    # at the other. Staff arbitrate the pair as a whole; each provider answers its own, and each
    # acceptance makes its own mission (settled on its own: vouchers reserved and redeemed per mission).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))

    run: Mapped[MatchRun | None] = relationship(back_populates="proposals")
    need = relationship("Need")
    offer = relationship("Offer")
    provider = relationship("Provider")
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan"
    )
    mission: Mapped[Mission | None] = relationship(back_populates="proposal", uselist=False)
    partner: Mapped[Proposal | None] = relationship(
        remote_side="Proposal.id", foreign_keys=[partner_id], post_update=True, uselist=False
    )


class ProposalEvent(db.Model):
    """Audit trail: who decided what, when and why. Never updated."""

    __tablename__ = "proposal_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor = relationship("User")


class MissionStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Mission(Timestamped, db.Model):
    __tablename__ = "mission"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    status: Mapped[MissionStatus] = enum_column(MissionStatus, default=MissionStatus.PLANNED, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    organisation_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The provider's member who accepted: the organisation's contact for the mission.
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(back_populates="mission")
    accepted_by = relationship("User")
    need = relationship("Need")
    offer = relationship("Offer")
    provider = relationship("Provider")
    feedback: Mapped[list[Feedback]] = relationship(back_populates="mission", order_by="Feedback.id")


# The missions of a need, newest first (its page lists them). Declared here, not in app.needs.models:
# matches stands above needs, which knows nothing of missions. Read-only: a mission names its need.
Need.missions = relationship(Mission, viewonly=True, order_by=Mission.id.desc())


class Feedback(db.Model):
    """A rating (1–5) and a comment by one side of a finished mission."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("mission_id", "side", name="uq_feedback_mission_side"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("mission.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(20))  # "organisation" (rates the provider) or "provider"
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    mission: Mapped[Mission] = relationship(back_populates="feedback")


class EmbeddingVector(db.Model):
    """Cache of sentence embeddings, keyed by a hash of (model, kind, text)."""

    __tablename__ = "embedding_vector"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The direct requests made for a need (its page shows where each stands), newest first.
Need.requests = relationship(
    Proposal,
    primaryjoin=lambda: (Proposal.need_id == Need.id) & (Proposal.origin == ProposalOrigin.REQUEST),
    viewonly=True,
    order_by=lambda: Proposal.id.desc(),
)
