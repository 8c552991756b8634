"""A match run whose RQ worker is killed with `kill -9` mid-run, over real HTTP under
gunicorn on PostgreSQL: the hourly job marks it failed once its heartbeat is stale, its
page says why, and 32 concurrent clicks on "Relancer" give exactly one new execution,
which the restarted worker runs to the end.

The worker of this test pauses at each progress step (MATCH_TEST_DELAY_SECONDS, a
test-only setting) so that it can be killed in the middle of a run, and beats every
0.5 s (JOB_STALE_SECONDS=3 in its environment and in the hourly job's)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import requests
from redis import Redis

from tests.attack.conftest import ROOT
from tests.conftest import wait_for

STALE_SECONDS = 3
RUN_FORM = {
    "w_skills": "1",
    "w_distance": "0.5",
    "w_semantic": "0",
    "w_waiting": "0",
    "w_load": "0",
    "w_feedback": "0",
    "w_charter": "0",
    "solver": "flow",
    "departements": ["83"],
    "k_alternatives": "3",
    "time_limit": "5",
}


def _hourly(attack_server) -> str:
    """`flask hub periodic hourly`, as cron or the scheduler service runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "hub", "periodic", "hourly"],
        cwd=ROOT,
        env={**attack_server.env, "JOB_STALE_SECONDS": str(STALE_SECONDS)},
        capture_output=True,
        check=False,  # the test reads the return code itself
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _run_jobs(redis_url: str, run_id: int) -> list[tuple]:
    """(run id, execution) of every match-run job RQ knows, queued, running or finished."""
    from rq import Queue
    from rq.job import Job

    redis = Redis.from_url(redis_url)
    queue = Queue("matching", connection=redis)
    ids = {
        *queue.job_ids,
        *queue.started_job_registry.get_job_ids(),
        *queue.finished_job_registry.get_job_ids(),
        *queue.failed_job_registry.get_job_ids(),
    }
    jobs = [Job.fetch(i if isinstance(i, str) else i.decode(), connection=redis) for i in ids]
    return sorted(tuple(job.args[1:]) for job in jobs if job.args[1:2] == (run_id,))


def test_a_killed_worker_leaves_a_failed_run_that_restarts_once(attack_server):
    with attack_server.factory() as f:
        f.user(email="jobs-staff@exemple.fr", staff=True)
        f.need(
            title="Sécuriser nos ordinateurs",
            skills=["securite.cybersecurite"],
            organisation=f.organisation(name="Cabinet infirmier", kind="profession_liberale", commune="83137"),
        )
        f.offer(
            provider=f.provider(name="Cyber Var", commune="83137", radius_km=30),
            title="Audit de sécurité",
            skills=["securite.cybersecurite"],
            category="audit",
        )
    normal_env = attack_server.env
    attack_server.kill_worker()
    attack_server.env = {**normal_env, "MATCH_TEST_DELAY_SECONDS": "60", "JOB_STALE_SECONDS": str(STALE_SECONDS)}
    try:
        attack_server.start_worker()
    finally:
        attack_server.env = normal_env
    staff = attack_server.login("jobs-staff@exemple.fr")
    try:
        started = attack_server.post_form(staff, "/mise-en-relation/", RUN_FORM, token_from="/mise-en-relation/")
        assert started.status_code == 302, started.text[-2000:]
        run_path = started.headers["Location"].removeprefix(attack_server.url)
        run_id = int(run_path.rstrip("/").rsplit("/", 1)[1])

        def progress():
            return attack_server.get(staff, f"{run_path}/progression").json()

        def preparing():  # the job claims the run (running, still at stage "queued"), then prepares it
            state = progress()
            return state if state["status"] == "running" and state["stage"] == "preparation" else None

        assert wait_for(preparing, "the worker to start the run")["percent"] == 0

        # kill -9 of the worker and its work horse, then a fresh worker, as after a crash and a redeploy.
        attack_server.kill_worker()
        attack_server.start_worker()
        time.sleep(STALE_SECONDS + 1)  # the staleness limit passes without a beat
        assert "1 exécution(s) sans signe de vie" in _hourly(attack_server)

        page = attack_server.get(staff, run_path)
        assert page.status_code == 200
        assert "L'exécution s'est interrompue à l'étape « preparation » (0 %)" in page.text.replace("&#39;", "'")
        assert "ne donnait plus signe de vie depuis" in page.text and "Relancer l'exécution" in page.text.replace(
            "&#39;", "'"
        )
        assert progress()["status"] == "failed" and progress()["failure"] == "worker_lost"

        # 32 tabs of the staff member click "Relancer" at once.
        token = attack_server.csrf(staff, run_path)
        tabs = []
        for _ in range(32):
            tab = attack_server.session()
            tab.cookies.update(staff.cookies)
            tabs.append(tab)
        barrier, answers = threading.Barrier(len(tabs)), []

        def click(tab):
            barrier.wait()
            try:
                response = attack_server.post_form(
                    tab, f"{run_path}/relancer", {"attempt": "1"}, token=token, allow_redirects=True
                )
                answers.append((response.status_code, response.text.replace("&#39;", "'")))
            except requests.RequestException as error:
                answers.append((0, str(error)))

        threads = [threading.Thread(target=click, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(status for status, _text in answers) == [200] * 32, [a[1][-500:] for a in answers if a[0] != 200]
        assert sum("Exécution relancée." in text for _status, text in answers) == 1
        assert sum("Cette exécution a déjà été relancée." in text for _status, text in answers) == 31

        wait_for(lambda: progress()["status"] == "done", "the restarted run to finish")
        assert progress()["attempt"] == 2
        # RQ saw two jobs for the run: the killed first execution, and one restart.
        assert _run_jobs(attack_server.redis_url, run_id) == [(run_id,), (run_id, 2)]
        page = attack_server.get(staff, run_path).text
        assert "Relancée : exécution n° 2." in page and "Audit de sécurité" in page
    except BaseException:
        print(attack_server.logs())
        raise
