"""Test helper of the charter's effects: an active label on a subject, written directly (the assessment
and review flow belongs to the labels' side; here only what the read side needs exists)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.charter.models import (
    Assessment,
    AssessmentStatus,
    CharterVersion,
    Label,
    LabelStatus,
    SubjectKind,
    VersionStatus,
)
from app.charter.signals import label_granted
from app.core.jobs import commit as commit_and_dispatch
from app.core.models import utcnow
from app.extensions import db


def charter_version(number: int = 1) -> CharterVersion:
    version = db.session.scalar(select(CharterVersion).where(CharterVersion.number == number))
    if version is None:
        version = CharterVersion(number=number, status=VersionStatus.ADOPTED, adopted_at=utcnow())
        db.session.add(version)
        db.session.flush()
    return version


def grant_label(
    kind: SubjectKind, subject_id: int, level: int, *, version: int = 1, days_left: int = 200, commit: bool = True
) -> Label:
    """An active label of ``level`` on (``kind``, ``subject_id``), valid ``days_left`` more days; sends
    `label_granted` as the labels' side does (search reindexes the subject after the commit)."""
    v = charter_version(version)
    assessment = Assessment(
        subject_kind=kind, subject_id=subject_id, version_id=v.id, status=AssessmentStatus.VALIDATED, level=level
    )
    db.session.add(assessment)
    db.session.flush()
    n = (db.session.scalar(select(func.count()).select_from(Label)) or 0) + 1
    now = utcnow()
    label = Label(
        public_id=f"L-TEST-{n:04d}-{subject_id}",
        subject_kind=kind,
        subject_id=subject_id,
        assessment_id=assessment.id,
        version_id=v.id,
        level=level,
        granted_at=now - timedelta(days=365 - days_left),
        expires_at=now + timedelta(days=days_left),
        status=LabelStatus.ACTIVE,
    )
    db.session.add(label)
    db.session.flush()
    label_granted.send(label)
    if commit:
        commit_and_dispatch()
    return label
