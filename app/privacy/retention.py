"""Retention: nothing personal is kept longer than the register of processing says.

`run_retention(now)` is the one entry point (`flask hub retention`, the daily periodic job, the RQ job
`retention_job`). It takes `now`, so tests run it on a shifted clock; every rule selects only what is
past its duration and not yet handled, so running it twice does what running it once did.

Durations are the register's rules (app/privacy/register.yaml; config RETENTION_DAYS overrides one):
- erasures asked for by their owner whose grace period is over (app/privacy/erasure.py);
- `unconfirmed_signups`: sign-ups never confirmed, deleted (an account nobody can use, nothing refers to);
- `inactive_accounts`: warned by e-mail `warn_days` before, then anonymised (erased as the person would
  have been) after three years without a login, as the CNIL advises;
- `closed_need_contacts`: closed, cancelled or done needs: their contact details cleared;
- `outbox_emails`: e-mails already sent (or only logged, or given up) deleted;
- `charter_evidence`: evidence files of a label assessment withdrawn, or whose label expired or was
  revoked, deleted;
- `unclaimed_places`, `import_reports`: places of national files nobody claimed; import reports;
- `data_exports`: the archives of a person's data export; `access_log`: staff reads of personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Membership, User
from app.charter.assessments import evidence_path
from app.charter.models import Assessment, AssessmentAnswer, AssessmentStatus, CommitteeMember, Label, LabelStatus
from app.core.access_log import AccessLogEntry
from app.core.mail import FAILED, LOGGED, SENT, OutboxEmail, send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.library.models import ProducerMember
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.opendata.models import ImportBatch, ImportedPlace
from app.privacy.erasure import erase_account, remove_files_after_commit, run_due_erasures
from app.privacy.exports import purge_expired
from app.privacy.lifecycle import ErasureRequest, InactivityWarning
from app.privacy.register import register
from app.vouchers.models import FunderMember

# The register's rules applied here (app/privacy/register.yaml: `retention.rules` of each processing).
RULES = (
    "unconfirmed_signups",
    "inactive_accounts",
    "closed_need_contacts",
    "outbox_emails",
    "charter_evidence",
    "unclaimed_places",
    "import_reports",
    "data_exports",
    "access_log",
)
CLOSED_NEEDS = (NS.CLOSED, NS.CANCELLED, NS.DONE)


def days(rule: str) -> int:
    """The rule's duration in days: the register's, unless config RETENTION_DAYS overrides it."""
    override = (current_app.config.get("RETENTION_DAYS") or {}).get(rule)
    return int(override if override is not None else register().retention(rule).days)


def notice_days() -> int:
    """How long before anonymising an unused account its owner is warned."""
    return int(register().retention("inactive_accounts").warn_days or 30)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def run_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every retention rule as of `now`. Idempotent. Returns what each rule did."""
    now = _aware(now) or utcnow()
    emails_deleted = purge_outbox(now)  # first: not the messages this run writes (on a shifted clock too)
    return {
        "emails_deleted": emails_deleted,
        "erased": run_due_erasures(now),
        "unconfirmed_deleted": purge_unconfirmed(now),
        **inactive_accounts(now),
        "need_contacts_cleared": clear_closed_need_contacts(now),
        "evidence_deleted": purge_assessment_evidence(now),
        "places_deleted": purge_unclaimed_places(now),
        "import_reports_cleared": clear_import_reports(now),
        "exports_deleted": purge_data_exports(now),
        "access_log_deleted": purge_access_log(now),
    }


def retention_job(now: str | None = None) -> dict[str, int]:
    """The RQ job: `now` as an ISO string (a job takes plain values)."""
    return run_retention(datetime.fromisoformat(now) if now else None)


def _has_role_rows():
    return or_(
        *(
            exists().where(model.user_id == User.id)
            for model in (Membership, FunderMember, ProducerMember, CommitteeMember)
        )
    )


def purge_unconfirmed(now: datetime) -> int:
    """Sign-ups never confirmed: nothing refers to them (no membership, no role), deleted with their e-mails."""
    limit = now - timedelta(days=days("unconfirmed_signups"))
    users = list(
        db.session.scalars(
            select(User).where(
                User.email_confirmed_at.is_(None),
                User.erased_at.is_(None),
                User.is_staff.is_(False),
                User.created_at < limit,
                ~_has_role_rows(),
            )
        )
    )
    for user in users:
        user_id, email = user.id, user.email.lower()
        try:  # nothing should refer to it; if something does, it is anonymised instead of deleted
            with db.session.begin_nested():
                db.session.delete(user)
                db.session.flush()
        except IntegrityError:
            erase_account(user_id, now)
            continue
        db.session.execute(
            delete(OutboxEmail).where(func.lower(OutboxEmail.recipient) == email),
            execution_options={"synchronize_session": False},
        )
    db.session.flush()
    return len(users)


def _last_activity():
    return func.coalesce(User.last_login_at, User.created_at)


