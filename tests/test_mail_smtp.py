"""The outbox against a real SMTP server (aiosmtpd, started here on a free port):
delivery in the reader's language with a plain-text part, retries with backoff
while the server is down or answers 4xx, no retry after a 5xx, exactly one
delivery per row even with two senders at once."""

from __future__ import annotations

import email
import socket
import threading
from datetime import UTC, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select, update

from app.core import mail
from app.core.mail import FAILED, PENDING, SENT, OutboxEmail
from app.core.models import utcnow
from tests.conftest import login, post_form, worker_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps every accepted message; `answers` are the replies
    to the next DATA commands (then 250), `delay` slows each DATA down."""

    def __init__(self, answers=(), delay: float = 0.0):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.answers = list(answers)
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int):
        self.port = port
        self.controller = None

    def start(self, handler: Recorder) -> Recorder:
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return handler

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    """An SMTP server on a free port (not started: `smtp.start(Recorder())`); SMTP_URL points at it."""
    server = SMTPServer(_free_port())
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{server.port}")
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    yield server
    server.stop()


def _aware(value):

    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives them back naive


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ---------------------------------------------------------------- real mails of the app


def test_signup_confirmation_arrives_in_the_readers_language(client, db_session, smtp):
    inbox = smtp.start(Recorder())
    post_form(client, "/langue", {"lang": "en"})
    r = post_form(
        client,
        "/inscription",
        {
            "full_name": "Jane Doe",
            "email": "jane.smtp@exemple.fr",
            "password": "une phrase de passe",
            "intent": "organisation",
            "accept": "y",
        },
    )
    assert r.status_code == 200
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "jane.smtp@exemple.fr" and inbox.envelopes[0].rcpt_tos == ["jane.smtp@exemple.fr"]
    assert message["Subject"] == "Confirm your email address — Hub du Sud"
    assert message["Content-Language"] == "en"
    assert message.get_content_type() == "text/plain"
    body = _text(message)
    assert body.startswith("Hello Jane Doe") and "/confirmer/" in body
    row = db_session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == "jane.smtp@exemple.fr"))
    assert row.status == SENT and row.sent_at is not None and row.attempts == 1
    assert message["Message-ID"] == row.message_id


def test_password_reset_follows_the_accounts_language_not_the_page(client, factory, db_session, smtp):
    inbox = smtp.start(Recorder())
    french = factory.user(email="fr.smtp@exemple.fr", name="Léa Martin")
    english = factory.user(email="en.smtp@exemple.fr", name="John Smith")
    english.locale = "en"
    db_session.flush()
    post_form(client, "/langue", {"lang": "en"})  # the page is in English for both requests
    post_form(client, "/mot-de-passe/oublie", {"email": french.email})
    post_form(client, "/mot-de-passe/oublie", {"email": english.email})
    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {french.email, english.email}
    assert by_recipient[french.email]["Subject"] == "Réinitialisation de votre mot de passe — Hub du Sud"
    assert _text(by_recipient[french.email]).startswith("Bonjour Léa Martin")
    assert "/mot-de-passe/nouveau/" in _text(by_recipient[french.email])
    assert by_recipient[english.email]["Subject"] == "Reset your password — Hub du Sud"
    assert _text(by_recipient[english.email]).startswith("Hello John Smith")


def test_proposal_reaches_each_provider_member_in_their_language(client, factory, db_session, smtp):
    inbox = smtp.start(Recorder())
    provider_user = factory.user(intent="provider", email="prov.smtp@exemple.fr")
    provider_user.locale = "en"
    provider = factory.provider(owner=provider_user, contact_email="equipe.smtp@exemple.fr")
    factory.offer(provider=provider)
    need = factory.need()
    from app.matches import runs as match_runs

    staff = factory.staff()
    run = match_runs.start_run(staff, {"skills": 1.0, "distance": 0.5}, dep_codes=[need.commune.dep_code])
    match_runs.run_match_job(run.id)
    proposal = next(p for p in run.proposals if p.need_id == need.id)
    login(client, staff)
    before = len(inbox.messages)
    r = post_form(client, f"/mise-en-relation/propositions/{proposal.id}", {"decision": "approve"})
    assert r.status_code in (302, 303), r.status_code
    received = {m["To"]: m for m in inbox.messages[before:]}
    assert set(received) == {"prov.smtp@exemple.fr", "equipe.smtp@exemple.fr"}
    assert received["prov.smtp@exemple.fr"]["Subject"] == "New mission proposal — Hub du Sud"
    assert need.title in _text(received["prov.smtp@exemple.fr"])
    assert received["equipe.smtp@exemple.fr"]["Subject"] == "Nouvelle proposition de mission — Hub du Sud"
    assert _text(received["equipe.smtp@exemple.fr"]).startswith("Bonjour,")


def test_html_part_is_an_alternative_to_the_plain_text(db_session, smtp):
    inbox = smtp.start(Recorder())
    row = mail.send_mail("html.smtp@exemple.fr", "Sujet", "Texte brut", html="<p>Texte <b>riche</b></p>")
    db_session.flush()
    assert mail.deliver_mail(row.id) == SENT
    message = inbox.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert _text(message).strip() == "Texte brut"
    assert "<b>riche</b>" in message.get_body(preferencelist=("html",)).get_content()


# ---------------------------------------------------------------- retries


def test_server_down_then_back_is_retried_with_backoff_and_delivered_once(app, db_session, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 60)
    row = mail.send_mail("down.smtp@exemple.fr", "Toujours là", "Un message qui attendra le serveur.")
    db_session.flush()

    assert mail.deliver_mail(row.id) == PENDING  # connection refused: nobody listens on the port
    db_session.refresh(row)
    assert row.attempts == 1 and row.sent_at is None and "Connection refused" in row.last_error
    first_delay = _aware(row.next_attempt_at) - utcnow()
    assert timedelta(seconds=50) < first_delay <= timedelta(seconds=60)

    assert mail.deliver_due() == {SENT: 0, PENDING: 0, FAILED: 0}  # not due yet: nothing tried
    db_session.execute(update(OutboxEmail).where(OutboxEmail.id == row.id).values(next_attempt_at=utcnow()))
    assert mail.deliver_due()[PENDING] == 1  # still down: second attempt, longer wait
    db_session.refresh(row)
    assert row.attempts == 2
    assert timedelta(seconds=110) < _aware(row.next_attempt_at) - utcnow() <= timedelta(seconds=120)

    inbox = smtp.start(Recorder())  # the server comes back
    db_session.execute(update(OutboxEmail).where(OutboxEmail.id == row.id).values(next_attempt_at=utcnow()))
    result = app.test_cli_runner().invoke(args=["hub", "periodic", "frequent"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert mail.deliver_due()[SENT] == 0 and mail.deliver_mail(row.id) is None  # run again: nothing more
    assert [m["Subject"] for m in inbox.messages] == ["Toujours là"]
    db_session.refresh(row)
    assert row.status == SENT and row.attempts == 3 and row.last_error is None


def test_451_then_250_is_delivered_once(db_session, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    inbox = smtp.start(Recorder(answers=["451 4.3.0 Greylisted, try again later"]))
    row = mail.send_mail("grey.smtp@exemple.fr", "Gris", "Liste grise.")
    db_session.flush()
    assert mail.deliver_mail(row.id) == PENDING
    db_session.refresh(row)
    assert "451" in row.last_error and row.status == PENDING
    assert mail.deliver_due()[SENT] == 1
    assert mail.deliver_due()[SENT] == 0
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "grey.smtp@exemple.fr"


def test_550_fails_at_once_and_is_never_retried(db_session, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    inbox = smtp.start(Recorder(answers=["550 5.1.1 No such user here"] * 5))
    row = mail.send_mail("nobody.smtp@exemple.fr", "Perdu", "Personne.")
    db_session.flush()
    assert mail.deliver_mail(row.id) == FAILED
    db_session.refresh(row)
    assert row.status == FAILED and row.attempts == 1 and "550" in row.last_error and row.next_attempt_at is None
    assert mail.deliver_due() == {SENT: 0, PENDING: 0, FAILED: 0}
    assert mail.deliver_mail(row.id) is None
    assert len(inbox.answers) == 4 and inbox.messages == []  # one DATA only
    result = app.test_cli_runner().invoke(args=["hub", "mail-status"])
    assert "nobody.smtp@exemple.fr" in result.output and "failed" in result.output and "550" in result.output


def test_temporary_failures_end_as_failed_after_max_attempts(db_session, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    row = mail.send_mail("never.smtp@exemple.fr", "Jamais", "Le serveur ne revient pas.")
    db_session.flush()
    statuses = [mail.deliver_mail(row.id) for _ in range(4)]
    assert statuses == [PENDING, PENDING, FAILED, None]
    db_session.refresh(row)
    assert row.attempts == 3 and row.status == FAILED


def test_without_smtp_the_outbox_only_logs(db_session, app):
    row = mail.send_mail("log.smtp@exemple.fr", "Journal", "Rien n'est envoyé.")
    assert row.status == mail.LOGGED
    assert mail.deliver_mail(row.id) is None and mail.deliver_due()[SENT] == 0


def test_a_sender_dead_after_claiming_is_replaced_after_the_lease_with_the_same_message_id(
    db_session, smtp, app, monkeypatch
):
    inbox = smtp.start(Recorder())
    row = mail.send_mail("crash.smtp@exemple.fr", "Reprise", "Après un arrêt brutal.")
    db_session.flush()
    assert mail.claim(row.id)  # a sender took it, then died before recording anything
    assert mail.deliver_due()[SENT] == 0 and mail.deliver_mail(row.id) is None  # its lease still runs
    db_session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == row.id)
        .values(claimed_at=utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE_SECONDS"] + 1))
    )
    assert mail.deliver_due()[SENT] == 1
    db_session.refresh(row)
    assert row.attempts == 2 and inbox.messages[0]["Message-ID"] == row.message_id


# ---------------------------------------------------------------- two senders, one row


def test_two_concurrent_senders_deliver_one_row_once(app, smtp):
    """Committed rows and two threads with their own sessions and connections (no test transaction)."""
    from app.core.jobs import commit
    from app.extensions import db

    inbox = smtp.start(Recorder(delay=0.5))  # the first sender is still talking when the second starts
    with app.app_context():
        row = mail.send_mail("race.smtp@exemple.fr", "Course", "Une seule fois.")
        commit()  # in-process job: delivered at once...
        assert len(inbox.messages) == 1
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == row.id)  # ...so we make it due again
            .values(status=PENDING, sent_at=None, attempts=0)
        )
        commit()
        row_id = row.id
    inbox.messages.clear()
    barrier = threading.Barrier(2)
    results = []

    def sender():
        with app.app_context():
            barrier.wait()
            results.append(mail.deliver_mail(row_id))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results, key=str) == [None, SENT]
        assert len(inbox.messages) == 1
        with app.app_context():
            assert db.session.get(OutboxEmail, row_id).attempts == 1
    finally:
        with app.app_context():
            db.session.execute(delete(OutboxEmail).where(OutboxEmail.recipient == "race.smtp@exemple.fr"))
            commit()


def test_staff_see_failed_and_waiting_mails(client, factory, db_session, smtp, app, monkeypatch):
    smtp.start(Recorder(answers=["550 5.1.1 No such user here"]))
    from app.core.jobs import commit

    mail.send_mail("refuse.smtp@exemple.fr", "Refusé", "Personne.")
    commit()  # delivered after commit: refused
    smtp.stop()
    mail.send_mail("attente.smtp@exemple.fr", "En attente", "Plus tard.")
    commit()  # the server is down: waiting
    login(client, factory.user())
    assert client.get("/moderation/courriels").status_code == 403
    login(client, factory.staff())
    page = client.get("/moderation/courriels").get_data(as_text=True)
    assert "refuse.smtp@exemple.fr" in page and "550 5.1.1 No such user here" in page and "échec" in page
    assert "attente.smtp@exemple.fr" in page and "en attente" in page


# ---------------------------------------------------------------- production processes


@pytest.mark.one_pass("postgresql")  # the production processes, on the production database
def test_rq_worker_then_the_periodic_command_deliver_once(rq_app, monkeypatch):
    """JOBS_MODE=rq: a real `rq worker` makes the first attempt (451), a real
    `flask hub periodic frequent` process the retry; running both again sends nothing."""
    import subprocess
    import sys

    from rq import Queue

    from app.core.jobs import commit, redis_connection
    from app.extensions import db
    from tests.conftest import run_rq_worker

    server = SMTPServer(_free_port())
    inbox = server.start(Recorder(answers=["451 4.7.1 Try again later"]))
    url = f"smtp://127.0.0.1:{server.port}"
    monkeypatch.setitem(rq_app.config, "SMTP_URL", url)
    monkeypatch.setenv("SMTP_URL", url)  # for the worker and the command, started with os.environ
    monkeypatch.setenv("MAIL_RETRY_BASE_SECONDS", "0")
    try:
        with rq_app.app_context():
            Queue("hub", connection=redis_connection()).empty()
            row_id = mail.send_mail("rq.smtp@exemple.fr", "Par le worker", "Remis par RQ.").id
            commit()
        run_rq_worker(rq_app, "hub")
        with rq_app.app_context():
            row = db.session.get(OutboxEmail, row_id)
            assert (row.status, row.attempts, row.last_error) == (PENDING, 1, "451 4.7.1 Try again later")
            db.session.remove()
        env = worker_env(rq_app)
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "periodic", "frequent"],
                env=env,
                capture_output=True,
                check=False,  # the test reads the return code itself
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr[-2000:]
        run_rq_worker(rq_app, "hub")
        assert [m["To"] for m in inbox.messages] == ["rq.smtp@exemple.fr"]
        with rq_app.app_context():
            row = db.session.get(OutboxEmail, row_id)
            assert (row.status, row.attempts) == (SENT, 2)
            db.session.remove()
    finally:
        server.stop()
