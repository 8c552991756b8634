"""Retention jobs on a shifted clock: before a rule's duration nothing happens, after it the rule applies,
and a second run does nothing more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.charter import assessments
from app.charter.models import AssessmentStatus, SubjectKind
from app.core.access_log import AccessLogEntry
from app.core.mail import OutboxEmail, send_mail
from app.core.models import utcnow
from app.extensions import db
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need
from app.privacy.register import register
from app.privacy.retention import run_retention
from tests.charter.labels_helpers import tiny_version

YEAR = timedelta(days=365)


def _days(rule: str) -> timedelta:
    return timedelta(days=register().retention(rule).days)


def _fresh(row):
    db.session.flush()
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def test_unconfirmed_signups_go_after_their_duration_confirmed_ones_stay(factory):
    waiting = factory.user(email="jamais.confirme@exemple.fr", confirmed=False)
    confirmed = factory.user(email="confirme@exemple.fr")
    start, limit = utcnow(), _days("unconfirmed_signups")
    assert run_retention(start + limit - timedelta(hours=1))["unconfirmed_deleted"] == 0
    assert db.session.get(User, waiting.id) is not None
    assert run_retention(start + limit + timedelta(hours=1))["unconfirmed_deleted"] == 1
    db.session.expire_all()
    assert db.session.get(User, waiting.id) is None
    assert (
        db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "jamais.confirme@exemple.fr")).all() == []
    )
    assert db.session.get(User, confirmed.id) is not None
    assert run_retention(start + limit + timedelta(hours=2))["unconfirmed_deleted"] == 0


def test_inactive_accounts_are_warned_a_month_before_then_anonymised_unless_they_log_in(factory):
    idle, notice = _days("inactive_accounts"), timedelta(days=register().retention("inactive_accounts").warn_days)
    sleeper = factory.user(email="dormeur@exemple.fr", name="Dominique Dormeur")
    returner = factory.user(email="revenant@exemple.fr", name="Renée Revenant")
    last = utcnow()
    sleeper.last_login_at = returner.last_login_at = last
    db.session.flush()

    early = run_retention(last + idle - notice - timedelta(days=1))
    assert early["inactive_warned"] == 0 and early["inactive_anonymised"] == 0
    warn_time = last + idle - notice + timedelta(days=1)
    assert run_retention(warn_time)["inactive_warned"] == 2
    warning = db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "dormeur@exemple.fr")).all()[-1]
    assert "anonymisé" in warning.body
    assert run_retention(warn_time + timedelta(hours=1))["inactive_warned"] == 0  # warned once
    returner = _fresh(returner)
    returner.last_login_at = warn_time + timedelta(days=2)  # logs in after the warning
    db.session.flush()

    late = run_retention(warn_time + notice + timedelta(days=1))
    assert late["inactive_anonymised"] == 1
    sleeper, returner = _fresh(sleeper), _fresh(returner)
    assert (
        sleeper.erased_at is not None
        and sleeper.email != "dormeur@exemple.fr"
        and sleeper.full_name != "Dominique Dormeur"
    )
    assert returner.erased_at is None
    again = run_retention(warn_time + notice + timedelta(days=2))
    assert again["inactive_anonymised"] == 0 and again["inactive_warned"] == 0


def test_closed_needs_lose_their_contact_details_after_the_duration(factory):
    need = factory.need(contact_name="Lou Contact", contact_email="lou@exemple.fr", contact_phone="04 91 00 00 00")
    open_need = factory.need(title="Toujours ouvert", contact_email="ouvert@exemple.fr")
    move_need(need.organisation.memberships[0].user, need, NS.CANCELLED)
    db.session.flush()
    start, limit = utcnow(), _days("closed_need_contacts")
    assert run_retention(start + limit - timedelta(days=1))["need_contacts_cleared"] == 0
    assert run_retention(start + limit + timedelta(days=1))["need_contacts_cleared"] == 1
    need, open_need = _fresh(need), _fresh(open_need)
    assert (need.contact_name, need.contact_email, need.contact_phone) == ("", "", "")
    assert open_need.contact_email == "ouvert@exemple.fr"
    assert run_retention(start + limit + timedelta(days=2))["need_contacts_cleared"] == 0


def test_old_emails_evidence_and_access_log_are_purged(factory, app):
    start = utcnow()
    old_mail_id = send_mail("quelquun@exemple.fr", "Sujet", "Corps").id
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    tiny_version()
    assessment = assessments.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    criterion_id = assessments.applicable_criteria(assessment.version, SubjectKind.PROVIDER)[0].criterion_id
    evidence = assessments.AnswerInput(answer="yes", file_bytes=b"Notre attestation", file_name="attestation.txt")
    assert assessments.save_answers(owner, assessment, {criterion_id: evidence}) == {}
    answer = assessment.answers[0]
    path = assessments.evidence_path(answer)
    assert path is not None and path.is_file()
    assessment.status = AssessmentStatus.WITHDRAWN
    db.session.add(AccessLogEntry(actor_id=None, subject_user_id=owner.id, what="account", at=start))
    db.session.flush()

    before = run_retention(start + timedelta(days=80))
    assert before["emails_deleted"] == before["evidence_deleted"] == before["access_log_deleted"] == 0
    after_mail = run_retention(start + _days("outbox_emails") + timedelta(days=1))
    db.session.expire_all()
    assert after_mail["emails_deleted"] >= 1 and db.session.get(OutboxEmail, old_mail_id) is None
    assert after_mail["evidence_deleted"] == 0
    last = start + max(_days("charter_evidence"), _days("access_log")) + timedelta(days=1)
    from app.core.jobs import commit

    done = run_retention(last)
    commit()  # the files go once the rows no longer name them
    assert done["evidence_deleted"] == 1 and done["access_log_deleted"] == 1
    assert not path.exists() and _fresh(answer).evidence_file is None
    again = run_retention(last + timedelta(days=1))
    assert again["evidence_deleted"] == again["access_log_deleted"] == again["emails_deleted"] == 0


def test_the_command_takes_a_shifted_clock_and_runs_daily(app, factory):
    from app.cli import PERIODIC_JOBS

    assert ("privacy-retention", "daily", "retention") in PERIODIC_JOBS
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "retention", "--now", "2031-01-01T00:00:00"])
    assert result.exit_code == 0, result.output
    assert "unconfirmed_deleted" in result.output
    assert runner.invoke(args=["hub", "retention", "--now", "pas une date"]).exit_code != 0
