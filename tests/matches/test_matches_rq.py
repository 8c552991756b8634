"""A match run as a real RQ job: enqueued on real Redis after the commit, executed
by a real `rq worker` process, on a database both processes see; and a worker
killed with `kill -9` in the middle of a run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

from redis import Redis

from tests.conftest import REDIS_URL, login, page_text, post_form, run_rq_worker, stop_process, wait_for, worker_env

QUEUE = "matching"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _seed_and_start_run(rq_app):
    """One need and one matching offer in the Vaucluse, and a run over them, committed
    (so enqueued). Returns (staff id, run id)."""
    from app.accounts.models import User
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.extensions import db
    from app.matches import runs as match_runs
    from app.matches.models import MatchRun, RunStatus
    from app.needs.services import create_need

    redis = Redis.from_url(REDIS_URL)
    redis.delete(f"rq:queue:{QUEUE}")
    with rq_app.app_context():
        staff = User(
            email=f"staff-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="Staff",
            is_staff=True,
            email_confirmed_at=utcnow(),
        )
        owner = User(
            email=f"org-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="Org",
            email_confirmed_at=utcnow(),
        )
        expert = User(
            email=f"pro-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="Pro",
            email_confirmed_at=utcnow(),
        )
        db.session.add_all([staff, owner, expert])
        db.session.flush()
        org = create_organisation(
            owner, {"name": "Mairie de Lourmarin", "kind": "commune", "size": "10_49", "commune_insee": "84068"}
        )
        provider = create_provider(
            expert,
            {
                "name": "Luberon Numérique",
                "kind": "mediateur",
                "commune_insee": "84003",
                "radius_km": 30,
                "languages": ["fr"],
                "presentation": "Médiation.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            expert,
            provider,
            {
                "title": "Démarches en ligne",
                "category": "atelier",
                "skills": ["mediation.demarches"],
                "modality": "on_site",
                "duration_hours": 2,
                "capacity_per_month": 2,
                "price_mode": "volunteer",
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        create_need(
            owner,
            org,
            {
                "title": "Aider les habitants pour leurs démarches",
                "skills": ["mediation.demarches"],
                "commune_insee": "84068",
                "modality": "on_site",
                "funding_mode": "volunteer",
                "contact_name": "Secrétariat",
                "contact_email": "mairie@lourmarin.example.org",
            },
        )
        run = match_runs.start_run(staff, {"skills": 1.0})
        run_id, staff_id = run.id, staff.id
        assert redis.llen(f"rq:queue:{QUEUE}") == 0  # nothing is enqueued before the commit
        commit()
        assert redis.llen(f"rq:queue:{QUEUE}") == 1
        assert db.session.get(MatchRun, run_id).status == RunStatus.QUEUED
    return staff_id, run_id


def test_run_executes_in_a_real_rq_worker(rq_app):
    from app.extensions import db
    from app.matches.models import MatchRun, RunStatus

    _staff_id, run_id = _seed_and_start_run(rq_app)
    run_rq_worker(rq_app, QUEUE)
    with rq_app.app_context():
        db.session.expire_all()
        run = db.session.get(MatchRun, run_id)
        assert run.status == RunStatus.DONE, run.error
        assert run.figures["proposals"] == 1 and run.percent == 100
        assert run.proposals[0].offer.title == "Démarches en ligne"


# ---------------------------------------------------------------- kill -9 during a run

STALE_SECONDS = 3  # JOB_STALE_SECONDS of the web side and of the workers: a beat every 0.5 s


def _start_worker(rq_app, log_path, **env) -> subprocess.Popen:
    """A long-lived `rq worker` (not burst), as in production."""
    full_env = worker_env(rq_app, JOB_STALE_SECONDS=str(STALE_SECONDS), **env)
    log = open(log_path, "w")
    return subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "--url", REDIS_URL, QUEUE],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie waiting for its reaper
    except OSError:
        return True


def _run_state(rq_app, run_id):
    from app.extensions import db
    from app.matches.models import MatchRun

    with rq_app.app_context():  # the context's end closes the transaction: no lock held while polling
        run = db.session.get(MatchRun, run_id)
        return run.status.value, run.stage, run.percent, run.attempt, run.heartbeat_at


def _job_ids(redis) -> set[bytes]:
    from rq import Queue

    queue = Queue(QUEUE, connection=redis)
    return {
        *queue.job_ids,
        *queue.started_job_registry.get_job_ids(),
        *queue.finished_job_registry.get_job_ids(),
        *queue.failed_job_registry.get_job_ids(),
    }


def test_a_run_whose_worker_is_killed_is_marked_failed_and_restarted_once(rq_app, tmp_path, monkeypatch):
    """The finding: after `kill -9` of the worker in the middle of a run and a restart of the
    worker, the run stayed at "préparation 0 %" forever. Now its page shows why it failed,
    once its heartbeat is older than JOB_STALE_SECONDS, and its restart button runs it again,
    once for two concurrent clicks."""
    from rq.job import Job

    monkeypatch.setitem(rq_app.config, "JOB_STALE_SECONDS", STALE_SECONDS)
    redis = Redis.from_url(REDIS_URL)
    staff_id, run_id = _seed_and_start_run(rq_app)
    # The run pauses for a minute at its first step ("preparation", 0 %): time to kill its worker.
    worker = _start_worker(rq_app, tmp_path / "worker1.log", MATCH_TEST_DELAY_SECONDS="60")
    workers = [worker]
    try:
        wait_for(lambda: _run_state(rq_app, run_id)[:3] == ("running", "preparation", 0), "the run to start")
        horses = wait_for(lambda: _children(worker.pid), "the worker's work horse")
        # Alive: no progress for longer than the staleness limit, but the job beats (its background
        # thread on PostgreSQL; on SQLite, the pause between its slices), so the page (which sweeps)
        # still shows it running.
        first_beat = _run_state(rq_app, run_id)[4]
        time.sleep(STALE_SECONDS * 1.5)
        client = rq_app.test_client()
        login(client, _Staff(rq_app, staff_id))
        page = page_text(client.get(f"/mise-en-relation/runs/{run_id}"))
        assert "En cours : étape « preparation »" in page, page
        assert _run_state(rq_app, run_id)[4] > first_beat

        # kill -9: the worker and its work horse die at once (a crash, the OOM killer, a lost machine).
        for pid in (worker.pid, *horses):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        for pid in horses:
            wait_for(lambda pid=pid: _gone(pid), f"work horse {pid} to die", 10)
        workers.append(_start_worker(rq_app, tmp_path / "worker2.log"))  # a fresh worker, as after a redeploy

        # After the staleness limit, the page tells why and offers the restart.
        def failed_page():
            text = page_text(client.get(f"/mise-en-relation/runs/{run_id}"))
            return text if "Relancer l'exécution" in text else None

        page = wait_for(failed_page, "the run to be marked failed")
        assert "L'exécution s'est interrompue à l'étape « preparation » (0 %)" in page
        silence = re.search(r"ne donnait plus signe de vie depuis (\d+) s", page)
        assert silence and int(silence.group(1)) >= STALE_SECONDS, page
        assert _run_state(rq_app, run_id)[:2] == ("failed", "preparation")

        # Two tabs click "Relancer" at the same moment.
        jobs_before = _job_ids(redis)
        clients = []
        for _ in range(2):
            tab = rq_app.test_client()
            login(tab, _Staff(rq_app, staff_id))
            clients.append(tab)
        barrier, answers = threading.Barrier(2), []

        def click(tab):
            barrier.wait()
            answers.append(
                page_text(
                    post_form(tab, f"/mise-en-relation/runs/{run_id}/relancer", {"attempt": "1"}, follow_redirects=True)
                )
            )

        threads = [threading.Thread(target=click, args=(tab,)) for tab in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers) == 2
        assert sorted("Exécution relancée." in a for a in answers) == [False, True], answers
        assert any("Cette exécution a déjà été relancée." in a for a in answers)

        # The new worker runs it to the end: one new job, execution n° 2.
        wait_for(lambda: _run_state(rq_app, run_id)[0] == "done", "the restarted run to finish")
        new_jobs = [
            Job.fetch(j.decode() if isinstance(j, bytes) else j, connection=redis)
            for j in _job_ids(redis) - jobs_before
        ]
        assert [job.args[1:] for job in new_jobs] == [(run_id, 2)]
        page = page_text(client.get(f"/mise-en-relation/runs/{run_id}"))
        assert "Relancée : exécution n° 2." in page and "Aider les habitants pour leurs démarches" in page
        assert "Relancer l'exécution" not in page
        status, stage, percent, attempt, _beat = _run_state(rq_app, run_id)
        assert (status, stage, percent, attempt) == ("done", "done", 100, 2)
        # A click from a tab still showing the failure changes nothing.
        late = page_text(
            post_form(client, f"/mise-en-relation/runs/{run_id}/relancer", {"attempt": "1"}, follow_redirects=True)
        )
        assert "Cette exécution a déjà été relancée." in late
        assert _run_state(rq_app, run_id)[:4] == ("done", "done", 100, 2)
    except BaseException:
        for log in sorted(tmp_path.glob("worker*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        for process in workers:
            stop_process(process, timeout=20)


class _Staff:
    """What tests.conftest.login needs of a user: what it keeps in the session ("id:session version")."""

    def __init__(self, app, user_id: int):
        from app.accounts.models import User
        from app.extensions import db

        with app.app_context():
            self._session_id = db.session.get(User, user_id).get_id()
            db.session.remove()

    def get_id(self) -> str:
        return self._session_id
