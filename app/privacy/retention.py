"""Retention: nothing personal is kept longer than the register of processing says.

`run_retention(now)` is the one entry point (`flask hub retention`, the daily periodic job, the RQ job
`retention_job`). It takes `now`, so tests run it on a shifted clock; every rule selects only what is
past its duration and not yet handled, so running it twice does what running it once did.

- erasures asked for by their owner whose grace period is over (app/privacy/erasure.py);
- sign-ups never confirmed: deleted after `unconfirmed_signup` days (an account nobody can use, that
  nothing refers to);
- inactive accounts: warned by e-mail `inactivity_notice` days before, then anonymised (erased as the
  person would have) after `inactive_account` days without a login (three years, as the CNIL advises);
- closed, cancelled or done needs: their contact details cleared after `closed_need_contact` days;
- outbox e-mails already sent (or only logged, or given up) deleted after `outbox_email` days;
- evidence files uploaded for a label assessment that was withdrawn, or whose label expired or was
  revoked, deleted after `assessment_evidence` days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, or_, select

from app.accounts.models import Membership, User
from app.charter.assessments import evidence_path
from app.charter.models import Assessment, AssessmentAnswer, AssessmentStatus, CommitteeMember, Label, LabelStatus
from app.core.mail import FAILED, LOGGED, SENT, OutboxEmail, send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.library.models import ProducerMember
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.privacy.erasure import erase_account, remove_files_after_commit, run_due_erasures
from app.privacy.lifecycle import ErasureRequest, InactivityWarning
from app.vouchers.models import FunderMember

# Days, until the register of processing (app/privacy/register.yaml) gives them; config RETENTION_DAYS
# overrides any of them.
DEFAULT_DAYS = {
    "unconfirmed_signup": 7,
    "inactive_account": 3 * 365,
    "inactivity_notice": 30,
    "closed_need_contact": 365,
    "outbox_email": 90,
    "assessment_evidence": 365,
}
CLOSED_NEEDS = (NS.CLOSED, NS.CANCELLED, NS.DONE)


def days(rule: str) -> int:
    return int((current_app.config.get("RETENTION_DAYS") or {}).get(rule, DEFAULT_DAYS[rule]))


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def run_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every retention rule as of `now`. Idempotent. Returns what each rule did."""
    now = _aware(now) or utcnow()
    return {
        "erased": run_due_erasures(now),
        "unconfirmed_deleted": purge_unconfirmed(now),
        **inactive_accounts(now),
        "need_contacts_cleared": clear_closed_need_contacts(now),
        "emails_deleted": purge_outbox(now),
        "evidence_deleted": purge_assessment_evidence(now),
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
    limit = now - timedelta(days=days("unconfirmed_signup"))
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
        db.session.execute(
            delete(OutboxEmail).where(func.lower(OutboxEmail.recipient) == user.email.lower()),
            execution_options={"synchronize_session": False},
        )
        db.session.delete(user)
    db.session.flush()
    return len(users)


def _last_activity():
    return func.coalesce(User.last_login_at, User.created_at)


def inactive_accounts(now: datetime) -> dict[str, int]:
    """Warn those idle for (three years - one month); anonymise those idle three years and warned a month
    ago at least. A login after the warning starts a new idle spell (the old warning no longer counts)."""
    idle = timedelta(days=days("inactive_account"))
    notice = timedelta(days=days("inactivity_notice"))
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
    when = max(when, now + timedelta(days=days("inactivity_notice")))
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
    limit = now - timedelta(days=days("closed_need_contact"))
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
    limit = now - timedelta(days=days("outbox_email"))
    result = db.session.execute(
        delete(OutboxEmail).where(OutboxEmail.status.in_((SENT, LOGGED, FAILED)), OutboxEmail.created_at < limit),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def purge_assessment_evidence(now: datetime) -> int:
    """Files uploaded for an assessment withdrawn, or whose label expired or was revoked, longer ago than the
    duration: deleted, and the answer no longer names them (the label's public record stays)."""
    limit = now - timedelta(days=days("assessment_evidence"))
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
