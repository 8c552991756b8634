"""The proposal sweep runs as a periodic job (`flask hub sweep`, the scheduler, the embedded
default's timer), never inside a page: opening a page changes nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask, current_app

from app.core.jobs import commit
from app.core.models import utcnow
from app.matches import jobs, services
from app.matches import runs as match_runs
from app.matches.models import ProposalStatus as P
from app.needs.models import NeedStatus as NS
from tests.conftest import login, page_text, post_form
from tests.matches.test_matches_pages import _setup

WEIGHTS = {"skills": 0.6, "distance": 0.4}


def _overdue(factory):
    """A proposal approved and sent to the provider, whose deadline has passed."""
    staff, need, offer = _setup(factory)
    run = match_runs.start_run(staff, WEIGHTS)
    commit()  # in-process: the run is done after the commit
    proposal = run.proposals[0]
    services.approve(staff, proposal)
    proposal.deadline_at = utcnow() - timedelta(hours=1)
    commit()
    return proposal, need, offer.provider.memberships[0].user


def test_the_providers_page_does_not_sweep_the_job_does(client, factory, db_session):
    proposal, need, provider_user = _overdue(factory)
    login(client, provider_user)
    assert "Sécuriser nos ordinateurs" in page_text(client.get("/missions/propositions"))
    db_session.refresh(proposal)
    assert proposal.status == P.APPROVED  # a page writes nothing

    assert jobs.run_sweep() == {"reminded": 0, "expired": 1, "stale": 0}
    db_session.refresh(proposal)
    db_session.refresh(need)
    assert proposal.status == P.EXPIRED and need.status == NS.OPEN
    assert "Sécuriser nos ordinateurs" not in page_text(client.get("/missions/propositions"))
    assert jobs.run_sweep() == {"reminded": 0, "expired": 0, "stale": 0}  # idempotent


def test_the_sweep_command_is_the_job(app, factory, db_session):
    proposal, _need, _user = _overdue(factory)
    result = app.test_cli_runner().invoke(args=["hub", "sweep"])
    assert result.exit_code == 0 and "0 rappel(s), 1 expiration(s), 0 exécution(s)" in result.output
    db_session.refresh(proposal)
    assert proposal.status == P.EXPIRED


def test_answering_an_overdue_proposal_expires_it_and_keeps_the_expiry(client, factory, db_session):
    proposal, need, provider_user = _overdue(factory)
    login(client, provider_user)
    r = post_form(client, f"/missions/propositions/{proposal.id}", {"response": "accept"}, follow_redirects=True)
    assert "Le délai de réponse est dépassé : la proposition a expiré." in page_text(r)
    db_session.refresh(proposal)
    db_session.refresh(need)
    assert proposal.status == P.EXPIRED and need.status == NS.OPEN  # committed with the refusal


def test_the_timer_runs_the_job_now_then_every_interval(app):
    ran = threading.Semaphore(0)
    contexts = []

    def job():
        contexts.append(current_app._get_current_object())
        ran.release()

    stop = jobs.start_sweep_timer(app, 0.01, job=job)
    try:
        assert all(ran.acquire(timeout=10) for _ in range(3))
    finally:
        stop.set()
    assert contexts[0] is app  # inside an app context


def test_the_timer_sweeps_the_database_from_its_own_thread(app):
    """The real job, on the app's own session and connection in the timer's thread."""
    results = []
    done = threading.Event()

    def job():
        results.append(jobs.run_sweep())
        done.set()

    stop = jobs.start_sweep_timer(app, 60, job=job)
    try:
        assert done.wait(30)
    finally:
        stop.set()
    assert results == [{"reminded": 0, "expired": 0, "stale": 0}]


def test_a_failing_run_does_not_stop_the_timer(app):
    ran = threading.Semaphore(0)

    def job():
        ran.release()
        raise RuntimeError("the database went away")

    stop = jobs.start_sweep_timer(app, 0.01, job=job)
    try:
        assert all(ran.acquire(timeout=10) for _ in range(2))
    finally:
        stop.set()


def _bare_app(**config) -> Flask:
    bare = Flask(__name__)
    bare.config.update({"SWEEP_INTERVAL": 300.0, "JOBS_MODE": "inprocess", "TESTING": False, **config})
    bare.add_url_rule("/", "home", lambda: "ok")
    return bare


def test_the_first_request_starts_the_timer_once(monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_sweep_timer", lambda app, interval: started.append((app, interval)))
    bare = _bare_app()
    jobs.init_sweep_timer(bare)
    assert started == []  # not when the app is made (CLI commands make one too)
    client = bare.test_client()
    client.get("/")
    client.get("/")
    assert started == [(bare, 300.0)]


def test_no_timer_under_rq_in_tests_or_at_zero(monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_sweep_timer", lambda app, interval: started.append(app))
    for config in ({"JOBS_MODE": "rq"}, {"TESTING": True}, {"SWEEP_INTERVAL": 0}):
        bare = _bare_app(**config)
        jobs.init_sweep_timer(bare)
        bare.test_client().get("/")
    assert started == []
