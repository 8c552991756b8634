"""Background jobs: enqueued after the transaction commits, never before.

`enqueue(func, *args)` records a job on the current session; when the session
commits, `commit()` hands the jobs to RQ (JOBS_MODE=rq) or runs them in-process
(the embedded default). A rollback drops them, so a worker never looks for a
row that is not there, and a rolled-back change starts no job.

Jobs take ids, not ORM objects. An RQ worker runs each through `run_job`.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

PENDING = "hub_pending_jobs"
READY = "hub_ready_jobs"
DEFAULT_QUEUE = "hub"


def enqueue(
    func: Callable,
    *args,
    queue: str = DEFAULT_QUEUE,
    coalesce: bool = False,
    session: Session | None = None,
    **kwargs,
) -> None:
    """Record a job to run after the commit.

    `coalesce=True` merges it into a pending job of the same function: list
    keyword arguments are concatenated (one job embeds 200 texts in a batch
    instead of 200 jobs embedding one each).
    `session`: the session whose commit runs it (default: the app's `db.session`;
    a session event handler passes the session it was given)."""
    pending = (db.session if session is None else session).info.setdefault(PENDING, [])
    if coalesce:
        for func_, _args, pending_kwargs, queue_ in pending:
            if func_ is func and queue_ == queue:
                for key, value in kwargs.items():
                    pending_kwargs[key] = list(pending_kwargs.get(key, [])) + list(value)
                return
    pending.append((func, args, dict(kwargs), queue))


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    pending = session.info.pop(PENDING, [])
    if pending:
        session.info.setdefault(READY, []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(PENDING, None)


def commit() -> None:
    """Commit the current session, then dispatch the jobs it recorded."""
    db.session.commit()
    dispatch_ready()


def rollback() -> None:
    """Roll back the current session and drop the jobs it recorded, even those recorded before
    any SQL was run (a session with no transaction yet has no rollback event)."""
    db.session.rollback()
    db.session.info.pop(PENDING, None)


def dispatch_ready() -> None:
    ready = db.session.info.pop(READY, [])
    for func, args, kwargs, queue in ready:
        _dispatch(func, args, kwargs, queue)


def redis_connection():
    from redis import Redis  # deferred: only the rq mode needs redis (the embedded default never loads it)

    return Redis.from_url(current_app.config["REDIS_URL"])


# The factory an RQ worker builds its app with, named (not imported): it stands above every domain,
# `core` below them all.
APP_FACTORY = "app:create_app"
JOB_TIMEOUTS = {"matching": 1800}  # seconds; RQ's default (180 s) for the others


def _dispatch(func, args, kwargs, queue) -> None:
    mode = current_app.config["JOBS_MODE"] if has_app_context() else "inprocess"
    if mode == "rq":
        from rq import Queue  # deferred: only the rq mode needs rq (the embedded default never loads it)

        target = f"{func.__module__}:{func.__qualname__}"
        Queue(queue, connection=redis_connection()).enqueue(
            run_job, target, *args, job_timeout=JOB_TIMEOUTS.get(queue, 180), description=target, **kwargs
        )
        return
    try:
        func(*args, **kwargs)
        commit()
    except Exception:  # an in-process job must not break the request that queued it
        db.session.rollback()
        log.exception("in-process job %s failed", getattr(func, "__name__", func))


def stale_seconds() -> float:
    """How long a running job may stay without a sign of life before it is taken for dead."""
    return float(current_app.config.get("JOB_STALE_SECONDS", 120))


def heartbeat_interval() -> float:
    """Six beats per staleness limit, at most every 10 s: one late beat is never taken for death."""
    return max(0.1, min(10.0, stale_seconds() / 6))


@contextmanager
def beating(beat: Callable[[], object], interval: float) -> Iterator[None]:
    """Call `beat()` every `interval` seconds from a background thread while the block runs.

    A long job reports progress only between its stages; the solver may work for
    minutes inside one. The thread proves the process is alive meanwhile (the
    solvers release the GIL). `beat` must use its own database connection, never
    the job's session. A failing beat is logged, not raised: the next one may pass,
    and a job that cannot beat at all is marked failed by the staleness sweep."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                beat()
            except Exception:
                log.warning("heartbeat failed", exc_info=True)

    thread = threading.Thread(target=loop, name="hub-job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=max(1.0, interval))


_worker_app = None


def run_job(target: str, *args, **kwargs):
    """What RQ workers execute: import `module:function`, run it inside an app context (one app
    per worker process, built by APP_FACTORY), commit, then dispatch the jobs it queued."""
    global _worker_app
    if _worker_app is None:
        factory_module, _sep, factory_name = APP_FACTORY.partition(":")
        _worker_app = getattr(importlib.import_module(factory_module), factory_name)()
    module, _sep, name = target.partition(":")
    func = getattr(importlib.import_module(module), name)
    with _worker_app.app_context():
        try:
            result = func(*args, **kwargs)
            commit()
            return result
        except Exception:
            db.session.rollback()
            raise
