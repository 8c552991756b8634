"""Match runs whose worker died: detected by their heartbeat going stale, marked failed with
the reason on their page, restarted from it by staff — once, however many clicks or tabs.

The real worker killed with `kill -9` is in test_matches_rq.py; these tests drive the same
services and pages in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import ServiceError
from app.core.jobs import PENDING, beating
from app.core.models import utcnow
from app.matches import runs as match_runs
from app.matches.models import Proposal, RunStatus
from tests.conftest import login, page_text, post_form


def _run(factory, db_session, staff=None):
    """A run over one need and one offer in the Var, queued (not executed)."""
    staff = staff or factory.staff()
    factory.need(
        title="Sécuriser nos ordinateurs",
        skills=["securite.cybersecurite"],
        organisation=factory.organisation(name="Cabinet infirmier", kind="profession_liberale", commune="83137"),
    )
    factory.offer(
        provider=factory.provider(name="Cyber Var", commune="83137", radius_km=30),
        title="Audit de sécurité",
        skills=["securite.cybersecurite"],
        category="audit",
    )
    run = match_runs.start_run(staff, {"skills": 1.0}, dep_codes=["83"])
    db_session.info.pop(PENDING, None)  # the tests execute it themselves
    db_session.flush()
    return staff, run


def _dead(run, db_session, seconds=600, stage="solve", percent=40):
    """The run as a killed worker leaves it: running, its last beat `seconds` ago."""
    run.status, run.stage, run.percent = RunStatus.RUNNING, stage, percent
    run.started_at = run.heartbeat_at = utcnow() - timedelta(seconds=seconds)
    db_session.flush()


def test_a_run_without_heartbeat_is_marked_failed_with_the_reason(app, client, factory, db_session):
    staff, run = _run(factory, db_session)
    _dead(run, db_session)
    login(client, staff)
    page = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    assert "L'exécution s'est interrompue à l'étape « solve » (40 %)" in page
    silence = int(re.search(r"ne donnait plus signe de vie depuis (\d+) s \(arrêté, tué ou redémarré\)", page).group(1))
    assert 600 <= silence < 700  # its last beat was 600 s before the page was opened
    assert "Relancer l'exécution" in page and f'name="attempt" value="{run.attempt}"' in page
    db_session.expire_all()
    assert run.status == RunStatus.FAILED and run.failure == match_runs.WORKER_LOST and run.finished_at is not None
    progress = client.get(f"/mise-en-relation/runs/{run.id}/progression").get_json()
    assert (
        progress["status"] == "failed" and progress["failure"] == "worker_lost" and "signe de vie" in progress["error"]
    )


def test_the_sweep_leaves_alone_live_queued_and_finished_runs(app, factory, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 60)
    staff, alive = _run(factory, db_session)
    _dead(alive, db_session, seconds=30)  # beat 30 s ago: alive for a 60 s limit
    queued = match_runs.start_run(staff, {"skills": 1.0})  # waiting for a worker: no heartbeat expected
    queued.created_at = utcnow() - timedelta(hours=2)
    done = match_runs.start_run(staff, {"skills": 1.0})
    done.status, done.heartbeat_at = RunStatus.DONE, utcnow() - timedelta(hours=2)
    db_session.info.pop(PENDING, None)
    db_session.flush()
    assert match_runs.sweep_stale_runs() == 0
    assert match_runs.sweep_stale_runs(now=utcnow() + timedelta(seconds=31)) == 1  # the same run, 31 s later
    db_session.expire_all()
    assert (alive.status, queued.status, done.status) == (RunStatus.FAILED, RunStatus.QUEUED, RunStatus.DONE)
    assert match_runs.sweep_stale_runs(now=utcnow() + timedelta(hours=1)) == 0  # idempotent


def test_a_running_run_never_beaten_is_judged_on_its_start(factory, db_session):
    _staff, run = _run(factory, db_session)
    _dead(run, db_session)
    run.heartbeat_at = None  # claimed by a job of before the heartbeat column
    db_session.flush()
    assert match_runs.sweep_stale_runs() == 1


def test_the_hourly_job_sweeps_dead_runs(app, factory, db_session):
    _staff, run = _run(factory, db_session)
    _dead(run, db_session)
    result = app.test_cli_runner().invoke(args=["hub", "periodic", "hourly"])
    assert result.exit_code == 0 and "1 exécution(s) sans signe de vie" in result.output, result.output
    db_session.expire_all()
    assert run.status == RunStatus.FAILED


def test_restart_reruns_the_same_run_once_for_two_clicks(app, client, factory, db_session):
    staff, run = _run(factory, db_session)
    _dead(run, db_session)
    login(client, staff)
    client.get(f"/mise-en-relation/runs/{run.id}")  # the page marks it failed
    first = post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "1"}, follow_redirects=True)
    assert first.status_code == 200 and "Exécution relancée." in page_text(first)
    second = post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "1"}, follow_redirects=True)
    assert "Cette exécution a déjà été relancée." in page_text(second)
    db_session.expire_all()
    assert run.status == RunStatus.DONE and run.attempt == 2 and run.percent == 100
    assert run.failure is None and run.error is None
    proposals = db_session.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()
    assert len(proposals) == 1 == run.figures["proposals"]
    assert "Relancée : exécution n° 2." in page_text(second) and "Audit de sécurité" in page_text(second)


def test_restart_queues_exactly_one_job(factory, db_session):
    staff, run = _run(factory, db_session)
    _dead(run, db_session)
    match_runs.sweep_stale_runs()
    assert match_runs.restart_run(staff, run.id, 1) is True
    assert match_runs.restart_run(staff, run.id, 1) is False  # the second tab
    jobs = db_session.info.pop(PENDING)
    assert [(func.__name__, args) for func, args, _kwargs, _queue in jobs] == [("run_match_job", (run.id, 2))]
    db_session.expire_all()
    assert (run.status, run.attempt, run.stage, run.percent, run.heartbeat_at) == (
        RunStatus.QUEUED,
        2,
        "queued",
        0,
        None,
    )


def test_a_live_or_finished_run_cannot_be_restarted(client, factory, db_session):
    staff, run = _run(factory, db_session)
    _dead(run, db_session, seconds=5)  # running, beat 5 s ago
    with pytest.raises(ServiceError, match="toujours en cours"):
        match_runs.restart_run(staff, run.id, 1)
    login(client, staff)
    page = page_text(
        post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "1"}, follow_redirects=True)
    )
    assert "toujours en cours : elle ne peut pas être relancée" in page and "Relancer l'exécution" not in page
    run.status = RunStatus.QUEUED
    db_session.flush()
    match_runs.run_match_job(run.id)  # the worker was alive after all: the run completes
    with pytest.raises(ServiceError, match="terminée"):
        match_runs.restart_run(staff, run.id, 1)
    page = page_text(
        post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "abc"}, follow_redirects=True)
    )
    assert "formulaire est périmé" in page
    db_session.expire_all()
    assert run.status == RunStatus.DONE and run.attempt == 1


def test_only_staff_restart(client, factory, db_session):
    _staff, run = _run(factory, db_session)
    run.status = RunStatus.FAILED
    db_session.flush()
    outsider = factory.user()
    with pytest.raises(Exception, match="équipe du Hub"):
        match_runs.restart_run(outsider, run.id, 1)
    login(client, outsider)
    assert post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "1"}).status_code in (403, 404)
    login(client, _staff)
    assert client.post(f"/mise-en-relation/runs/{run.id}/relancer", data={"attempt": "1"}).status_code == 400  # no CSRF
    db_session.expire_all()
    assert run.status == RunStatus.FAILED and run.attempt == 1


def test_an_execution_given_up_for_dead_writes_nothing(factory, db_session):
    """The process was only slow, not dead: once its run was swept and restarted, it must
    neither report progress nor store its proposals over the new execution."""
    staff, run = _run(factory, db_session)
    _dead(run, db_session)
    match_runs.sweep_stale_runs()
    match_runs.restart_run(staff, run.id, 1)
    db_session.info.pop(PENDING)
    db_session.expire_all()
    match_runs.run_match_job(run.id, 1)  # the first execution's job, delivered again: not claimed
    db_session.expire_all()
    assert (run.status, run.attempt) == (RunStatus.QUEUED, 2)
    run.status = RunStatus.RUNNING  # execution 2 works; execution 1 wakes up
    db_session.flush()
    with pytest.raises(match_runs.RunAbandoned):
        match_runs.execute_run(run, attempt=1)
    db_session.rollback()
    db_session.expire_all()
    assert run.status == RunStatus.RUNNING and run.proposals == []


def test_a_run_whose_engine_raises_is_failed_with_the_error_and_restartable(client, factory, db_session, monkeypatch):
    staff, run = _run(factory, db_session)

    def broken(*_args, **_kwargs):
        raise MemoryError("plus de mémoire")

    monkeypatch.setattr("matching.solve_instance", broken)
    match_runs.run_match_job(run.id)
    db_session.expire_all()
    assert run.status == RunStatus.FAILED and run.failure == "error" and "plus de mémoire" in run.error
    login(client, staff)
    page = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    assert "L'exécution a échoué : MemoryError: plus de mémoire" in page and "Relancer l'exécution" in page
    monkeypatch.undo()
    page = page_text(
        post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "1"}, follow_redirects=True)
    )
    assert "Exécution relancée." in page and "Audit de sécurité" in page


def test_a_job_claims_its_run_once(factory, db_session):
    _staff, run = _run(factory, db_session)
    match_runs.run_match_job(run.id)
    db_session.expire_all()
    first = (run.status, run.finished_at)
    match_runs.run_match_job(run.id)  # RQ delivered it twice
    db_session.expire_all()
    assert first[0] == RunStatus.DONE and (run.status, run.finished_at) == first
    assert len(db_session.scalars(select(Proposal).where(Proposal.run_id == run.id)).all()) == 1


def test_a_failed_run_is_not_rerun_by_a_stray_job(factory, db_session):
    """Before: a failed run was executed again by any job naming it."""
    _staff, run = _run(factory, db_session)
    run.status, run.failure = RunStatus.FAILED, match_runs.WORKER_LOST
    db_session.flush()
    match_runs.run_match_job(run.id)
    db_session.expire_all()
    assert run.status == RunStatus.FAILED and run.proposals == []


def test_beating_calls_the_beat_in_the_background_until_the_block_ends():
    beats = []
    two = threading.Event()

    def beat():
        beats.append(threading.current_thread().name)
        if len(beats) >= 2:
            two.set()

    with beating(beat, 0.01):
        assert two.wait(10), "no heartbeat from the background thread"
    after = len(beats)
    assert set(beats) == {"hub-job-heartbeat"}
    assert two.wait(0) and len(beats) == after  # stopped with the block


def test_a_failing_beat_does_not_stop_the_next_ones():
    calls = []
    again = threading.Event()

    def beat():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        again.set()

    with beating(beat, 0.01):
        assert again.wait(10)


def test_heartbeat_interval_follows_the_staleness_limit(app, monkeypatch):
    from app.core.jobs import heartbeat_interval

    with app.app_context():
        assert heartbeat_interval() == 10.0  # default limit 120 s
        monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 3)
        assert heartbeat_interval() == 0.5


def test_the_restart_button_posts_the_execution_it_saw(client, factory, db_session):
    staff, run = _run(factory, db_session)
    run.status, run.failure, run.attempt = RunStatus.FAILED, match_runs.WORKER_LOST, 3
    db_session.flush()
    login(client, staff)
    page = client.get(f"/mise-en-relation/runs/{run.id}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/mise-en-relation/runs/\d+/relancer">.*?</form>', page, re.S).group(
        0
    )
    assert 'name="csrf_token"' in form and 'name="attempt" value="3"' in form
    # A tab opened before the last restart carries an older execution: nothing happens.
    assert "déjà été relancée" in page_text(
        post_form(client, f"/mise-en-relation/runs/{run.id}/relancer", {"attempt": "2"}, follow_redirects=True)
    )
    db_session.expire_all()
    assert run.status == RunStatus.FAILED and run.attempt == 3