def inactive_accounts(now: datetime) -> dict[str, int]:
    """Warn those idle for (three years - one month); anonymise those idle three years and warned a month
    ago at least. A login after the warning starts a new idle spell (the old warning no longer counts)."""
    idle = timedelta(days=days("inactive_accounts"))
    notice = timedelta(days=notice_days())
    candidates = (
        select(User)
        .outerjoin(InactivityWarning, InactivityWarning.user_id == User.id)
        .where(
            User.erased_at.is_(None),
            User.is_staff.is_(False),
            User.email_confirmed_at.is_not(None),
            _last_activity() < now - idle + notice,
            ~exists().where(ErasureRequest.user_id == User.id),
        )
        .add_columns(InactivityWarning.warned_at)
    )
    warned = anonymised = 0
    for user, warned_at in db.session.execute(candidates).all():
        last = _aware(user.last_login_at or user.created_at)
        valid_warning = warned_at is not None and _aware(warned_at) >= last
        if not valid_warning:
            _warn(user, now, last + idle)
            warned += 1
        elif last < now - idle and _aware(warned_at) <= now - notice and erase_account(user.id, now):
            anonymised += 1
    db.session.flush()
    return {"inactive_warned": warned, "inactive_anonymised": anonymised}


def _warn(user: User, now: datetime, when: datetime) -> None:
    row = db.session.get(InactivityWarning, user.id)
    if row is None:
        db.session.add(InactivityWarning(user_id=user.id, warned_at=now))
    else:
        row.warned_at = now
    when = max(when, now + timedelta(days=notice_days()))
    send_mail(
        user.email,
        _l("Votre compte du Hub du Sud va être anonymisé"),
        _l(
            "Bonjour,\n\nVous ne vous êtes pas connecté·e au Hub du Sud depuis longtemps. Pour ne pas garder "
            "vos données sans raison, votre compte sera anonymisé à partir du %(date)s.\n\nPour le garder, "
            "il suffit de vous connecter avant cette date : %(url)s",
            date=format_date(when, "long"),
            url=absolute_url("accounts.login"),
        ),
    )


def clear_closed_need_contacts(now: datetime) -> int:
    """The contact details of needs closed, cancelled or done for longer than the duration: emptied."""
    limit = now - timedelta(days=days("closed_need_contacts"))
    needs = list(
        db.session.scalars(
            select(Need).where(
                Need.status.in_(CLOSED_NEEDS),
                Need.updated_at < limit,
                or_(Need.contact_name != "", Need.contact_email != "", Need.contact_phone != ""),
            )
        )
    )
    for need in needs:
        need.contact_name = need.contact_email = need.contact_phone = ""
    db.session.flush()
    return len(needs)


def purge_outbox(now: datetime) -> int:
    """Messages delivered, only logged or given up, older than the duration: deleted (pending ones stay)."""
    limit = now - timedelta(days=days("outbox_emails"))
    result = db.session.execute(
        delete(OutboxEmail).where(OutboxEmail.status.in_((SENT, LOGGED, FAILED)), OutboxEmail.created_at < limit),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def purge_assessment_evidence(now: datetime) -> int:
    """Files uploaded for an assessment withdrawn, or whose label expired or was revoked, longer ago than the
    duration: deleted, and the answer no longer names them (the label's public record stays)."""
    limit = now - timedelta(days=days("charter_evidence"))
    ended_label = exists().where(
        Label.assessment_id == Assessment.id,
        or_(
            and_(Label.status == LabelStatus.EXPIRED, Label.expires_at < limit),
            and_(Label.status == LabelStatus.REVOKED, Label.updated_at < limit),
        ),
    )
    withdrawn = and_(Assessment.status == AssessmentStatus.WITHDRAWN, Assessment.updated_at < limit)
    answers = list(
        db.session.scalars(
            select(AssessmentAnswer)
            .join(Assessment, Assessment.id == AssessmentAnswer.assessment_id)
            .where(AssessmentAnswer.evidence_file.is_not(None), or_(withdrawn, ended_label))
        )
    )
    remove_files_after_commit(evidence_path(answer) for answer in answers)
    for answer in answers:
        answer.evidence_file = answer.evidence_file_name = answer.evidence_file_type = None
    db.session.flush()
    return len(answers)


def purge_unclaimed_places(now: datetime) -> int:
    """Places of a national file invited to join, that nobody claimed: deleted a year after the invitation."""
    limit = now - timedelta(days=days("unclaimed_places"))
    result = db.session.execute(
        delete(ImportedPlace).where(
            ImportedPlace.status.in_(("to_claim", "invited")),
            ImportedPlace.claimant_id.is_(None),
            func.coalesce(ImportedPlace.invited_at, ImportedPlace.created_at) < limit,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def clear_import_reports(now: datetime) -> int:
    """The line-by-line report of an import (names, e-mails of the records): emptied after the duration."""
    limit = now - timedelta(days=days("import_reports"))
    batches = list(db.session.scalars(select(ImportBatch).where(ImportBatch.created_at < limit)))
    cleared = [batch for batch in batches if batch.report]
    for batch in cleared:
        batch.report = []
    db.session.flush()
    return len(cleared)


def purge_data_exports(now: datetime) -> int:
    """A person's data export: its archive deleted once its link expired (`data_exports`: app/privacy/exports.py)."""
    return purge_expired(now)


def purge_access_log(now: datetime) -> int:
    """Staff reads of personal data: kept a year for the person to see, then deleted."""
    limit = now - timedelta(days=days("access_log"))
    result = db.session.execute(
        delete(AccessLogEntry).where(AccessLogEntry.at < limit), execution_options={"synchronize_session": False}
    )
    return result.rowcount or 0
