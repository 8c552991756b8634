"""Imported places: records of national files (LMN, data·inclusion) brought in as invitations, never as
providers. A place to be claimed is not a provider: not in search, the catalogue nor matching (it lives in
its own table, which none of them reads). It becomes a provider only once claimed by its own people."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped
from app.extensions import db


class PlaceStatus(StrEnum):
    PROPOSED_MERGE = "proposed_merge"  # looks like one of our providers: staff confirm or refuse
    MERGED = "merged"  # staff confirmed: the provider got the missing details, nothing else was created
    TO_CLAIM = "to_claim"  # no match, no contact to invite: waits for someone to claim it
    INVITED = "invited"  # no match; its contact received an invitation
    CLAIM_PENDING = "claim_pending"  # claimed by someone outside the place's domain: staff decide
    CLAIMED = "claimed"  # claimed: it is now a provider (`provider_id`) its members complete and publish


class ImportBatch(Timestamped, db.Model):
    """One imported file and its report (one line per record: merged, invited, skipped, rejected)."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str] = mapped_column(String(20))  # lmn-csv, lmn-json, di-structures
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, running, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)  # records in the file
    done: Mapped[int] = mapped_column(Integer, default=0)  # records handled so far (the progress bar)
    error: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    report: Mapped[list] = mapped_column(JSON, default=list)  # [{"line", "id", "name", "outcome", "reason"}]


class ImportedPlace(Timestamped, db.Model):
    __tablename__ = "imported_place"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed_merge', 'merged', 'to_claim', 'invited', 'claim_pending', 'claimed')",
            name="status_known",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "<format family>:<the record's own id>": importing the same record again changes nothing
    source_key: Mapped[str] = mapped_column(String(300), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    presentation: Mapped[str] = mapped_column(Text, default="")
    match_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"))
    match_score: Mapped[float | None] = mapped_column(Float)
    claim_token: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    commune = relationship("Commune")
    match_provider = relationship("Provider", foreign_keys=[match_provider_id])
    provider = relationship("Provider", foreign_keys=[provider_id])
    claimant = relationship("User", foreign_keys=[claimant_id])
