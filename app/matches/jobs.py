"""The proposal sweep, a periodic job kept out of the pages.

`flask hub sweep` runs it (`flask hub periodic hourly`: cron, or the `scheduler` service of
docker-compose); with RQ it is also `app.core.jobs.run_job("app.matches.jobs:run_sweep")`.
The embedded default (JOBS_MODE=inprocess, `make run`) has no scheduler: there a daemon thread,
started by the first request the process serves, runs it every SWEEP_INTERVAL seconds (0: never).
It is not started under RQ (the scheduler sweeps), in tests (they call `run_sweep` or
`start_sweep_timer` themselves), nor by CLI commands (they serve no request).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from flask import Flask

from app.core.jobs import commit
from app.extensions import db
from app.matches.runs import sweep_stale_runs
from app.matches.services import sweep

log = logging.getLogger(__name__)


def run_sweep() -> dict[str, int]:
    """Reminders at half time and expiry at the deadline of the proposals sent to providers, and
    runs whose worker died marked failed; committed. Idempotent."""
    result = sweep()
    result["stale"] = sweep_stale_runs()
    commit()
    return result


def start_sweep_timer(app: Flask, interval: float, job: Callable[[], object] = run_sweep) -> threading.Event:
    """Run `job` now, then every `interval` seconds, in a daemon thread, each time inside an app
    context with its own session. A failing run is logged and the next one tried. Returns the
    event that stops the thread."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    job()
                except Exception:
                    db.session.rollback()
                    log.exception("in-process sweep failed")
                finally:
                    db.session.remove()
            stop.wait(interval)

    threading.Thread(target=loop, name="hub-sweep", daemon=True).start()
    return stop


def init_sweep_timer(app: Flask) -> None:
    """Arm the embedded default's timer: the first request a process serves starts it, once per
    process (a forked worker starts its own)."""
    interval = float(app.config.get("SWEEP_INTERVAL") or 0)
    if interval <= 0 or app.config["JOBS_MODE"] != "inprocess" or app.testing:
        return
    lock = threading.Lock()
    started_in: list[int] = []  # the pid of the process whose timer runs

    @app.before_request
    def _start_sweep_timer() -> None:
        if started_in[-1:] != [os.getpid()]:
            with lock:
                if started_in[-1:] != [os.getpid()]:
                    start_sweep_timer(app, interval)
                    started_in.append(os.getpid())
